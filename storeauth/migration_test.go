package storeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/storeauth/store"
)

// Lazy migration of legacy password hashes, through the HTTP API and the service. The
// hashes are real ones from the verifier package's test vectors (cheap parameters).

const (
	migScryptCase   = "medusa-v1 logN=1 r=1 p=1, ascii"
	migScryptNFC    = "medusa-v1 logN=1 r=1 p=1, nfc"
	migScryptCtrl   = "medusa-v1 logN=1 r=1 p=1, ctrl"
	migBcryptCase   = "$2b$04, ascii"
	migWerkzeugCase = "pbkdf2:sha256:1000, ascii"
)

type migVectorFile struct {
	Vectors []struct {
		Format   string `json:"format"`
		Case     string `json:"case"`
		Password string `json:"password"`
		Hash     string `json:"hash"`
		OK       bool   `json:"ok"`
	} `json:"vectors"`
}

var (
	migVectorsOnce sync.Once
	migVectorsData migVectorFile
	migVectorsErr  error
)

// migVector returns the password and hash of the matching vector of the verifier package.
func migVector(t testing.TB, name string) (password, hash string) {
	t.Helper()
	migVectorsOnce.Do(func() {
		b, err := os.ReadFile("../legacyhash/testdata/vectors.json")
		if err != nil {
			migVectorsErr = err
			return
		}
		migVectorsErr = json.Unmarshal(b, &migVectorsData)
	})
	if migVectorsErr != nil {
		t.Fatal(migVectorsErr)
	}
	for _, v := range migVectorsData.Vectors {
		if v.Case == name && v.OK {
			return v.Password, v.Hash
		}
	}
	t.Fatalf("no test vector %q", name)
	return "", ""
}

// migEnv is an env whose metrics go to a registry of its own.
func migEnv(t testing.TB, opts ...envOption) (*env, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts = append([]envOption{withConfig(func(c *Config) { c.Registerer = reg })}, opts...)
	return newEnv(t, opts...), reg
}

