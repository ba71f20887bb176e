package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Results is the JSON document one run writes.
type Results struct {
	Schema    int            `json:"schema"`
	Generated time.Time      `json:"generated"`
	Note      string         `json:"note,omitempty"`
	Machine   Machine        `json:"machine"`
	Settings  Settings       `json:"settings"`
	KDF       *KDFResult     `json:"kdf,omitempty"`
	Startup   *StartupResult `json:"startup,omitempty"`
	Targets   []*Target      `json:"targets"`
	Serve     *ServeResults  `json:"serve,omitempty"`
}

type Machine struct {
	NProc      int    `json:"nproc"`
	CPUModel   string `json:"cpu_model"`
	GoVersion  string `json:"go_version"`
	OSArch     string `json:"os_arch"`
	Kernel     string `json:"kernel,omitempty"`
	MemTotalMB int    `json:"mem_total_mb,omitempty"`
}

type Settings struct {
	Concurrency     int     `json:"concurrency"`
	DurationSec     float64 `json:"duration_s"`
	WarmupSec       float64 `json:"warmup_s"`
	MaxRequests     int64   `json:"max_requests,omitempty"`
	Users           int     `json:"users"`
	BigUsers        int     `json:"big_users,omitempty"`
	SigninUsers     int     `json:"signin_users"`
	SetupBudgetSec  float64 `json:"setup_budget_s"`
	MaxOtherCPUPct  float64 `json:"max_other_cpu_pct"`
	Retries         int     `json:"retries"`
	QuietWaitSec    float64 `json:"quiet_wait_s"`
	ClientGOMAXPROC int     `json:"client_gomaxprocs"`
}

// Target is one server and everything measured on it.
type Target struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	Version string `json:"version,omitempty"`
	// Status is ok, missing (never started) or failed (started, but setup failed).
	Status   string     `json:"status"`
	Reason   string     `json:"reason,omitempty"`
	Setup    *SetupInfo `json:"setup,omitempty"`
	BigSetup *SetupInfo `json:"big_setup,omitempty"`
	Results  []Result   `json:"results,omitempty"`
	// KDF holds bare-KDF baselines measured right before and after this target's
	// KDF-bound scenarios (-kdf-target).
	KDF []KDFResult `json:"kdf,omitempty"`

	importUsers bool
	pid         int
}

func parseTarget(spec string) (*Target, error) {
	name, rest, ok := strings.Cut(spec, "=")
	if !ok || name == "" || rest == "" {
		return nil, fmt.Errorf("-target %q: want NAME=URL[,import][,pid=N][,version=V]", spec)
	}
	parts := strings.Split(rest, ",")
	t := &Target{Name: name, URL: parts[0], Status: "ok"}
	if err := checkLoopback(t.URL); err != nil {
		return nil, fmt.Errorf("-target %s: %w", name, err)
	}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "import":
			t.importUsers = true
		case "pid":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("-target %s: pid=%q", name, v)
			}
			t.pid = n
		case "version":
			t.Version = v
		default:
			return nil, fmt.Errorf("-target %s: unknown option %q", name, p)
		}
	}
	return t, nil
}

