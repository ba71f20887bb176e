package storeauth

import (
	"errors"
	"fmt"
	"time"
)

// Error types, as Medusa names them; each has one HTTP status.
const (
	TypeInvalidData     = "invalid_data"
	TypeUnauthorized    = "unauthorized"
	TypeNotAllowed      = "not_allowed"
	TypeNotFound        = "not_found"
	TypeDuplicate       = "duplicate_error"
	TypeTooLarge        = "payload_too_large"
	TypeUnsupportedType = "unsupported_media_type"
	TypeTooManyRequests = "too_many_requests"
	TypeUnavailable     = "unavailable"
)

// Error is a refusal the caller is meant to see: its Type and Message go out as the JSON
// body {"type","message"}. Everything else becomes "unavailable" without details.
type Error struct {
	Type    string
	Message string
	// RetryAfter, when set, goes out as the Retry-After header.
	RetryAfter time.Duration
	// Err is the cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Type, e.Message, e.Err)
	}
	return e.Type + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(format string, a ...any) *Error {
	return &Error{Type: TypeInvalidData, Message: fmt.Sprintf(format, a...)}
}

// errBadCredentials is the one answer to every failed sign-in: unknown e-mail, wrong
// password, disabled, locked out or throttled all look the same.
func errBadCredentials() *Error {
	return &Error{Type: TypeUnauthorized, Message: "Incorrect email or password."}
}

func errUnauthenticated() *Error {
	return &Error{Type: TypeUnauthorized, Message: "Not signed in."}
}

// fromPool turns a pool failure into what the customer sees.
func fromPool(err error) *Error {
	var pe *PoolError
	msg := ""
	if errors.As(err, &pe) {
		msg = pe.Message
	}
	switch {
	case errors.Is(err, ErrPasswordPolicy):
		if msg == "" {
			msg = "The password does not meet the requirements."
		}
		return &Error{Type: TypeInvalidData, Message: msg, Err: err}
	case errors.Is(err, ErrPoolInvalid):
		if msg == "" {
			msg = "A value was refused."
		}
		return &Error{Type: TypeInvalidData, Message: msg, Err: err}
	case errors.Is(err, ErrBadCode):
		return &Error{Type: TypeInvalidData, Message: "The code is wrong or has expired.", Err: err}
	case errors.Is(err, ErrNotAuthorized):
		return &Error{Type: TypeUnauthorized, Message: "Incorrect email or password.", Err: err}
	case errors.Is(err, ErrPoolThrottled):
		return &Error{Type: TypeTooManyRequests, Message: "Too many requests; try again later.", RetryAfter: 30 * time.Second, Err: err}
	default:
		return &Error{Type: TypeUnavailable, Message: "The credential service is unavailable; try again later.", Err: err}
	}
}

func errStore(err error) *Error {
	return &Error{Type: TypeUnavailable, Message: "The service is unavailable; try again later.", Err: err}
}
