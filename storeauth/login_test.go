package storeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/storeauth/store"
)

func TestLoginCookieOverHTTP(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.PublicURL = "http://shop.example" }))
	id := e.register("Cookie@Example.com", goodPassword)
	r := e.do("POST", "/store/auth", map[string]any{"email": "cookie@example.COM", "password": goodPassword}).expect(200, "")
	c := r.json()["customer"].(map[string]any)
	if c["id"] != id || c["email"] != "Cookie@Example.com" {
		t.Fatalf("customer %v", c)
	}
	ck := r.cookie(CookieName)
	if ck == nil {
		t.Fatalf("no %s cookie: %v", CookieName, r.Header.Values("Set-Cookie"))
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.Domain != "" {
		t.Fatalf("cookie %+v", ck)
	}
	if ck.MaxAge != int(DefaultSessionMax/time.Second) {
		t.Fatalf("MaxAge %d", ck.MaxAge)
	}
	if !plausibleToken(ck.Value) {
		t.Fatalf("token %q", ck.Value)
	}
	if r.cookie("__Host-"+CookieName) != nil {
		t.Fatal("__Host- cookie over http")
	}
	cur := e.do("GET", "/store/auth", nil, withCookie(ck)).expect(200, "")
	if cur.json()["customer"].(map[string]any)["id"] != id {
		t.Fatalf("current %s", cur.Body)
	}
	e.do("GET", "/store/customers/me", nil, withCookie(ck)).expect(200, "")
	// The cookie of the other name means nothing here.
	e.do("GET", "/store/auth", nil, withCookie(&http.Cookie{Name: "__Host-" + CookieName, Value: ck.Value})).expect(401, TypeUnauthorized)
	// Each login gets a new token.
	r2 := e.do("POST", "/store/auth", map[string]any{"email": "cookie@example.com", "password": goodPassword}).expect(200, "")
	if r2.cookie(CookieName).Value == ck.Value {
		t.Fatal("the same token twice")
	}
	// Logout ends it and clears the cookie.
	out := e.do("DELETE", "/store/auth", nil, withCookie(ck)).expect(200, "")
	if cl := out.cookie(CookieName); cl == nil || cl.MaxAge >= 0 || cl.Value != "" {
		t.Fatalf("cookie not cleared: %v", out.Header.Values("Set-Cookie"))
	}
	e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, withCookie(r2.cookie(CookieName))).expect(200, "")
}

func TestLoginCookieOverHTTPS(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.PublicURL = "https://shop.example/base" }))
	e.register("secure@example.com", goodPassword)
	r := e.do("POST", "/store/auth", map[string]any{"email": "secure@example.com", "password": goodPassword}).expect(200, "")
	ck := r.cookie("__Host-" + CookieName)
	if ck == nil {
		t.Fatalf("no __Host- cookie: %v", r.Header.Values("Set-Cookie"))
	}
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("cookie %+v", ck)
	}
	if r.cookie(CookieName) != nil {
		t.Fatal("unprefixed cookie over https")
	}
	e.do("GET", "/store/auth", nil, withCookie(ck)).expect(200, "")
	e.do("GET", "/store/auth", nil, withCookie(&http.Cookie{Name: CookieName, Value: ck.Value})).expect(401, TypeUnauthorized)
}

func TestHandlerConfigChecks(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"ftp://x", "https://", "::not a url", "shop.example"} {
		if _, err := e.svc.Handler(HandlerConfig{PublicURL: u}); err == nil {
			t.Errorf("public URL %q accepted", u)
		}
	}
	if _, err := e.svc.Handler(HandlerConfig{CORSOrigins: []string{"not an origin"}}); err == nil {
		t.Error("bad CORS origin accepted")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("empty Config accepted")
	}
	if _, err := New(Config{Customers: e.store, Sessions: e.store, Pool: e.pool, SessionIdle: 2 * time.Hour, SessionMax: time.Hour}); err == nil {
		t.Error("idle timeout above the maximum accepted")
	}
	if _, err := New(Config{Customers: e.store, Sessions: e.store, Pool: e.pool, PasswordMinLength: 300}); err == nil {
		t.Error("minimum password length above 256 accepted")
	}
}

