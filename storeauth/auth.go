package storeauth

import (
	"context"
	"errors"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// Client describes who is signing in, for throttling and the session list.
type Client struct {
	IP        string
	UserAgent string
}

// Session kinds: how the token was handed out.
const (
	KindCookie = "cookie"
	KindBearer = "bearer"
)

// SignIn is a successful sign-in: the customer and the new session's token, which is shown
// once and never stored.
type SignIn struct {
	Customer store.Customer
	Session  store.Session
	Token    string
	// PasswordChangeRequired: the legacy password is right but the pool's policy refused it,
	// so the customer stays unmigrated until they choose a new one.
	PasswordChangeRequired bool
}

// Login checks an e-mail and password and opens a session of the given kind.
//
// Every failure is the same 401 after the same work: the customer is looked up in the
// database (never by asking the pool whether a user exists, which a pool hiding user
// existence would not answer), and exactly one Authenticate call follows, on the customer's
// pool user or, when there is no usable customer, on a decoy username. Throttling is keyed
// on the e-mail whether or not it exists, and on the client IP.
func (s *Service) Login(ctx context.Context, email, password string, client Client, kind string) (SignIn, error) {
	if _, e := checkEmail("email", email); e != nil {
		return SignIn{}, e
	}
	if e := checkGivenPassword("password", password); e != nil {
		return SignIn{}, e
	}
	emailKey := "e:" + NormalizeEmail(email)
	ipKey := "i:" + client.IP
	now := s.now()
	if blocked, _ := s.emailThrottle.blocked(emailKey, now); blocked {
		s.noteLogin(LoginThrottled)
		return SignIn{}, errBadCredentials()
	}
	if blocked, _ := s.ipThrottle.blocked(ipKey, now); blocked && client.IP != "" {
		s.noteLogin(LoginThrottled)
		return SignIn{}, errBadCredentials()
	}

	c, err := s.customers.CustomerByEmail(ctx, email)
	usable := err == nil && c.State == store.StateActive && c.HasAccount && !c.Disabled
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.noteLogin(LoginError)
		return SignIn{}, errStore(err)
	}
	policyRefused := false
	legacy := usable && c.PasswordHash != ""
	if legacy {
		// Not migrated yet: the legacy check plus one pool call, success or failure.
		c, policyRefused, err = s.legacyLogin(ctx, c, password)
	} else {
		username := s.cfg.DecoyUsername
		if usable {
			username = c.ID
		}
		pctx, cancel := s.poolCtx(ctx)
		err = s.pool.Authenticate(pctx, username, password)
		cancel()
		s.notePool(err)
		if err == nil && !usable {
			// Only possible if someone created the decoy in the pool; it must never sign in.
			err = &PoolError{Kind: ErrNotAuthorized}
			s.log.Error("the decoy username signed in to the pool; delete that pool user", "username", username)
		}
		if errors.Is(err, ErrNotAuthorized) {
			// What an unmigrated customer's wrong password costs besides the pool call.
			s.decoyLegacy(ctx, password)
		}
	}
	if err != nil {
		if errors.Is(err, ErrNotAuthorized) {
			s.emailThrottle.fail(emailKey, s.now())
			s.ipThrottle.fail(ipKey, s.now())
			s.noteLogin(LoginRefused)
			return SignIn{}, errBadCredentials()
		}
		s.noteLogin(LoginError)
		var e *Error
		if errors.As(err, &e) {
			return SignIn{}, e
		}
		return SignIn{}, fromPool(err)
	}
	s.emailThrottle.succeed(emailKey)
	sess, token, err := s.openSession(ctx, c.ID, client, kind)
	if err != nil {
		s.noteLogin(LoginError)
		return SignIn{}, err
	}
	switch {
	case policyRefused:
		s.noteLogin(LoginBlockedByPolicy)
	case legacy && c.PasswordHash == "":
		s.noteLogin(LoginMigrated)
	default:
		s.noteLogin(LoginOK)
	}
	return SignIn{Customer: c, Session: sess, Token: token, PasswordChangeRequired: policyRefused}, nil
}

