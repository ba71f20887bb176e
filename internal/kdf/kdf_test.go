package kdf

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	cheapArgon  = "argon2id:m=64,t=1,p=1"
	cheapPBKDF2 = "pbkdf2-sha256:i=1000"
)

func mustParse(t testing.TB, spec string) Params {
	t.Helper()
	p, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	tests := map[string]string{
		"":                                 DefaultSpec,
		"argon2id":                         DefaultSpec,
		"argon2id:":                        DefaultSpec,
		"  argon2id:m=19456,t=2,p=1 ":      DefaultSpec,
		"argon2id:p=1,t=2,m=19456":         DefaultSpec,
		"argon2id:m=65536":                 "argon2id:m=65536,t=2,p=1",
		"argon2id: m = 64 , t = 1 , p = 1": "argon2id:m=64,t=1,p=1",
		"argon2id:m=32,p=4,t=3":            "argon2id:m=32,t=3,p=4",
		"pbkdf2-sha256":                    "pbkdf2-sha256:i=600000",
		"pbkdf2-sha256:i=600000":           "pbkdf2-sha256:i=600000",
		cheapPBKDF2:                        cheapPBKDF2,
	}
	// parseSpec skips the dummy hash, which at the default cost would make this test slow.
	for spec, want := range tests {
		p, err := parseSpec(spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
			continue
		}
		if p.String() != want {
			t.Errorf("Parse(%q).String() = %q, want %q", spec, p, want)
		}
		if again, err := parseSpec(p.String()); err != nil || !again.sameAs(p) {
			t.Errorf("String of %q does not parse back to the same params", spec)
		}
	}
	if got := mustParse(t, cheapPBKDF2).Algorithm(); got != PBKDF2SHA256 {
		t.Errorf("Algorithm() = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, spec := range []string{
		"bcrypt", "argon2i:m=64", "ARGON2ID", "argon2id:m=64,m=64", "argon2id:x=1",
		"argon2id:m", "argon2id:m=", "argon2id:m=-1", "argon2id:m=abc", "argon2id:m=64,,t=1",
		"argon2id:m=7,p=1", "argon2id:m=63,p=8", "argon2id:m=1048577", "argon2id:m=99999999999",
		"argon2id:t=0", "argon2id:t=33", "argon2id:p=0", "argon2id:p=256", "argon2id:i=1000",
		"pbkdf2-sha256:i=999", "pbkdf2-sha256:i=10000001", "pbkdf2-sha256:m=64", "pbkdf2-sha256:i=1e6",
		"pbkdf2-sha1:i=1000",
	} {
		if p, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) = %v, want error", spec, p)
		}
	}
}

func TestHashAndVerify(t *testing.T) {
	for _, spec := range []string{cheapArgon, cheapPBKDF2, "argon2id:m=256,t=2,p=4"} {
		p := mustParse(t, spec)
		for _, pw := range []string{"", "correct horse battery staple", "Pässwörd-🔑", strings.Repeat("x", 300)} {
			h, err := p.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			ok, err := Verify(pw, h)
			if err != nil || !ok {
				t.Fatalf("%s: Verify(%q, %q) = %v, %v", spec, pw, h, ok, err)
			}
			ok, err = Verify(pw+"x", h)
			if err != nil || ok {
				t.Fatalf("%s: wrong password accepted: %v, %v", spec, ok, err)
			}
			if p.NeedsRehash(h) {
				t.Fatalf("%s: NeedsRehash on its own hash", spec)
			}
		}
		a, _ := p.Hash("same")
		b, _ := p.Hash("same")
		if a == b {
			t.Fatalf("%s: two hashes of one password are equal (salt not random)", spec)
		}
	}
}

func TestFormat(t *testing.T) {
	h, err := mustParse(t, cheapArgon).Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("argon2id hash %q", h)
	}
	h, err = mustParse(t, cheapPBKDF2).Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$pbkdf2-sha256\$i=1000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("pbkdf2 hash %q", h)
	}
}

