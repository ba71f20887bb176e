package servetest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// poolInfo is GET /_local/pool.
type poolInfo struct {
	PoolID   string `json:"pool_id"`
	ClientID string `json:"client_id"`
	Region   string `json:"region"`
	Endpoint string `json:"endpoint"`
}

// flowEnv is where a customer flow runs: the serve process, and the outbox of its pool.
type flowEnv struct {
	serve  string
	outbox string
	pool   string
}

// TestCustomerFlowEmbedded runs the whole customer flow with the embedded pool, and checks the
// pool surface mounted on serve's own loopback listener.
func TestCustomerFlowEmbedded(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := startServe(t, serveOpts{db: dsn})
		var info poolInfo
		newAPI(t, s.URL).do("GET", "/_local/pool", nil).expect(t, http.StatusOK, &info)
		if !regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`).MatchString(info.PoolID) || info.ClientID == "" ||
			info.Region != "us-east-1" || info.Endpoint != s.URL {
			t.Fatalf("/_local/pool = %+v (serve at %s)", info, s.URL)
		}
		last := customerFlow(t, flowEnv{serve: s.URL, outbox: s.URL, pool: info.PoolID})
		badInput(t, newAPI(t, s.URL))

		// Any Cognito client can use the mounted pool's public operations.
		c := sdk(info.Endpoint, "AKIDANYONE", "not-the-pool-credential", info.Region)
		before := lastMessageID(t, s.URL)
		must(c.ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: aws.String(info.ClientID), Username: aws.String(last.ID)}))(t)
		latestCode(t, s.URL, info.PoolID, "FORGOT_PASSWORD", last.ID, before)
		// …but not its admin operations, which need the embedded credential.
		if _, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: aws.String(info.PoolID), Username: aws.String(last.ID)}); err == nil {
			t.Fatal("AdminGetUser succeeded without the embedded pool's credential")
		}

		var jwks struct {
			Keys []map[string]any `json:"keys"`
		}
		newAPI(t, s.URL).do("GET", "/"+info.PoolID+"/.well-known/jwks.json", nil).expect(t, http.StatusOK, &jwks)
		if len(jwks.Keys) == 0 {
			t.Fatal("the embedded pool's JWKS has no keys")
		}
		newAPI(t, s.URL).do("GET", "/_local/health", nil).expect(t, http.StatusOK)
		newAPI(t, s.URL).do("GET", "/readyz", nil).expect(t, http.StatusOK)
		newAPI(t, s.URL).do("GET", "/healthz", nil).expect(t, http.StatusOK)
	})
}

// TestCustomerFlowSeparatePool runs the whole customer flow against a `hashless pool`
// process named by COGNITO_*.
func TestCustomerFlowSeparatePool(t *testing.T) {
	t.Parallel()
	pool := startPool(t)
	eachBackend(t, func(t *testing.T, dsn string) {
		poolID := pool.newUserPool(t)
		clientID := pool.newClient(t, poolID)
		s := startServe(t, serveOpts{db: dsn, env: pool.cognitoEnv(poolID, clientID)})
		if !strings.Contains(s.Stderr(), poolID) {
			t.Errorf("the startup line does not name the pool %s", poolID)
		}
		// The pool surface is only mounted for the embedded pool.
		newAPI(t, s.URL).do("GET", "/_local/pool", nil).expectError(t, http.StatusNotFound, "not_found")
		last := customerFlow(t, flowEnv{serve: s.URL, outbox: pool.URL, pool: poolID})

		// The pool holds exactly the live customers, by ID.
		var ids []string
		for _, c := range newAPI(t, s.URL).allCustomers() {
			ids = append(ids, c.ID)
		}
		got := poolUsernames(t, pool.sdk, poolID)
		if strings.Join(got, ",") != strings.Join(sortedCopy(ids), ",") || !strings.Contains(strings.Join(got, ","), last.ID) {
			t.Fatalf("pool users %v, live customers %v", got, ids)
		}
		newAPI(t, s.URL).do("GET", "/readyz", nil).expect(t, http.StatusOK)
	})
}

// customerFlow drives one customer through registration, sign-in, sessions, password reset
// and change, e-mail change and the admin actions. It returns the customer it leaves live.
func customerFlow(t *testing.T, e flowEnv) customer {
	s := newAPI(t, e.serve)
	const (
		email    = "Ada.Flow@Example.COM"
		p1       = "Flow-Passw0rd-1"
		p2       = "Flow-Passw0rd-2"
		p3       = "Flow-Passw0rd-3 ünïcode"
		newEmail = "ada.renamed@example.net"
	)
	lower := strings.ToLower(email)

	// Register, then the same address in other letters is a duplicate.
	var reg customerBody
	s.do("POST", "/store/customers", map[string]any{"email": email, "password": p1, "first_name": "Ada",
		"last_name": "Flow", "phone": "+15550100", "metadata": map[string]any{"tier": "gold"}}).expect(t, http.StatusCreated, &reg)
	c := reg.Customer
	if !strings.HasPrefix(c.ID, "cus_") || !strings.EqualFold(c.Email, email) || !c.HasAccount ||
		c.FirstName == nil || *c.FirstName != "Ada" || string(c.Metadata) != `{"tier":"gold"}` {
		t.Fatalf("registered %+v", c)
	}
	s.do("POST", "/store/customers", map[string]any{"email": lower, "password": p2}).expectError(t, http.StatusConflict, "duplicate_error")
	s.do("POST", "/store/customers", map[string]any{"email": "ADA.FLOW@EXAMPLE.COM", "password": p2}).expectError(t, http.StatusConflict, "duplicate_error")

	// Sign in with a cookie (a browser) and for a token.
	browser := newBrowser(t, e.serve)
	var in customerBody
	r := browser.do("POST", "/store/auth", map[string]any{"email": lower, "password": p1}).expect(t, http.StatusOK, &in)
	if in.Customer.ID != c.ID {
		t.Fatalf("cookie sign-in as %q, want %q", in.Customer.ID, c.ID)
	}
	var cookie *http.Cookie
	for _, k := range r.cookies {
		if k.Name == "hashless_session" {
			cookie = k
		}
	}
	if cookie == nil || cookie.Value == "" || !cookie.HttpOnly || cookie.Secure || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	token := s.login(strings.ToUpper(email), p1)
	if token == cookie.Value {
		t.Fatal("two sign-ins got the same session token")
	}

	var cur customerBody
	browser.do("GET", "/store/auth", nil).expect(t, http.StatusOK, &cur)
	if cur.Customer.ID != c.ID {
		t.Fatalf("GET /store/auth with the cookie: %+v", cur.Customer)
	}
	if s.whoami(token) != c.ID {
		t.Fatal("the bearer token does not sign in")
	}
	browser.do("GET", "/store/customers/me", nil).expect(t, http.StatusOK, &cur)
	vr := s.do("GET", "/store/auth/verify", nil, bearer(token)...).expect(t, http.StatusOK)
	if vr.header.Get("X-Customer-Id") != c.ID {
		t.Fatalf("forward-auth X-Customer-Id %q", vr.header.Get("X-Customer-Id"))
	}
	s.do("GET", "/store/auth/verify", nil).expectError(t, http.StatusUnauthorized, "unauthorized")
	s.do("GET", "/store/auth", nil).expectError(t, http.StatusUnauthorized, "unauthorized")
	s.do("GET", "/store/auth", nil, bearer("forged-"+token[7:])...).expectError(t, http.StatusUnauthorized, "unauthorized")

	// A cross-site request with the cookie is refused; a same-site one ends the session.
	cookieOnly := newBrowser(t, e.serve)
	cookieOnly.do("POST", "/store/auth", map[string]any{"email": email, "password": p1}).expect(t, http.StatusOK)
	cookieOnly.do("DELETE", "/store/auth", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").
		expectError(t, http.StatusForbidden, "not_allowed")
	cookieOnly.do("GET", "/store/auth", nil).expect(t, http.StatusOK)
	cookieOnly.do("DELETE", "/store/auth", nil, "Origin", e.serve).expect(t, http.StatusOK)
	cookieOnly.do("GET", "/store/auth", nil).expectError(t, http.StatusUnauthorized, "unauthorized")

	// The sessions list shows both, the bearer one as current; ending the others ends the cookie's.
	var list struct{ Sessions []session }
	s.do("GET", "/store/auth/sessions", nil, bearer(token)...).expect(t, http.StatusOK, &list)
	if len(list.Sessions) != 2 || list.Sessions[0].Current == list.Sessions[1].Current {
		t.Fatalf("sessions %+v", list.Sessions)
	}
	var ended struct{ Ended int }
	s.do("DELETE", "/store/auth/sessions", nil, bearer(token)...).expect(t, http.StatusOK, &ended)
	if ended.Ended != 1 {
		t.Fatalf("ending the other sessions ended %d", ended.Ended)
	}
	browser.do("GET", "/store/auth", nil).expectError(t, http.StatusUnauthorized, "unauthorized")
	s.do("GET", "/store/auth/sessions", nil, bearer(token)...).expect(t, http.StatusOK, &list)
	if len(list.Sessions) != 1 || !list.Sessions[0].Current {
		t.Fatalf("sessions after ending the others: %+v", list.Sessions)
	}
	// One session ended by ID.
	extra := s.login(email, p1)
	s.do("GET", "/store/auth/sessions", nil, bearer(extra)...).expect(t, http.StatusOK, &list)
	for _, x := range list.Sessions {
		if x.Current {
			s.do("DELETE", "/store/auth/sessions/"+x.ID, nil, bearer(token)...).expect(t, http.StatusOK)
		}
	}
	if s.whoami(extra) != "" || s.whoami(token) != c.ID {
		t.Fatal("ending one session by ID ended the wrong one")
	}

	// Unknown e-mail and wrong password look the same.
	wrong := s.do("POST", "/store/auth", map[string]any{"email": email, "password": "Wrong-Passw0rd"})
	unknown := s.do("POST", "/store/auth", map[string]any{"email": "nobody@example.com", "password": "Wrong-Passw0rd"})
	wrong.expectError(t, http.StatusUnauthorized, "unauthorized")
	if unknown.status != wrong.status || string(unknown.body) != string(wrong.body) {
		t.Fatalf("unknown e-mail %d %s, wrong password %d %s", unknown.status, unknown.body, wrong.status, wrong.body)
	}

	// Forgot password: the code comes from the pool's outbox; the reset ends every session.
	mark := lastMessageID(t, e.outbox)
	s.do("POST", "/store/customers/password-token", map[string]any{"email": lower}).expect(t, http.StatusNoContent)
	s.do("POST", "/store/customers/password-token", map[string]any{"email": "nobody@example.com"}).expect(t, http.StatusNoContent)
	m := latestCode(t, e.outbox, e.pool, "FORGOT_PASSWORD", c.ID, mark)
	if !strings.EqualFold(m.Destination, email) || m.Medium != "EMAIL" {
		t.Fatalf("reset code sent to %+v", m)
	}
	if n := len(outbox(t, e.outbox, url.Values{"destination": {"nobody@example.com"}})); n != 0 {
		t.Fatalf("a reset for an unknown e-mail sent %d messages", n)
	}
	other := s.login(email, p1)
	s.do("POST", "/store/customers/password-reset", map[string]any{"email": email, "token": "000000", "password": p2}).
		expectError(t, http.StatusBadRequest, "invalid_data")
	var reset customerBody
	s.do("POST", "/store/customers/password-reset", map[string]any{"email": lower, "token": m.Code, "password": p2}).expect(t, http.StatusOK, &reset)
	if reset.Customer.ID != c.ID {
		t.Fatalf("reset answered %+v", reset.Customer)
	}
	if s.whoami(token) != "" || s.whoami(other) != "" {
		t.Fatal("a session survived the password reset")
	}
	s.loginRefused(email, p1)
	token = s.login(email, p2)

	// Change password: the other sessions end, this one stays.
	other = s.login(email, p2)
	s.do("POST", "/store/customers/me/password", map[string]any{"old_password": p2, "new_password": "short"}, bearer(token)...).
		expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("POST", "/store/customers/me/password", map[string]any{"old_password": p2, "new_password": p3}, bearer(token)...).expect(t, http.StatusOK)
	if s.whoami(token) != c.ID || s.whoami(other) != "" {
		t.Fatal("a password change must end the other sessions and keep this one")
	}
	s.loginRefused(email, p2)
	token = s.login(email, p3)

	// Change e-mail: the password is needed; the pool gets the new address (and sends a
	// verification), the username stays the customer ID.
	s.do("POST", "/store/customers/me", map[string]any{"email": newEmail}, bearer(token)...).expectError(t, http.StatusBadRequest, "invalid_data")
	mark = lastMessageID(t, e.outbox)
	var upd customerBody
	s.do("POST", "/store/customers/me", map[string]any{"email": newEmail, "password": p3, "first_name": "Adah"}, bearer(token)...).
		expect(t, http.StatusOK, &upd)
	if upd.Customer.ID != c.ID || upd.Customer.Email != newEmail || upd.Customer.FirstName == nil || *upd.Customer.FirstName != "Adah" {
		t.Fatalf("profile update answered %+v", upd.Customer)
	}
	v := latestCode(t, e.outbox, e.pool, "ATTRIBUTE_VERIFICATION", c.ID, mark)
	if v.Destination != newEmail {
		t.Fatalf("the verification went to %q", v.Destination)
	}
	s.do("POST", "/store/customers/me/email/verify", map[string]any{"code": v.Code, "password": p3}, bearer(token)...).expect(t, http.StatusNoContent)
	s.loginRefused(email, p3)
	token = s.login(strings.ToUpper(newEmail), p3)
	// The old address is free for someone else.
	someoneElse := s.register(lower, p1)
	if someoneElse.ID == c.ID {
		t.Fatal("a new customer got an old ID")
	}

	// Admin: find, disable (sessions end, sign-in fails), enable, delete.
	s.do("GET", "/admin/customers?email="+url.QueryEscape(newEmail), nil).expectError(t, http.StatusUnauthorized, "unauthorized")
	s.do("GET", "/admin/customers", nil, bearer("wrong-admin-token")...).expectError(t, http.StatusUnauthorized, "unauthorized")
	found := s.findByEmail(strings.ToUpper(newEmail))
	if len(found) != 1 || found[0].ID != c.ID {
		t.Fatalf("admin search found %+v", found)
	}
	var dis struct {
		Customer customer
		Disabled bool
	}
	s.admin("POST", "/admin/customers/"+c.ID+"/disable", nil).expect(t, http.StatusOK, &dis)
	if !dis.Disabled || dis.Customer.ID != c.ID {
		t.Fatalf("disable answered %+v", dis)
	}
	if s.whoami(token) != "" {
		t.Fatal("a session survived disabling the customer")
	}
	s.loginRefused(newEmail, p3)
	s.admin("POST", "/admin/customers/"+c.ID+"/enable", nil).expect(t, http.StatusOK, &dis)
	if dis.Disabled {
		t.Fatalf("enable answered %+v", dis)
	}
	token = s.login(newEmail, p3)
	s.admin("DELETE", "/admin/customers/cus_nosuchcustomer", nil).expectError(t, http.StatusNotFound, "not_found")
	var del struct {
		ID      string
		Deleted bool
	}
	s.admin("DELETE", "/admin/customers/"+c.ID, nil).expect(t, http.StatusOK, &del)
	if del.ID != c.ID || !del.Deleted {
		t.Fatalf("delete answered %+v", del)
	}
	if s.whoami(token) != "" {
		t.Fatal("a session survived deleting the customer")
	}
	s.loginRefused(newEmail, p3)
	if found := s.findByEmail(newEmail); len(found) != 0 {
		t.Fatalf("a deleted customer is still listed: %+v", found)
	}
	again := s.register(newEmail, p1)
	if again.ID == c.ID {
		t.Fatal("re-registration reused the deleted customer's ID")
	}
	s.login(newEmail, p1)
	return again
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// badInput: malformed or hostile requests get their 4xx, never a 500, and lose nothing.
func badInput(t *testing.T, s *api) {
	const pw = "Bad-Input-Passw0rd"
	s.do("POST", "/store/customers", `{"email":"a@example.com","password":"`+pw+`"}`, "Content-Type", "text/plain").
		expectError(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	s.do("POST", "/store/customers", `{"email":`).expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("POST", "/store/customers", `{}`).expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("POST", "/store/customers", `[]`).expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("POST", "/store/customers", `{"email":"a@example.com","password":"`+pw+`","admin":true}`).expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("POST", "/store/customers", `{"email":"a@example.com","password":"`+strings.Repeat("x", 70<<10)+`"}`).
		expectError(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	s.do("POST", "/store/auth", `{"email":"a@example.com","password":7}`).expectError(t, http.StatusBadRequest, "invalid_data")
	s.do("GET", "/store/nowhere", nil).expectError(t, http.StatusNotFound, "not_found")
	s.do("PUT", "/store/auth", nil).expectError(t, http.StatusMethodNotAllowed, "not_allowed")

	// A password the pool's policy refuses: 400 with the pool's words, and the address is
	// not held by the failed attempt.
	s.do("POST", "/store/customers", map[string]any{"email": "policy@example.com", "password": "all-lowercase-1"}).
		expectError(t, http.StatusBadRequest, "invalid_data")
	s.register("policy@example.com", pw)

	// SQL metacharacters and Unicode are data.
	odd := "o'brien+drop--table@example.com"
	c := s.register(odd, "Pässwörd-ÜNÏ-1 ' OR 1=1 --")
	if c.Email != odd || s.whoami(s.login(odd, "Pässwörd-ÜNÏ-1 ' OR 1=1 --")) != c.ID {
		t.Fatalf("customer %+v with an odd address cannot sign in", c)
	}
	s.loginRefused("x'OR'1'='1@example.com", "' OR 1=1 --")
	if n := len(s.allCustomers()); n < 3 {
		t.Fatalf("only %d customers are left", n)
	}
}