// migAddLegacy inserts an active customer with an account and a legacy hash, as an import
// would, and returns its ID.
func migAddLegacy(e *env, email, hash string, edit ...func(*store.Customer)) string {
	e.t.Helper()
	now := e.clock.Now()
	c := store.Customer{ID: newID("cus_", now), Email: email, HasAccount: true, PasswordHash: hash,
		State: store.StateActive, CreatedAt: now, UpdatedAt: now}
	for _, f := range edit {
		f(&c)
	}
	if err := e.store.CreateCustomer(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

func migRow(e *env, id string) store.Customer {
	e.t.Helper()
	c, err := e.store.GetCustomer(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// migCounter reads one counter of reg.
func migCounter(t testing.TB, reg *prometheus.Registry, name, label, value string) float64 {
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
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func migLegacyChecks(t testing.TB, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	return migCounter(t, reg, "hashless_store_legacy_hash_checks_total", "kind", kind)
}

func migMigrations(t testing.TB, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	return migCounter(t, reg, "hashless_store_migrations_total", "outcome", outcome)
}

func migLogin(e *env, route, email, password string, opts ...reqOpt) *response {
	e.t.Helper()
	return e.send(true, "POST", route, map[string]any{"email": email, "password": password}, opts...)
}

// migAssertLegacy checks the row still holds hash, unmigrated and with no lease held.
func migAssertLegacy(e *env, id, hash string) store.Customer {
	e.t.Helper()
	c := migRow(e, id)
	if c.PasswordHash != hash || !c.MigratedAt.IsZero() {
		e.t.Fatalf("row changed: hash %q, migrated %v", c.PasswordHash, c.MigratedAt)
	}
	if !c.CredentialLeaseUntil.IsZero() {
		e.t.Fatalf("lease still held until %v", c.CredentialLeaseUntil)
	}
	return c
}

// migAssertMigrated checks the row's hash is gone and the pool holds password for the
// customer (username = ID, e-mail verified).
func migAssertMigrated(e *env, id, email, password string) store.Customer {
	e.t.Helper()
	c := migRow(e, id)
	if c.PasswordHash != "" || c.MigratedAt.IsZero() || !c.CredentialLeaseUntil.IsZero() || c.PasswordChangeRequired {
		e.t.Fatalf("not migrated: hash %q, migrated %v, lease %v, flag %v", c.PasswordHash, c.MigratedAt,
			c.CredentialLeaseUntil, c.PasswordChangeRequired)
	}
	u, ok := e.pool.user(id)
	if !ok {
		e.t.Fatalf("no pool user %s", id)
	}
	if u.username != id || u.email != email || !u.emailVerified || !u.enabled || !u.confirmed || u.password != password {
		e.t.Fatalf("pool user %+v", u)
	}
	return c
}

// 1. The first sign-in moves the password into the pool and erases the hash; the next one
// is the pool's alone.
func TestMigrationFirstLogin(t *testing.T) {
	for _, vc := range []string{migScryptCase, migBcryptCase, migWerkzeugCase, migScryptNFC} {
		t.Run(vc, func(t *testing.T) {
			e, reg := migEnv(t)
			pw, hash := migVector(t, vc)
			id := migAddLegacy(e, "Legacy.Customer@Example.com", hash)
			e.pool.resetCounts()
			r := migLogin(e, "/store/auth", "legacy.customer@example.com", pw).expect(200, "")
			m := r.json()
			if _, ok := m["password_change_required"]; ok || len(m) != 1 {
				t.Fatalf("body %s", r.Body)
			}
			c := m["customer"].(map[string]any)
			if c["id"] != id || c["email"] != "Legacy.Customer@Example.com" || c["has_account"] != true {
				t.Fatalf("customer %v", c)
			}
			ck := r.cookie(CookieName)
			if ck == nil {
				t.Fatal("no session cookie")
			}
			row := migAssertMigrated(e, id, "Legacy.Customer@Example.com", pw)
			if !row.MigratedAt.Equal(e.clock.Now()) {
				t.Fatalf("MigratedAt %v, now %v", row.MigratedAt, e.clock.Now())
			}
			if got := e.pool.counts(); !maps.Equal(got, map[string]int{mEnsureUser: 1, mSetPassword: 1, mAuthenticate: 1}) {
				t.Fatalf("pool calls %v", got)
			}
			if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
				t.Fatalf("pool users %v", got)
			}
			if real, decoy := migLegacyChecks(t, reg, "real"), migLegacyChecks(t, reg, "decoy"); real != 1 || decoy != 0 {
				t.Fatalf("legacy checks real %v decoy %v", real, decoy)
			}
			if n := migMigrations(t, reg, "login"); n != 1 {
				t.Fatalf("migrations %v", n)
			}
			e.do("GET", "/store/auth", nil, withCookie(ck)).expect(200, "")
			e.consistent(true)

			// The next sign-in is the pool's only: no legacy check at all.
			e.pool.resetCounts()
			e.clock.Advance(time.Minute)
			tr := migLogin(e, "/store/auth/token", "LEGACY.customer@example.com", pw).expect(200, "")
			if _, ok := tr.json()["password_change_required"]; ok {
				t.Fatalf("body %s", tr.Body)
			}
			if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1}) {
				t.Fatalf("pool calls %v", got)
			}
			if real, decoy := migLegacyChecks(t, reg, "real"), migLegacyChecks(t, reg, "decoy"); real != 1 || decoy != 0 {
				t.Fatalf("legacy checks real %v decoy %v", real, decoy)
			}
			if after := migRow(e, id); !after.MigratedAt.Equal(row.MigratedAt) {
				t.Fatalf("MigratedAt moved to %v", after.MigratedAt)
			}
			// The old hash is no back door: a wrong password is refused by the pool.
			migLogin(e, "/store/auth", "legacy.customer@example.com", pw+"x").expect(401, TypeUnauthorized)
		})
	}
}

// 2. Every failure costs one pool sign-in and one legacy verification, and looks the same,
// while legacy customers exist.
func TestMigrationFailuresCostTheSame(t *testing.T) {
	for _, route := range []string{"/store/auth", "/store/auth/token"} {
		t.Run(route, func(t *testing.T) {
			e, reg := migEnv(t)
			pw, hash := migVector(t, migScryptCase)
			pw2, hash2 := migVector(t, migBcryptCase)
			legacy := migAddLegacy(e, "legacy@example.com", hash)
			migrated := migAddLegacy(e, "migrated@example.com", hash2)
			migLogin(e, "/store/auth", "migrated@example.com", pw2).expect(200, "")
			migAssertMigrated(e, migrated, "migrated@example.com", pw2)
			migAddLegacy(e, "disabled@example.com", hash, func(c *store.Customer) { c.Disabled = true })
			migAddLegacy(e, "other-legacy@example.com", hash)

			cases := []struct {
				name, email, password, username, kind string
			}{
				{"wrong password, unmigrated", "legacy@example.com", "Wrong-Password-1", legacy, "real"},
				{"unknown e-mail", "nobody@example.com", pw, DefaultDecoyUsername, "decoy"},
				{"wrong password, migrated", "migrated@example.com", "Wrong-Password-1", migrated, "decoy"},
				{"disabled, right password", "disabled@example.com", pw, DefaultDecoyUsername, "decoy"},
				{"wrong password, unmigrated, other case", "LEGACY@example.com", pw + " ", legacy, "real"},
			}
			var first *response
			for i, tc := range cases {
				e.pool.resetCounts()
				real0, decoy0 := migLegacyChecks(t, reg, "real"), migLegacyChecks(t, reg, "decoy")
				r := migLogin(e, route, tc.email, tc.password, remote(fmt.Sprintf("198.51.100.%d:4000", i+1))).expect(401, TypeUnauthorized)
				if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1}) {
					t.Fatalf("%s: pool calls %v", tc.name, got)
				}
				if u := e.pool.lastUser(mAuthenticate); u != tc.username {
					t.Fatalf("%s: authenticated %q, want %q", tc.name, u, tc.username)
				}
				dReal := migLegacyChecks(t, reg, "real") - real0
				dDecoy := migLegacyChecks(t, reg, "decoy") - decoy0
				if dReal+dDecoy != 1 || (tc.kind == "real") != (dReal == 1) {
					t.Fatalf("%s: legacy checks real +%v decoy +%v, want one %s", tc.name, dReal, dDecoy, tc.kind)
				}
				if len(r.rec.Result().Cookies()) != 0 {
					t.Fatalf("%s: set a cookie", tc.name)
				}
				if first == nil {
					first = r
					continue
				}
				if r.Code != first.Code || !bytes.Equal(r.Body, first.Body) {
					t.Fatalf("%s: %d %q differs from %d %q", tc.name, r.Code, r.Body, first.Code, first.Body)
				}
				if !maps.EqualFunc(r.Header, first.Header, func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
					t.Fatalf("%s: headers %v differ from %v", tc.name, r.Header, first.Header)
				}
			}
			// Nothing moved: the unmigrated customer is still unmigrated, and nobody got a
			// pool user from a failure.
			migAssertLegacy(e, legacy, hash)
			if got := e.pool.usernames(); !slices.Equal(got, []string{migrated}) {
				t.Fatalf("pool users %v", got)
			}
		})
	}
}

