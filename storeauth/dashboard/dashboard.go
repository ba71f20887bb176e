package dashboard

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashless/hashless/internal/formguard"
	"github.com/hashless/hashless/storeauth"
)

// Prefix is where the console is mounted.
const Prefix = "/admin/ui/"

// Access says who may use the console.
type Access int

const (
	// AccessOff: every page answers 404, saying how to turn the console on.
	AccessOff Access = iota
	// AccessLoopback: open without a sign-in to callers on this machine (development,
	// with no admin token).
	AccessLoopback
	// AccessToken: a sign-in with the admin token.
	AccessToken
)

func (a Access) String() string {
	switch a {
	case AccessLoopback:
		return "loopback"
	case AccessToken:
		return "token"
	default:
		return "off"
	}
}

// Defaults and limits.
const (
	// DefaultSessionTTL is how long a console sign-in lasts.
	DefaultSessionTTL = 8 * time.Hour
	// maxSessions bounds the console sessions a process keeps; the oldest go first.
	maxSessions = 1000
	// maxFormBytes bounds a form body.
	maxFormBytes = 16 << 10
	// Sign-in failures allowed per client and window before the form refuses to check.
	maxFailures   = 10
	failureWindow = 15 * time.Minute
)

// Cookie names; over https they carry the __Secure- prefix.
const (
	sessionCookie = "hashless_console"
	csrfCookie    = "hashless_console_csrf"
)

// csp allows the page its own stylesheet and images and nothing else: no script at all,
// no framing, forms only to this origin.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed templates
var files embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"f1":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"count": formatCount,
	"lower": strings.ToLower,
}).ParseFS(files, "templates/*.html"))

var stylesheet = func() []byte {
	b, err := files.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	return b
}()

// Config is what a Dashboard is built from.
type Config struct {
	Service *storeauth.Service
	Access  Access
	// AdminToken is what the sign-in form takes; required with AccessToken.
	AdminToken string
	// PublicURL is where the service is reached: https makes the cookies Secure, and its
	// origin is trusted by the cross-origin check.
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock; nil means time.Now. Give the service's, so ranges agree.
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
}

// Dashboard serves the console under Prefix.
type Dashboard struct {
	svc       *storeauth.Service
	access    Access
	token     [32]byte // SHA-256 of the admin token
	log       *slog.Logger
	now       func() time.Time
	ttl       time.Duration
	secure    bool
	cookiePfx string
	crossOrig *http.CrossOriginProtection
	mux       *http.ServeMux

	mu       sync.Mutex
	sessions map[[32]byte]time.Time // SHA-256 of a session token → its end
	failures map[string]failures    // client → recent sign-in failures
}

type failures struct {
	n     int
	since time.Time
}

// New checks cfg and builds the console.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Service == nil {
		return nil, errors.New("dashboard: Config.Service is required")
	}
	if cfg.Access == AccessToken && cfg.AdminToken == "" {
		return nil, errors.New("dashboard: signing in needs the admin token")
	}
	d := &Dashboard{svc: cfg.Service, access: cfg.Access, log: cfg.Logger, now: cfg.Now, ttl: cfg.SessionTTL,
		crossOrig: http.NewCrossOriginProtection(), sessions: map[[32]byte]time.Time{}, failures: map[string]failures{}}
	d.token = sha256.Sum256([]byte(cfg.AdminToken))
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.ttl <= 0 {
		d.ttl = DefaultSessionTTL
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("dashboard: public URL %q is not an http(s) URL", cfg.PublicURL)
		}
		d.secure = u.Scheme == "https"
		if err := d.crossOrig.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("dashboard: public URL: %w", err)
		}
	}
	if d.secure {
		d.cookiePfx = "__Secure-"
	}
	d.crossOrig.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusForbidden, "The form came from another site and was refused.")
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"{$}", d.overview)
	mux.HandleFunc("GET "+Prefix+"style.css", d.style)
	mux.HandleFunc("GET "+Prefix+"login", d.loginPage)
	mux.HandleFunc("POST "+Prefix+"login", d.loginSubmit)
	mux.HandleFunc("POST "+Prefix+"logout", d.logout)
	mux.HandleFunc("GET "+Prefix+"blocked", d.blocked)
	mux.HandleFunc("GET "+Prefix+"customers", d.search)
	mux.HandleFunc("GET "+Prefix+"customers/{id}", d.customer)
	mux.HandleFunc("GET "+Prefix+"customers/{id}/confirm", d.confirm)
	mux.HandleFunc("POST "+Prefix+"customers/{id}/{action}", d.act)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusNotFound, "There is no such page in the console.")
	})
	d.mux = mux
	return d, nil
}

