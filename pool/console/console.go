package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashless/hashless/internal/formguard"
	"github.com/hashless/hashless/pool"
)

// Prefix is where the console is mounted.
const Prefix = "/_local/console/"

// Limits.
const (
	// maxFormBytes bounds a form body (a pasted token is at most 16 KiB).
	maxFormBytes = 64 << 10
	// maxQueryBytes bounds a page's query (a pagination token and a search).
	maxQueryBytes = 8 << 10
	// DefaultSessionTTL is how long a console sign-in lasts.
	DefaultSessionTTL = 8 * time.Hour
	// maxSessions bounds the sessions kept in memory; the oldest go first.
	maxSessions = 10000
	// loginFailures is how many failed sign-ins one address may make per minute.
	loginFailures = 10
)

// csp is the Content-Security-Policy of every console response.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

// Config is what a Handler is built from.
type Config struct {
	Service *pool.Service
	// Credentials are the pool's KEY → SECRET pairs; the console signs in with one of them.
	// None means development mode.
	Credentials map[string]string
	// Enabled turns the console on where development mode on loopback does not already.
	Enabled bool
	// Region is the region of the calls the console makes (the server's default region).
	Region string
	Logger *slog.Logger
	// SecureCookies reports whether the public URL is https (it may be known only once the
	// server listens); nil means never.
	SecureCookies func() bool
	// SessionTTL is how long a sign-in lasts; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// Now is the console's clock for sessions; nil means the wall clock.
	Now func() time.Time
}

// Handler serves the console.
type Handler struct {
	svc      *pool.Service
	creds    map[string]string
	enabled  bool
	caller   pool.Caller
	log      *slog.Logger
	secure   func() bool
	now      func() time.Time
	sessions *sessions
	failures *failures
	forms    *http.CrossOriginProtection
	mux      *http.ServeMux
	static   http.Handler
}

// New builds a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("console: Config.Service is required")
	}
	h := &Handler{svc: cfg.Service, creds: cfg.Credentials, enabled: cfg.Enabled, log: cfg.Logger,
		secure: cfg.SecureCookies, now: cfg.Now, caller: pool.Caller{Region: cfg.Region}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.secure == nil {
		h.secure = func() bool { return false }
	}
	if h.now == nil {
		h.now = time.Now
	}
	ttl := cfg.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	h.sessions = &sessions{ttl: ttl, byHash: map[[32]byte]session{}}
	h.failures = &failures{byAddr: map[string]int{}}
	h.forms = http.NewCrossOriginProtection()
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h.static = http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	h.routes()
	return h, nil
}

// Register mounts the console on mux: everything under Prefix, and a redirect from the
// prefix without its slash.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, h)
	mux.HandleFunc("GET "+strings.TrimSuffix(Prefix, "/"), func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
}

func (h *Handler) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.static.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET "+Prefix+"login", h.loginPage)
	mux.HandleFunc("POST "+Prefix+"login", h.loginSubmit)
	mux.HandleFunc("POST "+Prefix+"logout", h.logout)
	signed := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, h.signedIn(fn)) }
	signed("GET "+Prefix+"{$}", h.poolsPage)
	signed("GET "+Prefix+"messages", h.messagesPage)
	signed("GET "+Prefix+"messages.json", h.messagesFeed)
	signed("GET "+Prefix+"pools/{pool}", h.poolPage)
	signed("GET "+Prefix+"pools/{pool}/clients/{client}", h.clientPage)
	signed("GET "+Prefix+"pools/{pool}/users", h.usersPage)
	signed("GET "+Prefix+"pools/{pool}/user", h.userPage)
	signed("GET "+Prefix+"pools/{pool}/user/confirm", h.confirmPage)
	signed("POST "+Prefix+"pools/{pool}/user/{action}", h.actionSubmit)
	signed("GET "+Prefix+"pools/{pool}/keys", h.keysPage)
	signed("POST "+Prefix+"pools/{pool}/keys", h.tokenSubmit)
	signed(Prefix, func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "There is no such page in the console.")
	})
	h.mux = mux
}

