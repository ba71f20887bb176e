package storeauth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// HandlerConfig says how the HTTP API is served.
type HandlerConfig struct {
	// PublicURL is where customers reach the service. When it is https, the session cookie
	// is Secure and named with the __Host- prefix; its origin is trusted for CSRF.
	PublicURL string
	// CORSOrigins may call the API from browsers with credentials, and are trusted for CSRF.
	CORSOrigins []string
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AdminToken guards /admin; while empty, admin routes answer 403.
	AdminToken string
	// MaxBodyBytes limits request bodies; 0 means 64 KiB.
	MaxBodyBytes int64
	// MaxImportBytes limits the body of POST /admin/customers/import, which is streamed,
	// never held whole; 0 means DefaultMaxImportBytes.
	MaxImportBytes int64
	// Ready, when set, is asked by /readyz besides the pool (e.g. a database ping).
	Ready func(ctx context.Context) error
}

// CookieName is the session cookie's name over http; over https it is "__Host-" + CookieName.
const CookieName = "hashless_session"

// Route is one route of the API, as documented in openapi.json.
type Route struct {
	Method  string
	Pattern string
	Admin   bool
	handler func(h *API, w http.ResponseWriter, r *http.Request)
}

// routes is the API. Method "" means any method (forward-auth is called with the method of
// the request it guards).
var routes = []Route{
	{Method: "POST", Pattern: "/store/customers", handler: (*API).register},
	{Method: "GET", Pattern: "/store/customers/me", handler: (*API).me},
	{Method: "POST", Pattern: "/store/customers/me", handler: (*API).updateMe},
	{Method: "POST", Pattern: "/store/customers/me/password", handler: (*API).changePassword},
	{Method: "POST", Pattern: "/store/customers/me/email/verify", handler: (*API).verifyEmail},
	{Method: "POST", Pattern: "/store/customers/password-token", handler: (*API).passwordToken},
	{Method: "POST", Pattern: "/store/customers/password-reset", handler: (*API).passwordReset},
	{Method: "POST", Pattern: "/store/auth", handler: (*API).loginCookie},
	{Method: "POST", Pattern: "/store/auth/token", handler: (*API).loginToken},
	{Method: "GET", Pattern: "/store/auth", handler: (*API).current},
	{Method: "DELETE", Pattern: "/store/auth", handler: (*API).logout},
	{Method: "GET", Pattern: "/store/auth/sessions", handler: (*API).listSessions},
	{Method: "DELETE", Pattern: "/store/auth/sessions", handler: (*API).endOtherSessions},
	{Method: "DELETE", Pattern: "/store/auth/sessions/{id}", handler: (*API).endSession},
	{Method: "", Pattern: "/store/auth/verify", handler: (*API).verify},
	{Method: "GET", Pattern: "/admin/customers", Admin: true, handler: (*API).adminList},
	{Method: "POST", Pattern: "/admin/customers/import", Admin: true, handler: (*API).adminImport},
	{Method: "POST", Pattern: "/admin/customers/{id}/disable", Admin: true, handler: (*API).adminDisable},
	{Method: "POST", Pattern: "/admin/customers/{id}/enable", Admin: true, handler: (*API).adminEnable},
	{Method: "DELETE", Pattern: "/admin/customers/{id}/sessions", Admin: true, handler: (*API).adminEndSessions},
	{Method: "DELETE", Pattern: "/admin/customers/{id}", Admin: true, handler: (*API).adminDelete},
	{Method: "GET", Pattern: "/admin/migration", Admin: true, handler: (*API).adminMigration},
	{Method: "GET", Pattern: "/healthz", handler: (*API).healthz},
	{Method: "GET", Pattern: "/readyz", handler: (*API).readyz},
}

// Routes lists the API's routes (for documentation checks).
func Routes() []Route { return append([]Route(nil), routes...) }

type API struct {
	svc        *Service
	cfg        HandlerConfig
	log        *slog.Logger
	cookieName string
	secure     bool
	cors       map[string]bool
	csrf       *http.CrossOriginProtection
	mux        *http.ServeMux
}

// Handler serves the HTTP API: /store, /admin, /healthz and /readyz.
func (s *Service) Handler(cfg HandlerConfig) (*API, error) {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = DefaultMaxImportBytes
	}
	h := &API{svc: s, cfg: cfg, log: s.log, cookieName: CookieName, cors: map[string]bool{},
		csrf: http.NewCrossOriginProtection()}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("storeauth: public URL %q is not an http(s) URL", cfg.PublicURL)
		}
		if u.Scheme == "https" {
			h.secure = true
			h.cookieName = "__Host-" + CookieName
		}
		if err := h.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, fmt.Errorf("storeauth: public URL: %w", err)
		}
	}
	for _, o := range cfg.CORSOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if err := h.csrf.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("storeauth: CORS origin %q: %w", o, err)
		}
		h.cors[o] = true
	}
	h.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Type: TypeNotAllowed, Message: "Cross-origin request refused."})
	}))
	mux := http.NewServeMux()
	for _, rt := range routes {
		pattern := rt.Pattern
		if rt.Method != "" {
			pattern = rt.Method + " " + rt.Pattern
		}
		fn := rt.handler
		admin := rt.Admin
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if admin && !h.adminAllowed(w, r) {
				return
			}
			fn(h, w, r)
		})
	}
	mux.HandleFunc("/", h.noRoute)
	h.mux = mux
	return h, nil
}

// statusRecorder remembers the status for the request metric.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushing, deadlines).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (h *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		route := r.Pattern
		if route == "" || route == "/store/" || route == "/admin/" {
			route = "other"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		h.svc.metrics.httpRequests.WithLabelValues(route, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	}()
	h.serve(rec, r)
}

