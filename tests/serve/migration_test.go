package servetest

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	binenc "encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

// The lazy migration end to end: customers imported with legacy password hashes (by the
// CLI and by the admin route) sign in with their old passwords through a real serve
// process, and the first success moves the password into the pool and erases the hash. It
// is proven with the embedded pool and with separate pool processes (hiding user existence
// or not), on SQLite and PostgreSQL, through SIGKILLs at every migration step, two nodes
// racing on one database, forgot-password, and a password the pool's policy refuses.

// migCustomer is a customer of an export: a legacy account (hash and its password) or a
// guest (neither).
type migCustomer struct {
	id, email string
	format    string
	hash      string
	password  string
}

func (c migCustomer) guest() bool { return c.hash == "" }

// Legacy hashes made here with independent implementations (golang.org/x/crypto and the
// standard library) in each format's own layout, at cheap parameters, for passwords the
// embedded pool's policy accepts (upper, lower and digit). The vectors of
// legacyhash/testdata, made by the original systems, all use passwords the embedded
// pool refuses; they serve where the policy is lenient or the refusal is the point.

// migScryptKDF is scrypt-kdf's 96-byte key with Medusa v1's parameters (logN=1 r=1 p=1),
// base64 as Medusa stores it.
func migScryptKDF(t testing.TB, password string) string {
	t.Helper()
	raw := make([]byte, 96)
	copy(raw, "scrypt")
	raw[6], raw[7] = 0, 1
	binenc.BigEndian.PutUint32(raw[8:], 1)
	binenc.BigEndian.PutUint32(raw[12:], 1)
	rand.Read(raw[16:48])
	sum := sha256.Sum256(raw[:48])
	copy(raw[48:64], sum[:16])
	dk := must(scrypt.Key([]byte(password), raw[16:48], 2, 1, 1, 64))(t)
	mac := hmac.New(sha256.New, dk[32:])
	mac.Write(raw[:64])
	copy(raw[64:], mac.Sum(nil))
	return base64.StdEncoding.EncodeToString(raw)
}

func migBcrypt(t testing.TB, password string) string {
	t.Helper()
	return string(must(bcrypt.GenerateFromPassword([]byte(password), 4))(t))
}

func migArgon2id(t testing.TB, password string) string {
	t.Helper()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, 1, 64, 1, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", b64(salt), b64(key))
}

func migDjango(t testing.TB, password string) string {
	t.Helper()
	salt := rand.Text()[:16]
	dk := must(pbkdf2.Key(sha256.New, password, []byte(salt), 1000, 32))(t)
	return fmt.Sprintf("pbkdf2_sha256$1000$%s$%s", salt, base64.StdEncoding.EncodeToString(dk))
}

func migWerkzeug(t testing.TB, password string) string {
	t.Helper()
	salt := rand.Text()[:16]
	dk := must(pbkdf2.Key(sha256.New, password, []byte(salt), 1000, 32))(t)
	return fmt.Sprintf("pbkdf2:sha256:1000$%s$%s", salt, hex.EncodeToString(dk))
}

// migLegacyCustomers is one legacy customer per format, each with its own password, with
// IDs and e-mails made from prefix.
func migLegacyCustomers(t testing.TB, prefix string) []migCustomer {
	t.Helper()
	gens := []struct {
		format string
		hash   func(testing.TB, string) string
	}{
		{"scrypt-kdf", migScryptKDF}, {"bcrypt", migBcrypt}, {"argon2id", migArgon2id},
		{"django", migDjango}, {"werkzeug", migWerkzeug},
	}
	var out []migCustomer
	for i, g := range gens {
		pw := fmt.Sprintf("Legacy-%s-Passw0rd-%d", g.format, i)
		out = append(out, migCustomer{
			id: fmt.Sprintf("cus_%s_%s", prefix, strings.ReplaceAll(g.format, "-", "")), format: g.format,
			email: fmt.Sprintf("%s.%s@Example.com", prefix, g.format), hash: g.hash(t, pw), password: pw,
		})
	}
	return out
}