// access is how a request may use the console.
type access int

const (
	accessOff           access = iota // the console is off: 404
	accessNoCredentials               // on, but there is nothing to sign in with
	accessOpen                        // development mode on loopback: no sign-in
	accessSignIn                      // a sign-in is needed
)

func (h *Handler) developmentMode() bool { return len(h.creds) == 0 }

func (h *Handler) access(r *http.Request) access {
	switch {
	case h.developmentMode() && formguard.FromThisMachine(r):
		return accessOpen
	case !h.enabled:
		return accessOff
	case h.developmentMode():
		return accessNoCredentials
	default:
		return accessSignIn
	}
}

type ctxKey struct{}

// visit is what the gate learned about a request.
type visit struct {
	access access
	// key is the access key of the signed-in session ("" when open).
	key string
}

func visitOf(r *http.Request) visit {
	v, _ := r.Context().Value(ctxKey{}).(visit)
	return v
}

// ServeHTTP is the gate every console request passes: headers, access, cross-origin and
// size checks, CSRF on every POST, then the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setHeaders(w)
	a := h.access(r)
	switch a {
	case accessOff:
		http.Error(w, "The console is off. Start the pool with --console (HASHLESS_POOL_CONSOLE=true) to turn it on.", http.StatusNotFound)
		return
	case accessNoCredentials:
		http.Error(w, "The console needs --credentials to sign in with when it is reached from off loopback.", http.StatusForbidden)
		return
	}
	if len(r.URL.RawQuery) > maxQueryBytes {
		http.Error(w, "The request is too long.", http.StatusRequestURITooLong)
		return
	}
	if err := h.forms.Check(r); err != nil {
		h.errorPage(w, r, http.StatusForbidden, "This request came from another site and was refused.")
		return
	}
	if r.Method == http.MethodPost {
		if status, msg, ok := formguard.ParseForm(w, r, maxFormBytes); !ok {
			h.errorPage(w, r, status, msg)
			return
		}
		if !formguard.CSRFValid(r, h.cookieName(csrfCookie)) {
			h.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this console. Go back, reload the page and try again.")
			return
		}
	}
	v := visit{access: a}
	if a == accessSignIn {
		if c, err := r.Cookie(h.cookieName(sessionCookie)); err == nil {
			v.key, _ = h.sessions.lookup(c.Value, h.now())
		}
	}
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)))
}

