package dashboard

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
)

const wantCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Every answer, of every page and mode, refusals and redirects included, carries the CSP
// and the other page headers.
func TestDashboardHeadersOnEveryResponse(t *testing.T) {
	for _, access := range []Access{AccessOff, AccessLoopback, AccessToken} {
		t.Run(access.String(), func(t *testing.T) {
			f := newFixture(t, withAccess(access))
			f.addCustomer("cus_a", "a@example.com", "")
			b := f.browser()
			if access == AccessToken {
				b.signIn(testToken)
			}
			for _, path := range []string{Prefix, Prefix + "?range=7d", Prefix + "style.css", Prefix + "login", Prefix + "blocked",
				Prefix + "customers", Prefix + "customers?q=a@example.com", Prefix + "customers/cus_a",
				Prefix + "customers/cus_a/confirm?action=disable", Prefix + "nowhere", "/admin/ui", Prefix + "?range=bad"} {
				r := b.get(path)
				if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
					t.Errorf("GET %s (%d): CSP %q", path, r.Code, got)
				}
				if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
					r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Referrer-Policy") != "no-referrer" {
					t.Errorf("GET %s: headers %v", path, r.Header)
				}
			}
			r := b.post(Prefix+"customers/cus_a/end-sessions", nil, header("Sec-Fetch-Site", "cross-site"))
			if got := r.Header.Get("Content-Security-Policy"); r.Code != http.StatusForbidden && access != AccessOff || got != wantCSP {
				t.Errorf("refused POST: %d, CSP %q", r.Code, got)
			}
		})
	}
}

func TestDashboardOff(t *testing.T) {
	f := newFixture(t, withAccess(AccessOff))
	b := f.browser()
	for _, path := range []string{Prefix, Prefix + "login", Prefix + "style.css"} {
		expect(t, "GET "+path, b.get(path), http.StatusNotFound, "The console is off", "--dashboard=on", "HASHLESS_ADMIN_TOKEN")
	}
	expect(t, "POST login", b.post(Prefix+"login", url.Values{"token": {testToken}}), http.StatusNotFound, "The console is off")
}

// Without a token the console is open to this machine only: a loopback peer naming this
// machine, with no proxy in between.
func TestDashboardLoopbackAccess(t *testing.T) {
	f := newFixture(t, withAccess(AccessLoopback), withPublicURL("http://shop.internal:8080"))
	for _, c := range []struct {
		what, remote, host string
		opts               []reqOpt
		code               int
	}{
		{"loopback IPv4", "127.0.0.1:5000", "127.0.0.1:8080", nil, 200},
		{"loopback IPv6", "[::1]:5000", "[::1]:8080", nil, 200},
		{"localhost", "127.0.0.1:5000", "localhost:8080", nil, 200},
		{"the public URL's host", "127.0.0.1:5000", "shop.internal:8080", nil, 403},
		{"another machine", "203.0.113.7:5000", "127.0.0.1:8080", nil, 403},
		{"a proxy on this machine", "127.0.0.1:5000", "127.0.0.1:8080", []reqOpt{header("X-Forwarded-For", "203.0.113.7")}, 403},
		{"a Forwarded header", "127.0.0.1:5000", "127.0.0.1:8080", []reqOpt{header("Forwarded", "for=203.0.113.7")}, 403},
		{"a rebound host name", "127.0.0.1:5000", "evil.example:8080", nil, 403},
	} {
		b := f.browser()
		b.remote, b.host = c.remote, c.host
		r := b.get(Prefix, c.opts...)
		if r.Code != c.code {
			t.Errorf("%s: %d, want %d", c.what, r.Code, c.code)
		}
		if c.code == 403 && !strings.Contains(r.Body, "HASHLESS_ADMIN_TOKEN") {
			t.Errorf("%s: the refusal does not say what to do:\n%s", c.what, r.Body)
		}
	}
	// Open means no sign-in page and no sign-out button.
	b := f.browser()
	expectRedirect(t, "the sign-in page", b.get(Prefix+"login"), Prefix)
	if r := b.get(Prefix); strings.Contains(r.Body, "sign-out") || !strings.Contains(r.Body, `aria-label="Console"`) {
		t.Fatalf("the open console's navigation:\n%s", r.Body)
	}
}

