package storeauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/internal/coregate"
	"github.com/hashless/hashless/legacyhash"
	"github.com/hashless/hashless/storeauth/store"
)

// Defaults of Config.
const (
	DefaultSessionIdle       = 7 * 24 * time.Hour
	DefaultSessionMax        = 30 * 24 * time.Hour
	DefaultPasswordMinLength = 8
	DefaultPoolTimeout       = 10 * time.Second
	// DefaultDecoyUsername is asked about when a sign-in names no customer, so that the
	// failure costs the pool the same work as a wrong password. No customer ID can equal it
	// (IDs are cus_ + 26 base32 digits).
	DefaultDecoyUsername = "cus_decoy"
	// touchInterval: last_seen_at is written at most this often, so a session check is a
	// read.
	touchInterval = time.Minute
	// poolReadyTTL: /readyz reuses the last pool call's outcome this long, because real
	// Cognito's DescribeUserPool quota is small.
	poolReadyTTL = 30 * time.Second
)

// Config is what a Service is built from.
type Config struct {
	Customers store.Customers
	Sessions  store.Sessions
	Pool      Pool
	// Reports, when set, keeps the sign-in counts by hour and outcome and answers the
	// migration history (see stats.go); nil means no history is kept.
	Reports store.Reports
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Registerer receives metrics; nil means none are exported.
	Registerer prometheus.Registerer

	SessionIdle       time.Duration
	SessionMax        time.Duration
	PasswordMinLength int
	// PoolTimeout bounds each pool call; past it the request fails with 503.
	PoolTimeout   time.Duration
	DecoyUsername string
	// FaultHook, for tests only, is called at each named step of a saga.
	FaultHook func(point string)
	// Legacy verifies the password hashes of customers not yet migrated to the pool; nil
	// means legacyhash.Default().
	Legacy *legacyhash.Registry
}

// Service is the customer auth domain: registration, sign-in, sessions, passwords and the
// admin actions, over a customers table, a sessions table and a pool.
type Service struct {
	customers store.Customers
	sessions  store.Sessions
	pool      Pool
	now       func() time.Time
	log       *slog.Logger
	cfg       Config
	metrics   *metrics

	legacy *legacyhash.Registry
	sample legacySample
	// legacyGate lets one legacy hash check per core run at a time (see migration.go).
	legacyGate coregate.Gate

	emailThrottle *throttle
	ipThrottle    *throttle

	reports store.Reports
	logins  loginTally

	readyMu     sync.Mutex
	readyAt     time.Time
	readyErr    error
	readyFlight chan struct{}
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Customers == nil || cfg.Sessions == nil || cfg.Pool == nil {
		return nil, errors.New("storeauth: Customers, Sessions and Pool are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// Databases keep microseconds; answers must not show more precision than a re-read.
	clock := cfg.Now
	cfg.Now = func() time.Time { return clock().Truncate(time.Microsecond) }
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = DefaultSessionMax
	}
	if cfg.SessionIdle > cfg.SessionMax {
		return nil, errors.New("storeauth: the idle timeout is longer than the maximum session lifetime")
	}
	if cfg.PasswordMinLength <= 0 {
		cfg.PasswordMinLength = DefaultPasswordMinLength
	}
	if cfg.PasswordMinLength > maxPasswordLength {
		return nil, errors.New("storeauth: the minimum password length is above the maximum (256)")
	}
	if cfg.PoolTimeout <= 0 {
		cfg.PoolTimeout = DefaultPoolTimeout
	}
	if cfg.DecoyUsername == "" {
		cfg.DecoyUsername = DefaultDecoyUsername
	}
	if cfg.Legacy == nil {
		cfg.Legacy = legacyhash.Default()
	}
	return &Service{
		customers: cfg.Customers, sessions: cfg.Sessions, pool: cfg.Pool,
		now: cfg.Now, log: cfg.Logger, cfg: cfg, metrics: newMetrics(cfg.Registerer), legacy: cfg.Legacy, legacyGate: coregate.New(),
		emailThrottle: newThrottle(5, 15*time.Minute),
		ipThrottle:    newThrottle(50, 15*time.Minute),
		reports:       cfg.Reports,
	}, nil
}

// Limits on input, chosen to fit the pool's (a Cognito password is at most 256 characters,
// an attribute value 2048).
const (
	maxPasswordLength = 256
	maxEmailLength    = 254
	maxNameLength     = 255
	maxPhoneLength    = 32
	maxMetadataBytes  = 16 << 10
	maxCodeLength     = 64
)

// NormalizeEmail is the form e-mails are compared in: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(field, email string) (string, *Error) {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return "", invalid("%s is required.", field)
	case len(email) > maxEmailLength:
		return "", invalid("%s is longer than %d characters.", field, maxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || !strings.Contains(email, "@") {
		return "", invalid("%s is not an e-mail address.", field)
	}
	return email, nil
}

func (s *Service) checkNewPassword(field, pw string) *Error {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		return invalid("%s is required.", field)
	case !utf8.ValidString(pw):
		return invalid("%s is not valid UTF-8.", field)
	case n < s.cfg.PasswordMinLength:
		return invalid("%s must be at least %d characters.", field, s.cfg.PasswordMinLength)
	case n > maxPasswordLength:
		return invalid("%s must be at most %d characters.", field, maxPasswordLength)
	}
	return nil
}

