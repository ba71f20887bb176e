package main

// The lazy-migration scenarios (issue 6), on the serve databases (-serve):
//
//   - import: `hashless customers import FILE --db <fresh database>` on a JSONL file of
//     legacy customers, then the same command again (every row unchanged), compared with a
//     bare database/sql loop on the same database server that inserts the same rows into a
//     table of the same shape, one transaction per row as the importer's, and then reads
//     each back by ID;
//   - first logins: `hashless serve` with legacy customers imported, each with its own
//     password and scrypt-kdf hash, and every customer's first POST /store/auth/token sent
//     exactly once, each of which moves the password into the pool; compared with the bare
//     work of one migration (the legacy verify plus the pool's KDF runs) on the same cores.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the bare loop's PostgreSQL driver, as the store's
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/scrypt"
	_ "modernc.org/sqlite" // the bare loop's SQLite driver, as the store's

	"github.com/hashless/hashless/legacyhash"
)

// Serve scenario groups (-serve-scenarios).
const (
	groupAuth       = "auth"        // the session check and the login
	groupImport     = "import"      // hashless customers import against the bare insert loop
	groupFirstLogin = "first-login" // first logins that migrate, against the bare migration work
)

var serveGroups = []string{groupAuth, groupImport, groupFirstLogin}

// scFirstLogin names the first-login runs.
const scFirstLogin = "serve-first-login"

// The pool KDF runs one migration needs, counted from the code (storeauth/migration.go
// movePassword, pool/): EnsureUser is an AdminCreateUser with SUPPRESS and no password,
// which hashes nothing (a generated password no one is sent is never usable); SetPassword
// is AdminSetUserPassword, one hash; the proof is an AdminInitiateAuth, one verification.
// The bare migration does the same; the run reads hashless_pool_kdf_runs_total to see what
// serve really did.
const (
	migrationKDFHashes   = 1
	migrationKDFVerifies = 1
)

// sqlitePragmas are the store's (internal/sqldb), so that the bare loop's SQLite connection
// behaves as the importer's does.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// scryptParams are a scrypt-kdf hash's cost parameters.
type scryptParams struct {
	LogN uint8
	R, P uint32
}

// medusaScrypt is Medusa v2's default (auth-emailpass hashConfig {logN:15, r:8, p:1}).
var medusaScrypt = scryptParams{LogN: 15, R: 8, P: 1}

func (p scryptParams) String() string { return fmt.Sprintf("logN=%d,r=%d,p=%d", p.LogN, p.R, p.P) }

// LogNRP is the form -legacy-scrypt takes.
func (p scryptParams) LogNRP() string { return fmt.Sprintf("%d,%d,%d", p.LogN, p.R, p.P) }

func parseScryptParams(s string) (scryptParams, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return scryptParams{}, fmt.Errorf("want logN,r,p, have %q", s)
	}
	var n [3]uint64
	for i, v := range f {
		x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil || x == 0 {
			return scryptParams{}, fmt.Errorf("want logN,r,p as positive integers, have %q", s)
		}
		n[i] = x
	}
	if n[0] > 20 {
		return scryptParams{}, fmt.Errorf("logN %d is above legacyhash's limit of 20", n[0])
	}
	return scryptParams{LogN: uint8(n[0]), R: uint32(n[1]), P: uint32(n[2])}, nil
}

// scryptKDFHash makes a password hash as Medusa stores it: a scrypt-kdf key (see
// legacyhash/scryptkdf.go for the layout), standard base64.
func scryptKDFHash(password string, p scryptParams) (string, error) {
	raw := make([]byte, 96)
	copy(raw, "scrypt")
	raw[7] = p.LogN
	binary.BigEndian.PutUint32(raw[8:12], p.R)
	binary.BigEndian.PutUint32(raw[12:16], p.P)
	rand.Read(raw[16:48])
	sum := sha256.Sum256(raw[:48])
	copy(raw[48:64], sum[:16])
	dk, err := scrypt.Key([]byte(password), raw[16:48], 1<<p.LogN, int(p.R), int(p.P), 64)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, dk[32:])
	mac.Write(raw[:64])
	copy(raw[64:], mac.Sum(nil))
	return base64.StdEncoding.EncodeToString(raw), nil
}

// legacyCustomer is one customer of the old system.
type legacyCustomer struct {
	id, email, password, hash string
	created                   time.Time
}

// legacyPassword is a customer's own password; it fits the pool's default policy.
func legacyPassword(i int) string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("Legacy-%06d-%s!", i, hex.EncodeToString(b))
}

