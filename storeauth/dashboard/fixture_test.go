package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
)

const testToken = "console-admin-token-0123456789"

// testPool is a user pool in a map: enough for sign-ins, migrations and disabling.
type testPool struct {
	mu      sync.Mutex
	users   map[string]string // username → password
	enabled map[string]bool
	// refuse, when set, is the pool's password policy refusing a password.
	refuse func(password string) bool
}

func newTestPool() *testPool {
	return &testPool{users: map[string]string{}, enabled: map[string]bool{}}
}

func (p *testPool) policy(pw string) error {
	if p.refuse != nil && p.refuse(pw) {
		return &storeauth.PoolError{Kind: storeauth.ErrPasswordPolicy, Message: "Password must have numeric characters"}
	}
	return nil
}

func (p *testPool) CreateUser(_ context.Context, username, _, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; ok {
		return &storeauth.PoolError{Kind: storeauth.ErrUserExists}
	}
	if err := p.policy(password); err != nil {
		return err
	}
	p.users[username], p.enabled[username] = password, true
	return nil
}

func (p *testPool) EnsureUser(_ context.Context, username, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; !ok {
		p.users[username], p.enabled[username] = "\x00unusable", true
	}
	return nil
}

func (p *testPool) Authenticate(_ context.Context, username, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pw, ok := p.users[username]; !ok || pw != password || !p.enabled[username] {
		return &storeauth.PoolError{Kind: storeauth.ErrNotAuthorized}
	}
	return nil
}

func (p *testPool) SetPassword(_ context.Context, username, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; !ok {
		return &storeauth.PoolError{Kind: storeauth.ErrUserNotFound}
	}
	if err := p.policy(password); err != nil {
		return err
	}
	p.users[username] = password
	return nil
}

func (p *testPool) ForgotPassword(context.Context, string) error { return nil }
func (p *testPool) ConfirmForgotPassword(context.Context, string, string, string) error {
	return &storeauth.PoolError{Kind: storeauth.ErrBadCode}
}
func (p *testPool) UpdateEmail(context.Context, string, string) error { return nil }
func (p *testPool) VerifyEmail(context.Context, string, string, string) error {
	return &storeauth.PoolError{Kind: storeauth.ErrBadCode}
}

func (p *testPool) UserConfirmed(_ context.Context, username string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.users[username]
	return ok, nil
}

func (p *testPool) SetEnabled(_ context.Context, username string, enabled bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; !ok {
		return &storeauth.PoolError{Kind: storeauth.ErrUserNotFound}
	}
	p.enabled[username] = enabled
	return nil
}

func (p *testPool) DeleteUser(_ context.Context, username string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.users, username)
	return nil
}

func (p *testPool) Check(context.Context) error { return nil }

// clock is a settable clock shared by the service and the console.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a service over the memory store and the map pool, with its console.
type fixture struct {
	t     *testing.T
	clock *clock
	st    *memory.Store
	pool  *testPool
	svc   *storeauth.Service
	d     *Dashboard
}

type fixtureOpt func(*Config)

func withAccess(a Access) fixtureOpt { return func(c *Config) { c.Access = a } }
func withPublicURL(u string) fixtureOpt {
	return func(c *Config) { c.PublicURL = u }
}

// t0 is the fixtures' starting time: 10:20 UTC, inside an hour.
var t0 = time.Date(2026, 3, 4, 10, 20, 0, 0, time.UTC)

func newFixture(t *testing.T, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{now: t0}, st: memory.New(), pool: newTestPool()}
	svc, err := storeauth.New(storeauth.Config{Customers: f.st, Sessions: f.st, Reports: f.st, Pool: f.pool,
		Now: f.clock.Now, PoolTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	cfg := Config{Service: svc, Access: AccessToken, AdminToken: testToken, PublicURL: "http://127.0.0.1:8080", Now: f.clock.Now}
	for _, o := range opts {
		o(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.d = d
	return f
}

// addCustomer stores a customer as an import (legacy, with a bcrypt hash of password) or
// a migration (password in the pool) would leave it.
func (f *fixture) addCustomer(id, email, password string, edit ...func(*store.Customer)) store.Customer {
	f.t.Helper()
	now := f.clock.Now()
	c := store.Customer{ID: id, Email: email, FirstName: "First", LastName: id, HasAccount: true,
		State: store.StateActive, CreatedAt: now, UpdatedAt: now}
	if password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			f.t.Fatal(err)
		}
		c.PasswordHash = string(h)
	}
	for _, e := range edit {
		e(&c)
	}
	if err := f.st.CreateCustomer(context.Background(), c); err != nil {
		f.t.Fatal(err)
	}
	if c.PasswordHash == "" && c.HasAccount {
		f.pool.users[c.ID], f.pool.enabled[c.ID] = "Pool-Passw0rd", true
	}
	return c
}

// browser keeps cookies between requests as a browser would for the console's path.
type browser struct {
	f       *fixture
	remote  string
	host    string
	cookies map[string]*http.Cookie
}

func (f *fixture) browser() *browser {
	return &browser{f: f, remote: "127.0.0.1:50000", host: "127.0.0.1:8080", cookies: map[string]*http.Cookie{}}
}

type reqOpt func(*http.Request)

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// response is what the console answered.
type response struct {
	Code   int
	Header http.Header
	Body   string
	res    *http.Response
}

func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (b *browser) do(method, path string, form url.Values, opts ...reqOpt) *response {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr, req.Host = b.remote, b.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	b.f.d.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	if rec.Code >= 500 {
		b.f.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return &response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.String(), res: res}
}

func (b *browser) get(path string, opts ...reqOpt) *response {
	b.f.t.Helper()
	return b.do("GET", path, nil, opts...)
}

// csrf is the CSRF value the browser holds (after any page was shown).
func (b *browser) csrf() string {
	for name, c := range b.cookies {
		if strings.HasSuffix(name, csrfCookie) {
			return c.Value
		}
	}
	return ""
}

// post sends a form with the browser's CSRF value added.
func (b *browser) post(path string, form url.Values, opts ...reqOpt) *response {
	b.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	return b.do("POST", path, form, opts...)
}

// signIn shows the sign-in page and posts the token.
func (b *browser) signIn(token string) *response {
	b.f.t.Helper()
	b.get(Prefix + "login")
	return b.post(Prefix+"login", url.Values{"token": {token}})
}

func expect(t *testing.T, what string, r *response, code int, contains ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Code, code, r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Fatalf("%s: the page lacks %q:\n%s", what, s, r.Body)
		}
	}
}

func expectRedirect(t *testing.T, what string, r *response, to string) {
	t.Helper()
	if r.Code != http.StatusSeeOther || r.Header.Get("Location") != to {
		t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, r.Code, r.Header.Get("Location"), to, r.Body)
	}
}
