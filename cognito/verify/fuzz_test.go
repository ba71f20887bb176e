package verify

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The fuzz targets use a fixed key (testdata/fuzzkey.pem, a test fixture that signs nothing
// real), so that tokens in the kept corpus stay validly signed across runs and the fuzzer
// gets past the signature into the claim checks.

const fuzzIssuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz"

var fuzzNow = time.Unix(1_800_000_000, 0)

func fuzzKey(f *testing.F) *rsa.PrivateKey {
	b, err := os.ReadFile("testdata/fuzzkey.pem")
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		f.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// fuzzVerifier holds the key already, so no input can cause a fetch.
func fuzzVerifier(f *testing.F, key *rsa.PrivateKey) *Verifier {
	v, err := New(Config{Issuer: fuzzIssuer, ClientIDs: []string{"fuzzclient"}, JWKSURL: "http://127.0.0.1:1/jwks",
		Now: func() time.Time { return fuzzNow }, HTTPClient: &http.Client{Transport: failing{}}})
	if err != nil {
		f.Fatal(err)
	}
	v.keys.keys = map[string]*rsa.PublicKey{"fuzz": &key.PublicKey}
	v.keys.fetchedAt, v.keys.lastAttempt = fuzzNow, fuzzNow
	return v
}

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in fuzzing")
}

func fuzzSign(f *testing.F, key *rsa.PrivateKey, payload string) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "fuzz"}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		f.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func seedClaims() []string {
	base := map[string]any{"sub": "s", "iss": fuzzIssuer, "client_id": "fuzzclient", "token_use": "access",
		"scope": "a b", "auth_time": fuzzNow.Unix(), "iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix(),
		"username": "u", "cognito:groups": []string{"g"}}
	id := map[string]any{"sub": "s", "iss": fuzzIssuer, "aud": "fuzzclient", "token_use": "id",
		"iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix(), "cognito:username": "u"}
	a, _ := json.Marshal(base)
	b, _ := json.Marshal(id)
	return []string{string(a), string(b), `{"exp":1e400}`, `{"iat":-1,"exp":"x"}`, `[]`, `null`, `{"aud":[1,"x"]}`}
}

// FuzzVerify: no token makes verification panic, fetch keys, or succeed without being a
// well-formed access or ID token of this verifier.
func FuzzVerify(f *testing.F) {
	key := fuzzKey(f)
	v := fuzzVerifier(f, key)
	for _, c := range seedClaims() {
		f.Add(fuzzSign(f, key, c))
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"fuzz"}`))
	f.Add(none + "." + base64.RawURLEncoding.EncodeToString([]byte(seedClaims()[0])) + ".")
	f.Add("")
	f.Add("a.b.c")
	f.Add(strings.Repeat(".", 3))
	f.Fuzz(func(t *testing.T, token string) {
		for _, use := range []string{UseAccess, UseID} {
			c, err := v.verify(context.Background(), token, use)
			if err != nil {
				if c != nil || !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("%q: %v with claims %v", token, err, c)
				}
				continue
			}
			if c == nil || c.TokenUse != use || c.Issuer != fuzzIssuer || c.Subject == "" || !fuzzNow.Before(c.Expiry) {
				t.Fatalf("%q accepted with claims %+v", token, c)
			}
		}
		if v.keys.stats() != 0 {
			t.Fatal("an input caused a key fetch")
		}
	})
}

// FuzzClaims: the claim checks of an authentic token never panic, and accept only claims
// that meet every rule.
func FuzzClaims(f *testing.F) {
	v := fuzzVerifier(f, fuzzKey(f))
	for _, c := range seedClaims() {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, use := range []string{UseAccess, UseID} {
			c, err := v.claims(payload, use)
			if err != nil {
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("%q: %v", payload, err)
				}
				continue
			}
			if c.TokenUse != use || c.Issuer != fuzzIssuer || c.Subject == "" || !fuzzNow.Before(c.Expiry) ||
				fuzzNow.Before(c.IssuedAt) || c.Expiry.Before(c.IssuedAt) || c.Raw == nil {
				t.Fatalf("%q accepted with claims %+v", payload, c)
			}
			if use == UseAccess && c.ClientID != "fuzzclient" {
				t.Fatalf("%q accepted for client %q", payload, c.ClientID)
			}
		}
	})
}