// With a token, every page but the sign-in form sends the browser to it; the token sets an
// HttpOnly, SameSite=Strict session cookie; sign-out and expiry end it.
func TestDashboardTokenSignIn(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	for _, path := range []string{Prefix, Prefix + "blocked", Prefix + "customers/cus_x", Prefix + "nowhere"} {
		expectRedirect(t, "GET "+path+" signed out", b.get(path), Prefix+"login")
	}
	r := b.get(Prefix + "login")
	expect(t, "the sign-in page", r, 200, `<label for="token">Admin token</label>`, `name="csrf"`)
	csrf := r.cookie(csrfCookie)
	if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode || csrf.Path != Prefix || csrf.Secure {
		t.Fatalf("CSRF cookie %+v", csrf)
	}
	if !strings.Contains(r.Body, `value="`+csrf.Value+`"`) {
		t.Fatal("the form does not carry the CSRF value")
	}

	expect(t, "a wrong token", b.post(Prefix+"login", url.Values{"token": {"wrong"}}), http.StatusUnauthorized, "not the admin token")
	expect(t, "a prefix of the token", b.post(Prefix+"login", url.Values{"token": {testToken[:10]}}), http.StatusUnauthorized)
	expect(t, "no CSRF value", b.post(Prefix+"login", url.Values{"token": {testToken}, "csrf": {""}}), http.StatusForbidden)
	expectRedirect(t, "still signed out", b.get(Prefix), Prefix+"login")

	r = b.post(Prefix+"login", url.Values{"token": {testToken}})
	expectRedirect(t, "the right token", r, Prefix)
	sess := r.cookie(sessionCookie)
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != Prefix || sess.Secure ||
		sess.MaxAge != int(DefaultSessionTTL/time.Second) || len(sess.Value) != 43 {
		t.Fatalf("session cookie %+v", sess)
	}
	page := b.get(Prefix)
	expect(t, "signed in", page, 200, `id="sign-out"`, "Where the migration stands")
	if strings.Contains(page.Body, testToken) || strings.Contains(page.Body, sess.Value) {
		t.Fatal("a page shows the admin token or the session")
	}

	// Another browser holding a made-up cookie is not signed in.
	other := f.browser()
	other.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: strings.Repeat("A", 43)}
	expectRedirect(t, "a made-up session", other.get(Prefix), Prefix+"login")

	// Sign-out ends the session on the server, not only in this browser.
	stolen := sess.Value
	expectRedirect(t, "sign-out", b.post(Prefix+"logout", nil), Prefix+"login")
	expectRedirect(t, "after sign-out", b.get(Prefix), Prefix+"login")
	other.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: stolen}
	expectRedirect(t, "the ended session's cookie", other.get(Prefix), Prefix+"login")

	// A session ends by itself after its lifetime.
	b.signIn(testToken)
	expect(t, "signed in again", b.get(Prefix), 200)
	f.clock.Advance(DefaultSessionTTL - time.Second)
	expect(t, "just before the end", b.get(Prefix), 200)
	f.clock.Advance(time.Second)
	expectRedirect(t, "at the end", b.get(Prefix), Prefix+"login")
}

func TestDashboardSignInThrottled(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.get(Prefix + "login")
	for range maxFailures {
		expect(t, "a wrong token", b.post(Prefix+"login", url.Values{"token": {"guess"}}), http.StatusUnauthorized)
	}
	expect(t, "the right token after too many failures", b.post(Prefix+"login", url.Values{"token": {testToken}}),
		http.StatusTooManyRequests, "Too many wrong tokens")
	// Another client is not affected; the first one may try again after the window.
	other := f.browser()
	other.remote = "127.0.0.2:4000"
	expectRedirect(t, "another client", other.signIn(testToken), Prefix)
	f.clock.Advance(failureWindow)
	expectRedirect(t, "after the window", b.post(Prefix+"login", url.Values{"token": {testToken}}), Prefix)
}

