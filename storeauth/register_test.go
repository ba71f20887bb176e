package storeauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

func TestRegisterShape(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/store/customers", map[string]any{
		"email": "Ada.Lovelace@Example.com", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace", "phone": "+44 20 7946 0000",
		"metadata": map[string]any{"tier": "gold", "n": 3},
	}).expect(201, "")
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	top := r.json()
	if len(top) != 1 {
		t.Fatalf("top-level keys: %v", top)
	}
	c := top["customer"].(map[string]any)
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"created_at", "email", "first_name", "has_account", "id", "last_name", "metadata", "phone", "updated_at"}
	if !slices.Equal(keys, want) {
		t.Fatalf("customer keys %v, want %v", keys, want)
	}
	id := c["id"].(string)
	if !strings.HasPrefix(id, "cus_") || len(id) != 30 {
		t.Fatalf("id %q", id)
	}
	if c["email"] != "Ada.Lovelace@Example.com" || c["first_name"] != "Ada" || c["last_name"] != "Lovelace" ||
		c["phone"] != "+44 20 7946 0000" || c["has_account"] != true {
		t.Fatalf("customer %v", c)
	}
	if m := c["metadata"].(map[string]any); m["tier"] != "gold" || m["n"] != float64(3) || len(m) != 2 {
		t.Fatalf("metadata %v", m)
	}
	for _, k := range []string{"created_at", "updated_at"} {
		ts, err := time.Parse(time.RFC3339Nano, c[k].(string))
		if err != nil || !ts.Equal(e.clock.Now()) || ts.Location() != time.UTC {
			t.Fatalf("%s = %v (%v), want %v", k, c[k], err, e.clock.Now())
		}
	}
	// The pool user is named by the ID, with the e-mail as a verified attribute.
	u, ok := e.pool.user(id)
	if !ok || u.username != id || u.email != "Ada.Lovelace@Example.com" || !u.emailVerified || !u.confirmed || !u.enabled {
		t.Fatalf("pool user %+v %v", u, ok)
	}
	row, err := e.store.GetCustomer(context.Background(), id)
	if err != nil || row.State != store.StateActive || !row.HasAccount || row.PasswordHash != "" {
		t.Fatalf("row %+v %v", row, err)
	}
	e.consistent(true)

	// Absent optional fields are null.
	r = e.do("POST", "/store/customers", map[string]any{"email": "plain@example.com", "password": goodPassword}).expect(201, "")
	c = r.json()["customer"].(map[string]any)
	for _, k := range []string{"first_name", "last_name", "phone", "metadata"} {
		if v, ok := c[k]; !ok || v != nil {
			t.Fatalf("%s = %v, want null", k, v)
		}
	}
}

func TestRegisterDuplicateAnyCase(t *testing.T) {
	e := newEnv(t)
	id := e.register("Grace@Example.COM", goodPassword)
	for _, email := range []string{"Grace@Example.COM", "grace@example.com", "GRACE@EXAMPLE.COM", "  gRaCe@eXaMpLe.CoM  "} {
		e.do("POST", "/store/customers", map[string]any{"email": email, "password": "Another-Pass-1"}).expect(409, TypeDuplicate)
	}
	if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
		t.Fatalf("pool users %v", got)
	}
	if n := len(e.store.allCustomers(t)); n != 1 {
		t.Fatalf("%d rows", n)
	}
	// A duplicate costs the pool nothing.
	if n := e.pool.count(mCreateUser); n != 1 {
		t.Fatalf("CreateUser called %d times", n)
	}
}

func TestRegisterPolicyRefusal(t *testing.T) {
	e := newEnv(t)
	e.pool.policy = func(pw string) error {
		if strings.ToLower(pw) == pw {
			return &PoolError{Kind: ErrPasswordPolicy, Message: "Password must have uppercase characters"}
		}
		return nil
	}
	r := e.do("POST", "/store/customers", map[string]any{"email": "weak@example.com", "password": "all-lower-case"}).expect(400, TypeInvalidData)
	if msg := r.message(); msg != "Password must have uppercase characters" {
		t.Fatalf("message %q", msg)
	}
	if rows := e.store.allCustomers(t); len(rows) != 0 {
		t.Fatalf("rows left: %+v", rows)
	}
	if users := e.pool.usernames(); len(users) != 0 {
		t.Fatalf("pool users left: %v", users)
	}
	// The address is free at once.
	e.register("weak@example.com", "Now-Upper-Case")
	e.consistent(true)
}

