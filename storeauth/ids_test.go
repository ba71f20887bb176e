package storeauth

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"
)

var idPattern = regexp.MustCompile(`^cus_[0-7][0-9A-HJKMNP-TV-Z]{25}$`)

// decodeIDTime reads the milliseconds out of an ID's first ten digits.
func decodeIDTime(t *testing.T, id, prefix string) int64 {
	t.Helper()
	var ms int64
	for _, c := range strings.TrimPrefix(id, prefix)[:10] {
		d := strings.IndexRune(crockford, c)
		if d < 0 {
			t.Fatalf("digit %q", c)
		}
		ms = ms<<5 | int64(d)
	}
	return ms
}

func TestNewIDFormat(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 0, 0, 123_000_000, time.UTC)
	seen := map[string]bool{}
	for range 1000 {
		id := newID("cus_", now)
		if !idPattern.MatchString(id) {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if ms := decodeIDTime(t, id, "cus_"); ms != now.UnixMilli() {
			t.Fatalf("time %d, want %d", ms, now.UnixMilli())
		}
	}
	if id := newID("sess_", now); !strings.HasPrefix(id, "sess_") || len(id) != 5+26 {
		t.Fatalf("session id %q", id)
	}
	// The decoy can never be an ID.
	if idPattern.MatchString(DefaultDecoyUsername) {
		t.Fatal("the decoy username looks like an ID")
	}
}

func TestNewIDTimeOrdered(t *testing.T) {
	base := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	prev := ""
	for _, d := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, time.Second, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour} {
		// (IDs of one millisecond may sort either way: their tail is random.)
		id := newID("cus_", base.Add(d))
		if prev != "" && id <= prev {
			t.Fatalf("%q after %q", id, prev)
		}
		prev = id
	}
	// Old and far-future times keep the shape.
	for _, ts := range []time.Time{time.Unix(0, 0), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		id := newID("cus_", ts)
		if !idPattern.MatchString(id) || decodeIDTime(t, id, "cus_") != ts.UnixMilli() {
			t.Fatalf("id %q for %v", id, ts)
		}
	}
}

func TestSessionTokens(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, hash := newSessionToken()
		if !plausibleToken(tok) {
			t.Fatalf("token %q not plausible", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes, %v", tok, len(raw), err)
		}
		sum := sha256.Sum256([]byte(tok))
		if string(hash) != string(sum[:]) || string(tokenHash(tok)) != string(sum[:]) {
			t.Fatal("the hash is not the token's SHA-256")
		}
		if seen[tok] {
			t.Fatal("a token repeated")
		}
		seen[tok] = true
	}
}

func TestPlausibleToken(t *testing.T) {
	good := strings.Repeat("aZ09-_", 7) + "x"
	if len(good) != 43 || !plausibleToken(good) {
		t.Fatalf("%q rejected", good)
	}
	for _, tok := range []string{
		"",
		good[:42],
		good + "x",
		strings.Repeat("a", 42) + "=",
		strings.Repeat("a", 42) + "+",
		strings.Repeat("a", 42) + "/",
		strings.Repeat("a", 42) + " ",
		strings.Repeat("a", 42) + ".",
		strings.Repeat("a", 41) + "é", // 43 bytes, not base64url
		strings.Repeat("a", 42) + "\x00",
		strings.Repeat("a", 86),
	} {
		if plausibleToken(tok) {
			t.Errorf("%q accepted", tok)
		}
	}
}
