package legacyhash

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strings"
)

// Django stores PBKDF2 hashes as
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64 of the derived key>
//
// with the key as long as the digest and padded standard base64. Django re-encodes the
// whole string from the password and compares strings, so the iteration count must be in
// canonical decimal and the base64 canonical for any password to match.

type djangoAlgorithm struct {
	newHash func() hash.Hash
	size    int
}

var djangoAlgorithms = map[string]djangoAlgorithm{
	"pbkdf2_sha256": {sha256.New, sha256.Size},
	"pbkdf2_sha1":   {sha1.New, sha1.Size},
}

// Django verifies Django's PBKDF2 hashes (see NewDjango).
type Django struct{ limits Limits }

// NewDjango returns the Verifier for Django's pbkdf2_sha256 (the default hasher) and
// pbkdf2_sha1 hashes, bounded by l.
func NewDjango(l Limits) *Django { return &Django{limits: l.withDefaults()} }

// Name implements Verifier.
func (*Django) Name() string { return "django-pbkdf2" }

// Match implements Verifier: a "pbkdf2_sha256$" or "pbkdf2_sha1$" prefix.
func (*Django) Match(encoded string) bool {
	algo, _, ok := strings.Cut(encoded, "$")
	_, known := djangoAlgorithms[algo]
	return ok && known
}

// Verify implements Verifier.
func (v *Django) Verify(password, encoded string) (Result, error) {
	res := Result{Format: v.Name()}
	if len(encoded) > maxEncodedLen {
		return res, errorf(ErrMalformed, "django: longer than %d bytes", maxEncodedLen)
	}
	parts := strings.SplitN(encoded, "$", 4)
	if len(parts) != 4 {
		return res, errorf(ErrMalformed, "django: want algorithm$iterations$salt$hash")
	}
	algo, ok := djangoAlgorithms[parts[0]]
	if !ok {
		return res, errorf(ErrMalformed, "django: unknown algorithm %q", parts[0])
	}
	iter, err := parseDecimal(parts[1], true)
	if err != nil {
		return res, err
	}
	if err := v.limits.checkPBKDF2(iter); err != nil {
		return res, err
	}
	salt, stored := parts[2], parts[3]
	if salt == "" {
		return res, errorf(ErrMalformed, "django: empty salt")
	}
	// Padded base64 of exactly the digest size, decoded strictly, is a one-to-one encoding,
	// so comparing bytes is comparing the strings Django compares, without encoding the key.
	if len(stored) != base64.StdEncoding.EncodedLen(algo.size) {
		return res, errorf(ErrMalformed, "django: hash is not %d bytes of base64", algo.size)
	}
	want, err := base64.StdEncoding.Strict().DecodeString(stored)
	if err != nil || len(want) != algo.size {
		return res, errorf(ErrMalformed, "django: hash is not canonical base64")
	}
	dk, err := pbkdf2.Key(algo.newHash, password, []byte(salt), iter, algo.size)
	if err != nil {
		return res, errorf(ErrMalformed, "django: %v", err)
	}
	res.OK = subtle.ConstantTimeCompare(dk, want) == 1
	return res, nil
}
