package storeauth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/importer"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
)

// A bcrypt hash of importPassword made by bcryptjs (legacyhash/testdata/vectors.json).
const (
	importPassword = "correct horse battery staple"
	importHash     = "$2b$04$Ve0KvBGFf2bgwblntVCrfeL1OhyGSW449u4ZT6xUpYjluIyV9oDNC"
	importV1Hash   = "c2NyeXB0AAEAAAABAAAAAZPlMmrQQqt6b7bv2WsxKGWSgdf3o88rUuL31QbAdXTOC1FanK8qt/kxhe6x4hJWNWRrXhrQcpHivP2l/f71eFtBdL9XW6Ofm16xPMKMe1sa"
)

type importEnv struct {
	store *memory.Store
	srv   *httptest.Server
}

func newImportEnv(t *testing.T, cfg storeauth.HandlerConfig) importEnv {
	t.Helper()
	st := memory.New()
	svc, err := storeauth.New(storeauth.Config{Customers: st, Sessions: st, Pool: &openapiFakePool{users: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = openapiAdminToken
	}
	api, err := svc.Handler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return importEnv{store: st, srv: srv}
}

func (e importEnv) post(t *testing.T, query, contentType string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/admin/customers/import"+query, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+openapiAdminToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// importLines reads an NDJSON answer: the progress lines and the result.
func importLines(t *testing.T, resp *http.Response) ([]importer.Progress, importer.Result) {
	t.Helper()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var progress []importer.Progress
	var result *importer.Result
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if result != nil {
			t.Fatalf("a line after the result: %s", sc.Text())
		}
		var p struct {
			Progress *importer.Progress `json:"progress"`
		}
		if json.Unmarshal(sc.Bytes(), &p) == nil && p.Progress != nil {
			progress = append(progress, *p.Progress)
			continue
		}
		var r importer.Result
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		result = &r
	}
	if result == nil {
		t.Fatal("no result line")
	}
	return progress, *result
}

func jsonlCustomers(n int, offset int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":"cus_IMP%06d","email":"c%d@example.com","first_name":"C%d","password_hash":%q}`+"\n", offset+i, offset+i, offset+i, importHash)
	}
	return b.String()
}

func TestImportRouteJSONL(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{})
	progress, res := importLines(t, e.post(t, "", "application/x-ndjson", strings.NewReader(jsonlCustomers(2500, 0))))
	if res.Imported != 2500 || res.Rows != 2500 || len(res.Errors) != 0 || res.Format != importer.FormatJSONL {
		t.Errorf("result %+v", res)
	}
	if len(progress) != 2 || progress[0].Rows != 1000 || progress[1].Rows != 2000 || progress[1].Imported != 2000 {
		t.Errorf("progress %+v", progress)
	}
	// Again: nothing changes.
	_, res = importLines(t, e.post(t, "", "application/x-ndjson; charset=utf-8", strings.NewReader(jsonlCustomers(2500, 0))))
	if res.Imported != 0 || res.Updated != 0 || res.Skipped != 2500 {
		t.Errorf("re-run %+v", res)
	}
}

