package storeauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// bodyRoutes are the routes that read a JSON body, with a valid body for each.
var bodyRoutes = []struct{ path, body string }{
	{"/store/customers", `{"email":"x@example.com","password":"Correct-Horse-9"}`},
	{"/store/auth", `{"email":"x@example.com","password":"Correct-Horse-9"}`},
	{"/store/auth/token", `{"email":"x@example.com","password":"Correct-Horse-9"}`},
	{"/store/customers/password-token", `{"email":"x@example.com"}`},
	{"/store/customers/password-reset", `{"email":"x@example.com","token":"1","password":"Correct-Horse-9"}`},
	{"/store/customers/me", `{"first_name":"X"}`},
	{"/store/customers/me/password", `{"old_password":"Correct-Horse-9","new_password":"Correct-Horse-10"}`},
	{"/store/customers/me/email/verify", `{"code":"1","password":"Correct-Horse-9"}`},
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.MaxBodyBytes = 1024 }))
	e.register("body@example.com", goodPassword)
	tok := e.token("body@example.com", goodPassword)
	for _, rt := range bodyRoutes {
		auth := bearer(tok)
		// Wrong or missing content type: 415.
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
			"application/jsonx", "application/json; charset", "json", "application/xml"} {
			opts := []reqOpt{auth}
			if ct != "" {
				opts = append(opts, contentType(ct))
			} else {
				opts = append(opts, func(r *http.Request) { r.Header.Del("Content-Type") })
			}
			e.do("POST", rt.path, raw(rt.body), opts...).expect(415, TypeUnsupportedType)
		}
		// Too big: 413.
		big := `{"email":"` + strings.Repeat("a", 2000) + `@example.com"}`
		e.do("POST", rt.path, raw(big), auth).expect(413, TypeTooLarge)
		// Malformed: 400.
		for _, body := range []string{
			``, ` `, `{`, `}`, `{"email":`, `null x`, `[]`, `"str"`, `42`, `{"email":"x@example.com"`,
			`{"unknown_field":1}`,
			rt.body + ` {}`,
			rt.body + `garbage`,
			`{"email":1,"password":2}`,
			`{"email":["x@example.com"]}`,
			`{"first_name":{"a":1}}`,
			`{"old_password":true}`,
			`{"code":1.5}`,
			"\xff\xfe{}",
			`{"email":"x@example.com","email":"y@example.com","bogus":null}`,
		} {
			r := e.do("POST", rt.path, raw(body), auth)
			if r.Code != 400 {
				t.Fatalf("%s %q: %d %s", rt.path, body, r.Code, r.Body)
			}
			r.expect(400, TypeInvalidData)
		}
		// Content types with parameters and other letter cases are fine.
		for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
			if r := e.do("POST", rt.path, raw(rt.body), auth, contentType(ct)); r.Code == 415 {
				t.Fatalf("%s with %q: 415", rt.path, ct)
			}
		}
	}
	// The exact limit is accepted, one more byte is not.
	pad := func(n int) string {
		base := `{"email":"nobody@example.com","password":"` + goodPassword + `"}`
		return base + strings.Repeat(" ", n-len(base))
	}
	e.do("POST", "/store/auth", raw(pad(1024))).expect(401, TypeUnauthorized)
	e.do("POST", "/store/auth", raw(pad(1025))).expect(413, TypeTooLarge)
	// The default limit is 64 KiB.
	d := newEnv(t)
	d.do("POST", "/store/auth", raw(`{"email":"x@example.com","password":"`+strings.Repeat("p", 64<<10)+`"}`)).expect(413, TypeTooLarge)
}

