package legacyhash

import (
	"testing"

	"golang.org/x/crypto/argon2"
)

// BenchmarkVerify measures one Verify per format at the parameters each system used by
// default, on hashes the real implementations made (testdata/vectors.json).
func BenchmarkVerify(b *testing.B) {
	cases := []struct{ name, format, casePrefix string }{
		{"scrypt-kdf/medusa-v1", "scrypt-kdf", "medusa-v1 logN=1 r=1 p=1, ascii"},
		{"scrypt-kdf/medusa-v2", "scrypt-kdf", "medusa-v2 logN=15 r=8 p=1, ascii"},
		{"bcrypt/cost10", "bcrypt", "$2b$10 (default cost)"},
		{"bcrypt/cost4", "bcrypt", "$2b$04, ascii"},
		{"argon2/argon2id-v19-m65536-t3-p4", "argon2", "argon2id v=19 npm defaults"},
		{"argon2/argon2i-v19-m4096-t3-p1", "argon2", "argon2i v=19 m=4096 t=3 p=1, ascii"},
		{"argon2/argon2i-v16-m1024-t3-p2", "argon2", "argon2i v=16 m=1024 t=3 p=2"},
		{"django-pbkdf2/sha256-1000000", "django-pbkdf2", "pbkdf2_sha256 1000000"},
		{"werkzeug/scrypt-32768-8-1", "werkzeug", "default (scrypt:32768:8:1), ascii"},
		{"werkzeug/pbkdf2-sha256-1000000", "werkzeug", "method=pbkdf2 default (pbkdf2:sha256:1000000)"},
	}
	reg := Default()
	for _, c := range cases {
		v := sample(b, c.format, c.casePrefix)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				res, err := reg.Verify(v.Password, v.Hash)
				if err != nil || !res.OK {
					b.Fatalf("Verify: %+v, %v", res, err)
				}
			}
		})
	}
}

// BenchmarkArgon2Core compares this package's Argon2, used only for version 16, with
// x/crypto's at the same parameters.
func BenchmarkArgon2Core(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	b.Run("own-m1024-t3-p2", func(b *testing.B) {
		for b.Loop() {
			argon2Derive(argon2i, argon2Version10, pw, salt, 3, 1024, 2, 32)
		}
	})
	b.Run("x-crypto-m1024-t3-p2", func(b *testing.B) {
		for b.Loop() {
			argon2.Key(pw, salt, 3, 1024, 2, 32)
		}
	})
}
