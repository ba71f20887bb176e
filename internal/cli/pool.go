package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/server"
)

const poolEnvPrefix = "HASHLESS_POOL_"

func poolFlags(cfg *server.Config, stderr io.Writer) (*flag.FlagSet, *listFlag, *string) {
	fs := flag.NewFlagSet("hashless pool", flag.ContinueOnError)
	fs.SetOutput(stderr)
	creds := &listFlag{}
	logLevel := new(string)
	fs.StringVar(&cfg.Addr, "addr", server.DefaultAddr, "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&cfg.DB, "db", server.DefaultDB, "database: memory, a SQLite file path, or postgres://…")
	fs.StringVar(&cfg.Region, "region", server.DefaultRegion, "region for unsigned requests (signed ones use their SigV4 scope)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "base URL of issuers and links (default http://<addr>)")
	fs.Var(creds, "credentials", "KEY:SECRET accepted for SigV4 on admin operations (repeatable; env: comma-separated)")
	fs.StringVar(&cfg.SecretKey, "secret-key", "", "base64 of 32 bytes that seals challenge state and secrets at rest (default: a key file beside a file database)")
	fs.StringVar(&cfg.KDF, "kdf", server.DefaultKDF, "password KDF: argon2id:m=KiB,t=N,p=N or pbkdf2-sha256:i=N")
	fs.BoolVar(&cfg.Outbox, "outbox", false, "serve GET /_local/messages even when not in development mode")
	fs.BoolVar(&cfg.Console, "console", false, "serve the console at /_local/console/ behind a login with --credentials (without it the console is open only in development mode, to loopback callers)")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", "", "deliver e-mail through this server: smtp://[user:pass@]host:port or smtps://…")
	fs.StringVar(&cfg.MailFrom, "mail-from", "", "From address of delivered e-mail")
	fs.StringVar(&cfg.MessageWebhook, "message-webhook", "", "POST every message as JSON to this URL")
	fs.StringVar(&cfg.IssuerStyle, "issuer-style", "local", "token issuer: local (<public-url>/<pool>) or aws (https://cognito-idp.<region>.amazonaws.com/<pool>)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (serve HTTPS)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "TLS key file")
	fs.StringVar(logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolFunc("srp", "USER_SRP_AUTH in pools without the hashless:srp tag (true by default; false keeps no SRP verifiers, see README)", func(s string) error {
		on, err := strconv.ParseBool(s)
		cfg.DisableSRP = !on
		return err
	})
	return fs, creds, logLevel
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func poolServe(args []string, stdout, stderr io.Writer) int {
	var cfg server.Config
	fs, creds, level := poolFlags(&cfg, stderr)
	if err := envFlags(fs, poolEnvPrefix, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hashless pool:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hashless pool: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool:", err)
		return 2
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		fmt.Fprintln(stderr, "hashless pool: --tls-cert and --tls-key go together")
		return 2
	}
	cfg.Credentials = *creds
	cfg.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	err = srv.Run(ctx, func(addr string) {
		log.Info("ready", "addr", addr, "startup_ms", time.Since(started).Milliseconds())
	})
	if err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func poolImport(args []string, stdout, stderr io.Writer) int {
	var cfg server.Config
	fs, creds, level := poolFlags(&cfg, stderr)
	fs.Init("hashless pool import", flag.ContinueOnError)
	poolID := fs.String("pool", "", "the user pool ID to import into")
	if err := envFlags(fs, poolEnvPrefix, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hashless pool import:", err)
		return 2
	}
	if *poolID == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hashless pool import --pool ID [--db …] FILE.csv")
		return 2
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool import:", err)
		return 2
	}
	cfg.Credentials = *creds
	cfg.Logger = log
	file, err := os.Open(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool import:", err)
		return 1
	}
	defer file.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool import:", err)
		return 1
	}
	defer srv.Close()
	started := time.Now()
	result, err := srv.Service.ImportUsers(ctx, *poolID, file, func(p pool.ImportProgress) bool {
		elapsed := time.Since(started).Seconds()
		fmt.Fprintf(stderr, "\rimported %d of %d rows (%d failed), %.0f rows/s", p.Imported, p.Rows, p.Failed, float64(p.Rows)/max(elapsed, 0.001))
		return ctx.Err() == nil
	})
	fmt.Fprintln(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool import:", err)
		return 1
	}
	fmt.Fprintf(stdout, "imported=%d failed=%d rows=%d seconds=%.1f\n", result.Imported, result.Failed, result.Rows, time.Since(started).Seconds())
	if ctx.Err() != nil {
		return 1
	}
	return 0
}

func poolKeysRotate(args []string, stdout, stderr io.Writer) int {
	var cfg server.Config
	fs, creds, level := poolFlags(&cfg, stderr)
	fs.Init("hashless pool keys rotate", flag.ContinueOnError)
	poolID := fs.String("pool", "", "the user pool whose keys rotate")
	lead := fs.Duration("lead", 10*time.Minute, "how long the new keys are published before they sign, so verifiers can fetch them")
	if err := envFlags(fs, poolEnvPrefix, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hashless pool keys rotate:", err)
		return 2
	}
	if *poolID == "" || fs.NArg() != 0 || *lead < 0 {
		fmt.Fprintln(stderr, "usage: hashless pool keys rotate --pool ID [--lead 10m] [--db …]")
		return 2
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool keys rotate:", err)
		return 2
	}
	cfg.Credentials = *creds
	cfg.Logger = log
	srv, err := server.Open(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool keys rotate:", err)
		return 1
	}
	defer srv.Close()
	ids, err := srv.Service.RotateKeys(context.Background(), *poolID, *lead)
	if err != nil {
		fmt.Fprintln(stderr, "hashless pool keys rotate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "new keys %s published; they sign from %s\n", strings.Join(ids, ", "), time.Now().Add(*lead).UTC().Format(time.RFC3339))
	return 0
}
