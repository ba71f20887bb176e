package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/hashless/hashless/cognito/oauth"
	"github.com/hashless/hashless/cognito/verify"
)

// harness is an app that mounts the handlers at /login and /callback, the authorization
// server it signs in with, and a browser with a cookie jar.
type harness struct {
	as      *authServer
	client  *oauth.Client
	app     *httptest.Server
	browser *http.Client

	mu     sync.Mutex
	tokens *oauth.Tokens
	err    error
}

func newHarness(t *testing.T, secret string, tweak func(*oauth.Config)) *harness {
	t.Helper()
	h := &harness{as: newAuthServer(t, secret)}
	mux := http.NewServeMux()
	h.app = httptest.NewServer(mux)
	t.Cleanup(h.app.Close)
	h.as.setRedirectURI(h.app.URL + "/callback")
	cfg := oauth.Config{
		Issuer:       h.as.issuer,
		ClientID:     h.as.clientID,
		ClientSecret: secret,
		RedirectURL:  h.app.URL + "/callback",
		CookieKey:    []byte("0123456789abcdef0123456789abcdef"),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	var err error
	h.client, err = oauth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /login", h.client.LoginHandler())
	mux.Handle("GET /callback", h.client.CallbackHandler(
		func(w http.ResponseWriter, r *http.Request, tok *oauth.Tokens) {
			h.mu.Lock()
			h.tokens, h.err = tok, nil
			h.mu.Unlock()
			fmt.Fprintf(w, "signed in as %s", tok.Claims.Username)
		},
		func(w http.ResponseWriter, r *http.Request, err error) {
			h.mu.Lock()
			h.tokens, h.err = nil, err
			h.mu.Unlock()
			http.Error(w, "failed", http.StatusBadRequest)
		}))
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.browser = &http.Client{Jar: jar}
	return h
}

// get fetches u with the browser, following redirects, and returns the final status and body.
func (h *harness) get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := h.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// startLogin runs /login without following the redirect and returns the authorize URL.
func (h *harness) startLogin(t *testing.T) *url.URL {
	t.Helper()
	noFollow := *h.browser
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Get(h.app.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("/login answered %d, want 302", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (h *harness) result() (*oauth.Tokens, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tokens, h.err
}

// loginCookies are the pre-login cookies the browser holds for the app.
func (h *harness) loginCookies(t *testing.T) []*http.Cookie {
	t.Helper()
	u, _ := url.Parse(h.app.URL)
	var out []*http.Cookie
	for _, c := range h.browser.Jar.Cookies(u) {
		if strings.HasPrefix(c.Name, "oauth_login_") {
			out = append(out, c)
		}
	}
	return out
}

func TestLoginRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{{"confidential", "s3cr3t/+="}, {"public", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.secret, nil)
			var authorize url.Values
			h.as.sawAuthorize = func(q url.Values) { authorize = q }
			status, body := h.get(t, h.app.URL+"/login")
			if status != 200 || body != "signed in as alice" {
				_, err := h.result()
				t.Fatalf("got %d %q (err %v), want 200 signed in as alice", status, body, err)
			}
			tok, err := h.result()
			if err != nil || tok == nil {
				t.Fatalf("onSuccess not called: %v", err)
			}
			if tok.Claims.Subject != "sub-alice" || tok.Claims.Raw["email"] != "alice@example.com" || tok.Claims.TokenUse != verify.UseID {
				t.Errorf("claims: %+v", tok.Claims)
			}
			if tok.AccessToken == "" || tok.IDToken == "" || !strings.HasPrefix(tok.RefreshToken, "rt-") {
				t.Errorf("tokens: %+v", tok)
			}
			if d := time.Until(tok.Expiry); d < 59*time.Minute || d > time.Hour {
				t.Errorf("expiry in %s, want an hour", d)
			}
			if authorize.Get("code_challenge_method") != "S256" || authorize.Get("nonce") == "" ||
				authorize.Get("scope") != "openid email" || authorize.Has("client_secret") || authorize.Has("code_verifier") {
				t.Errorf("authorize query: %v", authorize)
			}
			if n := tok.Claims.Raw["nonce"]; n != authorize.Get("nonce") {
				t.Errorf("ID token nonce %v, sent %q", n, authorize.Get("nonce"))
			}
			if c := h.loginCookies(t); len(c) != 0 {
				t.Errorf("pre-login cookie left after the callback: %v", c)
			}
			if h.as.tokenRequests != 1 {
				t.Errorf("%d token requests, want 1 (no auth-style probing)", h.as.tokenRequests)
			}
		})
	}
}

func TestLoginCookieAttributes(t *testing.T) {
	h := newHarness(t, "", func(c *oauth.Config) { c.CookieSecure = true })
	rec := httptest.NewRecorder()
	h.client.LoginHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d", rec.Code)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	c := cookies[0]
	loc, _ := url.Parse(rec.Header().Get("Location"))
	state := loc.Query().Get("state")
	if c.Name != "__Host-oauth_login_"+state || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode ||
		c.Path != "/" || c.MaxAge != 600 || c.Domain != "" {
		t.Errorf("cookie %+v", c)
	}
	for _, secret := range []string{state, loc.Query().Get("nonce")} {
		if secret == "" || strings.Contains(c.Value, secret) {
			t.Errorf("cookie value shows %q or it is empty", secret)
		}
	}
	if !strings.HasPrefix(loc.String(), h.as.issuer+"/oauth2/authorize?") {
		t.Errorf("redirect to %s", loc)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("login redirect is cacheable")
	}

	rec = httptest.NewRecorder()
	h.client.LoginHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /login: %d", rec.Code)
	}
}

