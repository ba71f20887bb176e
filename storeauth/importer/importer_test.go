package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/importer"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

// Hashes made by the real implementations (legacyhash/testdata/vectors.json).
const (
	hashMedusaV1 = "c2NyeXB0AAEAAAABAAAAAZPlMmrQQqt6b7bv2WsxKGWSgdf3o88rUuL31QbAdXTOC1FanK8qt/kxhe6x4hJWNWRrXhrQcpHivP2l/f71eFtBdL9XW6Ofm16xPMKMe1sa"
	hashMedusaV2 = "c2NyeXB0AA8AAAAIAAAAAYHhlTS7EZOoUD27sJB2BB734OcR9NkHRUirh1AsZcYIZUaLNLDBfvwSPrYXRd+I3rNqUSBrm8QFYs1dUKuWd3osGXtt5Bhe896ZsIQEqOzP"
	hashBcrypt   = "$2b$04$Ve0KvBGFf2bgwblntVCrfeL1OhyGSW449u4ZT6xUpYjluIyV9oDNC"
	hashBcrypt2a = "$2a$05$6r5Yj5bXyoyWhy8a0sAkROmkorRpYOr3o3lT9y9oYBWNnJ5i/u5Yi"
	hashDjango   = "pbkdf2_sha256$1000$kZ9D0mG1Fw9KElMnJ0xMRg$ZDPj0gZPZ9w7LDzH/jq5ORjQShCE2rc5umY4t8sK5Vs="
)

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("cus_GEN%023d", n.Add(1)) }
}

func options(f importer.Format) importer.Options {
	return importer.Options{Format: f, NewID: newIDs(), Now: func() time.Time { return testNow }}
}

func run(t *testing.T, st store.Customers, input string, opts importer.Options) importer.Result {
	t.Helper()
	res, err := importer.Import(context.Background(), st, strings.NewReader(input), opts)
	if err != nil {
		t.Fatalf("import: %v (result %+v)", err, res)
	}
	return res
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type counts struct{ rows, imported, updated, skipped, errors int64 }

func checkCounts(t *testing.T, res importer.Result, want counts) {
	t.Helper()
	got := counts{res.Rows, res.Imported, res.Updated, res.Skipped, int64(len(res.Errors)) + res.ErrorsOmitted}
	if got != want {
		t.Errorf("counts = %+v, want %+v; errors %v", got, want, res.Errors)
	}
}

// checkErrors requires exactly these lines to be reported, each message containing its text.
func checkErrors(t *testing.T, res importer.Result, want map[int]string) {
	t.Helper()
	got := map[int]string{}
	for _, e := range res.Errors {
		got[e.Line] = e.Message
	}
	for line, text := range want {
		if msg, ok := got[line]; !ok {
			t.Errorf("no error on line %d (want %q); errors %v", line, text, res.Errors)
		} else if !strings.Contains(msg, text) {
			t.Errorf("line %d: %q, want it to mention %q", line, msg, text)
		}
	}
	for line, msg := range got {
		if _, ok := want[line]; !ok {
			t.Errorf("unexpected error on line %d: %s", line, msg)
		}
	}
	for _, e := range res.Errors {
		for _, h := range []string{hashMedusaV1, hashBcrypt, "cognito", "5f4dcc3b"} {
			if strings.Contains(e.Message, h) {
				t.Errorf("line %d: the message quotes the hash: %s", e.Line, e.Message)
			}
		}
	}
}

func get(t *testing.T, st store.Customers, id string) store.Customer {
	t.Helper()
	c, err := st.GetCustomer(context.Background(), id)
	if err != nil {
		t.Fatalf("customer %s: %v", id, err)
	}
	return c
}

func byEmail(t *testing.T, st store.Customers, email string) store.Customer {
	t.Helper()
	c, err := st.CustomerByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("customer %s: %v", email, err)
	}
	return c
}

// snapshot is every customer, in every state, by ID.
func snapshot(t *testing.T, st store.Customers) map[string]store.Customer {
	t.Helper()
	out := map[string]store.Customer{}
	for _, state := range []store.CustomerState{store.StateActive, store.StatePending, store.StateDeleting, store.StateDeleted} {
		cs, err := st.ListCustomers(context.Background(), store.CustomerFilter{State: state}, "", 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			out[c.ID] = c
		}
	}
	return out
}