// ServeHTTP serves /admin/ui and everything under it.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	if !strings.HasPrefix(r.URL.Path, Prefix) {
		d.fail(w, r, http.StatusNotFound, "There is no such page in the console.")
		return
	}
	switch d.access {
	case AccessOff:
		d.fail(w, r, http.StatusNotFound, "The console is off. It opens by itself on a loopback address without an admin token; elsewhere start hashless serve with --dashboard=on and HASHLESS_ADMIN_TOKEN set, and sign in with the token.")
		return
	case AccessLoopback:
		if !formguard.FromThisMachine(r) {
			d.fail(w, r, http.StatusForbidden, "Without an admin token the console is open only to browsers on this machine. Set HASHLESS_ADMIN_TOKEN to sign in from elsewhere.")
			return
		}
	}
	if r.Method == http.MethodPost {
		if err := d.crossOrig.Check(r); err != nil {
			d.fail(w, r, http.StatusForbidden, "The form came from another site and was refused.")
			return
		}
		if status, msg, ok := formguard.ParseForm(w, r, maxFormBytes); !ok {
			d.fail(w, r, status, msg)
			return
		}
		if !formguard.CSRFValid(r, d.cookie(csrfCookie)) {
			d.fail(w, r, http.StatusForbidden, "The form has expired or did not come from this console. Go back, reload the page and try again.")
			return
		}
	}
	if d.access == AccessToken && !d.signedIn(r) && !public(r) {
		http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
		return
	}
	d.mux.ServeHTTP(w, r)
}

// public: the pages one reaches before signing in.
func public(r *http.Request) bool {
	return r.URL.Path == Prefix+"login" || r.URL.Path == Prefix+"style.css"
}

// fromThisMachine: a loopback peer, no proxy in between that says so (a proxy on this
// machine would make the world a loopback peer), and a Host that is a loopback name or
// address (a page of another site whose name was rebound to 127.0.0.1 sends its own).

// --- cookies, sessions, CSRF

func (d *Dashboard) cookie(name string) string { return d.cookiePfx + name }

func (d *Dashboard) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: d.cookie(name), Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode})
}

// csrfToken returns the browser's CSRF value, setting the cookie on first sight.
func (d *Dashboard) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return formguard.CSRFToken(w, r, http.Cookie{Name: d.cookie(csrfCookie), Path: Prefix, Secure: d.secure,
		SameSite: http.SameSiteStrictMode})
}

func (d *Dashboard) signedIn(r *http.Request) bool {
	c, err := r.Cookie(d.cookie(sessionCookie))
	if err != nil || c.Value == "" {
		return false
	}
	key := sha256.Sum256([]byte(c.Value))
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	end, ok := d.sessions[key]
	if ok && !now.Before(end) {
		delete(d.sessions, key)
		ok = false
	}
	return ok
}

// newSession starts a console session and returns its token.
func (d *Dashboard) newSession() string {
	token := formguard.RandomToken()
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sessions) >= maxSessions {
		var oldest [32]byte
		first := true
		for k, end := range d.sessions {
			if !now.Before(end) {
				delete(d.sessions, k)
				continue
			}
			if first || end.Before(d.sessions[oldest]) {
				oldest, first = k, false
			}
		}
		if len(d.sessions) >= maxSessions {
			delete(d.sessions, oldest)
		}
	}
	d.sessions[sha256.Sum256([]byte(token))] = now.Add(d.ttl)
	return token
}