func TestTwoTabs(t *testing.T) {
	h := newHarness(t, "", nil)
	first := h.startLogin(t)
	second := h.startLogin(t)
	if len(h.loginCookies(t)) != 2 {
		t.Fatalf("login cookies: %v", h.loginCookies(t))
	}
	for _, u := range []*url.URL{first, second} {
		if status, body := h.get(t, u.String()); status != 200 {
			_, err := h.result()
			t.Fatalf("sign-in %s: %d %q %v", u.Query().Get("state"), status, body, err)
		}
	}
}

func TestPendingLoginsBounded(t *testing.T) {
	h := newHarness(t, "", nil)
	var started []*url.URL
	for range oauth.MaxPendingLogins + 2 {
		started = append(started, h.startLogin(t))
		if n := len(h.loginCookies(t)); n > oauth.MaxPendingLogins {
			t.Fatalf("%d pre-login cookies, want at most %d", n, oauth.MaxPendingLogins)
		}
	}
	if n := len(h.loginCookies(t)); n != oauth.MaxPendingLogins {
		t.Errorf("%d pre-login cookies, want %d", n, oauth.MaxPendingLogins)
	}
	h.get(t, started[0].String())
	if _, err := h.result(); !errors.Is(err, oauth.ErrStateMismatch) {
		t.Errorf("oldest sign-in: %v, want ErrStateMismatch (dropped)", err)
	}
	if status, _ := h.get(t, started[len(started)-1].String()); status != 200 {
		_, err := h.result()
		t.Errorf("newest sign-in failed: %v", err)
	}
}

func TestCallbackStateMismatch(t *testing.T) {
	h := newHarness(t, "", nil)
	authorize := h.startLogin(t)
	// A callback for a login this browser did not start, while one is in progress.
	status, _ := h.get(t, h.app.URL+"/callback?code=abc&state=FORGED")
	if _, err := h.result(); status != 400 || !errors.Is(err, oauth.ErrStateMismatch) {
		t.Fatalf("got %d %v, want ErrStateMismatch", status, err)
	}
	if h.as.tokenRequests != 0 {
		t.Error("the code was redeemed despite the state mismatch")
	}
	// The real login is untouched and still finishes.
	if status, _ := h.get(t, authorize.String()); status != 200 {
		_, err := h.result()
		t.Fatalf("the real sign-in failed after a forged callback: %v", err)
	}
}

func TestCallbackMissingCookie(t *testing.T) {
	h := newHarness(t, "", nil)
	authorize := h.startLogin(t)
	h.browser.Jar, _ = cookiejar.New(nil) // another browser, or cookies lost
	status, _ := h.get(t, authorize.String())
	if _, err := h.result(); status != 400 || !errors.Is(err, oauth.ErrNoLogin) {
		t.Fatalf("got %d %v, want ErrNoLogin", status, err)
	}
	if h.as.tokenRequests != 0 {
		t.Error("the code was redeemed without a login cookie")
	}
}