func TestMedusaV1Export(t *testing.T) {
	st := memory.New()
	res := run(t, st, readFile(t, "medusa-v1-customer.csv"), options(importer.FormatMedusaV1))
	checkCounts(t, res, counts{rows: 11, imported: 7, skipped: 1, errors: 3})
	checkErrors(t, res, map[int]string{
		10: "has_account is true but password_hash is empty",
		11: "no known hash format",
		12: "email is not an e-mail address",
	})
	if res.Format != importer.FormatMedusaV1 || res.Stopped != "" {
		t.Errorf("format %q, stopped %q", res.Format, res.Stopped)
	}

	ann := get(t, st, "cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E")
	if !ann.HasAccount || ann.PasswordHash != hashMedusaV1 || ann.State != store.StateActive || ann.Email != "ann@example.com" ||
		ann.FirstName != "Ann" || ann.LastName != "Example" || ann.Phone != "+44 20 7946 0000" {
		t.Errorf("ann = %+v", ann)
	}
	if want := time.Date(2023, 3, 14, 9, 26, 53, 123456000, time.UTC); !ann.CreatedAt.Equal(want) {
		t.Errorf("ann created %v, want %v", ann.CreatedAt, want)
	}
	if !ann.UpdatedAt.Equal(testNow) || !ann.MigratedAt.IsZero() || ann.Version != 1 {
		t.Errorf("ann updated %v migrated %v version %d", ann.UpdatedAt, ann.MigratedAt, ann.Version)
	}
	if string(ann.Metadata) != `{"tier":"gold","tags":["vip","early"]}` {
		t.Errorf("ann metadata %s", ann.Metadata)
	}

	gwen := get(t, st, "cus_01GQ8ZM0A1B2C3D4E5F6G7H8J9")
	if gwen.HasAccount || gwen.PasswordHash != "" || gwen.State != store.StateActive || gwen.Metadata != nil {
		t.Errorf("the guest = %+v", gwen)
	}

	// Quotes, a comma and line breaks inside quoted fields.
	ob := get(t, st, "cus_01GQ8ZN5P6Q7R8S9T0V1W2X3Y4")
	if ob.FirstName != `Kim "Jr"` || ob.LastName != "O'Brien, Smith" || string(ob.Metadata) != `{"note":"pretty-printed, with a comma","n":3}` {
		t.Errorf("quoted fields: %+v (metadata %s)", ob, ob.Metadata)
	}
	if want := time.Date(2023, 4, 1, 6, 0, 0, 0, time.UTC); !ob.CreatedAt.Equal(want) {
		t.Errorf("a +02 timestamp: %v, want %v", ob.CreatedAt, want)
	}

	if _, err := st.GetCustomer(context.Background(), "cus_01GQ8ZP9Z8Y7X6W5V4T3S2R1Q0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the row with deleted_at was imported: %v", err)
	}
	bc := get(t, st, "cus_01GQ8ZQ1A2B3C4D5E6F7G8H9J0")
	if bc.PasswordHash != hashBcrypt2a || bc.FirstName != "José" || bc.LastName != "Zoë" {
		t.Errorf("bcrypt row %+v", bc)
	}
	if want := time.Date(2023, 5, 5, 8, 5, 5, 500000000, time.UTC); !bc.CreatedAt.Equal(want) {
		t.Errorf("a -03 timestamp: %v, want %v", bc.CreatedAt, want)
	}

	// Medusa keeps a guest and an account with one e-mail; here the account wins and the
	// guest row goes.
	sam := byEmail(t, st, "sam@example.com")
	if sam.ID != "cus_01GQ8ZW6F7G8H9J0K1M2N3P4Q5" || !sam.HasAccount || sam.LastName != "Account" || sam.Email != "Sam@Example.com" {
		t.Errorf("sam = %+v", sam)
	}
	if _, err := st.GetCustomer(context.Background(), "cus_01GQ8ZV5E6F7G8H9J0K1M2N3P4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the guest with the account's e-mail stayed: %v", err)
	}

	li := byEmail(t, st, "王@example.com")
	if li.FirstName != "王" || li.LastName != "小明" || string(li.Metadata) != `{"語":"中文"}` || li.HasAccount {
		t.Errorf("unicode row %+v (metadata %s)", li, li.Metadata)
	}

	n, err := st.CountCustomers(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.CustomerCounts{Total: 6, Legacy: 4, Guests: 2}); n != want {
		t.Errorf("counts %+v, want %+v", n, want)
	}
}

// crlfBOM turns an LF file into what a Windows tool writes: a byte order mark and CRLF,
// inside quoted fields too.
func crlfBOM(s string) string {
	return "\ufeff" + strings.ReplaceAll(s, "\n", "\r\n")
}