// migStrictPolicy is a pool policy that wants an upper-case letter and a digit.
func migStrictPolicy(pw string) error {
	if len([]rune(pw)) < 8 || !strings.ContainsAny(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || !strings.ContainsAny(pw, "0123456789") {
		return &PoolError{Kind: ErrPasswordPolicy, Message: "Password must have uppercase characters and numeric characters"}
	}
	return nil
}

func migSetPolicy(p *fakePool, policy func(string) error) {
	p.mu.Lock()
	p.policy = policy
	p.mu.Unlock()
}

// 3. A legacy password the pool refuses still signs in, flagged; the next password change
// migrates.
func TestMigrationPolicyRefusal(t *testing.T) {
	e, reg := migEnv(t)
	migSetPolicy(e.pool, migStrictPolicy)
	pw, hash := migVector(t, migScryptCase) // all lower case: the pool refuses it
	id := migAddLegacy(e, "weak@example.com", hash)

	r := migLogin(e, "/store/auth", "weak@example.com", pw).expect(200, "")
	m := r.json()
	if m["password_change_required"] != true || m["customer"].(map[string]any)["id"] != id || len(m) != 2 {
		t.Fatalf("body %s", r.Body)
	}
	ck := r.cookie(CookieName)
	if ck == nil {
		t.Fatal("no cookie")
	}
	row := migRow(e, id)
	if row.PasswordHash != hash || !row.PasswordChangeRequired || !row.MigratedAt.IsZero() || !row.CredentialLeaseUntil.IsZero() {
		t.Fatalf("row %+v", row)
	}
	if n := migMigrations(t, reg, "blocked_by_policy"); n != 1 {
		t.Fatalf("blocked_by_policy %v", n)
	}
	tr := migLogin(e, "/store/auth/token", "weak@example.com", pw).expect(200, "")
	tm := tr.json()
	if tm["password_change_required"] != true || tm["token_type"] != "Bearer" || len(tm) != 4 {
		t.Fatalf("body %s", tr.Body)
	}
	tok := tm["access_token"].(string)
	row = migRow(e, id)
	if row.PasswordHash != hash || !row.PasswordChangeRequired || !row.CredentialLeaseUntil.IsZero() {
		t.Fatalf("row %+v", row)
	}
	st := e.admin("GET", "/admin/migration").json()
	if st["legacy"] != float64(1) || st["blocked_by_policy"] != float64(1) || st["migrated"] != float64(0) {
		t.Fatalf("status %v", st)
	}

	// A new password the pool refuses too: a clear 400, nothing moves.
	cr := e.do("POST", "/store/customers/me/password", map[string]any{"old_password": pw, "new_password": "still all lower case"},
		bearer(tok)).expect(400, TypeInvalidData)
	if !strings.Contains(cr.message(), "uppercase") {
		t.Fatalf("message %q", cr.message())
	}
	row = migRow(e, id)
	if row.PasswordHash != hash || !row.PasswordChangeRequired || !row.CredentialLeaseUntil.IsZero() {
		t.Fatalf("row %+v", row)
	}
	// A wrong old password: refused.
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": "Wrong-Password-1", "new_password": goodPassword},
		bearer(tok)).expect(400, TypeInvalidData)
	migAssertLegacy(e, id, hash)

	// The old (legacy) password and a new valid one: migrated.
	e.do("POST", "/store/customers/me/password", map[string]any{"old_password": pw, "new_password": goodPassword},
		bearer(tok)).expect(200, "")
	migAssertMigrated(e, id, "weak@example.com", goodPassword)
	if n := migMigrations(t, reg, "password_change"); n != 1 {
		t.Fatalf("password_change migrations %v", n)
	}
	// Other sessions ended, this one kept.
	e.do("GET", "/store/auth", nil, withCookie(ck)).expect(401, TypeUnauthorized)
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	nr := migLogin(e, "/store/auth", "weak@example.com", goodPassword).expect(200, "")
	if _, ok := nr.json()["password_change_required"]; ok {
		t.Fatalf("body %s", nr.Body)
	}
	migLogin(e, "/store/auth", "weak@example.com", pw).expect(401, TypeUnauthorized)
	st = e.admin("GET", "/admin/migration").json()
	if st["legacy"] != float64(0) || st["blocked_by_policy"] != float64(0) || st["migrated"] != float64(1) {
		t.Fatalf("status %v", st)
	}
	e.consistent(true)
}

// 4. A pool outage at any step of the migration: 503, the hash intact, the lease given
// back; the next sign-in with the pool back migrates.
func TestMigrationPoolOutage(t *testing.T) {
	cases := []struct {
		name   string
		inject func(p *fakePool)
	}{
		{"EnsureUser fails", func(p *fakePool) { p.failWith(mEnsureUser, unavailable()) }},
		{"EnsureUser answer lost", func(p *fakePool) { p.failAfter(mEnsureUser, unavailable()) }},
		{"SetPassword fails", func(p *fakePool) { p.failWith(mSetPassword, unavailable()) }},
		{"SetPassword answer lost", func(p *fakePool) { p.failAfter(mSetPassword, unavailable()) }},
		{"Authenticate after set fails", func(p *fakePool) { p.failWith(mAuthenticate, unavailable()) }},
		{"Authenticate after set refuses", func(p *fakePool) { p.failWith(mAuthenticate, &PoolError{Kind: ErrNotAuthorized}) }},
		{"Authenticate after set answer lost", func(p *fakePool) { p.failAfter(mAuthenticate, unavailable()) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, reg := migEnv(t)
			pw, hash := migVector(t, migScryptCase)
			id := migAddLegacy(e, "outage@example.com", hash)
			tc.inject(e.pool)
			for _, route := range []string{"/store/auth", "/store/auth/token"} {
				r := migLogin(e, route, "outage@example.com", pw).expect(503, TypeUnavailable)
				if len(r.json()) != 2 || len(r.rec.Result().Cookies()) != 0 {
					t.Fatalf("body %s", r.Body)
				}
				migAssertLegacy(e, id, hash)
			}
			if n := migMigrations(t, reg, "failed"); n != 2 {
				t.Fatalf("failed migrations %v", n)
			}
			// An outage is no failed sign-in: the throttle does not count it.
			for range 5 {
				migLogin(e, "/store/auth", "outage@example.com", pw).expect(503, TypeUnavailable)
			}
			e.pool.heal()
			migLogin(e, "/store/auth", "outage@example.com", pw).expect(200, "")
			migAssertMigrated(e, id, "outage@example.com", pw)
			if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
				t.Fatalf("pool users %v", got)
			}
			if n := migMigrations(t, reg, "login"); n != 1 {
				t.Fatalf("migrations %v", n)
			}
			e.consistent(true)
		})
	}
}