// migVector is a vector of legacyhash/testdata/vectors.json.
type migVector struct {
	Format   string `json:"format"`
	Case     string `json:"case"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
	OK       bool   `json:"ok"`
}

var migVectors = sync.OnceValues(func() ([]migVector, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, "legacyhash", "testdata", "vectors.json"))
	if err != nil {
		return nil, err
	}
	var file struct{ Vectors []migVector }
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, err
	}
	return file.Vectors, nil
})

// migRealCustomer is a customer whose hash is the vector of a format and case (made by the
// original system), with its password.
func migRealCustomer(t testing.TB, id, email, format, kase string) migCustomer {
	t.Helper()
	vs, err := migVectors()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Format == format && v.Case == kase && v.OK {
			return migCustomer{id: id, email: email, format: format, hash: v.Hash, password: v.Password}
		}
	}
	t.Fatalf("no vector %s %q in legacyhash/testdata/vectors.json", format, kase)
	return migCustomer{}
}

// migRealCustomers is one customer per format with the cheap vectors of the original
// systems (all of them for the password "correct horse battery staple").
func migRealCustomers(t testing.TB, prefix string) []migCustomer {
	t.Helper()
	cases := [][2]string{
		{"scrypt-kdf", "medusa-v1 logN=1 r=1 p=1, ascii"},
		{"bcrypt", "$2b$04, ascii"},
		{"argon2", "argon2id v=19 m=256 t=2 p=1, ascii"},
		{"django-pbkdf2", "pbkdf2_sha256 1000, ascii"},
		{"werkzeug", "pbkdf2:sha256:1000, ascii"},
	}
	var out []migCustomer
	for _, c := range cases {
		name := strings.ReplaceAll(c[0], "-", "")
		out = append(out, migRealCustomer(t, "cus_"+prefix+"_"+name, prefix+"."+name+"@example.com", c[0], c[1]))
	}
	return out
}

// migGuests are customers without an account.
func migGuests(prefix string, n int) []migCustomer {
	var out []migCustomer
	for i := range n {
		out = append(out, migCustomer{id: fmt.Sprintf("cus_%s_guest%d", prefix, i), email: fmt.Sprintf("%s.guest%d@example.com", prefix, i)})
	}
	return out
}

// migMedusaV1CSV is an export of Medusa v1's customer table; extra rows are appended as given.
func migMedusaV1CSV(t testing.TB, cs []migCustomer, extra ...[]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"id", "email", "first_name", "last_name", "billing_address_id", "password_hash", "phone",
		"has_account", "created_at", "updated_at", "deleted_at", "metadata"})
	for _, c := range cs {
		account := "t"
		if c.guest() {
			account = "f"
		}
		w.Write([]string{c.id, c.email, "First " + c.format, "Last, \"quoted\"", "", c.hash, "", account,
			"2023-03-14 09:26:53.123456+00", "2023-06-01 10:00:00+00", "", `{"format": "` + c.format + `"}`})
	}
	for _, r := range extra {
		w.Write(r)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// migJSONL is the customers as JSON lines; extra lines are appended as given.
func migJSONL(t testing.TB, cs []migCustomer, extra ...string) string {
	t.Helper()
	var b strings.Builder
	for _, c := range cs {
		line := map[string]any{"id": c.id, "email": c.email, "first_name": "First " + c.format}
		if !c.guest() {
			line["password_hash"] = c.hash
		}
		b.Write(must(json.Marshal(line))(t))
		b.WriteByte('\n')
	}
	for _, x := range extra {
		b.WriteString(x + "\n")
	}
	return b.String()
}

// migImportResult is the result of an import, from the CLI or the route.
type migImportResult struct {
	Format   string `json:"format"`
	Rows     int64  `json:"rows"`
	Imported int64  `json:"imported"`
	Updated  int64  `json:"updated"`
	Skipped  int64  `json:"skipped"`
	Errors   []struct {
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"errors"`
	ErrorsOmitted int64  `json:"errors_omitted"`
	Stopped       string `json:"stopped"`
}

func (r migImportResult) counts() string {
	return fmt.Sprintf("%s rows=%d imported=%d updated=%d skipped=%d errors=%d", r.Format, r.Rows, r.Imported, r.Updated, r.Skipped, len(r.Errors))
}

// migProgress is a progress line of the import route.
type migProgress struct {
	Rows     int64 `json:"rows"`
	Imported int64 `json:"imported"`
	Updated  int64 `json:"updated"`
	Skipped  int64 `json:"skipped"`
	Errors   int64 `json:"errors"`
}

// migImportRoute posts an export to POST /admin/customers/import and reads the streamed
// NDJSON line by line: progress lines, then the result as the last line.
func migImportRoute(t testing.TB, base, contentType, body string) ([]migProgress, migImportResult) {
	t.Helper()
	req := must(http.NewRequest("POST", base+"/admin/customers/import", strings.NewReader(body)))(t)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp := must((&http.Client{Timeout: 60 * time.Second}).Do(req))(t)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("import answered %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var progress []migProgress
	var last []byte
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if last != nil {
			var p struct{ Progress *migProgress }
			if err := json.Unmarshal(last, &p); err != nil || p.Progress == nil {
				t.Fatalf("import: line %s before the result is not a progress line", last)
			}
			progress = append(progress, *p.Progress)
		}
		last = append([]byte(nil), sc.Bytes()...)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the import stream: %v", err)
	}
	var res migImportResult
	if err := json.Unmarshal(last, &res); err != nil || res.Format == "" || res.Errors == nil {
		t.Fatalf("the import stream ended with %s, not a result (%v)", last, err)
	}
	return progress, res
}

// migImport imports customers through the route as JSON lines and checks they all count.
func migImport(t testing.TB, base string, cs []migCustomer) {
	t.Helper()
	_, res := migImportRoute(t, base, "application/x-ndjson", migJSONL(t, cs))
	if res.Imported != int64(len(cs)) || len(res.Errors) != 0 || res.Stopped != "" {
		t.Fatalf("import: %s %+v", res.counts(), res)
	}
}