func TestBOMAndCRLF(t *testing.T) {
	for _, tc := range []struct {
		file   string
		format importer.Format
	}{
		{"medusa-v1-customer.csv", importer.FormatMedusaV1},
		{"medusa-v2-customer.csv", importer.FormatMedusaV2},
		{"customers.jsonl", importer.FormatJSONL},
	} {
		t.Run(tc.file, func(t *testing.T) {
			plain, windows := memory.New(), memory.New()
			want := run(t, plain, readFile(t, tc.file), options(importer.FormatAuto))
			got := run(t, windows, crlfBOM(readFile(t, tc.file)), options(importer.FormatAuto))
			if got.Format != tc.format || want.Format != tc.format {
				t.Errorf("detected %q and %q, want %q", want.Format, got.Format, tc.format)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("with BOM and CRLF: %+v\nwithout: %+v", got, want)
			}
			a, b := snapshot(t, plain), snapshot(t, windows)
			if len(a) != len(b) {
				t.Fatalf("%d customers, want %d", len(b), len(a))
			}
			for id, c := range a {
				d := b[id]
				// Line breaks inside a quoted field are kept as written (CRLF); they only
				// occur in metadata here, whose JSON is compacted.
				if d.Email != c.Email || d.FirstName != c.FirstName || d.LastName != c.LastName ||
					d.PasswordHash != c.PasswordHash || !bytes.Equal(d.Metadata, c.Metadata) || d.HasAccount != c.HasAccount {
					t.Errorf("%s: %+v, want %+v", id, d, c)
				}
			}
		})
	}
}

func TestMedusaV2Export(t *testing.T) {
	st := memory.New()
	res := run(t, st, readFile(t, "medusa-v2-customer.csv"), options(importer.FormatMedusaV2))
	checkCounts(t, res, counts{rows: 7, imported: 4, skipped: 2, errors: 1})
	checkErrors(t, res, map[int]string{6: "no password in provider_metadata"})

	ann := get(t, st, "cus_01J5V2A0B1C2D3E4F5G6H7J8K9")
	if !ann.HasAccount || ann.PasswordHash != hashMedusaV2 || string(ann.Metadata) != `{"tier":"gold"}` {
		t.Errorf("ann = %+v", ann)
	}
	guest := get(t, st, "cus_01J5V2B1C2D3E4F5G6H7J8K9M0")
	if guest.HasAccount || guest.PasswordHash != "" {
		t.Errorf("a customer without an emailpass identity must be a guest: %+v", guest)
	}
	if c := get(t, st, "cus_01J5V2C2D3E4F5G6H7J8K9M0N1"); !strings.HasPrefix(c.PasswordHash, "c2NyeXB0AAwAAAAI") {
		t.Errorf("custom hashConfig row %+v", c)
	}
	for _, id := range []string{"cus_01J5V2D3E4F5G6H7J8K9M0N1P2", "cus_01J5V2E4F5G6H7J8K9M0N1P2Q3", "cus_01J5V2F5G6H7J8K9M0N1P2Q3R4"} {
		if _, err := st.GetCustomer(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s was imported: %v", id, err)
		}
	}
	// Without customer.email, the identity's entity_id is the e-mail.
	if c := get(t, st, "cus_01J5V2G6H7J8K9M0N1P2Q3R4S5"); c.Email != "entity@example.com" || c.PasswordHash == "" {
		t.Errorf("entity_id row %+v", c)
	}
}