func TestCallbackReplay(t *testing.T) {
	h := newHarness(t, "", nil)
	authorize := h.startLogin(t)
	noFollow := *h.browser
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if status, _ := h.get(t, callback); status != 200 {
		t.Fatalf("first callback: %d", status)
	}
	status, _ := h.get(t, callback)
	if _, err := h.result(); status != 400 || !errors.Is(err, oauth.ErrNoLogin) {
		t.Fatalf("replayed callback: %d %v, want ErrNoLogin", status, err)
	}
}

func TestCallbackTamperedOrExpiredCookie(t *testing.T) {
	now := time.Now()
	var clock sync.Mutex
	h := newHarness(t, "", func(c *oauth.Config) {
		c.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	})
	appURL, _ := url.Parse(h.app.URL)

	authorize := h.startLogin(t)
	c := h.loginCookies(t)[0]
	c.Value = c.Value[:len(c.Value)-2] + "AA"
	h.browser.Jar.SetCookies(appURL, []*http.Cookie{c})
	h.get(t, authorize.String())
	if _, err := h.result(); !errors.Is(err, oauth.ErrNoLogin) {
		t.Errorf("tampered cookie: %v, want ErrNoLogin", err)
	}

	authorize = h.startLogin(t)
	clock.Lock()
	now = now.Add(oauth.LoginLifetime + time.Second)
	clock.Unlock()
	h.get(t, authorize.String())
	if _, err := h.result(); !errors.Is(err, oauth.ErrNoLogin) {
		t.Errorf("expired login: %v, want ErrNoLogin", err)
	}
}

func TestCookieFromAnotherKey(t *testing.T) {
	h := newHarness(t, "", nil)
	other, err := oauth.New(context.Background(), oauth.Config{
		Issuer: h.as.issuer, Domain: h.as.issuer, ClientID: h.as.clientID, RedirectURL: h.app.URL + "/callback",
		CookieKey: []byte("another key, 32 bytes long......"),
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	other.LoginHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	appURL, _ := url.Parse(h.app.URL)
	h.browser.Jar.SetCookies(appURL, rec.Result().Cookies())
	h.get(t, rec.Header().Get("Location"))
	if _, err := h.result(); !errors.Is(err, oauth.ErrNoLogin) {
		t.Errorf("cookie sealed with another key: %v, want ErrNoLogin", err)
	}
}

func TestNonceMismatch(t *testing.T) {
	for name, nonce := range map[string]func(string) string{
		"other":   func(string) string { return "someone-elses-nonce" },
		"missing": func(string) string { return "" },
		"prefix":  func(n string) string { return n[:len(n)-1] },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, "", nil)
			h.as.idNonce = nonce
			status, _ := h.get(t, h.app.URL+"/login")
			if _, err := h.result(); status != 400 || !errors.Is(err, oauth.ErrNonceMismatch) {
				t.Fatalf("got %d %v, want ErrNonceMismatch", status, err)
			}
		})
	}
}

func TestAccessTokenHashMismatch(t *testing.T) {
	h := newHarness(t, "", nil)
	h.as.badAtHash = true
	h.get(t, h.app.URL+"/login")
	if _, err := h.result(); !errors.Is(err, oauth.ErrAccessTokenHash) {
		t.Fatalf("got %v, want ErrAccessTokenHash", err)
	}
}

func TestIDTokenForAnotherClient(t *testing.T) {
	h := newHarness(t, "", nil)
	h.as.extraClaims = map[string]any{"aud": "another-client"}
	h.get(t, h.app.URL+"/login")
	if _, err := h.result(); !errors.Is(err, verify.ErrAudience) {
		t.Fatalf("got %v, want verify.ErrAudience", err)
	}
}

