package oauth

import (
	"cmp"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// pending is a sign-in in progress, sealed in the browser's pre-login cookie.
type pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

// maxStateLen bounds the state looked up; NewFlow's are 26 characters.
const maxStateLen = 128

// MaxPendingLogins is how many sign-ins one browser may have in progress; starting one
// more drops the oldest, so abandoned sign-ins cannot grow the Cookie header past what
// proxies accept.
const MaxPendingLogins = 5

// LoginHandler starts a sign-in: it makes a Flow, keeps it in a pre-login cookie (sealed
// with CookieKey, HttpOnly, SameSite=Lax, Secure when CookieSecure, for LoginLifetime) and
// redirects the browser (302) to the authorization endpoint. opts are passed to
// AuthCodeURL. Mount it on GET, e.g. at /login.
//
// Each sign-in has its own cookie, named after its state, so sign-ins started in two tabs
// can both finish; at most MaxPendingLogins are kept.
func (c *Client) LoginHandler(opts ...oauth2.AuthCodeOption) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		f := NewFlow()
		name := c.cookieName + "_" + f.State
		value, err := c.seal(name, pending{
			State: f.State, Nonce: f.Nonce, Verifier: f.Verifier,
			Expires: c.now().Add(LoginLifetime).Unix(),
		})
		if err != nil {
			http.Error(w, "cannot start the sign-in", http.StatusInternalServerError)
			return
		}
		c.dropOldLogins(w, r)
		http.SetCookie(w, c.cookie(name, value, int(LoginLifetime/time.Second)))
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, c.AuthCodeURL(f.State, f.Nonce, f.Verifier, opts...), http.StatusFound)
	})
}

// CallbackHandler finishes a sign-in at the redirect URL. It finds the sign-in this
// browser started with the callback's state (compared in constant time with the one
// sealed in the cookie), clears its cookie, refuses an iss parameter naming another issuer,
// reports an error the authorization endpoint sent back as *Error, then exchanges the code
// and verifies the ID token (Exchange), and calls onSuccess with the tokens.
//
// onSuccess must keep what the app needs (e.g. in its own session) and answer, usually
// with a redirect. onError gets every failure: ErrNoLogin, ErrStateMismatch,
// ErrIssuerMismatch, ErrMissingCode, *Error (errors.Is(err, ErrAccessDenied) when the user
// cancelled), ErrNonceMismatch, verify errors…; nil means answering 400 or 502 with a
// generic message. Responses get Cache-Control: no-store and Referrer-Policy: no-referrer,
// so the code does not leak through the Referer of what the answer loads.
//
// It panics if onSuccess is nil.
func (c *Client) CallbackHandler(onSuccess func(w http.ResponseWriter, r *http.Request, t *Tokens), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("oauth: CallbackHandler needs onSuccess")
	}
	if onError == nil {
		onError = defaultOnError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		q := r.URL.Query()
		state := q.Get("state")
		p, err := c.pendingLogin(r, state)
		if err != nil {
			onError(w, r, err)
			return
		}
		// The state is for one use, whatever happens next.
		http.SetCookie(w, c.cookie(c.cookieName+"_"+state, "", -1))
		if q.Has("iss") && q.Get("iss") != c.issuer {
			onError(w, r, fmt.Errorf("%w: the callback names issuer %q", ErrIssuerMismatch, q.Get("iss")))
			return
		}
		if q.Has("error") {
			onError(w, r, &Error{Code: q.Get("error"), Description: q.Get("error_description"), URI: q.Get("error_uri"), Endpoint: "authorize"})
			return
		}
		t, err := c.Exchange(r.Context(), q.Get("code"), p.Verifier, p.Nonce)
		if err != nil {
			onError(w, r, err)
			return
		}
		onSuccess(w, r, t)
	})
}

// pendingLogin opens the pre-login cookie of state.
func (c *Client) pendingLogin(r *http.Request, state string) (*pending, error) {
	var ck *http.Cookie
	if state != "" && len(state) <= maxStateLen {
		ck, _ = r.Cookie(c.cookieName + "_" + state)
	}
	if ck == nil {
		for _, other := range r.Cookies() {
			if strings.HasPrefix(other.Name, c.cookieName+"_") {
				return nil, ErrStateMismatch
			}
		}
		return nil, ErrNoLogin
	}
	p, err := c.open(ck)
	if err != nil {
		return nil, ErrNoLogin
	}
	if !c.now().Before(time.Unix(p.Expires, 0)) {
		return nil, ErrNoLogin
	}
	if subtle.ConstantTimeCompare([]byte(p.State), []byte(state)) != 1 {
		return nil, ErrStateMismatch
	}
	return p, nil
}

// dropOldLogins clears pre-login cookies beyond MaxPendingLogins-1, unreadable and
// expired ones first, then the oldest.
func (c *Client) dropOldLogins(w http.ResponseWriter, r *http.Request) {
	type login struct {
		name    string
		expires int64 // 0 when unreadable
	}
	var logins []login
	for _, ck := range r.Cookies() {
		if !strings.HasPrefix(ck.Name, c.cookieName+"_") {
			continue
		}
		l := login{name: ck.Name}
		if p, err := c.open(ck); err == nil && c.now().Before(time.Unix(p.Expires, 0)) {
			l.expires = p.Expires
		}
		logins = append(logins, l)
	}
	if len(logins) < MaxPendingLogins {
		return
	}
	slices.SortStableFunc(logins, func(a, b login) int { return cmp.Compare(a.expires, b.expires) })
	for _, l := range logins[:len(logins)-(MaxPendingLogins-1)] {
		http.SetCookie(w, c.cookie(l.name, "", -1))
	}
}

// open decrypts a pre-login cookie.
func (c *Client) open(ck *http.Cookie) (*pending, error) {
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil, err
	}
	plain, err := c.aead.Open(nil, nil, raw, []byte(ck.Name))
	if err != nil {
		return nil, err
	}
	var p pending
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// seal encrypts p for the cookie called name; the name is authenticated with it, so a
// cookie renamed to another state's name does not open.
func (c *Client) seal(name string, p pending) (string, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nil, nil, plain, []byte(name))), nil
}

func (c *Client) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.cookieSecure, SameSite: http.SameSiteLaxMode,
	}
}

// defaultOnError answers 400 when the callback itself is at fault, 502 when the pool's
// answer is, without details.
func defaultOnError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	var e *Error
	switch {
	case errors.Is(err, ErrNoLogin), errors.Is(err, ErrStateMismatch), errors.Is(err, ErrMissingCode),
		errors.Is(err, ErrIssuerMismatch), errors.Is(err, ErrInvalidGrant),
		errors.As(err, &e) && e.Endpoint == "authorize":
		status = http.StatusBadRequest
	}
	http.Error(w, "Sign-in failed. Please try again.", status)
}