// A refusal that comes after the pool created the user (CognitoPool sets the permanent
// password in a second call) leaves no pool user either.
func TestRegisterPolicyRefusalAfterCreate(t *testing.T) {
	for _, kind := range []error{ErrPasswordPolicy, ErrPoolInvalid} {
		t.Run(kind.Error(), func(t *testing.T) {
			e := newEnv(t)
			e.pool.failAfter(mCreateUser, &PoolError{Kind: kind, Message: "Password was used before"})
			r := e.do("POST", "/store/customers", map[string]any{"email": "late@example.com", "password": goodPassword}).expect(400, TypeInvalidData)
			if msg := r.message(); msg != "Password was used before" {
				t.Fatalf("message %q", msg)
			}
			if rows := e.store.allCustomers(t); len(rows) != 0 {
				t.Fatalf("rows left: %+v", rows)
			}
			if users := e.pool.usernames(); len(users) != 0 {
				t.Fatalf("pool users left: %v", users)
			}
		})
	}
}

func TestRegisterPoolDownLeavesNothing(t *testing.T) {
	cases := []struct {
		name   string
		inject func(p *fakePool)
	}{
		{"timeout before create", func(p *fakePool) { p.hang(mCreateUser) }},
		{"timeout after create", func(p *fakePool) { p.hangAfter(mCreateUser) }},
		{"unavailable", func(p *fakePool) { p.failWith(mCreateUser, unavailable()) }},
		{"answer lost", func(p *fakePool) { p.failAfter(mCreateUser, unavailable()) }},
		{"throttled", func(p *fakePool) { p.failWith(mCreateUser, &PoolError{Kind: ErrPoolThrottled}) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.inject(e.pool)
			r := e.do5xx("POST", "/store/customers", map[string]any{"email": "slow@example.com", "password": goodPassword})
			if tc.name == "throttled" {
				r.expect(429, TypeTooManyRequests)
				if r.Header.Get("Retry-After") == "" {
					t.Fatal("no Retry-After")
				}
			} else {
				r.expect(503, TypeUnavailable)
			}
			if rows := e.store.allCustomers(t); len(rows) != 0 {
				t.Fatalf("rows left: %+v", rows)
			}
			if users := e.pool.usernames(); len(users) != 0 {
				t.Fatalf("pool users left: %v", users)
			}
			e.pool.heal()
			e.register("slow@example.com", goodPassword)
			e.consistent(true)
		})
	}
}

// When the pool dies for good mid-registration, a pending row stays behind; it holds the
// address, is invisible to sign-in, and Reconcile settles it once the pool is back.
func TestRegisterPoolDeadThenReconcile(t *testing.T) {
	for _, created := range []bool{false, true} {
		name := map[bool]string{false: "pool user never created", true: "pool user created, answer lost"}[created]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if created {
				e.pool.failAfter(mCreateUser, unavailable())
			} else {
				e.pool.failWith(mCreateUser, unavailable())
			}
			e.pool.failWith(mDeleteUser, unavailable())
			e.do5xx("POST", "/store/customers", map[string]any{"email": "Dead@Example.com", "password": goodPassword}).expect(503, TypeUnavailable)
			rows := e.store.allCustomers(t)
			if len(rows) != 1 || rows[0].State != store.StatePending {
				t.Fatalf("rows %+v", rows)
			}
			id := rows[0].ID
			e.consistent(false)
			// The pending row holds the address and cannot sign in.
			e.do("POST", "/store/customers", map[string]any{"email": "dead@example.com", "password": goodPassword}).expect(409, TypeDuplicate)
			e.do("POST", "/store/auth", map[string]any{"email": "dead@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)

			e.pool.heal()
			// Not before the saga's lease has run out.
			if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 0 {
				t.Fatalf("early Reconcile settled %d, %v", n, err)
			}
			e.clock.Advance(e.svc.sagaLease() + time.Second)
			if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
				t.Fatalf("Reconcile settled %d, %v", n, err)
			}
			e.consistent(true)
			c, err := e.store.GetCustomer(context.Background(), id)
			if created {
				if err != nil || c.State != store.StateActive {
					t.Fatalf("row %+v, %v; want active", c, err)
				}
				e.token("dead@example.com", goodPassword)
			} else {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("row %+v, %v; want gone", c, err)
				}
				e.register("dead@example.com", goodPassword)
			}
			// Reconcile again: nothing more to do.
			if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 0 {
				t.Fatalf("second Reconcile settled %d, %v", n, err)
			}
		})
	}
}