// migrationFaultPoints are a first sign-in's fault points, in the order it reaches them.
var migrationFaultPoints = []string{"migrate.before_pool_user", "migrate.after_pool_user",
	"migrate.after_set_password", "migrate.after_proof", "migrate.before_erase"}

// 5. A crash at each step (a panicking fault hook) leaves a customer who can sign in; while
// the crashed flow's lease lasts, sign-ins succeed without migrating, and once it has
// expired the next one migrates.
func TestMigrationCrashAtEachStep(t *testing.T) {
	for _, point := range migrationFaultPoints {
		for _, via := range []string{"http", "service"} {
			t.Run(point+"/"+via, func(t *testing.T) {
				var armed atomic.Bool
				var seen []string
				var mu sync.Mutex
				e, reg := migEnv(t, withConfig(func(c *Config) {
					c.FaultHook = func(p string) {
						mu.Lock()
						seen = append(seen, p)
						mu.Unlock()
						if armed.Load() && p == point {
							panic(faultPanic(p))
						}
					}
				}))
				pw, hash := migVector(t, migScryptCase)
				id := migAddLegacy(e, "crash@example.com", hash)
				armed.Store(true)
				if via == "http" {
					// Through HTTP the crash becomes a 503.
					migLogin(e, "/store/auth", "crash@example.com", pw).expect(503, TypeUnavailable)
				} else {
					func() {
						defer func() {
							if v := recover(); v != faultPanic(point) {
								t.Fatalf("recovered %v", v)
							}
						}()
						e.svc.Login(context.Background(), "crash@example.com", pw, Client{IP: "192.0.2.9"}, KindBearer)
						t.Fatal("Login returned")
					}()
				}
				armed.Store(false)
				if !slices.Contains(seen, point) {
					t.Fatalf("fault point %s not reached; saw %v", point, seen)
				}
				// The hash is intact and the crashed flow's lease is still held.
				row := migRow(e, id)
				if row.PasswordHash != hash || !row.MigratedAt.IsZero() || !e.clock.Now().Before(row.CredentialLeaseUntil) {
					t.Fatalf("row after the crash %+v", row)
				}
				u, ok := e.pool.user(id)
				switch point {
				case "migrate.before_pool_user":
					if ok {
						t.Fatal("a pool user exists after a crash before it was created")
					}
				case "migrate.after_pool_user":
					if !ok || u.password == pw {
						t.Fatalf("pool user after %s: exists %v, password set %v", point, ok, u.password == pw)
					}
				default:
					if !ok || u.password != pw {
						t.Fatalf("pool user after %s: exists %v, password set %v", point, ok, u.password == pw)
					}
				}

				// During the lease: signed in, not migrated, and the pool is not touched.
				e.pool.resetCounts()
				e.clock.Advance(e.svc.credentialLease() / 2)
				r := migLogin(e, "/store/auth/token", "crash@example.com", pw).expect(200, "")
				if _, ok := r.json()["password_change_required"]; ok {
					t.Fatalf("body %s", r.Body)
				}
				tok := r.json()["access_token"].(string)
				if got := e.pool.counts(); len(got) != 0 {
					t.Fatalf("pool calls during the lease %v", got)
				}
				if got := migRow(e, id); got.PasswordHash != hash || !got.MigratedAt.IsZero() {
					t.Fatalf("migrated during the lease: %+v", got)
				}
				if n := migMigrations(t, reg, "deferred"); n != 1 {
					t.Fatalf("deferred %v", n)
				}
				// A wrong password during the lease is still refused.
				migLogin(e, "/store/auth", "crash@example.com", "Wrong-Password-1").expect(401, TypeUnauthorized)

				// After the lease: the next sign-in migrates, exactly once.
				e.clock.Advance(e.svc.credentialLease())
				migLogin(e, "/store/auth", "crash@example.com", pw).expect(200, "")
				migAssertMigrated(e, id, "crash@example.com", pw)
				if n := migMigrations(t, reg, "login"); n != 1 {
					t.Fatalf("migrations %v", n)
				}
				if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
					t.Fatalf("pool users %v", got)
				}
				e.pool.resetCounts()
				migLogin(e, "/store/auth", "crash@example.com", pw).expect(200, "")
				if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1}) {
					t.Fatalf("pool calls %v", got)
				}
				e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
				e.consistent(true)
			})
		}
	}
}

