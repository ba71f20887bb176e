package storeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
)

// Pool method names, as the fake counts them.
const (
	mCreateUser            = "CreateUser"
	mAuthenticate          = "Authenticate"
	mSetPassword           = "SetPassword"
	mForgotPassword        = "ForgotPassword"
	mConfirmForgotPassword = "ConfirmForgotPassword"
	mUpdateEmail           = "UpdateEmail"
	mVerifyEmail           = "VerifyEmail"
	mUserConfirmed         = "UserConfirmed"
	mSetEnabled            = "SetEnabled"
	mDeleteUser            = "DeleteUser"
	mCheck                 = "Check"
	mEnsureUser            = "EnsureUser"
)

// fakeUser is one user of the fake pool.
type fakeUser struct {
	username      string
	password      string
	email         string
	emailVerified bool
	enabled       bool
	confirmed     bool
	resetCode     string
	emailCode     string
}

// fakePool is an in-memory Pool. Usernames are case-insensitive, as in the pools the
// service is meant for. Every call is counted per method; errors, delays and panics can be
// injected per method, before the call takes effect or after it.
type fakePool struct {
	mu     sync.Mutex
	users  map[string]*fakeUser // lower-cased username → user
	calls  map[string]int
	last   map[string]string // method → last username asked about
	before map[string]func(ctx context.Context) error
	after  map[string]func(ctx context.Context) error
	// policy, when set, judges every new password; nil accepts anything of 8 or more
	// characters.
	policy   func(password string) error
	codeSeq  int
	checkErr error
}

func newFakePool() *fakePool {
	return &fakePool{users: map[string]*fakeUser{}, calls: map[string]int{}, last: map[string]string{},
		before: map[string]func(context.Context) error{}, after: map[string]func(context.Context) error{}}
}

var _ Pool = (*fakePool)(nil)

// failWith makes every call of method fail with err before it has any effect.
func (p *fakePool) failWith(method string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before[method] = func(context.Context) error { return err }
}

// failAfter makes every call of method take effect and then fail with err (an answer lost
// on the way back).
func (p *fakePool) failAfter(method string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after[method] = func(context.Context) error { return err }
}

// hang makes every call of method wait until its context ends (before any effect), and
// then fail the way a pool that never answered does.
func (p *fakePool) hang(method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before[method] = hangUntilDone
}

// hangAfter makes every call of method take effect and then hang until its context ends.
func (p *fakePool) hangAfter(method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after[method] = hangUntilDone
}

// panicIn makes every call of method panic.
func (p *fakePool) panicIn(method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before[method] = func(context.Context) error { panic("fake pool: injected panic in " + method) }
}

// heal removes every injected fault.
func (p *fakePool) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.before)
	clear(p.after)
}

func hangUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return &PoolError{Kind: ErrPoolUnavailable, Err: ctx.Err()}
}

func unavailable() error { return &PoolError{Kind: ErrPoolUnavailable, Err: io.ErrUnexpectedEOF} }

// counts returns a copy of the call counts.
func (p *fakePool) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

func (p *fakePool) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

func (p *fakePool) lastUser(method string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last[method]
}

func (p *fakePool) resetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.calls)
	clear(p.last)
}

// user returns a copy of a user, or false.
func (p *fakePool) user(username string) (fakeUser, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[strings.ToLower(username)]
	if !ok {
		return fakeUser{}, false
	}
	return *u, true
}

// usernames lists the pool's users, sorted.
func (p *fakePool) usernames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, u := range p.users {
		out = append(out, u.username)
	}
	slices.Sort(out)
	return out
}

// addUser puts a complete user in the pool directly.
func (p *fakePool) addUser(username, email, password string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[strings.ToLower(username)] = &fakeUser{username: username, password: password, email: email,
		emailVerified: true, enabled: true, confirmed: true}
}

// enter counts a call and runs the injected "before" fault.
func (p *fakePool) enter(ctx context.Context, method, username string) error {
	p.mu.Lock()
	p.calls[method]++
	p.last[method] = username
	before := p.before[method]
	p.mu.Unlock()
	if before != nil {
		if err := before(ctx); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return &PoolError{Kind: ErrPoolUnavailable, Err: err}
	}
	return nil
}

