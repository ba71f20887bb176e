package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashless/hashless/cognito/oauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		slog.Error("hostedui", "err", err)
		os.Exit(1)
	}
}

// options are the flags, each defaulting to an environment variable.
type options struct {
	addr, issuer, domain, clientID, clientSecret, redirectURL, logoutURL string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("hostedui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.addr, "addr", env("HOSTEDUI_ADDR", "127.0.0.1:4200"), "address to listen on (HOSTEDUI_ADDR)")
	fs.StringVar(&o.issuer, "issuer", env("COGNITO_ISSUER", ""), "the pool's issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<pool ID> or <hashless pool URL>/<pool ID> (COGNITO_ISSUER)")
	fs.StringVar(&o.domain, "domain", env("COGNITO_DOMAIN", ""), "the hosted UI's base URL, e.g. https://<prefix>.auth.<region>.amazoncognito.com; empty: read the endpoints from the issuer's discovery document (COGNITO_DOMAIN)")
	fs.StringVar(&o.clientID, "client-id", env("COGNITO_CLIENT_ID", ""), "the app client ID (COGNITO_CLIENT_ID)")
	fs.StringVar(&o.clientSecret, "client-secret", env("COGNITO_CLIENT_SECRET", ""), "the app client secret; empty for a public client (COGNITO_CLIENT_SECRET)")
	fs.StringVar(&o.redirectURL, "redirect-url", env("HOSTEDUI_REDIRECT_URL", ""), "callback URL listed in the app client; default http://localhost:<port>/oauth/callback (HOSTEDUI_REDIRECT_URL)")
	fs.StringVar(&o.logoutURL, "logout-url", env("HOSTEDUI_LOGOUT_URL", ""), "sign-out URL listed in the app client; default http://localhost:<port>/oauth/logout (HOSTEDUI_LOGOUT_URL)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.issuer == "" || o.clientID == "" {
		return o, errors.New("--issuer and --client-id are required")
	}
	base, err := baseURL(o.addr)
	if err != nil {
		return o, err
	}
	if o.redirectURL == "" {
		o.redirectURL = base + "/oauth/callback"
	}
	if o.logoutURL == "" {
		o.logoutURL = base + "/oauth/logout"
	}
	return o, nil
}

// baseURL is the app's URL for a listening address. Cognito accepts plain-HTTP callback
// URLs only on localhost, so a loopback or unspecified host becomes localhost.
func baseURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	secure := strings.HasPrefix(o.redirectURL, "https:")
	client, err := oauth.New(ctx, oauth.Config{
		Issuer:       o.issuer,
		Domain:       o.domain,
		ClientID:     o.clientID,
		ClientSecret: o.clientSecret,
		RedirectURL:  o.redirectURL,
		// No CookieKey: one process, so a key of its own is enough.
		CookieSecure: secure,
	})
	if err != nil {
		return err
	}
	a := &app{client: client, logoutURL: o.logoutURL, secure: secure, sessions: map[string]*session{}}

	callback, err := url.Parse(o.redirectURL)
	if err != nil {
		return err
	}
	logout, err := url.Parse(o.logoutURL)
	if err != nil {
		return err
	}
	if callback.Path == "" || logout.Path == "" || callback.Path == logout.Path || callback.Path == "/" || logout.Path == "/" || callback.Path == "/login" || logout.Path == "/login" {
		return fmt.Errorf("the redirect URL's path %q and the logout URL's path %q must differ, and differ from / and /login", callback.Path, logout.Path)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.Handle("GET /login", client.LoginHandler())
	mux.Handle("GET "+callback.Path, client.CallbackHandler(a.signedIn, a.signInFailed))
	mux.HandleFunc("GET "+logout.Path, a.signedOut)

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	slog.Info("listening", "addr", ln.Addr().String(), "redirect_url", o.redirectURL, "logout_url", o.logoutURL)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

const sessionCookie = "hostedui_session"

// sessionLifetime bounds how long a session is kept; the refresh token may expire sooner.
const sessionLifetime = 12 * time.Hour

type session struct {
	tokens  *oauth.Tokens
	created time.Time
}

// app keeps signed-in users' tokens in memory, behind a random session ID in a cookie.
type app struct {
	client    *oauth.Client
	logoutURL string
	secure    bool

	mu       sync.Mutex
	sessions map[string]*session
}

// current returns the request's session ID and tokens, refreshed if they have expired.
func (a *app) current(r *http.Request) (string, *oauth.Tokens) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	a.mu.Lock()
	s := a.sessions[ck.Value]
	a.mu.Unlock()
	if s == nil {
		return "", nil
	}
	t := s.tokens
	if !t.Expiry.IsZero() && time.Now().After(t.Expiry.Add(-time.Minute)) {
		fresh, err := a.client.Refresh(r.Context(), t.RefreshToken)
		if err != nil {
			slog.InfoContext(r.Context(), "refresh failed; session ended", "err", err)
			a.drop(ck.Value)
			return "", nil
		}
		a.mu.Lock()
		s.tokens = fresh
		a.mu.Unlock()
		t = fresh
	}
	return ck.Value, t
}

func (a *app) drop(id string) *oauth.Tokens {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[id]
	delete(a.sessions, id)
	if s == nil {
		return nil
	}
	return s.tokens
}

func (a *app) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	_, t := a.current(r)
	data := pageData{Title: "Signed out"}
	if t != nil {
		email, _ := t.Claims.Raw["email"].(string)
		data = pageData{Title: "Signed in", User: t.Claims.Username, Email: email, Sub: t.Claims.Subject,
			SignOut: a.client.LogoutURL(a.logoutURL)}
		if data.SignOut == "" {
			// A pool without a logout endpoint: end the app's session only.
			data.SignOut = a.logoutURL
		}
	}
	render(w, http.StatusOK, data)
}