// A recording hook sees the migration's points in order.
func TestMigrationFaultPointsInOrder(t *testing.T) {
	var mu sync.Mutex
	var points []string
	e, _ := migEnv(t, withConfig(func(c *Config) {
		c.FaultHook = func(p string) {
			mu.Lock()
			points = append(points, p)
			mu.Unlock()
		}
	}))
	pw, hash := migVector(t, migScryptCase)
	migAddLegacy(e, "points@example.com", hash)
	migLogin(e, "/store/auth", "points@example.com", pw).expect(200, "")
	if !slices.Equal(points, migrationFaultPoints) {
		t.Fatalf("points %v, want %v", points, migrationFaultPoints)
	}
}

// 6. Concurrent first sign-ins of one customer: all succeed, one pool user, the hash erased
// once.
func TestMigrationConcurrentFirstLogins(t *testing.T) {
	const n = 8
	for round := range 25 {
		e, reg := migEnv(t)
		pw, hash := migVector(t, migScryptCase)
		id := migAddLegacy(e, "race@example.com", hash)
		start := make(chan struct{})
		codes := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				route := "/store/auth"
				if i%2 == 1 {
					route = "/store/auth/token"
				}
				body := fmt.Sprintf(`{"email":"race@example.com","password":%q}`, pw)
				req := httptest.NewRequest("POST", route, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1", i+1)
				rec := httptest.NewRecorder()
				<-start
				e.api.ServeHTTP(rec, req)
				codes <- fmt.Sprintf("%d %s", rec.Code, rec.Body.String())
			}()
		}
		close(start)
		wg.Wait()
		close(codes)
		for c := range codes {
			if !strings.HasPrefix(c, "200 ") {
				t.Fatalf("round %d: %s", round, c)
			}
		}
		migAssertMigrated(e, id, "race@example.com", pw)
		if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
			t.Fatalf("round %d: pool users %v", round, got)
		}
		if got := e.pool.count(mSetPassword); got != 1 {
			t.Fatalf("round %d: the password was set %d times", round, got)
		}
		if got := migMigrations(t, reg, "login"); got != 1 {
			t.Fatalf("round %d: migrated %v times", round, got)
		}
		if sessions, _ := e.store.ListSessions(context.Background(), id); len(sessions) != n {
			t.Fatalf("round %d: %d sessions", round, len(sessions))
		}
		e.consistent(true)
	}
}

// migHookStore runs a hook after a customer is read by e-mail, to freeze a flow between its
// read and its next step.
type migHookStore struct {
	*countingStore
	mu    sync.Mutex
	after func(c store.Customer)
}

func (s *migHookStore) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	c, err := s.countingStore.CustomerByEmail(ctx, email)
	s.mu.Lock()
	hook := s.after
	s.after = nil
	s.mu.Unlock()
	if hook != nil && err == nil {
		hook(c)
	}
	return c, err
}

// The race the concurrent test can only hit by chance, made exact: a sign-in reads the
// unmigrated row, and before it claims the lease another sign-in migrates the customer. The
// first must still succeed (the pool now holds the password), not fail with a 503.
func TestMigrationLoginLosesRaceToAnotherMigration(t *testing.T) {
	var hs *migHookStore
	e, reg := migEnv(t, withConfig(func(c *Config) {
		hs = &migHookStore{countingStore: c.Customers.(*countingStore)}
		c.Customers = hs
	}))
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "slow@example.com", hash)
	hs.mu.Lock()
	hs.after = func(store.Customer) {
		migLogin(e, "/store/auth", "slow@example.com", pw, remote("198.51.100.2:1")).expect(200, "")
	}
	hs.mu.Unlock()
	migLogin(e, "/store/auth/token", "slow@example.com", pw, remote("198.51.100.1:1")).expect(200, "")
	migAssertMigrated(e, id, "slow@example.com", pw)
	if got := migMigrations(t, reg, "login"); got != 1 {
		t.Fatalf("migrated %v times", got)
	}
	// The same race with a wrong password is refused by the pool.
	id2 := migAddLegacy(e, "slow2@example.com", hash)
	hs.mu.Lock()
	hs.after = func(store.Customer) {
		migLogin(e, "/store/auth", "slow2@example.com", pw, remote("198.51.100.2:1")).expect(200, "")
	}
	hs.mu.Unlock()
	migLogin(e, "/store/auth/token", "slow2@example.com", "Wrong-Password-1", remote("198.51.100.1:1")).expect(401, TypeUnauthorized)
	migAssertMigrated(e, id2, "slow2@example.com", pw)

	// And a sign-in that loses to a reset: the legacy password was checked against a hash
	// that the reset has erased, so only the pool's (new) password counts now.
	pw3, hash3 := migVector(t, migScryptCtrl)
	id3 := migAddLegacy(e, "slow3@example.com", hash3)
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "slow3@example.com"}).expect(204, "")
	code := e.resetCode(id3)
	hs.mu.Lock()
	hs.after = func(store.Customer) {
		e.do("POST", "/store/customers/password-reset", map[string]any{"email": "slow3@example.com", "token": code,
			"password": goodPassword}).expect(200, "")
	}
	hs.mu.Unlock()
	migLogin(e, "/store/auth", "slow3@example.com", pw3).expect(401, TypeUnauthorized)
	migAssertMigrated(e, id3, "slow3@example.com", goodPassword)
	migLogin(e, "/store/auth", "slow3@example.com", goodPassword).expect(200, "")
}