func (h *API) serve(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeError(w, &Error{Type: TypeUnavailable, Message: "The service is unavailable; try again later."})
		}
	}()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if origin := r.Header.Get("Origin"); origin != "" && h.cors[origin] {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if needsCSRFCheck(r) {
		if err := h.csrf.Check(r); err != nil {
			writeError(w, &Error{Type: TypeNotAllowed, Message: "Cross-origin request refused."})
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// needsCSRFCheck: unsafe requests a browser could send with the customer's cookie. A bearer
// token is never sent by a browser on its own, and forward-auth judges another request.
func needsCSRFCheck(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if !strings.HasPrefix(r.URL.Path, "/store/") || r.URL.Path == "/store/auth/verify" {
		return false
	}
	return bearerToken(r) == ""
}

func (h *API) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "/" && pattern != "" {
			writeError(w, &Error{Type: TypeNotAllowed, Message: "Method " + r.Method + " is not allowed here."}, http.StatusMethodNotAllowed)
			return
		}
	}
	writeError(w, &Error{Type: TypeNotFound, Message: "No such route."})
}

// --- responses

func statusOf(t string) int {
	switch t {
	case TypeInvalidData:
		return http.StatusBadRequest
	case TypeUnauthorized:
		return http.StatusUnauthorized
	case TypeNotAllowed:
		return http.StatusForbidden
	case TypeNotFound:
		return http.StatusNotFound
	case TypeDuplicate:
		return http.StatusConflict
	case TypeTooLarge:
		return http.StatusRequestEntityTooLarge
	case TypeUnsupportedType:
		return http.StatusUnsupportedMediaType
	case TypeTooManyRequests:
		return http.StatusTooManyRequests
	default:
		return http.StatusServiceUnavailable
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusServiceUnavailable, []byte(`{"type":"unavailable","message":"The response could not be encoded."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError sends e; status overrides the type's usual status.
func writeError(w http.ResponseWriter, e *Error, status ...int) {
	code := statusOf(e.Type)
	if len(status) > 0 {
		code = status[0]
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, code, map[string]string{"type": e.Type, "message": e.Message})
}

// fail answers with err: an *Error as it is, anything else as a generic 503 (logged).
func (h *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errStore(err)
	}
	if e.Type == TypeUnavailable {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, e)
}

// customerJSON is a customer as the API shows it.
type customerJSON struct {
	ID         string          `json:"id"`
	Email      string          `json:"email"`
	FirstName  *string         `json:"first_name"`
	LastName   *string         `json:"last_name"`
	Phone      *string         `json:"phone"`
	Metadata   json.RawMessage `json:"metadata"`
	HasAccount bool            `json:"has_account"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func customerView(c store.Customer) customerJSON {
	meta := c.Metadata
	if len(meta) == 0 {
		meta = json.RawMessage("null")
	}
	return customerJSON{ID: c.ID, Email: c.Email, FirstName: nullable(c.FirstName), LastName: nullable(c.LastName),
		Phone: nullable(c.Phone), Metadata: meta, HasAccount: c.HasAccount,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

// --- requests

// decode reads a JSON object body into v: application/json only, size-limited, unknown
// fields and trailing data refused.
func (h *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, &Error{Type: TypeUnsupportedType, Message: "The body must be application/json."})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, &Error{Type: TypeTooLarge, Message: fmt.Sprintf("The body is larger than %d bytes.", h.cfg.MaxBodyBytes)})
		} else {
			writeError(w, invalid("The body could not be read."))
		}
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, invalid("The body is not valid JSON for this request: %s.", jsonProblem(err)))
		return false
	}
	if dec.More() {
		writeError(w, invalid("The body has data after the JSON object."))
		return false
	}
	return true
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("%s must be a %s", typeErr.Field, typeErr.Type.Kind())
		}
		return "expected a JSON object"
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed"
}

// clientOf is who sent r: the remote address, or the nearest untrusted address in
// X-Forwarded-For when the remote address is a trusted proxy.
func (h *API) clientOf(r *http.Request) Client {
	return Client{IP: ClientIP(r, h.cfg.TrustedProxies), UserAgent: r.UserAgent()}
}

// ClientIP returns the request's client address, believing X-Forwarded-For only from
// trusted proxies and only up to the first hop that is not one.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		hop = hop.Unmap()
		addr = hop
		if !isTrusted(hop) {
			break
		}
	}
	return addr.String()
}

func bearerToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// session authenticates r by its bearer token or else its cookie.
func (h *API) session(r *http.Request) (store.Session, error) {
	token := bearerToken(r)
	if token == "" {
		if c, err := r.Cookie(h.cookieName); err == nil {
			token = c.Value
		}
	}
	if token == "" {
		return store.Session{}, errUnauthenticated()
	}
	return h.svc.Authenticate(r.Context(), token)
}

func (h *API) setCookie(w http.ResponseWriter, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName, Value: token, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func (h *API) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// adminAllowed checks the admin bearer token in constant time.
func (h *API) adminAllowed(w http.ResponseWriter, r *http.Request) bool {
	if h.cfg.AdminToken == "" {
		writeError(w, &Error{Type: TypeNotAllowed, Message: "The admin API is off: set HASHLESS_ADMIN_TOKEN."})
		return false
	}
	given := bearerToken(r)
	if subtle.ConstantTimeCompare([]byte(given), []byte(h.cfg.AdminToken)) != 1 {
		writeError(w, &Error{Type: TypeUnauthorized, Message: "A valid admin token is required."})
		return false
	}
	return true
}
