package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/importer"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

// A Medusa v1 export (the customer table's columns in their order): two customers with
// Medusa's scrypt hashes, a guest, a soft-deleted customer and a row whose hash is no known
// format.
const customersV1 = `id,email,first_name,last_name,billing_address_id,password_hash,phone,has_account,created_at,updated_at,deleted_at,metadata
cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E,ann@example.com,Ann,Example,,c2NyeXB0AAEAAAABAAAAAZPlMmrQQqt6b7bv2WsxKGWSgdf3o88rUuL31QbAdXTOC1FanK8qt/kxhe6x4hJWNWRrXhrQcpHivP2l/f71eFtBdL9XW6Ofm16xPMKMe1sa,,t,2023-03-14 09:26:53.123+00,2023-03-14 09:26:53.123+00,,"{""tier"": ""gold""}"
cus_01GQ8ZM0A1B2C3D4E5F6G7H8J9,gwen@example.com,Gwen,Guest,,,,f,2023-03-15 11:02:00+00,2023-03-15 11:02:00+00,,
cus_01GQ8ZN5P6Q7R8S9T0V1W2X3Y4,al@example.com,"Tester, Al",,,c2NyeXB0AA8AAAAIAAAAAYHhlTS7EZOoUD27sJB2BB734OcR9NkHRUirh1AsZcYIZUaLNLDBfvwSPrYXRd+I3rNqUSBrm8QFYs1dUKuWd3osGXtt5Bhe896ZsIQEqOzP,,t,2023-04-01 08:00:00+00,2023-04-01 08:00:00+00,,
cus_01GQ8ZP9Z8Y7X6W5V4T3S2R1Q0,gone@example.com,Gone,,,,,f,2022-01-01 00:00:00+00,2022-02-01 00:00:00+00,2022-02-01 00:00:00+00,
cus_01GQ8ZS3C4D5E6F7G8H9J0K1M2,plugin@example.com,Old,Plugin,,cognito,,t,2023-05-07 00:00:00+00,2023-05-07 00:00:00+00,,
`

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCustomersImportAndMigrationStatus(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hashless.db")
	file := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(file, []byte(customersV1), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runMain(t, "customers", "import", "--db", db, file)
	if code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	var res importer.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("the result on stdout is not JSON: %v\n%s", err, out)
	}
	if res.Format != importer.FormatMedusaV1 || res.Imported != 3 || res.Skipped != 1 || len(res.Errors) != 1 || res.Errors[0].Line != 6 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(errOut, "5 rows in") || !strings.Contains(errOut, "3 imported") {
		t.Errorf("no progress on stderr: %q", errOut)
	}

	code, out, errOut = runMain(t, "customers", "migration-status", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("migration-status: %d %s", code, errOut)
	}
	if want := `{"total":3,"legacy":2,"migrated":0,"blocked_by_policy":0,"guests":1,"migrated_last_24h":0}` + "\n"; out != want {
		t.Errorf("migration-status --json = %q, want %q", out, want)
	}
	var st storeauth.MigrationStatus
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Errorf("not the shape of GET /admin/migration: %v", err)
	}

	// The readable table.
	code, out, _ = runMain(t, "customers", "migration-status", "--db", db)
	if code != 0 || !strings.Contains(out, "legacy") || !strings.Contains(out, "guests") {
		t.Errorf("table: %d\n%s", code, out)
	}

	// A migrated customer: a re-run with the flags after the file, and the database from
	// HASHLESS_DB, changes nothing and puts no hash back.
	s, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.GetCustomer(context.Background(), "cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E")
	if err != nil {
		t.Fatal(err)
	}
	c.PasswordHash, c.MigratedAt = "", time.Now().UTC() // as a sign-in does
	if err := s.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	s.Close()
	t.Setenv("HASHLESS_DB", db)
	code, out, errOut = runMain(t, "customers", "import", file, "--format", "medusa-v1-csv")
	if code != 0 {
		t.Fatalf("re-run: %d %s", code, errOut)
	}
	res = importer.Result{}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Imported != 0 || res.Updated != 0 || res.Skipped != 4 {
		t.Errorf("re-run %+v %v", res, err)
	}
	code, out, _ = runMain(t, "customers", "migration-status", "--json")
	if want := `{"total":3,"legacy":1,"migrated":1,"blocked_by_policy":0,"guests":1,"migrated_last_24h":1}` + "\n"; code != 0 || out != want {
		t.Errorf("after a migration: %d %q, want %q", code, out, want)
	}
}

func TestCustomersImportStrictAndUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hashless.db")
	file := filepath.Join(dir, "customers.jsonl")
	jsonl := `{"id":"cus_A","email":"a@example.com","password_hash":"$2b$04$Ve0KvBGFf2bgwblntVCrfeL1OhyGSW449u4ZT6xUpYjluIyV9oDNC"}` + "\n" +
		`{"email":"b@example.com","password":"plain text"}` + "\n" +
		`{"email":"c@example.com"}` + "\n"
	if err := os.WriteFile(file, []byte(jsonl), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "customers", "import", "--strict", "--db", db, file)
	if code != 1 || !strings.Contains(errOut, "line 2: password is not accepted") {
		t.Errorf("strict: %d\n%s\n%s", code, out, errOut)
	}
	var res importer.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Imported != 1 || !strings.HasPrefix(res.Stopped, "line 2:") {
		t.Errorf("strict result %+v %v", res, err)
	}
	// Without --strict the bad line is skipped and listed; the exit status is 0.
	code, out, _ = runMain(t, "customers", "import", "--db", db, "--format", "jsonl", file)
	res = importer.Result{}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Imported != 1 || len(res.Errors) != 1 {
		t.Errorf("lenient: %d %+v %v", code, res, err)
	}

	for _, args := range [][]string{
		{"customers"},
		{"customers", "bogus"},
		{"customers", "import"},
		{"customers", "import", "a", "b"},
		{"customers", "import", "--format", "xml", file},
		{"customers", "import", "--format", "csv", file},
		{"customers", "migration-status", "extra"},
	} {
		if code, _, _ := runMain(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runMain(t, "customers", "import", "--db", db, filepath.Join(dir, "missing.csv")); code != 1 || !strings.Contains(errOut, "missing.csv") {
		t.Errorf("missing file: %d %s", code, errOut)
	}
	if code, _, errOut := runMain(t, "customers", "migration-status", "--db", filepath.Join(dir, "none.db")); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("missing database: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("migration-status created a database")
	}
	if code, out, _ := runMain(t, "customers", "help"); code != 0 || !strings.Contains(out, "migration-status") {
		t.Errorf("help: %d %s", code, out)
	}
	if code, _, errOut := runMain(t, "help"); code != 0 {
		t.Errorf("help: %d %s", code, errOut)
	}
}

func TestCustomersImportStdin(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hashless.db")
	cmd := command(t, "customers", "import", "--db", db, "-")
	cmd.Stdin = strings.NewReader(customersV1)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var res importer.Result
	if err := json.Unmarshal(out, &res); err != nil || res.Imported != 3 {
		t.Errorf("%+v %v", res, err)
	}
}