// migCLI runs the binary with args to its end and returns what it wrote and its exit code.
func migCLI(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = baseEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("hashless %v still ran after a minute:\n%s", args, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// migStatus is GET /admin/migration.
func migStatus(t testing.TB, a *api) storeauth.MigrationStatus {
	t.Helper()
	var st storeauth.MigrationStatus
	a.admin("GET", "/admin/migration", nil).expect(t, http.StatusOK, &st)
	return st
}

// migExpectStatus checks the counts of GET /admin/migration (migrated_last_24h must equal
// migrated: every migration here is recent).
func migExpectStatus(t testing.TB, a *api, want storeauth.MigrationStatus) storeauth.MigrationStatus {
	t.Helper()
	want.MigratedLast24h = want.Migrated
	if got := migStatus(t, a); got != want {
		t.Fatalf("/admin/migration = %+v, want %+v", got, want)
	}
	return want
}

// migStatusCLI is `hashless customers migration-status --json --db dsn`.
func migStatusCLI(t testing.TB, dsn string) storeauth.MigrationStatus {
	t.Helper()
	stdout, stderr, code := migCLI(t, "customers", "migration-status", "--json", "--db", dsn)
	if code != 0 {
		t.Fatalf("migration-status exited %d:\n%s%s", code, stdout, stderr)
	}
	var st storeauth.MigrationStatus
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("migration-status --json printed %q: %v", stdout, err)
	}
	return st
}

// migDB opens the customer database as serve sees it, for reading rows.
func migDB(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	st := must(sqlstore.Open(ctx(t), dsn, sqlstore.Options{}))(t)
	t.Cleanup(func() { st.Close() })
	return st
}

// migRow reads one customer's row.
func migRow(t testing.TB, st *sqlstore.Store, id string) store.Customer {
	t.Helper()
	return must(st.GetCustomer(ctx(t), id))(t)
}

// migExpectMigrated checks that a customer's row says migrated: no hash, no flag, no lease,
// a migration time.
func migExpectMigrated(t testing.TB, st *sqlstore.Store, id string) {
	t.Helper()
	c := migRow(t, st, id)
	if c.PasswordHash != "" || c.MigratedAt.IsZero() || c.PasswordChangeRequired || !c.CredentialLeaseUntil.IsZero() || !c.HasAccount {
		t.Fatalf("customer %s is not migrated: hash %q, migrated_at %v, change required %v, lease until %v",
			id, c.PasswordHash, c.MigratedAt, c.PasswordChangeRequired, c.CredentialLeaseUntil)
	}
}

// migSignIn signs in through POST /store/auth and expects 200; it returns the customer and
// whether the answer asks for a password change.
func migSignIn(t testing.TB, a *api, email, password string) (customer, bool) {
	t.Helper()
	var out struct {
		Customer               customer `json:"customer"`
		PasswordChangeRequired *bool    `json:"password_change_required"`
	}
	a.do("POST", "/store/auth", map[string]any{"email": email, "password": password}).expect(t, http.StatusOK, &out)
	if out.PasswordChangeRequired != nil && !*out.PasswordChangeRequired {
		t.Fatalf("sign-in answered password_change_required: false; it is only ever present as true")
	}
	return out.Customer, out.PasswordChangeRequired != nil
}

// migRefusedLikeUnknown checks that a sign-in is refused with exactly the answer an
// unknown e-mail gets.
func migRefusedLikeUnknown(t testing.TB, a *api, email, password string) {
	t.Helper()
	for _, route := range []string{"/store/auth", "/store/auth/token"} {
		got := a.do("POST", route, map[string]any{"email": email, "password": password})
		unknown := a.do("POST", route, map[string]any{"email": "nobody." + email, "password": password})
		got.expectError(t, http.StatusUnauthorized, "unauthorized")
		if got.status != unknown.status || string(got.body) != string(unknown.body) {
			t.Fatalf("%s: %s answered %d %s, an unknown e-mail %d %s", route, email, got.status, got.body, unknown.status, unknown.body)
		}
	}
}

// migCounter is a counter of serve's /metrics, summed over processes.
func migCounter(t testing.TB, series string, urls ...string) float64 {
	t.Helper()
	var n float64
	for _, u := range urls {
		n += metrics(t, u)[series]
	}
	return n
}

// migIDs are the customers' IDs, sorted, without guests.
func migIDs(cs []migCustomer) []string {
	var ids []string
	for _, c := range cs {
		if !c.guest() {
			ids = append(ids, c.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestMigrationImportCLIAndLogin imports a Medusa v1 export with the CLI, then every legacy
// customer signs in to serve with the old password and is migrated: the hash is erased,
// the pool user (username = customer ID) exists, and the admin route and the CLI agree.
func TestMigrationImportCLIAndLogin(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		legacy := migLegacyCustomers(t, "cli")
		all := append(slices.Clone(legacy), migGuests("cli", 2)...)
		deleted := []string{"cus_cli_deleted", "deleted@example.com", "", "", "", migBcrypt(t, "Deleted-Passw0rd-1"), "", "t",
			"2023-03-14 09:26:53+00", "2023-03-14 09:26:53+00", "2024-01-01 00:00:00+00", ""}
		file := filepath.Join(t.TempDir(), "customers.csv")
		if err := os.WriteFile(file, []byte(migMedusaV1CSV(t, all, deleted)), 0o600); err != nil {
			t.Fatal(err)
		}

		stdout, stderr, code := migCLI(t, "customers", "import", "--db", dsn, file)
		if code != 0 {
			t.Fatalf("import exited %d:\n%s\n%s", code, stdout, stderr)
		}
		var res migImportResult
		dec := json.NewDecoder(strings.NewReader(stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&res); err != nil {
			t.Fatalf("import printed %q: %v", stdout, err)
		}
		if res.Format != "medusa-v1-csv" || res.Rows != int64(len(all)+1) || res.Imported != int64(len(all)) ||
			res.Skipped != 1 || res.Updated != 0 || len(res.Errors) != 0 || res.Stopped != "" {
			t.Fatalf("import result %s %+v", res.counts(), res)
		}
		final := fmt.Sprintf("%d rows in ", len(all)+1)
		if !strings.Contains(stderr, final) || !strings.Contains(stderr, "importing "+file) || strings.Contains(stdout, " rows") {
			t.Fatalf("progress belongs on standard error only:\nstdout %s\nstderr %s", stdout, stderr)
		}

		s := startServe(t, serveOpts{db: dsn})
		a := newAPI(t, s.URL)
		total := int64(len(all))
		migExpectStatus(t, a, storeauth.MigrationStatus{Total: total, Legacy: int64(len(legacy)), Guests: 2})

		// A wrong password of a customer not migrated yet, a guest, and the deleted row's
		// customer all look like an unknown e-mail.
		migRefusedLikeUnknown(t, a, legacy[0].email, legacy[1].password)
		migRefusedLikeUnknown(t, a, all[len(all)-1].email, legacy[0].password)
		migRefusedLikeUnknown(t, a, "deleted@example.com", "Deleted-Passw0rd-1")

		before := metrics(t, s.URL)
		for _, c := range legacy {
			got, change := migSignIn(t, a, strings.ToLower(c.email), c.password)
			if got.ID != c.id || !got.HasAccount || change {
				t.Fatalf("%s: signed in as %+v (change required %v)", c.format, got, change)
			}
		}
		if d := delta(before, metrics(t, s.URL), "hashless_store_migrations_total"); d[`hashless_store_migrations_total{outcome="login"}`] != float64(len(legacy)) || len(d) != 1 {
			t.Fatalf("migrations by outcome: %v", d)
		}
		status := migExpectStatus(t, a, storeauth.MigrationStatus{Total: total, Migrated: int64(len(legacy)), Guests: 2})

		db := migDB(t, dsn)
		for _, c := range legacy {
			migExpectMigrated(t, db, c.id)
		}
		poolAdmin, poolID := embeddedAdmin(t, dsn, s.URL)
		if users := poolUsernames(t, poolAdmin, poolID); !slices.Equal(users, migIDs(all)) {
			t.Fatalf("pool users %v, want the legacy customers %v", users, migIDs(all))
		}
		for _, c := range legacy {
			u := must(poolAdmin.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(c.id)}))(t)
			attrs := map[string]string{}
			for _, at := range u.UserAttributes {
				attrs[aws.ToString(at.Name)] = aws.ToString(at.Value)
			}
			if u.UserStatus != types.UserStatusTypeConfirmed || !strings.EqualFold(attrs["email"], c.email) || attrs["email_verified"] != "true" {
				t.Fatalf("pool user of %s: status %s, attributes %v", c.format, u.UserStatus, attrs)
			}
		}

		// Now the pool holds the passwords: they still sign in, wrong ones still look unknown.
		for _, c := range legacy {
			if a.whoami(a.login(c.email, c.password)) != c.id {
				t.Fatalf("%s: the migrated customer cannot sign in again", c.format)
			}
		}
		migRefusedLikeUnknown(t, a, legacy[0].email, legacy[1].password)

		if !isPostgres(dsn) {
			// SQLite: the CLI reads the file while serve is stopped.
			s.cmd.Process.Signal(syscall.SIGTERM)
			if ps := s.wait(t, 30*time.Second); !ps.Success() {
				t.Fatalf("serve ended with %v on SIGTERM", ps)
			}
		}
		if got := migStatusCLI(t, dsn); got != status {
			t.Fatalf("migration-status --json = %+v, /admin/migration = %+v", got, status)
		}
		human, _, code := migCLI(t, "customers", "migration-status", "--db", dsn)
		if code != 0 || !strings.Contains(human, "migrated") || !strings.Contains(human, "100.0% of accounts") {
			t.Fatalf("migration-status exited %d:\n%s", code, human)
		}
	})
}

// TestMigrationImportRoute imports through POST /admin/customers/import, as CSV and as JSON
// lines, reading the streamed progress to the result; imported customers migrate at sign-in.
func TestMigrationImportRoute(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := startServe(t, serveOpts{db: dsn})
		a := newAPI(t, s.URL)

		// Medusa v1 CSV: a bad row is reported by line and skipped; a re-run changes nothing.
		fromCSV := migLegacyCustomers(t, "csv")[:3]
		bad := []string{"cus_csv_bad", "bad@example.com", "", "", "", "not-a-known-hash-format", "", "t", "", "", "", ""}
		body := migMedusaV1CSV(t, append(slices.Clone(fromCSV), migGuests("csv", 1)...), bad)
		progress, res := migImportRoute(t, s.URL, "text/csv", body)
		if res.Format != "medusa-v1-csv" || res.Rows != 5 || res.Imported != 4 || res.Skipped != 0 || len(res.Errors) != 1 ||
			res.Errors[0].Line != 6 || res.Errors[0].Message == "" || len(progress) != 0 {
			t.Fatalf("CSV import: %s %+v, progress %+v", res.counts(), res, progress)
		}
		_, res = migImportRoute(t, s.URL, "text/csv; charset=utf-8", body)
		if res.Rows != 5 || res.Imported != 0 || res.Updated != 0 || res.Skipped != 4 || len(res.Errors) != 1 {
			t.Fatalf("CSV import again: %s", res.counts())
		}

		// JSON lines, long enough for progress lines before the result.
		fromJSONL := migLegacyCustomers(t, "jsonl")[3:]
		guests := migGuests("jsonl", 1000)
		progress, res = migImportRoute(t, s.URL, "application/x-ndjson", migJSONL(t, append(slices.Clone(fromJSONL), guests...),
			`{"email":"with.password@example.com","password":"Plain-Passw0rd-1"}`))
		n := int64(len(fromJSONL) + len(guests))
		if res.Format != "jsonl" || res.Rows != n+1 || res.Imported != n || len(res.Errors) != 1 || res.Errors[0].Line != int(n+1) {
			t.Fatalf("JSONL import: %s %+v", res.counts(), res.Errors)
		}
		if len(progress) != 1 || progress[0].Rows != 1000 || progress[0].Imported != 1000 {
			t.Fatalf("JSONL import progress lines %+v, want one at 1000 rows", progress)
		}

		legacy := append(slices.Clone(fromCSV), fromJSONL...)
		want := storeauth.MigrationStatus{Total: int64(len(legacy)) + 1 + 1000, Legacy: int64(len(legacy)), Guests: 1001}
		migExpectStatus(t, a, want)
		for _, c := range legacy {
			if got, change := migSignIn(t, a, c.email, c.password); got.ID != c.id || change {
				t.Fatalf("%s: signed in as %+v (change required %v)", c.format, got, change)
			}
		}
		want.Legacy, want.Migrated = 0, int64(len(legacy))
		migExpectStatus(t, a, want)
		db := migDB(t, dsn)
		for _, c := range legacy {
			migExpectMigrated(t, db, c.id)
		}
		// Importing the export again never puts a hash back on a migrated customer.
		_, res = migImportRoute(t, s.URL, "text/csv", body)
		if res.Imported != 0 || res.Updated != 0 || res.Skipped != 4 {
			t.Fatalf("CSV import after the migration: %s", res.counts())
		}
		for _, c := range fromCSV {
			migExpectMigrated(t, db, c.id)
		}
		migExpectStatus(t, a, want)
	})
}

