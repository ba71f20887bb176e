// Command hashless-bench is the load benchmark behind BENCHMARKS.md. It drives
// Cognito-compatible user pool servers (hashless pool, moto, cognito-local) with raw HTTP
// requests of the Cognito Identity Provider JSON protocol, SigV4-signing the admin ones, and
// writes what it measured as JSON; with -render it turns that JSON into the generated
// section of BENCHMARKS.md.
//
// Run mode (scripts/bench starts the servers and passes them as targets):
//
//	hashless-bench -out bench/out/results.json -hashless-bin bin/hashless -require hashless \
//	    -target 'hashless=http://127.0.0.1:9229,import,pid=1234' \
//	    -target 'moto=http://127.0.0.1:5000' -missing 'cognito-local=npm ci failed'
//
// Render mode:
//
//	hashless-bench -render bench/out/results.json -doc BENCHMARKS.md
//
// With -serve sqlite,postgres it also runs the hashless serve scenarios: it starts
// `hashless serve` (from -hashless-bin) itself on a fresh SQLite file and on a fresh
// PostgreSQL database, measures the session check against a bare net/http handler (this
// binary in -bare-handler mode, a process of its own) and the login against the bare KDF.
// Then the lazy migration of legacy password hashes on the same databases: `hashless
// customers import` of -import-rows legacy customers against a bare database/sql insert
// loop, and -first-logins first logins on serve, each migrating a customer, against the
// bare legacy verify plus pool KDF work of one migration (-serve-scenarios picks groups).
//
// Helper modes for scripts: -free-port prints a free loopback port; -wait URL waits until
// something answers HTTP there.
//
// The client measures its own CPU time (getrusage) for every scenario, so a reader can see
// whether it, rather than the server, was the bottleneck; with pid= on a target it also
// reads the server's CPU time from /proc.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

