package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// serveSection renders the serve scenarios: the session check against the bare net/http
// handler, the login against the bare KDF, and where the CPU went; then the lazy migration
// of legacy password hashes: the import against the bare insert loop, the first logins
// against the bare migration work.
func (w *renderer) serveSection(sr *ServeResults) {
	if len(sr.Backends) > 0 {
		w.serveAuthSection(sr)
	}
	w.migrationSection(sr)
}

// serveAuthSection renders the session check and the login.
func (w *renderer) serveAuthSection(sr *ServeResults) {
	w.printf("### hashless serve: session check and login\n\n")
	w.printf("`hashless serve` (the customer auth service: customers and sessions in its own database, passwords in the pool it embeds), ")
	w.printf("started by the harness as `%s`. ", sr.Command)
	w.printf("moto and cognito-local have no equivalent of serve, so these rows have no peers; each is compared instead with its physical limit, measured in the same run by the same client on the same cores: ")
	w.printf("a bare net/http handler for the session check, the bare KDF for the login. ")
	w.printf("The load client, serve, the bare handler and PostgreSQL all share this machine's %d cores.\n\n", w.res.Machine.NProc)

	var setups []string
	for _, b := range sr.Backends {
		if st := b.Setup; st != nil && b.Status == "ok" {
			setups = append(setups, fmt.Sprintf("%.1f s on %s", st.Seconds, backendLabel(b.Name)))
		}
	}
	w.printf("Setup on each database: %s customers registered and %s sessions opened through the API (half cookie sessions from `POST /store/auth`, half bearer tokens from `POST /store/auth/token`)",
		fmtInt(int64(sr.Customers)), fmtInt(int64(sr.Sessions)))
	if len(setups) > 0 {
		w.printf(", in %s", strings.Join(setups, " and "))
	}
	w.printf(", with serve on `--kdf %s` for speed (a session check runs no KDF). ", sr.SessionKDF)
	w.printf("The sessions are seconds old when measured, so no check has to move `last_seen_at` (written at most once a minute per session): the session check is all reads. ")
	w.printf("For the login rows serve is restarted on the same database with its default KDF, %s, and %d customers registered under it.\n\n", sr.LoginKDF, sr.LoginUsers)

	// Session check.
	w.printf("#### Session check, %d concurrent requests\n\n", sr.Concurrency)
	if sr.BareStatus != "ok" {
		w.printf("The bare handler did not start (%s), so there are no ratios.\n\n", sr.BareReason)
	} else {
		var rates []float64
		for _, r := range sr.BareRuns {
			if usable(&r) {
				rates = append(rates, r.OpsPerSec)
			}
		}
		w.printf("The bare handler is `hashless-bench -bare-handler`, a process of its own: net/http with its defaults and one handler that writes a fixed 49-byte JSON body. ")
		w.printf("It gets the same GET, bearer header included, from the same client at the same concurrency; ")
		if len(rates) > 0 {
			w.printf("its %d runs, one right before and one right after each serve row, made **%s to %s requests/s**, and each serve row is compared with the mean of the two around it. ",
				len(rates), fmtRate(slices.Min(rates)), fmtRate(slices.Max(rates)))
		}
		w.printf("The target is at least %.0f%% of the bare handler.\n\n", 100*sessionTarget)
	}
	w.printf("| database | request | serve req/s | p99 ms | bare handler req/s | bare p99 ms | ÷ bare | target ≥ %.2f |\n|---|---|--:|--:|--:|--:|--:|---|\n", sessionTarget)
	for _, b := range sr.Backends {
		if b.Status != "ok" {
			w.printf("| %s | | %s | | | | | |\n", backendLabel(b.Name), w.backendStatus(b))
			continue
		}
		for _, sc := range []string{scServeAuth, scServeVerify} {
			r := findServe(b, sc, "")
			if r == nil {
				continue
			}
			label := map[string]string{scServeAuth: "`GET /store/auth` (cookie)", scServeVerify: "`GET /store/auth/verify` (bearer)"}[sc]
			c := cell{t: &Target{Name: "serve " + b.Name, Status: "ok"}, r: r, valid: usable(r)}
			if !c.valid {
				w.printf("| %s | %s | %s | | | | | |\n", backendLabel(b.Name), label, w.rate(c, -1))
				continue
			}
			line := fmt.Sprintf("| %s | %s | %s | %s |", backendLabel(b.Name), label, w.rate(c, -1), fmtMs(r.P99Ms))
			if r.BareOpsPerSec == nil || *r.BareOpsPerSec <= 0 {
				w.printf("%s | | | |\n", line)
				continue
			}
			f := r.OpsPerSec / *r.BareOpsPerSec
			ok := "met"
			if f < sessionTarget {
				ok = "missed"
			}
			bareP99 := ""
			if r.BareP99Ms != nil {
				bareP99 = fmtMs(*r.BareP99Ms)
			}
			w.printf("%s %s | %s | %s | %s |\n", line, fmtRate(*r.BareOpsPerSec), bareP99, fmtAgainst(f, sessionTarget), ok)
		}
	}
	w.printf("\n")
	for _, sc := range []string{scServeAuth, scServeVerify, scBare} {
		w.printf("- `%s`: %s\n", sc, serveScenarioInfo[sc])
	}
	w.printf("\n")

	// Login.
	w.printf("#### Login\n\n")
	var kdf []float64
	params, workers := "", 0
	for _, b := range sr.Backends {
		for _, k := range b.KDF {
			if k.OpsPerSec > 0 {
				kdf = append(kdf, k.OpsPerSec)
				params, workers = k.Params, k.Workers
			}
		}
	}
	if len(kdf) > 0 {
		w.printf("Bare KDF on the same cores (%s, %d goroutines, in the harness with nothing else running): measured right before and after each login row, **%s to %s verifications/s**; each row is compared with the mean of the two around it. ",
			params, workers, fmtRate(slices.Min(kdf)), fmtRate(slices.Max(kdf)))
	}
	w.printf("A login verifies one password, so the KDF bounds it; the target is at least %.0f%% of the bare rate. It runs at the benchmark's concurrency and again with one request per core.\n\n", 100*kdfTarget)
	w.printf("| database | concurrency | logins/s | p99 ms | bare KDF ops/s | ÷ bare KDF | target ≥ %.2f |\n|---|--:|--:|--:|--:|--:|---|\n", kdfTarget)
	for _, b := range sr.Backends {
		if b.Status != "ok" {
			w.printf("| %s | | %s | | | | |\n", backendLabel(b.Name), w.backendStatus(b))
			continue
		}
		for i := range b.Results {
			r := &b.Results[i]
			if r.Scenario != scServeLogin {
				continue
			}
			c := cell{t: &Target{Name: "serve " + b.Name, Status: "ok"}, r: r, valid: usable(r)}
			if !c.valid {
				w.printf("| %s | %d | %s | | | | |\n", backendLabel(b.Name), r.Concurrency, w.rate(c, -1))
				continue
			}
			if r.KDFOpsPerSec == nil || *r.KDFOpsPerSec <= 0 {
				w.printf("| %s | %d | %s | %s | | | |\n", backendLabel(b.Name), r.Concurrency, w.rate(c, -1), fmtMs(r.P99Ms))
				continue
			}
			f := r.OpsPerSec / *r.KDFOpsPerSec
			ok := "met"
			if f < kdfTarget {
				ok = "missed"
			}
			w.printf("| %s | %d | %s | %s | %s | %s | %s |\n", backendLabel(b.Name), r.Concurrency, w.rate(c, -1), fmtMs(r.P99Ms),
				fmtRate(*r.KDFOpsPerSec), fmtAgainst(f, kdfTarget), ok)
		}
	}
	w.printf("\n- `%s`: %s\n\n", scServeLogin, serveScenarioInfo[scServeLogin])

	// CPU.
	w.printf("#### Where the CPU went\n\n")
	w.printf("CPU time over wall time as client / server / database / other, in per cent of one core (the machine has %d00%%); the server is serve or the bare handler, the database PostgreSQL's processes (SQLite runs inside serve). ",
		w.res.Machine.NProc)
	w.printf("Client and server share the same cores, so a client that needs much CPU per request leaves less to the server; compare the serve rows with the bare rows measured next to them. ")
	w.printf("CPU per request (server + database, in µs) depends less on what else ran than the rates do.\n\n")
	w.printf("| database | scenario | C | CPU %% | server + database µs per request |\n|---|---|--:|--:|--:|\n")
	pct := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f", *p)
	}
	row := func(db, label string, r *Result) {
		if r.Skipped != "" || r.Seconds == 0 {
			return
		}
		runs := ""
		if r.Attempts > 1 {
			runs = fmt.Sprintf(" (best of %d runs)", r.Attempts)
		}
		per := ""
		if r.ServerCPUSec != nil && r.Requests > 0 {
			cpu := *r.ServerCPUSec
			if r.DBCPUSec != nil {
				cpu += *r.DBCPUSec
			}
			per = fmtMs(1e6 * cpu / float64(r.Requests))
		}
		w.printf("| %s | %s | %d | %.0f / %s / %s / %s%s | %s |\n", db, label, r.Concurrency, r.ClientCPUPct, pct(r.ServerCPUPct), pct(r.DBCPUPct), pct(r.OtherCPUPct), runs, per)
	}
	for i := range sr.BareRuns {
		r := &sr.BareRuns[i]
		row("—", "`bare` "+r.Variant, r)
	}
	for _, b := range sr.Backends {
		for i := range b.Results {
			r := &b.Results[i]
			label := "`" + r.Scenario + "`"
			if r.Variant != "" {
				label += " " + r.Variant
			}
			row(backendLabel(b.Name), label, r)
		}
	}
	w.printf("\n")
}