// migLenientPolicy lets a separate pool take the original systems' passwords (the vectors'
// "correct horse battery staple" has no upper-case letter and no digit).
func migLenientPolicy(in *cip.CreateUserPoolInput) {
	in.Policies = &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(8)}}
}

// migClient creates an app client with the admin password flow and refresh, and the given
// PreventUserExistenceErrors.
func migClient(t testing.TB, p *poolProc, poolID string, prevent types.PreventUserExistenceErrorTypes) string {
	t.Helper()
	out := must(p.sdk.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("store"), PreventUserExistenceErrors: prevent,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	}))(t)
	return aws.ToString(out.UserPoolClient.ClientId)
}

// TestMigrationHiddenUsers runs the migration against a separate pool process whose app
// client hides user existence (PreventUserExistenceErrors=ENABLED), and one that does not
// (LEGACY): the original systems' hashes migrate at sign-in and through forgot-password
// alike, because serve decides from its database, not from the pool's error codes.
func TestMigrationHiddenUsers(t *testing.T) {
	t.Parallel()
	pool := startPool(t)
	for _, prevent := range []types.PreventUserExistenceErrorTypes{types.PreventUserExistenceErrorTypesEnabled, types.PreventUserExistenceErrorTypesLegacy} {
		t.Run(string(prevent), func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, dsn string) {
				poolID := pool.newUserPool(t, migLenientPolicy)
				clientID := migClient(t, pool, poolID, prevent)
				s := startServe(t, serveOpts{db: dsn, env: pool.cognitoEnv(poolID, clientID)})
				a := newAPI(t, s.URL)
				legacy := migRealCustomers(t, "hidden")
				resetting := legacy[len(legacy)-1]
				signing := legacy[:len(legacy)-1]
				migImport(t, s.URL, append(slices.Clone(legacy), migGuests("hidden", 1)...))
				migExpectStatus(t, a, storeauth.MigrationStatus{Total: 6, Legacy: 5, Guests: 1})

				migRefusedLikeUnknown(t, a, signing[0].email, "Wrong-"+signing[0].password)
				for _, c := range signing {
					if got, change := migSignIn(t, a, c.email, c.password); got.ID != c.id || change {
						t.Fatalf("%s: signed in as %+v (change required %v)", c.format, got, change)
					}
				}
				migRefusedLikeUnknown(t, a, signing[0].email, "Wrong-"+signing[0].password)
				if users := poolUsernames(t, pool.sdk, poolID); !slices.Equal(users, migIDs(signing)) {
					t.Fatalf("pool users %v, want %v", users, migIDs(signing))
				}

				// Forgot-password for a customer not migrated yet.
				mark := lastMessageID(t, pool.URL)
				a.do("POST", "/store/customers/password-token", map[string]any{"email": resetting.email}).expect(t, http.StatusNoContent)
				m := latestCode(t, pool.URL, poolID, "FORGOT_PASSWORD", resetting.id, mark)
				a.do("POST", "/store/customers/password-reset", map[string]any{"email": resetting.email, "token": m.Code, "password": "Hidden-Reset-Passw0rd-1"}).
					expect(t, http.StatusOK)
				a.loginRefused(resetting.email, resetting.password)
				if a.whoami(a.login(resetting.email, "Hidden-Reset-Passw0rd-1")) != resetting.id {
					t.Fatal("the reset password does not sign in")
				}

				migExpectStatus(t, a, storeauth.MigrationStatus{Total: 6, Migrated: 5, Guests: 1})
				db := migDB(t, dsn)
				for _, c := range legacy {
					migExpectMigrated(t, db, c.id)
				}
				if users := poolUsernames(t, pool.sdk, poolID); !slices.Equal(users, migIDs(legacy)) {
					t.Fatalf("pool users %v, want %v", users, migIDs(legacy))
				}
			})
		})
	}
}