func TestDashboardSecureCookies(t *testing.T) {
	f := newFixture(t, withPublicURL("https://shop.example"))
	b := f.browser()
	b.host = "shop.example"
	r := b.get(Prefix + "login")
	if c := r.cookie("__Secure-" + csrfCookie); c == nil || !c.Secure {
		t.Fatalf("CSRF cookie over https: %+v", r.res.Cookies())
	}
	r = b.post(Prefix+"login", url.Values{"token": {testToken}}, header("Origin", "https://shop.example"))
	if c := r.cookie("__Secure-" + sessionCookie); r.Code != http.StatusSeeOther || c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie over https: %d %+v", r.Code, r.res.Cookies())
	}
	expect(t, "signed in over https", b.get(Prefix), 200)
}

// Every POST needs the CSRF value of its browser and must not come from another site.
func TestDashboardCSRF(t *testing.T) {
	for _, access := range []Access{AccessLoopback, AccessToken} {
		t.Run(access.String(), func(t *testing.T) {
			f := newFixture(t, withAccess(access))
			f.addCustomer("cus_a", "a@example.com", "")
			ctx := context.Background()
			b := f.browser()
			if access == AccessToken {
				b.signIn(testToken)
			}
			b.get(Prefix + "customers/cus_a/confirm?action=disable")
			good := b.csrf()
			if good == "" {
				t.Fatal("no CSRF cookie")
			}
			for _, c := range []struct {
				what string
				form url.Values
				opts []reqOpt
			}{
				{"no CSRF field", url.Values{"csrf": nil}, nil},
				{"an empty CSRF field", url.Values{"csrf": {""}}, nil},
				{"another CSRF value", url.Values{"csrf": {strings.Repeat("x", 43)}}, nil},
				{"a cross-site form with the right value", url.Values{"csrf": {good}}, []reqOpt{header("Sec-Fetch-Site", "cross-site")}},
				{"another origin with the right value", url.Values{"csrf": {good}}, []reqOpt{header("Sec-Fetch-Site", ""), header("Origin", "http://evil.example")}},
			} {
				r := b.do("POST", Prefix+"customers/cus_a/disable", c.form, c.opts...)
				if r.Code != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", c.what, r.Code)
				}
				if cu, _ := f.svc.Customer(ctx, "cus_a"); cu.Disabled {
					t.Fatalf("%s disabled the customer", c.what)
				}
			}
			// Without its cookie the value proves nothing.
			stranger := f.browser()
			stranger.cookies = map[string]*http.Cookie{}
			for k, v := range b.cookies {
				if !strings.HasSuffix(k, csrfCookie) {
					stranger.cookies[k] = v
				}
			}
			if r := stranger.do("POST", Prefix+"customers/cus_a/disable", url.Values{"csrf": {good}}); r.Code != http.StatusForbidden {
				t.Errorf("the value without the cookie: %d", r.Code)
			}
			expectRedirect(t, "the right form", b.post(Prefix+"customers/cus_a/disable", nil), Prefix+"customers/cus_a?done=disable")
			if cu, _ := f.svc.Customer(ctx, "cus_a"); !cu.Disabled {
				t.Fatal("the confirmed form did not disable the customer")
			}
		})
	}
}

