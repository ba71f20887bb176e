package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.50, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := fmtInt(in); got != want {
			t.Errorf("fmtInt(%d) = %q, want %q", in, got, want)
		}
	}
	if got := fmtRate(45.25); got != "45.2" && got != "45.3" {
		t.Errorf("fmtRate(45.25) = %q", got)
	}
	if got := fmtRate(4170.3); got != "4,170" {
		t.Errorf("fmtRate(4170.3) = %q", got)
	}
}

func TestReplaceSection(t *testing.T) {
	doc := "# B\n\nhand\n\n" + beginMarker + "\n\nold\n\n" + endMarker + "\ntail\n"
	got, err := replaceSection(doc, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# B\n\nhand\n\n" + beginMarker + "\n\nnew\n\n" + endMarker + "\ntail\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := replaceSection("no markers", "x"); err == nil {
		t.Error("a document without markers was accepted")
	}
}

func TestRender(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	res := &Results{
		Generated: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine:   Machine{NProc: 2, CPUModel: "Test CPU", GoVersion: "go1.26", OSArch: "linux/amd64"},
		Settings:  Settings{Concurrency: 8, DurationSec: 10, WarmupSec: 2, Users: 10000, SigninUsers: 16},
		KDF:       &KDFResult{Params: "argon2id:m=19456,t=2,p=1", Workers: 2, OpsPerSec: 50},
		Startup:   &StartupResult{Command: "hashless pool --db memory --addr 127.0.0.1:0", SamplesMs: []float64{40, 50, 60}, MedianMs: 50, MinMs: 40, MaxMs: 60},
		Targets: []*Target{
			{Name: "moto", Status: "ok", Setup: &SetupInfo{Method: "api", Users: 10000, UsersWanted: 10000},
				Results: []Result{
					{Scenario: "admingetuser", Users: 10000, Requests: 3000, Seconds: 10, OpsPerSec: 300, P99Ms: 70, ServerCPUPct: pct(90), OtherCPUPct: pct(1)},
					{Scenario: "getuser", Users: 10000, Requests: 10, Errors: 10, ErrorKinds: map[string]int{"HTTP 400 NotAuthorizedException": 10}, ErrorSample: "bad token", Skipped: "every warm-up request failed"},
					{Scenario: "signin", Users: 10000, Requests: 2000, Seconds: 10, OpsPerSec: 200, P99Ms: 100},
				}},
			{Name: "hashless", Status: "ok", Setup: &SetupInfo{Method: "import", Users: 10000, UsersWanted: 10000},
				KDF: []KDFResult{{OpsPerSec: 40, Params: "argon2id:m=19456,t=2,p=1", Workers: 2}, {OpsPerSec: 60, Params: "argon2id:m=19456,t=2,p=1", Workers: 2}},
				Results: []Result{
					{Scenario: "admingetuser", Users: 10000, Requests: 45000, Seconds: 10, OpsPerSec: 4500, P99Ms: 7, ServerCPUPct: pct(120), OtherCPUPct: pct(0)},
					{Scenario: "getuser", Users: 10000, Requests: 40000, Seconds: 10, OpsPerSec: 4000, P99Ms: 6},
					{Scenario: "signin", Users: 10000, Concurrency: 8, Requests: 400, Seconds: 10, OpsPerSec: 40, P99Ms: 400, KDFOpsPerSec: pct(50)},
					{Scenario: "signin", Users: 10000, Concurrency: 2, Variant: "C=2", Requests: 480, Seconds: 10, OpsPerSec: 48, P99Ms: 60, KDFOpsPerSec: pct(50)},
					{Scenario: "listusers-email", Users: 1000000, Big: true, Requests: 30000, Seconds: 10, OpsPerSec: 3000, P99Ms: 9},
				}},
			{Name: "cognito-local", Status: "missing", Reason: "npm ci failed"},
		},
	}
	out := render(res)
	for _, want := range []string{
		"| `admingetuser` | 4,500 | 7.00 | 300 | 70.0 | missing [",
		"15× (moto)",
		"| `getuser` | 4,000 | 6.00 | n/a [",
		"(U=1,000,000)",
		"| `signin` | 8 | 40.0 | 400 | 50.0 | 0.80 | missed |",
		"| `signin` | 2 | 48.0 | 60.0 | 50.0 | 0.96 | met |",
		"**40.0 to 60.0 verifications/s**",
		"cognito-local could not be started: npm ci failed",
		"| `admingetuser` | 0 / 120 / 0 | 0 / 90 / 1 |",
		"**50.0 ms** median of 3 runs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered section lacks %q:\n%s", want, out)
		}
	}
}

