package legacyhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scrypt-kdf key layout (all integers big-endian), 96 bytes:
//
//	0  6  "scrypt"
//	6  1  version, 0
//	7  1  logN (N = 2^logN)
//	8  4  r
//	12 4  p
//	16 32 salt
//	48 16 SHA-256(bytes[0:48])[0:16], the header checksum
//	64 32 HMAC-SHA256(key = dk[32:64], bytes[0:64]), dk = scrypt(password, salt, N, r, p, 64)
//
// Medusa stores it as standard base64: 128 characters, no padding. Medusa v1 used
// logN=1 r=1 p=1 (prefix c2NyeXB0AAEAAAABAAAAA); Medusa v2 defaults to logN=15 r=8 p=1
// (prefix c2NyeXB0AA8AAAAIAAAAA) and lets a store configure others.
const (
	scryptKDFLen        = 96
	scryptKDFEncodedLen = 128
	// scryptKDFPrefix is the base64 of the "scrypt" magic.
	scryptKDFPrefix = "c2NyeXB0"
)

// ScryptKDF verifies scrypt-kdf keys as Medusa stores them (see NewScryptKDF).
type ScryptKDF struct{ limits Limits }

// NewScryptKDF returns the Verifier for base64 scrypt-kdf keys, Medusa v1's and v2's
// password hashes, bounded by l.
func NewScryptKDF(l Limits) *ScryptKDF { return &ScryptKDF{limits: l.withDefaults()} }

// Name implements Verifier.
func (*ScryptKDF) Name() string { return "scrypt-kdf" }

// Match implements Verifier: 128 characters starting with the base64 of "scrypt".
func (*ScryptKDF) Match(encoded string) bool {
	return len(encoded) == scryptKDFEncodedLen && strings.HasPrefix(encoded, scryptKDFPrefix)
}

// Verify implements Verifier. It checks the header checksum before any scrypt work, then
// recomputes the HMAC with the second half of the derived key, exactly as scrypt-kdf's
// verify does. A checksum mismatch is ErrMalformed (scrypt-kdf answers false): the header
// is corrupt, so no password can match.
func (v *ScryptKDF) Verify(password, encoded string) (Result, error) {
	res := Result{Format: v.Name()}
	k, err := parseScryptKDF(encoded)
	if err != nil {
		return res, err
	}
	if err := v.limits.checkScrypt(int(k.logN), uint64(k.r), uint64(k.p)); err != nil {
		return res, err
	}
	dk, err := scrypt.Key([]byte(password), k.raw[16:48], 1<<k.logN, int(k.r), int(k.p), 64)
	if err != nil {
		return res, errorf(ErrMalformed, "scrypt-kdf: %v", err)
	}
	mac := hmac.New(sha256.New, dk[32:])
	mac.Write(k.raw[0:64])
	res.OK = subtle.ConstantTimeCompare(mac.Sum(nil), k.raw[64:96]) == 1
	return res, nil
}

type scryptKDFKey struct {
	raw  []byte
	logN uint8
	r, p uint32
}

// parseScryptKDF decodes and checks everything about a key except the HMAC and the limits.
func parseScryptKDF(encoded string) (scryptKDFKey, error) {
	if len(encoded) != scryptKDFEncodedLen {
		return scryptKDFKey{}, errorf(ErrMalformed, "scrypt-kdf: want %d base64 characters, have %d", scryptKDFEncodedLen, len(encoded))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil || len(raw) != scryptKDFLen {
		return scryptKDFKey{}, errorf(ErrMalformed, "scrypt-kdf: not the base64 of a %d-byte key", scryptKDFLen)
	}
	if string(raw[0:6]) != "scrypt" {
		return scryptKDFKey{}, errorf(ErrMalformed, "scrypt-kdf: missing \"scrypt\" magic")
	}
	if raw[6] != 0 {
		return scryptKDFKey{}, errorf(ErrUnsupported, "scrypt-kdf: version %d", raw[6])
	}
	sum := sha256.Sum256(raw[0:48])
	if subtle.ConstantTimeCompare(sum[:16], raw[48:64]) != 1 {
		return scryptKDFKey{}, errorf(ErrMalformed, "scrypt-kdf: header checksum mismatch")
	}
	return scryptKDFKey{
		raw:  raw,
		logN: raw[7],
		r:    binary.BigEndian.Uint32(raw[8:12]),
		p:    binary.BigEndian.Uint32(raw[12:16]),
	}, nil
}
