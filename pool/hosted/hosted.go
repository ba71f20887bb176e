package hosted

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/internal/formguard"
	"github.com/hashless/hashless/pool"
)

// Limits on what a request may carry; past them it is refused before any work.
const (
	// maxQueryBytes bounds an authorize or page URL's query.
	maxQueryBytes = 8 << 10
	// maxFormBytes bounds a form or token request body.
	maxFormBytes = 16 << 10
	// maxParamBytes bounds each single parameter (state and nonce included).
	maxParamBytes = 2048
)

// Cookie names. Both are scoped to the pool's path, so pools on one server keep apart.
const (
	sessionCookie = "hashless-hosted-session"
	csrfCookie    = "hashless-hosted-csrf"
)

//go:embed templates
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"pageURL": pageURL}).ParseFS(templateFS, "templates/*.html"))

// pageURL links one page to another with the authorization parameters; built whole so the
// template escapes it as one URL rather than as a query value.
func pageURL(poolID, page string, authz url.Values) string {
	return "/" + poolID + "/" + page + "?" + authz.Encode()
}

// Config is what a Handler is built from.
type Config struct {
	Service *pool.Service
	Logger  *slog.Logger
	// Registry receives the handler's metrics; nil registers none.
	Registry prometheus.Registerer
	// SecureCookies reports whether the public URL is https (it may be known only once the
	// server listens); nil means never.
	SecureCookies func() bool
}

// Handler serves the hosted UI and OAuth endpoints of every pool of a Service.
type Handler struct {
	svc      *pool.Service
	log      *slog.Logger
	secure   func() bool
	grants   *prometheus.CounterVec
	pageHits *prometheus.CounterVec
}

// New builds a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("hosted: Config.Service is required")
	}
	h := &Handler{svc: cfg.Service, log: cfg.Logger, secure: cfg.SecureCookies,
		grants: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashless_pool_oauth_grants_total",
			Help: "OAuth token requests and authorizations by grant and outcome."}, []string{"grant", "outcome"}),
		pageHits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashless_pool_hosted_pages_total",
			Help: "Hosted UI page requests by page and outcome."}, []string{"page", "outcome"}),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.secure == nil {
		h.secure = func() bool { return false }
	}
	if cfg.Registry != nil {
		for _, c := range []prometheus.Collector{h.grants, h.pageHits} {
			if err := cfg.Registry.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// Register mounts every route on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	forms := http.NewCrossOriginProtection()
	route := func(pattern string, fn http.HandlerFunc) {
		mux.Handle(pattern, forms.Handler(h.limits(fn)))
	}
	route("GET /{pool}/oauth2/authorize", h.authorize)
	route("GET /{pool}/login", h.page(h.showPage("login", "Sign in")))
	route("POST /{pool}/login", h.form(h.loginSubmit))
	route("GET /{pool}/signup", h.page(h.signupPage))
	route("POST /{pool}/signup", h.form(h.signupSubmit))
	route("GET /{pool}/confirm", h.page(h.confirmPage))
	route("POST /{pool}/confirm", h.form(h.confirmSubmit))
	route("POST /{pool}/resendCode", h.form(h.resendSubmit))
	route("GET /{pool}/forgotPassword", h.page(h.showPage("forgot", "Forgot your password?")))
	route("POST /{pool}/forgotPassword", h.form(h.forgotSubmit))
	route("POST /{pool}/confirmForgotPassword", h.form(h.confirmForgotSubmit))
	route("POST /{pool}/challenge", h.form(h.challengeSubmit))
	route("GET /{pool}/logout", h.logout)
	mux.Handle("GET /{pool}/_ui/style.css", http.HandlerFunc(h.style))
	mux.Handle("GET /{pool}/_ui/image", http.HandlerFunc(h.image))
	// The token, userInfo and revoke endpoints are called by apps, from servers and from
	// browsers (public clients with PKCE), so they answer any origin.
	api := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, h.cors(h.limits(fn))) }
	api("POST /{pool}/oauth2/token", h.token)
	api("GET /{pool}/oauth2/userInfo", h.userInfo)
	api("POST /{pool}/oauth2/userInfo", h.userInfo)
	api("POST /{pool}/oauth2/revoke", h.revoke)
	for _, p := range []string{"/{pool}/oauth2/token", "/{pool}/oauth2/userInfo", "/{pool}/oauth2/revoke"} {
		mux.Handle("OPTIONS "+p, h.cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})))
	}
}