func TestJSONL(t *testing.T) {
	st := memory.New()
	res := run(t, st, readFile(t, "customers.jsonl"), options(importer.FormatJSONL))
	checkCounts(t, res, counts{rows: 11, imported: 4, errors: 7})
	checkErrors(t, res, map[int]string{
		6:  "password is not accepted",
		7:  "unknown field \"passwordHash\"",
		8:  "not valid JSON",
		9:  "no known hash format",
		10: "not a JSON object",
		11: "created_at",
		12: "metadata must be a JSON object",
	})
	argon := get(t, st, "cus_01HA0000000000000000000001")
	if !strings.HasPrefix(argon.PasswordHash, "$argon2id$") || argon.Phone != "+1 555 0100" || string(argon.Metadata) != `{"source":"legacy-app"}` ||
		!argon.CreatedAt.Equal(time.Date(2021, 7, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("argon = %+v", argon)
	}
	// A hash is trimmed; a row without an id gets a new one.
	dj := byEmail(t, st, "django@example.com")
	if dj.PasswordHash != hashDjango || !strings.HasPrefix(dj.ID, "cus_GEN") || !dj.CreatedAt.Equal(testNow) {
		t.Errorf("django = %+v", dj)
	}
	// An id that is not a safe identifier is replaced.
	wz := byEmail(t, st, "werkzeug@example.com")
	if wz.ID == "legacy/user/42" || !strings.HasPrefix(wz.ID, "cus_GEN") {
		t.Errorf("unsafe id kept: %q", wz.ID)
	}
	if want := time.Date(2020, 2, 29, 18, 29, 59, 999000000, time.UTC); !wz.CreatedAt.Equal(want) {
		t.Errorf("created %v, want %v", wz.CreatedAt, want)
	}
	g := byEmail(t, st, "guest@example.com")
	if g.HasAccount || g.FirstName != "Ünïcødé" || g.LastName != "Gäst 🛒" {
		t.Errorf("guest = %+v", g)
	}
}

func TestAutoDetects(t *testing.T) {
	for file, want := range map[string]importer.Format{
		"medusa-v1-customer.csv": importer.FormatMedusaV1,
		"medusa-v2-customer.csv": importer.FormatMedusaV2,
		"customers.jsonl":        importer.FormatJSONL,
	} {
		res := run(t, memory.New(), "\n  "+readFile(t, file), options(importer.FormatAuto))
		if res.Format != want {
			t.Errorf("%s: detected %q, want %q", file, res.Format, want)
		}
		if want != importer.FormatJSONL {
			res = run(t, memory.New(), readFile(t, file), options(importer.FormatCSV))
			if res.Format != want {
				t.Errorf("%s as CSV: detected %q, want %q", file, res.Format, want)
			}
		}
	}
	if _, err := importer.Import(context.Background(), memory.New(), strings.NewReader(`{"email":"a@example.com"}`), options(importer.FormatCSV)); err == nil {
		t.Error("JSON lines accepted as CSV")
	}
	// Empty input: nothing to do, for every format.
	for _, f := range []importer.Format{importer.FormatAuto, importer.FormatJSONL, importer.FormatMedusaV1, importer.FormatMedusaV2, importer.FormatCSV} {
		res := run(t, memory.New(), "", options(f))
		checkCounts(t, res, counts{})
	}
}

func TestRerunChangesNothing(t *testing.T) {
	for _, file := range []string{"medusa-v1-customer.csv", "medusa-v2-customer.csv", "customers.jsonl", "psql-medusa-v1.csv", "psql-medusa-v2.csv"} {
		t.Run(file, func(t *testing.T) {
			st := memory.New()
			in := readFile(t, file)
			first := run(t, st, in, options(importer.FormatAuto))
			before := snapshot(t, st)
			second := run(t, st, in, options(importer.FormatAuto))
			if second.Imported != 0 || second.Updated != 0 {
				t.Errorf("the re-run imported %d and updated %d", second.Imported, second.Updated)
			}
			if second.Rows != first.Rows || len(second.Errors) != len(first.Errors) {
				t.Errorf("re-run %+v, first run %+v", second, first)
			}
			if second.Skipped != first.Rows-int64(len(first.Errors)) {
				t.Errorf("re-run skipped %d of %d good rows", second.Skipped, first.Rows-int64(len(first.Errors)))
			}
			after := snapshot(t, st)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("the re-run changed the table")
			}
		})
	}
}

// TestSQLiteRerun runs the exports twice against the real database, whose metadata and
// times come back in their own forms.
func TestSQLiteRerun(t *testing.T) {
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, file := range []string{"medusa-v1-customer.csv", "medusa-v2-customer.csv", "customers.jsonl"} {
		in := readFile(t, file)
		first := run(t, st, in, options(importer.FormatAuto))
		if first.Imported == 0 {
			t.Errorf("%s: nothing imported: %+v", file, first)
		}
		second := run(t, st, in, options(importer.FormatAuto))
		if second.Imported != 0 || second.Updated != 0 {
			t.Errorf("%s: the re-run imported %d and updated %d", file, second.Imported, second.Updated)
		}
	}
	// The v1 and v2 files share ann@example.com under two IDs: the second is refused.
	if c := byEmail(t, st, "ann@example.com"); c.ID != "cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E" {
		t.Errorf("ann is %s", c.ID)
	}
}

// migrate does what a sign-in does once the pool holds the password.
func migrate(t *testing.T, st store.Customers, id string) store.Customer {
	t.Helper()
	c := get(t, st, id)
	c.PasswordHash, c.MigratedAt, c.UpdatedAt = "", testNow, testNow
	if err := st.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return get(t, st, id)
}

