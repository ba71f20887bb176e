package storeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

// resetCode returns the code the fake pool "sent" to a customer.
func (e *env) resetCode(id string) string {
	e.t.Helper()
	u, ok := e.pool.user(id)
	if !ok || u.resetCode == "" {
		e.t.Fatalf("no reset code for %s", id)
	}
	return u.resetCode
}

func TestPasswordToken(t *testing.T) {
	e := newEnv(t)
	id := e.register("forgot@example.com", goodPassword)
	cases := []struct{ email, username string }{
		{"forgot@example.com", id},
		{"FORGOT@Example.com", id},
		{"nobody@example.com", DefaultDecoyUsername},
	}
	for _, tc := range cases {
		e.pool.resetCounts()
		r := e.do("POST", "/store/customers/password-token", map[string]any{"email": tc.email}).expect(204, "")
		if len(r.Body) != 0 {
			t.Fatalf("204 with a body: %q", r.Body)
		}
		if got := e.pool.counts(); !maps.Equal(got, map[string]int{mForgotPassword: 1}) {
			t.Fatalf("%s: pool calls %v", tc.email, got)
		}
		if u := e.pool.lastUser(mForgotPassword); u != tc.username {
			t.Fatalf("%s: code sent to %q", tc.email, u)
		}
	}
	// Even a pool outage is a 204: the answer never tells anything.
	e.pool.failWith(mForgotPassword, unavailable())
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "forgot@example.com"}).expect(204, "")
	e.pool.heal()
	// A malformed e-mail is a malformed request, known or not.
	for _, body := range []any{
		map[string]any{"email": "not-an-email"},
		map[string]any{"email": ""},
		map[string]any{},
		map[string]any{"email": 42},
		raw(`{"email":"a@example.com","extra":1}`),
	} {
		e.do("POST", "/store/customers/password-token", body).expect(400, TypeInvalidData)
	}
}

func TestPasswordReset(t *testing.T) {
	for _, field := range []string{"token", "code"} {
		t.Run(field, func(t *testing.T) {
			e := newEnv(t)
			id := e.register("reset@example.com", goodPassword)
			a := e.token("reset@example.com", goodPassword)
			ck := e.do("POST", "/store/auth", map[string]any{"email": "reset@example.com", "password": goodPassword}).cookie(CookieName)
			e.do("POST", "/store/customers/password-token", map[string]any{"email": "reset@example.com"}).expect(204, "")
			code := e.resetCode(id)

			// Wrong code: 400; unknown e-mail: byte-identical 400.
			wrong := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "reset@example.com", field: "000000", "password": "Reset-Pass-123"}).expect(400, TypeInvalidData)
			e.pool.resetCounts()
			unknown := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "nobody@example.com", field: code, "password": "Reset-Pass-123"}).expect(400, TypeInvalidData)
			if !bytes.Equal(wrong.Body, unknown.Body) {
				t.Fatalf("wrong code %q, unknown e-mail %q", wrong.Body, unknown.Body)
			}
			if got := e.pool.counts(); !maps.Equal(got, map[string]int{mConfirmForgotPassword: 1}) {
				t.Fatalf("unknown e-mail: pool calls %v", got)
			}
			// Sessions survive failed attempts.
			e.do("GET", "/store/auth", nil, bearer(a)).expect(200, "")

			r := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "RESET@example.com", field: code, "password": "Reset-Pass-123"},
				withCookie(ck)).expect(200, "")
			if r.json()["customer"].(map[string]any)["id"] != id {
				t.Fatalf("answer %s", r.Body)
			}
			if cl := r.cookie(CookieName); cl == nil || cl.MaxAge >= 0 {
				t.Fatal("the cookie was not cleared")
			}
			// Every session ended.
			e.do("GET", "/store/auth", nil, bearer(a)).expect(401, TypeUnauthorized)
			e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
			e.do("POST", "/store/auth", map[string]any{"email": "reset@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
			e.token("reset@example.com", "Reset-Pass-123")
			// The code is spent.
			e.do("POST", "/store/customers/password-reset", map[string]any{"email": "reset@example.com", field: code, "password": "Another-Pass-1"}).expect(400, TypeInvalidData)
		})
	}
}