// provePassword checks the password of a signed-in customer before a sensitive change. A
// wrong password counts towards the pool's lockout like a failed sign-in.
func (s *Service) provePassword(ctx context.Context, c store.Customer, password string) error {
	if c.PasswordHash != "" {
		ok, err := s.legacyCheck(ctx, c, password)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		// As at sign-in, the pool may hold the password already (a reset that did not get
		// to erase the hash).
	}
	pctx, cancel := s.poolCtx(ctx)
	err := s.pool.Authenticate(pctx, c.ID, password)
	cancel()
	s.notePool(err)
	switch {
	case errors.Is(err, ErrNotAuthorized):
		return &Error{Type: TypeInvalidData, Message: "The password is incorrect.", Err: err}
	case err != nil:
		return fromPool(err)
	}
	return nil
}

func (s *Service) openSession(ctx context.Context, customerID string, client Client, kind string) (store.Session, string, error) {
	now := s.now().UTC()
	token, hash := newSessionToken()
	sess := store.Session{
		ID: newID("sess_", now), TokenHash: hash, CustomerID: customerID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionMax),
		UserAgent: truncate(client.UserAgent, 512), IP: truncate(client.IP, 64), Kind: kind,
	}
	if err := s.sessions.CreateSession(ctx, sess); err != nil {
		return store.Session{}, "", errStore(err)
	}
	return sess, token, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Authenticate finds the live session of a token. It is one indexed read, plus a write at
// most once a minute to move last_seen_at, so ending a session anywhere takes effect on the
// next request everywhere.
func (s *Service) Authenticate(ctx context.Context, token string) (store.Session, error) {
	if !plausibleToken(token) {
		s.metrics.sessionChecks.WithLabelValues("invalid").Inc()
		return store.Session{}, errUnauthenticated()
	}
	sess, err := s.sessions.SessionByTokenHash(ctx, tokenHash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.metrics.sessionChecks.WithLabelValues("invalid").Inc()
		return store.Session{}, errUnauthenticated()
	case err != nil:
		return store.Session{}, errStore(err)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle {
		s.metrics.sessionChecks.WithLabelValues("expired").Inc()
		dctx, cancel := s.detached(ctx)
		_ = s.sessions.DeleteSession(dctx, sess.CustomerID, sess.ID)
		cancel()
		return store.Session{}, errUnauthenticated()
	}
	if now.Sub(sess.LastSeenAt) >= touchInterval {
		err := s.sessions.TouchSession(ctx, sess.ID, now.UTC())
		if errors.Is(err, store.ErrNotFound) {
			s.metrics.sessionChecks.WithLabelValues("invalid").Inc()
			return store.Session{}, errUnauthenticated()
		}
		if err != nil {
			s.log.Warn("last_seen_at not updated", "session", sess.ID, "err", err)
		}
		sess.LastSeenAt = now.UTC()
	}
	s.metrics.sessionChecks.WithLabelValues("ok").Inc()
	return sess, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, sess store.Session) error {
	err := s.sessions.DeleteSession(ctx, sess.CustomerID, sess.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return errStore(err)
	}
	return nil
}

// Sessions lists a customer's live sessions, newest first.
func (s *Service) Sessions(ctx context.Context, customerID string) ([]store.Session, error) {
	all, err := s.sessions.ListSessions(ctx, customerID)
	if err != nil {
		return nil, errStore(err)
	}
	now := s.now()
	live := all[:0]
	for _, sess := range all {
		if now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) < s.cfg.SessionIdle {
			live = append(live, sess)
		}
	}
	return live, nil
}

// EndSession ends one of the customer's sessions by ID.
func (s *Service) EndSession(ctx context.Context, customerID, sessionID string) error {
	err := s.sessions.DeleteSession(ctx, customerID, sessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Type: TypeNotFound, Message: "No such session."}
	case err != nil:
		return errStore(err)
	}
	return nil
}

// EndSessions ends all the customer's sessions but except (empty: all of them).
func (s *Service) EndSessions(ctx context.Context, customerID, except string) (int, error) {
	n, err := s.sessions.DeleteSessions(ctx, customerID, except)
	if err != nil {
		return 0, errStore(err)
	}
	s.metrics.sessionsEnded.Add(float64(n))
	return n, nil
}

// CleanupSessions deletes expired sessions.
func (s *Service) CleanupSessions(ctx context.Context) (int, error) {
	now := s.now().UTC()
	n, err := s.sessions.DeleteExpiredSessions(ctx, now, now.Add(-s.cfg.SessionIdle))
	s.emailThrottle.sweep(now)
	s.ipThrottle.sweep(now)
	return n, err
}

// SessionIdle and SessionMax are the configured timeouts.
func (s *Service) SessionIdle() time.Duration { return s.cfg.SessionIdle }
func (s *Service) SessionMax() time.Duration  { return s.cfg.SessionMax }