func TestLoginToken(t *testing.T) {
	e := newEnv(t)
	id := e.register("bearer@example.com", goodPassword)
	r := e.do("POST", "/store/auth/token", map[string]any{"email": "BEARER@example.com", "password": goodPassword},
		header("User-Agent", "test-agent/1.0")).expect(200, "")
	m := r.json()
	if len(m) != 3 || m["token_type"] != "Bearer" || m["expires_in"] != float64(DefaultSessionMax/time.Second) {
		t.Fatalf("token response %v", m)
	}
	tok := m["access_token"].(string)
	if !plausibleToken(tok) {
		t.Fatalf("token %q", tok)
	}
	if len(r.rec.Result().Cookies()) != 0 {
		t.Fatal("the token route set a cookie")
	}
	cur := e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	if cur.json()["customer"].(map[string]any)["id"] != id {
		t.Fatalf("current %s", cur.Body)
	}
	// The scheme is case-insensitive.
	e.do("GET", "/store/auth", nil, header("Authorization", "bearer "+tok)).expect(200, "")
	// Listed as a session, and marked current.
	list := e.do("GET", "/store/auth/sessions", nil, bearer(tok)).expect(200, "")
	sessions := list.json()["sessions"].([]any)
	if len(sessions) != 1 {
		t.Fatalf("sessions %s", list.Body)
	}
	s := sessions[0].(map[string]any)
	if s["current"] != true || s["user_agent"] != "test-agent/1.0" || s["ip"] != "192.0.2.1" || !strings.HasPrefix(s["id"].(string), "sess_") {
		t.Fatalf("session %v", s)
	}
	if len(s) != 6 {
		t.Fatalf("session keys %v", s)
	}
	// Forward-auth.
	v := e.do("GET", "/store/auth/verify", nil, bearer(tok)).expect(200, "")
	if v.Header.Get("X-Customer-Id") != id || v.Header.Get("X-Session-Id") != s["id"] {
		t.Fatalf("verify headers %v", v.Header)
	}
	e.do("POST", "/store/auth/verify", nil, bearer(tok)).expect(200, "")
	// DELETE /store/auth ends it everywhere.
	e.do("DELETE", "/store/auth", nil, bearer(tok)).expect(200, "")
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth/verify", nil, bearer(tok)).expect(401, TypeUnauthorized)
	e.do("DELETE", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
}

// outcome is everything an attacker can observe of a failed sign-in, and the work it cost.
type outcome struct {
	status  int
	body    []byte
	headers http.Header
	calls   map[string]int
}

// The same-work rule: every failure is the same answer after the same pool calls.
func TestLoginFailuresLookAlike(t *testing.T) {
	for _, route := range []string{"/store/auth", "/store/auth/token"} {
		t.Run(route, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			known := e.register("known@example.com", goodPassword)
			disabled := e.register("disabled@example.com", goodPassword)
			e.admin("POST", "/admin/customers/"+disabled+"/disable").expect(200, "")
			// A pending row whose pool user even has the password: still not usable.
			now := e.clock.Now()
			pending := store.Customer{ID: newID("cus_", now), Email: "pending@example.com", HasAccount: true,
				State: store.StatePending, CreatedAt: now, UpdatedAt: now}
			if err := e.store.CreateCustomer(ctx, pending); err != nil {
				t.Fatal(err)
			}
			e.pool.addUser(pending.ID, pending.Email, goodPassword)
			// A customer without an account (no credentials at all).
			guest := store.Customer{ID: newID("cus_", now), Email: "guest@example.com", State: store.StateActive,
				CreatedAt: now, UpdatedAt: now}
			if err := e.store.CreateCustomer(ctx, guest); err != nil {
				t.Fatal(err)
			}
			deleted := e.register("deleted@example.com", goodPassword)
			e.admin("DELETE", "/admin/customers/"+deleted).expect(200, "")

			cases := []struct {
				name, email, password, username string
			}{
				{"unknown e-mail", "nobody@example.com", goodPassword, DefaultDecoyUsername},
				{"wrong password", "known@example.com", "Wrong-Password-1", known},
				{"wrong password, other case", "KNOWN@example.com", "Wrong-Password-1", known},
				{"disabled", "disabled@example.com", goodPassword, DefaultDecoyUsername},
				{"pending", "pending@example.com", goodPassword, DefaultDecoyUsername},
				{"no account", "guest@example.com", goodPassword, DefaultDecoyUsername},
				{"deleted", "deleted@example.com", goodPassword, DefaultDecoyUsername},
			}
			var first *outcome
			for i, tc := range cases {
				e.pool.resetCounts()
				r := e.do("POST", route, map[string]any{"email": tc.email, "password": tc.password},
					remote(fmt.Sprintf("198.51.100.%d:4000", i+1))).expect(401, TypeUnauthorized)
				got := &outcome{status: r.Code, body: r.Body, headers: r.Header.Clone(), calls: e.pool.counts()}
				if !maps.Equal(got.calls, map[string]int{mAuthenticate: 1}) {
					t.Fatalf("%s: pool calls %v", tc.name, got.calls)
				}
				if u := e.pool.lastUser(mAuthenticate); u != tc.username {
					t.Fatalf("%s: authenticated %q, want %q", tc.name, u, tc.username)
				}
				if len(r.rec.Result().Cookies()) != 0 {
					t.Fatalf("%s: set a cookie", tc.name)
				}
				if first == nil {
					first = got
					continue
				}
				if got.status != first.status || !bytes.Equal(got.body, first.body) {
					t.Fatalf("%s: %d %q differs from %d %q", tc.name, got.status, got.body, first.status, first.body)
				}
				if !maps.EqualFunc(got.headers, first.headers, func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
					t.Fatalf("%s: headers %v differ from %v", tc.name, got.headers, first.headers)
				}
			}
		})
	}
}

