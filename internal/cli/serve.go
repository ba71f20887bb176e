package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/pool/server"
	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/dashboard"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

const serveEnvPrefix = "HASHLESS_"

// Defaults of hashless serve.
const (
	DefaultServeAddr = "127.0.0.1:8080"
	DefaultServeDB   = "./hashless.db"
	// embeddedEndpoint only names the in-process pool for the SDK; no request leaves the
	// process (see cognito.HandlerTransport).
	embeddedEndpoint = "http://embedded-pool.internal"
	embeddedRegion   = "us-east-1"
	// loginStatsEvery is how often the sign-in counts kept in memory go to the database
	// (see storeauth's stats.go).
	loginStatsEvery = 10 * time.Second
)

// Settings under which the embedded pool's identity is kept in the database.
const (
	settingPoolCredential = "embedded_pool.credential"
	settingPoolID         = "embedded_pool.pool_id"
	settingClientID       = "embedded_pool.client_id"
)

type serveConfig struct {
	addr           string
	db             string
	publicURL      string
	sessionIdle    time.Duration
	sessionMax     time.Duration
	storeCORS      listFlag
	trustedProxies listFlag
	passwordMin    int
	exposePool     bool
	callTimeout    time.Duration
	secretKey      string
	kdf            string
	logLevel       string
	cleanupEvery   time.Duration
	dashboard      string
}

func serveFlags(cfg *serveConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hashless serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", DefaultServeAddr, "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&cfg.db, "db", DefaultServeDB, "database of customers and sessions (and of the embedded pool): a SQLite file or postgres://…")
	fs.StringVar(&cfg.publicURL, "public-url", "", "URL customers reach the service at; https makes the cookie Secure and __Host- (default http://<addr>)")
	fs.DurationVar(&cfg.sessionIdle, "session-idle", storeauth.DefaultSessionIdle, "a session ends after this long unused")
	fs.DurationVar(&cfg.sessionMax, "session-max", storeauth.DefaultSessionMax, "a session ends this long after sign-in, used or not")
	fs.Var(&cfg.storeCORS, "store-cors", "origin allowed to call /store from browsers, also trusted for CSRF (repeatable; env: comma-separated)")
	fs.Var(&cfg.trustedProxies, "trusted-proxies", "CIDR whose X-Forwarded-For is believed (repeatable; env: comma-separated)")
	fs.IntVar(&cfg.passwordMin, "password-min-length", storeauth.DefaultPasswordMinLength, "shortest password accepted (the pool's policy applies too)")
	fs.BoolVar(&cfg.exposePool, "expose-pool", false, "mount the embedded pool's surface (POST /, JWKS, /_local/*) even off loopback")
	fs.DurationVar(&cfg.callTimeout, "call-timeout", storeauth.DefaultPoolTimeout, "longest wait for one pool call before answering 503")
	fs.StringVar(&cfg.secretKey, "secret-key", "", "embedded pool: base64 of 32 bytes sealing its secrets (default: a key file beside a SQLite database; required with PostgreSQL)")
	fs.StringVar(&cfg.kdf, "kdf", server.DefaultKDF, "embedded pool: password KDF, argon2id:m=KiB,t=N,p=N or pbkdf2-sha256:i=N")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&cfg.cleanupEvery, "cleanup-interval", 10*time.Minute, "how often expired sessions are deleted")
	fs.StringVar(&cfg.dashboard, "dashboard", "auto", "the migration console at /admin/ui/: auto (on a loopback address: open without HASHLESS_ADMIN_TOKEN, a sign-in with it; off elsewhere), on (also off loopback, with HASHLESS_ADMIN_TOKEN), off")
	return fs
}

