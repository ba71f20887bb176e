package delivery

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one message the pool sends, as recorded in its outbox.
type Message struct {
	ID          int64 // outbox id
	Pool        string
	Username    string
	Destination string // full e-mail address or E.164 phone number
	Medium      string // "EMAIL" or "SMS"
	Kind        string // SIGNUP, FORGOT_PASSWORD, MFA, ATTRIBUTE_VERIFICATION, INVITATION
	Code        string
	Subject     string // e-mail subject (may be empty for SMS)
	Body        string
	Time        time.Time
}

// Sender delivers one message. It must be safe for concurrent use: the Dispatcher calls it
// from several workers at once.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

const (
	mediumEmail = "EMAIL"
	mediumSMS   = "SMS"
)

// selective is implemented by senders that ignore some messages, so the Dispatcher neither
// counts nor logs those as deliveries.
type selective interface {
	handles(m Message) bool
}

// permanentError marks a failure that retrying cannot fix (a malformed message, a recipient
// the server rejects with 5xx), so the Dispatcher gives up at once instead of waiting.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// maskDestination hides most of an address, the way the pool's CodeDeliveryDetails do, so
// logs can tell deliveries apart without holding the address.
func maskDestination(medium, dest string) string {
	if medium == mediumSMS {
		if len(dest) <= 4 {
			return "+*******"
		}
		return "+*******" + dest[len(dest)-4:]
	}
	at := strings.LastIndexByte(dest, '@')
	if at < 1 {
		return "***"
	}
	domain := dest[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot < 1 {
		return firstRune(dest) + "***@***"
	}
	return firstRune(dest) + "***@" + firstRune(domain) + "***" + domain[dot:]
}

// firstRune keeps masked addresses valid UTF-8 when they start with a multi-byte letter.
func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
