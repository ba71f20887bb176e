package storeauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.SessionIdle, c.SessionMax = time.Hour, 3*time.Hour }))
	e.register("idle@example.com", goodPassword)
	tok := e.token("idle@example.com", goodPassword)
	e.clock.Advance(59 * time.Minute)
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	e.clock.Advance(59 * time.Minute) // idle 59 min since the last use
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	e.clock.Advance(time.Hour) // idle exactly the timeout
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
	// The expired session is gone, not merely refused.
	if _, err := e.store.SessionByTokenHash(context.Background(), tokenHash(tok)); err == nil {
		t.Fatal("the idle session is still stored")
	}
}

func TestSessionAbsoluteTimeout(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.SessionIdle, c.SessionMax = time.Hour, 3*time.Hour }))
	e.register("abs@example.com", goodPassword)
	tok := e.token("abs@example.com", goodPassword)
	ck := e.do("POST", "/store/auth", map[string]any{"email": "abs@example.com", "password": goodPassword}).cookie(CookieName)
	if ck.MaxAge != int((3 * time.Hour).Seconds()) {
		t.Fatalf("cookie MaxAge %d", ck.MaxAge)
	}
	for range 5 { // used every 30 minutes: never idle
		e.clock.Advance(30 * time.Minute)
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
		e.do("GET", "/store/auth", nil, withCookie(ck)).expect(200, "")
	}
	e.clock.Advance(29*time.Minute + 59*time.Second)
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	e.clock.Advance(time.Second) // exactly three hours after sign-in
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
	r := e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
	if cl := r.cookie(CookieName); cl == nil || cl.MaxAge >= 0 {
		t.Fatal("a dead cookie was not cleared")
	}
}

func TestSessionListHidesExpired(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.SessionIdle, c.SessionMax = time.Hour, 3*time.Hour }))
	e.register("list@example.com", goodPassword)
	old := e.token("list@example.com", goodPassword)
	e.clock.Advance(50 * time.Minute)
	cur := e.token("list@example.com", goodPassword)
	e.clock.Advance(20 * time.Minute) // old is idle past the timeout, cur is not
	r := e.do("GET", "/store/auth/sessions", nil, bearer(cur)).expect(200, "")
	if n := len(r.json()["sessions"].([]any)); n != 1 {
		t.Fatalf("%d sessions listed: %s", n, r.Body)
	}
	// Cleanup removes it from the store.
	n, err := e.svc.CleanupSessions(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("CleanupSessions %d, %v", n, err)
	}
	e.do("GET", "/store/auth", nil, bearer(old)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(cur)).expect(200, "")
}

func TestSessionTouchAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	e.register("touch@example.com", goodPassword)
	tok := e.token("touch@example.com", goodPassword)
	for range 20 {
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
		e.clock.Advance(2 * time.Second)
	}
	if n := e.store.touchCount(); n != 0 {
		t.Fatalf("%d writes within the first minute", n)
	}
	e.clock.Advance(21 * time.Second) // 61 s since sign-in
	for range 10 {
		e.do("GET", "/store/auth/verify", nil, bearer(tok)).expect(200, "")
	}
	if n := e.store.touchCount(); n != 1 {
		t.Fatalf("%d writes, want 1", n)
	}
	list := e.do("GET", "/store/auth/sessions", nil, bearer(tok)).expect(200, "")
	s := list.json()["sessions"].([]any)[0].(map[string]any)
	seen, _ := time.Parse(time.RFC3339Nano, s["last_seen_at"].(string))
	if !seen.Equal(e.clock.Now()) {
		t.Fatalf("last_seen_at %v, now %v", seen, e.clock.Now())
	}
	e.clock.Advance(59 * time.Second)
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	if n := e.store.touchCount(); n != 1 {
		t.Fatalf("%d writes, want 1", n)
	}
	e.clock.Advance(time.Second)
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	if n := e.store.touchCount(); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
}