// migDies sends the first sign-in of a legacy customer to a serve set to die at point: the
// request fails and serve dies of SIGKILL. A 503 (the pool slower than serve's call timeout
// before the point was reached) is sent again.
func migDies(t *testing.T, p *proc, point, email, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := newAPI(t, p.URL).try("POST", "/store/auth", map[string]any{"email": email, "password": password})
		if err == nil && r.status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if err == nil {
			t.Fatalf("sign-in answered %d %s although serve was to die at %s", r.status, r.body, point)
		}
		break
	}
	ps := p.wait(t, 30*time.Second)
	if !killedBySIGKILL(ps) {
		t.Fatalf("serve ended with %v, not by SIGKILL at %s", ps, point)
	}
	if !strings.Contains(p.Stderr(), "point="+point) {
		t.Fatalf("serve did not log reaching %s:\n%s", point, p.Stderr())
	}
}

// migSignInUntilMigrated signs in with password until the customer's row says migrated.
// Every sign-in must succeed: a 503 (a pool call slower than the short call timeout) is
// tried again, anything else fails at once. The migration waits for the dead process's
// credential lease to run out; until then a sign-in succeeds without migrating.
func migSignInUntilMigrated(t *testing.T, a *api, db *sqlstore.Store, c migCustomer, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	signIns := 0
	for {
		r := a.do("POST", "/store/auth/token", map[string]any{"email": c.email, "password": c.password})
		switch r.status {
		case http.StatusOK:
			var out struct {
				AccessToken            string `json:"access_token"`
				PasswordChangeRequired bool   `json:"password_change_required"`
			}
			r.expect(t, http.StatusOK, &out)
			if out.PasswordChangeRequired || a.whoami(out.AccessToken) != c.id {
				t.Fatalf("sign-in after the restart: %s", r.body)
			}
			signIns++
			if row := migRow(t, db, c.id); row.PasswordHash == "" {
				return signIns
			}
		case http.StatusServiceUnavailable:
			r.expectError(t, http.StatusServiceUnavailable, "unavailable")
		default:
			t.Fatalf("sign-in with the legacy password after the restart: %d %s", r.status, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not migrated within %v", within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// killsPerStep is how many real SIGKILLs each step of the migration takes in each variant.
const killsPerStep = 20

// TestMigrationSurvivesSIGKILL kills serve with a real SIGKILL at each step of a first
// sign-in's migration: before the pool user is created, after it is, after its password is
// set, after the pool proved it, and before the compare-and-swap that erases the hash. Each
// step is killed killsPerStep times in each variant, one customer a kill, every kill a new
// process on the same database. Then one process that is not armed signs every killed
// customer in with the legacy password: each one signs in at once and ends migrated exactly
// once, with one pool user each.
func TestMigrationSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	pool := startPool(t)
	variants := faultVariants(pool)
	points := []string{"migrate.before_pool_user", "migrate.after_pool_user", "migrate.after_set_password",
		"migrate.after_proof", "migrate.before_erase"}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			for _, point := range points {
				t.Run(point, func(t *testing.T) {
					t.Parallel()
					dsn := v.dsn(t)
					env, users := v.setup(t, dsn)
					migKilled(t, dsn, env, users, point)
				})
			}
		})
	}
}