// Known answers computed with other implementations (the argon2 reference implementation's
// command-line tool and Python's hashlib.pbkdf2_hmac), so the encoding is interoperable.
func TestKnownAnswers(t *testing.T) {
	tests := []struct{ password, encoded string }{
		{"password", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$cpx6VEQbwTVZvcpxNIxOVUWZ5xnAipUmAe1cg2GMG70"},
		{"Pässwörd", "$argon2id$v=19$m=256,t=3,p=4$c2FsdHNhbHRzYWx0$UbTTcyGNdX/RY5O2jRtt/jeY+HQ7sIoA3BiBEqJNATw"},
		{"password", "$pbkdf2-sha256$i=1000$c29tZXNhbHQ$j4Aa14inUtOh7Sg/D7hH54ohymuHNQD4+ccfhepGWAY"},
		{"Pässwörd", "$pbkdf2-sha256$i=2500$c2FsdHNhbHRzYWx0$zgo1LDhb80GN0jLF67SpGiVKuAHzfMBqhdtziId2cL4"},
	}
	for _, tt := range tests {
		ok, err := Verify(tt.password, tt.encoded)
		if err != nil || !ok {
			t.Errorf("Verify(%q, %q) = %v, %v", tt.password, tt.encoded, ok, err)
		}
		if ok, _ := Verify(tt.password+" ", tt.encoded); ok {
			t.Errorf("Verify accepted a wrong password for %q", tt.encoded)
		}
	}
}

func TestVerifyKeepsOldHashes(t *testing.T) {
	old, err := mustParse(t, cheapPBKDF2).Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	current := mustParse(t, cheapArgon)
	if ok, err := Verify("pw", old); !ok || err != nil {
		t.Fatalf("old hash no longer verifies: %v, %v", ok, err)
	}
	if !current.NeedsRehash(old) {
		t.Fatal("hash made with another algorithm does not need a rehash")
	}
	other, _ := mustParse(t, "argon2id:m=128,t=1,p=1").Hash("pw")
	if !current.NeedsRehash(other) {
		t.Fatal("hash made with other memory does not need a rehash")
	}
	if !current.NeedsRehash("garbage") {
		t.Fatal("malformed hash does not need a rehash")
	}
	// A hash with a longer salt than this package writes verifies but is replaced.
	long := "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdHNvbWVzYWx0$cpx6VEQbwTVZvcpxNIxOVUWZ5xnAipUmAe1cg2GMG70"
	if !current.NeedsRehash(long) {
		t.Fatal("odd salt length does not need a rehash")
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, _ := mustParse(t, cheapArgon).Hash("pw")
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	bad := []string{
		"", "garbage", "$", "$$", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1048577,t=1,p=1$" + salt + "$" + key, // more than 1 GiB
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=33,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=9$" + salt + "$" + key, // m below 8 per lane
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "=",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key,                                          // 4-byte salt
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ",                                   // 5-byte hash
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.Repeat("A", 88),                // 66-byte hash
		"$argon2id$v=19$m=64,t=1,p=1$" + strings.ReplaceAll(salt, salt[:1], "-") + "$" + key, // URL alphabet
		"$pbkdf2-sha256$i=999$" + salt + "$" + key,
		"$pbkdf2-sha256$i=10000001$" + salt + "$" + key,
		"$pbkdf2-sha256$600000$" + salt + "$" + key,
		"$pbkdf2-sha256$i=1000$" + salt,
		"$pbkdf2-sha256$i=1000$" + salt + "$" + key[:10] + "\n" + key[10:],
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	}
	for _, enc := range bad {
		ok, err := Verify("pw", enc)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	p := mustParse(t, cheapArgon)
	if p.dummy == "" || p.NeedsRehash(p.dummy) {
		t.Fatalf("dummy hash %q not made with the params", p.dummy)
	}
	p.DummyVerify("anything")
	// A zero Params falls back to the default instead of doing nothing.
	var zero Params
	zero.DummyVerify("anything")
	if _, err := zero.Hash("pw"); err == nil {
		t.Fatal("zero Params hashed a password")
	}
	if zero.String() != "" {
		t.Fatalf("zero Params String = %q", zero.String())
	}
}

// TestDummyVerifyCost checks that an unknown user costs about what a known one does. The
// bound is loose because the machine running the test may be busy.
func TestDummyVerifyCost(t *testing.T) {
	p := mustParse(t, "argon2id:m=4096,t=2,p=1")
	h, _ := p.Hash("pw")
	measure := func(f func()) time.Duration {
		best := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	known := measure(func() { Verify("guess", h) })
	dummy := measure(func() { p.DummyVerify("guess") })
	if dummy < known/3 || dummy > known*3 {
		t.Fatalf("DummyVerify took %v, Verify %v", dummy, known)
	}
}

func FuzzVerify(f *testing.F) {
	p := mustParse(f, cheapArgon)
	h, _ := p.Hash("pw")
	q := mustParse(f, cheapPBKDF2)
	g, _ := q.Hash("pw")
	f.Add("pw", h)
	f.Add("pw", g)
	f.Add("x", "$argon2id$v=19$m=1048577,t=1,p=1$c29tZXNhbHQ$cpx6VEQbwTVZvcpxNIxOVUWZ5xnAipUmAe1cg2GMG70")
	f.Add("", "$pbkdf2-sha256$i=1000$$")
	f.Add("", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, password, encoded string) {
		d, err := decode(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode(%q): %v does not wrap ErrMalformed", encoded, err)
			}
			return
		}
		if d.params.validate() != nil {
			t.Fatalf("decode(%q) accepted out-of-bounds params %v", encoded, d.params)
		}
		// Decoding is strict, so re-encoding gives back the very same string.
		if again := encode(d.params, d.salt, d.key); again != encoded {
			t.Fatalf("decode(%q) re-encodes as %q", encoded, again)
		}
		// Only run the KDF when it is cheap, to keep the fuzzer fast.
		if d.params.memory <= 1024 && d.params.time <= 2 && d.params.iterations <= 2000 {
			if _, err := Verify(password, encoded); err != nil {
				t.Fatalf("Verify(%q): %v", encoded, err)
			}
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	p := mustParse(b, DefaultSpec)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	p := mustParse(b, DefaultSpec)
	h, err := p.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Verify("correct horse battery staple", h); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func ExampleParams_Hash() {
	p, err := Parse("argon2id:m=64,t=1,p=1")
	if err != nil {
		panic(err)
	}
	h, _ := p.Hash("hunter2")
	ok, _ := Verify("hunter2", h)
	fmt.Println(strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$"), ok)
	// Output: true true
}
