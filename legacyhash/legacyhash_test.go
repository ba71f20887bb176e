package legacyhash

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// sample returns the first matching vector of a format whose case starts with prefix.
func sample(t testing.TB, format, casePrefix string) vector {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Format == format && strings.HasPrefix(v.Case, casePrefix) && v.OK {
			return v
		}
	}
	t.Fatalf("no matching vector for %s %q", format, casePrefix)
	return vector{}
}

func TestDefaultNamesAndDetect(t *testing.T) {
	reg := Default()
	want := []string{"scrypt-kdf", "bcrypt", "argon2", "django-pbkdf2", "werkzeug"}
	if got := reg.Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, v := range loadVectors(t) {
		if v.Error != "" {
			continue
		}
		got, ok := reg.Detect(v.Hash)
		if !ok || got.Name() != v.Format {
			t.Errorf("Detect(%q) = %v, %v; want %s", v.Hash, got, ok, v.Format)
		}
	}
}

// TestMatchDisjoint: no stored string is claimed by two built-in formats, so registration
// order never changes which verifier checks a hash.
func TestMatchDisjoint(t *testing.T) {
	reg := Default()
	var inputs []string
	for _, v := range loadVectors(t) {
		inputs = append(inputs, v.Hash)
	}
	inputs = append(inputs, "", "$", "$2", "$2$", "$argon2", "pbkdf2", "pbkdf2$", "scrypt$", "pbkdf2_sha256$",
		"c2NyeXB0"+strings.Repeat("A", 120), "scrypt:pbkdf2_sha256$", "$argon2$2b$")
	for _, s := range inputs {
		var claimed []string
		for _, name := range reg.Names() {
			v := verifierByName(t, reg, name)
			if v.Match(s) {
				claimed = append(claimed, name)
			}
		}
		if len(claimed) > 1 {
			t.Errorf("%q claimed by %v", s, claimed)
		}
	}
}

func verifierByName(t testing.TB, reg *Registry, name string) Verifier {
	t.Helper()
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	for _, v := range reg.verifiers {
		if v.Name() == name {
			return v
		}
	}
	t.Fatalf("no verifier %q", name)
	return nil
}

func TestUnknownFormat(t *testing.T) {
	reg := Default()
	for _, s := range []string{"", "plain", "md5$abc", "$1$salt$hash", "$6$rounds=5000$x$y", "sha1$salt$hex", "{SSHA}abc",
		"c2NyeXB0AAEAAAABAAAAA" /* a scrypt-kdf prefix, too short */, "argon2$argon2id$v=19$m=1,t=1,p=1$x$y"} {
		res, err := reg.Verify("pw", s)
		if !errors.Is(err, ErrUnknownFormat) || res.OK {
			t.Errorf("Verify(%q) = %+v, %v; want ErrUnknownFormat", s, res, err)
		}
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a, b := Default(), Default()
	a.Register(stubVerifier{name: "stub", prefix: "stub$"})
	if _, ok := b.Detect("stub$x"); ok {
		t.Fatal("registering on one Default registry changed another")
	}
	if _, ok := a.Detect("stub$x"); !ok {
		t.Fatal("registered verifier not detected")
	}
}

type stubVerifier struct {
	name, prefix string
	res          Result
	err          error
}

func (s stubVerifier) Name() string                       { return s.name }
func (s stubVerifier) Match(encoded string) bool          { return strings.HasPrefix(encoded, s.prefix) }
func (s stubVerifier) Verify(_, _ string) (Result, error) { return s.res, s.err }

func TestRegistryVerifyFillsFormatAndClearsOKOnError(t *testing.T) {
	reg := NewRegistry()
	reg.Register(stubVerifier{name: "ok", prefix: "ok$", res: Result{OK: true}})
	reg.Register(stubVerifier{name: "bad", prefix: "bad$", res: Result{OK: true}, err: errorf(ErrMalformed, "stub")})
	res, err := reg.Verify("pw", "ok$x")
	if err != nil || !res.OK || res.Format != "ok" {
		t.Fatalf("got %+v, %v", res, err)
	}
	res, err = reg.Verify("pw", "bad$x")
	if !errors.Is(err, ErrMalformed) || res.OK || res.Format != "bad" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestRegisterPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("nil", func() { NewRegistry().Register(nil) })
	mustPanic("duplicate", func() { Default().Register(NewBcrypt(Limits{})) })
	var zero Registry // the zero value is usable
	zero.Register(NewBcrypt(Limits{}))
	if len(zero.Names()) != 1 {
		t.Fatal("zero Registry did not register")
	}
}

func TestDefaultLimits(t *testing.T) {
	l := DefaultLimits()
	want := Limits{
		ScryptMaxLogN: 20, ScryptMaxMemory: 256 << 20, ScryptMaxWork: 1 << 30,
		BcryptMaxCost:      16,
		Argon2MaxMemoryKiB: 256 << 10, Argon2MaxTime: 16, Argon2MaxParallelism: 64, Argon2MaxWorkKiB: 1 << 20,
		PBKDF2MaxIterations: 10_000_000,
	}
	if l != want {
		t.Fatalf("DefaultLimits() = %+v, want %+v", l, want)
	}
	// A field set by the caller is kept; the rest default.
	l = Limits{BcryptMaxCost: 8}.withDefaults()
	if l.BcryptMaxCost != 8 || l.PBKDF2MaxIterations != 10_000_000 {
		t.Fatalf("withDefaults = %+v", l)
	}
}

// TestLimitsApply lowers each limit under a real hash and expects ErrLimit before any work.
func TestLimitsApply(t *testing.T) {
	cases := []struct {
		name   string
		limits Limits
		format string
		casePx string
	}{
		{"scrypt-kdf logN", Limits{ScryptMaxLogN: 14}, "scrypt-kdf", "medusa-v2 logN=15"},
		{"scrypt-kdf memory", Limits{ScryptMaxMemory: 16 << 20}, "scrypt-kdf", "medusa-v2 logN=15"},
		{"scrypt-kdf work", Limits{ScryptMaxWork: 4 << 20}, "scrypt-kdf", "medusa-v2 custom hashConfig"},
		{"bcrypt cost", Limits{BcryptMaxCost: 9}, "bcrypt", "$2b$10"},
		{"argon2 memory", Limits{Argon2MaxMemoryKiB: 32 << 10}, "argon2", "argon2id v=19 npm defaults"},
		{"argon2 time", Limits{Argon2MaxTime: 2}, "argon2", "argon2id v=19 npm defaults"},
		{"argon2 lanes", Limits{Argon2MaxParallelism: 2}, "argon2", "argon2id v=19 npm defaults"},
		{"argon2 work", Limits{Argon2MaxWorkKiB: 100 << 10}, "argon2", "argon2id v=19 npm defaults"},
		{"django iterations", Limits{PBKDF2MaxIterations: 999_999}, "django-pbkdf2", "pbkdf2_sha256 1000000"},
		{"werkzeug pbkdf2 iterations", Limits{PBKDF2MaxIterations: 999}, "werkzeug", "pbkdf2:sha256:1000"},
		{"werkzeug scrypt N", Limits{ScryptMaxLogN: 14}, "werkzeug", "default (scrypt:32768:8:1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := sample(t, c.format, c.casePx)
			res, err := DefaultWithLimits(c.limits).Verify(v.Password, v.Hash)
			if !errors.Is(err, ErrLimit) || res.OK {
				t.Fatalf("Verify = %+v, %v; want ErrLimit", res, err)
			}
		})
	}
}