// fmtAgainst prints a ratio to two decimals, or three where two would round a ratio that
// misses the target up onto it (0.496 against 0.50).
func fmtAgainst(f, target float64) string {
	s := fmt.Sprintf("%.2f", f)
	if f < target && s == fmt.Sprintf("%.2f", target) {
		return fmt.Sprintf("%.3f", f)
	}
	return s
}

func (w *renderer) backendStatus(b *ServeBackend) string {
	return b.Status + " " + w.note(fmt.Sprintf("serve on %s: %s", backendLabel(b.Name), b.Reason))
}

func backendLabel(name string) string {
	switch name {
	case "sqlite":
		return "SQLite"
	case "postgres":
		return "PostgreSQL"
	}
	return name
}

// findServe is a backend's run of a scenario (variant "" for the main one).
func findServe(b *ServeBackend, scenario, variant string) *Result {
	for i := range b.Results {
		if r := &b.Results[i]; r.Scenario == scenario && r.Variant == variant {
			return r
		}
	}
	return nil
}

// migrationSection renders the lazy-migration scenarios, when they ran.
func (w *renderer) migrationSection(sr *ServeResults) {
	ir, fr := sr.Import, sr.FirstLogins
	if ir == nil && fr == nil {
		return
	}
	w.printf("### hashless serve: lazy migration of legacy password hashes\n\n")
	w.printf("Customers of the old system come in with their password hashes (`hashless customers import`, or `POST /admin/customers/import` on a running serve), ")
	w.printf("and each one's first successful login moves the password into the pool and erases the hash. ")
	w.printf("Both are measured on a fresh SQLite file and on a fresh PostgreSQL database, each against its physical limit, measured in the same run on the same %d cores.\n\n", w.res.Machine.NProc)
	if ir != nil {
		w.importSection(ir)
	}
	if fr != nil {
		w.firstLoginSection(fr)
	}
}