// Only the token's SHA-256 reaches the database.
func TestSessionTokenStoredOnlyAsHash(t *testing.T) {
	e := newEnv(t)
	id := e.register("hash@example.com", goodPassword)
	tok := e.token("hash@example.com", goodPassword)
	ck := e.do("POST", "/store/auth", map[string]any{"email": "hash@example.com", "password": goodPassword}).cookie(CookieName)
	sessions, err := e.store.ListSessions(context.Background(), id)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("%d sessions, %v", len(sessions), err)
	}
	for _, token := range []string{tok, ck.Value} {
		sum := sha256.Sum256([]byte(token))
		found := false
		for _, s := range sessions {
			dump := fmt.Sprintf("%#v", s)
			if strings.Contains(dump, token) || bytes.Contains(s.TokenHash, []byte(token)) {
				t.Fatalf("the token is stored: %s", dump)
			}
			if bytes.Equal(s.TokenHash, sum[:]) {
				found = true
			}
			if len(s.TokenHash) != 32 {
				t.Fatalf("hash of %d bytes", len(s.TokenHash))
			}
		}
		if !found {
			t.Fatal("no session holds the token's SHA-256")
		}
	}
	for _, c := range e.store.allCustomers(t) {
		if dump := fmt.Sprintf("%#v", c); strings.Contains(dump, tok) || strings.Contains(dump, ck.Value) || strings.Contains(dump, goodPassword) {
			t.Fatalf("a customer row holds a secret: %s", dump)
		}
	}
	kinds := map[string]bool{}
	for _, s := range sessions {
		kinds[s.Kind] = true
	}
	if !kinds[KindBearer] || !kinds[KindCookie] {
		t.Fatalf("kinds %v", kinds)
	}
}

func TestSessionForgedTokens(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.SessionIdle, c.SessionMax = time.Hour, time.Hour }))
	e.register("forge@example.com", goodPassword)
	good := e.token("forge@example.com", goodPassword)
	expired := e.token("forge@example.com", goodPassword)
	forged, _ := newSessionToken()
	flipped := []byte(good)
	flipped[10] ^= 1
	cases := []string{
		forged,                            // well-formed, unknown
		string(flipped),                   // one bit off
		good[:42],                         // too short
		good + "A",                        // too long
		strings.Repeat("!", 43),           // wrong alphabet
		good[:42] + "=",                   // padding
		good[:40] + "%00",                 // escapes
		"' OR '1'='1' -- aaaaaaaaaaaaaaa", // SQL
		strings.Repeat("a", 10000),        // huge
		"ünïcødé-ünïcødé-ünïcødé-ünï", // non-ASCII
	}
	for _, tok := range cases {
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
		e.do("GET", "/store/auth/verify", nil, bearer(tok)).expect(401, TypeUnauthorized)
		e.do("GET", "/store/auth/sessions", nil, bearer(tok)).expect(401, TypeUnauthorized)
		if plausibleToken(tok) {
			// Cookie values must be valid cookie octets to be sent at all.
			e.do("GET", "/store/auth", nil, withCookie(&http.Cookie{Name: CookieName, Value: tok})).expect(401, TypeUnauthorized)
		}
	}
	for _, h := range []string{"Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer  ", "bearer\t" + good, good} {
		e.do("GET", "/store/auth", nil, header("Authorization", h)).expect(401, TypeUnauthorized)
	}
	e.do("GET", "/store/auth", nil).expect(401, TypeUnauthorized)
	e.clock.Advance(time.Hour)
	e.do("GET", "/store/auth", nil, bearer(expired)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(good)).expect(401, TypeUnauthorized)
}

