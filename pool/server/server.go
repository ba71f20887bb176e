package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashless/hashless/internal/kdf"
	"github.com/hashless/hashless/internal/seal"
	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/console"
	"github.com/hashless/hashless/pool/delivery"
	"github.com/hashless/hashless/pool/hosted"
	"github.com/hashless/hashless/pool/sigv4"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/open"
	"github.com/hashless/hashless/pool/store/sqlstore"
	"github.com/hashless/hashless/pool/wire"
)

// Defaults of the hashless pool command.
const (
	DefaultAddr   = "127.0.0.1:9229"
	DefaultRegion = "us-east-1"
	DefaultKDF    = "argon2id:m=19456,t=2,p=1"
	DefaultDB     = "./hashless-pool.db"
)

// Config is everything a pool server is started with.
type Config struct {
	Addr        string
	DB          string
	Region      string
	PublicURL   string
	Credentials []string // KEY:SECRET
	SecretKey   string   // base64 of 32 bytes
	KDF         string
	Outbox      bool
	// Console serves the console at /_local/console/ behind a login with one of Credentials;
	// without it the console is open only in development mode to loopback callers.
	Console bool
	// IssuerStyle is "local" (default) or "aws".
	IssuerStyle string
	// SMTPURL and MailFrom deliver e-mail messages for real (smtp:// or smtps://).
	SMTPURL  string
	MailFrom string
	// MessageWebhook receives every message as JSON by POST.
	MessageWebhook string
	TLSCert        string
	TLSKey         string
	Logger         *slog.Logger
	// Registry receives metrics; nil makes a fresh one (served at /metrics).
	Registry *prometheus.Registry
	Clock    pool.Clock
	// SignatureClock judges SigV4 request dates; nil means the wall clock. It is apart from
	// Clock so tests can move the pool's time without invalidating their own signatures.
	SignatureClock pool.Clock
	// CleanupInterval is how often expired records are deleted; 0 means one minute.
	CleanupInterval time.Duration
	// DisableSRP turns USER_SRP_AUTH off in pools without the hashless:srp tag (the
	// `--srp=false` of hashless pool; serve's embedded pool has it off, since its users sign in
	// through serve with a password).
	DisableSRP bool
}

// Server is an assembled pool.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	Service  *pool.Service
	wire     *wire.Handler
	registry *prometheus.Registry
	creds    sigv4.Credentials
	draining atomic.Bool
	mux      *http.ServeMux
	// derivePublicURL: no --public-url was given, so it follows the address actually bound.
	derivePublicURL bool
	dispatcher      *delivery.Dispatcher
	hosted          *hosted.Handler
	console         *console.Handler
}

// newDispatcher builds real delivery from the configuration; nil when none is configured.
func newDispatcher(cfg Config) (*delivery.Dispatcher, error) {
	var senders []delivery.Sender
	if cfg.SMTPURL != "" {
		if cfg.MailFrom == "" {
			return nil, errors.New("--smtp-url needs --mail-from")
		}
		smtp, err := delivery.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("--smtp-url: %w", err)
		}
		senders = append(senders, smtp)
	}
	if cfg.MessageWebhook != "" {
		hook, err := delivery.NewWebhook(cfg.MessageWebhook, nil)
		if err != nil {
			return nil, fmt.Errorf("--message-webhook: %w", err)
		}
		senders = append(senders, hook)
	}
	if len(senders) == 0 {
		return nil, nil
	}
	return delivery.NewDispatcher(delivery.DispatcherConfig{Senders: senders, Logger: cfg.Logger, Registry: cfg.Registry}), nil
}

func publicURLFor(cfg Config, addr string) string {
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + addr
}

// IsLoopback reports whether a listen address is on the loopback interface only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseCredentials reads KEY:SECRET pairs.
func ParseCredentials(pairs []string) (sigv4.Credentials, error) {
	creds := sigv4.Credentials{}
	for _, p := range pairs {
		key, secret, ok := strings.Cut(p, ":")
		if !ok || key == "" || secret == "" {
			return nil, fmt.Errorf("credentials must be KEY:SECRET, got %d characters without a colon-separated pair", len(p))
		}
		creds[key] = secret
	}
	return creds, nil
}

