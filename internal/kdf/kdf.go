package kdf

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Algorithm names, as they appear in specs and in encoded hashes.
const (
	Argon2id     = "argon2id"
	PBKDF2SHA256 = "pbkdf2-sha256"
)

// DefaultSpec is OWASP's recommended argon2id configuration.
const DefaultSpec = "argon2id:m=19456,t=2,p=1"

const (
	saltLen = 16
	keyLen  = 32
)

// Bounds on parameters, for configuration and for decoding stored hashes alike, so that any
// hash this package can produce it can also verify. The upper bounds cap the work one Verify
// can be made to do; the lower bounds refuse settings too weak to be worth storing.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxTime       = 32
	maxThreads    = 255
	minIterations = 1000
	maxIterations = 10_000_000
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
)

// ErrMalformed is wrapped by every error about an encoded hash that cannot be used.
var ErrMalformed = errors.New("kdf: malformed password hash")

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding.Strict()

// Params is a parsed KDF configuration. Obtain one from Parse; it is immutable and safe for
// concurrent use.
type Params struct {
	alg        string
	memory     uint32 // argon2id, KiB
	time       uint32 // argon2id, passes
	threads    uint8  // argon2id, lanes
	iterations int    // pbkdf2-sha256
	// dummy is a hash made with these parameters, verified against when there is no real
	// hash so that an unknown user costs as much as a known one.
	dummy string
}

// Parse reads a KDF spec: "argon2id:m=KiB,t=passes,p=lanes" or "pbkdf2-sha256:i=iterations".
// Keys may come in any order and omitted ones take OWASP's values (m=19456, t=2, p=1;
// i=600000), so "argon2id" alone is the default. An empty spec is DefaultSpec.
//
// Parse computes one hash with the result (for DummyVerify), so it costs about one Hash.
func Parse(spec string) (Params, error) {
	p, err := parseSpec(spec)
	if err != nil {
		return Params{}, err
	}
	dummy, err := p.Hash("dummy password for timing equalization")
	if err != nil {
		return Params{}, err
	}
	p.dummy = dummy
	return p, nil
}

// parseSpec is Parse without the dummy hash.
func parseSpec(spec string) (Params, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = DefaultSpec
	}
	alg, args, _ := strings.Cut(spec, ":")
	var p Params
	switch alg {
	case Argon2id:
		p = Params{alg: Argon2id, memory: 19456, time: 2, threads: 1}
	case PBKDF2SHA256:
		p = Params{alg: PBKDF2SHA256, iterations: 600_000}
	default:
		return Params{}, fmt.Errorf("kdf: unknown algorithm %q in %q (want %s or %s)", alg, spec, Argon2id, PBKDF2SHA256)
	}
	if args != "" {
		seen := make(map[string]bool)
		for kv := range strings.SplitSeq(args, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || seen[k] {
				return Params{}, fmt.Errorf("kdf: bad parameter %q in %q", kv, spec)
			}
			seen[k] = true
			if err := p.set(k, v); err != nil {
				return Params{}, fmt.Errorf("kdf: %w in %q", err, spec)
			}
		}
	}
	if err := p.validate(); err != nil {
		return Params{}, fmt.Errorf("kdf: %w in %q", err, spec)
	}
	return p, nil
}

func (p *Params) set(k, v string) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return fmt.Errorf("parameter %s=%q is not a whole number below 2^32", k, v)
	}
	switch {
	case p.alg == Argon2id && k == "m":
		p.memory = uint32(n)
	case p.alg == Argon2id && k == "t":
		p.time = uint32(n)
	case p.alg == Argon2id && k == "p":
		if n > maxThreads {
			return fmt.Errorf("p=%d is out of range 1..%d", n, maxThreads)
		}
		p.threads = uint8(n)
	case p.alg == PBKDF2SHA256 && k == "i":
		p.iterations = int(n)
	default:
		return fmt.Errorf("unknown parameter %q for %s", k, p.alg)
	}
	return nil
}

func (p Params) validate() error {
	switch p.alg {
	case Argon2id:
		if p.threads < 1 {
			return fmt.Errorf("p=%d is out of range 1..%d", p.threads, maxThreads)
		}
		if p.time < 1 || p.time > maxTime {
			return fmt.Errorf("t=%d is out of range 1..%d", p.time, maxTime)
		}
		// Argon2 needs 8 KiB per lane; below that the library would silently raise m.
		if minMem := 8 * uint32(p.threads); p.memory < minMem || p.memory > maxMemoryKiB {
			return fmt.Errorf("m=%d is out of range %d..%d (KiB; at least 8 per lane)", p.memory, minMem, maxMemoryKiB)
		}
	case PBKDF2SHA256:
		if p.iterations < minIterations || p.iterations > maxIterations {
			return fmt.Errorf("i=%d is out of range %d..%d", p.iterations, minIterations, maxIterations)
		}
	default:
		return errors.New("kdf: Params not made by Parse")
	}
	return nil
}

// String returns the spec that Parse would turn into p.
func (p Params) String() string {
	switch p.alg {
	case Argon2id:
		return fmt.Sprintf("%s:m=%d,t=%d,p=%d", Argon2id, p.memory, p.time, p.threads)
	case PBKDF2SHA256:
		return fmt.Sprintf("%s:i=%d", PBKDF2SHA256, p.iterations)
	}
	return ""
}

// Algorithm returns Argon2id or PBKDF2SHA256.
func (p Params) Algorithm() string { return p.alg }