// leave runs the injected "after" fault once the call took effect.
func (p *fakePool) leave(ctx context.Context, method string, err error) error {
	if err != nil {
		return err
	}
	p.mu.Lock()
	after := p.after[method]
	p.mu.Unlock()
	if after != nil {
		return after(ctx)
	}
	return nil
}

func (p *fakePool) checkPolicyLocked(password string) error {
	if p.policy != nil {
		return p.policy(password)
	}
	if len([]rune(password)) < 8 {
		return &PoolError{Kind: ErrPasswordPolicy, Message: "Password not long enough"}
	}
	return nil
}

func (p *fakePool) nextCodeLocked() string {
	p.codeSeq++
	return fmt.Sprintf("%06d", 100000+p.codeSeq)
}

func (p *fakePool) CreateUser(ctx context.Context, username, email, password string) error {
	if err := p.enter(ctx, mCreateUser, username); err != nil {
		return err
	}
	p.mu.Lock()
	if err := p.checkPolicyLocked(password); err != nil {
		p.mu.Unlock()
		return err
	}
	key := strings.ToLower(username)
	if _, ok := p.users[key]; ok {
		p.mu.Unlock()
		return &PoolError{Kind: ErrUserExists, Message: "User account already exists"}
	}
	// Like CognitoPool: the user is created first with a temporary password, then the
	// password is made permanent.
	u := &fakeUser{username: username, password: password, email: email, emailVerified: true, enabled: true}
	p.users[key] = u
	p.mu.Unlock()
	faultPoint(ctx, "register.after_pool_create")
	p.mu.Lock()
	u.confirmed = true
	p.mu.Unlock()
	return p.leave(ctx, mCreateUser, nil)
}

func (p *fakePool) EnsureUser(ctx context.Context, username, email string) error {
	if err := p.enter(ctx, mEnsureUser, username); err != nil {
		return err
	}
	p.mu.Lock()
	key := strings.ToLower(username)
	if _, ok := p.users[key]; !ok {
		p.users[key] = &fakeUser{username: username, password: randomPoolPassword(), email: email,
			emailVerified: true, enabled: true, confirmed: true}
	}
	p.mu.Unlock()
	return p.leave(ctx, mEnsureUser, nil)
}