func TestEndOneSession(t *testing.T) {
	e := newEnv(t)
	e.register("a@example.com", goodPassword)
	e.register("b@example.com", goodPassword)
	a1 := e.token("a@example.com", goodPassword)
	a2 := e.token("a@example.com", goodPassword)
	b1 := e.token("b@example.com", goodPassword)
	sessID := func(tok string) string {
		s, err := e.svc.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	bID, a2ID := sessID(b1), sessID(a2)
	// Another customer's session: 404, and it lives on.
	e.do("DELETE", "/store/auth/sessions/"+bID, nil, bearer(a1)).expect(404, TypeNotFound)
	e.do("GET", "/store/auth", nil, bearer(b1)).expect(200, "")
	e.do("DELETE", "/store/auth/sessions/sess_nonexistent", nil, bearer(a1)).expect(404, TypeNotFound)
	e.do("DELETE", "/store/auth/sessions/"+strings.Repeat("x", 5000), nil, bearer(a1)).expect(404, TypeNotFound)
	// One's own other session.
	r := e.do("DELETE", "/store/auth/sessions/"+a2ID, nil, bearer(a1)).expect(200, "")
	if m := r.json(); m["id"] != a2ID || m["deleted"] != true || m["object"] != "session" {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(a2)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(a1)).expect(200, "")
	e.do("DELETE", "/store/auth/sessions/"+a2ID, nil, bearer(a1)).expect(404, TypeNotFound)
	// Without a session: 401.
	e.do("DELETE", "/store/auth/sessions/"+bID, nil).expect(401, TypeUnauthorized)
	// Ending the current session by ID clears its cookie.
	ck := e.do("POST", "/store/auth", map[string]any{"email": "a@example.com", "password": goodPassword}).cookie(CookieName)
	s, err := e.svc.Authenticate(context.Background(), ck.Value)
	if err != nil {
		t.Fatal(err)
	}
	r = e.do("DELETE", "/store/auth/sessions/"+s.ID, nil, withCookie(ck)).expect(200, "")
	if cl := r.cookie(CookieName); cl == nil || cl.MaxAge >= 0 {
		t.Fatal("the cookie of the ended session was not cleared")
	}
	e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
}

func TestEndOtherSessions(t *testing.T) {
	e := newEnv(t)
	e.register("many@example.com", goodPassword)
	e.register("bystander@example.com", goodPassword)
	toks := []string{e.token("many@example.com", goodPassword), e.token("many@example.com", goodPassword), e.token("many@example.com", goodPassword)}
	other := e.token("bystander@example.com", goodPassword)
	r := e.do("DELETE", "/store/auth/sessions", nil, bearer(toks[1])).expect(200, "")
	if r.json()["ended"] != float64(2) {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(toks[0])).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(toks[2])).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(toks[1])).expect(200, "")
	e.do("GET", "/store/auth", nil, bearer(other)).expect(200, "")
	list := e.do("GET", "/store/auth/sessions", nil, bearer(toks[1])).expect(200, "")
	if n := len(list.json()["sessions"].([]any)); n != 1 {
		t.Fatalf("%d sessions", n)
	}
}