func (w *renderer) importSection(ir *ImportResults) {
	w.printf("#### Import, %s legacy customers\n\n", fmtInt(int64(ir.Rows)))
	w.printf("`%s` on a JSONL file of %s customers (%.1f MB: id, e-mail, names, phone, metadata, created_at and password_hash, a Medusa %s hash; %d distinct real hashes rotate, since an import stores a hash without verifying it). ",
		ir.Command, fmtInt(int64(ir.Rows)), float64(ir.FileBytes)/1e6, ir.HashFormat, ir.DistinctHashes)
	w.printf("The time is the command's, from exec to exit, opening the database and creating its tables included. ")
	w.printf("It runs twice on the same database: first every row is new, then every row is found unchanged (skipped), which is what re-running an import after a partial failure costs. ")
	w.printf("The limit is a **bare database/sql loop** in the harness on one connection, on a fresh database of the same server (PostgreSQL) or a fresh file in the same directory with the store's pragmas (SQLite), in a table of the same columns and indexes as the store's customers table: ")
	w.printf("the same rows INSERTed with a prepared statement, one statement and so one transaction per row, as in the importer (which %s), and then each row read back by ID, the look-up a re-run makes per row. ", ir.Transactions)
	w.printf("They run right before the import; the import is compared with the INSERT loop, the re-run with the read loop. CPU per row is the command's (or the harness's, for the bare loops) plus PostgreSQL's.\n\n")
	w.printf("| database | run | rows/s | s | bare loop rows/s | ÷ bare | CPU µs per row | other %% |\n|---|---|--:|--:|--:|--:|--:|--:|\n")
	perRow := func(r *ImportRun) string {
		if r.CPUSec == nil || r.Rows == 0 {
			return ""
		}
		cpu := *r.CPUSec
		if r.DBCPUSec != nil {
			cpu += *r.DBCPUSec
		}
		return fmtMs(1e6 * cpu / float64(r.Rows))
	}
	other := func(r *ImportRun) string {
		if r.OtherCPUPct == nil {
			return ""
		}
		return fmt.Sprintf("%.0f", *r.OtherCPUPct)
	}
	for _, b := range ir.Backends {
		db := backendLabel(b.Name)
		if b.Status != "ok" && b.Import == nil && b.BareInsert == nil {
			w.printf("| %s | | %s | | | | | |\n", db, b.Status+" "+w.note(fmt.Sprintf("import on %s: %s", db, b.Reason)))
			continue
		}
		row := func(label string, r, bare *ImportRun) {
			if r == nil {
				return
			}
			ratio, bareRate := "", ""
			if bare != nil && bare.RowsPerSec > 0 {
				bareRate = fmtRate(bare.RowsPerSec)
				ratio = fmt.Sprintf("%.2f", r.RowsPerSec/bare.RowsPerSec)
			}
			rate := fmtRate(r.RowsPerSec)
			if lim := w.res.Settings.MaxOtherCPUPct; lim > 0 && r.OtherCPUPct != nil && *r.OtherCPUPct > lim {
				runs := ""
				if r.Attempts > 1 {
					runs = fmt.Sprintf(" (the least disturbed of %d runs)", r.Attempts)
				}
				rate += " " + w.note(fmt.Sprintf("import on %s, %s: other processes took %.0f%% of a core during this run%s, so its rate is too low.", db, label, *r.OtherCPUPct, runs))
			}
			w.printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", db, label, rate, fmtSec(r.Seconds), bareRate, ratio, perRow(r), other(r))
		}
		row("bare INSERT loop", b.BareInsert, nil)
		row("bare read-by-ID loop", b.BareLookup, nil)
		row(fmt.Sprintf("import (%s new)", fmtInt(b.importCount(func(r *ImportRun) int64 { return r.Imported }))), b.Import, b.BareInsert)
		row(fmt.Sprintf("re-run (%s unchanged)", fmtInt(b.importCount(func(r *ImportRun) int64 { return r.Skipped + r.Updated }))), b.Rerun, b.BareLookup)
		if b.Status != "ok" {
			w.printf("| %s | | %s | | | | | |\n", db, b.Status+" "+w.note(fmt.Sprintf("import on %s: %s", db, b.Reason)))
		}
	}
	var inner []string
	for _, b := range ir.Backends {
		if b.Import != nil && b.Import.InnerSeconds > 0 {
			inner = append(inner, fmt.Sprintf("%s s of %s s on %s", fmtSec(b.Import.InnerSeconds), fmtSec(b.Import.Seconds), backendLabel(b.Name)))
		}
	}
	if len(inner) > 0 {
		w.printf("\nOf the first import's time, the import loop itself (as the command reports it) took %s; the rest is starting, opening the database and creating its tables.\n", strings.Join(inner, ", "))
	}
	w.printf("\n")
}

