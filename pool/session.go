package pool

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// challengeSession is the state a challenge carries between InitiateAuth and
// RespondToAuthChallenge. It travels to the client sealed (so it cannot be read or forged)
// and is also registered in the store, so that it can be consumed exactly once on any node.
type challengeSession struct {
	ID          string    `json:"id"`
	PoolID      string    `json:"pool"`
	ClientID    string    `json:"client"`
	UsernameKey string    `json:"user"`
	Challenge   string    `json:"challenge"`
	Expires     time.Time `json:"exp"`
	// DeviceKey is the device the sign-in proved, so that the tokens at the end name it
	// (and no new device is issued for it).
	DeviceKey string `json:"device,omitempty"`
}

const (
	sessionPurpose = "auth-session"
	nsSession      = "auth-session"
)

// openSession unseals a Session string and checks it belongs to this client and challenge
// and has not expired. It does not consume it.
func (s *Service) openSession(raw, clientID, challenge string) (challengeSession, error) {
	if raw == "" {
		return challengeSession{}, invalidParameter("Missing required parameter Session")
	}
	if len(raw) > 2048 {
		return challengeSession{}, invalidParameter("1 validation error detected: Value at 'session' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	b, err := s.sealer.Open(sessionPurpose, raw)
	var cs challengeSession
	if err != nil || json.Unmarshal(b, &cs) != nil {
		return challengeSession{}, newError(ExNotAuthorized, "Invalid session for the user.")
	}
	// An empty clientID is for the calls that name no client (AssociateSoftwareToken and
	// VerifySoftwareToken with a session).
	if (clientID != "" && cs.ClientID != clientID) || cs.Challenge != challenge {
		return challengeSession{}, newError(ExNotAuthorized, "Invalid session for the user.")
	}
	if !s.now().Before(cs.Expires) {
		return challengeSession{}, newError(ExNotAuthorized, "Invalid session for the user, session is expired.")
	}
	return cs, nil
}

// newSession registers and seals a session for a challenge; validity is the client's
// AuthSessionValidity in minutes.
func (s *Service) newSession(ctx context.Context, tx store.Tx, p poolView, c clientView, u store.User, challenge string) (string, error) {
	sealed, _, err := s.newSessionWithID(ctx, tx, p, c, u, challenge, "")
	return sealed, err
}

// registerSession stores cs (so it can be used once) and seals it for the client.
func (s *Service) registerSession(ctx context.Context, tx store.Tx, cs challengeSession) (string, error) {
	if err := tx.PutEphemeral(ctx, store.Ephemeral{PoolID: cs.PoolID, Namespace: nsSession, Key: cs.ID, ExpiresAt: cs.Expires}); err != nil {
		return "", err
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return "", err
	}
	return s.sealer.Seal(sessionPurpose, b), nil
}

// authSessionValidity is how long a challenge may wait for its answer: the client's
// AuthSessionValidity minutes (3 by default).
func (c clientView) authSessionValidity() time.Duration {
	minutes := int32(3)
	if c.AuthSessionValidity != nil {
		minutes = *c.AuthSessionValidity
	}
	return time.Duration(minutes) * time.Minute
}

// consumeSession marks a session used; a second use, on any node, fails.
func consumeSession(ctx context.Context, tx store.Tx, cs challengeSession, now time.Time) error {
	_, err := tx.TakeEphemeral(ctx, nsSession, cs.ID, now)
	if errors.Is(err, store.ErrNotFound) {
		return newError(ExNotAuthorized, "Invalid session for the user, session can only be used once.")
	}
	return err
}

// sessionUser reads the user a challenge names; missing is the answer when the user is gone
// (each challenge answers that its own way).
func sessionUser(ctx context.Context, tx store.ReadTx, poolID, usernameKey string, missing error) (userView, error) {
	rec, err := tx.GetUser(ctx, poolID, usernameKey)
	if errors.Is(err, store.ErrNotFound) {
		return userView{}, missing
	}
	if err != nil {
		return userView{}, err
	}
	return decodeUser(rec)
}