func TestMissingFields(t *testing.T) {
	e := newEnv(t)
	e.register("miss@example.com", goodPassword)
	tok := e.token("miss@example.com", goodPassword)
	for _, rt := range bodyRoutes {
		if rt.path == "/store/customers/me" {
			continue // every field is optional
		}
		e.do("POST", rt.path, raw(`{}`), bearer(tok)).expect(400, TypeInvalidData)
		e.do("POST", rt.path, raw(`null`), bearer(tok)).expect(400, TypeInvalidData)
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/store/nothing", 404},
		{"GET", "/store", 404},
		{"GET", "/store/", 404},
		{"GET", "/admin/nothing", 404},
		{"GET", "/admin", 404},
		{"GET", "/nothing", 404},
		{"GET", "/", 404},
		{"GET", "/store/customers/me/password/extra", 404},
		{"GET", "/store/customers", 405},
		{"PUT", "/store/customers", 405},
		{"PUT", "/store/auth", 405},
		{"PATCH", "/store/customers/me", 405},
		{"GET", "/store/auth/token", 405},
		{"POST", "/store/auth/sessions", 405},
		{"PUT", "/store/auth/sessions/sess_1", 405},
		{"GET", "/store/customers/password-token", 405},
		{"PROPFIND", "/store/customers", 405},
		{"POST", "/admin/customers", 405},
		{"GET", "/admin/customers/cus_1/disable", 405},
		{"POST", "/healthz", 405},
		{"DELETE", "/readyz", 405},
	} {
		r := e.do(tc.method, tc.path, nil, bearer(testAdminToken))
		want := map[int]string{404: TypeNotFound, 405: TypeNotAllowed}[tc.code]
		if r.Code != tc.code {
			t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.Code, r.Body, tc.code)
		}
		r.expect(tc.code, want)
	}
	// Every answer carries the safety headers.
	r := e.do("GET", "/store/nothing", nil)
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", r.Header)
	}
	e.do("GET", "/healthz", nil).expect(200, "")
	e.do("HEAD", "/healthz", nil).expect(200, "")
}

// A panic anywhere in a request becomes a 503 in the API's shape, and the service goes on.
func TestPanicBecomes503(t *testing.T) {
	e := newEnv(t)
	e.register("panic@example.com", goodPassword)
	for _, tc := range []struct {
		method, path string
		body         any
		pool         string
	}{
		{"POST", "/store/auth", map[string]any{"email": "panic@example.com", "password": goodPassword}, mAuthenticate},
		{"POST", "/store/customers", map[string]any{"email": "p2@example.com", "password": goodPassword}, mCreateUser},
		{"POST", "/store/customers/password-token", map[string]any{"email": "panic@example.com"}, mForgotPassword},
	} {
		e.pool.panicIn(tc.pool)
		e.do5xx(tc.method, tc.path, tc.body).expect(503, TypeUnavailable)
		e.pool.heal()
	}
	e.token("panic@example.com", goodPassword)
	// The half-done registration is settled like after a crash.
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.consistent(true)
	e.register("p2@example.com", goodPassword)

	// A panicking readiness check, then one that works: the second is not stuck behind the
	// first.
	e.clock.Advance(time.Minute)
	e.pool.panicIn(mCheck)
	e.do5xx("GET", "/readyz", nil).expect(503, TypeUnavailable)
	e.pool.heal()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil)
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("/readyz after a panicking check: %d %s", rec.Code, rec.Body)
	}
}