func TestPasswordResetRefusals(t *testing.T) {
	e := newEnv(t)
	id := e.register("refuse@example.com", goodPassword)
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "refuse@example.com"}).expect(204, "")
	code := e.resetCode(id)
	for _, body := range []map[string]any{
		{"email": "refuse@example.com", "password": "Reset-Pass-123"},                                   // no code
		{"email": "refuse@example.com", "token": "", "code": "", "password": "Reset-Pass-123"},          // empty code
		{"email": "refuse@example.com", "token": strings.Repeat("1", 65), "password": "Reset-Pass-123"}, // absurd code
		{"email": "refuse@example.com", "token": code},                                                  // no password
		{"email": "refuse@example.com", "token": code, "password": "short"},                             // too short
		{"token": code, "password": "Reset-Pass-123"},                                                   // no e-mail
		{"email": "bad", "token": code, "password": "Reset-Pass-123"},                                   // bad e-mail
	} {
		e.do("POST", "/store/customers/password-reset", body).expect(400, TypeInvalidData)
	}
	// The pool's policy message comes through.
	e.pool.policy = func(string) error {
		return &PoolError{Kind: ErrPasswordPolicy, Message: "Password must have symbol characters"}
	}
	r := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "refuse@example.com", "token": code, "password": "Reset-Pass-123"}).expect(400, TypeInvalidData)
	if r.message() != "Password must have symbol characters" {
		t.Fatalf("message %q", r.message())
	}
	e.pool.policy = nil
	// A pool outage is a 503, and the code still works afterwards.
	e.pool.failWith(mConfirmForgotPassword, unavailable())
	e.do5xx("POST", "/store/customers/password-reset", map[string]any{"email": "refuse@example.com", "token": code, "password": "Reset-Pass-123"}).expect(503, TypeUnavailable)
	e.pool.heal()
	// `token` wins over `code` when both are given.
	e.do("POST", "/store/customers/password-reset", map[string]any{"email": "refuse@example.com", "token": code, "code": "999999", "password": "Reset-Pass-123"}).expect(200, "")
}

// A pool that says NotAuthorized for a reset (e.g. a disabled user) gives the wrong-code
// answer, not a 401 that would sound like a sign-in failure.
func TestPasswordResetNotAuthorizedIsBadCode(t *testing.T) {
	e := newEnv(t)
	e.register("na@example.com", goodPassword)
	e.pool.failWith(mConfirmForgotPassword, &PoolError{Kind: ErrNotAuthorized})
	r := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "na@example.com", "token": "123456", "password": "Reset-Pass-123"}).expect(400, TypeInvalidData)
	e.pool.heal()
	r2 := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "nobody@example.com", "token": "123456", "password": "Reset-Pass-123"}).expect(400, TypeInvalidData)
	if !bytes.Equal(r.Body, r2.Body) {
		t.Fatalf("%q vs %q", r.Body, r2.Body)
	}
}

func TestProfileUpdate(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/store/customers", map[string]any{"email": "prof@example.com", "password": goodPassword,
		"first_name": "Old", "last_name": "Name", "metadata": map[string]any{"a": 1, "b": 2, "nested": map[string]any{"x": 1}}}).expect(201, "")
	tok := e.token("prof@example.com", goodPassword)
	e.clock.Advance(90 * time.Second)
	r := e.do("POST", "/store/customers/me", raw(`{"first_name":"New","phone":"+1 555 0100","metadata":{"b":null,"c":"three","nested":{"y":2}}}`),
		bearer(tok)).expect(200, "")
	c := r.json()["customer"].(map[string]any)
	if c["first_name"] != "New" || c["last_name"] != "Name" || c["phone"] != "+1 555 0100" || c["email"] != "prof@example.com" {
		t.Fatalf("customer %v", c)
	}
	meta, _ := json.Marshal(c["metadata"])
	if string(meta) != `{"a":1,"c":"three","nested":{"y":2}}` {
		t.Fatalf("metadata %s", meta)
	}
	if c["updated_at"] == c["created_at"] {
		t.Fatal("updated_at did not move")
	}
	// Stored, not just answered.
	cur := e.do("GET", "/store/customers/me", nil, bearer(tok)).expect(200, "")
	if got := cur.json()["customer"].(map[string]any); got["first_name"] != "New" || got["phone"] != "+1 555 0100" {
		t.Fatalf("stored %v", got)
	}
	// Empty strings clear; deleting the last keys leaves null.
	r = e.do("POST", "/store/customers/me", raw(`{"phone":"","metadata":{"a":null,"c":null,"nested":null}}`), bearer(tok)).expect(200, "")
	c = r.json()["customer"].(map[string]any)
	if c["phone"] != nil || c["metadata"] != nil || c["first_name"] != "New" {
		t.Fatalf("customer %v", c)
	}
	// metadata: null clears it all.
	e.do("POST", "/store/customers/me", raw(`{"metadata":{"k":"v"}}`), bearer(tok)).expect(200, "")
	r = e.do("POST", "/store/customers/me", raw(`{"metadata":null}`), bearer(tok)).expect(200, "")
	if r.json()["customer"].(map[string]any)["metadata"] != nil {
		t.Fatalf("metadata %s", r.Body)
	}
	// An empty update changes nothing and needs no pool.
	e.pool.resetCounts()
	e.do("POST", "/store/customers/me", raw(`{}`), bearer(tok)).expect(200, "")
	// The e-mail unchanged, or changed only in letter case, needs no password.
	e.do("POST", "/store/customers/me", raw(`{"email":"prof@example.com"}`), bearer(tok)).expect(200, "")
	r = e.do("POST", "/store/customers/me", raw(`{"email":"Prof@Example.com"}`), bearer(tok)).expect(200, "")
	if r.json()["customer"].(map[string]any)["email"] != "Prof@Example.com" {
		t.Fatalf("answer %s", r.Body)
	}
	if n := len(e.pool.counts()); n != 0 {
		t.Fatalf("pool calls %v", e.pool.counts())
	}
	// Invalid values.
	for _, body := range []string{
		`{"first_name":"` + strings.Repeat("x", 256) + `"}`,
		`{"phone":"` + strings.Repeat("1", 33) + `"}`,
		`{"last_name":"a\nb"}`,
		`{"metadata":[1,2]}`,
		`{"metadata":"x"}`,
		`{"metadata":{"big":"` + strings.Repeat("m", 17<<10) + `"}}`,
		`{"email":"not-an-email","password":"` + goodPassword + `"}`,
		`{"email":null,"first_name":5}`,
	} {
		e.do("POST", "/store/customers/me", raw(body), bearer(tok)).expect(400, TypeInvalidData)
	}
	// Without a session.
	e.do("POST", "/store/customers/me", raw(`{"first_name":"X"}`)).expect(401, TypeUnauthorized)
}