// checkGivenPassword accepts any password a sign-in could match; the policy is not
// re-checked, so a rule tightened later never locks anyone out.
func checkGivenPassword(field, pw string) *Error {
	switch {
	case pw == "":
		return invalid("%s is required.", field)
	case !utf8.ValidString(pw) || utf8.RuneCountInString(pw) > maxPasswordLength:
		return invalid("%s is not a possible password.", field)
	}
	return nil
}

func checkText(field, v string, max int) *Error {
	switch {
	case !utf8.ValidString(v):
		return invalid("%s is not valid UTF-8.", field)
	case utf8.RuneCountInString(v) > max:
		return invalid("%s is longer than %d characters.", field, max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid("%s contains control characters.", field)
	}
	return nil
}

func checkMetadata(m json.RawMessage) *Error {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	if len(m) > maxMetadataBytes {
		return invalid("metadata is larger than %d bytes.", maxMetadataBytes)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(m, &obj) != nil {
		return invalid("metadata must be a JSON object.")
	}
	return nil
}

// poolCtx bounds one pool call.
func (s *Service) poolCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PoolTimeout)
	if s.cfg.FaultHook != nil {
		ctx = WithFaultHook(ctx, s.cfg.FaultHook)
	}
	return ctx, cancel
}

// detached is for steps that must finish even when the client went away: undoing half a
// saga, ending sessions after a password change.
func (s *Service) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.poolCtx(context.WithoutCancel(ctx))
}

func (s *Service) fault(point string) {
	if s.cfg.FaultHook != nil {
		s.cfg.FaultHook(point)
	}
}

// notePool records the outcome of a pool call for /readyz: any answer in the pool's
// protocol shows it is up.
func (s *Service) notePool(err error) {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	s.readyAt = s.now()
	if errors.Is(err, ErrPoolUnavailable) {
		s.readyErr = err
	} else {
		s.readyErr = nil
	}
}

// CheckPool reports whether the pool answers, reusing an outcome younger than 30 s (of a
// check or of any other pool call) and letting only one check run at a time.
func (s *Service) CheckPool(ctx context.Context) error {
	for {
		s.readyMu.Lock()
		if !s.readyAt.IsZero() && s.now().Sub(s.readyAt) < poolReadyTTL {
			err := s.readyErr
			s.readyMu.Unlock()
			return err
		}
		if flight := s.readyFlight; flight != nil {
			s.readyMu.Unlock()
			select {
			case <-flight:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		flight := make(chan struct{})
		s.readyFlight = flight
		s.readyMu.Unlock()
		defer func() {
			// A check that panicked must not leave every later one waiting for it.
			if v := recover(); v != nil {
				s.readyMu.Lock()
				s.readyFlight = nil
				s.readyMu.Unlock()
				close(flight)
				panic(v)
			}
		}()

		pctx, cancel := s.poolCtx(ctx)
		err := s.pool.Check(pctx)
		cancel()
		s.readyMu.Lock()
		s.readyFlight = nil
		s.readyAt, s.readyErr = s.now(), err
		if errors.Is(err, ErrPoolRefused) {
			// An answer, even a refusal (e.g. no DescribeUserPool permission), means the pool is up.
			s.readyErr = nil
		}
		err = s.readyErr
		s.readyMu.Unlock()
		close(flight)
		return err
	}
}