// Open builds a server from cfg without listening yet.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.KDF == "" {
		cfg.KDF = DefaultKDF
	}
	if cfg.DB == "" {
		cfg.DB = DefaultDB
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	derivePublicURL := cfg.PublicURL == ""
	if derivePublicURL {
		cfg.PublicURL = publicURLFor(cfg, cfg.Addr)
	}
	creds, err := ParseCredentials(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 && !IsLoopback(cfg.Addr) {
		return nil, fmt.Errorf("no --credentials given: development mode accepts any signature and is only allowed on a loopback address, not %s", cfg.Addr)
	}
	params, err := kdf.Parse(cfg.KDF)
	if err != nil {
		return nil, fmt.Errorf("--kdf: %w", err)
	}
	key, err := secretKey(cfg)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	st, err := open.Open(ctx, cfg.DB, sqlstore.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", describeDB(cfg.DB), err)
	}
	switch cfg.IssuerStyle {
	case "", pool.IssuerLocal, pool.IssuerAWS:
	default:
		st.Close()
		return nil, fmt.Errorf("--issuer-style must be %q or %q", pool.IssuerLocal, pool.IssuerAWS)
	}
	dispatcher, err := newDispatcher(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	var deliver func(pool.Outbound)
	if dispatcher != nil {
		deliver = func(m pool.Outbound) { dispatcher.Enqueue(delivery.Message(m)) }
	}
	svc, err := pool.New(pool.Config{Store: st, Sealer: sealer, KDF: params, Clock: cfg.Clock, Logger: cfg.Logger,
		PublicURL: cfg.PublicURL, IssuerStyle: cfg.IssuerStyle, Deliver: deliver, Registerer: cfg.Registry,
		SRPDefault: !cfg.DisableSRP})
	if err != nil {
		st.Close()
		return nil, err
	}
	var now func() time.Time
	if cfg.SignatureClock != nil {
		now = cfg.SignatureClock.Now
	}
	wh, err := wire.New(wire.Config{Service: svc, Credentials: creds, DefaultRegion: cfg.Region, Logger: cfg.Logger, Registry: cfg.Registry, Now: now})
	if err != nil {
		svc.Close()
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, Service: svc, wire: wh, registry: cfg.Registry, creds: creds,
		derivePublicURL: derivePublicURL, dispatcher: dispatcher}
	s.hosted, err = hosted.New(hosted.Config{Service: svc, Logger: cfg.Logger, Registry: cfg.Registry,
		SecureCookies: func() bool { return strings.HasPrefix(s.PublicURL(), "https://") }})
	if err != nil {
		svc.Close()
		st.Close()
		return nil, err
	}
	s.console, err = console.New(console.Config{Service: svc, Credentials: creds, Enabled: cfg.Console,
		Region: cfg.Region, Logger: cfg.Logger, SecureCookies: func() bool { return strings.HasPrefix(s.PublicURL(), "https://") }})
	if err != nil {
		svc.Close()
		st.Close()
		return nil, err
	}
	s.routes()
	return s, nil
}

// secretKey returns the configured key, or the one in a key file beside a file database
// (created on first start), or a temporary one for memory mode. A PostgreSQL pool has several
// nodes that must share the key, so it has to be given.
func secretKey(cfg Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		key, err := seal.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("--secret-key: %w", err)
		}
		return key, nil
	}
	switch {
	case cfg.DB == "memory":
		return seal.GenerateKey(), nil
	case isPostgres(cfg.DB):
		return nil, errors.New("--secret-key (or HASHLESS_POOL_SECRET_KEY) is required with a PostgreSQL database, so that every node shares it; make one with: head -c 32 /dev/urandom | base64")
	default:
		return seal.LoadOrCreateKeyFile(cfg.DB + ".key")
	}
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// describeDB names a database for messages without printing credentials in a DSN.
func describeDB(dsn string) string {
	if isPostgres(dsn) {
		return "the PostgreSQL database"
	}
	return dsn
}

// DevelopmentMode reports whether signatures go unchecked.
func (s *Server) DevelopmentMode() bool { return len(s.creds) == 0 }

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.Handle("/", s.wire)
	mux.HandleFunc("GET /_local/health", s.health)
	mux.HandleFunc("GET /_local/messages", s.messages)
	mux.HandleFunc("PUT /_local/import/{pool}/{job}", s.upload)
	mux.HandleFunc("GET /{pool}/.well-known/jwks.json", s.wellKnown(s.Service.JWKS))
	mux.HandleFunc("GET /{pool}/.well-known/openid-configuration", s.wellKnown(s.Service.Discovery))
	s.hosted.Register(mux)
	s.console.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	s.mux = mux
}