func migKilled(t *testing.T, dsn string, env []string, users poolUsers, point string) {
	// One customer a kill, taking the hash formats in turn.
	var killed []migCustomer
	for i := range killsPerStep {
		formats := migLegacyCustomers(t, fmt.Sprintf("killed%d", i))
		killed = append(killed, formats[i%len(formats)])
	}
	bystander := migLegacyCustomers(t, "bystander")[3]
	armed := serveOpts{db: dsn, env: append([]string{"HASHLESS_TEST_KILL_AT=" + point}, env...), args: restartArgs}
	// The dead processes' credential leases (4×call timeout + 5 s) delay the migrations
	// after the restart; a short call timeout keeps them short (migDies sends a sign-in the
	// pool was too slow for again).
	for i, c := range killed {
		p := startServe(t, armed)
		if i == 0 {
			migImport(t, p.URL, append(slices.Clone(killed), bystander))
		}
		migDies(t, p, point, c.email, c.password)
	}

	s := startServe(t, serveOpts{db: dsn, env: env, args: restartArgs})
	a := newAPI(t, s.URL)
	db := migDB(t, dsn)
	for _, c := range killed {
		if row := migRow(t, db, c.id); row.PasswordHash != c.hash || !row.MigratedAt.IsZero() {
			t.Fatalf("after a SIGKILL at %s the row of %s has hash %q, migrated at %v", point, c.id, row.PasswordHash, row.MigratedAt)
		}
	}
	before := metrics(t, s.URL)
	signIns := 0
	for _, c := range killed {
		signIns += migSignInUntilMigrated(t, a, db, c, 60*time.Second)
		migExpectMigrated(t, db, c.id)
	}
	t.Logf("after %d SIGKILLs at %s: %d sign-ins migrated them all", len(killed), point, signIns)
	if d := delta(before, metrics(t, s.URL), "hashless_store_migrations_total"); d[`hashless_store_migrations_total{outcome="login"}`] != float64(len(killed)) {
		t.Fatalf("migrations by outcome after the restart: %v", d)
	}
	migExpectStatus(t, a, storeauth.MigrationStatus{Total: int64(len(killed)) + 1, Legacy: 1, Migrated: int64(len(killed))})
	var want []string
	for _, c := range killed {
		want = append(want, c.id)
	}
	slices.Sort(want)
	if got := users(t, s.URL); !slices.Equal(got, want) {
		t.Fatalf("pool users %v, want %v", got, want)
	}
	// The pool holds the passwords now; a wrong one is refused as for anyone.
	c := killed[len(killed)-1]
	a.whoami(a.loginPatiently(c.email, c.password))
	a.loginRefused(c.email, bystander.password)
	// The bystander was not touched and migrates as usual.
	if got, _ := migSignIn(t, a, bystander.email, bystander.password); got.ID != bystander.id {
		t.Fatalf("the bystander signed in as %s", got.ID)
	}
	migExpectStatus(t, a, storeauth.MigrationStatus{Total: int64(len(killed)) + 1, Migrated: int64(len(killed)) + 1})
}

