package legacyhash

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcrypt hashes are 60 characters: "$2b$", a two-digit cost, "$", 22 characters of salt and
// 31 of digest in bcrypt's own base64 alphabet.
const (
	bcryptEncodedLen = 60
	bcryptMaxKey     = 72
	bcryptAlphabet   = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Bcrypt verifies $2a$, $2b$ and $2y$ bcrypt hashes (see NewBcrypt).
type Bcrypt struct{ limits Limits }

// NewBcrypt returns the Verifier for bcrypt hashes, bounded by l.
//
// $2a$, $2b$ and $2y$ differ only in bugs of particular C implementations that do not
// affect passwords of at most 72 bytes, so all three are verified alike. $2x$ (hashes
// made by a sign-extension bug) and the original $2$ (no NUL terminator on the key) are
// ErrUnsupported.
func NewBcrypt(l Limits) *Bcrypt { return &Bcrypt{limits: l.withDefaults()} }

// Name implements Verifier.
func (*Bcrypt) Name() string { return "bcrypt" }

// Match implements Verifier: "$2$" or "$2" followed by one letter and "$".
func (*Bcrypt) Match(encoded string) bool {
	if strings.HasPrefix(encoded, "$2$") {
		return true
	}
	return len(encoded) >= 4 && encoded[:2] == "$2" && isASCIILetter(encoded[2]) && encoded[3] == '$'
}

// Verify implements Verifier. Only the first 72 bytes of a longer password are compared,
// as by the implementation that made the hash; the Result then carries NoteTruncated72.
func (v *Bcrypt) Verify(password, encoded string) (Result, error) {
	res := Result{Format: v.Name()}
	if err := v.parse(encoded); err != nil {
		return res, err
	}
	pw := []byte(password)
	if len(pw) > bcryptMaxKey {
		pw = pw[:bcryptMaxKey]
		res.Notes = append(res.Notes, NoteTruncated72)
	}
	// CompareHashAndPassword compares with crypto/subtle.
	switch err := bcrypt.CompareHashAndPassword([]byte(encoded), pw); {
	case err == nil:
		res.OK = true
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
	default:
		return res, errorf(ErrMalformed, "bcrypt: %v", err)
	}
	return res, nil
}

// parse checks everything the comparison relies on, so that the only error left for
// CompareHashAndPassword is a mismatch.
func (v *Bcrypt) parse(encoded string) error {
	if !v.Match(encoded) {
		return errorf(ErrMalformed, "bcrypt: no $2<minor>$ prefix")
	}
	if encoded[2] == '$' {
		return errorf(ErrUnsupported, "bcrypt: $2$ hashes")
	}
	switch encoded[2] {
	case 'a', 'b', 'y':
	default:
		return errorf(ErrUnsupported, "bcrypt: $2%c$ hashes", encoded[2])
	}
	if len(encoded) != bcryptEncodedLen {
		return errorf(ErrMalformed, "bcrypt: want %d characters, have %d", bcryptEncodedLen, len(encoded))
	}
	if encoded[6] != '$' {
		return errorf(ErrMalformed, "bcrypt: cost must be two digits")
	}
	cost, err := parseDecimal(encoded[4:6], false)
	if err != nil {
		return err
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return errorf(ErrMalformed, "bcrypt: cost %d outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cost > v.limits.BcryptMaxCost {
		return errorf(ErrLimit, "bcrypt: cost %d above %d", cost, v.limits.BcryptMaxCost)
	}
	salt, digest := encoded[7:29], encoded[29:]
	for i := 0; i < len(encoded)-7; i++ {
		if strings.IndexByte(bcryptAlphabet, encoded[7+i]) < 0 {
			return errorf(ErrMalformed, "bcrypt: character %q outside bcrypt's base64", encoded[7+i])
		}
	}
	// 16 salt bytes fill 22 characters with 4 bits to spare, 23 digest bytes fill 31 with
	// 2 to spare. Implementations re-encode before comparing, so a string whose spare bits
	// are set can never match: refuse it rather than answer false for every password.
	if strings.IndexByte(bcryptAlphabet, salt[21])%16 != 0 || strings.IndexByte(bcryptAlphabet, digest[30])%4 != 0 {
		return errorf(ErrMalformed, "bcrypt: non-canonical base64")
	}
	return nil
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
