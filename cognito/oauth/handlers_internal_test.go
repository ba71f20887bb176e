package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A cookie that opens but holds another state must be refused: the name binds the state
// only as long as seal authenticates it, so the state itself is compared too.
func TestSealedStateCompared(t *testing.T) {
	c, err := New(context.Background(), Config{
		Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", Domain: "https://x.auth.eu-west-1.amazoncognito.com",
		ClientID: "c", RedirectURL: "https://app.example.com/cb",
	})
	if err != nil {
		t.Fatal(err)
	}
	name := c.cookieName + "_B"
	value, err := c.seal(name, pending{State: "A", Nonce: "n", Verifier: "v", Expires: time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	var got error
	h := c.CallbackHandler(func(http.ResponseWriter, *http.Request, *Tokens) { t.Error("onSuccess called") },
		func(_ http.ResponseWriter, _ *http.Request, err error) { got = err })
	r := httptest.NewRequest("GET", "/cb?state=B&code=x", nil)
	r.AddCookie(&http.Cookie{Name: name, Value: value})
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !errors.Is(got, ErrStateMismatch) {
		t.Errorf("got %v, want ErrStateMismatch", got)
	}
}
