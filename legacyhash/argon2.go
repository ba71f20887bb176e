package legacyhash

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 PHC strings:
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>
//
// salt and tag are unpadded standard base64. The reference implementation writes the
// parameters as m,t,p; the argon2 npm package writes m,p,t (it serialises an object whose
// keys are in that order), so any order is accepted, each parameter exactly once. Without a
// v= field the version is 16 (0x10), as both the reference decoder and the npm package read it.
const (
	argon2MinSalt = 8
	argon2MaxSalt = 1024
	argon2MinTag  = 4
	argon2MaxTag  = 1024
)

var phcB64 = base64.RawStdEncoding.Strict()

// Argon2 verifies argon2id and argon2i PHC strings (see NewArgon2).
type Argon2 struct{ limits Limits }

// NewArgon2 returns the Verifier for argon2id and argon2i PHC strings, versions 19 and 16,
// bounded by l. argon2d, a data= (associated data) parameter and keyid= are ErrUnsupported.
// A hash made with a secret (pepper) cannot be told apart and will not verify.
func NewArgon2(l Limits) *Argon2 { return &Argon2{limits: l.withDefaults()} }

// Name implements Verifier.
func (*Argon2) Name() string { return "argon2" }

// Match implements Verifier: a "$argon2" prefix (argon2i, argon2id, and argon2d, which
// Verify refuses as unsupported).
func (*Argon2) Match(encoded string) bool { return strings.HasPrefix(encoded, "$argon2") }

type argon2Hash struct {
	mode    argon2Mode
	version uint32
	m, t, p uint32
	salt    []byte
	tag     []byte
}

// Verify implements Verifier.
func (v *Argon2) Verify(password, encoded string) (Result, error) {
	res := Result{Format: v.Name()}
	h, err := v.parse(encoded)
	if err != nil {
		return res, err
	}
	var got []byte
	switch {
	case h.version == argon2.Version && h.mode == argon2id:
		got = argon2.IDKey([]byte(password), h.salt, h.t, h.m, uint8(h.p), uint32(len(h.tag)))
	case h.version == argon2.Version && h.mode == argon2i:
		got = argon2.Key([]byte(password), h.salt, h.t, h.m, uint8(h.p), uint32(len(h.tag)))
	default:
		// x/crypto/argon2 implements only version 0x13; the older version uses this
		// package's own implementation.
		got = argon2Derive(h.mode, h.version, []byte(password), h.salt, h.t, h.m, h.p, uint32(len(h.tag)))
	}
	res.OK = subtle.ConstantTimeCompare(got, h.tag) == 1
	return res, nil
}

func (v *Argon2) parse(encoded string) (argon2Hash, error) {
	var h argon2Hash
	if len(encoded) > maxEncodedLen {
		return h, errorf(ErrMalformed, "argon2: longer than %d bytes", maxEncodedLen)
	}
	if !strings.HasPrefix(encoded, "$") {
		return h, errorf(ErrMalformed, "argon2: no leading $")
	}
	// encoding/base64 skips line breaks; a PHC string has none.
	if strings.ContainsAny(encoded, "\r\n") {
		return h, errorf(ErrMalformed, "argon2: line break")
	}
	fields := strings.Split(encoded[1:], "$")
	switch fields[0] {
	case "argon2id":
		h.mode = argon2id
	case "argon2i":
		h.mode = argon2i
	case "argon2d":
		return h, errorf(ErrUnsupported, "argon2: argon2d")
	default:
		return h, errorf(ErrMalformed, "argon2: unknown variant %q", fields[0])
	}
	fields = fields[1:]
	h.version = argon2Version10
	if len(fields) > 0 && strings.HasPrefix(fields[0], "v=") {
		ver, err := parseDecimal(fields[0][2:], true)
		if err != nil {
			return h, err
		}
		switch ver {
		case argon2Version10, argon2Version13:
			h.version = uint32(ver)
		default:
			return h, errorf(ErrUnsupported, "argon2: version %d", ver)
		}
		fields = fields[1:]
	}
	if len(fields) != 3 {
		return h, errorf(ErrMalformed, "argon2: want $params$salt$hash")
	}
	if err := h.parseParams(fields[0]); err != nil {
		return h, err
	}
	var err error
	if h.salt, err = phcB64.DecodeString(fields[1]); err != nil {
		return h, errorf(ErrMalformed, "argon2: salt is not unpadded base64")
	}
	if h.tag, err = phcB64.DecodeString(fields[2]); err != nil {
		return h, errorf(ErrMalformed, "argon2: hash is not unpadded base64")
	}
	if len(h.salt) < argon2MinSalt || len(h.salt) > argon2MaxSalt {
		return h, errorf(ErrMalformed, "argon2: salt of %d bytes, want %d..%d", len(h.salt), argon2MinSalt, argon2MaxSalt)
	}
	if len(h.tag) < argon2MinTag || len(h.tag) > argon2MaxTag {
		return h, errorf(ErrMalformed, "argon2: hash of %d bytes, want %d..%d", len(h.tag), argon2MinTag, argon2MaxTag)
	}
	return h, v.checkLimits(h)
}

func (h *argon2Hash) parseParams(s string) error {
	seen := map[string]bool{}
	for kv := range strings.SplitSeq(s, ",") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return errorf(ErrMalformed, "argon2: parameter %q is not name=value", kv)
		}
		if seen[name] {
			return errorf(ErrMalformed, "argon2: parameter %q given twice", name)
		}
		seen[name] = true
		var dst *uint32
		switch name {
		case "m":
			dst = &h.m
		case "t":
			dst = &h.t
		case "p":
			dst = &h.p
		case "data", "keyid":
			return errorf(ErrUnsupported, "argon2: %s= parameter", name)
		default:
			return errorf(ErrMalformed, "argon2: unknown parameter %q", name)
		}
		n, err := parseDecimal(value, true)
		if err != nil {
			return err
		}
		if n > 1<<32-1 {
			return errorf(ErrLimit, "argon2: %s=%d", name, n)
		}
		*dst = uint32(n)
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return errorf(ErrMalformed, "argon2: m, t and p are all required")
	}
	return nil
}

func (v *Argon2) checkLimits(h argon2Hash) error {
	l := v.limits
	switch {
	case h.t < 1:
		return errorf(ErrMalformed, "argon2: t must be at least 1")
	case h.p < 1 || h.p > 1<<24-1:
		return errorf(ErrMalformed, "argon2: p must be 1..2^24-1")
	case uint64(h.m) < 8*uint64(h.p):
		return errorf(ErrMalformed, "argon2: m must be at least 8·p")
	case h.p > l.Argon2MaxParallelism || h.p > 255:
		return errorf(ErrLimit, "argon2: p=%d above %d", h.p, min(l.Argon2MaxParallelism, 255))
	case h.m > l.Argon2MaxMemoryKiB:
		return errorf(ErrLimit, "argon2: m=%d KiB above %d", h.m, l.Argon2MaxMemoryKiB)
	case h.t > l.Argon2MaxTime:
		return errorf(ErrLimit, "argon2: t=%d above %d", h.t, l.Argon2MaxTime)
	case uint64(h.m)*uint64(h.t) > l.Argon2MaxWorkKiB:
		return errorf(ErrLimit, "argon2: m·t=%d KiB above %d", uint64(h.m)*uint64(h.t), l.Argon2MaxWorkKiB)
	}
	return nil
}