func TestImportRouteCSV(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{})
	v1 := "id,email,first_name,last_name,billing_address_id,password_hash,phone,has_account,created_at,updated_at,deleted_at,metadata\n" +
		"cus_V1A,a@example.com,\"Example, Ann\",,,," + "" + ",f,2023-01-01 00:00:00+00,2023-01-01 00:00:00+00,,\n" +
		"cus_V1B,b@example.com,B,,," + importV1Hash + ",,t,2023-01-01 00:00:00+00,2023-01-01 00:00:00+00,,\"{\"\"x\"\": 1}\"\n"
	_, res := importLines(t, e.post(t, "", "text/csv", strings.NewReader(v1)))
	if res.Format != importer.FormatMedusaV1 || res.Imported != 2 {
		t.Errorf("v1 %+v", res)
	}
	v2 := "id,email,first_name,last_name,phone,has_account,metadata,created_at,deleted_at,entity_id,provider,provider_metadata\n" +
		"cus_V2A,c@example.com,C,,,t,,2024-01-01 00:00:00+00,,c@example.com,emailpass,\"{\"\"password\"\": \"\"" + importHash + "\"\"}\"\n" +
		"cus_V2B,d@example.com,D,,,t,,2024-01-01 00:00:00+00,,,,\n"
	_, res = importLines(t, e.post(t, "", "text/csv; charset=UTF-8", strings.NewReader(v2)))
	if res.Format != importer.FormatMedusaV2 || res.Imported != 2 {
		t.Errorf("v2 %+v", res)
	}
	if c, err := e.store.GetCustomer(context.Background(), "cus_V2A"); err != nil || c.PasswordHash != importHash || !c.HasAccount {
		t.Errorf("v2 account %+v %v", c, err)
	}
	if c, err := e.store.GetCustomer(context.Background(), "cus_V2B"); err != nil || c.HasAccount {
		t.Errorf("v2 guest %+v %v", c, err)
	}
}

func TestImportRouteRefusals(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{MaxImportBytes: 4096})
	errorOf := func(resp *http.Response) (int, string) {
		t.Helper()
		var body struct{ Type, Message string }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d: not a JSON error (%v)", resp.StatusCode, err)
		}
		return resp.StatusCode, body.Type + ": " + body.Message
	}
	for _, tc := range []struct {
		name, query, ct, body string
		status                int
		want                  string
	}{
		{"JSON", "", "application/json", `{"email":"a@example.com"}`, 415, "unsupported_media_type"},
		{"no type", "", "", "x", 415, "unsupported_media_type"},
		{"latin-1", "", "text/csv; charset=iso-8859-1", "email,password_hash\n", 415, "UTF-8"},
		{"strict", "?strict=maybe", "text/csv", "email,password_hash\n", 400, "strict must be true or false"},
		{"header", "", "text/csv", "name,age\nx,1\n", 400, "neither Medusa v1 columns"},
		{"JSONL as CSV", "", "text/csv", `{"email":"a@example.com"}` + "\n", 400, "JSON lines, not CSV"},
		{"too large", "", "application/x-ndjson", `{"email":"a@example.com","first_name":"` + strings.Repeat("x", 5000) + `"}`, 413, "larger than 4096 bytes"},
	} {
		status, msg := errorOf(e.post(t, tc.query, tc.ct, strings.NewReader(tc.body)))
		if status != tc.status || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, msg, tc.status, tc.want)
		}
	}

	// Past the first rows the answer is streaming already: the limit shows in the result.
	_, res := importLines(t, e.post(t, "", "application/x-ndjson", strings.NewReader(jsonlCustomers(100, 0))))
	if res.Stopped == "" || !strings.Contains(res.Stopped, "larger than 4096") || res.Imported == 0 {
		t.Errorf("over the limit after some rows: %+v", res)
	}

	// The admin token is required, and the admin API may be off.
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/customers/import", strings.NewReader("x"))
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %d", resp.StatusCode)
	}
	st := memory.New()
	svc, _ := storeauth.New(storeauth.Config{Customers: st, Sessions: st, Pool: &openapiFakePool{users: map[string]string{}}})
	off, _ := svc.Handler(storeauth.HandlerConfig{})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/admin/customers/import", strings.NewReader("x"))
	r.Header.Set("Authorization", "Bearer anything")
	r.Header.Set("Content-Type", "text/csv")
	off.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("admin API off: %d", rec.Code)
	}
}

func TestImportRouteStrict(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{})
	body := jsonlCustomers(3, 0) + "not json\n" + jsonlCustomers(3, 10)
	_, res := importLines(t, e.post(t, "?strict=true", "application/x-ndjson", strings.NewReader(body)))
	if res.Imported != 3 || len(res.Errors) != 1 || res.Errors[0].Line != 4 || !strings.HasPrefix(res.Stopped, "line 4:") {
		t.Errorf("strict %+v", res)
	}
	_, res = importLines(t, e.post(t, "?strict=false", "application/x-ndjson", strings.NewReader(body)))
	if res.Imported != 3 || res.Skipped != 3 || len(res.Errors) != 1 || res.Stopped != "" {
		t.Errorf("not strict %+v", res)
	}
}