// A first sign-in racing a password reset: the reset waits for the migration's lease (its
// code is not used up), so the password the customer chose in the reset is the one that
// stays, never the legacy one the migration was moving.
func TestMigrationResetRacesFirstLogin(t *testing.T) {
	e, reg := migEnv(t)
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "both@example.com", hash)
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "both@example.com"}).expect(204, "")
	code := e.resetCode(id)
	migAssertLegacy(e, id, hash)

	// The reset arrives while the migration has ensured the pool user and is about to set
	// the legacy password.
	var resetDuring *response
	e.pool.mu.Lock()
	e.pool.before[mSetPassword] = func(context.Context) error {
		resetDuring = e.send(true, "POST", "/store/customers/password-reset",
			map[string]any{"email": "both@example.com", "token": code, "password": goodPassword})
		return nil
	}
	e.pool.mu.Unlock()
	migLogin(e, "/store/auth", "both@example.com", pw).expect(200, "")
	e.pool.heal()
	if resetDuring == nil {
		t.Fatal("the reset did not run")
	}
	resetDuring.expect(503, TypeUnavailable)
	if resetDuring.Header.Get("Retry-After") == "" {
		t.Fatalf("no Retry-After: %v", resetDuring.Header)
	}
	migAssertMigrated(e, id, "both@example.com", pw)
	// The customer retries with the same code: the new password wins.
	e.do("POST", "/store/customers/password-reset", map[string]any{"email": "both@example.com", "token": code,
		"password": goodPassword}).expect(200, "")
	migLogin(e, "/store/auth", "both@example.com", goodPassword).expect(200, "")
	migLogin(e, "/store/auth", "both@example.com", pw).expect(401, TypeUnauthorized)
	if n := migMigrations(t, reg, "login"); n != 1 {
		t.Fatalf("migrations %v", n)
	}
}

// 7. Forgot-password migrates a customer who never signed in since the import.
func TestMigrationForgotPassword(t *testing.T) {
	e, reg := migEnv(t)
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "Forgetful@Example.com", hash)
	ctx := context.Background()
	// Two sessions of the customer (from before, say).
	var tokens []string
	for range 2 {
		_, tok, err := e.svc.openSession(ctx, id, Client{IP: "192.0.2.7"}, KindBearer)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	e.pool.resetCounts()
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "forgetful@example.com"}).expect(204, "")
	got := e.pool.counts()
	if got[mEnsureUser] != 1 || got[mForgotPassword] != 1 || got[mAuthenticate] != 0 || got[mConfirmForgotPassword] != 0 {
		t.Fatalf("pool calls %v", got)
	}
	if u := e.pool.lastUser(mForgotPassword); u != id {
		t.Fatalf("code sent for %q", u)
	}
	u, ok := e.pool.user(id)
	if !ok || u.email != "Forgetful@Example.com" || !u.emailVerified || !u.confirmed || u.password == pw {
		t.Fatalf("pool user %+v", u)
	}
	// Nothing is migrated by asking for a code; the lease is given back.
	migAssertLegacy(e, id, hash)
	code := e.resetCode(id)

	// A wrong code changes nothing.
	e.do("POST", "/store/customers/password-reset", map[string]any{"email": "forgetful@example.com", "token": "999999",
		"password": goodPassword}).expect(400, TypeInvalidData)
	migAssertLegacy(e, id, hash)
	for _, tok := range tokens {
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	}

	r := e.do("POST", "/store/customers/password-reset", map[string]any{"email": "FORGETFUL@example.com", "token": code,
		"password": goodPassword}).expect(200, "")
	if r.json()["customer"].(map[string]any)["id"] != id {
		t.Fatalf("body %s", r.Body)
	}
	migAssertMigrated(e, id, "Forgetful@Example.com", goodPassword)
	if n := migMigrations(t, reg, "password_reset"); n != 1 {
		t.Fatalf("password_reset migrations %v", n)
	}
	for _, tok := range tokens {
		e.do("GET", "/store/auth", nil, bearer(tok)).expect(401, TypeUnauthorized)
	}
	if sessions, _ := e.store.ListSessions(ctx, id); len(sessions) != 0 {
		t.Fatalf("%d sessions left", len(sessions))
	}
	migLogin(e, "/store/auth", "forgetful@example.com", goodPassword).expect(200, "")
	migLogin(e, "/store/auth", "forgetful@example.com", pw).expect(401, TypeUnauthorized)
	e.consistent(true)
}

// The legacy password keeps working between asking for a code and using it, and signing
// in with it then migrates as usual; the code, used afterwards, still resets.
func TestMigrationForgotPasswordThenLegacyLogin(t *testing.T) {
	e, _ := migEnv(t)
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "changed-mind@example.com", hash)
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "changed-mind@example.com"}).expect(204, "")
	code := e.resetCode(id)
	migLogin(e, "/store/auth", "changed-mind@example.com", pw).expect(200, "")
	migAssertMigrated(e, id, "changed-mind@example.com", pw)
	e.do("POST", "/store/customers/password-reset", map[string]any{"email": "changed-mind@example.com", "token": code,
		"password": goodPassword}).expect(200, "")
	migLogin(e, "/store/auth", "changed-mind@example.com", goodPassword).expect(200, "")
	migLogin(e, "/store/auth", "changed-mind@example.com", pw).expect(401, TypeUnauthorized)
}