// wellKnown serves a pool's JWKS or discovery document, with CORS for browser verifiers and
// a short cache lifetime so a rotated key is seen soon.
func (s *Server) wellKnown(doc func(context.Context, string) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := doc(r.Context(), r.PathValue("pool"))
		var pe *pool.Error
		switch {
		case errors.As(err, &pe) && pe.Type == pool.ExResourceNotFound:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user pool"})
			return
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the key set is unavailable"})
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("health check: store unavailable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// outboxAllowed: the outbox is on in development mode or with --outbox; a caller that is not
// on loopback must then present an admin credential (HTTP Basic KEY:SECRET).
func (s *Server) outboxAllowed(r *http.Request) (int, string) {
	if !s.DevelopmentMode() && !s.cfg.Outbox {
		return http.StatusNotFound, "the outbox is off; start the pool with --outbox"
	}
	if remoteIsLoopback(r) {
		return 0, ""
	}
	key, secret, ok := r.BasicAuth()
	if ok {
		if want, known := s.creds[key]; known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1 {
			return 0, ""
		}
	}
	return http.StatusUnauthorized, "admin credentials are required off loopback"
}

func remoteIsLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	if status, msg := s.outboxAllowed(r); status != 0 {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="hashless pool"`)
		}
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	q := r.URL.Query()
	f := pool.OutboxFilter{PoolID: q.Get("pool"), User: q.Get("username"), Destination: q.Get("destination"), Kind: q.Get("kind")}
	if after := q.Get("after"); after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "after must be a message id (a non-negative integer)"})
			return
		}
		f.AfterID = n
	}
	msgs, err := s.Service.Messages(r.Context(), f, 10000)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the outbox is unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > pool.MaxImportCSVBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the file is larger than the import limit"})
		return
	}
	body, err := readAll(w, r, pool.MaxImportCSVBytes)
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the file is larger than the import limit"})
		return
	}
	err = s.Service.UploadImportCSV(r.Context(), r.PathValue("pool"), r.PathValue("job"), r.URL.Query().Get("X-Amz-Signature"), body)
	var pe *pool.Error
	switch {
	case errors.Is(err, pool.ErrUploadDenied):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "the upload URL is invalid or has expired"})
	case errors.As(err, &pe) && pe.Type != pool.ExInternalError:
		writeJSON(w, http.StatusConflict, map[string]string{"error": pe.Message})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the upload could not be stored"})
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// Run listens on cfg.Addr and serves until ctx ends, then drains: readiness turns false,
// in-flight requests finish (up to 15 s), background jobs stop and the store closes.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if s.derivePublicURL {
		s.cfg.PublicURL = publicURLFor(s.cfg, addr)
		s.Service.SetPublicURL(s.cfg.PublicURL)
	}
	if s.DevelopmentMode() {
		s.log.Warn("development mode: no --credentials, so any SigV4 signature is accepted; do not expose this server")
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	s.log.Info("listening", "addr", addr, "db", describeDB(s.cfg.DB), "region", s.cfg.Region, "public_url", s.cfg.PublicURL, "development_mode", s.DevelopmentMode())
	if s.DevelopmentMode() || s.cfg.Console {
		s.log.Info("console", "url", s.cfg.PublicURL+console.Prefix, "sign_in_required", !s.DevelopmentMode())
	}
	if ready != nil {
		ready(addr)
	}
	go s.cleanupLoop(ctx)
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	s.Close()
	s.log.Info("stopped")
	return err
}

// Close stops background work, delivers what is queued (for up to 10 s) and closes the store.
func (s *Server) Close() {
	s.Service.Close()
	if s.dispatcher != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.dispatcher.Close(ctx); err != nil {
			s.log.Warn("messages left undelivered at shutdown", "err", err)
		}
		cancel()
	}
	if err := s.store.Close(); err != nil {
		s.log.Warn("closing the store", "err", err)
	}
}

func (s *Server) cleanupLoop(ctx context.Context) {
	every := s.cfg.CleanupInterval
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now().UTC()
			if s.cfg.Clock != nil {
				now = s.cfg.Clock.Now()
			}
			n, err := s.store.Cleanup(ctx, now)
			if err != nil {
				s.log.Warn("cleanup failed", "err", err)
			} else if n > 0 {
				s.log.Info("cleanup", "deleted", n)
			}
		}
	}
}

// Operations lists the Cognito operations the server implements.
func (s *Server) Operations() []string { return s.wire.Operations() }

// Embed readies a server whose Handler another program mounts on its own listener (the
// pool inside `hashless serve`): links and issuers name publicURL, and expired records are
// cleaned up until ctx ends. Close still releases it.
func (s *Server) Embed(ctx context.Context, publicURL string) {
	if publicURL != "" {
		s.cfg.PublicURL = strings.TrimRight(publicURL, "/")
		s.Service.SetPublicURL(s.cfg.PublicURL)
	}
	go s.cleanupLoop(ctx)
}

// PublicURL is the base of the pool's issuers and links.
func (s *Server) PublicURL() string { return s.cfg.PublicURL }
