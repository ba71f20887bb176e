package legacyhash

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// vector is one entry of testdata/vectors.json, written by testdata/gen/generate.sh from
// the real implementations.
type vector struct {
	Format   string `json:"format"`
	Case     string `json:"case"`
	Source   string `json:"source"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
	// OK is what Verify must answer; Error, when set, the class of error it must return
	// instead ("malformed", "unsupported" or "limit").
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	// Oracle is what the real implementation answered for this pair.
	Oracle string `json:"oracle"`
	// Truncated is bcryptjs's own answer to whether it cut the password to 72 bytes.
	Truncated *bool `json:"truncated"`
}

var (
	vectorsOnce sync.Once
	vectorsAll  []vector
	vectorsErr  error
)

func loadVectors(tb testing.TB) []vector {
	tb.Helper()
	vectorsOnce.Do(func() {
		data, err := os.ReadFile("testdata/vectors.json")
		if err != nil {
			vectorsErr = err
			return
		}
		var file struct {
			Vectors []vector `json:"vectors"`
		}
		vectorsErr = json.Unmarshal(data, &file)
		vectorsAll = file.Vectors
	})
	if vectorsErr != nil {
		tb.Fatalf("loading vectors: %v", vectorsErr)
	}
	return vectorsAll
}

var errorClasses = map[string]error{
	"malformed":   ErrMalformed,
	"unsupported": ErrUnsupported,
	"limit":       ErrLimit,
}

func TestVectors(t *testing.T) {
	reg := Default()
	for i, v := range loadVectors(t) {
		t.Run(fmt.Sprintf("%03d %s %s", i, v.Format, v.Case), func(t *testing.T) {
			t.Parallel()
			res, err := reg.Verify(v.Password, v.Hash)
			if v.Error != "" {
				want, ok := errorClasses[v.Error]
				if !ok {
					t.Fatalf("vector has unknown error class %q", v.Error)
				}
				if !errors.Is(err, want) {
					t.Fatalf("Verify(%q, %q) = %+v, %v; want %v (the real implementation said %s)", v.Password, v.Hash, res, err, want, v.Oracle)
				}
				if res.OK {
					t.Fatal("OK together with an error")
				}
				return
			}
			if v.Oracle != strconv.FormatBool(v.OK) {
				t.Fatalf("vector expects %v but the real implementation said %s", v.OK, v.Oracle)
			}
			if err != nil {
				t.Fatalf("Verify(%q, %q): %v", v.Password, v.Hash, err)
			}
			if res.OK != v.OK {
				t.Fatalf("Verify(%q, %q).OK = %v, want %v", v.Password, v.Hash, res.OK, v.OK)
			}
			if res.Format != v.Format {
				t.Fatalf("checked as %q, want %q", res.Format, v.Format)
			}
			if v.Truncated != nil && res.Has(NoteTruncated72) != *v.Truncated {
				t.Fatalf("NoteTruncated72 = %v, bcryptjs truncated = %v (notes %v)", res.Has(NoteTruncated72), *v.Truncated, res.Notes)
			}
			if v.Format != "bcrypt" && len(res.Notes) != 0 {
				t.Fatalf("unexpected notes %v", res.Notes)
			}
		})
	}
}

// TestVectorsCoverage keeps a regeneration of vectors.json from silently dropping the
// cases the verifiers are meant to be checked against.
func TestVectorsCoverage(t *testing.T) {
	vs := loadVectors(t)
	type want struct {
		name string
		pred func(vector) bool
	}
	has := func(format, caseSub string) func(vector) bool {
		return func(v vector) bool { return v.Format == format && strings.Contains(v.Case, caseSub) }
	}
	nonASCII := func(v vector) bool {
		return v.OK && strings.IndexFunc(v.Password, func(r rune) bool { return r > 127 }) >= 0
	}
	checks := []want{
		{"scrypt-kdf Medusa v1 params", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "c2NyeXB0AAEAAAABAAAAA") }},
		{"scrypt-kdf Medusa v2 params", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "c2NyeXB0AA8AAAAIAAAAA") }},
		{"bcrypt $2a$", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$2a$") }},
		{"bcrypt $2b$", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$2b$") }},
		{"bcrypt $2y$", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$2y$") }},
		{"bcrypt password over 72 bytes that matches", func(v vector) bool { return v.Format == "bcrypt" && v.OK && len(v.Password) > 72 }},
		{"argon2id v=19", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$argon2id$v=19$") }},
		{"argon2i v=19", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$argon2i$v=19$") }},
		{"argon2id v=16", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$argon2id$v=16$") }},
		{"argon2i v=16", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "$argon2i$v=16$") }},
		{"django pbkdf2_sha256", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "pbkdf2_sha256$") }},
		{"werkzeug pbkdf2:sha256", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "pbkdf2:sha256:") }},
		{"werkzeug scrypt default", func(v vector) bool { return v.OK && strings.HasPrefix(v.Hash, "scrypt:32768:8:1$") }},
		{"non-ASCII password", nonASCII},
		{"empty password", func(v vector) bool { return v.OK && v.Password == "" }},
		{"invalid UTF-8 free", func(v vector) bool { return utf8.ValidString(v.Password) }},
		{"wrong password", func(v vector) bool { return v.Error == "" && !v.OK }},
		{"malformed", func(v vector) bool { return v.Error == "malformed" }},
		{"unsupported", func(v vector) bool { return v.Error == "unsupported" }},
		{"limit", func(v vector) bool { return v.Error == "limit" }},
		{"werkzeug pbkdf2 without iterations", has("werkzeug", "without iterations")},
	}
	for _, c := range checks {
		n := 0
		for _, v := range vs {
			if c.pred(v) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no vector for %s", c.name)
		}
	}
	for _, f := range Default().Names() {
		ok, wrong := 0, 0
		for _, v := range vs {
			if v.Format == f && v.Error == "" {
				if v.OK {
					ok++
				} else {
					wrong++
				}
			}
		}
		if ok == 0 || wrong == 0 {
			t.Errorf("format %s: %d matching and %d wrong-password vectors, want both", f, ok, wrong)
		}
	}
}