// A stale pending row does not hold its address for ever: the next registration settles it.
func TestRegisterSettlesStalePending(t *testing.T) {
	e := newEnv(t)
	e.pool.failWith(mCreateUser, unavailable())
	e.pool.failWith(mDeleteUser, unavailable())
	e.do5xx("POST", "/store/customers", map[string]any{"email": "stale@example.com", "password": goodPassword}).expect(503, "")
	e.pool.heal()
	e.do("POST", "/store/customers", map[string]any{"email": "stale@example.com", "password": goodPassword}).expect(409, TypeDuplicate)
	e.clock.Advance(e.svc.sagaLease() + time.Second)
	e.register("STALE@example.com", goodPassword)
	e.consistent(true)
	if rows := e.store.allCustomers(t); len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestReconcileSettlesPendingRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	mk := func(email string) store.Customer {
		c := store.Customer{ID: newID("cus_", now), Email: email, HasAccount: true, State: store.StatePending,
			CreatedAt: now, UpdatedAt: now}
		if err := e.store.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	complete := mk("complete@example.com")
	e.pool.addUser(complete.ID, complete.Email, goodPassword)
	missing := mk("missing@example.com")
	half := mk("half@example.com")
	e.pool.addUser(half.ID, half.Email, goodPassword)
	e.pool.mu.Lock()
	e.pool.users[strings.ToLower(half.ID)].confirmed = false
	e.pool.mu.Unlock()

	e.clock.Advance(e.svc.sagaLease() + time.Second)
	n, err := e.svc.Reconcile(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Reconcile settled %d, %v", n, err)
	}
	if c, err := e.store.GetCustomer(ctx, complete.ID); err != nil || c.State != store.StateActive {
		t.Fatalf("complete: %+v %v", c, err)
	}
	if _, err := e.store.GetCustomer(ctx, missing.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := e.store.GetCustomer(ctx, half.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("half: %v", err)
	}
	if _, ok := e.pool.user(half.ID); ok {
		t.Fatal("the unconfirmed pool user was left")
	}
	e.consistent(true)
	e.token("complete@example.com", goodPassword)
	e.register("missing@example.com", goodPassword)
	e.register("half@example.com", goodPassword)
}

// A pool that cannot answer leaves the pending row for a later run.
func TestReconcileWaitsForThePool(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	c := store.Customer{ID: newID("cus_", now), Email: "wait@example.com", HasAccount: true, State: store.StatePending,
		CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	e.pool.failWith(mUserConfirmed, unavailable())
	if n, err := e.svc.Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("Reconcile settled %d, %v", n, err)
	}
	if got, _ := e.store.GetCustomer(ctx, c.ID); got.State != store.StatePending {
		t.Fatalf("state %s", got.State)
	}
	e.pool.heal()
	if n, err := e.svc.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile settled %d, %v", n, err)
	}
	e.consistent(true)
}

// faultPanic is what a panicking fault hook throws.
type faultPanic string

// Fault points: a crash at each step of the registration saga leaves something Reconcile
// turns into a consistent state.
func TestRegisterFaultPointsThenReconcile(t *testing.T) {
	cases := []struct {
		point      string
		wantActive bool // Reconcile finishes the registration rather than undoing it
	}{
		{"register.after_row", false},
		{"register.after_pool_create", false},
		{"register.after_pool_user", true},
	}
	for _, tc := range cases {
		t.Run(tc.point, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *Config) {
				c.FaultHook = func(p string) {
					if p == tc.point {
						panic(faultPanic(p))
					}
				}
			}))
			// Through HTTP the crash becomes a 503, not a dead process.
			e.do5xx("POST", "/store/customers", map[string]any{"email": "crash@example.com", "password": goodPassword}).expect(503, TypeUnavailable)
			rows := e.store.allCustomers(t)
			if len(rows) != 1 || rows[0].State != store.StatePending {
				t.Fatalf("rows %+v", rows)
			}
			e.consistent(false)
			e.do("POST", "/store/auth", map[string]any{"email": "crash@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)

			e.clock.Advance(e.svc.sagaLease() + time.Second)
			if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
				t.Fatalf("Reconcile settled %d, %v", n, err)
			}
			e.consistent(true)
			rows = e.store.allCustomers(t)
			if tc.wantActive {
				if len(rows) != 1 || rows[0].State != store.StateActive {
					t.Fatalf("rows %+v", rows)
				}
				e.token("crash@example.com", goodPassword)
			} else {
				if len(rows) != 0 || len(e.pool.usernames()) != 0 {
					t.Fatalf("rows %+v, pool %v", rows, e.pool.usernames())
				}
			}
		})
	}
}

// Called directly, a panicking hook unwinds Register like a crash would.
func TestRegisterFaultHookDirect(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) {
		c.FaultHook = func(p string) {
			if p == "register.after_pool_user" {
				panic(faultPanic(p))
			}
		}
	}))
	func() {
		defer func() {
			if v := recover(); v != faultPanic("register.after_pool_user") {
				t.Fatalf("recovered %v", v)
			}
		}()
		e.svc.Register(context.Background(), Registration{Email: "direct@example.com", Password: goodPassword})
		t.Fatal("Register returned")
	}()
	e.clock.Advance(time.Hour)
	if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
		t.Fatalf("Reconcile settled %d, %v", n, err)
	}
	e.consistent(true)
}