func (b *ImportBackend) importCount(f func(*ImportRun) int64) int64 {
	switch {
	case b.Rerun != nil && f(b.Rerun) > 0:
		return f(b.Rerun)
	case b.Import != nil:
		return f(b.Import)
	}
	return 0
}

func (w *renderer) firstLoginSection(fr *FirstLoginResults) {
	w.printf("#### First logins, %s legacy customers, %d concurrent\n\n", fmtInt(int64(fr.Customers)), fr.Concurrency)
	w.printf("`%s` with its default KDF (%s) and an admin token; %s legacy customers imported through `POST /admin/customers/import`, each with its own password and its own Medusa %s hash (the harness made them on %d goroutines in %.0f s). ",
		fr.Command, fr.PoolKDF, fmtInt(int64(fr.Customers)), fr.HashFormat, fr.GenWorkers, fr.GenSeconds)
	w.printf("Then every customer's first `POST /store/auth/token`, exactly once each, %d at a time. ", fr.Concurrency)
	w.printf("A first login verifies the legacy hash, takes the customer's credential lease (a compare-and-swap on the row), ensures the pool user (AdminCreateUser), sets the password (AdminSetUserPassword), proves it with a sign-in (AdminInitiateAuth), erases the hash with a compare-and-swap, and opens a session. ")
	w.printf("After the run `GET /admin/migration` must count 0 legacy and %s migrated customers, or the run fails.\n\n", fmtInt(int64(fr.Customers)))
	var rates []float64
	var params string
	workers := 0
	for _, b := range fr.Backends {
		for _, k := range b.Bare {
			if k.OpsPerSec > 0 {
				rates = append(rates, k.OpsPerSec)
				params, workers = k.Params, k.Workers
			}
		}
	}
	w.printf("The limit is the **bare work of one migration** on the same cores: %d goroutines in the harness, one per core, each looping over one scrypt-kdf verification of a legacy hash (legacyhash, as serve runs it) ", max(workers, 1))
	w.printf("and the pool KDF runs that one migration makes by the code: %d argon2id hash (AdminSetUserPassword; AdminCreateUser with SUPPRESS and no password hashes nothing) and %d verification (the proof sign-in), with serve's parameters. ",
		fr.KDFHashes, fr.KDFVerifies)
	if len(rates) > 0 {
		w.printf("Measured right before and after each row (%s): **%s to %s migrations/s**; each row is compared with the mean of the two. ", params, fmtRate(slices.Min(rates)), fmtRate(slices.Max(rates)))
	}
	w.printf("The pool KDF runs per login are read from serve's `hashless_pool_kdf_runs_total` before and after the run, over the logins that succeeded.\n\n")
	w.printf("| database | first logins/s | p50 ms | p99 ms | pool KDF runs per login | bare migrations/s | ÷ bare | migrated after | CPU %% | serve peak RSS MB |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	pct := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f", *p)
	}
	for _, b := range fr.Backends {
		db := backendLabel(b.Name)
		r := b.Result
		if r == nil {
			w.printf("| %s | %s | | | | | | | | |\n", db, b.Status+" "+w.note(fmt.Sprintf("first logins on %s: %s", db, b.Reason)))
			continue
		}
		c := cell{t: &Target{Name: "serve " + b.Name, Status: "ok"}, r: r, valid: usable(r)}
		rate := w.rate(c, -1)
		if b.Status != "ok" {
			rate += " " + w.note(fmt.Sprintf("first logins on %s: %s", db, b.Reason))
		}
		kdf := ""
		if b.KDFRunsPerLogin != nil {
			ok := float64(r.Requests - r.Errors)
			var parts []string
			for _, k := range []string{"hash", "verify", "dummy"} {
				if n := b.KDFRuns[k]; n > 0 && ok > 0 {
					parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(n)/ok))
				}
			}
			kdf = fmt.Sprintf("%.2f (%s)", *b.KDFRunsPerLogin, strings.Join(parts, ", "))
			if want := float64(fr.KDFHashes + fr.KDFVerifies); math.Abs(*b.KDFRunsPerLogin-want) > 0.005 {
				kdf += " " + w.note(fmt.Sprintf("first logins on %s: serve made %.2f pool KDF runs per successful login, the code %g; the bare migration does the code's.", db, *b.KDFRunsPerLogin, want))
			}
		}
		bare, ratio := "", ""
		if b.BareOpsPerSec != nil && *b.BareOpsPerSec > 0 {
			bare = fmtRate(*b.BareOpsPerSec)
			if c.valid {
				ratio = fmt.Sprintf("%.2f", r.OpsPerSec / *b.BareOpsPerSec)
			}
		}
		migrated := ""
		if a := b.After; a != nil {
			migrated = fmtInt(a.Migrated)
			if a.Legacy > 0 {
				migrated += fmt.Sprintf(" (%s legacy)", fmtInt(a.Legacy))
			}
		}
		p50, p99 := "", ""
		if c.valid {
			p50, p99 = fmtMs(r.P50Ms), fmtMs(r.P99Ms)
		}
		cpu := fmt.Sprintf("%.0f / %s / %s / %s", r.ClientCPUPct, pct(r.ServerCPUPct), pct(r.DBCPUPct), pct(r.OtherCPUPct))
		rss := ""
		if b.PeakRSSMB > 0 {
			rss = fmtRate(b.PeakRSSMB)
		}
		w.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", db, rate, p50, p99, kdf, bare, ratio, migrated, cpu, rss)
	}
	w.printf("\nCPU %% is client / serve / database / other over the run, in per cent of one core (the machine has %d00%%); the database is PostgreSQL's processes (SQLite runs inside serve).\n\n", w.res.Machine.NProc)
	w.printf("- `%s`: %s\n\n", scFirstLogin, serveScenarioInfo[scFirstLogin])
}

// fmtSec prints seconds to three significant places or so.
func fmtSec(s float64) string {
	switch {
	case s >= 100:
		return fmtInt(int64(math.Round(s)))
	case s >= 10:
		return strconv.FormatFloat(s, 'f', 1, 64)
	default:
		return strconv.FormatFloat(s, 'f', 2, 64)
	}
}