func TestReadyz(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/readyz", nil).expect(200, "")
	if n := e.pool.count(mCheck); n != 1 {
		t.Fatalf("Check %d times", n)
	}
	for range 5 {
		e.do("GET", "/readyz", nil).expect(200, "")
	}
	e.clock.Advance(29 * time.Second)
	e.do("GET", "/readyz", nil).expect(200, "")
	if n := e.pool.count(mCheck); n != 1 {
		t.Fatalf("Check %d times within 30 s", n)
	}
	e.clock.Advance(time.Second)
	e.do("GET", "/readyz", nil).expect(200, "")
	if n := e.pool.count(mCheck); n != 2 {
		t.Fatalf("Check %d times after 30 s", n)
	}
	// Any other pool call's outcome counts as a fresh check.
	e.clock.Advance(31 * time.Second)
	e.do("POST", "/store/auth", map[string]any{"email": "x@example.com", "password": goodPassword}).expect(401, "")
	e.do("GET", "/readyz", nil).expect(200, "")
	if n := e.pool.count(mCheck); n != 2 {
		t.Fatalf("Check %d times after a sign-in call", n)
	}
	// The pool goes away.
	e.clock.Advance(31 * time.Second)
	e.pool.checkErr = &PoolError{Kind: ErrPoolUnavailable, Err: errors.New("connection refused")}
	r := e.do5xx("GET", "/readyz", nil).expect(503, "")
	if m := r.json(); m["status"] != "unavailable" || m["reason"] != "pool" {
		t.Fatalf("answer %s", r.Body)
	}
	e.do5xx("GET", "/readyz", nil).expect(503, "")
	if n := e.pool.count(mCheck); n != 3 {
		t.Fatalf("Check %d times", n)
	}
	// It comes back: seen after the cached outcome runs out.
	e.pool.checkErr = nil
	e.clock.Advance(30 * time.Second)
	e.do("GET", "/readyz", nil).expect(200, "")
	// A refusal (say, no permission to describe the pool) is an answer: ready.
	e.clock.Advance(30 * time.Second)
	e.pool.checkErr = &PoolError{Kind: ErrPoolRefused, Message: "AccessDeniedException"}
	e.do("GET", "/readyz", nil).expect(200, "")
	// A hanging pool: 503 after the pool timeout.
	e.pool.checkErr = nil
	e.clock.Advance(30 * time.Second)
	e.pool.hang(mCheck)
	e.do5xx("GET", "/readyz", nil).expect(503, "")
	e.pool.heal()
	// A pool call failing with unavailability also counts.
	e.clock.Advance(30 * time.Second)
	e.pool.failWith(mAuthenticate, unavailable())
	e.do5xx("POST", "/store/auth", map[string]any{"email": "x@example.com", "password": goodPassword}).expect(503, TypeUnavailable)
	before := e.pool.count(mCheck)
	e.do5xx("GET", "/readyz", nil).expect(503, "")
	if e.pool.count(mCheck) != before {
		t.Fatal("the outage seen by a sign-in was not reused")
	}
	// The database check.
	dbDown := newEnv(t, withHandler(func(h *HandlerConfig) {
		h.Ready = func(context.Context) error { return errors.New("database is down") }
	}))
	r = dbDown.do5xx("GET", "/readyz", nil).expect(503, "")
	if r.json()["reason"] != "database" {
		t.Fatalf("answer %s", r.Body)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) {
		h.PublicURL = "https://shop.example"
		h.CORSOrigins = []string{"https://app.example/", " https://other.example "}
	}))
	e.register("csrf@example.com", goodPassword)
	ck := e.do("POST", "/store/auth", map[string]any{"email": "csrf@example.com", "password": goodPassword}).cookie("__Host-" + CookieName)
	tok := e.token("csrf@example.com", goodPassword)
	update := map[string]any{"first_name": "Changed"}

	// A cookie request from another site is refused, before any work.
	for _, opts := range [][]reqOpt{
		{header("Origin", "https://evil.example")},
		{header("Sec-Fetch-Site", "cross-site")},
		{header("Sec-Fetch-Site", "same-site"), header("Origin", "https://sub.shop.example")},
		{header("Origin", "null")},
		{header("Origin", "http://shop.example")}, // scheme differs from the public URL
	} {
		all := append([]reqOpt{withCookie(ck)}, opts...)
		e.do("POST", "/store/customers/me", update, all...).expect(403, TypeNotAllowed)
		e.do("DELETE", "/store/auth", nil, all...).expect(403, TypeNotAllowed)
		e.do("DELETE", "/store/auth/sessions", nil, all...).expect(403, TypeNotAllowed)
		e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword, "new_password": "Whatever-123"}, all...).expect(403, TypeNotAllowed)
		// Also sign-in and registration (login CSRF).
		e.do("POST", "/store/auth", map[string]any{"email": "csrf@example.com", "password": goodPassword}, opts...).expect(403, TypeNotAllowed)
	}
	// Still signed in; nothing changed.
	cur := e.do("GET", "/store/auth", nil, withCookie(ck)).expect(200, "")
	if cur.json()["customer"].(map[string]any)["first_name"] != nil {
		t.Fatal("a refused request changed the profile")
	}
	// A cross-site GET is fine (safe method, SameSite=Lax).
	e.do("GET", "/store/auth", nil, withCookie(ck), header("Sec-Fetch-Site", "cross-site")).expect(200, "")

	// Same origin, the public URL's origin, a trusted CORS origin, or no browser headers: fine.
	for _, opts := range [][]reqOpt{
		{header("Sec-Fetch-Site", "same-origin")},
		{header("Origin", "https://shop.example")},
		{header("Origin", "http://example.com")}, // the request's own Host
		{},
	} {
		all := append([]reqOpt{withCookie(ck)}, opts...)
		e.do("POST", "/store/customers/me", update, all...).expect(200, "")
	}
	for _, origin := range []string{"https://app.example", "https://other.example"} {
		r := e.do("POST", "/store/customers/me", update, withCookie(ck), header("Origin", origin), header("Sec-Fetch-Site", "cross-site")).expect(200, "")
		if r.Header.Get("Access-Control-Allow-Origin") != origin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Fatalf("CORS headers %v", r.Header)
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Fatalf("no Vary: Origin: %v", r.Header)
		}
	}
	// No CORS headers for other origins.
	r := e.do("GET", "/store/auth", nil, withCookie(ck), header("Origin", "https://evil.example"))
	if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("CORS headers for an unknown origin: %v", r.Header)
	}
	// Bearer requests are never CSRF-checked: a browser cannot attach the token on its own.
	e.do("POST", "/store/customers/me", update, bearer(tok), header("Origin", "https://evil.example"), header("Sec-Fetch-Site", "cross-site")).expect(200, "")
	e.do("DELETE", "/store/auth/sessions", nil, bearer(tok), header("Origin", "https://evil.example")).expect(200, "")
	// Forward-auth judges another request, whatever its method.
	e.do("POST", "/store/auth/verify", nil, bearer(tok), header("Sec-Fetch-Site", "cross-site")).expect(200, "")

	// Preflight from a CORS origin.
	pre := e.do("OPTIONS", "/store/customers/me", nil, header("Origin", "https://app.example"),
		header("Access-Control-Request-Method", "POST"), header("Access-Control-Request-Headers", "content-type")).expect(204, "")
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "content-type") {
		t.Fatalf("preflight headers %v", pre.Header)
	}
	// Preflight from elsewhere gets no CORS grant.
	bad := e.do("OPTIONS", "/store/customers/me", nil, header("Origin", "https://evil.example"), header("Access-Control-Request-Method", "POST"))
	if bad.Header.Get("Access-Control-Allow-Origin") != "" || bad.Code == 204 || bad.Code >= 500 {
		t.Fatalf("preflight from an unknown origin: %d %v", bad.Code, bad.Header)
	}
}