// TestMigrationTwoNodesRace: two serve processes on one PostgreSQL database, and the first
// sign-ins of the same legacy customers sent to both at once. Both succeed, the pool gets
// one user per customer, and each customer is migrated once.
func TestMigrationTwoNodesRace(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	var nodes [2]*proc
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i] = launchServe(t, serveOpts{db: dsn}) })
	}
	wg.Wait()
	for i, p := range nodes {
		nodes[i] = awaitListening(t, p)
	}
	legacy := append(migLegacyCustomers(t, "race"), migLegacyCustomers(t, "race2")...)
	migImport(t, nodes[0].URL, legacy)
	a := newAPI(t, nodes[0].URL)
	migExpectStatus(t, a, storeauth.MigrationStatus{Total: int64(len(legacy)), Legacy: int64(len(legacy))})

	type answer struct {
		node   int
		status int
		body   string
		err    error
	}
	for _, c := range legacy {
		start := make(chan struct{})
		answers := make([]answer, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			api := newAPI(t, n.URL)
			wg.Go(func() {
				<-start
				r, err := api.try("POST", "/store/auth", map[string]any{"email": c.email, "password": c.password})
				answers[i] = answer{node: i, err: err}
				if err == nil {
					answers[i].status, answers[i].body = r.status, string(r.body)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, an := range answers {
			var out customerBody
			if an.err != nil || an.status != http.StatusOK || json.Unmarshal([]byte(an.body), &out) != nil || out.Customer.ID != c.id {
				t.Fatalf("%s: concurrent first sign-in on node %d: %d %s %v", c.format, an.node, an.status, an.body, an.err)
			}
		}
	}

	urls := []string{nodes[0].URL, nodes[1].URL}
	if n := migCounter(t, `hashless_store_migrations_total{outcome="login"}`, urls...); n != float64(len(legacy)) {
		t.Fatalf("%v migrations at sign-in on the two nodes, want one per customer (%d)", n, len(legacy))
	}
	t.Logf("sign-ins that found the other node migrating (deferred): %v",
		migCounter(t, `hashless_store_migrations_total{outcome="deferred"}`, urls...))
	db := migDB(t, dsn)
	for _, c := range legacy {
		migExpectMigrated(t, db, c.id)
	}
	migExpectStatus(t, newAPI(t, nodes[1].URL), storeauth.MigrationStatus{Total: int64(len(legacy)), Migrated: int64(len(legacy))})
	poolAdmin, poolID := embeddedAdmin(t, dsn, nodes[0].URL)
	if users := poolUsernames(t, poolAdmin, poolID); !slices.Equal(users, migIDs(legacy)) {
		t.Fatalf("pool users %v, want one per customer %v", users, migIDs(legacy))
	}
	for i, n := range nodes {
		b := newAPI(t, n.URL)
		for _, c := range legacy {
			if b.whoami(b.login(c.email, c.password)) != c.id {
				t.Fatalf("%s cannot sign in on node %d after the race", c.format, i)
			}
		}
	}
}

// TestMigrationForgotPassword: forgot-password works for customers not migrated yet, and
// migrates them: the reset erases the hash, ends every session, the new password signs in
// and the legacy one no longer does. One of them signed in before with a legacy password
// the pool's policy refused, so had a session while unmigrated.
func TestMigrationForgotPassword(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := startServe(t, serveOpts{db: dsn})
		a := newAPI(t, s.URL)
		var info poolInfo
		a.do("GET", "/_local/pool", nil).expect(t, http.StatusOK, &info)
		plain := migLegacyCustomers(t, "forgot")[4] // werkzeug
		refused := migRealCustomer(t, "cus_forgot_refused", "forgot.refused@example.com", "scrypt-kdf", "medusa-v1 logN=1 r=1 p=1, ascii")
		migImport(t, s.URL, []migCustomer{plain, refused})

		var out struct {
			AccessToken            string `json:"access_token"`
			PasswordChangeRequired bool   `json:"password_change_required"`
		}
		a.do("POST", "/store/auth/token", map[string]any{"email": refused.email, "password": refused.password}).expect(t, http.StatusOK, &out)
		if !out.PasswordChangeRequired || a.whoami(out.AccessToken) != refused.id {
			t.Fatalf("the policy-refused legacy sign-in answered %+v", out)
		}
		migExpectStatus(t, a, storeauth.MigrationStatus{Total: 2, Legacy: 2, BlockedByPolicy: 1})

		db := migDB(t, dsn)
		for i, c := range []migCustomer{plain, refused} {
			newPassword := fmt.Sprintf("Forgot-New-Passw0rd-%d", i)
			mark := lastMessageID(t, s.URL)
			a.do("POST", "/store/customers/password-token", map[string]any{"email": strings.ToUpper(c.email)}).expect(t, http.StatusNoContent)
			m := latestCode(t, s.URL, info.PoolID, "FORGOT_PASSWORD", c.id, mark)
			if !strings.EqualFold(m.Destination, c.email) {
				t.Fatalf("the code went to %q", m.Destination)
			}
			if row := migRow(t, db, c.id); row.PasswordHash != c.hash {
				t.Fatalf("asking for a code changed the hash of %s to %q", c.id, row.PasswordHash)
			}
			a.do("POST", "/store/customers/password-reset", map[string]any{"email": c.email, "token": "000000", "password": newPassword}).
				expectError(t, http.StatusBadRequest, "invalid_data")
			var reset customerBody
			a.do("POST", "/store/customers/password-reset", map[string]any{"email": c.email, "token": m.Code, "password": newPassword}).
				expect(t, http.StatusOK, &reset)
			if reset.Customer.ID != c.id {
				t.Fatalf("reset answered %+v", reset.Customer)
			}
			migExpectMigrated(t, db, c.id)
			a.loginRefused(c.email, c.password)
			if got, change := migSignIn(t, a, c.email, newPassword); got.ID != c.id || change {
				t.Fatalf("the new password signed in as %+v (change required %v)", got, change)
			}
		}
		if a.whoami(out.AccessToken) != "" {
			t.Fatal("a session made before the password reset still signs in")
		}
		migExpectStatus(t, a, storeauth.MigrationStatus{Total: 2, Migrated: 2})
		poolAdmin, poolID := embeddedAdmin(t, dsn, s.URL)
		if users := poolUsernames(t, poolAdmin, poolID); !slices.Equal(users, migIDs([]migCustomer{plain, refused})) {
			t.Fatalf("pool users %v", users)
		}
	})
}

// TestMigrationPolicyRefused: a legacy password the pool's policy refuses (the embedded
// pool wants upper case, lower case and a digit) still signs the customer in, with
// password_change_required; the customer stays unmigrated and counted as blocked until a
// password change with an acceptable password migrates them.
func TestMigrationPolicyRefused(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := startServe(t, serveOpts{db: dsn})
		a := newAPI(t, s.URL)
		medusa := migRealCustomer(t, "cus_policy_medusa", "policy.medusa@example.com", "scrypt-kdf", "medusa-v1 logN=1 r=1 p=1, ascii")
		lower := migCustomer{id: "cus_policy_lower", email: "policy.lower@example.com", format: "bcrypt", password: "legacypassword"}
		lower.hash = migBcrypt(t, lower.password)
		migImport(t, s.URL, []migCustomer{medusa, lower})
		db := migDB(t, dsn)

		for i, c := range []migCustomer{medusa, lower} {
			got, change := migSignIn(t, a, c.email, c.password)
			if got.ID != c.id || !change {
				t.Fatalf("%s: signed in as %+v, change required %v", c.id, got, change)
			}
			var tok struct {
				AccessToken            string `json:"access_token"`
				PasswordChangeRequired bool   `json:"password_change_required"`
			}
			a.do("POST", "/store/auth/token", map[string]any{"email": c.email, "password": c.password}).expect(t, http.StatusOK, &tok)
			if !tok.PasswordChangeRequired {
				t.Fatalf("%s: the token sign-in does not ask for a password change: %+v", c.id, tok)
			}
			row := migRow(t, db, c.id)
			if row.PasswordHash != c.hash || !row.PasswordChangeRequired || !row.MigratedAt.IsZero() || !row.CredentialLeaseUntil.IsZero() {
				t.Fatalf("%s after a policy-refused sign-in: %+v", c.id, row)
			}
			migExpectStatus(t, a, storeauth.MigrationStatus{Total: 2, Legacy: 2, BlockedByPolicy: int64(i + 1)})
			migRefusedLikeUnknown(t, a, c.email, "Wrong-Passw0rd-1")
		}

		// The change: a new password the policy refuses too is a 400 and changes nothing; an
		// acceptable one migrates.
		tok := a.login(medusa.email, medusa.password)
		other := a.login(medusa.email, medusa.password)
		a.do("POST", "/store/customers/me/password", map[string]any{"old_password": medusa.password, "new_password": "still all lower case"}, bearer(tok)...).
			expectError(t, http.StatusBadRequest, "invalid_data")
		migExpectStatus(t, a, storeauth.MigrationStatus{Total: 2, Legacy: 2, BlockedByPolicy: 2})
		a.do("POST", "/store/customers/me/password", map[string]any{"old_password": medusa.password, "new_password": "Policy-New-Passw0rd-1"}, bearer(tok)...).
			expect(t, http.StatusOK)
		migExpectMigrated(t, db, medusa.id)
		migExpectStatus(t, a, storeauth.MigrationStatus{Total: 2, Legacy: 1, Migrated: 1, BlockedByPolicy: 1})
		if a.whoami(tok) != medusa.id || a.whoami(other) != "" {
			t.Fatal("the password change must keep this session and end the others")
		}
		if got, change := migSignIn(t, a, medusa.email, "Policy-New-Passw0rd-1"); got.ID != medusa.id || change {
			t.Fatalf("the new password signed in as %+v (change required %v)", got, change)
		}
		a.loginRefused(medusa.email, medusa.password)
		poolAdmin, poolID := embeddedAdmin(t, dsn, s.URL)
		u := must(poolAdmin.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(medusa.id)}))(t)
		if u.UserStatus != types.UserStatusTypeConfirmed {
			t.Fatalf("the migrated customer's pool user is %s", u.UserStatus)
		}
	})
}
