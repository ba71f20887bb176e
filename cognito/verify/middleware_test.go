package verify_test

import (
	"context"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashless/hashless/cognito/verify"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	testKeys(t)
	jwks := newJWKS(t, map[string]*rsa.PrivateKey{"kA": keyA})
	clk := newClock()
	v := newVerifier(t, jwks.URL, clk)
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := verify.ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in the context")
			return
		}
		io.WriteString(w, c.Username+" "+c.Subject)
	}))
	access := sign(t, keyA, "kA", accessClaims(clk.Now()))
	id := sign(t, keyA, "kA", idClaims(clk.Now()))

	cases := []struct {
		name    string
		headers []string
		status  int
		www     string
	}{
		{"no header", nil, 401, "Bearer"},
		{"basic", []string{"Basic YTpi"}, 401, "Bearer"},
		{"empty bearer", []string{"Bearer "}, 401, "Bearer"},
		{"two headers", []string{"Bearer " + access, "Bearer " + access}, 401, "Bearer"},
		{"garbage", []string{"Bearer abc"}, 401, `Bearer error="invalid_token"`},
		{"ID token", []string{"Bearer " + id}, 401, `Bearer error="invalid_token"`},
		{"access token", []string{"Bearer " + access}, 200, ""},
		{"lower-case scheme", []string{"bearer " + access}, 200, ""},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		for _, hv := range tc.headers {
			r.Header.Add("Authorization", hv)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("WWW-Authenticate") != tc.www {
			t.Errorf("%s: %d %q", tc.name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		if tc.status == 200 && w.Body.String() != "alice 5f0c1f1e-aaaa-bbbb-cccc-000000000001" {
			t.Errorf("%s: body %q", tc.name, w.Body.String())
		}
	}

	// A key set that cannot be fetched is the server's fault, not the caller's.
	down := newJWKS(t, nil)
	down.setStatus(http.StatusBadGateway)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+access)
	newVerifier(t, down.URL, clk).Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("key set down: %d", w.Code)
	}

	if _, ok := verify.ClaimsFrom(context.Background()); ok {
		t.Fatal("claims in an empty context")
	}
	c := &verify.Claims{Username: "x"}
	if got, ok := verify.ClaimsFrom(verify.ContextWithClaims(context.Background(), c)); !ok || got != c {
		t.Fatal("ContextWithClaims")
	}
}