func (d *Dashboard) endSession(r *http.Request) {
	if c, err := r.Cookie(d.cookie(sessionCookie)); err == nil {
		d.mu.Lock()
		delete(d.sessions, sha256.Sum256([]byte(c.Value)))
		d.mu.Unlock()
	}
}

// throttled reports whether client has failed to sign in too often lately.
func (d *Dashboard) throttled(client string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.failures[client]
	if ok && d.now().Sub(f.since) >= failureWindow {
		delete(d.failures, client)
		return false
	}
	return ok && f.n >= maxFailures
}

func (d *Dashboard) failed(client string) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.failures) > 10000 {
		for k, f := range d.failures {
			if now.Sub(f.since) >= failureWindow {
				delete(d.failures, k)
			}
		}
	}
	f, ok := d.failures[client]
	if !ok || now.Sub(f.since) >= failureWindow {
		f = failures{since: now}
	}
	f.n++
	d.failures[client] = f
}

func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// --- rendering

// view is what every page template gets.
type view struct {
	Title    string
	Section  string
	CSRF     string
	SignedIn bool
	Nav      bool
	Error    string
	Notice   string
	Status   int

	Overview *overviewView
	Blocked  *blockedView
	Customer *customerView
	Confirm  *confirmView
	Search   *searchView
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, name string, v view) {
	if v.CSRF == "" {
		v.CSRF = d.csrfToken(w, r)
	}
	v.SignedIn = d.access == AccessToken && d.signedIn(r)
	v.Nav = d.access == AccessLoopback || v.SignedIn
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		d.log.Error("console page failed to render", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail shows an error page.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	title := "Not found"
	switch status {
	case http.StatusForbidden:
		title = "Not allowed"
	case http.StatusBadRequest:
		title = "Bad request"
	case http.StatusTooManyRequests:
		title = "Too many attempts"
	case http.StatusServiceUnavailable:
		title = "Unavailable"
	}
	d.render(w, r, "error", view{Title: title, Error: message, Status: status, CSRF: "-"})
}

// failErr shows a service error: its message when it is meant for people, else a
// generic one (the cause is logged).
func (d *Dashboard) failErr(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := errorOf(err)
	if status == http.StatusServiceUnavailable {
		d.log.Error("console request failed", "path", r.URL.Path, "err", err)
	}
	d.fail(w, r, status, msg)
}

func errorOf(err error) (int, string) {
	var e *storeauth.Error
	if !errors.As(err, &e) {
		return http.StatusServiceUnavailable, "The service is unavailable; try again later."
	}
	switch e.Type {
	case storeauth.TypeNotFound:
		return http.StatusNotFound, e.Message
	case storeauth.TypeInvalidData:
		return http.StatusBadRequest, e.Message
	case storeauth.TypeDuplicate:
		return http.StatusConflict, e.Message
	default:
		return http.StatusServiceUnavailable, e.Message
	}
}

func (d *Dashboard) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(stylesheet)
}

// --- sign-in

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	if d.access != AccessToken || d.signedIn(r) {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	d.render(w, r, "login", view{Title: "Sign in"})
}

func (d *Dashboard) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if d.access != AccessToken {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	client := clientOf(r)
	if d.throttled(client) {
		d.render(w, r, "login", view{Title: "Sign in", Status: http.StatusTooManyRequests,
			Error: "Too many wrong tokens from here; wait a quarter of an hour and try again."})
		return
	}
	// Both sides hashed first: the compare takes the same time whatever the lengths.
	given := sha256.Sum256([]byte(r.PostForm.Get("token")))
	if subtle.ConstantTimeCompare(given[:], d.token[:]) != 1 {
		d.failed(client)
		d.log.Warn("console sign-in refused", "client", client)
		d.render(w, r, "login", view{Title: "Sign in", Status: http.StatusUnauthorized, Error: "That is not the admin token."})
		return
	}
	d.setCookie(w, sessionCookie, d.newSession(), int(d.ttl/time.Second))
	d.log.Info("console sign-in", "client", client)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	d.endSession(r)
	d.setCookie(w, sessionCookie, "", -1)
	if d.access == AccessToken {
		http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}