func TestProfileEmailChange(t *testing.T) {
	e := newEnv(t)
	id := e.register("before@example.com", goodPassword)
	e.register("taken@example.com", goodPassword)
	tok := e.token("before@example.com", goodPassword)
	other := e.token("before@example.com", goodPassword)

	// Missing or wrong password: 400, nothing changes.
	e.do("POST", "/store/customers/me", map[string]any{"email": "after@example.com"}, bearer(tok)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me", map[string]any{"email": "after@example.com", "password": "Wrong-Password-1"}, bearer(tok)).expect(400, TypeInvalidData)
	// A duplicate in any letter case: 409.
	e.do("POST", "/store/customers/me", map[string]any{"email": "TAKEN@example.com", "password": goodPassword}, bearer(tok)).expect(409, TypeDuplicate)
	row, _ := e.store.GetCustomer(context.Background(), id)
	if row.Email != "before@example.com" {
		t.Fatalf("row e-mail %q", row.Email)
	}
	if u, _ := e.pool.user(id); u.email != "before@example.com" {
		t.Fatalf("pool e-mail %q", u.email)
	}

	// The pool refuses the new address: the row goes back.
	e.pool.failWith(mUpdateEmail, unavailable())
	e.do5xx("POST", "/store/customers/me", map[string]any{"email": "after@example.com", "password": goodPassword, "first_name": "Kept"},
		bearer(tok)).expect(503, TypeUnavailable)
	e.pool.failWith(mUpdateEmail, &PoolError{Kind: ErrPoolInvalid, Message: "Invalid email address format."})
	r := e.do("POST", "/store/customers/me", map[string]any{"email": "after@example.com", "password": goodPassword}, bearer(tok)).expect(400, TypeInvalidData)
	if r.message() != "Invalid email address format." {
		t.Fatalf("message %q", r.message())
	}
	e.pool.heal()
	row, _ = e.store.GetCustomer(context.Background(), id)
	if row.Email != "before@example.com" {
		t.Fatalf("row e-mail %q after the pool refused", row.Email)
	}
	// The address is not held by the failed attempt.
	e.do("POST", "/store/auth", map[string]any{"email": "after@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.token("before@example.com", goodPassword)

	// Success: the row and the pool attribute change, the username never.
	e.pool.resetCounts()
	r = e.do("POST", "/store/customers/me", map[string]any{"email": "After@Example.com", "password": goodPassword}, bearer(tok)).expect(200, "")
	if r.json()["customer"].(map[string]any)["email"] != "After@Example.com" {
		t.Fatalf("answer %s", r.Body)
	}
	if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1, mUpdateEmail: 1}) {
		t.Fatalf("pool calls %v", got)
	}
	u, ok := e.pool.user(id)
	if !ok || u.username != id || u.email != "After@Example.com" || u.emailVerified {
		t.Fatalf("pool user %+v", u)
	}
	if e.pool.lastUser(mUpdateEmail) != id {
		t.Fatalf("UpdateEmail on %q", e.pool.lastUser(mUpdateEmail))
	}
	e.token("after@example.com", goodPassword)
	e.do("POST", "/store/auth", map[string]any{"email": "before@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.register("before@example.com", goodPassword) // the old address is free
	e.do("GET", "/store/auth", nil, bearer(other)).expect(200, "")

	// Verifying the new address with the pool's code.
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"code": "000000", "password": goodPassword}, bearer(tok)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"code": u.emailCode, "password": "Wrong-Password-1"}, bearer(tok)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"password": goodPassword}, bearer(tok)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"code": u.emailCode}, bearer(tok)).expect(400, TypeInvalidData)
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"code": u.emailCode, "password": goodPassword}, bearer(tok)).expect(204, "")
	if u, _ := e.pool.user(id); !u.emailVerified {
		t.Fatal("not verified")
	}
	e.do("POST", "/store/customers/me/email/verify", map[string]any{"code": u.emailCode, "password": goodPassword}).expect(401, TypeUnauthorized)
}