func TestMigratedHashNeverComesBack(t *testing.T) {
	st := memory.New()
	in := readFile(t, "medusa-v1-customer.csv")
	run(t, st, in, options(importer.FormatAuto))
	const ann = "cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E"
	migrated := migrate(t, st, ann)

	res := run(t, st, in, options(importer.FormatAuto))
	if res.Imported != 0 || res.Updated != 0 {
		t.Errorf("re-run after a migration: %+v", res)
	}
	if c := get(t, st, ann); c.PasswordHash != "" || !c.HasAccount || c.Version != migrated.Version {
		t.Fatalf("the hash came back: %+v", c)
	}

	// A newer export with changed profile fields: the profile follows, the hash does not.
	changed := strings.Replace(in, "Ann,Example", "Ann,King", 1)
	res = run(t, st, changed, options(importer.FormatAuto))
	if res.Updated != 1 {
		t.Errorf("profile change: %+v", res)
	}
	if c := get(t, st, ann); c.PasswordHash != "" || c.LastName != "King" {
		t.Errorf("after a profile change: %+v", c)
	}

	// Keyed on the e-mail (JSONL without an id), the same.
	line := `{"email":"ANN@example.com","password_hash":"` + hashBcrypt + `"}` + "\n"
	res = run(t, st, line, options(importer.FormatAuto))
	if res.Skipped != 1 {
		t.Errorf("by e-mail: %+v", res)
	}
	if c := get(t, st, ann); c.PasswordHash != "" {
		t.Errorf("the hash came back by e-mail: %+v", c)
	}
}

func TestRegisteredThroughPoolKeepsNoHash(t *testing.T) {
	st := memory.New()
	// Registered through the pool: an account, no hash, never migrated.
	c := store.Customer{ID: "cus_REGISTERED", Email: "new@example.com", HasAccount: true, State: store.StateActive,
		CreatedAt: testNow, UpdatedAt: testNow}
	if err := st.CreateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	in := `{"id":"cus_REGISTERED","email":"new@example.com","first_name":"New","password_hash":"` + hashBcrypt + `"}` + "\n"
	res := run(t, st, in, options(importer.FormatJSONL))
	if res.Updated != 1 {
		t.Errorf("%+v", res)
	}
	if got := get(t, st, "cus_REGISTERED"); got.PasswordHash != "" || got.FirstName != "New" || !got.HasAccount {
		t.Errorf("%+v", got)
	}
}

func TestGuests(t *testing.T) {
	st := memory.New()
	run(t, st, `{"id":"cus_G","email":"g@example.com","first_name":"Gus"}`+"\n", options(importer.FormatJSONL))
	if c := get(t, st, "cus_G"); c.HasAccount || c.PasswordHash != "" {
		t.Fatalf("guest %+v", c)
	}
	// The guest later registered in the old system: the row now has a hash.
	res := run(t, st, `{"id":"cus_G","email":"g@example.com","password_hash":"`+hashBcrypt+`"}`+"\n", options(importer.FormatJSONL))
	if res.Updated != 1 {
		t.Errorf("%+v", res)
	}
	if c := get(t, st, "cus_G"); !c.HasAccount || c.PasswordHash != hashBcrypt || c.FirstName != "Gus" {
		t.Errorf("upgraded guest %+v", c)
	}
	// An older export where they were a guest takes nothing away.
	res = run(t, st, `{"id":"cus_G","email":"g@example.com","first_name":"Gus"}`+"\n", options(importer.FormatJSONL))
	if res.Skipped != 1 {
		t.Errorf("%+v", res)
	}
	if c := get(t, st, "cus_G"); !c.HasAccount || c.PasswordHash != hashBcrypt {
		t.Errorf("a guest row took the account away: %+v", c)
	}
	// A guest row keyed on the e-mail of a customer with an account changes nothing.
	res = run(t, st, `{"email":"G@example.com","first_name":"Someone else"}`+"\n", options(importer.FormatJSONL))
	if res.Skipped != 1 {
		t.Errorf("%+v", res)
	}
	if c := get(t, st, "cus_G"); c.FirstName != "Gus" {
		t.Errorf("a guest row changed an account: %+v", c)
	}
	// A guest under another id with that e-mail is skipped too (the account keeps it).
	res = run(t, st, `{"id":"cus_OTHER","email":"g@example.com"}`+"\n", options(importer.FormatJSONL))
	if res.Skipped != 1 || len(res.Errors) != 0 {
		t.Errorf("%+v", res)
	}
	// An account under another id with that e-mail is an error: two accounts, one e-mail.
	res = run(t, st, `{"id":"cus_OTHER","email":"g@example.com","password_hash":"`+hashDjango+`"}`+"\n", options(importer.FormatJSONL))
	checkErrors(t, res, map[int]string{1: "belongs to another customer here (cus_G)"})
}