// The actions go through the service: end all sessions, disable (which ends them too and
// disables the pool user), enable; each is a POST after a confirmation page, and a GET
// never changes anything.
func TestDashboardActions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.addCustomer("cus_ann", "ann@example.com", "")
	b := f.browser()
	b.signIn(testToken)
	login := func() {
		t.Helper()
		if _, err := f.svc.Login(ctx, "ann@example.com", "Pool-Passw0rd", storeauth.Client{IP: "198.51.100.4", UserAgent: "Firefox/140"}, storeauth.KindCookie); err != nil {
			t.Fatal(err)
		}
	}
	live := func() int {
		t.Helper()
		ss, err := f.svc.Sessions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ss)
	}
	login()
	login()

	r := b.get(Prefix + "customers/cus_ann")
	expect(t, "the customer", r, 200, "ann@example.com", "198.51.100.4", "Firefox/140", `href="/admin/ui/customers/cus_ann/confirm?action=end-sessions"`, `id="disable"`)
	if n := strings.Count(r.Body, "<tr><th scope=\"row\">sess_"); n != 2 {
		t.Fatalf("%d session rows, want 2", n)
	}
	r = b.get(Prefix + "customers/cus_ann/confirm?action=end-sessions")
	expect(t, "the confirmation", r, 200, `<form method="post" action="/admin/ui/customers/cus_ann/end-sessions"`, `id="cancel"`, `<dd id="confirm-sessions">2</dd>`)
	if live() != 2 {
		t.Fatal("showing the confirmation changed something")
	}
	expectRedirect(t, "ending the sessions", b.post(Prefix+"customers/cus_ann/end-sessions", nil), Prefix+"customers/cus_ann?done=end-sessions&ended=2")
	if live() != 0 {
		t.Fatal("sessions left")
	}
	expect(t, "after ending the sessions", b.get(Prefix+"customers/cus_ann?done=end-sessions&ended=2"), 200, "Every session ended", "Sessions ended: 2.", `id="no-sessions"`)

	login()
	expectRedirect(t, "disabling", b.post(Prefix+"customers/cus_ann/disable", nil), Prefix+"customers/cus_ann?done=disable")
	if cu, _ := f.svc.Customer(ctx, c.ID); !cu.Disabled || live() != 0 || f.pool.enabled[c.ID] {
		t.Fatalf("after disabling: %+v, %d sessions, pool enabled %v", cu, live(), f.pool.enabled[c.ID])
	}
	if _, err := f.svc.Login(ctx, "ann@example.com", "Pool-Passw0rd", storeauth.Client{}, storeauth.KindCookie); err == nil {
		t.Fatal("a disabled customer signed in")
	}
	expect(t, "the disabled customer", b.get(Prefix+"customers/cus_ann?done=disable"), 200, "Disabled: cannot sign in", `id="enable"`, "The customer is disabled")
	expect(t, "the enable confirmation", b.get(Prefix+"customers/cus_ann/confirm?action=enable"), 200, `action="/admin/ui/customers/cus_ann/enable"`)
	expectRedirect(t, "enabling", b.post(Prefix+"customers/cus_ann/enable", nil), Prefix+"customers/cus_ann?done=enable")
	login()

	expect(t, "an unknown action", b.get(Prefix+"customers/cus_ann/confirm?action=delete"), http.StatusBadRequest)
	expect(t, "posting an unknown action", b.post(Prefix+"customers/cus_ann/delete", nil), http.StatusNotFound)
	expect(t, "an unknown customer", b.get(Prefix+"customers/cus_nobody"), http.StatusNotFound, "No such customer")
	expect(t, "acting on an unknown customer", b.post(Prefix+"customers/cus_nobody/end-sessions", nil), http.StatusNotFound)
	if r := b.get(Prefix + "customers/cus_ann/end-sessions"); r.Code != http.StatusNotFound || live() != 1 {
		t.Fatalf("GET of an action: %d, %d sessions", r.Code, live())
	}
}

func TestDashboardSearch(t *testing.T) {
	f := newFixture(t)
	f.addCustomer("cus_ann", "Ann@Example.com", "")
	b := f.browser()
	b.signIn(testToken)
	expectRedirect(t, "by e-mail in another case", b.get(Prefix+"customers?q=+ann@example.COM"), Prefix+"customers/cus_ann")
	expectRedirect(t, "by ID", b.get(Prefix+"customers?q=cus_ann"), Prefix+"customers/cus_ann")
	expect(t, "nobody", b.get(Prefix+"customers?q=bob@example.com"), 200, `id="not-found"`, "bob@example.com")
	expect(t, "the empty form", b.get(Prefix+"customers"), 200, `<label for="q">`)
	expect(t, "markup in the query", b.get(Prefix+"customers?q="+url.QueryEscape("<script>x</script>")), 200, "&lt;script&gt;")
}