// legacyCustomers makes n customers. With distinct, each gets its own password and hash,
// computed on workers goroutines; otherwise they share a few real hashes (an import stores
// a hash without verifying it), rotating.
func legacyCustomers(ctx context.Context, n int, prefix string, p scryptParams, distinct bool, workers int) ([]legacyCustomer, error) {
	cs := make([]legacyCustomer, n)
	base := time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range cs {
		cs[i] = legacyCustomer{id: fmt.Sprintf("cus_%s%07d", prefix, i), email: fmt.Sprintf("%s-%07d@example.com", prefix, i),
			password: legacyPassword(i), created: base.Add(time.Duration(i) * 97 * time.Second)}
	}
	k := n
	if !distinct {
		k = min(n, 8)
	}
	hashes := make([]string, k)
	_, fails, first, _ := parallel(ctx, k, max(1, workers), time.Time{}, func(i int) error {
		h, err := scryptKDFHash(cs[i].password, p)
		hashes[i] = h
		return err
	})
	if fails > 0 {
		return nil, fmt.Errorf("hashing legacy passwords: %v", first)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The harness's hash must be what legacyhash reads, or every first login would fail.
	if k > 0 {
		res, err := legacyhash.NewScryptKDF(legacyhash.Limits{}).Verify(cs[0].password, hashes[0])
		if err != nil || !res.OK {
			return nil, fmt.Errorf("legacyhash does not verify the harness's scrypt-kdf hash (%v)", err)
		}
	}
	for i := range cs {
		cs[i].hash = hashes[i%k]
		if !distinct {
			cs[i].password = cs[i%k].password
		}
	}
	return cs, nil
}

// jsonlRow is a line of the import file: the fields of POST /store/customers (no password)
// plus id, created_at and password_hash.
type jsonlRow struct {
	ID           string            `json:"id"`
	Email        string            `json:"email"`
	FirstName    string            `json:"first_name"`
	LastName     string            `json:"last_name"`
	Phone        string            `json:"phone"`
	Metadata     map[string]string `json:"metadata"`
	CreatedAt    string            `json:"created_at"`
	PasswordHash string            `json:"password_hash"`
}

var (
	firstNames = []string{"Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kofi", "Lea"}
	lastNames  = []string{"Almeida", "Becker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Horvath", "Ivanova", "Jansen", "Kowalski", "Lindqvist"}
)

func (c legacyCustomer) row(i int) jsonlRow {
	return jsonlRow{ID: c.id, Email: c.email, FirstName: firstNames[i%len(firstNames)], LastName: lastNames[(i/7)%len(lastNames)],
		Phone: fmt.Sprintf("+4915%09d", 100000000+i), Metadata: map[string]string{"legacy_group": []string{"retail", "wholesale", "staff"}[i%3]},
		CreatedAt: c.created.Format(time.RFC3339), PasswordHash: c.hash}
}

// writeJSONL writes the customers as an import file and returns its size.
func writeJSONL(path string, cs []legacyCustomer) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	for i, c := range cs {
		if err := enc.Encode(c.row(i)); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// ImportResults is the import scenario: the command on each database and the bare loops.
type ImportResults struct {
	Rows           int     `json:"rows"`
	HashFormat     string  `json:"hash_format"`
	DistinctHashes int     `json:"distinct_hashes"`
	FileBytes      int64   `json:"file_bytes"`
	GenSeconds     float64 `json:"gen_seconds"`
	Command        string  `json:"command"`
	// Transactions says how the importer and the bare loop commit, for the rendered prose.
	Transactions string           `json:"transactions"`
	Backends     []*ImportBackend `json:"backends"`
}

// ImportBackend is the import scenario on one database.
type ImportBackend struct {
	Name    string `json:"name"`
	Status  string `json:"status"` // ok, missing or failed
	Reason  string `json:"reason,omitempty"`
	Version string `json:"version,omitempty"`
	// BareInsert and BareLookup are the bare database/sql loops, measured right before the
	// import: every row inserted, then every row read by ID.
	BareInsert *ImportRun `json:"bare_insert,omitempty"`
	BareLookup *ImportRun `json:"bare_lookup,omitempty"`
	// Import is the first run of the command on a fresh database; Rerun the same command on
	// the same file again.
	Import *ImportRun `json:"import,omitempty"`
	Rerun  *ImportRun `json:"rerun,omitempty"`
}

// ImportRun is one pass over the rows: the import command's (exec to exit) or a bare loop's.
type ImportRun struct {
	Rows       int64   `json:"rows"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_s"`
	// Attempts is how often a bare loop ran (the least disturbed run is the one kept).
	Attempts int `json:"attempts,omitempty"`
	// InnerSeconds is the time the command itself reports for the import loop (without
	// starting, opening the database and migrating its schema).
	InnerSeconds float64 `json:"inner_seconds,omitempty"`
	Imported     int64   `json:"imported"`
	Updated      int64   `json:"updated"`
	Skipped      int64   `json:"skipped"`
	Errors       int64   `json:"errors"`
	// CPUSec is the import command's CPU time, or the harness's for a bare loop; DBCPUSec
	// PostgreSQL's processes'.
	CPUSec      *float64 `json:"cpu_s,omitempty"`
	DBCPUSec    *float64 `json:"db_cpu_s,omitempty"`
	OtherCPUPct *float64 `json:"other_cpu_pct,omitempty"`
}

// FirstLoginResults is the first-login scenario.
type FirstLoginResults struct {
	Customers   int     `json:"customers"`
	Concurrency int     `json:"concurrency"`
	HashFormat  string  `json:"hash_format"`
	GenSeconds  float64 `json:"gen_seconds"`
	GenWorkers  int     `json:"gen_workers"`
	PoolKDF     string  `json:"pool_kdf"`
	Command     string  `json:"command"`
	// KDFHashes and KDFVerifies are the pool KDF runs per migration the bare migration does
	// (counted from the code).
	KDFHashes   int                  `json:"kdf_hashes"`
	KDFVerifies int                  `json:"kdf_verifies"`
	Backends    []*FirstLoginBackend `json:"backends"`
}

// FirstLoginBackend is the first-login scenario on one database.
type FirstLoginBackend struct {
	Name    string `json:"name"`
	Status  string `json:"status"` // ok, missing or failed
	Reason  string `json:"reason,omitempty"`
	Version string `json:"version,omitempty"`
	// ImportSeconds is the setup: the customers imported through POST /admin/customers/import.
	ImportSeconds float64 `json:"import_seconds"`
	Result        *Result `json:"result,omitempty"`
	// KDFRuns are the pool's KDF runs during the measured run, by kind, from
	// hashless_pool_kdf_runs_total; KDFRunsPerLogin all of them over the successful logins.
	KDFRuns         map[string]int64 `json:"kdf_runs,omitempty"`
	KDFRunsPerLogin *float64         `json:"kdf_runs_per_login,omitempty"`
	// Bare holds the bare migration measured right before and after the run; BareOpsPerSec
	// is their mean.
	Bare          []KDFResult `json:"bare,omitempty"`
	BareOpsPerSec *float64    `json:"bare_ops_per_s,omitempty"`
	// After is GET /admin/migration after the run.
	After *MigrationCounts `json:"after,omitempty"`
	// PeakRSSMB is serve's peak resident memory (VmHWM) over its life.
	PeakRSSMB float64 `json:"peak_rss_mb,omitempty"`
}

// MigrationCounts is what GET /admin/migration answers.
type MigrationCounts struct {
	Total           int64 `json:"total"`
	Legacy          int64 `json:"legacy"`
	Migrated        int64 `json:"migrated"`
	BlockedByPolicy int64 `json:"blocked_by_policy"`
}

// runMigrationAll runs the import and first-login scenarios on the databases in wanted, in
// the order of serveBackends.
func runMigrationAll(ctx context.Context, o options, sr *ServeResults, groups, wanted map[string]bool, missing map[string]string, work string) {
	tag := strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36), 36)
	workers := o.kdfWorkers
	if groups[groupImport] && o.importRows > 0 && ctx.Err() == nil {
		ir := &ImportResults{Rows: o.importRows, HashFormat: "scrypt-kdf " + o.legacyScrypt.String(),
			Command:      "hashless customers import FILE --db <fresh SQLite file | fresh PostgreSQL database>",
			Transactions: "looks each row's customer up by ID, then inserts it with a statement of its own, outside any explicit transaction"}
		sr.Import = ir
		start := time.Now()
		cs, err := legacyCustomers(ctx, o.importRows, "imp"+tag, o.legacyScrypt, false, workers)
		var file string
		if err == nil {
			file = filepath.Join(work, "import.jsonl")
			ir.FileBytes, err = writeJSONL(file, cs)
		}
		ir.GenSeconds = round3(time.Since(start).Seconds())
		if cs != nil {
			ir.DistinctHashes = min(len(cs), 8)
		}
		for _, name := range serveBackends {
			if !wanted[name] || ctx.Err() != nil {
				continue
			}
			b := &ImportBackend{Name: name, Status: "ok"}
			ir.Backends = append(ir.Backends, b)
			if b.Status, b.Reason = backendUnavailable(o, missing, name, "making the import file", err); b.Status != "ok" {
				continue
			}
			if err := benchImport(ctx, o, b, cs, file, work); err != nil {
				b.Status, b.Reason = "failed", err.Error()
				logf("import %s: FAILED: %v", name, err)
			}
		}
	}
	if groups[groupFirstLogin] && o.firstLogins > 0 && ctx.Err() == nil {
		fr := &FirstLoginResults{Customers: o.firstLogins, Concurrency: o.firstLoginC, HashFormat: "scrypt-kdf " + o.legacyScrypt.String(),
			PoolKDF: defaultKDFSpec(), KDFHashes: migrationKDFHashes, KDFVerifies: migrationKDFVerifies, GenWorkers: workers,
			Command: "hashless serve --addr 127.0.0.1:0 --db <fresh SQLite file | fresh PostgreSQL database>"}
		sr.FirstLogins = fr
		logf("first-login: hashing %d legacy passwords (scrypt-kdf %s) on %d goroutines", o.firstLogins, o.legacyScrypt, workers)
		start := time.Now()
		cs, err := legacyCustomers(ctx, o.firstLogins, "fl"+tag, o.legacyScrypt, true, workers)
		fr.GenSeconds = round3(time.Since(start).Seconds())
		var body []byte
		if err == nil {
			logf("first-login: %d legacy hashes in %.1fs", len(cs), fr.GenSeconds)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			for i, c := range cs {
				if err = enc.Encode(c.row(i)); err != nil {
					break
				}
			}
			body = buf.Bytes()
		}
		for _, name := range serveBackends {
			if !wanted[name] || ctx.Err() != nil {
				continue
			}
			b := &FirstLoginBackend{Name: name, Status: "ok"}
			fr.Backends = append(fr.Backends, b)
			if b.Status, b.Reason = backendUnavailable(o, missing, name, "making the legacy customers", err); b.Status != "ok" {
				continue
			}
			if err := benchFirstLogins(ctx, o, fr, b, cs, body, work); err != nil {
				b.Status, b.Reason = "failed", err.Error()
				logf("first-login %s: FAILED: %v", name, err)
			}
		}
	}
}

