package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/legacyhash"
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

func TestRenderMigration(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	res := &Results{
		Generated: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Machine:   Machine{NProc: 2, CPUModel: "Test CPU", GoVersion: "go1.26", OSArch: "linux/amd64"},
		Settings:  Settings{Concurrency: 8, DurationSec: 10, WarmupSec: 2, MaxOtherCPUPct: 25},
		Serve: &ServeResults{
			BareStatus: "not run",
			Import: &ImportResults{Rows: 100000, HashFormat: "scrypt-kdf logN=15,r=8,p=1", DistinctHashes: 8, FileBytes: 35_000_000,
				Command: "hashless customers import FILE --db <fresh>", Transactions: "commits each row",
				Backends: []*ImportBackend{
					{Name: "sqlite", Status: "ok",
						BareInsert: &ImportRun{Rows: 100000, Seconds: 8, RowsPerSec: 12500, CPUSec: pct(7)},
						BareLookup: &ImportRun{Rows: 100000, Seconds: 2, RowsPerSec: 50000, CPUSec: pct(1.6), OtherCPUPct: pct(60), Attempts: 2},
						Import:     &ImportRun{Rows: 100000, Seconds: 20, InnerSeconds: 19.5, RowsPerSec: 5000, Imported: 100000, CPUSec: pct(18), OtherCPUPct: pct(3)},
						Rerun:      &ImportRun{Rows: 100000, Seconds: 5, RowsPerSec: 20000, Skipped: 100000, CPUSec: pct(4.5)}},
					{Name: "postgres", Status: "failed", Reason: "run 2: the re-run imported 3",
						BareInsert: &ImportRun{Rows: 100000, Seconds: 25, RowsPerSec: 4000, CPUSec: pct(5), DBCPUSec: pct(10)},
						Import:     &ImportRun{Rows: 100000, Seconds: 40, RowsPerSec: 2500, Imported: 100000, CPUSec: pct(10), DBCPUSec: pct(20)}},
				}},
			FirstLogins: &FirstLoginResults{Customers: 10000, Concurrency: 64, HashFormat: "scrypt-kdf logN=15,r=8,p=1", GenSeconds: 380, GenWorkers: 2,
				PoolKDF: defaultKDFSpec(), Command: "hashless serve --addr 127.0.0.1:0", KDFHashes: 2, KDFVerifies: 1,
				Backends: []*FirstLoginBackend{
					{Name: "sqlite", Status: "ok", ImportSeconds: 2,
						Result:  &Result{Scenario: scFirstLogin, Concurrency: 64, Requests: 10000, Seconds: 1000, OpsPerSec: 10, P50Ms: 6000, P99Ms: 9000, ClientCPUPct: 1, ServerCPUPct: pct(190), OtherCPUPct: pct(2)},
						KDFRuns: map[string]int64{"hash": 20000, "verify": 10000}, KDFRunsPerLogin: pct(3),
						Bare:          []KDFResult{{OpsPerSec: 12, Params: "scrypt-kdf verify + 2 × argon2id hash + 1 × argon2id verify", Workers: 2}, {OpsPerSec: 13, Workers: 2}},
						BareOpsPerSec: pct(12.5), After: &MigrationCounts{Total: 10000, Migrated: 10000}, PeakRSSMB: 2400},
					{Name: "postgres", Status: "failed", Reason: "after the first logins GET /admin/migration counts 300 legacy",
						Result:  &Result{Scenario: scFirstLogin, Concurrency: 64, Requests: 10000, Errors: 300, ErrorKinds: map[string]int{"HTTP 503 unavailable": 300}, ErrorSample: "HTTP 503 unavailable: try again", Seconds: 1000, OpsPerSec: 9.7, P99Ms: 14000},
						KDFRuns: map[string]int64{"hash": 20000, "verify": 9800}, KDFRunsPerLogin: pct(3.072),
						BareOpsPerSec: pct(12), After: &MigrationCounts{Total: 10000, Legacy: 300, Migrated: 9700}},
				}},
		},
	}
	out := render(res)
	for _, want := range []string{
		"### hashless serve: lazy migration of legacy password hashes",
		"#### Import, 100,000 legacy customers",
		"| SQLite | bare INSERT loop | 12,500 | 8.00 |  |  | 70.0 |  |",
		"| SQLite | import (100,000 new) | 5,000 | 20.0 | 12,500 | 0.40 | 180 | 3 |",
		"| SQLite | re-run (100,000 unchanged) | 20,000 | 5.00 | 50,000 | 0.40 | 45.0 |  |",
		"| PostgreSQL | import (100,000 new) | 2,500 | 40.0 | 4,000 | 0.62 | 300 |  |",
		"import on PostgreSQL: run 2: the re-run imported 3",
		"19.5 s of 20.0 s on SQLite",
		"| SQLite | bare read-by-ID loop | 50,000 [",
		"other processes took 60% of a core during this run (the least disturbed of 2 runs), so its rate is too low.",
		"#### First logins, 10,000 legacy customers, 64 concurrent",
		"**12.0 to 13.0 migrations/s**",
		"| SQLite | 10.0 | 6,000 | 9,000 | 3.00 (hash 2.00, verify 1.00) | 12.5 | 0.80 | 10,000 | 1 / 190 / — / 2 | 2,400 |",
		"| PostgreSQL | errors [",
		"9,700 (300 legacy)",
		"serve made 3.07 pool KDF runs per successful login, the code 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered section lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "### hashless serve: session check and login") {
		t.Errorf("a run of the migration scenarios alone rendered the session-check section:\n%s", out)
	}
	got := serveFailures(res.Serve)
	if len(got) != 2 || !strings.Contains(got[0], "import postgres") || !strings.Contains(got[1], "first-login postgres") {
		t.Errorf("serveFailures = %q, want the failed import and first logins on PostgreSQL", got)
	}
}

func TestScryptKDFHash(t *testing.T) {
	p, err := parseScryptParams("4,2,1")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := legacyCustomers(t.Context(), 5, "t", p, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	v := legacyhash.NewScryptKDF(legacyhash.Limits{})
	for _, c := range cs {
		if !v.Match(c.hash) {
			t.Fatalf("%q is not a scrypt-kdf hash", c.hash)
		}
		if res, err := v.Verify(c.password, c.hash); err != nil || !res.OK {
			t.Errorf("the hash of %s does not verify its password: %v", c.id, err)
		}
		if res, _ := v.Verify(c.password+"x", c.hash); res.OK {
			t.Errorf("the hash of %s verifies a wrong password", c.id)
		}
	}
	if cs[0].hash == cs[1].hash || cs[0].password == cs[1].password {
		t.Error("distinct customers share a password or hash")
	}
	shared, err := legacyCustomers(t.Context(), 20, "s", p, false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if shared[0].hash != shared[8].hash || shared[0].password != shared[8].password {
		t.Error("without distinct, customers 0 and 8 should share a hash and its password")
	}
	for _, bad := range []string{"15,8", "0,1,1", "21,8,1", "a,b,c"} {
		if _, err := parseScryptParams(bad); err == nil {
			t.Errorf("parseScryptParams(%q) accepted it", bad)
		}
	}
	if _, err := parseGroups("auth,bogus"); err == nil {
		t.Error("parseGroups accepted an unknown group")
	}
}
