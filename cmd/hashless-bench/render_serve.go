package main

import (
	"fmt"
	"slices"
	"strings"
)

// serveSection renders the serve scenarios: the session check against the bare net/http
// handler, the login against the bare KDF, and where the CPU went.
func (w *renderer) serveSection(sr *ServeResults) {
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