func (a *app) signedIn(w http.ResponseWriter, r *http.Request, t *oauth.Tokens) {
	id := rand.Text()
	now := time.Now()
	a.mu.Lock()
	for k, s := range a.sessions {
		if now.Sub(s.created) > sessionLifetime {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = &session{tokens: t, created: now}
	a.mu.Unlock()
	a.setCookie(w, id, int(sessionLifetime/time.Second))
	slog.InfoContext(r.Context(), "signed in", "username", t.Claims.Username, "sub", t.Claims.Subject)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *app) signInFailed(w http.ResponseWriter, r *http.Request, err error) {
	slog.WarnContext(r.Context(), "sign-in failed", "err", err)
	msg := "Sign-in failed. Please try again."
	if errors.Is(err, oauth.ErrAccessDenied) {
		msg = "Sign-in was cancelled."
	}
	render(w, http.StatusBadRequest, pageData{Title: "Sign-in failed", Error: msg})
}

// signedOut is where the pool's logout endpoint sends the browser back: it ends the
// app's session too and revokes its refresh token.
func (a *app) signedOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if t := a.drop(ck.Value); t != nil && t.RefreshToken != "" {
			if err := a.client.Revoke(r.Context(), t.RefreshToken); err != nil {
				slog.WarnContext(r.Context(), "revoking the refresh token failed", "err", err)
			}
		}
	}
	a.setCookie(w, "", -1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type pageData struct {
	Title, User, Email, Sub, SignOut, Error string
}

func render(w http.ResponseWriter, status int, data pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := page.Execute(w, data); err != nil {
		slog.Error("rendering the page", "err", err)
	}
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – Hosted UI example</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
nav ul { list-style: none; padding: 0; }
a:focus-visible { outline: 3px solid; outline-offset: 2px; }
dt { font-weight: bold; }
</style>
</head>
<body>
<header>
<p><strong>Hosted UI example</strong></p>
<nav aria-label="Account">
<ul>
{{- if .User}}
<li><a href="{{.SignOut}}">Sign out</a></li>
{{- else}}
<li><a href="/login">Sign in</a></li>
{{- end}}
</ul>
</nav>
</header>
<main>
<h1>{{.Title}}</h1>
{{- if .Error}}
<p role="alert">{{.Error}}</p>
{{- else if .User}}
<p>Signed in as <strong>{{.User}}</strong>.</p>
<section aria-labelledby="claims-heading">
<h2 id="claims-heading">Verified ID token claims</h2>
<dl>
<dt>email</dt><dd>{{if .Email}}{{.Email}}{{else}}(none){{end}}</dd>
<dt>sub</dt><dd>{{.Sub}}</dd>
</dl>
</section>
{{- else}}
<p>You are not signed in. Use “Sign in” to sign in with the pool’s hosted UI.</p>
{{- end}}
</main>
</body>
</html>
`))