func TestDuplicateRows(t *testing.T) {
	st := memory.New()
	row := `{"id":"cus_D","email":"d@example.com","first_name":"Dee","password_hash":"` + hashBcrypt + `"}`
	other := `{"id":"cus_D","email":"d@example.com","first_name":"Dum","password_hash":"` + hashBcrypt + `"}`
	noID := `{"email":"D@EXAMPLE.COM","first_name":"Dum"}`
	noIDAccount := `{"email":"D@EXAMPLE.COM","first_name":"Dum","password_hash":"` + hashDjango + `"}`
	in := strings.Join([]string{row, row, other, noID, noIDAccount}, "\n") + "\n"
	res := run(t, st, in, options(importer.FormatJSONL))
	checkCounts(t, res, counts{rows: 5, imported: 1, skipped: 2, errors: 2})
	checkErrors(t, res, map[int]string{3: "from line 1 already", 5: "from line 1 already"})
	if c := get(t, st, "cus_D"); c.FirstName != "Dee" || c.PasswordHash != hashBcrypt {
		t.Errorf("the first row must win: %+v", c)
	}
	// And a re-run settles on the same.
	res = run(t, st, in, options(importer.FormatJSONL))
	checkCounts(t, res, counts{rows: 5, skipped: 3, errors: 2})

	// The same customer twice in a CSV export.
	st = memory.New()
	csvIn := "id,email,password_hash,has_account\n" +
		"cus_A,a@example.com," + hashMedusaV1 + ",t\n" +
		"cus_A,a@example.com," + hashMedusaV1 + ",t\n"
	res = run(t, st, csvIn, options(importer.FormatAuto))
	checkCounts(t, res, counts{rows: 2, imported: 1, skipped: 1})
}

func TestEmailRules(t *testing.T) {
	st := memory.New()
	run(t, st, `{"id":"cus_ACC","email":"acc@example.com","password_hash":"`+hashBcrypt+`"}`+"\n"+
		`{"id":"cus_GST","email":"gst@example.com"}`+"\n", options(importer.FormatJSONL))
	// A customer with an account keeps their e-mail here (the pool holds a copy).
	res := run(t, st, `{"id":"cus_ACC","email":"moved@example.com"}`+"\n", options(importer.FormatJSONL))
	checkErrors(t, res, map[int]string{1: "does not change the e-mail"})
	// Only the letter case differs: the stored form stays, nothing changes.
	res = run(t, st, `{"id":"cus_ACC","email":"ACC@example.com"}`+"\n", options(importer.FormatJSONL))
	if res.Skipped != 1 || get(t, st, "cus_ACC").Email != "acc@example.com" {
		t.Errorf("%+v", res)
	}
	// A guest's e-mail follows the export.
	res = run(t, st, `{"id":"cus_GST","email":"gst2@example.com"}`+"\n", options(importer.FormatJSONL))
	if res.Updated != 1 || get(t, st, "cus_GST").Email != "gst2@example.com" {
		t.Errorf("%+v", res)
	}
	// ... unless another customer holds it.
	res = run(t, st, `{"id":"cus_GST","email":"acc@example.com"}`+"\n", options(importer.FormatJSONL))
	checkErrors(t, res, map[int]string{1: "belongs to another customer"})
}