// The overview's series come from the rows and the stored sign-in counts: a known set of
// customers migrated at known times, and known sign-ins, give known rows, bars and points.
func TestDashboardSeries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hour := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) // t0 is 10:20
	migrated := func(at time.Time) func(*store.Customer) {
		return func(c *store.Customer) { c.MigratedAt = at }
	}
	// Migrated: one long ago, two in the 08:00 hour, one in the 10:00 hour.
	f.addCustomer("cus_m1", "m1@example.com", "", migrated(hour.Add(-30*24*time.Hour)))
	f.addCustomer("cus_m2", "m2@example.com", "", migrated(hour.Add(-2*time.Hour+time.Minute)))
	f.addCustomer("cus_m3", "m3@example.com", "", migrated(hour.Add(-time.Hour-time.Second)))
	f.addCustomer("cus_m4", "m4@example.com", "", migrated(hour.Add(5*time.Minute)))
	// Legacy: three, one blocked by the policy; a guest and a deleted customer count in
	// neither series.
	f.addCustomer("cus_l1", "l1@example.com", "Legacy-Passw0rd")
	f.addCustomer("cus_l2", "l2@example.com", "Legacy-Passw0rd")
	f.addCustomer("cus_l3", "l3@example.com", "weakpassword", func(c *store.Customer) { c.PasswordChangeRequired = true })
	f.addCustomer("cus_g", "g@example.com", "", func(c *store.Customer) { c.HasAccount = false })
	f.addCustomer("cus_d", "d@example.com", "", migrated(hour), func(c *store.Customer) { c.State, c.DeletedAt = store.StateDeleted, hour })
	// Sign-ins: stored counts for earlier hours, one outside the window.
	if err := f.st.AddLoginOutcomes(ctx, []store.LoginOutcomeCount{
		{Hour: hour.Add(-2 * time.Hour), Outcome: storeauth.LoginMigrated, Count: 2},
		{Hour: hour.Add(-2 * time.Hour), Outcome: storeauth.LoginRefused, Count: 5},
		{Hour: hour.Add(-time.Hour), Outcome: storeauth.LoginOK, Count: 7},
		{Hour: hour.Add(-time.Hour), Outcome: storeauth.LoginThrottled, Count: 1},
		{Hour: hour.Add(-48 * time.Hour), Outcome: storeauth.LoginOK, Count: 100},
	}); err != nil {
		t.Fatal(err)
	}
	// And sign-ins through the service now (10:20), counted in memory until the page
	// flushes them: one migrates l1, one is refused, one is blocked by the policy.
	f.pool.refuse = func(pw string) bool { return !strings.ContainsAny(pw, "0123456789") }
	if _, err := f.svc.Login(ctx, "l1@example.com", "Legacy-Passw0rd", storeauth.Client{}, storeauth.KindCookie); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, "l2@example.com", "wrong", storeauth.Client{}, storeauth.KindCookie); err == nil {
		t.Fatal("a wrong password signed in")
	}
	if s, err := f.svc.Login(ctx, "l3@example.com", "weakpassword", storeauth.Client{}, storeauth.KindCookie); err != nil || !s.PasswordChangeRequired {
		t.Fatalf("the blocked customer: %+v, %v", s, err)
	}

	b := f.browser()
	b.signIn(testToken)
	r := b.get(Prefix + "?range=24h")
	expect(t, "the overview", r, 200,
		`<dd id="stat-total">8</dd>`, `<dd id="stat-legacy">2</dd>`, `<dd id="stat-migrated">5 <span class="hint">(71.4% of accounts)</span></dd>`,
		`<dd id="stat-blocked">1</dd>`, `<dd id="stat-guests">1</dd>`, `<dd id="stat-migrated-24h">4</dd>`,
		`<a href="/admin/ui/?range=24h" aria-current="page">Last 24 hours</a>`)

	// The window is 24 hours ending at 11:00: points at 11:00 yesterday … 10:00, and now.
	migRows := tableRows(t, r.Body, "migration-table")
	if len(migRows) != 25 {
		t.Fatalf("%d migration rows, want 25", len(migRows))
	}
	wantRows(t, "migration", migRows[0:1], [][]string{{"Mar 3 11:00", "1", "6"}})
	wantRows(t, "migration", migRows[21:], [][]string{
		{"Mar 4 08:00", "1", "6"},
		{"Mar 4 09:00", "3", "4"}, // m2 and m3 in the 08:00 hour
		{"Mar 4 10:00", "3", "4"},
		{"now", "5", "2"}, // m4 and l1 in the 10:00 hour
	})
	loginRows := tableRows(t, r.Body, "logins-table")
	if len(loginRows) != 25 { // 24 hours and the totals
		t.Fatalf("%d sign-in rows, want 25", len(loginRows))
	}
	// Columns: signed in, migrated, blocked by policy, refused, throttled, error, all.
	wantRows(t, "sign-ins", loginRows[21:], [][]string{
		{"Mar 4 08:00–09:00", "0", "2", "0", "5", "0", "0", "7"},
		{"Mar 4 09:00–10:00", "7", "0", "0", "0", "1", "0", "8"},
		{"Mar 4 10:00–11:00", "0", "1", "1", "1", "0", "0", "3"},
		{"All", "7", "3", "1", "6", "1", "0", "18"},
	})

	// The SVG: the migrated line's last points, on an axis of 0 to 6 in steps of 2 (y
	// from 260 at 0 to 44 at 6), 24 hours over 608 units from x=64.
	svg := between(t, r.Body, `<svg class="chart" id="migration-chart"`, `</svg>`)
	for _, want := range []string{
		`role="img" aria-labelledby="migration-title migration-desc"`,
		`<title id="migration-title">Customers migrated and still on a legacy hash</title>`,
		"Migrated customers went from 1 to 5; customers still on a legacy hash went from 6 to 2.",
		`<polyline class="line s-migrated" points="64.0,224.0 89.3,224.0 `,
		` 596.0,224.0 621.3,152.0 646.7,152.0 672.0,80.0"/>`,
		`<polyline class="line s-legacy" points="64.0,44.0 `,
		` 621.3,116.0 646.7,116.0 672.0,188.0"/>`,
		`<title>now: 5 migrated</title>`, `<title>Mar 4 09:00: 4 still legacy</title>`,
		`>Migrated</text>`, `>Still legacy</text>`, `>6</text>`, `>0</text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("the migration chart lacks %q:\n%s", want, svg)
		}
	}
	svg = between(t, r.Body, `<svg class="chart" id="logins-chart"`, `</svg>`)
	for _, want := range []string{
		`<title id="logins-title">Sign-ins by outcome</title>`,
		"18 sign-ins in all: signed in 7, migrated 3, blocked by policy 1, refused 6, throttled 1.",
		`<title>Mar 4 08:00–09:00: 5 refused</title>`, `<title>Mar 4 09:00–10:00: 7 signed in</title>`,
		`<title>Mar 4 10:00–11:00: 1 blocked by policy</title>`,
		`>Blocked by policy</text>`, `>Throttled</text>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("the sign-in chart lacks %q:\n%s", want, svg)
		}
	}
	// The bar of 09:00 stacks 1 throttled on 7 signed in, on an axis of 0 to 8.
	if !regexp.MustCompile(`<rect class="bar o-ok" x="[0-9.]+" y="71.0" width="[0-9.]+" height="189.0">`).MatchString(svg) ||
		!regexp.MustCompile(`<rect class="bar o-throttled" x="[0-9.]+" y="44.0" width="[0-9.]+" height="27.0">`).MatchString(svg) {
		t.Errorf("the 09:00 bar is not 1 over 7 on a scale of 8:\n%s", svg)
	}

	// Other ranges: days and six-hour buckets.
	r = b.get(Prefix + "?range=30d")
	expect(t, "30 days", r, 200, `<th scope="row">Mar 4</th><td>7</td><td>3</td><td>1</td><td>6</td><td>1</td><td>0</td><td>18</td>`)
	if rows := tableRows(t, r.Body, "migration-table"); len(rows) != 31 || rows[0][0] != "Feb 3" || rows[0][1] != "1" || rows[30][0] != "now" {
		t.Fatalf("30-day migration rows: %q … %q", rows[0], rows[len(rows)-1])
	}
	r = b.get(Prefix + "?range=7d")
	if rows := tableRows(t, r.Body, "logins-table"); len(rows) != 29 || rows[27][0] != "Mar 4 06:00–12:00" || rows[27][7] != "18" {
		t.Fatalf("7-day sign-in rows: %q", rows[len(rows)-2])
	}
	expect(t, "a bad range", b.get(Prefix+"?range=1y"), http.StatusBadRequest)

	// The blocked customers.
	r = b.get(Prefix + "blocked")
	expect(t, "blocked", r, 200, `<span id="blocked-count">1</span>`, `<a href="/admin/ui/customers/cus_l3">cus_l3</a>`)
	if strings.Contains(r.Body, "cus_l2") {
		t.Fatal("a legacy customer the policy does not block is listed")
	}
}

