package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/hashless/hashless/internal/browsertest"
)

// The migration console of `hashless serve` in headless Chromium: a real serve process on
// SQLite with customers imported with legacy (bcrypt) hashes, some of whom sign in (which
// migrates them), one with a password the embedded pool's policy refuses, and some failed
// sign-ins. The console must show those numbers in its charts' tables, SVG and counts, and
// end a customer's sessions through its confirmation page, which the JSON API then
// confirms. With JavaScript on, the console sits behind the admin-token sign-in, every page
// is checked by axe-core and driven partly by keyboard; with JavaScript off, it is the open
// console of a loopback server without an admin token.

const (
	dashAdminToken = "browser-console-token-4f1c9a"
	dashWeak       = "weakpassword" // the embedded pool's policy wants upper case and digits
)

// dashCustomer is a customer of the export the test imports.
type dashCustomer struct {
	ID, Email, Password, Hash string
}

// dashCustomers are five legacy customers with passwords the pool accepts, one whose
// password it refuses, and two guests.
func dashCustomers(t *testing.T) (legacy []dashCustomer, weak dashCustomer, guests []dashCustomer) {
	t.Helper()
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	for i := range 5 {
		pw := fmt.Sprintf("Legacy-Passw0rd-%d", i)
		legacy = append(legacy, dashCustomer{ID: fmt.Sprintf("cus_dash%d", i), Email: fmt.Sprintf("legacy%d@example.com", i), Password: pw, Hash: hash(pw)})
	}
	weak = dashCustomer{ID: "cus_dashweak", Email: "weak@example.com", Password: dashWeak, Hash: hash(dashWeak)}
	for i := range 2 {
		guests = append(guests, dashCustomer{ID: fmt.Sprintf("cus_dashguest%d", i), Email: fmt.Sprintf("guest%d@example.com", i)})
	}
	return legacy, weak, guests
}

// dashJSONL is the customers as the importer's JSON lines.
func dashJSONL(t *testing.T, cs []dashCustomer) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, c := range cs {
		line := map[string]any{"id": c.ID, "email": c.Email, "first_name": "Customer", "last_name": c.ID}
		if c.Hash != "" {
			line["password_hash"] = c.Hash
		}
		j, err := json.Marshal(line)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(j, '\n'))
	}
	return b.Bytes()
}

// dashEnv is the environment of the CLI: this one's, without anything that would change
// what hashless does.
func dashEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HASHLESS_") || strings.HasPrefix(kv, "COGNITO_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true")
}