func TestLoginPoolDown(t *testing.T) {
	e := newEnv(t)
	e.register("down@example.com", goodPassword)
	for _, inject := range []func(){
		func() { e.pool.hang(mAuthenticate) },
		func() { e.pool.failWith(mAuthenticate, unavailable()) },
	} {
		inject()
		e.do5xx("POST", "/store/auth", map[string]any{"email": "down@example.com", "password": goodPassword}).expect(503, TypeUnavailable)
		// A dead pool answers the same for unknown e-mails: no hint either way.
		e.do5xx("POST", "/store/auth", map[string]any{"email": "nobody@example.com", "password": goodPassword}).expect(503, TypeUnavailable)
		e.pool.heal()
	}
	// Outages do not count towards the throttle.
	for range 5 {
		e.pool.failWith(mAuthenticate, unavailable())
		e.do5xx("POST", "/store/auth", map[string]any{"email": "down@example.com", "password": goodPassword}).expect(503, TypeUnavailable)
	}
	e.pool.heal()
	e.token("down@example.com", goodPassword)
	e.pool.failWith(mAuthenticate, &PoolError{Kind: ErrPoolThrottled})
	r := e.do("POST", "/store/auth", map[string]any{"email": "down@example.com", "password": goodPassword}).expect(429, TypeTooManyRequests)
	if r.Header.Get("Retry-After") != "30" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
}

