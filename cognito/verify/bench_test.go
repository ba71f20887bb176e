package verify_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkVerifyAccessToken is a whole verification with the key set cached: parsing,
// the RS256 signature and the claim checks. Compare with BenchmarkRSAVerify, the signature
// alone, to see what the rest costs.
func BenchmarkVerifyAccessToken(b *testing.B) {
	testKeys(b)
	jwks := newJWKS(b, map[string]*rsa.PrivateKey{"kA": keyA})
	clk := newClock()
	v := newVerifier(b, jwks.URL, clk)
	tok := sign(b, keyA, "kA", accessClaims(clk.Now()))
	if _, err := v.VerifyAccessToken(ctx(b), tok); err != nil {
		b.Fatal(err)
	}
	c := ctx(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyAccessToken(c, tok); err != nil {
			b.Fatal(err)
		}
	}
	if n := jwks.fetches.Load(); n != 1 {
		b.Fatalf("%d key set fetches", n)
	}
}

// BenchmarkRSAVerify is the bare PKCS #1 v1.5 signature check of the same token with the
// same key.
func BenchmarkRSAVerify(b *testing.B) {
	testKeys(b)
	tok := sign(b, keyA, "kA", accessClaims(newClock().Now()))
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.Sum256([]byte(tok[:i]))
		if err := rsa.VerifyPKCS1v15(&keyA.PublicKey, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