func (p *fakePool) Authenticate(ctx context.Context, username, password string) error {
	if err := p.enter(ctx, mAuthenticate, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	if !ok || !u.enabled || !u.confirmed || u.password != password {
		err = &PoolError{Kind: ErrNotAuthorized, Message: "Incorrect username or password."}
	}
	p.mu.Unlock()
	return p.leave(ctx, mAuthenticate, err)
}

func (p *fakePool) SetPassword(ctx context.Context, username, password string) error {
	if err := p.enter(ctx, mSetPassword, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	switch {
	case !ok:
		err = &PoolError{Kind: ErrUserNotFound}
	default:
		if err = p.checkPolicyLocked(password); err == nil {
			u.password, u.confirmed = password, true
		}
	}
	p.mu.Unlock()
	return p.leave(ctx, mSetPassword, err)
}

func (p *fakePool) ForgotPassword(ctx context.Context, username string) error {
	if err := p.enter(ctx, mForgotPassword, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	if !ok {
		err = &PoolError{Kind: ErrUserNotFound}
	} else {
		u.resetCode = p.nextCodeLocked()
	}
	p.mu.Unlock()
	return p.leave(ctx, mForgotPassword, err)
}

func (p *fakePool) ConfirmForgotPassword(ctx context.Context, username, code, password string) error {
	if err := p.enter(ctx, mConfirmForgotPassword, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	switch {
	case !ok, u.resetCode == "", u.resetCode != code:
		// As CognitoPool reports a missing user: like a wrong code.
		err = &PoolError{Kind: ErrBadCode, Message: "Invalid verification code provided, please try again."}
	default:
		if err = p.checkPolicyLocked(password); err == nil {
			u.password, u.resetCode = password, ""
		}
	}
	p.mu.Unlock()
	return p.leave(ctx, mConfirmForgotPassword, err)
}

func (p *fakePool) UpdateEmail(ctx context.Context, username, email string) error {
	if err := p.enter(ctx, mUpdateEmail, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	if !ok {
		err = &PoolError{Kind: ErrUserNotFound}
	} else {
		u.email, u.emailVerified, u.emailCode = email, false, p.nextCodeLocked()
	}
	p.mu.Unlock()
	return p.leave(ctx, mUpdateEmail, err)
}

func (p *fakePool) VerifyEmail(ctx context.Context, username, password, code string) error {
	if err := p.enter(ctx, mVerifyEmail, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	switch {
	case !ok || !u.enabled || u.password != password:
		err = &PoolError{Kind: ErrNotAuthorized}
	case u.emailCode == "" || u.emailCode != code:
		err = &PoolError{Kind: ErrBadCode}
	default:
		u.emailVerified, u.emailCode = true, ""
	}
	p.mu.Unlock()
	return p.leave(ctx, mVerifyEmail, err)
}

func (p *fakePool) UserConfirmed(ctx context.Context, username string) (bool, error) {
	if err := p.enter(ctx, mUserConfirmed, username); err != nil {
		return false, err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	confirmed := ok && u.confirmed
	p.mu.Unlock()
	return confirmed, p.leave(ctx, mUserConfirmed, nil)
}

func (p *fakePool) SetEnabled(ctx context.Context, username string, enabled bool) error {
	if err := p.enter(ctx, mSetEnabled, username); err != nil {
		return err
	}
	p.mu.Lock()
	u, ok := p.users[strings.ToLower(username)]
	var err error
	if !ok {
		err = &PoolError{Kind: ErrUserNotFound}
	} else {
		u.enabled = enabled
	}
	p.mu.Unlock()
	return p.leave(ctx, mSetEnabled, err)
}

func (p *fakePool) DeleteUser(ctx context.Context, username string) error {
	if err := p.enter(ctx, mDeleteUser, username); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.users, strings.ToLower(username))
	p.mu.Unlock()
	return p.leave(ctx, mDeleteUser, nil)
}

func (p *fakePool) Check(ctx context.Context) error {
	if err := p.enter(ctx, mCheck, ""); err != nil {
		return err
	}
	p.mu.Lock()
	err := p.checkErr
	p.mu.Unlock()
	return p.leave(ctx, mCheck, err)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingStore is the memory store, counting the writes a session check may make.
type countingStore struct {
	*memory.Store
	mu      sync.Mutex
	touches int
}

func (s *countingStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	s.touches++
	s.mu.Unlock()
	return s.Store.TouchSession(ctx, id, at)
}

func (s *countingStore) touchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touches
}

// allCustomers lists every row in every state.
func (s *countingStore) allCustomers(t testing.TB) []store.Customer {
	t.Helper()
	var out []store.Customer
	for _, st := range []store.CustomerState{store.StatePending, store.StateActive, store.StateDeleting, store.StateDeleted} {
		cs, err := s.ListCustomers(context.Background(), store.CustomerFilter{State: st}, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs...)
	}
	return out
}

// env is a service over the memory store and the fake pool, with its HTTP API.
type env struct {
	t     testing.TB
	clock *fakeClock
	pool  *fakePool
	store *countingStore
	svc   *Service
	api   *API
	cfg   Config
	hcfg  HandlerConfig
}

type envOption func(*Config, *HandlerConfig)

func withConfig(f func(*Config)) envOption { return func(c *Config, _ *HandlerConfig) { f(c) } }
func withHandler(f func(*HandlerConfig)) envOption {
	return func(_ *Config, h *HandlerConfig) { f(h) }
}

const testAdminToken = "admin-secret-token-0123456789"

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, clock: newFakeClock(), pool: newFakePool(), store: &countingStore{Store: memory.New()}}
	e.cfg = Config{Customers: e.store, Sessions: e.store, Pool: e.pool, Now: e.clock.Now,
		PoolTimeout: 50 * time.Millisecond}
	e.hcfg = HandlerConfig{AdminToken: testAdminToken}
	for _, o := range opts {
		o(&e.cfg, &e.hcfg)
	}
	svc, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	api, err := svc.Handler(e.hcfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.api = svc, api
	return e
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func bearer(token string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func withCookie(c *http.Cookie) reqOpt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value}) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func remote(addr string) reqOpt { return func(r *http.Request) { r.RemoteAddr = addr } }

func contentType(ct string) reqOpt { return header("Content-Type", ct) }

// raw is a body sent exactly as it is.
type raw string

// response is what a handler answered.
type response struct {
	t      testing.TB
	Code   int
	Header http.Header
	Body   []byte
	rec    *httptest.ResponseRecorder
}

func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("body is not a JSON object: %v: %q", err, r.Body)
	}
	return m
}

// errType checks the body is an API error and returns its type.
func (r *response) errType() string {
	r.t.Helper()
	m := r.json()
	typ, ok1 := m["type"].(string)
	msg, ok2 := m["message"].(string)
	if !ok1 || !ok2 || typ == "" || msg == "" || len(m) != 2 {
		r.t.Fatalf("not an error body: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		r.t.Fatalf("error Content-Type %q", ct)
	}
	return typ
}

func (r *response) message() string {
	r.t.Helper()
	r.errType()
	return r.json()["message"].(string)
}

func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// expect checks the status and, for errors, the error type.
func (r *response) expect(code int, typ string) *response {
	r.t.Helper()
	if r.Code != code {
		r.t.Fatalf("status %d, want %d; body %s", r.Code, code, r.Body)
	}
	if typ != "" {
		if got := r.errType(); got != typ {
			r.t.Fatalf("error type %q, want %q; body %s", got, typ, r.Body)
		}
	}
	return r
}

// send runs a request through the API. body is nil, raw, or a value sent as JSON (with the
// JSON content type unless an option sets another). No answer may be a 500; any 5xx fails
// the test unless allow5xx.
func (e *env) send(allow5xx bool, method, path string, body any, opts ...reqOpt) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case raw:
		rd = strings.NewReader(string(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	res := &response{t: e.t, Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), rec: rec}
	if res.Code == http.StatusInternalServerError || (res.Code >= 500 && !allow5xx) {
		e.t.Fatalf("%s %s: status %d: %s", method, path, res.Code, res.Body)
	}
	return res
}

func (e *env) do(method, path string, body any, opts ...reqOpt) *response {
	e.t.Helper()
	return e.send(false, method, path, body, opts...)
}

// do5xx is do for the cases where a 503 is the point.
func (e *env) do5xx(method, path string, body any, opts ...reqOpt) *response {
	e.t.Helper()
	return e.send(true, method, path, body, opts...)
}

const goodPassword = "Correct-Horse-9"

// register signs a customer up over HTTP and returns the customer's ID.
func (e *env) register(email, password string) string {
	e.t.Helper()
	r := e.do("POST", "/store/customers", map[string]any{"email": email, "password": password}).expect(201, "")
	return r.json()["customer"].(map[string]any)["id"].(string)
}

// token signs in over the token route and returns the bearer token.
func (e *env) token(email, password string, opts ...reqOpt) string {
	e.t.Helper()
	r := e.do("POST", "/store/auth/token", map[string]any{"email": email, "password": password}, opts...).expect(200, "")
	return r.json()["access_token"].(string)
}

func (e *env) admin(method, path string) *response {
	e.t.Helper()
	return e.do(method, path, nil, bearer(testAdminToken))
}

// consistent checks the saga's promise: every active customer with an account has a
// complete pool user named by its ID, every pool user belongs to an active customer, and
// (when settled) no row is half-way.
func (e *env) consistent(settled bool) {
	e.t.Helper()
	rows := e.store.allCustomers(e.t)
	want := map[string]bool{}
	for _, c := range rows {
		switch c.State {
		case store.StateActive:
			if c.HasAccount {
				want[strings.ToLower(c.ID)] = true
				u, ok := e.pool.user(c.ID)
				if !ok || !u.confirmed {
					e.t.Fatalf("active customer %s has no complete pool user", c.ID)
				}
			}
		case store.StatePending, store.StateDeleting:
			if settled {
				e.t.Fatalf("customer %s is still %s", c.ID, c.State)
			}
			want[strings.ToLower(c.ID)] = true // may or may not have one yet
		}
	}
	for _, name := range e.pool.usernames() {
		if !want[strings.ToLower(name)] {
			e.t.Fatalf("pool user %s has no customer row", name)
		}
	}
}
