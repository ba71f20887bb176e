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