// 8. A reset that finished in the pool but stopped before erasing the hash: the pool holds
// P2, the row still holds the hash of P1.
func TestMigrationResetCrashedBeforeErase(t *testing.T) {
	setup := func(t *testing.T) (*env, *prometheus.Registry, string, string, string) {
		e, reg := migEnv(t)
		p1, hash := migVector(t, migScryptCase)
		id := migAddLegacy(e, "halfway@example.com", hash)
		e.pool.addUser(id, "halfway@example.com", goodPassword) // P2
		return e, reg, id, p1, hash
	}

	t.Run("new password first", func(t *testing.T) {
		// P2 fails the legacy check, and the pool proves it: that is exactly what migration
		// needs, so the hash goes and P1 is dead from then on.
		e, reg, id, p1, _ := setup(t)
		e.pool.resetCounts()
		migLogin(e, "/store/auth", "halfway@example.com", goodPassword).expect(200, "")
		if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1}) {
			t.Fatalf("pool calls %v", got)
		}
		migAssertMigrated(e, id, "halfway@example.com", goodPassword)
		if real, decoy := migLegacyChecks(t, reg, "real"), migLegacyChecks(t, reg, "decoy"); real != 1 || decoy != 0 {
			t.Fatalf("legacy checks real %v decoy %v", real, decoy)
		}
		migLogin(e, "/store/auth", "halfway@example.com", p1).expect(401, TypeUnauthorized)
		migLogin(e, "/store/auth", "halfway@example.com", goodPassword).expect(200, "")
	})

	t.Run("old password first", func(t *testing.T) {
		// P1 still matches the hash, which is all the row says: the login migrates P1 and
		// the pool's P2 is overwritten. The customer was never told the reset succeeded
		// (it crashed), so the old password working is what they were told; but the reset
		// is lost, which matters if P1 was reset because it leaked. Only a durable mark
		// on the row before ConfirmForgotPassword could close this (reported; asserted
		// here as the code behaves today).
		e, _, id, p1, _ := setup(t)
		migLogin(e, "/store/auth", "halfway@example.com", p1).expect(200, "")
		migAssertMigrated(e, id, "halfway@example.com", p1)
		migLogin(e, "/store/auth", "halfway@example.com", goodPassword).expect(401, TypeUnauthorized)
	})

	t.Run("the reset's answer was lost", func(t *testing.T) {
		// The same state reached through the API: the pool applies the new password and
		// its answer never comes back. The reset fails with 503 and keeps the hash; the
		// new password then signs in and migrates.
		e, _ := migEnv(t)
		p1, hash := migVector(t, migScryptCase)
		id := migAddLegacy(e, "lost@example.com", hash)
		e.do("POST", "/store/customers/password-token", map[string]any{"email": "lost@example.com"}).expect(204, "")
		code := e.resetCode(id)
		e.pool.failAfter(mConfirmForgotPassword, unavailable())
		e.do5xx("POST", "/store/customers/password-reset", map[string]any{"email": "lost@example.com", "token": code,
			"password": goodPassword}).expect(503, TypeUnavailable)
		e.pool.heal()
		migAssertLegacy(e, id, hash)
		migLogin(e, "/store/auth", "lost@example.com", goodPassword).expect(200, "")
		migAssertMigrated(e, id, "lost@example.com", goodPassword)
		migLogin(e, "/store/auth", "lost@example.com", p1).expect(401, TypeUnauthorized)
	})
}