// Hash derives a hash of password with a new random salt and returns it as a PHC string:
// "$argon2id$v=19$m=…,t=…,p=…$salt$hash" or "$pbkdf2-sha256$i=…$salt$hash".
func (p Params) Hash(password string) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails: the runtime aborts if the system cannot supply randomness
	key, err := derive(p, password, salt, keyLen)
	if err != nil {
		return "", err
	}
	return encode(p, salt, key), nil
}

// Verify reports whether password matches encoded, a string made by Hash with any
// parameters. err is non-nil (wrapping ErrMalformed) only when encoded cannot be decoded or
// asks for parameters beyond this package's bounds.
func Verify(password, encoded string) (ok bool, err error) {
	d, err := decode(encoded)
	if err != nil {
		return false, err
	}
	key, err := derive(d.params, password, d.salt, len(d.key))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, d.key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than p (or cannot be
// decoded), so the caller should store a new hash the next time it knows the password.
func (p Params) NeedsRehash(encoded string) bool {
	d, err := decode(encoded)
	if err != nil {
		return true
	}
	return !d.params.sameAs(p) || len(d.salt) != saltLen || len(d.key) != keyLen
}

func (p Params) sameAs(q Params) bool {
	return p.alg == q.alg && p.memory == q.memory && p.time == q.time &&
		p.threads == q.threads && p.iterations == q.iterations
}

var (
	defaultOnce   sync.Once
	defaultParams Params
)

// DummyVerify does the work of Verify for a password that has no stored hash, such as
// one given for a user that does not exist, so response times do not reveal which users
// exist. Its result is meaningless and discarded.
func (p Params) DummyVerify(password string) {
	dummy := p.dummy
	if dummy == "" {
		defaultOnce.Do(func() { defaultParams, _ = Parse(DefaultSpec) })
		dummy = defaultParams.dummy
	}
	Verify(password, dummy)
}

func derive(p Params, password string, salt []byte, n int) ([]byte, error) {
	switch p.alg {
	case Argon2id:
		return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(n)), nil
	case PBKDF2SHA256:
		key, err := pbkdf2.Key(sha256.New, password, salt, p.iterations, n)
		if err != nil {
			return nil, fmt.Errorf("kdf: %w", err)
		}
		return key, nil
	}
	return nil, errors.New("kdf: Params not made by Parse")
}

func encode(p Params, salt, key []byte) string {
	var head string
	switch p.alg {
	case Argon2id:
		head = fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d", Argon2id, argon2.Version, p.memory, p.time, p.threads)
	case PBKDF2SHA256:
		head = fmt.Sprintf("$%s$i=%d", PBKDF2SHA256, p.iterations)
	}
	return head + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
}

type decoded struct {
	params    Params
	salt, key []byte
}

// decode parses a PHC string strictly: the exact fields, order and spelling that encode
// writes. Each hash therefore has one spelling, and nothing in a stored string is ignored.
func decode(encoded string) (decoded, error) {
	malformed := func(why string) (decoded, error) {
		return decoded{}, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	// The base64 decoder skips line breaks, which would give one hash several spellings.
	if strings.ContainsAny(encoded, "\r\n") {
		return malformed("line break in hash")
	}
	fields := strings.Split(encoded, "$")
	if len(fields) < 2 || fields[0] != "" {
		return malformed("not a PHC string")
	}
	var d decoded
	var rest []string
	switch fields[1] {
	case Argon2id:
		if len(fields) != 6 {
			return malformed("argon2id hash must have 5 fields")
		}
		if fields[2] != "v="+strconv.Itoa(argon2.Version) {
			return malformed("unsupported argon2 version")
		}
		d.params.alg = Argon2id
		m, t, p, ok := parseArgonParams(fields[3])
		if !ok {
			return malformed("bad argon2id parameters")
		}
		if p > maxThreads {
			return malformed("argon2id parameters out of bounds")
		}
		d.params.memory, d.params.time, d.params.threads = m, t, uint8(p)
		rest = fields[4:]
	case PBKDF2SHA256:
		if len(fields) != 5 {
			return malformed("pbkdf2-sha256 hash must have 4 fields")
		}
		i, ok := strings.CutPrefix(fields[2], "i=")
		n, err := parseNumber(i)
		if !ok || err != nil {
			return malformed("bad pbkdf2-sha256 parameters")
		}
		d.params.alg = PBKDF2SHA256
		d.params.iterations = int(n)
		rest = fields[3:]
	default:
		return malformed("unsupported algorithm")
	}
	if err := d.params.validate(); err != nil {
		return malformed("parameters out of bounds: " + err.Error())
	}
	var err error
	if d.salt, err = b64.DecodeString(rest[0]); err != nil || len(d.salt) < minSaltLen || len(d.salt) > maxSaltLen {
		return malformed("bad salt")
	}
	if d.key, err = b64.DecodeString(rest[1]); err != nil || len(d.key) < minKeyLen || len(d.key) > maxKeyLen {
		return malformed("bad hash")
	}
	return d, nil
}

func parseArgonParams(s string) (m, t, p uint32, ok bool) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var vals [3]uint32
	for i, prefix := range []string{"m=", "t=", "p="} {
		v, found := strings.CutPrefix(parts[i], prefix)
		n, err := parseNumber(v)
		if !found || err != nil {
			return 0, 0, 0, false
		}
		vals[i] = n
	}
	return vals[0], vals[1], vals[2], true
}

// parseNumber accepts only canonical decimal: no sign, no leading zeros, at most 32 bits.
func parseNumber(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || s[0] == '+' {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}