func TestStatesHere(t *testing.T) {
	st := memory.New()
	for _, c := range []store.Customer{
		{ID: "cus_PENDING", Email: "p@example.com", HasAccount: true, State: store.StatePending},
		{ID: "cus_DELETED", Email: "d@example.com", HasAccount: true, State: store.StateDeleted},
		{ID: "cus_DELETING", Email: "x@example.com", HasAccount: true, State: store.StateDeleting},
	} {
		c.CreatedAt, c.UpdatedAt = testNow, testNow
		if err := st.CreateCustomer(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	in := `{"id":"cus_PENDING","email":"p@example.com","password_hash":"` + hashBcrypt + `"}` + "\n" +
		`{"id":"cus_DELETED","email":"d@example.com","password_hash":"` + hashBcrypt + `"}` + "\n" +
		`{"id":"cus_DELETING","email":"x@example.com","password_hash":"` + hashBcrypt + `"}` + "\n"
	res := run(t, st, in, options(importer.FormatJSONL))
	checkCounts(t, res, counts{rows: 3, skipped: 2, errors: 1})
	checkErrors(t, res, map[int]string{1: "being registered"})
	if c := get(t, st, "cus_DELETED"); c.State != store.StateDeleted || c.PasswordHash != "" {
		t.Errorf("a deleted customer came back: %+v", c)
	}
}

func TestLegacyHashReplaced(t *testing.T) {
	st := memory.New()
	run(t, st, `{"id":"cus_L","email":"l@example.com","password_hash":"`+hashBcrypt+`"}`+"\n", options(importer.FormatJSONL))
	c := get(t, st, "cus_L")
	c.PasswordChangeRequired = true
	if err := st.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// The old system's password changed since: the newer hash replaces the older.
	res := run(t, st, `{"id":"cus_L","email":"l@example.com","password_hash":"`+hashDjango+`"}`+"\n", options(importer.FormatJSONL))
	if res.Updated != 1 {
		t.Errorf("%+v", res)
	}
	if c := get(t, st, "cus_L"); c.PasswordHash != hashDjango || c.PasswordChangeRequired {
		t.Errorf("%+v", c)
	}
	// While a sign-in is migrating the customer, the hash is left alone.
	c = get(t, st, "cus_L")
	c.CredentialLeaseUntil = testNow.Add(time.Minute)
	if err := st.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	res = run(t, st, `{"id":"cus_L","email":"l@example.com","password_hash":"`+hashBcrypt+`"}`+"\n", options(importer.FormatJSONL))
	checkErrors(t, res, map[int]string{1: "being migrated right now"})
}

func TestStrict(t *testing.T) {
	st := memory.New()
	opts := options(importer.FormatMedusaV1)
	opts.Strict = true
	res, err := importer.Import(context.Background(), st, strings.NewReader(readFile(t, "medusa-v1-customer.csv")), opts)
	var le *importer.LineError
	if !errors.As(err, &le) || le.Line != 10 {
		t.Fatalf("strict: %v", err)
	}
	if !strings.HasPrefix(res.Stopped, "line 10: has_account is true") {
		t.Errorf("stopped %q", res.Stopped)
	}
	// The rows before it are in; nothing after it.
	checkCounts(t, res, counts{rows: 6, imported: 4, skipped: 1, errors: 1})
	if _, err := st.GetCustomer(context.Background(), "cus_01GQ8ZX7G8H9J0K1M2N3P4Q5R6"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a row after the stop was imported: %v", err)
	}
	// Without strict mode the same file goes to the end.
	res = run(t, st, readFile(t, "medusa-v1-customer.csv"), options(importer.FormatMedusaV1))
	if res.Stopped != "" || res.Rows != 11 {
		t.Errorf("%+v", res)
	}
}

func TestBadInput(t *testing.T) {
	t.Run("long JSONL line is skipped", func(t *testing.T) {
		opts := options(importer.FormatJSONL)
		opts.MaxRecordBytes = 200
		long := `{"email":"long@example.com","first_name":"` + strings.Repeat("x", 500) + `"}`
		in := `{"email":"a@example.com"}` + "\n" + long + "\n" + `{"email":"b@example.com"}` + "\n"
		res := run(t, memory.New(), in, opts)
		checkCounts(t, res, counts{rows: 3, imported: 2, errors: 1})
		checkErrors(t, res, map[int]string{2: "longer than 200 bytes"})
	})
	t.Run("long CSV record stops", func(t *testing.T) {
		opts := options(importer.FormatMedusaV1)
		opts.MaxRecordBytes = 200
		in := "email,password_hash\na@example.com,\n\"never closed,\n" + strings.Repeat("x", 100000) + "\n"
		res, err := importer.Import(context.Background(), memory.New(), strings.NewReader(in), opts)
		if err == nil || !strings.Contains(err.Error(), "longer than 200 bytes") {
			t.Fatalf("%v", err)
		}
		checkCounts(t, res, counts{rows: 2, imported: 1, errors: 1})
	})
	t.Run("CSV syntax and field count", func(t *testing.T) {
		in := "email,password_hash,first_name\n" +
			"a@example.com,,\"bare \"quote\"\n" +
			"b@example.com,\n" +
			"c@example.com,,\"multi\nline\"\n" + // a name with a line break is refused
			"d@example.com,,Dee\n"
		res := run(t, memory.New(), in, options(importer.FormatAuto))
		checkCounts(t, res, counts{rows: 4, imported: 1, errors: 3})
		checkErrors(t, res, map[int]string{2: "not valid CSV", 3: "wrong number of fields", 4: "control characters"})
	})
	t.Run("invalid UTF-8", func(t *testing.T) {
		res := run(t, memory.New(), "email,password_hash,first_name\nbad@example.com,,\xff\xfe\n", options(importer.FormatAuto))
		checkErrors(t, res, map[int]string{2: "not valid UTF-8"})
		res = run(t, memory.New(), "{\"email\":\"bad@example.com\",\"first_name\":\"\xff\"}\n", options(importer.FormatAuto))
		checkErrors(t, res, map[int]string{1: "not valid UTF-8"})
	})
	t.Run("headers", func(t *testing.T) {
		for in, want := range map[string]string{
			"name,age\nx,1\n":             "neither Medusa v1 columns",
			"id,email,id,password_hash\n": `column "id" appears twice`,
			"id,email,first_name\n":       "lacks column password_hash",
			"id,provider,email\n":         "lacks column provider_metadata",
			"\"unterminated,email\n":      "header is not valid CSV",
		} {
			_, err := importer.Import(context.Background(), memory.New(), strings.NewReader(in), options(importer.FormatAuto))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: %v, want %q", in, err, want)
			}
		}
		_, err := importer.Import(context.Background(), memory.New(), strings.NewReader(readFile(t, "medusa-v2-customer.csv")), options(importer.FormatMedusaV1))
		if err == nil || !strings.Contains(err.Error(), "password_hash") {
			t.Errorf("v2 file as v1: %v", err)
		}
	})
	t.Run("error list is bounded", func(t *testing.T) {
		opts := options(importer.FormatJSONL)
		opts.MaxErrors = 3
		res := run(t, memory.New(), strings.Repeat("not json\n", 10), opts)
		if len(res.Errors) != 3 || res.ErrorsOmitted != 7 {
			t.Errorf("%d listed, %d omitted", len(res.Errors), res.ErrorsOmitted)
		}
	})
	t.Run("options", func(t *testing.T) {
		if _, err := importer.Import(context.Background(), memory.New(), strings.NewReader(""), importer.Options{}); err == nil {
			t.Error("no NewID accepted")
		}
		if _, err := importer.ParseFormat("xml"); err == nil {
			t.Error("unknown format accepted")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := importer.Import(ctx, memory.New(), strings.NewReader(readFile(t, "customers.jsonl")), options("")); !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled import: %v", err)
		}
	})
}

func TestProgress(t *testing.T) {
	var lines []string
	for i := range 5 {
		lines = append(lines, fmt.Sprintf(`{"email":"p%d@example.com"}`, i))
	}
	var got []importer.Progress
	opts := options(importer.FormatJSONL)
	opts.ProgressEvery = 2
	opts.Progress = func(p importer.Progress) { got = append(got, p) }
	run(t, memory.New(), strings.Join(lines, "\n"), opts)
	want := []importer.Progress{{Rows: 2, Imported: 2}, {Rows: 4, Imported: 4}, {Rows: 5, Imported: 5, Done: true}}
	if !slices.Equal(got, want) {
		t.Errorf("progress %+v, want %+v", got, want)
	}
}

func TestResultJSON(t *testing.T) {
	res := run(t, memory.New(), "", options(importer.FormatJSONL))
	b, _ := json.Marshal(res)
	if string(b) != `{"format":"jsonl","rows":0,"imported":0,"updated":0,"skipped":0,"errors":[]}` {
		t.Errorf("%s", b)
	}
}

func TestSafeID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E": true, "a-b_C9": true, "": false, "a b": false, "a/b": false,
		"é": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "a\x00": false,
	} {
		if importer.SafeID(id) != ok {
			t.Errorf("SafeID(%q) = %v", id, !ok)
		}
	}
}

