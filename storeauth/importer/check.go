package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on imported values. They are the API's (storeauth checks registrations and profile
// edits against the same numbers), so every imported customer can later edit their profile.
const (
	MaxEmailLength   = 254
	MaxNameLength    = 255
	MaxPhoneLength   = 32
	MaxMetadataBytes = 16 << 10
	// MaxIDLength bounds a kept customer ID (it is the pool username too).
	MaxIDLength = 64
	// MaxHashLength bounds a password hash; the longest legacy format is a few hundred bytes.
	MaxHashLength = 4096
)

// SafeID reports whether id may be kept as a customer ID: ASCII letters, digits, _ and -,
// at most MaxIDLength.
func SafeID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// check applies the rules every format shares and normalises r. A bad value is a row error.
func (im *importer) check(r *row) *LineError {
	fail := func(format string, a ...any) *LineError {
		return &LineError{Line: r.line, Message: fmt.Sprintf(format, a...)}
	}
	if !SafeID(r.id) {
		r.id = ""
	}
	email, msg := checkEmail(r.email)
	if msg != "" {
		return fail("%s", msg)
	}
	r.email = email
	for _, f := range []struct {
		name, v string
		max     int
	}{{"first_name", r.firstName, MaxNameLength}, {"last_name", r.lastName, MaxNameLength}, {"phone", r.phone, MaxPhoneLength}} {
		if msg := checkText(f.name, f.v, f.max); msg != "" {
			return fail("%s", msg)
		}
	}
	if r.metadata != nil {
		if len(r.metadata) > MaxMetadataBytes {
			return fail("metadata is larger than %d bytes", MaxMetadataBytes)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(r.metadata, &obj) != nil || obj == nil {
			return fail("metadata must be a JSON object")
		}
		var buf bytes.Buffer
		if json.Compact(&buf, r.metadata) != nil {
			return fail("metadata must be a JSON object")
		}
		r.metadata = buf.Bytes()
	}
	if r.hash != "" {
		// The hash is never quoted back: it is a credential.
		switch {
		case len(r.hash) > MaxHashLength:
			return fail("password_hash is longer than %d bytes", MaxHashLength)
		case strings.ContainsFunc(r.hash, func(c rune) bool { return c < 0x21 || c == 0x7f || c == utf8.RuneError }):
			return fail("password_hash contains spaces or control characters")
		}
		if _, ok := im.legacy.Detect(r.hash); !ok {
			return fail("password_hash is in no known hash format (%s)", strings.Join(im.legacy.Names(), ", "))
		}
	}
	if !r.createdAt.IsZero() {
		r.createdAt = r.createdAt.UTC().Truncate(time.Microsecond) // databases keep microseconds
	}
	return nil
}

// checkEmail is the API's rule: one bare address, trimmed.
func checkEmail(email string) (string, string) {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		return "", "email is required"
	case !utf8.ValidString(email):
		return "", "email is not valid UTF-8"
	case len(email) > MaxEmailLength:
		return "", fmt.Sprintf("email is longer than %d characters", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || !strings.Contains(email, "@") {
		return "", "email is not an e-mail address"
	}
	return email, ""
}

func checkText(field, v string, max int) string {
	switch {
	case !utf8.ValidString(v):
		return field + " is not valid UTF-8"
	case utf8.RuneCountInString(v) > max:
		return fmt.Sprintf("%s is longer than %d characters", field, max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return field + " contains control characters"
	}
	return ""
}

// normalizeEmail is how e-mails are compared: trimmed and lower-cased.
func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// sameJSON compares two JSON values by meaning (databases reorder object keys).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return jsonEqual(x, y)
}

func jsonEqual(x, y any) bool {
	switch x := x.(type) {
	case map[string]any:
		ym, ok := y.(map[string]any)
		if !ok || len(x) != len(ym) {
			return false
		}
		for k, v := range x {
			w, ok := ym[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		ys, ok := y.([]any)
		if !ok || len(x) != len(ys) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], ys[i]) {
				return false
			}
		}
		return true
	default:
		return x == y
	}
}