// lessDisturbed: a run during which other processes took less CPU than during another.
func lessDisturbed(a, b *float64) bool { return a != nil && (b == nil || *a < *b) }

func isMissing(missing map[string]string, name string) bool { _, ok := missing[name]; return ok }

// freshDB is a new empty database of one engine: a SQLite file path, or a PostgreSQL DSN
// (with its postmaster's PID, 0 when not visible) and a function that drops it.
func freshDB(ctx context.Context, o options, name, work, file string) (dsn, version string, dbPID int, drop func(), err error) {
	drop = func() {}
	switch name {
	case "sqlite":
		path := filepath.Join(work, file)
		drop = func() {
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				os.Remove(p)
			}
		}
		drop()
		return path, "SQLite file (WAL)", 0, drop, nil
	case "postgres":
		dsn, drop, err = pgFreshDatabase(ctx, o.servePostgres)
		if err != nil {
			return "", "", 0, func() {}, err
		}
		v, pid, err := pgServerInfo(ctx, dsn)
		if err != nil {
			drop()
			return "", "", 0, func() {}, err
		}
		return dsn, "PostgreSQL " + v, pid, drop, nil
	}
	return "", "", 0, drop, fmt.Errorf("unknown database %q", name)
}

// benchImport measures the bare loops and then the import command, twice, on fresh
// databases of b's engine.
func benchImport(ctx context.Context, o options, b *ImportBackend, cs []legacyCustomer, file, work string) error {
	// The bare loops: a database of their own (a file beside the import's on SQLite; on
	// PostgreSQL a fresh database on the same server), and a fresh one for each run when
	// other processes disturbed the last, keeping the least disturbed run of each loop.
	var ins, look *ImportRun
	for a := 1; ; a++ {
		bareDSN, _, dbPID, dropBare, err := freshDB(ctx, o, b.Name, work, fmt.Sprintf("bare-%d.db", a))
		if err != nil {
			return err
		}
		i, l, err := bareImportLoops(ctx, o, b.Name, bareDSN, dbPID, cs)
		dropBare()
		if err != nil {
			return fmt.Errorf("bare loop: %w", err)
		}
		if ins == nil || lessDisturbed(i.OtherCPUPct, ins.OtherCPUPct) {
			ins = i
		}
		if look == nil || lessDisturbed(l.OtherCPUPct, look.OtherCPUPct) {
			look = l
		}
		ins.Attempts, look.Attempts = a, a
		if a > o.retries || ctx.Err() != nil || !disturbed(ins.OtherCPUPct, o.maxOther) && !disturbed(look.OtherCPUPct, o.maxOther) {
			break
		}
		logf("import %s: other processes disturbed the bare loops; running them again", b.Name)
	}
	b.BareInsert, b.BareLookup = ins, look
	logf("import %s: bare loop: %.0f inserts/s, %.0f reads by ID/s", b.Name, ins.RowsPerSec, look.RowsPerSec)

	dsn, version, dbPID, drop, err := freshDB(ctx, o, b.Name, work, "import.db")
	if err != nil {
		return err
	}
	defer drop()
	b.Version = version
	logPath := filepath.Join(work, "import-"+b.Name+".log")
	for pass := 1; pass <= 2 && ctx.Err() == nil; pass++ {
		r, err := runImportCommand(ctx, o, dsn, file, dbPID, logPath)
		if err != nil {
			return fmt.Errorf("run %d: %w", pass, err)
		}
		n := int64(len(cs))
		if pass == 1 {
			b.Import = r
			if r.Rows != n || r.Imported != n || r.Errors != 0 {
				return fmt.Errorf("the import read %d rows, imported %d, %d errors; want %d imported and no error", r.Rows, r.Imported, r.Errors, n)
			}
		} else {
			b.Rerun = r
			if r.Rows != n || r.Imported != 0 || r.Updated+r.Skipped != n || r.Errors != 0 {
				return fmt.Errorf("the re-run read %d rows: %d imported, %d updated, %d skipped, %d errors; want all %d updated or skipped", r.Rows, r.Imported, r.Updated, r.Skipped, r.Errors, n)
			}
		}
		logf("import %s: run %d: %d rows in %.1fs, %.0f rows/s (%d imported, %d updated, %d skipped)", b.Name, pass, r.Rows, r.Seconds, r.RowsPerSec, r.Imported, r.Updated, r.Skipped)
	}
	return nil
}

