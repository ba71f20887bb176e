package verify

import "errors"

// ErrInvalidToken matches every error that says the token is not acceptable, whatever the
// reason: answer such a request 401. The specific errors below all match it too.
var ErrInvalidToken = errors.New("verify: invalid token")

// invalid is a reason a token is refused; it matches ErrInvalidToken as well as itself.
type invalid struct{ msg string }

func (e *invalid) Error() string        { return "verify: " + e.msg }
func (e *invalid) Is(target error) bool { return target == ErrInvalidToken }

// Reasons a token is refused. Each matches ErrInvalidToken.
var (
	ErrMalformed            error = &invalid{"malformed token"}
	ErrUnsupportedAlgorithm error = &invalid{"unsupported signing algorithm"}
	ErrUnknownKey           error = &invalid{"token signed by an unknown key"}
	ErrSignature            error = &invalid{"bad signature"}
	ErrExpired              error = &invalid{"token expired"}
	ErrNotYetValid          error = &invalid{"token not valid yet"}
	ErrIssuer               error = &invalid{"wrong issuer"}
	ErrAudience             error = &invalid{"token issued to another client"}
	ErrTokenUse             error = &invalid{"wrong token use"}
)

// ErrKeySetUnavailable is a key set that could not be fetched, so no decision was made about
// the token: a transient fault of the verifier's side (answer 503), not the caller's. It
// does not match ErrInvalidToken.
var ErrKeySetUnavailable = errors.New("verify: key set unavailable")