// 9. GET /admin/migration counts where every live customer's password is.
func TestMigrationAdminStatus(t *testing.T) {
	e, _ := migEnv(t)
	e.do("GET", "/admin/migration", nil).expect(401, TypeUnauthorized)
	pw, hash := migVector(t, migScryptCase)
	pwNFC, hashNFC := migVector(t, migScryptNFC)
	empty := e.admin("GET", "/admin/migration").json()
	for _, k := range []string{"total", "legacy", "migrated", "blocked_by_policy", "guests", "migrated_last_24h"} {
		if v, ok := empty[k]; !ok || v != float64(0) {
			t.Fatalf("empty status %v", empty)
		}
	}
	if len(empty) != 6 {
		t.Fatalf("status keys %v", empty)
	}

	// Migrated more than a day ago.
	migAddLegacy(e, "old@example.com", hash)
	migLogin(e, "/store/auth", "old@example.com", pw).expect(200, "")
	e.clock.Advance(25 * time.Hour)
	// Migrated now.
	migAddLegacy(e, "new@example.com", hash)
	migLogin(e, "/store/auth", "new@example.com", pw).expect(200, "")
	// Blocked by the pool's policy ("pässwörd" has no capital and no digit).
	migSetPolicy(e.pool, migStrictPolicy)
	migAddLegacy(e, "blocked@example.com", hashNFC)
	migLogin(e, "/store/auth", "blocked@example.com", pwNFC).expect(200, "")
	// Never signed in.
	migAddLegacy(e, "waiting@example.com", hash)
	migAddLegacy(e, "waiting-disabled@example.com", hash, func(c *store.Customer) { c.Disabled = true })
	// A guest, a customer registered here (never legacy), and a deleted one.
	now := e.clock.Now()
	if err := e.store.CreateCustomer(context.Background(), store.Customer{ID: newID("cus_", now), Email: "guest@example.com",
		State: store.StateActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.register("native@example.com", goodPassword)
	gone := e.register("gone@example.com", goodPassword)
	e.admin("DELETE", "/admin/customers/"+gone).expect(200, "")
	// A legacy customer that failed to sign in counts as legacy.
	migAddLegacy(e, "failed@example.com", hash)
	migLogin(e, "/store/auth", "failed@example.com", "Wrong-Password-1").expect(401, TypeUnauthorized)

	got := e.admin("GET", "/admin/migration").json()
	want := map[string]any{"total": float64(8), "legacy": float64(4), "migrated": float64(2), "blocked_by_policy": float64(1),
		"guests": float64(1), "migrated_last_24h": float64(1)}
	if !maps.Equal(got, want) {
		t.Fatalf("status %v, want %v", got, want)
	}
	st, err := e.svc.MigrationStatus(context.Background())
	if err != nil || st != (MigrationStatus{Total: 8, Legacy: 4, Migrated: 2, BlockedByPolicy: 1, Guests: 1, MigratedLast24h: 1}) {
		t.Fatalf("MigrationStatus %+v %v", st, err)
	}
	// A day later nothing was migrated in the last 24 hours.
	e.clock.Advance(24*time.Hour + time.Second)
	if got := e.admin("GET", "/admin/migration").json(); got["migrated_last_24h"] != float64(0) || got["migrated"] != float64(2) {
		t.Fatalf("status %v", got)
	}
}

// migLogBuffer is a log sink safe for concurrent use.
type migLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *migLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *migLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// 10. A stored hash that cannot be read is a generic 401, logged, never a 500.
func TestMigrationMalformedHash(t *testing.T) {
	_, good := migVector(t, migScryptCase)
	_, bcryptHash := migVector(t, migBcryptCase)
	hashes := []string{
		"not-a-hash-at-all",
		good[:40],                          // scrypt-kdf, cut short
		bcryptHash[:len(bcryptHash)-5],     // bcrypt, cut short
		"$2x$04$" + bcryptHash[7:],         // an unsupported bcrypt variant
		"pbkdf2_sha256$abc$salt$notbase64", // Django with a bad iteration count
		"$argon2id$v=19$m=999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // over the limits
	}
	logs := &migLogBuffer{}
	e, _ := migEnv(t, withConfig(func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) }))
	unknown := migLogin(e, "/store/auth", "nobody@example.com", goodPassword, remote("198.51.100.200:1")).expect(401, TypeUnauthorized)
	for i, h := range hashes {
		email := fmt.Sprintf("broken%d@example.com", i)
		id := migAddLegacy(e, email, h)
		e.pool.resetCounts()
		r := migLogin(e, "/store/auth", email, goodPassword, remote(fmt.Sprintf("198.51.100.%d:1", i+1))).expect(401, TypeUnauthorized)
		if !bytes.Equal(r.Body, unknown.Body) {
			t.Fatalf("%q: body %q, unknown e-mail %q", h, r.Body, unknown.Body)
		}
		if got := e.pool.counts(); !maps.Equal(got, map[string]int{mAuthenticate: 1}) {
			t.Fatalf("%q: pool calls %v", h, got)
		}
		migAssertLegacy(e, id, h)
		out := logs.String()
		if !strings.Contains(out, "legacy password hash unusable") || !strings.Contains(out, id) {
			t.Fatalf("%q: not logged: %s", h, out)
		}
		if strings.Contains(out, goodPassword) {
			t.Fatal("the password was logged")
		}
		// Through the service too: a refusal, not an error of the service.
		_, err := e.svc.Login(context.Background(), email, goodPassword, Client{IP: "192.0.2.50"}, KindBearer)
		var ae *Error
		if !errors.As(err, &ae) || ae.Type != TypeUnauthorized {
			t.Fatalf("%q: Login error %v", h, err)
		}
	}
	if len(e.pool.usernames()) != 0 {
		t.Fatalf("pool users %v", e.pool.usernames())
	}
}

// 11. An e-mail change of an unmigrated customer stays in the row (there may be no pool
// user yet), and the migration later creates the pool user with the new address.
func TestMigrationEmailChangeBeforeMigration(t *testing.T) {
	e, _ := migEnv(t)
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "before@example.com", hash)
	_, tok, err := e.svc.openSession(context.Background(), id, Client{IP: "192.0.2.8"}, KindBearer)
	if err != nil {
		t.Fatal(err)
	}
	e.pool.resetCounts()
	// The password is proven against the legacy hash.
	e.do("POST", "/store/customers/me", map[string]any{"email": "after@example.com", "password": "Wrong-Password-1"},
		bearer(tok)).expect(400, TypeInvalidData)
	r := e.do("POST", "/store/customers/me", map[string]any{"email": "After@Example.com", "password": pw}, bearer(tok)).expect(200, "")
	if r.json()["customer"].(map[string]any)["email"] != "After@Example.com" {
		t.Fatalf("body %s", r.Body)
	}
	// The pool is told (it may hold a user from an earlier reset request); that it has
	// none yet is no error.
	if n := e.pool.count(mUpdateEmail); n > 1 {
		t.Fatalf("UpdateEmail called %d times", n)
	}
	if len(e.pool.usernames()) != 0 {
		t.Fatalf("pool users %v", e.pool.usernames())
	}
	migAssertLegacy(e, id, hash)
	migLogin(e, "/store/auth", "before@example.com", pw).expect(401, TypeUnauthorized)
	migLogin(e, "/store/auth", "after@example.com", pw).expect(200, "")
	migAssertMigrated(e, id, "After@Example.com", pw)
	e.consistent(true)
}

// An e-mail change of an unmigrated customer whose pool user exists already (made by a
// forgot-password request, a policy refusal, or a crashed migration): the pool must end up
// with the new address, or a reset code would go to the old one.
func TestMigrationEmailChangeAfterPoolUserExists(t *testing.T) {
	e, _ := migEnv(t)
	pw, hash := migVector(t, migScryptCase)
	id := migAddLegacy(e, "before@example.com", hash)
	e.do("POST", "/store/customers/password-token", map[string]any{"email": "before@example.com"}).expect(204, "")
	_, tok, err := e.svc.openSession(context.Background(), id, Client{IP: "192.0.2.8"}, KindBearer)
	if err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/store/customers/me", map[string]any{"email": "after@example.com", "password": pw}, bearer(tok)).expect(200, "")
	migLogin(e, "/store/auth", "after@example.com", pw).expect(200, "")
	u, _ := e.pool.user(id)
	if u.email != "after@example.com" {
		t.Fatalf("pool e-mail %q after the change and the migration", u.email)
	}
}