func TestRequireCustomer(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.PublicURL = "https://shop.example" }))
	id := e.register("mw@example.com", goodPassword)
	tok := e.token("mw@example.com", goodPassword)
	ck := e.do("POST", "/store/auth", map[string]any{"email": "mw@example.com", "password": goodPassword}).cookie("__Host-" + CookieName)
	var reached int
	app := e.api.RequireCustomer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		cid, ok := CustomerID(r.Context())
		s, ok2 := SessionOf(r.Context())
		if !ok || !ok2 || cid != id || s.CustomerID != id {
			t.Errorf("context: %q %v %+v %v", cid, ok, s, ok2)
		}
		io.WriteString(w, cid)
	}))
	call := func(method string, opts ...reqOpt) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/app/orders", nil)
		for _, o := range opts {
			o(req)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("GET", bearer(tok)); rec.Code != 200 || rec.Body.String() != id {
		t.Fatalf("bearer: %d %s", rec.Code, rec.Body)
	}
	if rec := call("POST", withCookie(ck)); rec.Code != 200 || rec.Body.String() != id {
		t.Fatalf("cookie: %d %s", rec.Code, rec.Body)
	}
	if rec := call("POST", withCookie(ck), header("Sec-Fetch-Site", "cross-site")); rec.Code != 403 {
		t.Fatalf("cross-site cookie POST: %d %s", rec.Code, rec.Body)
	}
	if rec := call("POST", bearer(tok), header("Sec-Fetch-Site", "cross-site")); rec.Code != 200 {
		t.Fatalf("cross-site bearer POST: %d %s", rec.Code, rec.Body)
	}
	for _, opts := range [][]reqOpt{nil, {bearer("forged")}, {withCookie(&http.Cookie{Name: "__Host-" + CookieName, Value: "x"})}} {
		rec := call("GET", opts...)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"type":"unauthorized"`) {
			t.Fatalf("no session: %d %s", rec.Code, rec.Body)
		}
	}
	if reached != 3 {
		t.Fatalf("reached the app %d times", reached)
	}
	// Outside the middleware there is no customer.
	if _, ok := CustomerID(context.Background()); ok {
		t.Fatal("a customer in an empty context")
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"198.51.100.1:1234", nil, "198.51.100.1"},
		{"198.51.100.1:1234", []string{"203.0.113.5"}, "198.51.100.1"}, // untrusted sender: XFF ignored
		{"10.0.0.1:1234", nil, "10.0.0.1"},
		{"10.0.0.1:1234", []string{"203.0.113.5"}, "203.0.113.5"},
		{"10.0.0.1:1234", []string{"1.2.3.4, 203.0.113.5"}, "203.0.113.5"},             // rightmost untrusted
		{"10.0.0.1:1234", []string{"203.0.113.5, 10.0.0.7"}, "203.0.113.5"},            // through two proxies
		{"10.0.0.1:1234", []string{"1.2.3.4", "203.0.113.5, 10.9.9.9"}, "203.0.113.5"}, // several headers
		{"10.0.0.1:1234", []string{"10.0.0.2, 10.0.0.3"}, "10.0.0.2"},                  // all trusted
		{"10.0.0.1:1234", []string{"garbage"}, "10.0.0.1"},
		{"10.0.0.1:1234", []string{"203.0.113.5, garbage"}, "10.0.0.1"},
		{"10.0.0.1:1234", []string{" 203.0.113.5 "}, "203.0.113.5"},
		{"[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"[::ffff:10.0.0.1]:443", []string{"::ffff:203.0.113.9"}, "203.0.113.9"}, // mapped addresses
		{"[2001:db8::1]:443", []string{"203.0.113.5"}, "2001:db8::1"},
		{"127.0.0.1:80", []string{"203.0.113.5"}, "203.0.113.5"},
		{"not-an-address", nil, "not-an-address"},
		{"@", []string{"203.0.113.5"}, "@"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientIP(r, trusted); got != tc.want {
			t.Errorf("ClientIP(%s, %v) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
	// With no trusted proxies, X-Forwarded-For is never believed.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	if got := ClientIP(r, nil); got != "10.0.0.1" {
		t.Fatalf("ClientIP without trusted proxies = %q", got)
	}
}

// The session list shows the client address the throttle uses.
func TestSessionRecordsClientIP(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} }))
	e.register("ip@example.com", goodPassword)
	tok := e.token("ip@example.com", goodPassword, remote("10.0.0.5:999"), header("X-Forwarded-For", "203.0.113.77"),
		header("User-Agent", strings.Repeat("ü", 400)))
	r := e.do("GET", "/store/auth/sessions", nil, bearer(tok)).expect(200, "")
	s := r.json()["sessions"].([]any)[0].(map[string]any)
	if s["ip"] != "203.0.113.77" {
		t.Fatalf("ip %v", s["ip"])
	}
	if ua := s["user_agent"].(string); len(ua) > 512 || !strings.HasPrefix(ua, "ü") || strings.ContainsRune(ua, '\uFFFD') {
		t.Fatalf("user agent of %d bytes: %q", len(ua), ua)
	}
}