func serve(args []string, stdout, stderr io.Writer) int {
	var cfg serveConfig
	fs := serveFlags(&cfg, stderr)
	if err := envFlags(fs, serveEnvPrefix, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hashless serve:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hashless serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log, err := newLogger(stderr, cfg.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "hashless serve:", err)
		return 2
	}
	// The service only ever uses the credentials it is given; this keeps any SDK default
	// chain from probing the instance-metadata address.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServe(ctx, cfg, log); err != nil {
		fmt.Fprintln(stderr, "hashless serve:", err)
		return 1
	}
	return 0
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func describeStoreDB(dsn string) string {
	if isPostgresDSN(dsn) {
		return "PostgreSQL"
	}
	return "SQLite " + dsn
}

// credentialSource is where the service's pool is: embedded, or named by COGNITO_*.
type credentialSource struct {
	pool     storeauth.Pool
	client   *cognito.Client
	describe string
	// embedded is set when the pool runs in this process.
	embedded *server.Server
	close    func()
}

func runServe(ctx context.Context, cfg serveConfig, log *slog.Logger) error {
	proxies, err := parsePrefixes(cfg.trustedProxies)
	if err != nil {
		return err
	}
	if cfg.sessionIdle <= 0 || cfg.sessionMax <= 0 || cfg.sessionIdle > cfg.sessionMax {
		return errors.New("--session-idle and --session-max must be positive, idle no longer than max")
	}
	adminToken := os.Getenv("HASHLESS_ADMIN_TOKEN")
	if _, err := dashboardAccess(cfg.dashboard, cfg.addr, adminToken); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	access, err := dashboardAccess(cfg.dashboard, addr, adminToken)
	if err != nil {
		return err
	}
	publicURL := strings.TrimRight(cfg.publicURL, "/")
	if publicURL == "" {
		publicURL = "http://" + addr
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	st, err := sqlstore.Open(ctx, cfg.db, sqlstore.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("opening the database (%s): %w", describeStoreDB(cfg.db), err)
	}
	defer st.Close()

	bg, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	var src *credentialSource
	if os.Getenv(cognito.EnvUserPoolID) != "" {
		src, err = realPool(ctx, log, cfg.callTimeout)
	} else {
		src, err = embeddedPool(ctx, bg, cfg, st, log, registry, addr, publicURL)
	}
	if err != nil {
		return err
	}
	defer src.close()

	svcCfg := storeauth.Config{
		Customers: st, Sessions: st, Reports: st, Pool: src.pool, Logger: log, Registerer: registry,
		SessionIdle: cfg.sessionIdle, SessionMax: cfg.sessionMax, PasswordMinLength: cfg.passwordMin,
		PoolTimeout: cfg.callTimeout,
	}
	if point := os.Getenv("HASHLESS_TEST_KILL_AT"); point != "" {
		svcCfg.FaultHook = killAt(point, log)
	}
	svc, err := storeauth.New(svcCfg)
	if err != nil {
		return err
	}
	api, err := svc.Handler(storeauth.HandlerConfig{
		PublicURL: publicURL, CORSOrigins: cfg.storeCORS, TrustedProxies: proxies,
		AdminToken: adminToken, Ready: st.Ping,
	})
	if err != nil {
		return err
	}
	console, err := dashboard.New(dashboard.Config{Service: svc, Access: access, AdminToken: adminToken,
		PublicURL: publicURL, Logger: log.With("component", "console")})
	if err != nil {
		return err
	}
	metricsHandler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	mounted := src.embedded != nil && (server.IsLoopback(addr) || cfg.exposePool)
	var poolHandler, poolInfo http.Handler
	if mounted {
		poolHandler = src.embedded.Handler()
		info, _ := json.Marshal(map[string]string{"pool_id": src.client.UserPoolID(), "client_id": src.client.ClientID(),
			"region": src.client.Region(), "endpoint": publicURL})
		poolInfo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(append(info, '\n'))
		})
	}
	// Routing by prefix, not ServeMux patterns: pool IDs are path segments that overlap the
	// service's own routes in pattern terms (/{pool}/.well-known/… against /store/…).
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/admin/ui" || strings.HasPrefix(p, dashboard.Prefix):
			console.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/store/") || strings.HasPrefix(p, "/admin/") || p == "/healthz" || p == "/readyz":
			api.ServeHTTP(w, r)
		case p == "/metrics" && r.Method == http.MethodGet:
			metricsHandler.ServeHTTP(w, r)
		case mounted && p == "/_local/pool" && r.Method == http.MethodGet:
			poolInfo.ServeHTTP(w, r)
		case mounted && (p == "/" || p == "/_local/messages" || p == "/_local/health" || strings.Contains(p, "/.well-known/")):
			poolHandler.ServeHTTP(w, r)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"type":"not_found","message":"No such route."}`+"\n")
		}
	})

	go backgroundLoop(bg, log, "reconcile", min(time.Minute, 3*cfg.callTimeout+5*time.Second), func(ctx context.Context) {
		if n, err := svc.Reconcile(ctx); err != nil {
			log.Warn("reconcile failed", "err", err)
		} else if n > 0 {
			log.Info("reconciled", "settled", n)
		}
	})
	go backgroundLoop(bg, log, "sign-in counts", loginStatsEvery, func(ctx context.Context) {
		if err := svc.FlushLoginStats(ctx); err != nil {
			log.Warn("sign-in counts not saved; kept for the next try", "err", err)
		}
	})
	go backgroundLoop(bg, log, "session cleanup", cfg.cleanupEvery, func(ctx context.Context) {
		if n, err := svc.CleanupSessions(ctx); err != nil {
			log.Warn("session cleanup failed", "err", err)
		} else if n > 0 {
			log.Info("expired sessions deleted", "count", n)
		}
	})

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", addr, "public_url", publicURL, "customers", describeStoreDB(cfg.db),
		"credentials", src.describe, "pool_surface_mounted", mounted,
		"admin_api", adminToken != "", "dashboard", access.String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("draining")
	stopBackground()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := svc.FlushLoginStats(shutdownCtx); err != nil {
		log.Warn("the last sign-in counts were not saved", "err", err)
	}
	log.Info("stopped")
	return nil
}

// dashboardAccess decides who may use the console from --dashboard, the listen address
// and the admin token.
func dashboardAccess(mode, addr, adminToken string) (dashboard.Access, error) {
	loopback := server.IsLoopback(addr)
	switch mode {
	case "off":
		return dashboard.AccessOff, nil
	case "auto", "":
		switch {
		case !loopback:
			return dashboard.AccessOff, nil
		case adminToken != "":
			return dashboard.AccessToken, nil
		default:
			return dashboard.AccessLoopback, nil
		}
	case "on":
		switch {
		case adminToken != "":
			return dashboard.AccessToken, nil
		case loopback:
			return dashboard.AccessLoopback, nil
		default:
			return dashboard.AccessOff, errors.New("--dashboard=on on a non-loopback address needs HASHLESS_ADMIN_TOKEN, which the console's sign-in asks for")
		}
	default:
		return dashboard.AccessOff, fmt.Errorf("--dashboard must be auto, on or off, not %q", mode)
	}
}

// backgroundLoop runs fn now and then every interval until ctx ends.
func backgroundLoop(ctx context.Context, log *slog.Logger, name string, every time.Duration, fn func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// killAt is the test-only fault hook: at the named point the process kills itself with
// SIGKILL, so tests prove recovery from a real crash at that exact step.
func killAt(point string, log *slog.Logger) func(string) {
	return func(reached string) {
		if reached != point {
			return
		}
		log.Warn("fault point reached: killing the process", "point", point)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	}
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			a, aerr := netip.ParseAddr(strings.TrimSpace(s))
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// realPool connects to the pool named by COGNITO_* and checks it is set up as the service
// needs, refusing a misconfiguration with what to fix; without the permission to look, it
// warns and goes on.
func realPool(ctx context.Context, log *slog.Logger, timeout time.Duration) (*credentialSource, error) {
	ccfg := cognito.ConfigFromEnv()
	ccfg.LoginFlow = cognito.AdminUserPasswordAuth
	if ccfg.AccessKeyID == "" {
		return nil, fmt.Errorf("%s and %s are required with %s (the service never looks for instance credentials)",
			cognito.EnvAccessKeyID, cognito.EnvSecretAccessKey, cognito.EnvUserPoolID)
	}
	client, err := cognito.New(ccfg)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	if err := checkPoolSetup(cctx, client, ccfg.ClientSecret != ""); err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && (api.ErrorCode() == "AccessDeniedException" || api.ErrorCode() == "AccessDenied") {
			log.Warn("cannot check the pool's settings (no permission for DescribeUserPool/DescribeUserPoolClient); going on",
				"pool_id", ccfg.UserPoolID, "err", err)
		} else {
			return nil, err
		}
	}
	where := "AWS Cognito"
	if ccfg.Endpoint != "" {
		where = ccfg.Endpoint
	}
	return &credentialSource{pool: storeauth.CognitoPool{Client: client}, client: client,
		describe: fmt.Sprintf("pool %s (client %s) at %s", ccfg.UserPoolID, ccfg.ClientID, where), close: func() {}}, nil
}

// checkPoolSetup reads the pool and app client and says what is wrong with them.
func checkPoolSetup(ctx context.Context, client *cognito.Client, haveSecret bool) error {
	sdk := client.SDK()
	p, err := sdk.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(client.UserPoolID())})
	if err != nil {
		return fmt.Errorf("reading user pool %s: %w", client.UserPoolID(), err)
	}
	var problems []string
	if up := p.UserPool; up != nil {
		if len(up.UsernameAttributes) > 0 {
			problems = append(problems, "the pool signs in with UsernameAttributes (e-mail or phone as the username); create a pool without them (e-mail may be an alias): the service uses stable customer IDs as usernames")
		}
		if up.UsernameConfiguration == nil || up.UsernameConfiguration.CaseSensitive == nil || *up.UsernameConfiguration.CaseSensitive {
			problems = append(problems, "the pool's usernames are case-sensitive; create it with UsernameConfiguration CaseSensitive=false")
		}
	}
	c, err := sdk.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(client.UserPoolID()), ClientId: aws.String(client.ClientID())})
	if err != nil {
		return fmt.Errorf("reading app client %s: %w", client.ClientID(), err)
	}
	if uc := c.UserPoolClient; uc != nil {
		admin := false
		for _, f := range uc.ExplicitAuthFlows {
			if f == types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth || f == types.ExplicitAuthFlowsTypeAdminNoSrpAuth {
				admin = true
			}
		}
		if !admin {
			problems = append(problems, "the app client does not allow ALLOW_ADMIN_USER_PASSWORD_AUTH; add it to its ExplicitAuthFlows")
		}
		if uc.ClientSecret != nil && *uc.ClientSecret != "" && !haveSecret {
			problems = append(problems, "the app client has a secret; set COGNITO_CLIENT_SECRET")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the pool %s is not set up for hashless serve:\n  - %s", client.UserPoolID(), strings.Join(problems, "\n  - "))
	}
	return nil
}

// embeddedPool opens the pool in this process on the service's own database, creating its
// pool, app client and signing credential on first start. Several nodes starting at once
// agree on one of each through PutSettingIfAbsent.
func embeddedPool(ctx, bg context.Context, cfg serveConfig, st store.Settings, log *slog.Logger,
	registry *prometheus.Registry, addr, publicURL string) (*credentialSource, error) {
	if isPostgresDSN(cfg.db) && cfg.secretKey == "" {
		return nil, errors.New("--secret-key (or HASHLESS_SECRET_KEY) is required with PostgreSQL and the embedded pool, so that every node shares it; make one with: head -c 32 /dev/urandom | base64")
	}
	cred, err := st.PutSettingIfAbsent(ctx, settingPoolCredential, "AKHL"+strings.ToUpper(hex.EncodeToString(randomBytes(8)))+":"+base64.RawURLEncoding.EncodeToString(randomBytes(30)))
	if err != nil {
		return nil, fmt.Errorf("reading the embedded pool's credential: %w", err)
	}
	keyID, secret, ok := strings.Cut(cred, ":")
	if !ok {
		return nil, errors.New("the embedded pool's credential in the database is damaged")
	}
	poolAddr := addr
	if cfg.exposePool || !server.IsLoopback(addr) {
		poolAddr = "127.0.0.1:0" // only for the pool's development-mode check; credentials are set anyway
	}
	srv, err := server.Open(ctx, server.Config{
		Addr: poolAddr, DB: cfg.db, Region: embeddedRegion, PublicURL: publicURL, Credentials: []string{cred},
		SecretKey: cfg.secretKey, KDF: cfg.kdf, Logger: log.With("component", "pool"), Registry: registry,
		// The outbox is part of the mounted surface (reset codes for developers); it is only
		// reachable where the surface is mounted, and off loopback only with the credential.
		Outbox: true,
		// Customers sign in through serve with a password; a verifier would only be a
		// cheaper copy of it (see README on SRP).
		DisableSRP: true,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the embedded pool: %w", err)
	}
	srv.Embed(bg, publicURL)
	transport := cognito.HandlerTransport(srv.Handler())
	sdk := cip.New(cip.Options{Region: embeddedRegion, BaseEndpoint: aws.String(embeddedEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), HTTPClient: &http.Client{Transport: transport}})
	poolID, clientID, err := ensureEmbeddedPool(ctx, sdk, st, cfg.passwordMin)
	if err != nil {
		srv.Close()
		return nil, err
	}
	client, err := cognito.New(cognito.Config{UserPoolID: poolID, ClientID: clientID, Endpoint: embeddedEndpoint,
		AccessKeyID: keyID, SecretAccessKey: secret, Transport: transport, LoginFlow: cognito.AdminUserPasswordAuth})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &credentialSource{pool: storeauth.CognitoPool{Client: client}, client: client, embedded: srv,
		describe: fmt.Sprintf("embedded pool %s (client %s)", poolID, clientID), close: srv.Close}, nil
}

func ensureEmbeddedPool(ctx context.Context, sdk *cip.Client, st store.Settings, passwordMin int) (poolID, clientID string, err error) {
	poolID, err = st.Setting(ctx, settingPoolID)
	if errors.Is(err, store.ErrNotFound) {
		out, cerr := sdk.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:               aws.String("hashless"),
			UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
				MinimumLength: aws.Int32(int32(max(6, passwordMin))), RequireLowercase: true, RequireUppercase: true,
				RequireNumbers: true, RequireSymbols: false, TemporaryPasswordValidityDays: 7,
			}},
		})
		if cerr != nil {
			return "", "", fmt.Errorf("creating the embedded pool: %w", cerr)
		}
		mine := aws.ToString(out.UserPool.Id)
		poolID, err = st.PutSettingIfAbsent(ctx, settingPoolID, mine)
		if err == nil && poolID != mine {
			// Another node created one first; everyone uses that one.
			_, _ = sdk.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(mine)})
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("reading the embedded pool's ID: %w", err)
	}
	clientID, err = st.Setting(ctx, settingClientID)
	if errors.Is(err, store.ErrNotFound) {
		out, cerr := sdk.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId: aws.String(poolID), ClientName: aws.String("hashless-serve"),
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
				types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
			PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled,
			// The service keeps its own sessions and drops the pool's tokens; the shortest
			// refresh lifetime keeps the pool from storing them for long.
			RefreshTokenValidity: 60,
			TokenValidityUnits:   &types.TokenValidityUnitsType{RefreshToken: types.TimeUnitsTypeMinutes},
		})
		if cerr != nil {
			return "", "", fmt.Errorf("creating the embedded app client: %w", cerr)
		}
		mine := aws.ToString(out.UserPoolClient.ClientId)
		clientID, err = st.PutSettingIfAbsent(ctx, settingClientID, mine)
		if err == nil && clientID != mine {
			_, _ = sdk.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(mine)})
		}
	}
	if err != nil {
		return "", "", fmt.Errorf("reading the embedded app client's ID: %w", err)
	}
	return poolID, clientID, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
