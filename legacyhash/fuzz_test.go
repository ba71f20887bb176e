package legacyhash

import (
	"errors"
	"testing"
)

// fuzzLimits keep every fuzz execution cheap, so the fuzzer spends its time on parsing;
// real-cost hashes among the seeds are refused with ErrLimit, which is itself checked.
var fuzzLimits = Limits{
	ScryptMaxLogN:        10,
	ScryptMaxMemory:      1 << 20,
	ScryptMaxWork:        4 << 20,
	BcryptMaxCost:        5,
	Argon2MaxMemoryKiB:   1024,
	Argon2MaxTime:        4,
	Argon2MaxParallelism: 4,
	Argon2MaxWorkKiB:     2048,
	PBKDF2MaxIterations:  5000,
}

// fuzzVerify runs v on an arbitrary stored string and password and checks the contract:
// no panic; an error is one of the documented classes, comes without OK, and does not
// depend on the password; a string that parses is one Match claims and Detect routes to v;
// and when the password verifies, the same password with its first byte changed does not.
// (Only a password known to be right has a known wrong neighbour: PBKDF2 and scrypt key
// HMAC with the password, and HMAC pads short keys with zeros, so "" and "\x00" are one
// password to them.)
func fuzzVerify(t *testing.T, v Verifier, encoded, password string) {
	res, err := v.Verify(password, encoded)
	wrong := "x"
	if password != "" {
		b := []byte(password)
		b[0] ^= 1 // inside the first 72 bytes, so bcrypt sees it too
		wrong = string(b)
	}
	wres, werr := v.Verify(wrong, encoded)
	if (err == nil) != (werr == nil) {
		t.Fatalf("error depends on the password: %v / %v", err, werr)
	}
	if err != nil {
		if res.OK || wres.OK {
			t.Fatal("OK together with an error")
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimit) {
			t.Fatalf("error of no documented class: %v", err)
		}
		return
	}
	if !v.Match(encoded) {
		t.Fatalf("verified %q, which Match rejects", encoded)
	}
	if d, ok := DefaultWithLimits(fuzzLimits).Detect(encoded); !ok || d.Name() != v.Name() {
		t.Fatalf("Detect routes %q elsewhere", encoded)
	}
	if res.OK && wres.OK {
		t.Fatalf("wrong password %q verified against %q (right one %q: %v)", wrong, encoded, password, res.OK)
	}
}

// addVectorSeeds seeds a fuzz target with every vector of one format.
func addVectorSeeds(f *testing.F, format string) {
	for _, v := range loadVectors(f) {
		if v.Format == format {
			f.Add(v.Hash, v.Password)
		}
	}
}

func FuzzScryptKDF(f *testing.F) {
	addVectorSeeds(f, "scrypt-kdf")
	v := NewScryptKDF(fuzzLimits)
	f.Fuzz(func(t *testing.T, encoded, password string) { fuzzVerify(t, v, encoded, password) })
}

func FuzzBcrypt(f *testing.F) {
	addVectorSeeds(f, "bcrypt")
	v := NewBcrypt(fuzzLimits)
	f.Fuzz(func(t *testing.T, encoded, password string) { fuzzVerify(t, v, encoded, password) })
}

func FuzzPHC(f *testing.F) {
	addVectorSeeds(f, "argon2")
	v := NewArgon2(fuzzLimits)
	f.Fuzz(func(t *testing.T, encoded, password string) { fuzzVerify(t, v, encoded, password) })
}

func FuzzDjango(f *testing.F) {
	addVectorSeeds(f, "django-pbkdf2")
	v := NewDjango(fuzzLimits)
	f.Fuzz(func(t *testing.T, encoded, password string) { fuzzVerify(t, v, encoded, password) })
}

func FuzzWerkzeug(f *testing.F) {
	addVectorSeeds(f, "werkzeug")
	v := NewWerkzeug(fuzzLimits)
	f.Fuzz(func(t *testing.T, encoded, password string) { fuzzVerify(t, v, encoded, password) })
}