func TestLoginValidation(t *testing.T) {
	e := newEnv(t)
	for _, body := range []map[string]any{
		{},
		{"email": "a@example.com"},
		{"password": goodPassword},
		{"email": "not an email", "password": goodPassword},
		{"email": "a@example.com", "password": strings.Repeat("x", 257)},
	} {
		e.do("POST", "/store/auth", body).expect(400, TypeInvalidData)
		e.do("POST", "/store/auth/token", body).expect(400, TypeInvalidData)
	}
	if n := e.pool.count(mAuthenticate); n != 0 {
		t.Fatalf("invalid sign-ins reached the pool %d times", n)
	}
	// A password shorter than today's minimum still signs in (the rule may have changed).
	e.pool.addUser("cus_legacy", "legacy@example.com", "short")
	now := e.clock.Now()
	if err := e.store.CreateCustomer(context.Background(), store.Customer{ID: "cus_legacy", Email: "legacy@example.com",
		HasAccount: true, State: store.StateActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.token("legacy@example.com", "short")
}

// Unicode, SQL metacharacters and letter case are data like any other.
func TestLoginOddButValidInput(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ email, login, password string }{
		{"JOSÉ@EXAMPLE.COM", "josé@example.com", "pässwörd-密码-🔑"},
		{"o'brien+shop@example.com", "O'BRIEN+SHOP@example.com", "' OR '1'='1' --"},
		{"robert@example.com", "Robert@Example.Com", "Robert'); DROP TABLE customers;--"},
		{"percent%@example.com", "PERCENT%@example.com", `%_\"; SELECT * FROM sessions`},
		{"ünï@exämple.com", "ÜNÏ@EXÄMPLE.COM", "\u00a0\u2028 spaces \t and tabs"},
	}
	for _, tc := range cases {
		r := e.do("POST", "/store/customers", map[string]any{"email": tc.email, "password": tc.password,
			"first_name": "Robert'); DROP TABLE customers;--", "last_name": "Ñoño 名前"}).expect(201, "")
		c := r.json()["customer"].(map[string]any)
		if c["email"] != tc.email || c["first_name"] != "Robert'); DROP TABLE customers;--" || c["last_name"] != "Ñoño 名前" {
			t.Fatalf("customer %v", c)
		}
		tok := e.token(tc.login, tc.password)
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
		e.do("POST", "/store/auth", map[string]any{"email": tc.login, "password": tc.password + "x"}).expect(401, TypeUnauthorized)
	}
	// An e-mail made of SQL is simply unknown (or invalid), never an error.
	for _, email := range []string{"' OR 1=1 --@example.com", "a@example.com'; --", `"x\"y"@example.com`} {
		r := e.do("POST", "/store/auth", map[string]any{"email": email, "password": "whatever-1"})
		if r.Code != 400 && r.Code != 401 {
			t.Fatalf("%q: %d %s", email, r.Code, r.Body)
		}
	}
}

func TestThrottleByEmail(t *testing.T) {
	for _, known := range []bool{true, false} {
		t.Run(map[bool]string{true: "known", false: "unknown"}[known], func(t *testing.T) {
			e := newEnv(t)
			if known {
				e.register("victim@example.com", goodPassword)
			}
			ip := 0
			login := func(email, pw string) *response {
				ip++ // a different client each time: only the e-mail key can block
				return e.do("POST", "/store/auth", map[string]any{"email": email, "password": pw},
					remote(fmt.Sprintf("203.0.113.%d:1234", ip)))
			}
			spellings := []string{"victim@example.com", "VICTIM@example.com", "Victim@Example.Com", " victim@example.com", "victim@EXAMPLE.com"}
			var failBody []byte
			for i := range 5 {
				r := login(spellings[i], "Wrong-Password-1").expect(401, TypeUnauthorized)
				failBody = r.Body
			}
			if n := e.pool.count(mAuthenticate); n != 5 {
				t.Fatalf("Authenticate %d times", n)
			}
			// Blocked: even the right password gets the same 401, and the pool is not asked.
			r := login("VICTIM@EXAMPLE.COM", goodPassword).expect(401, TypeUnauthorized)
			if !bytes.Equal(r.Body, failBody) {
				t.Fatalf("blocked body %q, failure body %q", r.Body, failBody)
			}
			if n := e.pool.count(mAuthenticate); n != 5 {
				t.Fatalf("a blocked attempt reached the pool (%d calls)", n)
			}
			// Another e-mail is not affected.
			login("other@example.com", "Wrong-Password-1").expect(401, TypeUnauthorized)
			if n := e.pool.count(mAuthenticate); n != 6 {
				t.Fatalf("Authenticate %d times", n)
			}
			// The block ends after its time (1 s after the fifth failure).
			e.clock.Advance(999 * time.Millisecond)
			login("victim@example.com", goodPassword).expect(401, TypeUnauthorized)
			if n := e.pool.count(mAuthenticate); n != 6 {
				t.Fatal("the block ended early")
			}
			e.clock.Advance(time.Millisecond)
			if !known {
				login("victim@example.com", goodPassword).expect(401, TypeUnauthorized)
				if n := e.pool.count(mAuthenticate); n != 7 {
					t.Fatal("the block did not end")
				}
				// That was the sixth failure: now blocked for 2 s.
				e.clock.Advance(time.Second)
				login("victim@example.com", goodPassword).expect(401, TypeUnauthorized)
				if n := e.pool.count(mAuthenticate); n != 7 {
					t.Fatal("the second block is too short")
				}
				return
			}
			login("victim@example.com", goodPassword).expect(200, "")
			// Success resets the count: one more failure does not block.
			login("victim@example.com", "Wrong-Password-1").expect(401, TypeUnauthorized)
			login("victim@example.com", goodPassword).expect(200, "")
		})
	}
}

func TestThrottleByIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.TrustedProxies = trusted }))
	e.register("real@example.com", goodPassword)
	// Behind the trusted proxy the client is the forwarded address. An attacker cannot
	// rotate X-Forwarded-For to escape: only the rightmost untrusted hop counts.
	attacker := func(i int) []reqOpt {
		return []reqOpt{remote("10.1.2.3:5555"), header("X-Forwarded-For", fmt.Sprintf("1.1.1.%d, 203.0.113.66", i%250))}
	}
	for i := range 50 {
		e.do("POST", "/store/auth", map[string]any{"email": fmt.Sprintf("guess%d@example.com", i), "password": "Guess-123"},
			attacker(i)...).expect(401, TypeUnauthorized)
	}
	before := e.pool.count(mAuthenticate)
	e.do("POST", "/store/auth", map[string]any{"email": "real@example.com", "password": goodPassword}, attacker(99)...).expect(401, TypeUnauthorized)
	if e.pool.count(mAuthenticate) != before {
		t.Fatal("a blocked IP reached the pool")
	}
	// Another client behind the same proxy is not blocked.
	e.do("POST", "/store/auth", map[string]any{"email": "real@example.com", "password": goodPassword},
		remote("10.1.2.3:5555"), header("X-Forwarded-For", "203.0.113.67")).expect(200, "")
	// A direct (untrusted) client claiming the blocked address is judged by its own.
	e.do("POST", "/store/auth", map[string]any{"email": "real@example.com", "password": goodPassword},
		remote("198.51.100.7:5555"), header("X-Forwarded-For", "203.0.113.66")).expect(200, "")
	// The block ends.
	e.clock.Advance(time.Second)
	e.do("POST", "/store/auth", map[string]any{"email": "real@example.com", "password": goodPassword}, attacker(1)...).expect(200, "")
}