// dashRun runs the hashless binary to its end, failing the test unless it succeeds.
func dashRun(t *testing.T, bin string, stdin []byte, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = dashEnv()
	cmd.Stdin = bytes.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hashless %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// dashServe is a running `hashless serve`.
type dashServe struct {
	t    *testing.T
	base string
}

// dashStart imports the customers into a new SQLite database and starts serve on it: with
// an admin token, the import goes through the admin route; without one, through the CLI
// before serve starts, as the admin API is off.
func dashStart(t *testing.T, token string, customers []dashCustomer) *dashServe {
	t.Helper()
	bin := Binary(t, "./cmd/hashless")
	db := filepath.Join(t.TempDir(), "hashless.db")
	export := dashJSONL(t, customers)
	if token == "" {
		file := filepath.Join(t.TempDir(), "customers.jsonl")
		if err := os.WriteFile(file, export, 0o600); err != nil {
			t.Fatal(err)
		}
		dashRun(t, bin, nil, "customers", "import", "--db", db, file)
	}
	// StartProcess adds to this process's environment: the token is set (empty or not) and
	// every flag given, so nothing there changes the run.
	p := StartProcess(t, bin, []string{"HASHLESS_ADMIN_TOKEN=" + token, "AWS_EC2_METADATA_DISABLED=true"}, "serve",
		"--addr", "127.0.0.1:0", "--db", db, "--kdf", "pbkdf2-sha256:i=1000", "--dashboard", "auto", "--public-url", "")
	s := &dashServe{t: t, base: "http://" + p.Addr}
	if token != "" {
		code, body := s.call("POST", "/admin/customers/import", "application/x-ndjson", export, token)
		if code != 200 || !bytes.Contains(body, []byte(fmt.Sprintf(`"imported":%d`, len(customers)))) {
			t.Fatalf("import: %d %s", code, body)
		}
	}
	return s
}

// call sends a request and returns the status and body.
func (s *dashServe) call(method, path, contentType string, body []byte, bearer string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// signIn signs a customer in on the token route and returns the session token, or "" when
// refused.
func (s *dashServe) signIn(email, password string) string {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	code, res := s.call("POST", "/store/auth/token", "application/json", body, "")
	if code == http.StatusUnauthorized {
		return ""
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if code != 200 || json.Unmarshal(res, &out) != nil || out.AccessToken == "" {
		s.t.Fatalf("sign-in of %s: %d %s", email, code, res)
	}
	return out.AccessToken
}

// sessionLive reports whether a customer's session token is still accepted.
func (s *dashServe) sessionLive(token string) bool {
	s.t.Helper()
	code, body := s.call("GET", "/store/auth", "", nil, token)
	if code != 200 && code != http.StatusUnauthorized {
		s.t.Fatalf("GET /store/auth: %d %s", code, body)
	}
	return code == 200
}

// dashSignIns makes the sign-ins the charts must show: three legacy customers migrate, one
// of them signs in again, the weak password signs in but stays legacy, and two sign-ins
// fail. It returns the sessions of the customer who signed in twice.
func dashSignIns(t *testing.T, s *dashServe, legacy []dashCustomer, weak dashCustomer) []string {
	t.Helper()
	var tokens []string
	for _, c := range legacy[:3] {
		token := s.signIn(c.Email, c.Password)
		if token == "" {
			t.Fatalf("%s was refused", c.Email)
		}
		if c.ID == legacy[0].ID {
			tokens = append(tokens, token)
		}
	}
	tokens = append(tokens, s.signIn(legacy[0].Email, legacy[0].Password))
	if s.signIn(weak.Email, weak.Password) == "" {
		t.Fatal("the weak legacy password was refused")
	}
	if s.signIn(legacy[3].Email, "Wrong-Passw0rd") != "" || s.signIn("nobody@example.com", "Wrong-Passw0rd") != "" {
		t.Fatal("a wrong password signed in")
	}
	for _, tok := range tokens {
		if tok == "" || !s.sessionLive(tok) {
			t.Fatal("a session of the first customer is not live")
		}
	}
	return tokens
}

var dashRowRE = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
var dashCellRE = regexp.MustCompile(`<t[hd][^>]*>(?:<a [^>]*>)?([^<]*)`)

// dashTable reads a table of the page by its id: the cell texts of each row but the header.
func dashTable(b *browsertest.Browser, id string) [][]string {
	html := browsertest.Value(b, "read table "+id, chromedp.OuterHTML(chromedp.CSS("#"+id)))
	var rows [][]string
	for _, tr := range dashRowRE.FindAllStringSubmatch(html, -1) {
		if strings.Contains(tr[1], `scope="col"`) {
			continue
		}
		var row []string
		for _, m := range dashCellRE.FindAllStringSubmatch(tr[1], -1) {
			row = append(row, m[1])
		}
		rows = append(rows, row)
	}
	return rows
}

func dashText(b *browsertest.Browser, sel string) string {
	return strings.TrimSpace(browsertest.Value(b, "read "+sel, chromedp.TextContent(chromedp.CSS(sel))))
}

// dashCheckOverview checks the overview's counts, tables and charts against the sign-ins
// of dashSignIns: 3 migrated, 3 legacy (one blocked by the policy), 2 guests; sign-ins 1
// signed in, 3 migrated, 1 blocked by the policy, 2 refused.
func dashCheckOverview(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	for sel, want := range map[string]string{
		"#stat-total": "8", "#stat-legacy": "3", "#stat-migrated": "3 (50.0% of accounts)",
		"#stat-migrated-24h": "3", "#stat-blocked": "1", "#stat-guests": "2",
	} {
		if got := dashText(b, sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	mig := dashTable(b, "migration-table")
	if len(mig) != 25 {
		t.Fatalf("%d rows in the migration table, want 25: %q", len(mig), mig)
	}
	if first, last := strings.Join(mig[0], "|"), strings.Join(mig[24], "|"); !strings.HasSuffix(first, "|0|6") || last != "now|3|3" {
		t.Errorf("migration table from %q to %q, want 0 migrated and 6 legacy to now|3|3", first, last)
	}
	logins := dashTable(b, "logins-table")
	if len(logins) != 25 {
		t.Fatalf("%d rows in the sign-in table, want 25", len(logins))
	}
	// Signed in, migrated, blocked by policy, refused, throttled, error, all.
	if got := strings.Join(logins[24], "|"); got != "All|1|3|1|2|0|0|7" {
		t.Errorf("sign-in totals %q", got)
	}
	if got := strings.Join(logins[23][1:], "|"); got != "1|3|1|2|0|0|7" {
		t.Errorf("this hour's sign-ins %q", got)
	}
	desc := dashText(b, "#migration-desc")
	if !strings.Contains(desc, "Migrated customers went from 0 to 3; customers still on a legacy hash went from 6 to 3.") {
		t.Errorf("migration chart description %q", desc)
	}
	if desc := dashText(b, "#logins-desc"); !strings.Contains(desc, "7 sign-ins in all: signed in 1, migrated 3, blocked by policy 1, refused 2.") {
		t.Errorf("sign-in chart description %q", desc)
	}
	svg := browsertest.Value(b, "read the migration chart", chromedp.OuterHTML(chromedp.CSS("#migration-chart")))
	for _, want := range []string{"<title>now: 3 migrated</title>", "<title>now: 3 still legacy</title>", ">Still legacy</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the migration chart has no %q", want)
		}
	}
	svg = browsertest.Value(b, "read the sign-in chart", chromedp.OuterHTML(chromedp.CSS("#logins-chart")))
	for _, want := range []string{"3 migrated</title>", "2 refused</title>", "1 blocked by policy</title>", "1 signed in</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the sign-in chart has no bar %q", want)
		}
	}
}

// dashEndSessions ends the first customer's sessions through the confirmation page and
// checks through the JSON API that they are gone; with keyboard, by Tab and Enter.
func dashEndSessions(t *testing.T, b *browsertest.Browser, s *dashServe, c dashCustomer, tokens []string, jsOff, keyboard bool) {
	t.Helper()
	b.Run("find the customer", chromedp.SendKeys(chromedp.CSS(`#q`), c.Email), chromedp.Click(chromedp.CSS(`#find`)),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-table`)))
	if got := dashText(b, "#customer-id"); got != c.ID {
		t.Fatalf("found customer %q, want %s", got, c.ID)
	}
	if rows := dashTable(b, "sessions-table"); len(rows) != len(tokens) {
		t.Fatalf("%d sessions shown, want %d", len(rows), len(tokens))
	}
	b.Check("customer", jsOff)
	b.Run("ask to end the sessions", chromedp.Click(chromedp.CSS(`#end-sessions`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
	if got := dashText(b, "#confirm-sessions"); got != fmt.Sprint(len(tokens)) {
		t.Errorf("the confirmation counts %q sessions", got)
	}
	b.Check("confirm-end-sessions", jsOff)
	for _, tok := range tokens {
		if !s.sessionLive(tok) {
			t.Fatal("showing the confirmation ended a session")
		}
	}
	if keyboard {
		b.Run("confirm by keyboard", chromedp.Focus(chromedp.CSS(`#confirm`)), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(`#notice`)))
	} else {
		b.Run("confirm", chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`#notice`)))
	}
	if notice := dashText(b, "#notice"); !strings.Contains(notice, fmt.Sprintf("Sessions ended: %d.", len(tokens))) {
		t.Errorf("notice %q", notice)
	}
	b.Run("no sessions shown", chromedp.WaitVisible(chromedp.CSS(`#no-sessions`)))
	b.Check("sessions-ended", jsOff)
	for _, tok := range tokens {
		if s.sessionLive(tok) {
			t.Fatal("a session still works after the console ended them all")
		}
	}
}

