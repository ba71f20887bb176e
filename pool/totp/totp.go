package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"strings"
	"time"
)

const (
	// Digits is the length of a code.
	Digits = 6
	// Period is how long one code lasts: the length of a time step.
	Period = 30 * time.Second

	// secretBytes is the entropy of a new secret. 32 bytes is what makes the 52 characters of
	// Cognito's SecretCode; RFC 4226 asks for at least 16 and recommends 20.
	secretBytes = 32
	// minSecretChars is the shortest secret accepted for a code, the API model's lower bound
	// on SecretCodeType (10 bytes). Shorter keys are refused rather than hashed.
	minSecretChars = 16
	// skew is how many steps either side of the current one Verify accepts.
	skew = 1
	// periodSeconds is Period in the unit step arithmetic uses.
	periodSeconds = int64(Period / time.Second)
)

var (
	// ErrInvalidSecret is returned for a secret that is not at least 16 characters of
	// unpadded base32.
	ErrInvalidSecret = errors.New("totp: secret is not unpadded base32 of at least 16 characters")
	// ErrBeforeEpoch is returned for a time before 1970, which has no step.
	ErrBeforeEpoch = errors.New("totp: time is before the Unix epoch")
)

// encoding is RFC 4648 base32, upper case, without padding: Cognito's SecretCode alphabet.
var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret reads 32 bytes from r and returns them as a secret in Cognito's SecretCode form:
// 52 characters of unpadded upper-case base32. r is normally crypto/rand.Reader; nil means
// that. A short read is an error, never a shorter secret.
func NewSecret(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [secretBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return encoding.EncodeToString(b[:]), nil
}

// Code returns the code an authenticator app shows at t for secret.
func Code(secret string, t time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	s, ok := stepOf(t)
	if !ok {
		return "", ErrBeforeEpoch
	}
	var buf [Digits]byte
	format(buf[:], hotp(hmac.New(sha1.New, key), uint64(s)))
	return string(buf[:]), nil
}

// Verify reports whether code is secret's code for the step of now or the step either side of
// it, and if so which step it matched. A step at or before lastUsedStep is not tried, so a
// code accepted once is refused after that: the caller stores the returned step and passes it
// as lastUsedStep next time. With no code accepted yet pass -1; any value below the current
// step does as well, so a stored zero (step 0 was in 1970) is a safe default. If code matches
// more than one step, the latest is returned.
//
// A code that is not exactly six ASCII digits, a malformed secret and a time before the epoch
// all give ok false. Each candidate is computed and compared in full, in constant time, so
// the time taken does not tell which step, if any, matched.
func Verify(secret, code string, now time.Time, lastUsedStep int64) (step int64, ok bool) {
	if !wellFormed(code) {
		return 0, false
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return 0, false
	}
	cur, valid := stepOf(now)
	if !valid {
		return 0, false
	}
	mac := hmac.New(sha1.New, key)
	var want [Digits]byte
	matched := 0
	for s := cur - skew; s <= cur+skew; s++ {
		if s < 0 || s <= lastUsedStep {
			continue
		}
		format(want[:], hotp(mac, uint64(s)))
		eq := subtle.ConstantTimeCompare(want[:], []byte(code))
		// Select without branching; later steps overwrite earlier ones, so a collision
		// resolves to the latest.
		mask := -int64(eq)
		step = s&mask | step&^mask
		matched |= eq
	}
	if matched != 1 {
		return 0, false
	}
	return step, true
}

// stepOf gives the RFC 6238 time step of t: whole periods since the Unix epoch. ok is false
// before the epoch.
func stepOf(t time.Time) (int64, bool) {
	u := t.Unix()
	if u < 0 {
		return 0, false
	}
	return u / periodSeconds, true
}

// wellFormed reports whether code is exactly Digits ASCII digits.
func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// decodeSecret turns a secret into the HMAC key. Lower case is accepted, as authenticator
// apps accept it; padding, spaces and any other character are not.
func decodeSecret(secret string) ([]byte, error) {
	if len(secret) < minSecretChars {
		return nil, ErrInvalidSecret
	}
	// Unpadded base32 ends in 0, 2, 4, 5 or 7 characters of a group of eight; other lengths
	// leave bits that make no whole byte, which the decoder would silently drop.
	switch len(secret) % 8 {
	case 1, 3, 6:
		return nil, ErrInvalidSecret
	}
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return nil, ErrInvalidSecret
		}
	}
	key, err := encoding.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// hotp is RFC 4226 HOTP up to dynamic truncation: the 31-bit number the decimal code is taken
// from. mac is keyed with the secret and is reset before use.
func hotp(mac hash.Hash, counter uint64) uint32 {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Reset()
	mac.Write(msg[:])
	var sum [sha1.Size]byte
	h := mac.Sum(sum[:0])
	off := h[len(h)-1] & 0x0f
	return binary.BigEndian.Uint32(h[off:off+4]) & 0x7fffffff
}

// format writes the last len(dst) decimal digits of v into dst, zero-padded.
func format(dst []byte, v uint32) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}
