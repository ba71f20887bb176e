package tokens

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"
)

// A refresh signs two tokens, so twice BenchmarkRSASign is its floor.

func BenchmarkSignAccessToken(b *testing.B) {
	k := mustKey(b, UseAccess, time.Now())
	claims := map[string]any{"sub": "5f2b", "token_use": "access", "scope": "aws.cognito.signin.user.admin", "exp": 1, "iat": 1}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Sign(k, claims); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRSASign(b *testing.B) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := sha256.Sum256([]byte("payload"))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