// importDoneRE is the command's last progress line: "N rows in 1.234s: …".
var importDoneRE = regexp.MustCompile(`(?m)^(\d+) rows in (\S+): `)

// runImportCommand runs `hashless customers import FILE --db DSN` and times it from exec to
// exit.
func runImportCommand(ctx context.Context, o options, dsn, file string, dbPID int, logPath string) (*ImportRun, error) {
	if o.quietWait > 0 {
		ours := func() time.Duration { d, _ := treeCPU(dbPID); return d }
		waitQuiet(ctx, ours, o.maxOther, o.quietWait)
	}
	cmd := exec.CommandContext(ctx, o.hashlessBin, "customers", "import", file, "--db", dsn)
	cmd.Env = serveEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	self0 := selfCPU()
	db0, dbOK := treeCPU(dbPID)
	mach0, _, machOK := machineCPU()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	self1 := selfCPU()
	db1, dbOK1 := treeCPU(dbPID)
	mach1, _, machOK1 := machineCPU()
	if lf, lerr := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); lerr == nil {
		lf.Write(stderr.Bytes())
		lf.Close()
	}
	if err != nil {
		tail := strings.TrimSpace(stderr.String())
		if len(tail) > 300 {
			tail = "…" + tail[len(tail)-300:]
		}
		return nil, fmt.Errorf("hashless customers import: %v: %s", err, tail)
	}
	var res struct {
		Rows, Imported, Updated, Skipped int64
		Errors                           []json.RawMessage
		ErrorsOmitted                    int64 `json:"errors_omitted"`
		Stopped                          string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("hashless customers import printed no result: %v", err)
	}
	if res.Stopped != "" {
		return nil, fmt.Errorf("hashless customers import stopped: %s", res.Stopped)
	}
	r := &ImportRun{Rows: res.Rows, Imported: res.Imported, Updated: res.Updated, Skipped: res.Skipped,
		Errors: int64(len(res.Errors)) + res.ErrorsOmitted, Seconds: round3(wall.Seconds())}
	if wall > 0 {
		r.RowsPerSec = round1(float64(res.Rows) / wall.Seconds())
	}
	if m := importDoneRE.FindAllStringSubmatch(stderr.String(), -1); len(m) > 0 {
		if d, err := time.ParseDuration(m[len(m)-1][2]); err == nil {
			r.InnerSeconds = round3(d.Seconds())
		}
	}
	var child time.Duration
	if ps := cmd.ProcessState; ps != nil {
		child = ps.UserTime() + ps.SystemTime()
		c := round3(child.Seconds())
		r.CPUSec = &c
	}
	if dbOK && dbOK1 {
		d := round3((db1 - db0).Seconds())
		r.DBCPUSec = &d
	}
	if machOK && machOK1 && wall > 0 {
		other := (mach1 - mach0) - (self1 - self0) - child
		if dbOK && dbOK1 {
			other -= db1 - db0
		}
		p := round1(100 * max(0, other).Seconds() / wall.Seconds())
		r.OtherCPUPct = &p
	}
	return r, nil
}