// TestPsqlExports imports what psql's \copy wrote with the README's queries, from tables
// made with Medusa's own definitions (v1's customer table; v2's customer, auth_identity and
// provider_identity).
func TestPsqlExports(t *testing.T) {
	st := memory.New()
	res := run(t, st, readFile(t, "psql-medusa-v1.csv"), options(importer.FormatAuto))
	checkCounts(t, res, counts{rows: 4, imported: 3, skipped: 1})
	ann := get(t, st, "cus_01GQ8ZK3V4N6T2W9XJ5B7C1D3E")
	if ann.LastName != "Example, Senior" || ann.PasswordHash != hashMedusaV1 || !sameJSONText(t, ann.Metadata, `{"nl":"a\nb","tier":"gold","quote":"say \"hi\""}`) {
		t.Errorf("ann = %+v (metadata %s)", ann, ann.Metadata)
	}
	// Medusa v1 had a guest and an account with gwen@example.com: the account stays.
	if g := byEmail(t, st, "gwen@example.com"); g.ID != "cus_01GQ8ZM0A1B2C3D4E5F6G7H8JA" || !g.HasAccount {
		t.Errorf("gwen = %+v", g)
	}

	st = memory.New()
	res = run(t, st, readFile(t, "psql-medusa-v2.csv"), options(importer.FormatAuto))
	checkCounts(t, res, counts{rows: 4, imported: 4})
	if res.Format != importer.FormatMedusaV2 {
		t.Errorf("format %s", res.Format)
	}
	for id, hash := range map[string]string{"cus_A": hashMedusaV2, "cus_G": "", "cus_S": "", "cus_B": hashBcrypt} {
		if c := get(t, st, id); c.PasswordHash != hash || c.HasAccount != (hash != "") {
			t.Errorf("%s = %+v", id, c)
		}
	}
}

func sameJSONText(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