func TestFlags(t *testing.T) {
	if got := run([]string{"-free-port"}); got != 0 {
		t.Errorf("-free-port exited %d", got)
	}
	if got := run([]string{"-target", "x=http://example.com:80"}); got != 2 {
		t.Errorf("a non-loopback target: exit %d, want 2", got)
	}
}

func TestRenderServe(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	res := &Results{
		Generated: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine:   Machine{NProc: 2, CPUModel: "Test CPU", GoVersion: "go1.26", OSArch: "linux/amd64"},
		Settings:  Settings{Concurrency: 8, DurationSec: 10, WarmupSec: 2},
		Serve: &ServeResults{
			Concurrency: 64, Customers: 100, Sessions: 1000, LoginUsers: 16, SessionKDF: "argon2id:m=64,t=1,p=1",
			LoginKDF: defaultKDFSpec(), Command: "hashless serve --addr 127.0.0.1:0", BareStatus: "ok",
			BareRuns: []Result{
				{Scenario: scBare, Variant: "before sqlite serve-auth", Concurrency: 64, Requests: 200000, Seconds: 10, OpsPerSec: 20000, P99Ms: 10, ServerCPUSec: pct(7), ServerCPUPct: pct(70)},
				{Scenario: scBare, Variant: "after sqlite serve-auth", Concurrency: 64, Requests: 180000, Seconds: 10, OpsPerSec: 18000, P99Ms: 12},
			},
			Backends: []*ServeBackend{
				{Name: "sqlite", Status: "ok", Setup: &ServeSetup{Customers: 100, CookieSessions: 500, BearerSessions: 500, Seconds: 7.5},
					KDF: []KDFResult{{OpsPerSec: 50, Params: "argon2id:m=19456,t=2,p=1", Workers: 2}, {OpsPerSec: 54, Params: "argon2id:m=19456,t=2,p=1", Workers: 2}},
					Results: []Result{
						{Scenario: scServeAuth, Concurrency: 64, Requests: 95000, Seconds: 10, OpsPerSec: 9500, P99Ms: 22, BareOpsPerSec: pct(19000), BareP99Ms: pct(11), ServerCPUSec: pct(12), ServerCPUPct: pct(120)},
						{Scenario: scServeVerify, Concurrency: 64, Requests: 10, Errors: 10, ErrorKinds: map[string]int{"HTTP 401 unauthorized": 10}, ErrorSample: "HTTP 401 unauthorized: no", Skipped: "every warm-up request failed"},
						{Scenario: scServeLogin, Concurrency: 8, Requests: 470, Seconds: 10, OpsPerSec: 47, P99Ms: 300, KDFOpsPerSec: pct(52)},
					}},
				{Name: "postgres", Status: "missing", Reason: "no PostgreSQL server"},
			},
		},
	}
	out := render(res)
	for _, want := range []string{
		"| SQLite | `GET /store/auth` (cookie) | 9,500 | 22.0 | 19,000 | 11.0 | 0.50 | met |",
		"| SQLite | `GET /store/auth/verify` (bearer) | n/a [",
		"| PostgreSQL | | missing [",
		"| SQLite | 8 | 47.0 | 300 | 52.0 | 0.90 | met |",
		"**18,000 to 20,000 requests/s**",
		"no equivalent of serve",
		"| SQLite | `serve-auth` | 64 | 0 / 120 / — / — | 126 |",
		"| — | `bare` before sqlite serve-auth | 64 | 0 / 70 / — / — | 35.0 |",
		"serve on PostgreSQL: no PostgreSQL server",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered section lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "### Servers") {
		t.Errorf("a run without pool targets rendered the pool tables:\n%s", out)
	}
	if got := serveFailures(res.Serve); len(got) != 1 || !strings.Contains(got[0], "serve-verify") {
		t.Errorf("serveFailures = %q, want the skipped serve-verify only", got)
	}
}

func TestFmtAgainst(t *testing.T) {
	for _, c := range []struct {
		f, target float64
		want      string
	}{{0.4961, 0.5, "0.496"}, {0.5, 0.5, "0.50"}, {0.504, 0.5, "0.50"}, {0.36, 0.5, "0.36"}, {0.897, 0.9, "0.897"}, {0.85, 0.9, "0.85"}} {
		if got := fmtAgainst(c.f, c.target); got != c.want {
			t.Errorf("fmtAgainst(%v, %v) = %q, want %q", c.f, c.target, got, c.want)
		}
	}
}