func TestCallbackServerError(t *testing.T) {
	h := newHarness(t, "", nil)
	h.as.authorizeError = "access_denied"
	status, _ := h.get(t, h.app.URL+"/login")
	_, err := h.result()
	var e *oauth.Error
	if status != 400 || !errors.As(err, &e) || !errors.Is(err, oauth.ErrAccessDenied) {
		t.Fatalf("got %d %v, want *Error access_denied", status, err)
	}
	if e.Code != "access_denied" || e.Description != "the user said no" || e.Endpoint != "authorize" {
		t.Errorf("error %+v", e)
	}
	if h.as.tokenRequests != 0 {
		t.Error("token endpoint called after an authorization error")
	}
	if c := h.loginCookies(t); len(c) != 0 {
		t.Errorf("pre-login cookie left: %v", c)
	}
}

func TestCallbackDefaultOnError(t *testing.T) {
	h := newHarness(t, "", nil)
	handler := h.client.CallbackHandler(func(http.ResponseWriter, *http.Request, *oauth.Tokens) {
		t.Error("onSuccess called")
	}, nil)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/callback?code=x&state=y&error=access_denied&error_description=%3Cscript%3E", nil))
	if rec.Code != 400 || strings.Contains(rec.Body.String(), "script") {
		t.Errorf("default error answer %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Referrer-Policy") != "no-referrer" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestCallbackIssuerParameter(t *testing.T) {
	h := newHarness(t, "", nil)
	authorize := h.startLogin(t)
	noFollow := *h.browser
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noFollow.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	h.get(t, res.Header.Get("Location")+"&iss="+url.QueryEscape("https://evil.example.com/pool"))
	if _, err := h.result(); !errors.Is(err, oauth.ErrIssuerMismatch) {
		t.Fatalf("got %v, want ErrIssuerMismatch", err)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong secret", func(t *testing.T) {
		h := newHarness(t, "right", func(c *oauth.Config) { c.ClientSecret = "wrong" })
		h.get(t, h.app.URL+"/login")
		_, err := h.result()
		var e *oauth.Error
		if !errors.As(err, &e) || !errors.Is(err, oauth.ErrInvalidClient) || e.StatusCode != 401 || e.Endpoint != "token" ||
			e.Description != "bad client credentials" {
			t.Fatalf("got %#v, want invalid_client 401", err)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		h := newHarness(t, "", nil)
		f := oauth.NewFlow()
		u, _ := url.Parse(h.client.AuthCodeURL(f.State, f.Nonce, f.Verifier))
		code := h.authorizeCode(t, u)
		_, err := h.client.Exchange(ctx, code, oauth.NewFlow().Verifier, f.Nonce)
		if !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("got %v, want ErrInvalidGrant", err)
		}
	})
	t.Run("code used twice", func(t *testing.T) {
		h := newHarness(t, "", nil)
		f := oauth.NewFlow()
		u, _ := url.Parse(h.client.AuthCodeURL(f.State, f.Nonce, f.Verifier))
		code := h.authorizeCode(t, u)
		if _, err := h.client.Exchange(ctx, code, f.Verifier, f.Nonce); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.Exchange(ctx, code, f.Verifier, f.Nonce); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("second use: %v, want ErrInvalidGrant", err)
		}
	})
	t.Run("not RFC 6749", func(t *testing.T) {
		h := newHarness(t, "", nil)
		h.as.tokenStatus = http.StatusInternalServerError
		status, _ := h.get(t, h.app.URL+"/login")
		_, err := h.result()
		var e *oauth.Error
		if status != 400 || !errors.As(err, &e) || e.Code != "" || e.StatusCode != 500 || e.Endpoint != "token" {
			t.Fatalf("got %#v, want *Error with status 500", err)
		}
	})
}

// authorizeCode follows the authorize URL u and returns the code of its redirect.
func (h *harness) authorizeCode(t *testing.T, u *url.URL) string {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return back.Query().Get("code")
}

