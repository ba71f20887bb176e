package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/conformance"
	"github.com/hashless/hashless/storeauth/store/memory"
)

// The example's customers table keeps the contract every backend keeps.
func TestCustomerTableConformance(t *testing.T) {
	conformance.RunTests(t, func(t *testing.T) store.Store {
		sessions := memory.New()
		return tableStore{Customers: newCustomerTable(), Sessions: sessions, Settings: sessions}
	})
}

// tableStore is the example's table with sessions and settings from memory.
type tableStore struct {
	store.Customers
	store.Sessions
	store.Settings
}

func (tableStore) Ping(context.Context) error { return nil }
func (tableStore) Close() error               { return nil }

// The app, on the local pool the example starts: register, sign in with the cookie and
// with a bearer token, reach the guarded route, reset a forgotten password with the code
// the pool sent, sign out.
func TestApp(t *testing.T) {
	t.Setenv("COGNITO_USER_POOL_ID", "")
	ctx := t.Context()
	pool, local, err := openPool(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	table := newCustomerTable()
	app, err := newApp(ctx, table, pool, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}

	call := func(c *http.Client, method, path, token string, body any) (int, string) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, r)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	want := func(what string, status int, body string, wantStatus int) {
		t.Helper()
		if status != wantStatus {
			t.Fatalf("%s: %d %s, want %d", what, status, body, wantStatus)
		}
	}

	status, body := call(browser, "GET", "/hello", "", nil)
	want("GET /hello signed out", status, body, http.StatusUnauthorized)

	creds := map[string]string{"email": "Ann@Example.com", "password": "Correct-Horse-9"}
	status, body = call(browser, "POST", "/store/customers", "", creds)
	want("register", status, body, http.StatusCreated)
	var reg struct{ Customer struct{ ID string } }
	json.Unmarshal([]byte(body), &reg)
	id := reg.Customer.ID

	// The customer is a row of the app's table and a user of the pool, named by its ID.
	if c, err := table.CustomerByEmail(ctx, "ann@example.com"); err != nil || c.ID != id || c.State != store.StateActive {
		t.Fatalf("the app's table has %+v, %v; want active %s", c, err, id)
	}
	client := pool.(storeauth.CognitoPool).Client
	if u, err := client.AdminGetUser(ctx, id); err != nil || u.Attributes["email"] != "Ann@Example.com" {
		t.Fatalf("the pool has %+v, %v", u, err)
	}
	status, body = call(browser, "POST", "/store/customers", "", map[string]string{"email": "ANN@example.com", "password": "Other-Horse-10"})
	want("register the same e-mail in other letters", status, body, http.StatusConflict)

	status, body = call(browser, "POST", "/store/auth", "", map[string]string{"email": "ann@example.com", "password": "Wrong-Horse-9"})
	want("sign in with a wrong password", status, body, http.StatusUnauthorized)
	status, body = call(browser, "POST", "/store/auth", "", creds)
	want("sign in", status, body, http.StatusOK)
	status, body = call(browser, "GET", "/hello", "", nil)
	want("GET /hello with the cookie", status, body, http.StatusOK)
	if body != "hello "+id+" <Ann@Example.com>\n" {
		t.Fatalf("GET /hello: %q", body)
	}

	status, body = call(http.DefaultClient, "POST", "/store/auth/token", "", creds)
	want("sign in for a token", status, body, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal([]byte(body), &tok)
	status, body = call(http.DefaultClient, "GET", "/hello", tok.AccessToken, nil)
	want("GET /hello with the bearer token", status, body, http.StatusOK)

	// Forgot password: the pool e-mails a code (read here from the local pool's outbox);
	// the reset ends every session.
	status, body = call(http.DefaultClient, "POST", "/store/customers/password-token", "", map[string]string{"email": "ann@example.com"})
	want("password-token", status, body, http.StatusNoContent)
	code, err := local.Code(ctx, id, cognitotest.KindForgotPassword)
	if err != nil {
		t.Fatal(err)
	}
	status, body = call(http.DefaultClient, "POST", "/store/customers/password-reset", "",
		map[string]string{"email": "ann@example.com", "code": code, "password": "Battery-Staple-10"})
	want("password-reset", status, body, http.StatusOK)
	status, body = call(browser, "GET", "/hello", "", nil)
	want("GET /hello with the cookie after the reset", status, body, http.StatusUnauthorized)
	status, body = call(http.DefaultClient, "GET", "/hello", tok.AccessToken, nil)
	want("GET /hello with the token after the reset", status, body, http.StatusUnauthorized)

	creds["password"] = "Battery-Staple-10"
	status, body = call(browser, "POST", "/store/auth", "", creds)
	want("sign in with the new password", status, body, http.StatusOK)
	status, body = call(browser, "DELETE", "/store/auth", "", nil)
	want("sign out", status, body, http.StatusOK)
	status, body = call(browser, "GET", "/hello", "", nil)
	want("GET /hello after signing out", status, body, http.StatusUnauthorized)
}

// syncBuffer is an io.Writer that can be read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The program itself: it listens, serves, and stops when its context ends.
func TestRun(t *testing.T) {
	t.Setenv("COGNITO_USER_POOL_ID", "")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &out) }()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("run did not say where it listens:\n%s", out.String())
	}
	resp, err := http.Get(base + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"unauthorized"`) {
		t.Fatalf("GET /hello: %d %s", resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}
