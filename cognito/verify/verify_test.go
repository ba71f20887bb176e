package verify_test

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/hashless/hashless/cognito/verify"
)

func newVerifier(t testing.TB, jwksURL string, clk *clock, edit ...func(*verify.Config)) *verify.Verifier {
	t.Helper()
	cfg := verify.Config{Issuer: testIssuer, ClientIDs: []string{testClient}, JWKSURL: jwksURL, Now: clk.Now}
	for _, e := range edit {
		e(&cfg)
	}
	v, err := verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func b64(v any) string {
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		b, _ = json.Marshal(x)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// forge builds a token from a raw header and claims, signed by sig over the signing input.
func forge(header map[string]any, claims any, sig func(input string) []byte) string {
	input := b64(header) + "." + b64(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig(input))
}

func TestMaliciousTokens(t *testing.T) {
	t.Parallel()
	testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PrivateKey{"kA": keyA})
	clk := newClock()
	v := newVerifier(t, jwks.URL, clk)
	now := clk.Now()
	with := func(base map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, x := range base {
			out[k] = x
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	access, id := accessClaims(now), idClaims(now)
	good := sign(t, keyA, "kA", access)
	parts := strings.Split(good, ".")
	pubDER, _ := x509.MarshalPKIXPublicKey(&keyA.PublicKey)
	hs256 := func(secret []byte) func(string) []byte {
		return func(in string) []byte { m := hmac.New(sha256.New, secret); m.Write([]byte(in)); return m.Sum(nil) }
	}
	withHeader := func(extra map[string]any, claims map[string]any) string {
		opts := (&jose.SignerOptions{}).WithHeader("kid", "kA")
		for k, x := range extra {
			opts = opts.WithHeader(jose.HeaderKey(k), x)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: keyA}, opts)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(claims)
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	embedded := func() string {
		// The attacker's own key in a jwk header, claiming kid kA.
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: keyB},
			(&jose.SignerOptions{EmbedJWK: true}).WithHeader("kid", "kA"))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(access)
		jws, _ := signer.Sign(payload)
		s, _ := jws.CompactSerialize()
		return s
	}()
	rs512 := func() string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS512, Key: jose.JSONWebKey{Key: keyA, KeyID: "kA"}}, nil)
		payload, _ := json.Marshal(access)
		jws, _ := signer.Sign(payload)
		s, _ := jws.CompactSerialize()
		return s
	}()

	cases := []struct {
		name  string
		token string
		id    bool // verify as an ID token
		want  error
	}{
		{"empty", "", false, verify.ErrMalformed},
		{"one part", "abc", false, verify.ErrMalformed},
		{"two parts", "a.b", false, verify.ErrMalformed},
		{"four parts", good + ".x", false, verify.ErrMalformed},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], false, verify.ErrMalformed},
		{"header not JSON", b64("nope") + "." + parts[1] + "." + parts[2], false, verify.ErrMalformed},
		{"huge", strings.Repeat("a", verify.MaxTokenBytes+1), false, verify.ErrMalformed},
		{"no kid", forge(map[string]any{"alg": "RS256"}, access, func(string) []byte { return []byte("x") }), false, verify.ErrMalformed},
		{"signature not base64", parts[0] + "." + parts[1] + ".***", false, verify.ErrMalformed},
		{"alg none", forge(map[string]any{"alg": "none", "kid": "kA"}, access, func(string) []byte { return nil }), false, verify.ErrUnsupportedAlgorithm},
		{"alg None", forge(map[string]any{"alg": "None", "kid": "kA"}, access, func(string) []byte { return nil }), false, verify.ErrUnsupportedAlgorithm},
		{"HS256 with the public key", forge(map[string]any{"alg": "HS256", "kid": "kA"}, access, hs256(pubDER)), false, verify.ErrUnsupportedAlgorithm},
		{"RS512", rs512, false, verify.ErrUnsupportedAlgorithm},
		{"critical extension", withHeader(map[string]any{"crit": []string{"exp"}}, access), false, verify.ErrMalformed},
		{"wrong key, same kid", sign(t, keyB, "kA", access), false, verify.ErrSignature},
		{"embedded attacker jwk", embedded, false, verify.ErrSignature},
		{"tampered claims", parts[0] + "." + b64(with(access, "username", "root")) + "." + parts[2], false, verify.ErrSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(sign(t, keyA, "kA", id), ".")[2], false, verify.ErrSignature},
		{"unknown kid", sign(t, keyB, "kB", access), false, verify.ErrUnknownKey},
		{"claims not JSON", forgeSigned(t, "not json"), false, verify.ErrMalformed},
		{"claims an array", forgeSigned(t, "[1,2]"), false, verify.ErrMalformed},
		{"claims then junk", forgeSigned(t, `{"a":1} {"b":2}`), false, verify.ErrMalformed},
		{"expired", sign(t, keyA, "kA", with(access, "exp", now.Add(-time.Second).Unix())), false, verify.ErrExpired},
		{"expires now", sign(t, keyA, "kA", with(access, "exp", now.Add(-500*time.Millisecond).Unix())), false, verify.ErrExpired},
		{"no exp", sign(t, keyA, "kA", with(access, "exp", nil)), false, verify.ErrMalformed},
		{"exp a string", sign(t, keyA, "kA", with(access, "exp", fmt.Sprint(now.Add(time.Hour).Unix()))), false, verify.ErrMalformed},
		{"exp absurd", sign(t, keyA, "kA", with(access, "exp", 1e300)), false, verify.ErrMalformed},
		{"exp negative", sign(t, keyA, "kA", with(access, "exp", -5)), false, verify.ErrMalformed},
		{"no iat", sign(t, keyA, "kA", with(access, "iat", nil)), false, verify.ErrMalformed},
		{"issued in the future", sign(t, keyA, "kA", with(access, "iat", now.Add(10*time.Minute).Unix())), false, verify.ErrNotYetValid},
		{"not before later", sign(t, keyA, "kA", with(access, "nbf", now.Add(10*time.Minute).Unix())), false, verify.ErrNotYetValid},
		{"expires before issued", sign(t, keyA, "kA", with(access, "iat", now.Add(-time.Minute).Unix(), "exp", now.Add(-2*time.Minute).Unix())), false, verify.ErrExpired},
		{"another issuer", sign(t, keyA, "kA", with(access, "iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")), false, verify.ErrIssuer},
		{"issuer with a slash", sign(t, keyA, "kA", with(access, "iss", testIssuer+"/")), false, verify.ErrIssuer},
		{"issuer prefix", sign(t, keyA, "kA", with(access, "iss", testIssuer+"x")), false, verify.ErrIssuer},
		{"no issuer", sign(t, keyA, "kA", with(access, "iss", nil)), false, verify.ErrMalformed},
		{"another client", sign(t, keyA, "kA", with(access, "client_id", "other")), false, verify.ErrAudience},
		{"no client", sign(t, keyA, "kA", with(access, "client_id", nil)), false, verify.ErrAudience},
		{"access token with our aud only", sign(t, keyA, "kA", with(access, "client_id", nil, "aud", testClient)), false, verify.ErrAudience},
		{"ID token of another client", sign(t, keyA, "kA", with(id, "aud", "other")), true, verify.ErrAudience},
		{"ID token for us and another", sign(t, keyA, "kA", with(id, "aud", []string{testClient, "other"})), true, verify.ErrAudience},
		{"ID token without aud", sign(t, keyA, "kA", with(id, "aud", nil)), true, verify.ErrAudience},
		{"ID token as access token", sign(t, keyA, "kA", id), false, verify.ErrTokenUse},
		{"access token as ID token", good, true, verify.ErrTokenUse},
		{"no token_use", sign(t, keyA, "kA", with(access, "token_use", nil)), false, verify.ErrMalformed},
		{"no sub", sign(t, keyA, "kA", with(access, "sub", nil)), false, verify.ErrMalformed},
		{"groups not strings", sign(t, keyA, "kA", with(access, "cognito:groups", []any{"a", 1})), false, verify.ErrMalformed},
		{"username not a string", sign(t, keyA, "kA", with(access, "username", 7)), false, verify.ErrMalformed},
		// Controls: these pass.
		{"good access token", good, false, nil},
		{"good ID token", sign(t, keyA, "kA", id), true, nil},
		{"ID token with an aud list of ours", sign(t, keyA, "kA", with(id, "aud", []string{testClient})), true, nil},
		{"fractional dates", sign(t, keyA, "kA", with(access, "exp", float64(now.Add(time.Hour).UnixMilli())/1000)), false, nil},
	}
	for _, tc := range cases {
		var err error
		var c *verify.Claims
		if tc.id {
			c, err = v.VerifyIDToken(ctx(t), tc.token)
		} else {
			c, err = v.VerifyAccessToken(ctx(t), tc.token)
		}
		if tc.want == nil {
			if err != nil || c == nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if c != nil || !errors.Is(err, tc.want) || !errors.Is(err, verify.ErrInvalidToken) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// forgeSigned signs arbitrary bytes as the claims with key A.
func forgeSigned(t testing.TB, payload string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: keyA, KeyID: "kA"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

func TestLeeway(t *testing.T) {
	t.Parallel()
	testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PrivateKey{"kA": keyA})
	clk := newClock()
	now := clk.Now()
	claims := accessClaims(now)
	claims["exp"] = now.Add(-30 * time.Second).Unix()
	claims["iat"] = now.Add(-time.Hour).Unix()
	expired := sign(t, keyA, "kA", claims)
	if _, err := newVerifier(t, jwks.URL, clk).VerifyAccessToken(ctx(t), expired); !errors.Is(err, verify.ErrExpired) {
		t.Fatalf("without leeway: %v", err)
	}
	lenient := newVerifier(t, jwks.URL, clk, func(c *verify.Config) { c.Leeway = time.Minute })
	if _, err := lenient.VerifyAccessToken(ctx(t), expired); err != nil {
		t.Fatalf("with a minute of leeway: %v", err)
	}
	claims = accessClaims(now)
	claims["iat"] = now.Add(30 * time.Second).Unix()
	if _, err := lenient.VerifyAccessToken(ctx(t), sign(t, keyA, "kA", claims)); err != nil {
		t.Fatalf("issued 30 s ahead, with a minute of leeway: %v", err)
	}
	if _, err := verify.New(verify.Config{Issuer: testIssuer, ClientIDs: []string{"c"}, Leeway: time.Hour}); err == nil {
		t.Fatal("an hour of leeway was accepted")
	}
}

func TestConfigChecks(t *testing.T) {
	t.Parallel()
	_, err := verify.New(verify.Config{})
	if err == nil || !strings.Contains(err.Error(), "Issuer is required") || !strings.Contains(err.Error(), "ClientID") {
		t.Fatalf("empty config: %v", err)
	}
	for _, cfg := range []verify.Config{
		{Issuer: "not a url", ClientIDs: []string{"c"}},
		{Issuer: testIssuer, ClientIDs: []string{""}},
		{Issuer: testIssuer, ClientIDs: []string{"c"}, JWKSURL: "file:///etc/passwd"},
		{Issuer: testIssuer, ClientIDs: []string{"c"}, RefreshInterval: -1},
	} {
		if _, err := verify.New(cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
	if got := verify.AWSIssuer("eu-west-1", "eu-west-1_Abc"); got != "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc" {
		t.Fatal(got)
	}
}

func TestKeySetRefetch(t *testing.T) {
	t.Parallel()
	testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PrivateKey{"kA": keyA})
	clk := newClock()
	v := newVerifier(t, jwks.URL, clk)
	// Tokens valid for a day, since the clock moves past the default hour here.
	long := accessClaims(clk.Now())
	long["exp"] = clk.Now().Add(24 * time.Hour).Unix()
	tokA := sign(t, keyA, "kA", long)
	tokB := sign(t, keyB, "kB", long)
	tokC := sign(t, keyC, "kC", long)
	fetches := func(want int64) {
		t.Helper()
		if got := jwks.fetches.Load(); got != want {
			t.Fatalf("%d fetches, want %d", got, want)
		}
	}
	verifies := func(tok string, want error) {
		t.Helper()
		_, err := v.VerifyAccessToken(ctx(t), tok)
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Fatalf("got %v, want %v", err, want)
		}
	}

	fetches(0) // nothing is fetched before the first token
	for range 100 {
		verifies(tokA, nil)
	}
	fetches(1)

	// At most one fetch per interval, the first one included.
	verifies(tokB, verify.ErrUnknownKey)
	fetches(1)
	clk.Advance(verify.DefaultRefreshInterval)

	// An unknown kid costs one fetch, then none until the interval has passed.
	verifies(tokB, verify.ErrUnknownKey)
	fetches(2)
	for range 100 {
		verifies(tokB, verify.ErrUnknownKey)
	}
	fetches(2)

	// The pool publishes kB: seen once the interval allows a fetch.
	jwks.set(map[string]*rsa.PrivateKey{"kA": keyA, "kB": keyB})
	verifies(tokB, verify.ErrUnknownKey)
	clk.Advance(verify.DefaultRefreshInterval - time.Second)
	verifies(tokB, verify.ErrUnknownKey)
	fetches(2)
	clk.Advance(time.Second)
	verifies(tokB, nil)
	fetches(3)
	verifies(tokA, nil)

	// Many concurrent unknown kids share one fetch.
	clk.Advance(verify.DefaultRefreshInterval)
	jwks.set(map[string]*rsa.PrivateKey{"kA": keyA, "kB": keyB, "kC": keyC})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			if _, err := v.VerifyAccessToken(ctx(t), tokC); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent verification: %v", err)
	}
	fetches(4)

	// Old keys are refreshed in the background; a key withdrawn from the set stops
	// verifying once the refresh has landed.
	jwks.set(map[string]*rsa.PrivateKey{"kB": keyB, "kC": keyC})
	clk.Advance(verify.DefaultMaxKeyAge)
	verifies(tokA, nil) // still known: this call starts the refresh but does not wait for it
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := v.VerifyAccessToken(ctx(t), tokA)
		if errors.Is(err, verify.ErrUnknownKey) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a withdrawn key still verifies: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	fetches(5)
}

func TestKeySetUnavailable(t *testing.T) {
	t.Parallel()
	testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PrivateKey{"kA": keyA})
	jwks.setStatus(http.StatusServiceUnavailable)
	clk := newClock()
	v := newVerifier(t, jwks.URL, clk)
	tok := sign(t, keyA, "kA", accessClaims(clk.Now()))
	_, err := v.VerifyAccessToken(ctx(t), tok)
	if !errors.Is(err, verify.ErrKeySetUnavailable) || errors.Is(err, verify.ErrInvalidToken) {
		t.Fatalf("with the key set down: %v", err)
	}
	for range 10 {
		v.VerifyAccessToken(ctx(t), tok)
	}
	if n := jwks.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches while down", n)
	}
	jwks.setStatus(http.StatusOK)
	clk.Advance(5 * time.Second)
	if _, err := v.VerifyAccessToken(ctx(t), tok); err != nil {
		t.Fatalf("after the key set came back: %v", err)
	}
	// Once keys are held, a failed refetch keeps them.
	jwks.setStatus(http.StatusInternalServerError)
	clk.Advance(verify.DefaultRefreshInterval)
	if _, err := v.VerifyAccessToken(ctx(t), sign(t, keyB, "kB", accessClaims(clk.Now()))); !errors.Is(err, verify.ErrUnknownKey) {
		t.Fatalf("unknown kid while the set is down: %v", err)
	}
	if _, err := v.VerifyAccessToken(ctx(t), tok); err != nil {
		t.Fatalf("known kid while the set is down: %v", err)
	}
}