// bareTableColumns are the store's customer columns (storeauth/store/sqlstore/schema.go),
// with its indexes below: the bare loop writes rows of the same shape.
const bareTableDDL = `CREATE TABLE {P}customers (
	id {TEXT} NOT NULL PRIMARY KEY,
	email {TEXT} NOT NULL,
	email_key {TEXT} NOT NULL,
	first_name {TEXT} NOT NULL,
	last_name {TEXT} NOT NULL,
	phone {TEXT} NOT NULL,
	metadata {TEXT},
	has_account BOOLEAN NOT NULL,
	password_hash {TEXT} NOT NULL,
	state {TEXT} NOT NULL,
	disabled BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	deleted_at BIGINT,
	version BIGINT NOT NULL,
	password_change_required BOOLEAN NOT NULL DEFAULT FALSE,
	migrated_at BIGINT,
	credential_lease_until BIGINT
)`

var bareIndexDDL = []string{
	`CREATE UNIQUE INDEX bare_customers_email_key ON {P}customers (email_key) WHERE state <> 'deleted'`,
	`CREATE INDEX bare_customers_state ON {P}customers (state, id)`,
	`CREATE INDEX bare_customers_legacy ON {P}customers (state, id) WHERE password_hash <> ''`,
}

const bareCols = `id, email, first_name, last_name, phone, metadata, has_account, password_hash, state,
	disabled, created_at, updated_at, deleted_at, version, password_change_required, migrated_at,
	credential_lease_until`

