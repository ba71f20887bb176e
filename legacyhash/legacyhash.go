package legacyhash

import (
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Errors a Verify returns. Each is wrapped with the detail that explains it, so test with
// errors.Is. None of them ever means "wrong password".
var (
	// ErrUnknownFormat: no registered Verifier recognises the stored string.
	ErrUnknownFormat = errors.New("legacyhash: unknown hash format")
	// ErrMalformed: the string claims a known format but cannot be parsed, or could never
	// match any password (a bad checksum, a non-canonical encoding, a wrong digest length).
	ErrMalformed = errors.New("legacyhash: malformed hash")
	// ErrUnsupported: a well-formed variant of a known format that this package does not
	// verify, such as bcrypt $2x$ or argon2d.
	ErrUnsupported = errors.New("legacyhash: unsupported hash variant")
	// ErrLimit: the hash's cost parameters exceed the Limits, so it is refused unchecked.
	ErrLimit = errors.New("legacyhash: hash parameters exceed limits")
)

// maxEncodedLen bounds the stored strings any built-in format will parse. The longest
// legitimate one (argon2 with a long salt and tag) is a few hundred bytes.
const maxEncodedLen = 4096

// Note is something the caller may want to log about a verification.
type Note string

// NoteTruncated72 says that bcrypt compared only the first 72 bytes of the password, as the
// system that stored the hash did. The whole password still goes to the new store.
const NoteTruncated72 Note = "compared only the first 72 bytes of the password"

// Result is the outcome of checking a password against a stored hash.
type Result struct {
	// OK is true when the password matches.
	OK bool
	// Format is the Name of the Verifier that checked it.
	Format string
	// Notes are facts about the check worth logging; set whether or not OK.
	Notes []Note
}

// Has reports whether the Result carries note n.
func (r Result) Has(n Note) bool { return slices.Contains(r.Notes, n) }

// Verifier checks passwords against one family of stored hash strings.
// Implementations must be safe for concurrent use.
type Verifier interface {
	// Name identifies the format, e.g. "bcrypt". It is unique within a Registry.
	Name() string
	// Match reports whether encoded claims to be in this format. It looks only at the
	// syntax that sets the format apart (usually a prefix) and does no key derivation, so
	// a Verify of a matched string may still fail with ErrMalformed or ErrUnsupported.
	Match(encoded string) bool
	// Verify checks password against encoded. A wrong password is (Result{OK: false}, nil);
	// an error is returned only when encoded cannot be checked (ErrMalformed,
	// ErrUnsupported, ErrLimit), and then OK is false.
	Verify(password, encoded string) (Result, error)
}

// Registry holds the Verifiers a caller accepts and picks one for each stored string.
// The zero value is an empty Registry ready for Register; it is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	verifiers []Verifier
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

// Default returns a new Registry with every built-in format and the default Limits.
func Default() *Registry { return DefaultWithLimits(Limits{}) }

// DefaultWithLimits returns a new Registry with every built-in format, bounded by l
// (zero fields take their defaults).
func DefaultWithLimits(l Limits) *Registry {
	r := NewRegistry()
	r.Register(NewScryptKDF(l))
	r.Register(NewBcrypt(l))
	r.Register(NewArgon2(l))
	r.Register(NewDjango(l))
	r.Register(NewWerkzeug(l))
	return r
}

// Register adds v. Verifiers are tried by Detect in the order they were registered.
// It panics if v is nil or its name is already registered, as both are programming errors.
func (r *Registry) Register(v Verifier) {
	if v == nil {
		panic("legacyhash: Register of a nil Verifier")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.verifiers {
		if have.Name() == v.Name() {
			panic(fmt.Sprintf("legacyhash: Register called twice for format %q", v.Name()))
		}
	}
	r.verifiers = append(r.verifiers, v)
}

// Names lists the registered formats in registration order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, len(r.verifiers))
	for i, v := range r.verifiers {
		names[i] = v.Name()
	}
	return names
}

// Detect returns the first registered Verifier whose Match accepts encoded.
func (r *Registry) Detect(encoded string) (Verifier, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.verifiers {
		if v.Match(encoded) {
			return v, true
		}
	}
	return nil, false
}

// Verify checks password against encoded with the Verifier Detect picks. It returns
// ErrUnknownFormat when none matches; otherwise see Verifier.Verify.
func (r *Registry) Verify(password, encoded string) (Result, error) {
	v, ok := r.Detect(encoded)
	if !ok {
		return Result{}, ErrUnknownFormat
	}
	res, err := v.Verify(password, encoded)
	if res.Format == "" {
		res.Format = v.Name()
	}
	if err != nil {
		res.OK = false
	}
	return res, err
}

// errorf wraps one of the sentinel errors with a format-specific detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
