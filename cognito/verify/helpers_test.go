package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// Keys are made once: RSA generation is the slowest thing these tests would do.
var (
	keysOnce         sync.Once
	keyA, keyB, keyC *rsa.PrivateKey
	small            *rsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		for _, k := range []**rsa.PrivateKey{&keyA, &keyB, &keyC} {
			var err error
			if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
		}
		var err error
		if small, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
	})
}

// jwksServer publishes a settable key set and counts fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	status  int
	fetches atomic.Int64
}

func newJWKS(t testing.TB, keys map[string]*rsa.PrivateKey) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.set(keys)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != http.StatusOK {
			w.WriteHeader(s.status)
			return
		}
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(keys map[string]*rsa.PrivateKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = nil
	for kid, k := range keys {
		s.keys = append(s.keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
}

func (s *jwksServer) setStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// sign makes a compact JWS of claims with key, header kid and alg RS256.
func sign(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// clock runs with the wall clock, plus whatever it was advanced by; tokens made by a real
// pool stay consistent with it.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock() *clock { return &clock{} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.offset += d }

const (
	testIssuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
	testClient = "client123"
)

// accessClaims are the claims of a Cognito access token issued now.
func accessClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub": "5f0c1f1e-aaaa-bbbb-cccc-000000000001", "iss": testIssuer, "client_id": testClient,
		"origin_jti": "o-1", "event_id": "e-1", "token_use": "access", "scope": "aws.cognito.signin.user.admin",
		"auth_time": now.Unix(), "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": "j-1",
		"username": "alice", "cognito:groups": []string{"admins", "readers"},
	}
}

// idClaims are the claims of a Cognito ID token issued now.
func idClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub": "5f0c1f1e-aaaa-bbbb-cccc-000000000001", "iss": testIssuer, "aud": testClient,
		"origin_jti": "o-1", "event_id": "e-1", "token_use": "id", "auth_time": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "jti": "j-2",
		"cognito:username": "alice", "email": "alice@example.com", "email_verified": true,
	}
}