// However many failures, no block is longer than 15 minutes (Cognito's own lockout).
func TestThrottleNeverBlocksLongerThan15Minutes(t *testing.T) {
	th := newThrottle(5, 15*time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	longest := time.Duration(0)
	for i := range 200 {
		th.fail("k", now)
		blocked, left := th.blocked("k", now)
		if i < 4 && blocked {
			t.Fatalf("blocked after %d failures", i+1)
		}
		if i >= 4 && !blocked {
			t.Fatalf("not blocked after %d failures", i+1)
		}
		if left > 15*time.Minute {
			t.Fatalf("blocked for %v after %d failures", left, i+1)
		}
		longest = max(longest, left)
		if blocked {
			// Failures during a block do not count or extend it.
			th.fail("k", now.Add(left/2))
			if _, l2 := th.blocked("k", now.Add(left/2)); l2 != left-left/2 {
				t.Fatalf("a failure during the block changed it: %v", l2)
			}
		}
		now = now.Add(left)
		if b, _ := th.blocked("k", now); b {
			t.Fatal("still blocked when the block should have ended")
		}
	}
	if longest != 15*time.Minute {
		t.Fatalf("longest block %v", longest)
	}
	// After 15 quiet minutes past the last failure, the count starts again.
	th2 := newThrottle(5, 15*time.Minute)
	for range 4 {
		th2.fail("k", now)
	}
	now = now.Add(15*time.Minute + time.Second)
	th2.fail("k", now)
	if b, _ := th2.blocked("k", now); b {
		t.Fatal("old failures were not forgotten")
	}
}

func TestThrottleSweep(t *testing.T) {
	th := newThrottle(5, 15*time.Minute)
	th.maxKeys = 10
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		th.fail(fmt.Sprint(i), now)
	}
	// An eleventh key makes room: everything still matters, so all go.
	th.fail("new", now)
	if len(th.keys) > 10 {
		t.Fatalf("%d keys", len(th.keys))
	}
	th.sweep(now.Add(time.Hour))
	if len(th.keys) != 0 {
		t.Fatalf("%d keys after a sweep", len(th.keys))
	}
}