// A recording hook sees every point in order and changes nothing.
func TestRegisterFaultHookRecords(t *testing.T) {
	var points []string
	e := newEnv(t, withConfig(func(c *Config) { c.FaultHook = func(p string) { points = append(points, p) } }))
	e.register("record@example.com", goodPassword)
	want := []string{"register.after_row", "register.after_pool_create", "register.after_pool_user"}
	if !slices.Equal(points, want) {
		t.Fatalf("points %v, want %v", points, want)
	}
	points = nil
	id := e.register("delete-me@example.com", goodPassword)
	points = nil
	e.admin("DELETE", "/admin/customers/"+id).expect(200, "")
	if !slices.Equal(points, []string{"delete.after_mark", "delete.after_pool_user"}) {
		t.Fatalf("delete points %v", points)
	}
	e.consistent(true)
}

// A crash at each step of the deletion saga: Reconcile finishes the deletion.
func TestDeleteFaultPointsThenReconcile(t *testing.T) {
	for _, point := range []string{"delete.after_mark", "delete.after_pool_user"} {
		t.Run(point, func(t *testing.T) {
			armed := false
			e := newEnv(t, withConfig(func(c *Config) {
				c.FaultHook = func(p string) {
					if armed && p == point {
						panic(faultPanic(p))
					}
				}
			}))
			id := e.register("gone@example.com", goodPassword)
			tok := e.token("gone@example.com", goodPassword)
			armed = true
			e.do5xx("DELETE", "/admin/customers/"+id, nil, bearer(testAdminToken)).expect(503, TypeUnavailable)
			armed = false
			// Sessions ended before the crash; the address is still held.
			e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
			e.do("POST", "/store/customers", map[string]any{"email": "gone@example.com", "password": goodPassword}).expect(409, TypeDuplicate)
			e.consistent(false)
			e.clock.Advance(e.svc.sagaLease() + time.Second)
			if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
				t.Fatalf("Reconcile settled %d, %v", n, err)
			}
			e.consistent(true)
			c, err := e.store.GetCustomer(context.Background(), id)
			if err != nil || c.State != store.StateDeleted || c.DeletedAt.IsZero() {
				t.Fatalf("row %+v %v", c, err)
			}
			e.register("gone@example.com", goodPassword)
		})
	}
}

func TestRegisterValidation(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 300)
	cases := []map[string]any{
		{"password": goodPassword},
		{"email": "", "password": goodPassword},
		{"email": "not-an-email", "password": goodPassword},
		{"email": "Name <a@example.com>", "password": goodPassword},
		{"email": long + "@example.com", "password": goodPassword},
		{"email": "a@example.com"},
		{"email": "a@example.com", "password": "short"},
		{"email": "a@example.com", "password": strings.Repeat("P", 257)},
		{"email": "a@example.com", "password": goodPassword, "first_name": long},
		{"email": "a@example.com", "password": goodPassword, "last_name": "tab\there"},
		{"email": "a@example.com", "password": goodPassword, "phone": strings.Repeat("1", 33)},
		{"email": "a@example.com", "password": goodPassword, "metadata": []int{1}},
		{"email": "a@example.com", "password": goodPassword, "metadata": "string"},
		{"email": "a@example.com", "password": goodPassword, "metadata": map[string]string{"big": strings.Repeat("m", 17<<10)}},
	}
	for _, body := range cases {
		e.do("POST", "/store/customers", body).expect(400, TypeInvalidData)
	}
	if e.pool.count(mCreateUser) != 0 || len(e.store.allCustomers(t)) != 0 {
		t.Fatal("invalid registrations reached the pool or the database")
	}
	// A password of exactly 256 characters, some of them outside ASCII, is fine.
	pw := strings.Repeat("é", 255) + "A"
	e.register("max@example.com", pw)
	e.token("max@example.com", pw)
}

func TestRegisterMetadataRoundTrip(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/store/customers", raw(`{"email":"m@example.com","password":"`+goodPassword+`","metadata": { "a" : [1, 2, {"b": null}], "c": "d" } }`)).expect(201, "")
	var got struct {
		Customer struct {
			Metadata json.RawMessage `json:"metadata"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if string(got.Customer.Metadata) != `{"a":[1,2,{"b":null}],"c":"d"}` {
		t.Fatalf("metadata %s", got.Customer.Metadata)
	}
	// metadata: null is no metadata.
	r = e.do("POST", "/store/customers", raw(`{"email":"n@example.com","password":"`+goodPassword+`","metadata":null}`)).expect(201, "")
	if r.json()["customer"].(map[string]any)["metadata"] != nil {
		t.Fatalf("metadata %s", r.Body)
	}
}