// signIn signs in through the handlers and returns the tokens.
func (h *harness) signIn(t *testing.T) *oauth.Tokens {
	t.Helper()
	if status, _ := h.get(t, h.app.URL+"/login"); status != 200 {
		_, err := h.result()
		t.Fatalf("sign-in failed: %v", err)
	}
	tok, _ := h.result()
	return tok
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("keeps the refresh token", func(t *testing.T) {
		h := newHarness(t, "secret", nil)
		first := h.signIn(t)
		var sent url.Values
		h.as.sawToken = func(r *http.Request) { sent = r.PostForm }
		got, err := h.client.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if sent.Get("grant_type") != "refresh_token" || sent.Get("refresh_token") != first.RefreshToken {
			t.Errorf("sent %v", sent)
		}
		if got.RefreshToken != first.RefreshToken {
			t.Errorf("refresh token %q, want the old %q", got.RefreshToken, first.RefreshToken)
		}
		if got.AccessToken == first.AccessToken || got.IDToken == first.IDToken || got.Claims.Username != "alice" {
			t.Errorf("not new tokens: %+v", got)
		}
		if _, err := h.client.Refresh(ctx, first.RefreshToken); err != nil {
			t.Errorf("the kept refresh token does not work again: %v", err)
		}
	})
	t.Run("rotation", func(t *testing.T) {
		h := newHarness(t, "", nil)
		first := h.signIn(t)
		h.as.rotate = true
		got, err := h.client.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if got.RefreshToken == first.RefreshToken || !strings.HasPrefix(got.RefreshToken, "rt-") {
			t.Errorf("refresh token %q, want a new one", got.RefreshToken)
		}
		if _, err := h.client.Refresh(ctx, first.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("rotated-out token: %v, want ErrInvalidGrant", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		h := newHarness(t, "secret", nil)
		first := h.signIn(t)
		if err := h.client.Revoke(ctx, first.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.Refresh(ctx, first.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("revoked token: %v, want ErrInvalidGrant", err)
		}
	})
}

func TestRevokeClientAuth(t *testing.T) {
	h := newHarness(t, "right", nil)
	tok := h.signIn(t)
	wrong, err := oauth.New(context.Background(), oauth.Config{
		Issuer: h.as.issuer, ClientID: h.as.clientID, ClientSecret: "wrong", RedirectURL: h.app.URL + "/callback",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Revoke(context.Background(), tok.RefreshToken); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Errorf("revoke with a wrong secret: %v, want ErrInvalidClient", err)
	}
	if _, err := h.client.Refresh(context.Background(), tok.RefreshToken); err != nil {
		t.Errorf("the token was revoked by a wrong client: %v", err)
	}
}

func TestUserInfo(t *testing.T) {
	h := newHarness(t, "", nil)
	tok := h.signIn(t)
	info, err := h.client.UserInfo(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if info["sub"] != "sub-alice" || info["email_verified"] != "true" {
		t.Errorf("info %v", info)
	}
	_, err = h.client.UserInfo(context.Background(), "not-a-token")
	var e *oauth.Error
	if !errors.Is(err, oauth.ErrInvalidToken) || !errors.As(err, &e) || e.Description != `Access token is "expired"` || e.StatusCode != 401 {
		t.Errorf("bad token: %#v, want invalid_token", err)
	}
}

func TestLogoutURL(t *testing.T) {
	c, err := oauth.New(context.Background(), oauth.Config{
		Issuer:      verify.AWSIssuer("eu-west-1", "eu-west-1_AbCdEf123"),
		Domain:      "https://myapp.auth.eu-west-1.amazoncognito.com/",
		ClientID:    "1example23456789",
		RedirectURL: "https://app.example.com/oauth/callback",
		HTTPClient:  noNetwork(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	logoutURI := "https://app.example.com/bye?next=/a b&x=1#frag"
	got := c.LogoutURL(logoutURI)
	want := "https://myapp.auth.eu-west-1.amazoncognito.com/logout?client_id=1example23456789&logout_uri=" +
		"https%3A%2F%2Fapp.example.com%2Fbye%3Fnext%3D%2Fa+b%26x%3D1%23frag"
	if got != want {
		t.Errorf("LogoutURL\n got %s\nwant %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil || u.Query().Get("logout_uri") != logoutURI || len(u.Query()) != 2 {
		t.Errorf("does not parse back: %v %v", u.Query(), err)
	}
}

// noNetwork is an HTTP client that fails the test on any request.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL)
		return nil, errors.New("no network in this test")
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDomainEndpoints(t *testing.T) {
	c, err := oauth.New(context.Background(), oauth.Config{
		Issuer:       verify.AWSIssuer("eu-west-1", "eu-west-1_AbCdEf123"),
		Domain:       "https://myapp.auth.eu-west-1.amazoncognito.com",
		ClientID:     "1example23456789",
		ClientSecret: "secret",
		RedirectURL:  "https://app.example.com/oauth/callback",
		Scopes:       []string{"openid", "profile", "aws.cognito.signin.user.admin"},
		HTTPClient:   noNetwork(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	d := "https://myapp.auth.eu-west-1.amazoncognito.com"
	want := oauth.Endpoints{
		Authorization: d + "/oauth2/authorize", Token: d + "/oauth2/token", UserInfo: d + "/oauth2/userInfo",
		Revocation: d + "/oauth2/revoke", Logout: d + "/logout",
	}
	if got := c.Endpoints(); got != want {
		t.Errorf("endpoints\n got %+v\nwant %+v", got, want)
	}
	u, err := url.Parse(c.AuthCodeURL("st", "no", "ver", oauth2.SetAuthURLParam("identity_provider", "Google"), oauth2.SetAuthURLParam("state", "evil")))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != want.Authorization || q.Get("state") != "st" || q.Get("nonce") != "no" ||
		q.Get("client_id") != "1example23456789" || q.Get("redirect_uri") != "https://app.example.com/oauth/callback" ||
		q.Get("scope") != "openid profile aws.cognito.signin.user.admin" || q.Get("response_type") != "code" ||
		q.Get("identity_provider") != "Google" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") != "z1Qq2hNe4-3LvnsxADGSx1KVx-_w7-dZOgoLD3ktUlY" {
		t.Errorf("authorize URL %s", u)
	}
	if q.Has("client_secret") {
		t.Error("the secret is in the authorize URL")
	}
}

func TestDiscovery(t *testing.T) {
	as := newAuthServer(t, "")
	c, err := oauth.New(context.Background(), oauth.Config{Issuer: as.issuer, ClientID: as.clientID, RedirectURL: "http://localhost/cb"})
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.Endpoints{
		Authorization: as.issuer + "/oauth2/authorize", Token: as.issuer + "/oauth2/token",
		UserInfo: as.issuer + "/oauth2/userInfo", Revocation: as.issuer + "/oauth2/revoke",
		Logout: as.issuer + "/logout", JWKS: as.issuer + "/.well-known/jwks.json",
	}
	if got := c.Endpoints(); got != want {
		t.Errorf("endpoints\n got %+v\nwant %+v", got, want)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	for _, iss := range []string{"https://evil.example.com/" + poolID, "ISSUER/", "ISSUER/x"} {
		as := newAuthServer(t, "")
		as.discoveryIssuer = strings.Replace(iss, "ISSUER", as.issuer, 1)
		_, err := oauth.New(context.Background(), oauth.Config{Issuer: as.issuer, ClientID: as.clientID, RedirectURL: "http://localhost/cb"})
		if !errors.Is(err, oauth.ErrIssuerMismatch) {
			t.Errorf("discovery naming %q: %v, want ErrIssuerMismatch", as.discoveryIssuer, err)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	good := oauth.Config{
		Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", Domain: "https://x.auth.eu-west-1.amazoncognito.com",
		ClientID: "c", RedirectURL: "https://app.example.com/cb",
	}
	if _, err := oauth.New(context.Background(), good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for name, tweak := range map[string]func(*oauth.Config){
		"no issuer":        func(c *oauth.Config) { c.Issuer = "" },
		"no client":        func(c *oauth.Config) { c.ClientID = "" },
		"no redirect":      func(c *oauth.Config) { c.RedirectURL = "" },
		"relative":         func(c *oauth.Config) { c.RedirectURL = "/cb" },
		"domain no scheme": func(c *oauth.Config) { c.Domain = "x.auth.eu-west-1.amazoncognito.com" },
		"no openid":        func(c *oauth.Config) { c.Scopes = []string{"email"} },
		"short key":        func(c *oauth.Config) { c.CookieKey = []byte("short") },
		"host prefix":      func(c *oauth.Config) { c.CookieName = "__Host-x" },
		"bad cookie name":  func(c *oauth.Config) { c.CookieName = "a;b" },
	} {
		cfg := good
		tweak(&cfg)
		if _, err := oauth.New(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