// bareImportLoops creates the bare table on dsn and times two loops over cs on one
// connection: an INSERT per row, each its own transaction (autocommit), as the importer's
// CreateCustomer; then a SELECT by ID per row, as the re-run's look-up.
func bareImportLoops(ctx context.Context, o options, engine, dsn string, dbPID int, cs []legacyCustomer) (ins, look *ImportRun, err error) {
	var db *sql.DB
	var expand *strings.Replacer
	if engine == "postgres" {
		db, err = sql.Open("pgx", dsn)
		expand = strings.NewReplacer("{P}", `"bench_bare".`, "{TEXT}", `TEXT COLLATE "C"`)
	} else {
		db, err = sql.Open("sqlite", dsn+"?"+sqlitePragmas)
		expand = strings.NewReplacer("{P}", "bare_", "{TEXT}", "TEXT")
	}
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ddl := []string{bareTableDDL}
	if engine == "postgres" {
		ddl = append([]string{`CREATE SCHEMA "bench_bare"`}, ddl...)
	}
	for _, stmt := range append(ddl, bareIndexDDL...) {
		if _, err := db.ExecContext(ctx, expand.Replace(stmt)); err != nil {
			return nil, nil, err
		}
	}
	insert, err := db.PrepareContext(ctx, expand.Replace(`INSERT INTO {P}customers (`+bareCols+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17)`))
	if err != nil {
		return nil, nil, err
	}
	defer insert.Close()
	sel, err := db.PrepareContext(ctx, expand.Replace(`SELECT `+bareCols+` FROM {P}customers WHERE id = $1`))
	if err != nil {
		return nil, nil, err
	}
	defer sel.Close()
	rows := make([]jsonlRow, len(cs))
	meta := make([]string, len(cs))
	for i, c := range cs {
		rows[i] = c.row(i)
		b, _ := json.Marshal(rows[i].Metadata)
		meta[i] = string(b)
	}
	now := time.Now().UnixMicro()
	ins, err = timedLoop(ctx, o, dbPID, len(rows), func(i int) error {
		r := rows[i]
		_, err := insert.ExecContext(ctx, r.ID, r.Email, r.FirstName, r.LastName, r.Phone, meta[i], true, r.PasswordHash,
			"active", false, cs[i].created.UnixMicro(), now, nil, false, nil, nil, strings.ToLower(r.Email))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	ins.Imported = ins.Rows
	look, err = timedLoop(ctx, o, dbPID, len(rows), func(i int) error {
		var id, email, first, last, phone, hash, state string
		var metadata sql.NullString
		var hasAccount, disabled, pcr bool
		var created, updated, version int64
		var deleted, migrated, lease sql.NullInt64
		err := sel.QueryRowContext(ctx, rows[i].ID).Scan(&id, &email, &first, &last, &phone, &metadata, &hasAccount, &hash, &state,
			&disabled, &created, &updated, &deleted, &version, &pcr, &migrated, &lease)
		if err == nil && id != rows[i].ID {
			err = fmt.Errorf("read %q for %q", id, rows[i].ID)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	look.Skipped = look.Rows
	return ins, look, nil
}

// timedLoop runs fn for 0..n-1 in order on this goroutine, after waiting for quiet, and
// measures it as an ImportRun (the CPU time is the harness's).
func timedLoop(ctx context.Context, o options, dbPID, n int, fn func(i int) error) (*ImportRun, error) {
	if o.quietWait > 0 {
		ours := func() time.Duration { d, _ := treeCPU(dbPID); return d }
		waitQuiet(ctx, ours, o.maxOther, o.quietWait)
	}
	self0 := selfCPU()
	db0, dbOK := treeCPU(dbPID)
	mach0, _, machOK := machineCPU()
	start := time.Now()
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := fn(i); err != nil {
			return nil, fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	wall := time.Since(start)
	self1 := selfCPU()
	db1, dbOK1 := treeCPU(dbPID)
	mach1, _, machOK1 := machineCPU()
	r := &ImportRun{Rows: int64(n), Seconds: round3(wall.Seconds())}
	if wall > 0 {
		r.RowsPerSec = round1(float64(n) / wall.Seconds())
	}
	c := round3((self1 - self0).Seconds())
	r.CPUSec = &c
	if dbOK && dbOK1 {
		d := round3((db1 - db0).Seconds())
		r.DBCPUSec = &d
	}
	if machOK && machOK1 && wall > 0 {
		other := (mach1 - mach0) - (self1 - self0)
		if dbOK && dbOK1 {
			other -= db1 - db0
		}
		p := round1(100 * max(0, other).Seconds() / wall.Seconds())
		r.OtherCPUPct = &p
	}
	return r, nil
}

// benchFirstLogins starts serve on a fresh database with an admin token, imports the
// legacy customers through the admin API, and sends each one's first login once.
func benchFirstLogins(ctx context.Context, o options, fr *FirstLoginResults, b *FirstLoginBackend, cs []legacyCustomer, body []byte, work string) (err error) {
	dsn, version, dbPID, drop, err := freshDB(ctx, o, b.Name, work, "first-login.db")
	if err != nil {
		return err
	}
	defer drop()
	b.Version = version
	secret := make([]byte, 32)
	rand.Read(secret)
	admin := rand.Text()
	logPath := filepath.Join(work, "serve-first-login-"+b.Name+".log")
	var srv *serverProc
	defer func() {
		// A failure says what serve logged about it.
		if err != nil && srv != nil {
			srv.stop()
			if line := firstLogged(logPath, "level=ERROR", "level=WARN"); line != "" {
				err = fmt.Errorf("%w; serve logged: %s", err, line)
			}
		}
	}()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--secret-key", base64.StdEncoding.EncodeToString(secret)}
	srv, err = startServer(ctx, "hashless serve", o.hashlessBin, args, append(serveEnv(), "HASHLESS_ADMIN_TOKEN="+admin),
		logPath, 60*time.Second)
	if err != nil {
		return err
	}
	defer srv.stop()
	logf("first-login %s: serve at %s (pid %d), %s", b.Name, srv.url, srv.pid, version)
	// Admin calls get a client of their own, with room for a long import.
	ac := newClient(srv.url, 1, 30*time.Minute, o.accessKey, o.secretKey)
	defer ac.close()
	auth := [2]string{"Authorization", "Bearer " + admin}

	start := time.Now()
	out, _, err := ac.do(ctx, http.MethodPost, "/admin/customers/import", [][2]string{auth, {"Content-Type", "application/x-ndjson"}}, body)
	b.ImportSeconds = round3(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("POST /admin/customers/import: %w", err)
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var res struct {
		Rows, Imported int64
		Errors         []json.RawMessage
		Stopped        string
	}
	if err := json.Unmarshal(lines[len(lines)-1], &res); err != nil {
		return fmt.Errorf("POST /admin/customers/import: undecodable result: %v", err)
	}
	if res.Imported != int64(len(cs)) || len(res.Errors) > 0 || res.Stopped != "" {
		return fmt.Errorf("POST /admin/customers/import imported %d of %d rows (%d errors) %s", res.Imported, len(cs), len(res.Errors), res.Stopped)
	}
	before, err := migrationCounts(ctx, ac, auth)
	if err != nil {
		return err
	}
	if before.Legacy != int64(len(cs)) {
		return fmt.Errorf("after the import GET /admin/migration counts %d legacy customers, want %d", before.Legacy, len(cs))
	}
	logf("first-login %s: %d legacy customers imported in %.1fs", b.Name, len(cs), b.ImportSeconds)

	bare := func(when string) {
		if o.kdfDuration <= 0 || ctx.Err() != nil {
			return
		}
		if o.quietWait > 0 {
			waitQuiet(ctx, nil, o.maxOther, o.quietWait)
		}
		k := migrationBaseline(ctx, o.kdfWorkers, o.kdfDuration, cs[0].password, cs[0].hash)
		k.When = when + " " + b.Name + " " + scFirstLogin
		logf("first-login %s: bare migration %s: %.1f/s", b.Name, when, k.OpsPerSec)
		b.Bare = append(b.Bare, k)
	}
	bare("before")

	c := newClient(srv.url, o.firstLoginC, o.requestLimit, o.accessKey, o.secretKey)
	defer c.close()
	kdf0, err := poolKDFRuns(ctx, ac)
	if err != nil {
		return err
	}
	bodies := make([][]byte, len(cs))
	for i, cu := range cs {
		bodies[i] = []byte(`{"email":` + q(cu.email) + `,"password":` + q(cu.password) + `}`)
	}
	hdr := [][2]string{{"Content-Type", "application/json"}}
	sc := scenarioRun{name: scFirstLogin, users: len(cs), gen: func(i int64) request {
		// Request numbers start at 1 (0 names the scenario): each customer exactly once.
		k := max(0, i-1) % int64(len(bodies))
		return request{op: "POST /store/auth/token (first)", method: http.MethodPost, path: "/store/auth/token", header: hdr,
			body: bodies[k], check: checkAccessToken}
	}}
	cfg := loadConfig{concurrency: o.firstLoginC, duration: 24 * time.Hour, maxRequests: int64(len(cs)),
		serverPID: srv.pid, dbPID: dbPID, quietWait: o.quietWait, maxOther: o.maxOther}
	logf("first-login %s: %d first logins, %d at a time", b.Name, len(cs), o.firstLoginC)
	r := runLoad(ctx, c, "serve "+b.Name, sc, cfg)
	logResult(r)
	b.Result = &r
	if kdf1, err := poolKDFRuns(ctx, ac); err == nil {
		b.KDFRuns = map[string]int64{}
		var all int64
		for k, v := range kdf1 {
			if d := v - kdf0[k]; d > 0 {
				b.KDFRuns[k] = d
				all += d
			}
		}
		if ok := r.Requests - r.Errors; ok > 0 {
			per := round3(float64(all) / float64(ok))
			b.KDFRunsPerLogin = &per
		}
		logf("first-login %s: pool KDF runs %v over %d logins", b.Name, b.KDFRuns, r.Requests-r.Errors)
	} else {
		logf("first-login %s: reading /metrics: %v", b.Name, err)
	}
	bare("after")
	var rates []float64
	for _, k := range b.Bare {
		if k.OpsPerSec > 0 {
			rates = append(rates, k.OpsPerSec)
		}
	}
	if len(rates) > 0 {
		s := 0.0
		for _, v := range rates {
			s += v
		}
		mean := round1(s / float64(len(rates)))
		b.BareOpsPerSec = &mean
	}
	b.PeakRSSMB = peakRSSMB(srv.pid)
	after, err := migrationCounts(ctx, ac, auth)
	if err != nil {
		return err
	}
	b.After = &after
	if after.Legacy != 0 || after.Migrated != int64(len(cs)) {
		return fmt.Errorf("after the first logins GET /admin/migration counts %d legacy and %d migrated customers (%d blocked by policy), want 0 and %d",
			after.Legacy, after.Migrated, after.BlockedByPolicy, len(cs))
	}
	logf("first-login %s: all %d customers migrated", b.Name, after.Migrated)
	return nil
}

// firstLogged is the first line of a log that contains one of the markers, shortened.
func firstLogged(path string, markers ...string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, m := range markers {
			if strings.Contains(line, m) {
				if len(line) > 400 {
					line = line[:400] + "…"
				}
				return line
			}
		}
	}
	return ""
}

func migrationCounts(ctx context.Context, c *client, auth [2]string) (MigrationCounts, error) {
	var m MigrationCounts
	b, _, err := c.do(ctx, http.MethodGet, "/admin/migration", [][2]string{auth}, nil)
	if err != nil {
		return m, fmt.Errorf("GET /admin/migration: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("GET /admin/migration: %w", err)
	}
	return m, nil
}

var kdfRunsRE = regexp.MustCompile(`^hashless_pool_kdf_runs_total\{kind="([a-z]+)"\} (\S+)$`)

// poolKDFRuns reads hashless_pool_kdf_runs_total by kind from serve's /metrics.
func poolKDFRuns(ctx context.Context, c *client) (map[string]int64, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/metrics", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := kdfRunsRE.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err == nil {
				out[m[1]] = int64(v)
			}
		}
	}
	return out, nil
}

// peakRSSMB is a process's peak resident memory, from /proc (0 when unknown).
func peakRSSMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return round1(kb / 1024)
			}
		}
	}
	return 0
}

// migrationBaseline is the bare work of one migration, on workers goroutines for d: the
// legacy verify (legacyhash's scrypt-kdf, as serve runs it) and the pool's KDF runs, argon2id
// with serve's default parameters: migrationKDFHashes hashes with fresh salts and
// migrationKDFVerifies verifications.
func migrationBaseline(ctx context.Context, workers int, d time.Duration, password, hash string) KDFResult {
	legacy := legacyhash.NewScryptKDF(legacyhash.Limits{})
	salt := []byte("0123456789abcdef")
	pw := []byte(password)
	want := argon2.IDKey(pw, salt, kdfTime, kdfMemoryKiB, kdfThreads, kdfKeyLen)
	params := fmt.Sprintf("scrypt-kdf verify + %d × argon2id hash + %d × argon2id verify (m=%d,t=%d,p=%d)",
		migrationKDFHashes, migrationKDFVerifies, kdfMemoryKiB, kdfTime, kdfThreads)
	// A legacy hash the harness made that does not verify leaves nothing to compare with.
	return measureBaseline(ctx, workers, d, params, func() func() bool {
		fresh := make([]byte, 16)
		return func() bool {
			res, err := legacy.Verify(password, hash)
			ok := err == nil && res.OK
			for range migrationKDFHashes {
				rand.Read(fresh)
				_ = argon2.IDKey(pw, fresh, kdfTime, kdfMemoryKiB, kdfThreads, kdfKeyLen)
			}
			for range migrationKDFVerifies {
				ok = subtle.ConstantTimeCompare(argon2.IDKey(pw, salt, kdfTime, kdfMemoryKiB, kdfThreads, kdfKeyLen), want) == 1 && ok
			}
			return ok
		}
	})
}

// migrationFailures lists why the import and first-login scenarios count as failed.
func migrationFailures(sr *ServeResults) []string {
	var out []string
	if ir := sr.Import; ir != nil {
		for _, b := range ir.Backends {
			if b.Status != "ok" && b.Status != "missing" {
				out = append(out, fmt.Sprintf("import %s: %s: %s", b.Name, b.Status, b.Reason))
			}
		}
	}
	if fr := sr.FirstLogins; fr != nil {
		for _, b := range fr.Backends {
			switch {
			case b.Status == "missing":
			case b.Status != "ok":
				out = append(out, fmt.Sprintf("first-login %s: %s: %s", b.Name, b.Status, b.Reason))
			case b.Result == nil:
				out = append(out, fmt.Sprintf("first-login %s: did not run", b.Name))
			case b.Result.Errors > 0:
				out = append(out, fmt.Sprintf("first-login %s: %d of %d first logins failed, e.g. %s", b.Name, b.Result.Errors, b.Result.Requests, b.Result.ErrorSample))
			case b.Result.Requests != int64(fr.Customers):
				out = append(out, fmt.Sprintf("first-login %s: %d of %d first logins sent", b.Name, b.Result.Requests, fr.Customers))
			}
		}
	}
	return out
}

// errNoGroups is returned for a -serve-scenarios that names nothing.
var errNoGroups = errors.New("-serve-scenarios names no scenario group")

// parseGroups reads -serve-scenarios.
func parseGroups(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		ok := false
		for _, k := range serveGroups {
			if g == k {
				ok = true
			}
		}
		if !ok {
			return nil, fmt.Errorf("-serve-scenarios: unknown group %q (have %s)", g, strings.Join(serveGroups, ", "))
		}
		out[g] = true
	}
	if len(out) == 0 {
		return nil, errNoGroups
	}
	return out, nil
}

// backendUnavailable says whether a migration scenario can run on a database: "ok", or
// "failed" (its input could not be made: what, err) or "missing" with the reason.
func backendUnavailable(o options, missing map[string]string, name, what string, err error) (status, reason string) {
	switch {
	case err != nil:
		return "failed", what + ": " + err.Error()
	case isMissing(missing, name):
		return "missing", missing[name]
	case name == "postgres" && o.servePostgres == "":
		return "missing", "no PostgreSQL server: set HASHLESS_TEST_POSTGRES_DSN (or -serve-postgres)"
	}
	return "ok", ""
}