func runAll(ctx context.Context, o options) (*Results, error) {
	var targets []*Target
	for _, spec := range o.targets {
		t, err := parseTarget(spec)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	for _, spec := range o.missing {
		name, reason, _ := strings.Cut(spec, "=")
		targets = append(targets, &Target{Name: name, Status: "missing", Reason: reason})
	}
	wanted := map[string]bool{}
	var scenarios []string
	for _, s := range strings.Split(o.scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, ok := scenarioInfo[s]; !ok {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (have %s)", s, strings.Join(scenarioNames, ", "))
		}
		wanted[s] = true
	}
	for _, s := range scenarioNames {
		if wanted[s] {
			scenarios = append(scenarios, s)
		}
	}
	if o.concurrency < 1 {
		return nil, errors.New("-c must be at least 1")
	}
	for _, s := range strings.Split(o.serve, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(serveBackends, s) {
			return nil, fmt.Errorf("-serve: unknown database %q (have %s)", s, strings.Join(serveBackends, ", "))
		}
	}
	if strings.TrimSpace(o.serve) != "" {
		if o.hashlessBin == "" {
			return nil, errors.New("-serve needs -hashless-bin")
		}
		if o.serveC < 1 {
			return nil, errors.New("-serve-c must be at least 1")
		}
		if o.servePostgres == "" {
			o.servePostgres = os.Getenv("HASHLESS_TEST_POSTGRES_DSN")
		}
		if _, err := parseGroups(o.serveGroups); err != nil {
			return nil, err
		}
		p, err := parseScryptParams(o.legacySpec)
		if err != nil {
			return nil, fmt.Errorf("-legacy-scrypt: %w", err)
		}
		o.legacyScrypt = p
		if o.firstLoginC < 1 {
			return nil, errors.New("-first-login-c must be at least 1")
		}
	}
	res := &Results{
		Schema:    1,
		Generated: time.Now().UTC().Truncate(time.Second),
		Note:      o.note,
		Machine:   machineInfo(),
		Settings: Settings{Concurrency: o.concurrency, DurationSec: o.duration.Seconds(), WarmupSec: o.warmup.Seconds(),
			MaxRequests: o.maxRequests, Users: o.users, BigUsers: o.bigUsers, SigninUsers: o.signinUsers,
			SetupBudgetSec: o.setupBudget.Seconds(), MaxOtherCPUPct: o.maxOther, Retries: o.retries, QuietWaitSec: o.quietWait.Seconds(),
			ClientGOMAXPROC: runtime.GOMAXPROCS(0)},
		Targets: targets,
	}
	logf("machine: %d CPUs, %s, %s", res.Machine.NProc, res.Machine.CPUModel, res.Machine.GoVersion)

	// The run-wide KDF baseline is for the pool targets' tables; the serve scenarios measure
	// their own limits next to each row.
	if o.kdfDuration > 0 && len(targets) > 0 {
		k := kdfMeasure(ctx, o)
		res.KDF = &k
		other := ""
		if k.OtherCPUPct != nil {
			other = fmt.Sprintf(" (other load %.0f%%)", *k.OtherCPUPct)
		}
		logf("kdf: %s, %d goroutines: %.1f verifications/s%s", k.Params, k.Workers, k.OpsPerSec, other)
	}
	if o.hashlessBin != "" && o.startupRuns > 0 {
		if o.quietWait > 0 {
			waitQuiet(ctx, nil, o.maxOther, o.quietWait)
		}
		s, err := measureStartup(ctx, o.hashlessBin, o.startupRuns)
		if err != nil {
			s.Error = err.Error()
			logf("startup: %v", err)
		} else {
			logf("startup: median %.1f ms over %d runs", s.MedianMs, len(s.SamplesMs))
		}
		res.Startup = &s
	}

	tag := strconv.FormatInt(time.Now().Unix()%(36*36*36*36), 36)
	for _, t := range targets {
		if t.Status != "ok" {
			logf("%s: missing: %s", t.Name, t.Reason)
			continue
		}
		if ctx.Err() != nil {
			break
		}
		benchTarget(ctx, o, t, scenarios, tag)
	}
	if strings.TrimSpace(o.serve) != "" && ctx.Err() == nil {
		runServeAll(ctx, o, res)
	}
	return res, nil
}

func benchTarget(ctx context.Context, o options, t *Target, scenarios []string, tag string) {
	c := newClient(t.URL, o.concurrency, o.requestLimit, o.accessKey, o.secretKey)
	defer c.close()
	logf("%s: setting up at %s", t.Name, t.URL)
	f, info, err := setupTarget(ctx, o, c, t, "bench-"+tag, o.users)
	t.Setup = info
	if err != nil {
		t.Status, t.Reason = "failed", "setup: "+err.Error()
		logf("%s: FAILED: %s", t.Name, t.Reason)
		return
	}
	logf("%s: %d bulk users by %s in %.1fs, %d sign-in users, %d tokens", t.Name, info.Users, info.Method, info.Seconds, info.SigninUsers, info.Tokens)
	cfg := loadConfig{concurrency: o.concurrency, duration: o.duration, warmup: o.warmup, maxRequests: o.maxRequests, serverPID: t.pid,
		quietWait: o.quietWait, maxOther: o.maxOther}
	// measure runs a scenario, and again when other processes disturbed it, keeping the
	// least disturbed run.
	measure := func(name string, fx *fixture, cfg loadConfig) Result {
		// Built afresh for every run: createuser needs fresh user names.
		return measureScenario(ctx, o, c, t.Name, name, cfg, func() (scenarioRun, string) { return buildScenario(name, fx, tag) })
	}
	one := func(name string, cfg loadConfig, variant string) {
		r := measure(name, f, cfg)
		r.Variant = variant
		logResult(r)
		t.Results = append(t.Results, r)
	}
	// On the KDF target, each KDF-bound scenario is bracketed by bare-KDF measurements and
	// compared with their mean, so that it meets the cores as they were at that minute (a
	// virtual machine's speed drifts).
	kdfHere := t.Name == o.kdfTarget && o.kdfDuration > 0
	paired := func(name string, cfg loadConfig, variant string) {
		if len(t.KDF) == 0 {
			t.KDF = append(t.KDF, kdfNow(ctx, o, t.Name, "before "+name))
		}
		one(name, cfg, variant)
		after := kdfNow(ctx, o, t.Name, "after "+name+" "+variant)
		t.KDF = append(t.KDF, after)
		before := t.KDF[len(t.KDF)-2]
		if before.OpsPerSec > 0 && after.OpsPerSec > 0 {
			mean := round1((before.OpsPerSec + after.OpsPerSec) / 2)
			t.Results[len(t.Results)-1].KDFOpsPerSec = &mean
		}
	}
	var kdfBound []string
	for _, name := range scenarios {
		if ctx.Err() != nil {
			return
		}
		if kdfBoundScenario(name) && kdfHere {
			kdfBound = append(kdfBound, name)
			paired(name, cfg, "")
			continue
		}
		one(name, cfg, "")
	}
	// The same scenarios with one request per core: what the server does when the KDF is not
	// oversubscribed.
	if k := o.kdfConcurrency; kdfHere && k > 0 && k != o.concurrency {
		kcfg := cfg
		kcfg.concurrency = k
		for _, name := range kdfBound {
			if ctx.Err() != nil {
				return
			}
			paired(name, kcfg, fmt.Sprintf("C=%d", k))
		}
	}
	if o.bigUsers > 0 && t.importUsers && slices.Contains(scenarios, "listusers-email") {
		logf("%s: importing %d users into a second pool", t.Name, o.bigUsers)
		bo := o
		bo.signinUsers = 0
		bf, binfo, err := setupTarget(ctx, bo, c, t, "bench-big-"+tag, o.bigUsers)
		t.BigSetup = binfo
		if err != nil {
			logf("%s: big pool setup failed: %v", t.Name, err)
			t.Results = append(t.Results, Result{Target: t.Name, Scenario: "listusers-email", Users: o.bigUsers,
				Concurrency: o.concurrency, Big: true, Skipped: "setup: " + err.Error()})
			return
		}
		logf("%s: %d users imported in %.1fs", t.Name, binfo.Users, binfo.Seconds)
		r := measure("listusers-email", bf, cfg)
		r.Big = true
		logResult(r)
		t.Results = append(t.Results, r)
	}
}

func kdfBoundScenario(name string) bool { return name == "signin" || name == "createuser" }

// disturbed reports whether other processes took more than max per cent of a core.
func disturbed(other *float64, max float64) bool { return other != nil && max > 0 && *other > max }

// kdfMeasure is kdfBaseline, after waiting for quiet, and run again when other processes
// disturbed it.
func kdfMeasure(ctx context.Context, o options) KDFResult {
	if o.quietWait > 0 {
		if waited, other := waitQuiet(ctx, nil, o.maxOther, o.quietWait); waited > 1500*time.Millisecond {
			logf("kdf: waited %.0fs for other processes to quiet down (now %.0f%% of a core)", waited.Seconds(), other)
		}
	}
	k := kdfBaseline(ctx, o.kdfWorkers, o.kdfDuration)
	for a := 0; a < o.retries && disturbed(k.OtherCPUPct, o.maxOther) && ctx.Err() == nil; a++ {
		logf("kdf: other processes took %.0f%% of a core; measuring again", *k.OtherCPUPct)
		again := kdfBaseline(ctx, o.kdfWorkers, o.kdfDuration)
		if again.OtherCPUPct == nil || *again.OtherCPUPct < *k.OtherCPUPct {
			k = again
		}
	}
	return k
}

func kdfNow(ctx context.Context, o options, target, when string) KDFResult {
	k := kdfMeasure(ctx, o)
	k.When = strings.TrimSpace(when) + " on " + target
	logf("kdf %s: %.1f verifications/s", k.When, k.OpsPerSec)
	return k
}

func logResult(r Result) {
	if r.Skipped != "" {
		logf("%s %-16s U=%-7d skipped: %s (%d requests, %d errors)", r.Target, r.Scenario, r.Users, r.Skipped, r.Requests, r.Errors)
		return
	}
	srv := ""
	if r.ServerCPUPct != nil {
		srv = fmt.Sprintf(" server CPU %.0f%%", *r.ServerCPUPct)
	}
	if r.DBCPUPct != nil {
		srv += fmt.Sprintf(" database CPU %.0f%%", *r.DBCPUPct)
	}
	if r.OtherCPUPct != nil {
		srv += fmt.Sprintf(" other %.0f%%", *r.OtherCPUPct)
	}
	errs := ""
	if r.Errors > 0 {
		errs = fmt.Sprintf(" ERRORS %d (%s)", r.Errors, r.ErrorSample)
	}
	logf("%s %-16s U=%-7d C=%-2d n=%-7d %9.1f ops/s p50 %7.2f ms p99 %8.2f ms  client CPU %.0f%%%s%s",
		r.Target, r.Scenario, r.Users, r.Concurrency, r.Requests, r.OpsPerSec, r.P50Ms, r.P99Ms, r.ClientCPUPct, srv, errs)
}

// setupTarget creates a pool and client, the sign-in users, the bulk users and the tokens.
func setupTarget(ctx context.Context, o options, c *client, t *Target, poolName string, users int) (*fixture, *SetupInfo, error) {
	info := &SetupInfo{UsersWanted: users, Method: "api"}
	if t.importUsers {
		info.Method = "import"
	}
	start := time.Now()
	poolID, clientID, err := createPool(ctx, c, poolName)
	if err != nil {
		return nil, info, err
	}
	info.PoolID = poolID
	f := &fixture{poolID: poolID, clientID: clientID}
	workers := min(o.concurrency, 8)
	if o.signinUsers > 0 {
		if f.signin, err = createSigninUsers(ctx, c, poolID, o.signinUsers, workers); err != nil {
			return nil, info, err
		}
		info.SigninUsers = len(f.signin)
	}
	if users > 0 {
		if t.importUsers {
			if f.bulk, err = importBulk(ctx, c, poolID, users); err != nil {
				return nil, info, err
			}
		} else {
			var first error
			f.bulk, info.Failures, first, info.BudgetHit = createBulkAPI(ctx, c, poolID, users, workers, o.setupBudget)
			if first != nil {
				info.FailureSample = first.Error()
			}
			if len(f.bulk) == 0 {
				return nil, info, fmt.Errorf("no bulk user could be created: %v", first)
			}
			if info.BudgetHit {
				logf("%s: setup budget of %s reached after %d of %d users", t.Name, o.setupBudget, len(f.bulk), users)
			}
		}
	}
	info.Users = len(f.bulk)
	info.Seconds = round3(time.Since(start).Seconds())
	if info.Seconds > 0 {
		info.UsersPerSec = round1(float64(info.Users) / info.Seconds)
	}
	if len(f.signin) > 0 {
		f.access, f.refresh, err = signInAll(ctx, c, clientID, f.signin)
		if err != nil {
			f.tokenErr = err.Error()
			info.TokenError = f.tokenErr
			logf("%s: signing in for tokens failed: %v", t.Name, err)
		}
		if err == nil && len(f.refresh) == 0 {
			f.tokenErr = "InitiateAuth returned no refresh token"
		}
		info.Tokens = len(f.access)
	}
	return f, info, nil
}

// requiredFailures lists why each -require target counts as failed.
func requiredFailures(res *Results, required []string) []string {
	var out []string
	for _, name := range required {
		var t *Target
		for _, x := range res.Targets {
			if x.Name == name {
				t = x
			}
		}
		switch {
		case name == "serve":
			out = append(out, serveFailures(res.Serve)...)
			continue
		case t == nil:
			out = append(out, name+": not a target")
			continue
		case t.Status != "ok":
			out = append(out, fmt.Sprintf("%s: %s: %s", name, t.Status, t.Reason))
			continue
		}
		if t.Setup != nil && t.Setup.TokenError != "" {
			out = append(out, fmt.Sprintf("%s: signing in: %s", name, t.Setup.TokenError))
		}
		for _, r := range t.Results {
			switch {
			case r.Skipped != "":
				out = append(out, fmt.Sprintf("%s %s: skipped: %s", name, r.Scenario, r.Skipped))
			case r.Errors > 0:
				out = append(out, fmt.Sprintf("%s %s: %d of %d requests failed, e.g. %s", name, r.Scenario, r.Errors, r.Requests, r.ErrorSample))
			case r.Requests == 0:
				out = append(out, fmt.Sprintf("%s %s: no request completed", name, r.Scenario))
			}
		}
	}
	return out
}

func machineInfo() Machine {
	m := Machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.Join(strings.Fields(v), " ")
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					kb, _ := strconv.Atoi(f[0])
					m.MemTotalMB = kb / 1024
				}
			}
		}
	}
	return m
}