// Nothing the console shows holds a password hash, a session token or the admin token,
// whatever the page.
func TestDashboardShowsNoSecrets(t *testing.T) {
	f := newFixture(t, withAccess(AccessLoopback))
	ctx := context.Background()
	legacy := f.addCustomer("cus_l", "l@example.com", "weakpassword", func(c *store.Customer) { c.PasswordChangeRequired = true })
	f.addCustomer("cus_m", "m@example.com", "")
	s, err := f.svc.Login(ctx, "m@example.com", "Pool-Passw0rd", storeauth.Client{IP: "198.51.100.9"}, storeauth.KindBearer)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{legacy.PasswordHash, legacy.PasswordHash[7:], "Pool-Passw0rd", testToken, s.Token,
		hex.EncodeToString(s.Session.TokenHash), base64.StdEncoding.EncodeToString(s.Session.TokenHash),
		base64.RawURLEncoding.EncodeToString(s.Session.TokenHash)}
	b := f.browser()
	for _, path := range []string{Prefix, Prefix + "?range=30d", Prefix + "blocked", Prefix + "customers?q=cus_l",
		Prefix + "customers/cus_l", Prefix + "customers/cus_m", Prefix + "customers/cus_m/confirm?action=end-sessions",
		Prefix + "customers/cus_l/confirm?action=disable"} {
		r := b.get(path)
		if r.Code >= 400 {
			t.Fatalf("GET %s: %d", path, r.Code)
		}
		for _, secret := range secrets {
			if strings.Contains(r.Body, secret) {
				t.Errorf("GET %s shows a secret (%.12s…)", path, secret)
			}
		}
	}
	expect(t, "the legacy customer", b.get(Prefix+"customers/cus_l"), 200, "Legacy hash; the pool&#39;s policy refused the password")
	expect(t, "the migrated customer", b.get(Prefix+"customers/cus_m"), 200, s.Session.ID, "198.51.100.9", "bearer")
}

// tableRows reads the body rows (and footer rows) of the table with id, cell texts only.
func tableRows(t *testing.T, body, id string) [][]string {
	t.Helper()
	table := between(t, body, `<table id="`+id+`">`, `</table>`)
	cell := regexp.MustCompile(`<t[hd][^>]*>(?:<a [^>]*>)?([^<]*)`)
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table, -1) {
		if strings.Contains(tr[1], `scope="col"`) {
			continue
		}
		var row []string
		for _, m := range cell.FindAllStringSubmatch(tr[1], -1) {
			row = append(row, m[1])
		}
		rows = append(rows, row)
	}
	return rows
}

func wantRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d: %q", what, len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("%s row %d:\n got %q\nwant %q", what, i, got[i], want[i])
		}
	}
}

func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	if i < 0 {
		t.Fatalf("no %q in:\n%s", from, s)
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		t.Fatalf("no %q after %q", to, from)
	}
	return s[i : i+j+len(to)]
}