// Credentials the benchmark signs with; scripts/bench gives hashless the same with
// --credentials. moto and cognito-local accept any.
const (
	defaultAccessKey = "AKIDHASHLESSBENCH"
	defaultSecretKey = "hashless-bench-secret"
	region           = "us-east-1"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type options struct {
	out            string
	targets        listFlag
	missing        listFlag
	require        listFlag
	scenarios      string
	concurrency    int
	duration       time.Duration
	warmup         time.Duration
	maxRequests    int64
	users          int
	bigUsers       int
	signinUsers    int
	setupBudget    time.Duration
	hashlessBin    string
	startupRuns    int
	kdfDuration    time.Duration
	kdfWorkers     int
	kdfTarget      string
	kdfConcurrency int
	accessKey      string
	secretKey      string
	note           string
	renderPath     string
	docPath        string
	freePort       bool
	waitURL        string
	waitTimeout    time.Duration
	requestLimit   time.Duration
	cpuProfile     string
	maxOther       float64
	quietWait      time.Duration
	retries        int

	serve          string
	servePostgres  string
	serveMissing   listFlag
	serveC         int
	serveCustomers int
	serveSessions  int
	serveKDF       string
	bareHandler    string
	serveGroups    string
	importRows     int
	firstLogins    int
	firstLoginC    int
	legacySpec     string
	legacyScrypt   scryptParams
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var o options
	fs := flag.NewFlagSet("hashless-bench", flag.ContinueOnError)
	fs.StringVar(&o.out, "out", "bench/out/results.json", "where the results JSON is written")
	fs.Var(&o.targets, "target", "NAME=URL[,import][,pid=N][,version=V]: a server to benchmark (repeatable, run in order); import: create the bulk users with a user import job")
	fs.Var(&o.missing, "missing", "NAME=REASON: a peer that could not be started, reported as missing (repeatable)")
	fs.Var(&o.require, "require", "NAME: exit non-zero if this target fails setup or any of its requests fails (repeatable)")
	fs.StringVar(&o.scenarios, "scenarios", strings.Join(scenarioNames, ","), "comma-separated scenarios to run on each target")
	fs.IntVar(&o.concurrency, "c", 8, "concurrent requests (workers) per scenario")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario (it also ends after -n requests)")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up per scenario")
	fs.Int64Var(&o.maxRequests, "n", 0, "measured requests per scenario at most (0: only -duration limits)")
	fs.IntVar(&o.users, "users", 10_000, "bulk users per pool (ListUsers and AdminGetUser pick among them)")
	fs.IntVar(&o.bigUsers, "big-users", 0, "if > 0, also import this many users into a second pool on each import target and run listusers-email there")
	fs.IntVar(&o.signinUsers, "signin-users", 16, "users with a permanent password (sign-in and token scenarios rotate among them)")
	fs.DurationVar(&o.setupBudget, "setup-budget", 120*time.Second, "time allowed for creating bulk users through the API; U is what was created by then")
	fs.StringVar(&o.hashlessBin, "hashless-bin", "", "hashless binary for the startup scenario (empty: skip it)")
	fs.IntVar(&o.startupRuns, "startup-runs", 10, "startups measured (the median is reported)")
	fs.DurationVar(&o.kdfDuration, "kdf-duration", 5*time.Second, "how long the bare KDF baseline runs (0: skip it)")
	fs.IntVar(&o.kdfWorkers, "kdf-workers", runtime.NumCPU(), "goroutines of the KDF baseline")
	fs.StringVar(&o.kdfTarget, "kdf-target", "hashless", "the target whose KDF-bound scenarios (signin, createuser) get the baseline measured again next to them")
	fs.IntVar(&o.kdfConcurrency, "kdf-c", runtime.NumCPU(), "also run the KDF-bound scenarios on -kdf-target at this concurrency (0: don't)")
	fs.StringVar(&o.accessKey, "access-key", defaultAccessKey, "SigV4 access key ID")
	fs.StringVar(&o.secretKey, "secret-key", defaultSecretKey, "SigV4 secret access key")
	fs.StringVar(&o.note, "note", "", "free text stored with the results")
	fs.DurationVar(&o.requestLimit, "request-timeout", 60*time.Second, "timeout of one request")
	fs.Float64Var(&o.maxOther, "max-other", 25, "a measurement during which other processes took more than this much CPU (per cent of one core) is run again")
	fs.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "before each measurement, wait up to this long for other processes to use at most -max-other (0: don't)")
	fs.IntVar(&o.retries, "retries", 1, "how often a disturbed measurement is run again (the least disturbed run is kept)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the client's own CPU profile here (to see what the load generator spends its time on)")
	fs.StringVar(&o.serve, "serve", "", "comma-separated databases to run the hashless serve scenarios on (sqlite, postgres); needs -hashless-bin")
	fs.StringVar(&o.servePostgres, "serve-postgres", "", "PostgreSQL server (postgres:// URL on 127.0.0.1) on which the serve scenarios create a fresh database (default: $HASHLESS_TEST_POSTGRES_DSN)")
	fs.Var(&o.serveMissing, "serve-missing", "DATABASE=REASON: a serve database that is not available here, reported as missing (repeatable)")
	fs.IntVar(&o.serveC, "serve-c", 64, "concurrent requests of the serve session-check scenarios and their bare-handler baseline")
	fs.IntVar(&o.serveCustomers, "serve-customers", 100, "customers registered for the serve session check")
	fs.IntVar(&o.serveSessions, "serve-sessions", 1000, "sessions opened among them (half cookie, half bearer); the session check rotates among them")
	fs.StringVar(&o.serveKDF, "serve-kdf", "argon2id:m=64,t=1,p=1", "serve's --kdf while the session check is set up and measured (it runs no KDF; login always uses the default)")
	fs.StringVar(&o.serveGroups, "serve-scenarios", strings.Join(serveGroups, ","), "comma-separated groups of serve scenarios to run: auth (session check and login), import (hashless customers import of legacy customers), first-login (first logins that migrate legacy hashes)")
	fs.IntVar(&o.importRows, "import-rows", 100_000, "legacy customers in the import scenario's file (0: skip it)")
	fs.IntVar(&o.firstLogins, "first-logins", 10_000, "legacy customers of the first-login scenario, each signing in once (0: skip it)")
	fs.IntVar(&o.firstLoginC, "first-login-c", 64, "concurrent first logins")
	fs.StringVar(&o.legacySpec, "legacy-scrypt", medusaScrypt.LogNRP(), "logN,r,p of the legacy scrypt-kdf hashes (Medusa v2's default: 15,8,1; Medusa v1 used 1,1,1)")
	fs.StringVar(&o.bareHandler, "bare-handler", "", "helper mode: serve the bare net/http handler on this 127.0.0.1 address (the serve scenarios start it)")
	fs.StringVar(&o.renderPath, "render", "", "render mode: the results JSON to turn into tables")
	fs.StringVar(&o.docPath, "doc", "BENCHMARKS.md", "render mode: the document whose generated section is replaced (- prints the section)")
	fs.BoolVar(&o.freePort, "free-port", false, "print a free TCP port on 127.0.0.1 and exit")
	fs.StringVar(&o.waitURL, "wait", "", "wait until an HTTP server answers at this URL, then exit")
	fs.DurationVar(&o.waitTimeout, "wait-timeout", 30*time.Second, "how long -wait waits")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hashless-bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	switch {
	case o.bareHandler != "":
		return runBareHandler(o.bareHandler)
	case o.freePort:
		port, err := freePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, "hashless-bench:", err)
			return 1
		}
		fmt.Println(port)
		return 0
	case o.waitURL != "":
		if err := waitHTTP(o.waitURL, o.waitTimeout); err != nil {
			fmt.Fprintln(os.Stderr, "hashless-bench:", err)
			return 1
		}
		return 0
	case o.renderPath != "":
		if err := renderFile(o.renderPath, o.docPath); err != nil {
			fmt.Fprintln(os.Stderr, "hashless-bench:", err)
			return 1
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hashless-bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "hashless-bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	res, err := runAll(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hashless-bench:", err)
		return 2
	}
	if err := writeJSON(o.out, res); err != nil {
		fmt.Fprintln(os.Stderr, "hashless-bench:", err)
		return 1
	}
	logf("wrote %s", o.out)
	if failed := requiredFailures(res, o.require); len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintln(os.Stderr, "hashless-bench: FAIL:", f)
		}
		return 1
	}
	if ctx.Err() != nil {
		return 1
	}
	return 0
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s hashless-bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until any HTTP response comes back (a server that answers 400 to an
// empty GET is up).
func waitHTTP(url string, timeout time.Duration) error {
	if err := checkLoopback(url); err != nil {
		return err
	}
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing answered at %s within %s: %v", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