func TestSessionsListedNewestFirst(t *testing.T) {
	e := newEnv(t)
	e.register("order@example.com", goodPassword)
	var toks []string
	for i := range 3 {
		toks = append(toks, e.token("order@example.com", goodPassword, header("User-Agent", fmt.Sprint("agent-", i))))
		e.clock.Advance(time.Second)
	}
	r := e.do("GET", "/store/auth/sessions", nil, bearer(toks[1])).expect(200, "")
	list := r.json()["sessions"].([]any)
	if len(list) != 3 {
		t.Fatalf("%s", r.Body)
	}
	for i, want := range []string{"agent-2", "agent-1", "agent-0"} {
		s := list[i].(map[string]any)
		if s["user_agent"] != want || s["current"] != (want == "agent-1") {
			t.Fatalf("session %d: %v", i, s)
		}
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	id := e.register("change@example.com", goodPassword)
	cur := e.token("change@example.com", goodPassword)
	other := e.token("change@example.com", goodPassword)
	// Wrong old password: 400, nothing changes.
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": "Not-The-Password", "new_password": "Brand-New-Pass-2"},
		bearer(cur)).expect(400, TypeInvalidData)
	e.do("GET", "/store/auth", nil, bearer(other)).expect(200, "")
	// Missing fields and a too-short new password.
	e.do("POST", "/store/customers/me/password", map[string]any{"new_password": "Brand-New-Pass-2"}, bearer(cur)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword}, bearer(cur)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword, "new_password": "short"}, bearer(cur)).expect(400, TypeInvalidData)
	// The pool's policy message comes through.
	e.pool.policy = func(pw string) error {
		if !strings.ContainsAny(pw, "0123456789") {
			return &PoolError{Kind: ErrPasswordPolicy, Message: "Password must have numeric characters"}
		}
		return nil
	}
	r := e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword, "new_password": "No-Digits-Here"},
		bearer(cur)).expect(400, TypeInvalidData)
	if r.message() != "Password must have numeric characters" {
		t.Fatalf("message %q", r.message())
	}
	e.do("GET", "/store/auth", nil, bearer(other)).expect(200, "")
	// Without a session: 401.
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword, "new_password": "Brand-New-Pass-2"}).expect(401, TypeUnauthorized)

	r = e.do("POST", "/store/customers/me/password", map[string]any{"old_password": goodPassword, "new_password": "Brand-New-Pass-2"},
		bearer(cur)).expect(200, "")
	if r.json()["customer"].(map[string]any)["id"] != id {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(other)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(cur)).expect(200, "")
	e.do("POST", "/store/auth", map[string]any{"email": "change@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.token("change@example.com", "Brand-New-Pass-2")
	if u, _ := e.pool.user(id); u.password != "Brand-New-Pass-2" {
		t.Fatal("the pool has the old password")
	}
	// A pool outage: 503, the session stays.
	e.pool.failWith(mSetPassword, unavailable())
	e.do5xx("POST", "/store/customers/me/password", map[string]any{"old_password": "Brand-New-Pass-2", "new_password": "Third-Pass-345"},
		bearer(cur)).expect(503, TypeUnavailable)
	e.do("GET", "/store/auth", nil, bearer(cur)).expect(200, "")
}

func TestDisableEndsAllSessions(t *testing.T) {
	e := newEnv(t)
	id := e.register("dis@example.com", goodPassword)
	a := e.token("dis@example.com", goodPassword)
	b := e.token("dis@example.com", goodPassword)
	r := e.admin("POST", "/admin/customers/"+id+"/disable").expect(200, "")
	if r.json()["disabled"] != true {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(a)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(b)).expect(401, TypeUnauthorized)
	if u, _ := e.pool.user(id); u.enabled {
		t.Fatal("the pool user is still enabled")
	}
	e.do("POST", "/store/auth", map[string]any{"email": "dis@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	// A reset request for a disabled customer sends nothing.
	e.pool.resetCounts()
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "dis@example.com"}).expect(204, "")
	if u := e.pool.lastUser(mForgotPassword); u != DefaultDecoyUsername {
		t.Fatalf("reset code sent to %q", u)
	}
	r = e.admin("POST", "/admin/customers/"+id+"/enable").expect(200, "")
	if r.json()["disabled"] != false {
		t.Fatalf("answer %s", r.Body)
	}
	if u, _ := e.pool.user(id); !u.enabled {
		t.Fatal("the pool user is still disabled")
	}
	e.token("dis@example.com", goodPassword)
}

func TestAdminDeleteEndsSessionsAndFreesEmail(t *testing.T) {
	e := newEnv(t)
	id := e.register("Del@Example.com", goodPassword)
	a := e.token("del@example.com", goodPassword)
	ck := e.do("POST", "/store/auth", map[string]any{"email": "del@example.com", "password": goodPassword}).cookie(CookieName)
	r := e.admin("DELETE", "/admin/customers/"+id).expect(200, "")
	if m := r.json(); m["id"] != id || m["deleted"] != true || m["object"] != "customer" {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(a)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
	if _, ok := e.pool.user(id); ok {
		t.Fatal("the pool user is still there")
	}
	row, err := e.store.GetCustomer(context.Background(), id)
	if err != nil || row.State != store.StateDeleted || row.DeletedAt.IsZero() {
		t.Fatalf("row %+v, %v (want soft-deleted)", row, err)
	}
	e.do("POST", "/store/auth", map[string]any{"email": "del@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.admin("DELETE", "/admin/customers/"+id).expect(404, TypeNotFound)
	e.admin("POST", "/admin/customers/"+id+"/disable").expect(404, TypeNotFound)
	// The address can be registered again, as a new customer.
	id2 := e.register("del@EXAMPLE.com", "Another-Pass-77")
	if id2 == id {
		t.Fatal("the ID was reused")
	}
	e.token("del@example.com", "Another-Pass-77")
	e.consistent(true)
}

func TestAdminEndSessions(t *testing.T) {
	e := newEnv(t)
	id := e.register("ends@example.com", goodPassword)
	a := e.token("ends@example.com", goodPassword)
	b := e.token("ends@example.com", goodPassword)
	r := e.admin("DELETE", "/admin/customers/"+id+"/sessions").expect(200, "")
	if r.json()["ended"] != float64(2) {
		t.Fatalf("answer %s", r.Body)
	}
	e.do("GET", "/store/auth", nil, bearer(a)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(b)).expect(401, TypeUnauthorized)
	e.admin("DELETE", "/admin/customers/cus_nobody/sessions").expect(404, TypeNotFound)
	e.token("ends@example.com", goodPassword)
}

// A session whose customer vanished is not a way in.
func TestSessionOfGoneCustomer(t *testing.T) {
	e := newEnv(t)
	id := e.register("vanish@example.com", goodPassword)
	tok := e.token("vanish@example.com", goodPassword)
	c, err := e.store.GetCustomer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.State = store.StateDeleted
	if err := e.store.UpdateCustomer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
	if r := e.do("POST", "/store/customers/me", map[string]any{"first_name": "X"}, bearer(tok)); r.Code != 401 && r.Code != 404 {
		t.Fatalf("profile update of a deleted customer: %d %s", r.Code, r.Body)
	}
}