// A customer who is blocked by the throttle is blocked at most 15 minutes, even after a long
// attack, and can then sign in.
func TestThrottleLongAttackThenCustomer(t *testing.T) {
	e := newEnv(t)
	e.register("target@example.com", goodPassword)
	for i := range 40 {
		e.do("POST", "/store/auth", map[string]any{"email": "target@example.com", "password": "Wrong-Password-1"},
			remote(fmt.Sprintf("203.0.113.%d:1", i))).expect(401, TypeUnauthorized)
		e.clock.Advance(16 * time.Second)
	}
	e.clock.Advance(15 * time.Minute)
	e.do("POST", "/store/auth", map[string]any{"email": "target@example.com", "password": goodPassword}, remote("198.51.100.1:1")).expect(200, "")
}

// Even if someone creates the decoy user in the pool, it never signs anyone in.
func TestDecoyNeverSignsIn(t *testing.T) {
	e := newEnv(t)
	e.pool.addUser(DefaultDecoyUsername, "decoy@example.com", goodPassword)
	e.do("POST", "/store/auth", map[string]any{"email": "nobody@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.do("POST", "/store/auth/token", map[string]any{"email": "decoy@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	if e.pool.lastUser(mAuthenticate) != DefaultDecoyUsername {
		t.Fatal("the decoy was not asked")
	}
	// A configured decoy name is used instead.
	e2 := newEnv(t, withConfig(func(c *Config) { c.DecoyUsername = "someone_else" }))
	e2.do("POST", "/store/auth", map[string]any{"email": "nobody@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	if u := e2.pool.lastUser(mAuthenticate); u != "someone_else" {
		t.Fatalf("asked about %q", u)
	}
}

func TestLoginMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, withConfig(func(c *Config) { c.Registerer = reg }))
	e.register("metrics@example.com", goodPassword)
	e.token("metrics@example.com", goodPassword)
	e.do("POST", "/store/auth", map[string]any{"email": "metrics@example.com", "password": "Wrong-Password-1"}).expect(401, "")
	counter := func(name, label string) float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != name {
				continue
			}
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetValue() == label {
						return m.GetCounter().GetValue()
					}
				}
			}
		}
		return 0
	}
	if got := counter("hashless_store_logins_total", "ok"); got != 1 {
		t.Fatalf("ok logins %v", got)
	}
	if got := counter("hashless_store_logins_total", "refused"); got != 1 {
		t.Fatalf("refused logins %v", got)
	}
	if got := counter("hashless_store_registrations_total", "created"); got != 1 {
		t.Fatalf("registrations %v", got)
	}
}

// Concurrent registrations of one address in different letter cases: one customer, one pool
// user, every other answer a 409.
func TestConcurrentRegistrations(t *testing.T) {
	e := newEnv(t)
	const n = 16
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@Example.com"
			}
			body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, goodPassword)
			req := httptest.NewRequest("POST", "/store/customers", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.api.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case 201:
			created++
		case 409:
		default:
			t.Fatalf("status %d", c)
		}
	}
	if created != 1 {
		t.Fatalf("%d registrations succeeded", created)
	}
	e.consistent(true)
	if len(e.pool.usernames()) != 1 {
		t.Fatalf("pool users %v", e.pool.usernames())
	}
}

// Concurrent sign-ins and session checks: each gets its own session.
func TestConcurrentSignIns(t *testing.T) {
	e := newEnv(t)
	e.register("many-devices@example.com", goodPassword)
	const n = 16
	tokens := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/store/auth/token",
				strings.NewReader(`{"email":"many-devices@example.com","password":"`+goodPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1", i)
			rec := httptest.NewRecorder()
			e.api.ServeHTTP(rec, req)
			var m map[string]any
			json.Unmarshal(rec.Body.Bytes(), &m)
			tok, _ := m["access_token"].(string)
			tokens <- tok
		}()
	}
	wg.Wait()
	close(tokens)
	seen := map[string]bool{}
	for tok := range tokens {
		if tok == "" || seen[tok] {
			t.Fatalf("token %q", tok)
		}
		seen[tok] = true
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	}
}
