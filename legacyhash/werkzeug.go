package legacyhash

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"math/bits"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Werkzeug stores hashes as method$salt$hex, the salt used as its UTF-8 text and the hex
// lower-case:
//
//	pbkdf2:sha256:1000000$<salt>$<hex of the digest-sized key>
//	scrypt:32768:8:1$<salt>$<hex of a 64-byte key>
//
// check_password_hash compares only the hex (as a string), against the key it derives.
//
// Every Werkzeug release writes the iteration count into pbkdf2 hashes, but it also reads
// "pbkdf2:sha256" and "pbkdf2" without one, filling in its own current default, which has
// changed from release to release (1000, 50000, 150000, 260000, 600000, 1000000). Such a
// string has no single meaning, so it is ErrUnsupported. "scrypt" without parameters has
// meant 2^15/8/1 in every release that knows scrypt, and is accepted.

var werkzeugPBKDF2Hashes = map[string]func() hash.Hash{
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

const werkzeugScryptKeyLen = 64

// Werkzeug verifies werkzeug.security password hashes (see NewWerkzeug).
type Werkzeug struct{ limits Limits }

// NewWerkzeug returns the Verifier for Werkzeug's pbkdf2:<hash>:<iterations> hashes (sha1,
// sha224, sha256, sha384, sha512) and scrypt:<n>:<r>:<p> hashes (the default since
// Werkzeug 2.3), bounded by l.
func NewWerkzeug(l Limits) *Werkzeug { return &Werkzeug{limits: l.withDefaults()} }

// Name implements Verifier.
func (*Werkzeug) Name() string { return "werkzeug" }

// Match implements Verifier: a method of "pbkdf2" or "scrypt", with or without
// ":"-separated arguments, before the first "$".
func (*Werkzeug) Match(encoded string) bool {
	method, _, ok := strings.Cut(encoded, "$")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(method, ":")
	return name == "pbkdf2" || name == "scrypt"
}

// Verify implements Verifier.
func (v *Werkzeug) Verify(password, encoded string) (Result, error) {
	res := Result{Format: v.Name()}
	if len(encoded) > maxEncodedLen {
		return res, errorf(ErrMalformed, "werkzeug: longer than %d bytes", maxEncodedLen)
	}
	parts := strings.SplitN(encoded, "$", 3)
	if len(parts) != 3 {
		return res, errorf(ErrMalformed, "werkzeug: want method$salt$hash")
	}
	method, salt, stored := parts[0], parts[1], parts[2]
	args := strings.Split(method, ":")
	var (
		derive func() ([]byte, error)
		keyLen int
	)
	switch args[0] {
	case "pbkdf2":
		switch {
		case len(args) < 3:
			return res, errorf(ErrUnsupported, "werkzeug: %q leaves the iterations to the checking release's default", method)
		case len(args) > 3:
			return res, errorf(ErrMalformed, "werkzeug: pbkdf2 takes a hash and iterations")
		}
		newHash, ok := werkzeugPBKDF2Hashes[args[1]]
		if !ok {
			return res, errorf(ErrUnsupported, "werkzeug: pbkdf2 with %q", args[1])
		}
		iter, err := parseDecimal(args[2], false)
		if err != nil {
			return res, err
		}
		if err := v.limits.checkPBKDF2(iter); err != nil {
			return res, err
		}
		keyLen = newHash().Size()
		derive = func() ([]byte, error) {
			return pbkdf2.Key(newHash, password, []byte(salt), iter, keyLen)
		}
	case "scrypt":
		n, r, p := 1<<15, 8, 1
		switch len(args) {
		case 1:
		case 4:
			var err error
			if n, err = parseDecimal(args[1], false); err != nil {
				return res, err
			}
			if r, err = parseDecimal(args[2], false); err != nil {
				return res, err
			}
			if p, err = parseDecimal(args[3], false); err != nil {
				return res, err
			}
		default:
			return res, errorf(ErrMalformed, "werkzeug: scrypt takes n, r and p")
		}
		if n < 2 || n&(n-1) != 0 {
			return res, errorf(ErrMalformed, "werkzeug: scrypt n=%d is not a power of two above 1", n)
		}
		if err := v.limits.checkScrypt(bits.TrailingZeros(uint(n)), uint64(r), uint64(p)); err != nil {
			return res, err
		}
		keyLen = werkzeugScryptKeyLen
		derive = func() ([]byte, error) {
			return scrypt.Key([]byte(password), []byte(salt), n, r, p, keyLen)
		}
	default:
		return res, errorf(ErrMalformed, "werkzeug: unknown method %q", args[0])
	}
	if len(stored) != hex.EncodedLen(keyLen) || !isLowerHex(stored) {
		return res, errorf(ErrMalformed, "werkzeug: hash is not %d lower-case hex digits", hex.EncodedLen(keyLen))
	}
	// Lower-case hex of the right length is a one-to-one encoding, so comparing bytes is
	// comparing the strings Werkzeug compares, without encoding the secret key.
	want, err := hex.DecodeString(stored)
	if err != nil {
		return res, errorf(ErrMalformed, "werkzeug: %v", err)
	}
	dk, err := derive()
	if err != nil {
		return res, errorf(ErrMalformed, "werkzeug: %v", err)
	}
	res.OK = subtle.ConstantTimeCompare(dk, want) == 1
	return res, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