// TestImportRouteStreams reads progress while the body is still being sent.
func TestImportRouteStreams(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { io.WriteString(pw, jsonlCustomers(1500, 0)) }()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/admin/customers/import", pr)
	req.Header.Set("Authorization", "Bearer "+openapiAdminToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	type answer struct {
		resp *http.Response
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		got <- answer{resp, err}
	}()
	var a answer
	select {
	case a = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer while the body is still open")
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	defer a.resp.Body.Close()
	br := bufio.NewReader(a.resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, `{"progress":{"rows":1000,`) {
		t.Fatalf("first line %q %v", first, err)
	}
	// Only now the rest of the body.
	go func() {
		io.WriteString(pw, jsonlCustomers(500, 5000))
		pw.Close()
	}()
	rest, _ := io.ReadAll(br)
	lines := strings.Split(strings.TrimSpace(string(rest)), "\n")
	var res importer.Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Imported != 2000 || len(lines) != 2 {
		t.Errorf("after the first line: %s (%v)", rest, err)
	}
}

// TestImportedCustomerSignsIn: an imported legacy customer signs in with the old password,
// and the sign-in moves it into the pool.
func TestImportedCustomerSignsIn(t *testing.T) {
	e := newImportEnv(t, storeauth.HandlerConfig{PublicURL: "http://shop.test"})
	_, res := importLines(t, e.post(t, "", "application/x-ndjson", strings.NewReader(
		`{"id":"cus_LEGACY","email":"legacy@example.com","password_hash":"`+importHash+`"}`+"\n")))
	if res.Imported != 1 {
		t.Fatalf("%+v", res)
	}
	body, _ := json.Marshal(map[string]string{"email": "legacy@example.com", "password": importPassword})
	resp, err := http.Post(e.srv.URL+"/store/auth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, b)
	}
	c, err := e.store.GetCustomer(context.Background(), "cus_LEGACY")
	if err != nil || c.PasswordHash != "" || c.MigratedAt.IsZero() {
		t.Errorf("after the first sign-in: %+v %v", c, err)
	}
	// A re-import never puts the hash back.
	_, res = importLines(t, e.post(t, "", "application/x-ndjson", strings.NewReader(
		`{"id":"cus_LEGACY","email":"legacy@example.com","password_hash":"`+importHash+`"}`+"\n")))
	if res.Skipped != 1 {
		t.Errorf("%+v", res)
	}
	if c, _ := e.store.GetCustomer(context.Background(), "cus_LEGACY"); c.PasswordHash != "" {
		t.Errorf("the hash came back: %+v", c)
	}
	n, _ := e.store.CountCustomers(context.Background(), time.Time{})
	if n != (store.CustomerCounts{Total: 1, Migrated: 1, MigratedSince: 1}) {
		t.Errorf("counts %+v", n)
	}
}

// TestImportOpenAPIExamples: the documented examples import without a row error.
func TestImportOpenAPIExamples(t *testing.T) {
	d := loadOpenAPI(t)
	content := d.obj(d.obj(d.obj(d.obj(d.obj(d.root["paths"])["/admin/customers/import"])["post"])["requestBody"])["content"])
	if len(content) != 2 {
		t.Fatalf("request media types %v", content)
	}
	for mt, m := range content {
		e := newImportEnv(t, storeauth.HandlerConfig{})
		ex, _ := d.obj(m)["example"].(string)
		_, res := importLines(t, e.post(t, "", mt, strings.NewReader(ex)))
		if res.Imported == 0 || len(res.Errors) != 0 {
			t.Errorf("%s example: %+v", mt, res)
		}
	}
}