func TestBcryptTruncationNote(t *testing.T) {
	v := sample(t, "bcrypt", "100-byte password")
	b := NewBcrypt(Limits{})
	res, err := b.Verify(v.Password, v.Hash)
	if err != nil || !res.OK || !res.Has(NoteTruncated72) {
		t.Fatalf("100-byte password: %+v, %v", res, err)
	}
	res, err = b.Verify(v.Password[:72], v.Hash)
	if err != nil || !res.OK || res.Has(NoteTruncated72) {
		t.Fatalf("first 72 bytes: %+v, %v", res, err)
	}
	// A wrong password over 72 bytes is still reported as compared on 72 bytes.
	res, err = b.Verify(strings.Repeat("z", 80), v.Hash)
	if err != nil || res.OK || !res.Has(NoteTruncated72) {
		t.Fatalf("wrong long password: %+v, %v", res, err)
	}
}

func TestParseDecimal(t *testing.T) {
	for _, c := range []struct {
		s         string
		canonical bool
		want      int
		err       error
	}{
		{"0", true, 0, nil},
		{"1000", true, 1000, nil},
		{"01000", false, 1000, nil},
		{"01000", true, 0, ErrMalformed},
		{"", false, 0, ErrMalformed},
		{"+1", false, 0, ErrMalformed},
		{"-1", false, 0, ErrMalformed},
		{"1_000", false, 0, ErrMalformed},
		{"١", false, 0, ErrMalformed},
		{"99999999999999999999999", false, 0, ErrLimit},
	} {
		got, err := parseDecimal(c.s, c.canonical)
		if !errors.Is(err, c.err) || (c.err == nil && got != c.want) {
			t.Errorf("parseDecimal(%q, %v) = %d, %v; want %d, %v", c.s, c.canonical, got, err, c.want, c.err)
		}
	}
}

// TestErrorsNeverDependOnPassword: whether a stored string can be checked is a property of
// the string alone.
func TestErrorsNeverDependOnPassword(t *testing.T) {
	reg := Default()
	for _, v := range loadVectors(t) {
		if v.Error == "" || v.Error == "limit" {
			continue
		}
		_, err1 := reg.Verify(v.Password, v.Hash)
		_, err2 := reg.Verify(v.Password+"other", v.Hash)
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("%s %s: error %v with one password, %v with another", v.Format, v.Case, err1, err2)
		}
	}
}

// TestCheckScryptNoOverflow: even with limits raised to absurd values, the memory and work
// products cannot overflow into letting a hash through.
func TestCheckScryptNoOverflow(t *testing.T) {
	huge := Limits{ScryptMaxLogN: 1 << 20, ScryptMaxMemory: 1<<63 - 1, ScryptMaxWork: 1<<63 - 1}.withDefaults()
	for _, c := range []struct {
		logN int
		r, p uint64
		want error
	}{
		{60, 8, 1, ErrLimit},
		{49, 1, 1, ErrLimit},
		{48, 1 << 20, 1 << 9, ErrLimit}, // 128·2^48·2^20 overflows a uint64
		{0, 8, 1, ErrMalformed},
		{10, 0, 1, ErrMalformed},
		{10, 1 << 29, 2, ErrMalformed},
		{10, 1 << 40, 1 << 40, ErrMalformed},
		{10, 8, 1, nil},
	} {
		if err := huge.checkScrypt(c.logN, c.r, c.p); !errors.Is(err, c.want) {
			t.Errorf("checkScrypt(%d, %d, %d) = %v, want %v", c.logN, c.r, c.p, err, c.want)
		}
	}
}