// signedIn lets a request through when the console is open or it carries a live session;
// otherwise pages redirect to the sign-in form and other requests are refused.
func (h *Handler) signedIn(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitOf(r)
		if v.access == accessOpen || v.key != "" {
			next(w, r)
			return
		}
		if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, ".json") {
			http.Redirect(w, r, Prefix+"login?next="+queryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"sign in to the console first"}` + "\n"))
	})
}

func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// Cookies. With an https public URL they take the __Host- prefix and the whole host's path
// (which that prefix requires); otherwise they are scoped to the console's path.
const (
	sessionCookie = "hashless-console-session"
	csrfCookie    = "hashless-console-csrf"
)

func (h *Handler) cookieName(base string) string {
	if h.secure() {
		return "__Host-" + base
	}
	return base
}

// cookie is the console's cookie named base, without its value.
func (h *Handler) cookie(base string, maxAge int) http.Cookie {
	path := Prefix
	if h.secure() {
		path = "/"
	}
	return http.Cookie{Name: h.cookieName(base), Path: path, MaxAge: maxAge, HttpOnly: true, Secure: h.secure(),
		SameSite: http.SameSiteStrictMode}
}

func (h *Handler) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	c := h.cookie(base, maxAge)
	c.Value = value
	http.SetCookie(w, &c)
}

// csrfToken returns the browser's CSRF value, setting the cookie on first sight.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return formguard.CSRFToken(w, r, h.cookie(csrfCookie, 0))
}

// session is one signed-in browser.
type session struct {
	key     string
	expires time.Time
}

// sessions are kept by the SHA-256 of their token, so a memory dump shows no usable token.
type sessions struct {
	mu     sync.Mutex
	ttl    time.Duration
	byHash map[[32]byte]session
}

func (s *sessions) start(key string, now time.Time) string {
	token := formguard.RandomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byHash) >= maxSessions {
		var oldest [32]byte
		var oldestAt time.Time
		for h, x := range s.byHash {
			if !x.expires.After(now) {
				delete(s.byHash, h)
				continue
			}
			if oldestAt.IsZero() || x.expires.Before(oldestAt) {
				oldest, oldestAt = h, x.expires
			}
		}
		if len(s.byHash) >= maxSessions {
			delete(s.byHash, oldest)
		}
	}
	s.byHash[sha256.Sum256([]byte(token))] = session{key: key, expires: now.Add(s.ttl)}
	return token
}

func (s *sessions) lookup(token string, now time.Time) (string, bool) {
	if len(token) != 43 {
		return "", false
	}
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.byHash[h]
	if !ok {
		return "", false
	}
	if !x.expires.After(now) {
		delete(s.byHash, h)
		return "", false
	}
	return x.key, true
}

func (s *sessions) end(token string) {
	h := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byHash, h)
}

// failures counts failed sign-ins per remote address in the current minute.
type failures struct {
	mu     sync.Mutex
	window time.Time
	byAddr map[string]int
}

func (f *failures) tooMany(addr string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roll(now)
	return f.byAddr[addr] >= loginFailures
}

func (f *failures) add(addr string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roll(now)
	if len(f.byAddr) < maxSessions {
		f.byAddr[addr]++
	}
}

func (f *failures) roll(now time.Time) {
	if w := now.Truncate(time.Minute); !w.Equal(f.window) {
		f.window = w
		clear(f.byAddr)
	}
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// checkSecret finds the credential whose key and secret match, comparing every candidate in
// constant time so the answer's timing says nothing about which part was wrong.
func (h *Handler) checkSecret(key, secret string) bool {
	found := 0
	for k, s := range h.creds {
		kOK := subtle.ConstantTimeCompare([]byte(k), []byte(key))
		sOK := subtle.ConstantTimeCompare([]byte(s), []byte(secret))
		found |= kOK & sOK
	}
	return found == 1
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	next := safeNext(r.URL.Query().Get("next"))
	if v.access == accessOpen || v.key != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, "login", page{Title: "Sign in to the console", Data: loginView{Next: next}})
}

type loginView struct {
	Next string
	Key  string
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	next := safeNext(r.PostFormValue("next"))
	if v.access == accessOpen {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("access_key"))
	secret := r.PostFormValue("secret")
	now := h.now()
	addr := remoteHost(r)
	if h.failures.tooMany(addr, now) {
		h.render(w, r, "login", page{Title: "Sign in to the console", Status: http.StatusTooManyRequests,
			Error: "Too many failed sign-ins. Wait a minute and try again.", Data: loginView{Next: next, Key: key}})
		return
	}
	if key == "" || secret == "" || !h.checkSecret(key, secret) {
		h.failures.add(addr, now)
		h.log.WarnContext(r.Context(), "console sign-in refused", "remote", addr)
		h.render(w, r, "login", page{Title: "Sign in to the console", Status: http.StatusUnauthorized,
			Error: "The access key or secret is wrong.", Data: loginView{Next: next, Key: key}})
		return
	}
	if c, err := r.Cookie(h.cookieName(sessionCookie)); err == nil {
		h.sessions.end(c.Value)
	}
	token := h.sessions.start(key, now)
	h.setCookie(w, sessionCookie, token, int(h.sessions.ttl/time.Second))
	// A fresh CSRF value for the signed-in browser.
	h.setCookie(w, csrfCookie, formguard.RandomToken(), 0)
	h.log.InfoContext(r.Context(), "console sign-in", "access_key", key, "remote", addr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(h.cookieName(sessionCookie)); err == nil {
		h.sessions.end(c.Value)
	}
	h.setCookie(w, sessionCookie, "", -1)
	h.setCookie(w, csrfCookie, "", -1)
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
}

// safeNext keeps a redirect after sign-in inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "/../") {
		return Prefix
	}
	return next
}
