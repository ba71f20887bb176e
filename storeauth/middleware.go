package storeauth

import (
	"context"
	"net/http"

	"github.com/hashless/hashless/storeauth/store"
)

type sessionRef struct{ store.Session }

type customerKey struct{}

// CustomerID returns the signed-in customer's ID that RequireCustomer put in ctx.
func CustomerID(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(customerKey{}).(store.Session)
	return s.CustomerID, ok
}

// SessionOf returns the session RequireCustomer authenticated.
func SessionOf(ctx context.Context) (store.Session, bool) {
	s, ok := ctx.Value(customerKey{}).(store.Session)
	return s, ok
}

// RequireCustomer lets a request through to next only with a live session (the bearer token
// or the session cookie), and puts the customer's ID in its context; otherwise it answers
// 401 in the API's error shape. Unsafe methods with a cookie are CSRF-checked as the API's
// own routes are.
func (h *API) RequireCustomer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && bearerToken(r) == "" {
			if err := h.csrf.Check(r); err != nil {
				writeError(w, &Error{Type: TypeNotAllowed, Message: "Cross-origin request refused."})
				return
			}
		}
		ok, s := h.signedIn(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), customerKey{}, s.Session)))
	})
}