// dashTabOrder tabs through the page from the top and returns a description of each
// element that took the focus, until the focus comes back round.
func dashTabOrder(t *testing.T, b *browsertest.Browser) []string {
	t.Helper()
	var seen []string
	for range 60 {
		b.Run("tab", chromedp.KeyEvent("\t"))
		el := browsertest.Value(b, "the focused element", chromedp.Evaluate[string](
			`(e => e === document.body ? "" : e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + ":" + (e.textContent || "").trim().slice(0, 40))(document.activeElement)`))
		if el == "" || (len(seen) > 0 && el == seen[0]) {
			break
		}
		seen = append(seen, el)
	}
	return seen
}

func TestDashboardInChromium(t *testing.T) {
	t.Run("javascript-on", func(t *testing.T) {
		legacy, weak, guests := dashCustomers(t)
		s := dashStart(t, dashAdminToken, append(append(append([]dashCustomer{}, legacy...), weak), guests...))
		tokens := dashSignIns(t, s, legacy, weak)
		b := browsertest.Start(t, browsertest.Options{Name: "dashboard-javascript-on"})

		b.Run("open the console", chromedp.Navigate(s.base+"/admin/ui/"), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
		b.Check("sign-in", false)
		b.Run("a wrong token", chromedp.SendKeys(chromedp.CSS(`#token`), "not-the-token"), chromedp.Click(chromedp.CSS(`#sign-in`)),
			chromedp.WaitVisible(chromedp.CSS(`#error`)))
		b.Check("sign-in-refused", false)
		b.Run("sign in by keyboard", chromedp.SendKeys(chromedp.CSS(`#token`), dashAdminToken+"\r"),
			chromedp.WaitVisible(chromedp.CSS(`#migration-chart`)))
		dashCheckOverview(t, b)
		b.Check("overview-24h", false)

		// Every control is reachable by keyboard, after a skip link.
		order := dashTabOrder(t, b)
		joined := strings.Join(order, "\n")
		if len(order) == 0 || !strings.HasPrefix(order[0], "a:Skip to the content") {
			t.Errorf("the first Tab stop is not the skip link: %q", order)
		}
		for _, want := range []string{"a:Migration", "a:Blocked by policy", "a:Customers", "button#sign-out:Sign out",
			"a:Last 7 days", "a:Last 30 days", "summary#migration-table-summary:The migration as a table", "summary#logins-table-summary:The sign-ins as a table",
			"a:Blocked by the password policy", "input#q:", "button#find:Find"} {
			if !strings.Contains(joined, want) {
				t.Errorf("Tab never reaches %q; the stops are:\n%s", want, joined)
			}
		}

		for _, r := range []string{"7d", "30d"} {
			b.Run("range "+r, chromedp.Click(chromedp.CSS(`a[href="/admin/ui/?range=`+r+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/ui/?range=`+r+`"][aria-current="page"]`)))
			if got := dashText(b, "#stat-migrated"); !strings.HasPrefix(got, "3") {
				t.Errorf("range %s: migrated %q", r, got)
			}
			b.Check("overview-"+r, false)
		}
		b.Run("open the tables", chromedp.Click(chromedp.CSS(`#migration-table-summary`)),
			chromedp.Focus(chromedp.CSS(`#logins-table-summary`)), chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(`#migration-table`)), chromedp.WaitVisible(chromedp.CSS(`#logins-table`)))
		b.Check("overview-30d-tables", false)

		b.Run("the blocked customers", chromedp.Click(chromedp.CSS(`header nav a[href="/admin/ui/blocked"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#blocked-table`)))
		if rows := dashTable(b, "blocked-table"); len(rows) != 1 || rows[0][0] != weak.ID {
			t.Errorf("blocked customers %q, want %s", rows, weak.ID)
		}
		b.Check("blocked", false)

		b.Run("the customer search", chromedp.Click(chromedp.CSS(`header nav a[href="/admin/ui/customers"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#search-form`)))
		b.Check("search", false)
		b.Run("search for nobody", chromedp.SendKeys(chromedp.CSS(`#q`), "nobody@example.com"), chromedp.Click(chromedp.CSS(`#find`)),
			chromedp.WaitVisible(chromedp.CSS(`#not-found`)))
		b.Check("search-not-found", false)
		b.Run("clear the search", chromedp.Clear(chromedp.CSS(`#q`)))
		dashEndSessions(t, b, s, legacy[0], tokens, false, true)

		// Disable, then enable, each confirmed; the JSON API agrees at each step.
		b.Run("ask to disable", chromedp.Click(chromedp.CSS(`#disable`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
		b.Check("confirm-disable", false)
		b.Run("disable", chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`#enable`)))
		if s.signIn(legacy[0].Email, legacy[0].Password) != "" {
			t.Fatal("a disabled customer signed in")
		}
		b.Check("disabled", false)
		b.Run("ask to enable", chromedp.Click(chromedp.CSS(`#enable`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
		b.Run("cancel", chromedp.Click(chromedp.CSS(`#cancel`)), chromedp.WaitVisible(chromedp.CSS(`#enable`)))
		b.Run("ask to enable again", chromedp.Click(chromedp.CSS(`#enable`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
		b.Run("enable", chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`#disable`)))
		if s.signIn(legacy[0].Email, legacy[0].Password) == "" {
			t.Fatal("an enabled customer cannot sign in")
		}

		b.Run("sign out", chromedp.Click(chromedp.CSS(`#sign-out`)), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
		b.Run("signed out", chromedp.Navigate(s.base+"/admin/ui/blocked"), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
		b.Check("signed-out", false)
	})

	t.Run("javascript-off", func(t *testing.T) {
		legacy, weak, guests := dashCustomers(t)
		s := dashStart(t, "", append(append(append([]dashCustomer{}, legacy...), weak), guests...))
		tokens := dashSignIns(t, s, legacy, weak)
		b := browsertest.Start(t, browsertest.Options{JavaScriptOff: true, Name: "dashboard-javascript-off"})

		// No admin token, a loopback address: the console is open to this machine.
		b.Run("open the console", chromedp.Navigate(s.base+"/admin/ui/"), chromedp.WaitVisible(chromedp.CSS(`#migration-chart`)))
		dashCheckOverview(t, b)
		b.Check("overview", true)
		b.Run("the blocked customers", chromedp.Click(chromedp.CSS(`.stats a[href="/admin/ui/blocked"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#blocked-table`)))
		b.Check("blocked", true)
		b.Run("back to the overview", chromedp.Click(chromedp.CSS(`header nav a[href="/admin/ui/"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#q`)))
		dashEndSessions(t, b, s, legacy[0], tokens, true, false)
	})
}