// limits refuses oversized queries and bodies before a handler parses them.
func (h *Handler) limits(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.RawQuery) > maxQueryBytes {
			h.fail(w, r, http.StatusRequestURITooLong, "The request is too long.")
			return
		}
		if r.Method == http.MethodPost {
			if status, msg, ok := formguard.ParseForm(w, r, maxFormBytes); !ok {
				h.fail(w, r, status, msg)
				return
			}
		}
		for _, vs := range r.URL.Query() {
			for _, v := range vs {
				if len(v) > maxParamBytes {
					h.fail(w, r, http.StatusBadRequest, "A parameter is too long.")
					return
				}
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		next(w, r)
	}
}

// fail answers a request that cannot go on, in the shape its route speaks: JSON on the
// OAuth API routes, an error page elsewhere.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, message string) {
	if strings.Contains(r.URL.Path, "/oauth2/") && !strings.HasSuffix(r.URL.Path, "/authorize") {
		writeJSON(w, status, map[string]string{"error": "invalid_request", "error_description": message})
		return
	}
	h.errorPage(w, r, status, message)
}

func (h *Handler) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		w.Header().Set("Access-Control-Max-Age", "600")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func poolPath(r *http.Request) string { return "/" + r.PathValue("pool") + "/" }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: poolPath(r), MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure(), SameSite: http.SameSiteLaxMode})
}

// csrfToken returns the browser's CSRF value, setting the cookie on first sight.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	return formguard.CSRFToken(w, r, http.Cookie{Name: csrfCookie, Path: poolPath(r), Secure: h.secure(),
		SameSite: http.SameSiteLaxMode})
}

// hostedUser returns the live hosted-UI session of the request's pool, if any.
func (h *Handler) hostedUser(r *http.Request) (pool.SignedInUser, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return pool.SignedInUser{}, false
	}
	u, err := h.svc.HostedSession(r.Context(), r.PathValue("pool"), c.Value)
	if err != nil {
		if !errors.Is(err, pool.ErrNoHostedSession) {
			h.log.WarnContext(r.Context(), "hosted session check failed", "pool", r.PathValue("pool"), "err", err)
		}
		return pool.SignedInUser{}, false
	}
	return u, true
}

// view is what every page template gets.
type view struct {
	Title    string
	Pool     string
	Client   pool.OAuthClient
	Authz    url.Values
	CSRF     string
	Error    string
	Notice   string
	Username string
	StyleURL string
	LogoURL  string
	// Page-specific fields.
	Destination   string
	Challenge     string
	Session       string
	Options       []string
	SecretCode    string
	OTPAuthURI    string
	RequiredAttrs []string
	EmailIsLogin  bool
	NeedUsername  bool
	NeedPhone     bool
	Status        int
}

// assetURLs points a page at the pool's stylesheet and (customized) logo.
func (h *Handler) assetURLs(ctx context.Context, v *view) {
	q := url.Values{"client_id": {v.Client.ClientID}}
	assets, err := h.svc.UICustomizationFor(ctx, v.Pool, v.Client.ClientID)
	if err == nil && assets.Version != "" {
		q.Set("v", assets.Version)
	}
	v.StyleURL = "/" + v.Pool + "/_ui/style.css?" + q.Encode()
	if err == nil && len(assets.Image) > 0 {
		v.LogoURL = "/" + v.Pool + "/_ui/image?" + q.Encode()
	}
}

// render writes a page with the headers every page carries: a strict CSP that allows no
// script at all (the pages need none), no framing, no referrer leaking codes.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, v view) {
	if v.Pool == "" {
		v.Pool = r.PathValue("pool")
	}
	if v.CSRF == "" {
		v.CSRF = h.csrfToken(w, r)
	}
	if v.Client.ClientID != "" {
		h.assetURLs(r.Context(), &v)
	} else {
		v.StyleURL = "/" + v.Pool + "/_ui/style.css"
	}
	setPageHeaders(w)
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	outcome := "shown"
	if status >= 400 {
		outcome = "refused"
	}
	h.pageHits.WithLabelValues(name, outcome).Inc()
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, v); err != nil {
		h.log.ErrorContext(r.Context(), "rendering a hosted page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func setPageHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
}

// errorPage is the dead end for requests that must not be redirected anywhere (unknown
// client, unregistered redirect URI, forged form).
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.render(w, r, "error", view{Title: "Something went wrong", Error: message, Status: status, CSRF: "-"})
}