func TestKeySetFiltering(t *testing.T) {
	t.Parallel()
	testKeys(t)
	clk := newClock()
	set := func(keys ...jose.JSONWebKey) string {
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		return string(b)
	}
	cases := []struct {
		name string
		body string
		kid  string
		key  *rsa.PrivateKey
		want error
	}{
		{"small key", set(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "k", Algorithm: "RS256"}), "k", small, verify.ErrKeySetUnavailable},
		{"encryption key", set(jose.JSONWebKey{Key: &keyA.PublicKey, KeyID: "k", Use: "enc"}), "k", keyA, verify.ErrKeySetUnavailable},
		{"published private key", set(jose.JSONWebKey{Key: keyA, KeyID: "k"}), "k", keyA, verify.ErrKeySetUnavailable},
		{"other algorithm", set(jose.JSONWebKey{Key: &keyA.PublicKey, KeyID: "k", Algorithm: "PS256"}), "k", keyA, verify.ErrKeySetUnavailable},
		{"not JSON", "<html>", "k", keyA, verify.ErrKeySetUnavailable},
		{"one good key among junk", `{"keys":[{"kty":"XX"},{"kty":"RSA","n":"!"},` +
			strings.TrimSuffix(strings.TrimPrefix(set(jose.JSONWebKey{Key: &keyA.PublicKey, KeyID: "k"}), `{"keys":[`), "]}") + `]}`, "k", keyA, nil},
	}
	for _, tc := range cases {
		srv := newJWKS(t, nil)
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(tc.body)) })
		v := newVerifier(t, srv.URL, clk)
		_, err := v.VerifyAccessToken(ctx(t), sign(t, tc.key, tc.kid, accessClaims(clk.Now())))
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}
