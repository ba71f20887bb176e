package verify

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

type claimsKey struct{}

// ContextWithClaims returns ctx carrying c, as Middleware does; handlers' tests can use it
// to fake a signed-in request.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims Middleware put in a request's context.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// Middleware lets a request through only with a valid access token in
// "Authorization: Bearer <token>", and puts its claims in the request's context (see
// ClaimsFrom). A missing or refused token is answered 401 with a WWW-Authenticate header
// as RFC 6750 describes; a key set that cannot be fetched is answered 503, since the
// token may well be good.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			http.Error(w, "a Bearer access token is required", http.StatusUnauthorized)
			return
		}
		claims, err := v.VerifyAccessToken(r.Context(), token)
		switch {
		case errors.Is(err, ErrInvalidToken):
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "the access token is invalid", http.StatusUnauthorized)
			return
		case err != nil:
			http.Error(w, "the token cannot be checked now", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), claims)))
	})
}

// bearer returns the token of the request's only Authorization header.
func bearer(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
