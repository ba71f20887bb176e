package pool

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// limit caps how often one user may do something in an hour. Code deliveries are capped so
// the pool cannot be used to flood an inbox or run up an SMS bill; failed code and password
// checks are capped so a six-digit code or a password cannot be guessed by repetition.
type limit struct {
	action string
	max    int
}

var (
	limitResendCode      = limit{"resend-code", 5}
	limitAttributeCode   = limit{"attribute-code", 5}
	limitForgotPassword  = limit{"forgot-password", 5}
	limitConfirmSignUp   = limit{"confirm-signup", 15}
	limitVerifyAttribute = limit{"verify-attribute", 15}
	limitConfirmForgot   = limit{"confirm-forgot", 10}
	limitChangePassword  = limit{"change-password", 5}
)

const (
	nsLimit = "limit"
	// limitWindow runs from the first count, so every window ends an hour after it began. A
	// window counted from the last attempt would never end while someone kept trying, and
	// would lock the real user out for as long as they did.
	limitWindow = time.Hour
)

// limitCount is the ephemeral record of one window. It lives in the store, not in memory, so
// every node sharing a database counts the same attempts.
type limitCount struct {
	N     int       `json:"n"`
	Since time.Time `json:"since"`
}

// limitKey starts with the pool ID so that deleting the pool deletes its counters.
func limitKey(poolID, usernameKey string, l limit) string {
	return poolID + "|" + l.action + "|" + usernameKey
}

func limitExceeded() *Error {
	return newError(ExLimitExceeded, "Attempt limit exceeded, please try after some time.")
}

func readLimit(ctx context.Context, tx store.ReadTx, poolID, usernameKey string, l limit, now time.Time) (limitCount, error) {
	e, err := tx.GetEphemeral(ctx, nsLimit, limitKey(poolID, usernameKey, l), now)
	if errors.Is(err, store.ErrNotFound) {
		return limitCount{}, nil
	}
	if err != nil {
		return limitCount{}, err
	}
	var c limitCount
	if json.Unmarshal(e.Value, &c) != nil {
		return limitCount{}, nil
	}
	return c, nil
}

// checkLimit refuses once the window is full, without counting.
func checkLimit(ctx context.Context, tx store.ReadTx, poolID, usernameKey string, l limit, now time.Time) error {
	c, err := readLimit(ctx, tx, poolID, usernameKey, l, now)
	if err != nil {
		return err
	}
	if c.N >= l.max {
		return limitExceeded()
	}
	return nil
}

// countLimit counts one attempt in tx, refusing when the window is already full. Reading and
// writing in one transaction keeps concurrent attempts from slipping past the cap.
func countLimit(ctx context.Context, tx store.Tx, poolID, usernameKey string, l limit, now time.Time) error {
	c, err := readLimit(ctx, tx, poolID, usernameKey, l, now)
	if err != nil {
		return err
	}
	if c.N >= l.max {
		return limitExceeded()
	}
	if c.N == 0 {
		c.Since = now
	}
	c.N++
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: poolID, Namespace: nsLimit, Key: limitKey(poolID, usernameKey, l),
		Value: b, ExpiresAt: c.Since.Add(limitWindow)})
}

// countFailure counts a failure that was found outside a transaction (a password check, which
// must not run inside one) in a transaction of its own, so it is kept although the request
// that made it fails.
func (s *Service) countFailure(ctx context.Context, poolID, usernameKey string, l limit) error {
	return s.update(ctx, func(tx store.Tx) error {
		err := countLimit(ctx, tx, poolID, usernameKey, l, s.now())
		if errors.Is(err, errLimitExceeded) {
			return nil // a concurrent failure filled the window first; it is full either way
		}
		return err
	})
}

// errLimitExceeded matches LimitExceededException with errors.Is.
var errLimitExceeded = &Error{Type: ExLimitExceeded}
