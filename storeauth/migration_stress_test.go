package storeauth

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hashless/hashless/storeauth/store"
)

// Stress tests of the lazy migration (issue 6, "Proof"):
//
//   - TestStressMigrationFaults: a fault at a random step of a random first sign-in, a
//     thousand times; the customer can always sign in afterwards, and is migrated exactly
//     once by the next successful sign-in.
//   - TestStressConcurrentFirstLogins: 50 concurrent first sign-ins of one customer.
//   - TestStressLoginRacesReset: a first sign-in racing a password reset, in interleavings
//     forced step by step.
//
// Each logs its seed; STRESS_SEED=<seed> replays a run.

// stressSeed returns the seed of a randomized test and logs it.
func stressSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STRESS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STRESS_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with STRESS_SEED=%d)", seed, seed)
	return seed
}

func stressRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// stressVectorCases are the verifier package's cheap scrypt-kdf vectors (Medusa v1,
// logN=1) whose passwords the fake pool's policy accepts.
var stressVectorCases = []string{migScryptCase, migScryptNFC, "medusa-v1 logN=1 r=1 p=1, nfd", migScryptCtrl,
	"medusa-v1 logN=1 r=1 p=1, nul"}

// stressCredential returns a password and a legacy hash of it: half the time a cheap
// scrypt-kdf vector, otherwise a Django PBKDF2 hash (one iteration) of a fresh random
// password, so that most customers have a password of their own.
func stressCredential(t testing.TB, rng *rand.Rand) (password, hash string) {
	t.Helper()
	if rng.IntN(2) == 0 {
		return migVector(t, stressVectorCases[rng.IntN(len(stressVectorCases))])
	}
	pw := "Pw-" + stressToken(rng, 10+rng.IntN(10))
	salt := stressToken(rng, 12)
	dk, err := pbkdf2.Key(sha256.New, pw, []byte(salt), 1, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	return pw, "pbkdf2_sha256$1$" + salt + "$" + base64.StdEncoding.EncodeToString(dk)
}

func stressToken(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// stressStore is the memory store with hooks on the customer rows: a pause before every
// read and write and after every write (to force interleavings), a fault around every
// write, and, per customer, a count of the writes that erased a legacy hash.
type stressStore struct {
	*countingStore
	mu     sync.Mutex
	pause  func(ctx context.Context, point string)
	update func(ctx context.Context, prev, next store.Customer, write func() error) error
	erased map[string]int
}

func newStressStore(cs *countingStore) *stressStore {
	return &stressStore{countingStore: cs, erased: map[string]int{}}
}

func (s *stressStore) setPause(f func(ctx context.Context, point string)) {
	s.mu.Lock()
	s.pause = f
	s.mu.Unlock()
}

func (s *stressStore) setUpdate(f func(ctx context.Context, prev, next store.Customer, write func() error) error) {
	s.mu.Lock()
	s.update = f
	s.mu.Unlock()
}

// erases is how many writes erased id's legacy hash.
func (s *stressStore) erases(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.erased[id]
}

func (s *stressStore) at(ctx context.Context, point string) {
	s.mu.Lock()
	pause := s.pause
	s.mu.Unlock()
	if pause != nil {
		pause(ctx, point)
	}
}

func (s *stressStore) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	s.at(ctx, "store.CustomerByEmail")
	return s.countingStore.CustomerByEmail(ctx, email)
}

func (s *stressStore) GetCustomer(ctx context.Context, id string) (store.Customer, error) {
	s.at(ctx, "store.GetCustomer")
	return s.countingStore.GetCustomer(ctx, id)
}

func (s *stressStore) UpdateCustomer(ctx context.Context, next store.Customer) error {
	s.at(ctx, "store.UpdateCustomer")
	defer s.at(ctx, "store.UpdateCustomer.done")
	// A write that succeeds replaced exactly the row read here: the version it compares
	// was read before this read, and versions only grow.
	prev, err := s.countingStore.GetCustomer(context.WithoutCancel(ctx), next.ID)
	if err != nil {
		return s.countingStore.UpdateCustomer(ctx, next)
	}
	write := func() error {
		err := s.countingStore.UpdateCustomer(ctx, next)
		if err == nil && prev.Version == next.Version && prev.PasswordHash != "" && next.PasswordHash == "" {
			s.mu.Lock()
			s.erased[next.ID]++
			s.mu.Unlock()
		}
		return err
	}
	s.mu.Lock()
	hook := s.update
	s.mu.Unlock()
	if hook == nil {
		return write()
	}
	return hook(ctx, prev, next, write)
}

// stressIsClaim: the write takes a credential lease on an unmigrated row (nothing else
// writes a lease).
func stressIsClaim(_, next store.Customer) bool {
	return next.PasswordHash != "" && !next.CredentialLeaseUntil.IsZero()
}

// stressIsErase: the write erases the legacy hash.
func stressIsErase(prev, next store.Customer) bool {
	return prev.PasswordHash != "" && next.PasswordHash == ""
}

// stressStatus is the HTTP status a service error becomes.
func stressStatus(err error) int {
	if err == nil {
		return 200
	}
	var e *Error
	if errors.As(err, &e) {
		return statusOf(e.Type)
	}
	return 503
}

// stressPost sends a JSON request through api with ctx, and returns the recorder.
func stressPost(ctx context.Context, api *API, path string, body map[string]any, ip string) *httptest.ResponseRecorder {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("POST", path, bytes.NewReader(b)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = ip + ":4000"
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

// Ways to sign in: the cookie route, the token route, or the service itself (where a crash
// is a panic that reaches the caller, instead of the 503 the handler makes of it).
const (
	stressViaCookie = iota
	stressViaToken
	stressViaService
	stressVias
)

var stressViaNames = [stressVias]string{"POST /store/auth", "POST /store/auth/token", "Service.Login"}

// stressSignIn signs in through via and returns the status, the body, and what panicked
// (only through the service).
func stressSignIn(ctx context.Context, svc *Service, api *API, via int, email, password, ip string) (status int, body string, panicked any) {
	switch via {
	case stressViaCookie, stressViaToken:
		path := "/store/auth"
		if via == stressViaToken {
			path = "/store/auth/token"
		}
		rec := stressPost(ctx, api, path, map[string]any{"email": email, "password": password}, ip)
		return rec.Code, rec.Body.String(), nil
	default:
		defer func() {
			if v := recover(); v != nil {
				status, body, panicked = 0, "", v
			}
		}()
		_, err := svc.Login(ctx, email, password, Client{IP: ip}, KindBearer)
		if err != nil {
			body = err.Error()
		}
		return stressStatus(err), body, nil
	}
}

// stressMigrations sums the migrations counter of some outcome over several nodes (read
// from the counter itself: gathering a registry a few thousand times is slow under -race).
func stressMigrations(t testing.TB, outcome string, nodes ...*Service) float64 {
	t.Helper()
	var n float64
	for _, svc := range nodes {
		var m dto.Metric
		if err := svc.metrics.migrations.WithLabelValues(outcome).Write(&m); err != nil {
			t.Fatal(err)
		}
		n += m.GetCounter().GetValue()
	}
	return n
}

// stressPoolUsers is how many users the fake pool holds.
func stressPoolUsers(p *fakePool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.users)
}

// stressInjector arms one fault for one sign-in.
type stressInjector struct {
	pool    *fakePool
	store   *stressStore
	setHook func(func(point string))
	timeout time.Duration // the faulty node's pool timeout
	fired   atomic.Bool
}

func (in *stressInjector) beforeCall(method string, f func(ctx context.Context) error) {
	in.pool.mu.Lock()
	defer in.pool.mu.Unlock()
	in.pool.before[method] = func(ctx context.Context) error {
		in.fired.Store(true)
		return f(ctx)
	}
}

func (in *stressInjector) afterCall(method string, f func(ctx context.Context) error) {
	in.pool.mu.Lock()
	defer in.pool.mu.Unlock()
	in.pool.after[method] = func(ctx context.Context) error {
		in.fired.Store(true)
		return f(ctx)
	}
}

func (in *stressInjector) atPoint(point string, f func()) {
	in.setHook(func(p string) {
		if p == point {
			in.fired.Store(true)
			f()
		}
	})
}

// onWrite runs f instead of every matching row write; f decides whether the write happens.
func (in *stressInjector) onWrite(match func(prev, next store.Customer) bool, f func(ctx context.Context, write func() error) error) {
	in.store.setUpdate(func(ctx context.Context, prev, next store.Customer, write func() error) error {
		if !match(prev, next) {
			return write()
		}
		in.fired.Store(true)
		return f(ctx, write)
	})
}

// onWriteOnce is onWrite for the first matching write only.
func (in *stressInjector) onWriteOnce(match func(prev, next store.Customer) bool, f func(ctx context.Context, write func() error) error) {
	var done atomic.Bool
	in.onWrite(func(prev, next store.Customer) bool { return match(prev, next) && !done.Load() },
		func(ctx context.Context, write func() error) error {
			done.Store(true)
			return f(ctx, write)
		})
}

// stall outlasts the faulty node's pool timeout, so the next pool call of the step finds
// its deadline passed.
func (in *stressInjector) stall() { time.Sleep(in.timeout + time.Millisecond) }

var errStressDatabase = errors.New("stress: the database connection was reset")

func stressPanicNow(name string) func(context.Context) error {
	return func(context.Context) error { panic(faultPanic(name)) }
}

func stressFailNow(err error) func(context.Context) error {
	return func(context.Context) error { return err }
}

// stressFault is one way a step of the migration can fail.
type stressFault struct {
	step, kind, name string
	arm              func(in *stressInjector)
}

// The steps of issue 6 and, for each, an error, a timeout and a crash (a panic: through
// HTTP the handler turns it into a 503, through the service it reaches the caller, as a
// killed process would leave things: nothing after it runs).
var stressFaults = []stressFault{
	// Before the pool user is created (the lease claim and EnsureUser).
	{"before_create", "error", "EnsureUser fails", func(in *stressInjector) {
		in.beforeCall(mEnsureUser, stressFailNow(unavailable()))
	}},
	{"before_create", "error", "EnsureUser's answer is lost", func(in *stressInjector) {
		in.afterCall(mEnsureUser, stressFailNow(unavailable()))
	}},
	{"before_create", "error", "the lease claim fails in the database", func(in *stressInjector) {
		in.onWrite(stressIsClaim, func(context.Context, func() error) error { return errStressDatabase })
	}},
	{"before_create", "error", "the lease claim is written and its answer lost", func(in *stressInjector) {
		in.onWriteOnce(stressIsClaim, func(_ context.Context, write func() error) error {
			if err := write(); err != nil {
				return err
			}
			return errStressDatabase
		})
	}},
	{"before_create", "error", "the lease claim is written and reported as a conflict", func(in *stressInjector) {
		in.onWriteOnce(stressIsClaim, func(_ context.Context, write func() error) error {
			if err := write(); err != nil {
				return err
			}
			return store.ErrConflict
		})
	}},
	{"before_create", "timeout", "EnsureUser hangs", func(in *stressInjector) {
		in.beforeCall(mEnsureUser, hangUntilDone)
	}},
	{"before_create", "timeout", "EnsureUser creates the user and hangs", func(in *stressInjector) {
		in.afterCall(mEnsureUser, hangUntilDone)
	}},
	{"before_create", "panic", "crash at migrate.before_pool_user", func(in *stressInjector) {
		in.atPoint("migrate.before_pool_user", func() { panic(faultPanic("migrate.before_pool_user")) })
	}},
	{"before_create", "panic", "crash in EnsureUser", func(in *stressInjector) {
		in.beforeCall(mEnsureUser, stressPanicNow("EnsureUser"))
	}},
	{"before_create", "panic", "crash once EnsureUser created the user", func(in *stressInjector) {
		in.afterCall(mEnsureUser, stressPanicNow("EnsureUser after"))
	}},

	// After the pool user is created.
	{"after_create", "panic", "crash at migrate.after_pool_user", func(in *stressInjector) {
		in.atPoint("migrate.after_pool_user", func() { panic(faultPanic("migrate.after_pool_user")) })
	}},
	{"after_create", "error", "SetPassword fails", func(in *stressInjector) {
		in.beforeCall(mSetPassword, stressFailNow(unavailable()))
	}},
	{"after_create", "timeout", "SetPassword hangs", func(in *stressInjector) {
		in.beforeCall(mSetPassword, hangUntilDone)
	}},
	{"after_create", "timeout", "a stall at migrate.after_pool_user", func(in *stressInjector) {
		in.atPoint("migrate.after_pool_user", in.stall)
	}},

	// After the password is set.
	{"after_set_password", "panic", "crash at migrate.after_set_password", func(in *stressInjector) {
		in.atPoint("migrate.after_set_password", func() { panic(faultPanic("migrate.after_set_password")) })
	}},
	{"after_set_password", "error", "SetPassword's answer is lost", func(in *stressInjector) {
		in.afterCall(mSetPassword, stressFailNow(unavailable()))
	}},
	{"after_set_password", "timeout", "SetPassword sets and hangs", func(in *stressInjector) {
		in.afterCall(mSetPassword, hangUntilDone)
	}},
	{"after_set_password", "timeout", "a stall at migrate.after_set_password", func(in *stressInjector) {
		in.atPoint("migrate.after_set_password", in.stall)
	}},

	// After the proof (the admin sign-in with the new password).
	{"after_proof", "error", "the proof's answer is lost", func(in *stressInjector) {
		in.afterCall(mAuthenticate, stressFailNow(unavailable()))
	}},
	{"after_proof", "error", "the proof is refused", func(in *stressInjector) {
		in.beforeCall(mAuthenticate, stressFailNow(&PoolError{Kind: ErrNotAuthorized, Message: "Incorrect username or password."}))
	}},
	{"after_proof", "timeout", "the proof succeeds and hangs", func(in *stressInjector) {
		in.afterCall(mAuthenticate, hangUntilDone)
	}},
	{"after_proof", "panic", "crash at migrate.after_proof", func(in *stressInjector) {
		in.atPoint("migrate.after_proof", func() { panic(faultPanic("migrate.after_proof")) })
	}},
	{"after_proof", "panic", "crash once the proof succeeded", func(in *stressInjector) {
		in.afterCall(mAuthenticate, stressPanicNow("Authenticate after"))
	}},

	// Before the compare-and-swap that erases the hash, and in it.
	{"before_erase", "panic", "crash at migrate.before_erase", func(in *stressInjector) {
		in.atPoint("migrate.before_erase", func() { panic(faultPanic("migrate.before_erase")) })
	}},
	{"before_erase", "error", "the erase fails in the database", func(in *stressInjector) {
		in.onWrite(stressIsErase, func(context.Context, func() error) error { return errStressDatabase })
	}},
	{"before_erase", "error", "the erase conflicts every time", func(in *stressInjector) {
		in.onWrite(stressIsErase, func(context.Context, func() error) error { return store.ErrConflict })
	}},
	{"before_erase", "error", "the erase conflicts once", func(in *stressInjector) {
		in.onWriteOnce(stressIsErase, func(context.Context, func() error) error { return store.ErrConflict })
	}},
	{"before_erase", "error", "the erase is written and reported as a conflict", func(in *stressInjector) {
		in.onWriteOnce(stressIsErase, func(_ context.Context, write func() error) error {
			if err := write(); err != nil {
				return err
			}
			return store.ErrConflict
		})
	}},
	{"before_erase", "timeout", "the erase hangs in the database", func(in *stressInjector) {
		in.onWrite(stressIsErase, func(ctx context.Context, _ func() error) error {
			<-ctx.Done()
			return ctx.Err()
		})
	}},
}

// stressPickFault picks a step, then a kind of fault the step has, then one of its faults.
func stressPickFault(rng *rand.Rand) stressFault {
	var steps []string
	for _, f := range stressFaults {
		if !slices.Contains(steps, f.step) {
			steps = append(steps, f.step)
		}
	}
	step := steps[rng.IntN(len(steps))]
	var kinds []string
	for _, f := range stressFaults {
		if f.step == step && !slices.Contains(kinds, f.kind) {
			kinds = append(kinds, f.kind)
		}
	}
	kind := kinds[rng.IntN(len(kinds))]
	var pick []stressFault
	for _, f := range stressFaults {
		if f.step == step && f.kind == kind {
			pick = append(pick, f)
		}
	}
	return pick[rng.IntN(len(pick))]
}

// stressFaultTimeout is the pool timeout of the node the faults hit: a hang costs that
// much real time.
const stressFaultTimeout = 3 * time.Millisecond

// A thousand first sign-ins, each hit by a fault at a random step; then, with the faults
// gone (and the clock past the crashed flow's lease when it holds one), the customer signs
// in with the same password and is migrated exactly once.
//
// Two nodes share the database, the pool and the clock: the faulty one, with a pool timeout
// of a few milliseconds so that hangs are cheap, takes the fault; the other, with a
// generous timeout, signs in afterwards, so that a slow machine cannot turn the recovery
// into a timeout of its own.
func TestStressMigrationFaults(t *testing.T) {
	seed := stressSeed(t)
	rng := stressRand(seed)
	iterations := 1000
	if testing.Short() {
		iterations = 200
	}
	var st *stressStore
	e, _ := migEnv(t, withConfig(func(c *Config) {
		st = newStressStore(c.Customers.(*countingStore))
		c.Customers = st
		c.PoolTimeout = 10 * time.Second
	}))
	var hookMu sync.Mutex
	var hook func(point string)
	setHook := func(f func(string)) {
		hookMu.Lock()
		hook = f
		hookMu.Unlock()
	}
	fcfg := e.cfg
	fcfg.Registerer = prometheus.NewRegistry()
	fcfg.PoolTimeout = stressFaultTimeout
	fcfg.FaultHook = func(point string) {
		hookMu.Lock()
		f := hook
		hookMu.Unlock()
		if f != nil {
			f(point)
		}
	}
	faulty, err := New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	fapi, err := faulty.Handler(e.hcfg)
	if err != nil {
		t.Fatal(err)
	}

	type tally struct{ runs, fired int }
	tallies := map[string]*tally{}
	outcomes := map[string]int{}
	leaseWaits := 0
	ctx := context.Background()
	for i := range iterations {
		pw, hash := stressCredential(t, rng)
		email := fmt.Sprintf("stress-%04d-%s@example.com", i, stressToken(rng, 4))
		id := migAddLegacy(e, email, hash)
		f := stressPickFault(rng)
		via := rng.IntN(stressVias)
		ip := fmt.Sprintf("198.51.100.%d", 1+rng.IntN(200))
		where := fmt.Sprintf("seed %d, iteration %d (%s/%s: %s, via %s)", seed, i, f.step, f.kind, f.name, stressViaNames[via])
		migrated0 := stressMigrations(t, "login", e.svc, faulty)

		in := &stressInjector{pool: e.pool, store: st, setHook: setHook, timeout: stressFaultTimeout}
		f.arm(in)
		status, body, panicked := stressSignIn(ctx, faulty, fapi, via, email, pw, ip)
		setHook(nil)
		e.pool.heal()
		st.setUpdate(nil)

		key := f.step + "/" + f.kind + "/" + f.name
		if tallies[key] == nil {
			tallies[key] = &tally{}
		}
		tallies[key].runs++
		if in.fired.Load() {
			tallies[key].fired++
		}
		switch {
		case panicked != nil:
			if _, ok := panicked.(faultPanic); !ok || f.kind != "panic" {
				t.Fatalf("%s: panicked with %v", where, panicked)
			}
			outcomes["panic"]++
		case status == 200 || status == 503:
			// A fault may end in a 503 (or a crash), or in a sign-in that succeeded all the
			// same (the fault was retried, or the sign-in went on without migrating).
			outcomes[strconv.Itoa(status)]++
		default:
			// Never a refusal of the right password, never a 500.
			t.Fatalf("%s: status %d: %s", where, status, body)
		}

		// Right after the fault: the row holds the hash and was never erased, or it was
		// erased once and the pool holds the password.
		row := migRow(e, id)
		switch row.PasswordHash {
		case hash:
			if !row.MigratedAt.IsZero() || st.erases(id) != 0 {
				t.Fatalf("%s: hash kept but migrated at %v, erased %d times", where, row.MigratedAt, st.erases(id))
			}
		case "":
			if st.erases(id) != 1 {
				t.Fatalf("%s: hash erased %d times", where, st.erases(id))
			}
			if u, ok := e.pool.user(id); !ok || u.password != pw || !u.confirmed {
				t.Fatalf("%s: hash erased, pool user %+v (exists %v)", where, u, ok)
			}
		default:
			t.Fatalf("%s: the row holds another hash %q", where, row.PasswordHash)
		}

		// A lease left behind (a crash, or a failure after the lease was written): a
		// sign-in meanwhile works without migrating, and the clock then moves past it.
		if now := e.clock.Now(); row.PasswordHash != "" && now.Before(row.CredentialLeaseUntil) {
			leaseWaits++
			if rng.IntN(2) == 0 {
				status, body, panicked := stressSignIn(ctx, e.svc, e.api, rng.IntN(stressVias), email, pw, ip)
				if status != 200 || panicked != nil {
					t.Fatalf("%s: sign-in during the lease: %d %s %v", where, status, body, panicked)
				}
				if got := migRow(e, id); got.PasswordHash != hash || !got.MigratedAt.IsZero() {
					t.Fatalf("%s: migrated during another flow's lease: %+v", where, got)
				}
			}
			e.clock.Advance(row.CredentialLeaseUntil.Sub(now) + time.Second)
		}

		// The next sign-in succeeds and migrates, exactly once.
		status, body, panicked = stressSignIn(ctx, e.svc, e.api, rng.IntN(stressVias), email, pw, ip)
		if status != 200 || panicked != nil {
			t.Fatalf("%s: sign-in after the fault: %d %s %v", where, status, body, panicked)
		}
		after := migAssertMigrated(e, id, email, pw)
		if n := st.erases(id); n != 1 {
			t.Fatalf("%s: hash erased %d times", where, n)
		}
		if n := stressMigrations(t, "login", e.svc, faulty) - migrated0; n != 1 {
			t.Fatalf("%s: migrations counted %v times", where, n)
		}
		// And stays migrated: the sign-in after that is the pool's, and changes nothing.
		e.clock.Advance(time.Second)
		status, body, panicked = stressSignIn(ctx, e.svc, e.api, rng.IntN(stressVias), email, pw, ip)
		if status != 200 || panicked != nil {
			t.Fatalf("%s: second sign-in: %d %s %v", where, status, body, panicked)
		}
		if got := migRow(e, id); got.PasswordHash != "" || !got.MigratedAt.Equal(after.MigratedAt) || st.erases(id) != 1 {
			t.Fatalf("%s: row moved after the migration: %+v, erased %d times", where, got, st.erases(id))
		}
		if n := stressMigrations(t, "login", e.svc, faulty) - migrated0; n != 1 {
			t.Fatalf("%s: migrations counted %v times", where, n)
		}
		if n := stressPoolUsers(e.pool); n != i+1 {
			t.Fatalf("%s: %d pool users for %d customers", where, n, i+1)
		}
	}
	e.consistent(true)

	// Every fault was drawn and took effect at least once; a fault can miss only when a
	// slow machine made an earlier step of its sign-in time out first.
	for _, f := range stressFaults {
		key := f.step + "/" + f.kind + "/" + f.name
		tl := tallies[key]
		if tl == nil || tl.fired == 0 {
			t.Errorf("seed %d: fault %q never took effect (%+v)", seed, key, tl)
		}
	}
	t.Logf("%d iterations: outcomes of the faulty sign-in %v; %d left a lease to wait out", iterations, outcomes, leaseWaits)
}

// 50 concurrent first sign-ins of one customer, 20 times: all succeed, there is one pool
// user, its password set once, and the hash is erased by exactly one write.
//
// Left to the scheduler, the first sign-in would often be done before most others start.
// So every lease claim waits until a random number k1 of the sign-ins have read the
// unmigrated row: they all try to claim, one wins, and of the others half find the lease
// held and half are held back until the hash is erased and find the row changed under
// them. The winner then waits, before creating the pool user, until k2 >= k1 sign-ins have
// read the row (those find the lease held and sign in without migrating); the rest come
// after the migration and are the pool's alone. Each path is taken in every run.
func TestStressConcurrentFirstLogins(t *testing.T) {
	seed := stressSeed(t)
	rng := stressRand(seed)
	const logins, rounds = 50, 20
	var deferred, changed, poolOnly float64
	for round := range rounds {
		var st *stressStore
		e, reg := migEnv(t, withConfig(func(c *Config) {
			st = newStressStore(c.Customers.(*countingStore))
			c.Customers = st
			c.PoolTimeout = time.Minute // 50 sign-ins on a few busy cores
		}))
		pw, hash := stressCredential(t, rng)
		email := fmt.Sprintf("crowd-%d@example.com", round)
		id := migAddLegacy(e, email, hash)
		const patience = 10 * time.Second // only if the gating below is wrong
		wait := func(ch chan struct{}) {
			select {
			case <-ch:
			case <-time.After(patience):
			}
		}
		var reads atomic.Int64
		k1 := int64(1 + rng.IntN(logins))
		k2 := k1 + int64(rng.IntN(logins+1-int(k1)))
		claimsOpen, migrationOpen := make(chan struct{}), make(chan struct{})
		st.setPause(func(_ context.Context, point string) {
			if point == "store.CustomerByEmail" {
				switch n := reads.Add(1); {
				case n == k1 && n == k2:
					close(claimsOpen)
					close(migrationOpen)
				case n == k1:
					close(claimsOpen)
				case n == k2:
					close(migrationOpen)
				}
			}
			if rand.IntN(3) == 0 {
				runtime.Gosched()
			}
		})
		e.pool.mu.Lock()
		e.pool.before[mEnsureUser] = func(context.Context) error {
			wait(migrationOpen)
			return nil
		}
		e.pool.mu.Unlock()
		var claims atomic.Int64
		erased := make(chan struct{})
		var eraseOnce sync.Once
		st.setUpdate(func(_ context.Context, prev, next store.Customer, write func() error) error {
			if stressIsClaim(prev, next) {
				wait(claimsOpen)
				if claims.Add(1) > 1 && rand.IntN(2) == 0 {
					wait(erased)
				}
			}
			err := write()
			if err == nil && stressIsErase(prev, next) {
				eraseOnce.Do(func() { close(erased) })
			}
			return err
		})
		vias := make([]int, logins)
		for i := range vias {
			vias[i] = rng.IntN(stressVias)
		}
		start := make(chan struct{})
		results := make([]string, logins)
		var wg sync.WaitGroup
		for i := range logins {
			wg.Go(func() {
				<-start
				status, body, panicked := stressSignIn(context.Background(), e.svc, e.api, vias[i], email, pw,
					fmt.Sprintf("198.51.100.%d", i+1))
				if status != 200 || panicked != nil {
					results[i] = fmt.Sprintf("%s: %d %s %v", stressViaNames[vias[i]], status, body, panicked)
				}
			})
		}
		close(start)
		wg.Wait()
		st.setPause(nil)
		st.setUpdate(nil)
		e.pool.heal()
		where := fmt.Sprintf("seed %d, round %d", seed, round)
		for _, r := range results {
			if r != "" {
				t.Fatalf("%s: a sign-in failed: %s", where, r)
			}
		}
		migAssertMigrated(e, id, email, pw)
		if got := e.pool.usernames(); !slices.Equal(got, []string{id}) {
			t.Fatalf("%s: pool users %v", where, got)
		}
		if n := st.erases(id); n != 1 {
			t.Fatalf("%s: the hash was erased by %d writes", where, n)
		}
		if n := migMigrations(t, reg, "login"); n != 1 {
			t.Fatalf("%s: migrations counted %v times", where, n)
		}
		if n := e.pool.count(mSetPassword); n != 1 {
			t.Fatalf("%s: the pool password was set %d times", where, n)
		}
		if sessions, _ := e.store.ListSessions(context.Background(), id); len(sessions) != logins {
			t.Fatalf("%s: %d sessions", where, len(sessions))
		}
		e.consistent(true)
		// The paths taken: every sign-in that found the hash checked it; of those, one
		// migrated, some found the lease held, and the rest found the hash gone.
		legacy, d := migLegacyChecks(t, reg, "real"), migMigrations(t, reg, "deferred")
		deferred += d
		changed += legacy - 1 - d
		poolOnly += logins - legacy
	}
	t.Logf("%d rounds of %d: %v signed in during the lease, %v after losing the claim to the erase, %v through the pool only",
		rounds, logins, deferred, changed, poolOnly)
	if deferred == 0 || changed == 0 || poolOnly == 0 {
		t.Errorf("seed %d: a path was never taken", seed)
	}
}

// stressFlowKey tags a context with the name of the flow it belongs to.
type stressFlowKey struct{}

func stressFlowOf(ctx context.Context) string {
	name, _ := ctx.Value(stressFlowKey{}).(string)
	return name
}

// stressSched runs flows one at a time. A flow parks at each of its steps (every row read
// or write and every pool call, before it and after it takes effect); once every live flow
// is parked, the scheduler lets one of them, drawn from its random source, take its next
// step. The interleaving is so a function of the seed alone. Calls from contexts that are
// not a flow's pass straight through.
type stressSched struct {
	mu     sync.Mutex
	rng    *rand.Rand
	live   int
	parked map[string]chan struct{}
	at     map[string]string
	trace  []string
	// idle runs, under mu, each time every live flow is parked.
	idle func()
}

func newStressSched(rng *rand.Rand, flows int) *stressSched {
	return &stressSched{rng: rng, live: flows, parked: map[string]chan struct{}{}, at: map[string]string{}}
}

func (s *stressSched) pause(ctx context.Context, point string) {
	flow := stressFlowOf(ctx)
	if flow == "" {
		return
	}
	ch := make(chan struct{})
	s.mu.Lock()
	s.parked[flow] = ch
	s.at[flow] = point
	s.dispatchLocked()
	s.mu.Unlock()
	<-ch
}

func (s *stressSched) exit(flow string) {
	s.mu.Lock()
	s.live--
	s.trace = append(s.trace, flow+" returns")
	s.dispatchLocked()
	s.mu.Unlock()
}

func (s *stressSched) dispatchLocked() {
	if s.live == 0 || len(s.parked) < s.live {
		return
	}
	if s.idle != nil {
		s.idle()
	}
	names := slices.Sorted(maps.Keys(s.parked))
	next := names[s.rng.IntN(len(names))]
	ch := s.parked[next]
	delete(s.parked, next)
	s.trace = append(s.trace, next+" "+s.at[next])
	close(ch)
}

func (s *stressSched) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.trace, "\n  ")
}

// stressFlow is one request of a race.
type stressFlow struct {
	name string
	run  func(ctx context.Context) (status int, detail string)
}

// A first sign-in with the legacy password P1 racing a password reset to P2 (the code
// asked for beforehand, or in the same flow just before the reset), sometimes with a
// second first sign-in and a sign-in with P2 in the race too, in interleavings forced step
// by step.
//
// The rule, from the code: the credential lease makes the reset and the migration
// exclusive. A reset that finds the lease held answers 503 and changes nothing; a reset
// that holds it sets P2 and erases the hash, and a migration that finds it held signs in
// without migrating; a reset after the migration erased the hash resets the migrated
// customer. So a reset that answered 200 means P2 works and P1 does not; otherwise P1 works
// and P2 does not. Throughout (checked between every two steps): never a state where
// neither password works, never an erased hash without a complete pool user holding one of
// them; and the hash is erased at most once.
//
// In a quarter of the rounds one flow stalls past its lease (the clock jumps while every
// flow is parked). The lease promises nothing then, and only the invariants are checked:
// one of the passwords works, no pool user is missing, the hash is erased at most once.
func TestStressLoginRacesReset(t *testing.T) {
	seed := stressSeed(t)
	rng := stressRand(seed)
	rounds := 300
	if testing.Short() {
		rounds = 100
	}
	stats := map[string]int{}
	for round := range rounds {
		stressRaceRound(t, seed, round, rng, stats)
	}
	t.Logf("%d rounds: %v", rounds, stats)
}

func stressRaceRound(t *testing.T, seed uint64, round int, rng *rand.Rand, stats map[string]int) {
	t.Helper()
	var st *stressStore
	e, reg := migEnv(t, withConfig(func(c *Config) {
		st = newStressStore(c.Customers.(*countingStore))
		c.Customers = st
		c.PoolTimeout = time.Minute
	}))
	p1, h1 := stressCredential(t, rng)
	p2 := "New-" + stressToken(rng, 12)
	email := fmt.Sprintf("race-%d@example.com", round)
	id := migAddLegacy(e, email, h1)
	tokenInFlow := rng.IntN(3) == 0
	stall := rng.IntN(4) == 0
	code := ""
	if !tokenInFlow {
		e.do("POST", "/store/customers/password-token", map[string]any{"email": email}).expect(204, "")
		code = e.resetCode(id)
	}
	viaHTTP := func() bool { return rng.IntN(2) == 0 }

	signIn := func(password string, http bool, ip string) func(ctx context.Context) (int, string) {
		via := stressViaService
		if http {
			via = stressViaToken
		}
		return func(ctx context.Context) (int, string) {
			status, body, panicked := stressSignIn(ctx, e.svc, e.api, via, email, password, ip)
			if panicked != nil {
				return 0, fmt.Sprint(panicked)
			}
			return status, body
		}
	}
	forgotCalls := 0
	resetHTTP, tokenHTTP := viaHTTP(), viaHTTP()
	flows := []stressFlow{
		{"login", signIn(p1, viaHTTP(), "198.51.100.1")},
		{"reset", func(ctx context.Context) (int, string) {
			if tokenInFlow {
				before := e.pool.count(mForgotPassword)
				if tokenHTTP {
					rec := stressPost(ctx, e.api, "/store/customers/password-token", map[string]any{"email": email}, "198.51.100.9")
					if rec.Code != 204 {
						return rec.Code, "password-token: " + rec.Body.String()
					}
				} else if err := e.svc.RequestPasswordReset(ctx, email); err != nil {
					return stressStatus(err), "password-token: " + err.Error()
				}
				forgotCalls = e.pool.count(mForgotPassword) - before
				u, _ := e.pool.user(id)
				if code = u.resetCode; code == "" {
					// The token request met a migration that had not created the pool
					// user yet: no code was sent.
					return -1, "no code"
				}
			}
			if resetHTTP {
				rec := stressPost(ctx, e.api, "/store/customers/password-reset",
					map[string]any{"email": email, "token": code, "password": p2}, "198.51.100.9")
				if rec.Code == 503 && rec.Header().Get("Retry-After") == "" {
					return 0, "503 without Retry-After: " + rec.Body.String()
				}
				return rec.Code, rec.Body.String()
			}
			_, err := e.svc.ResetPassword(ctx, email, code, p2)
			if err != nil {
				return stressStatus(err), err.Error()
			}
			return 200, ""
		}},
	}
	if rng.IntN(3) == 0 {
		flows = append(flows, stressFlow{"login2", signIn(p1, viaHTTP(), "198.51.100.2")})
	}
	if rng.IntN(3) == 0 {
		flows = append(flows, stressFlow{"login-new", signIn(p2, viaHTTP(), "198.51.100.3")})
	}

	sched := newStressSched(rng, len(flows))
	var violations []string
	stalled := false
	sched.idle = func() {
		// Between two steps: an erased hash has a complete pool user holding P1 or P2,
		// and while the hash is there P1 works through it.
		row, err := e.store.GetCustomer(context.Background(), id)
		if err != nil {
			violations = append(violations, err.Error())
			return
		}
		if row.PasswordHash != "" && row.PasswordHash != h1 {
			violations = append(violations, "the row holds another hash")
		}
		if row.PasswordHash == "" {
			u, ok := e.pool.user(id)
			if !ok || !u.confirmed || !u.enabled || (u.password != p1 && u.password != p2) {
				violations = append(violations, fmt.Sprintf("hash erased, pool user %+v (exists %v) holds neither password", u, ok))
			}
		}
		if stall && !stalled && sched.rng.IntN(6) == 0 {
			// Every flow is parked: one of them stalls past any lease held now.
			if now := e.clock.Now(); now.Before(row.CredentialLeaseUntil) {
				stalled = true
				e.clock.Advance(row.CredentialLeaseUntil.Sub(now) + time.Second)
				sched.trace = append(sched.trace, "(the clock jumps past the lease)")
			}
		}
	}
	st.setPause(sched.pause)
	e.pool.mu.Lock()
	for _, m := range []string{mEnsureUser, mSetPassword, mAuthenticate, mUserConfirmed, mForgotPassword, mConfirmForgotPassword} {
		e.pool.before[m] = func(ctx context.Context) error { sched.pause(ctx, "pool."+m); return nil }
		e.pool.after[m] = func(ctx context.Context) error { sched.pause(ctx, "pool."+m+".done"); return nil }
	}
	e.pool.mu.Unlock()

	results := make([]int, len(flows))
	details := make([]string, len(flows))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range flows {
		wg.Go(func() {
			defer sched.exit(f.name)
			ctx := context.WithValue(context.Background(), stressFlowKey{}, f.name)
			sched.pause(ctx, "start")
			results[i], details[i] = f.run(ctx)
		})
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("seed %d, round %d: the flows are stuck; steps:\n  %s", seed, round, sched)
	}
	st.setPause(nil)
	e.pool.heal()

	outcome := map[string]int{}
	var summary []string
	for i, f := range flows {
		outcome[f.name] = results[i]
		summary = append(summary, fmt.Sprintf("%s=%d %s", f.name, results[i], details[i]))
	}
	row := migRow(e, id)
	u, hasUser := e.pool.user(id)
	where := fmt.Sprintf("seed %d, round %d (stalled %v, code asked in the flow %v)\n  outcomes: %s\n  row: hash kept %v, lease %v, migrated %v\n  pool user %v, holds P1 %v, P2 %v\n  steps:\n  %s",
		seed, round, stalled, tokenInFlow, strings.Join(summary, "; "), row.PasswordHash != "", row.CredentialLeaseUntil,
		row.MigratedAt, hasUser, u.password == p1, u.password == p2, sched)
	if len(violations) > 0 {
		t.Fatalf("%s: between steps: %v", where, violations)
	}
	erased := st.erases(id)
	if erased > 1 || (erased == 1) != (row.PasswordHash == "") {
		t.Fatalf("%s: hash erased by %d writes", where, erased)
	}
	for name, status := range outcome {
		ok := false
		switch name {
		case "login", "login2", "login-new":
			// A stalled migration may find the pool holding another password than the one it
			// set (a reset took over its expired lease): it fails closed with a 503.
			ok = status == 200 || status == 401 || (stalled && status == 503)
		case "reset":
			ok = status == 200 || status == 503 || (status == -1 && tokenInFlow)
		}
		if !ok {
			t.Fatalf("%s: %s answered %d", where, name, status)
		}
	}
	if tokenInFlow && forgotCalls != 1 {
		// The customer asked for a code: the pool is asked to send one, whatever the race.
		t.Fatalf("%s: the token request asked the pool for %d codes", where, forgotCalls)
	}

	var winner, loser string
	if !stalled {
		// The lease held: exactly one of the two passwords is the customer's now.
		reset200 := outcome["reset"] == 200
		if outcome["login"] == 401 && !reset200 || outcome["login2"] == 401 && !reset200 {
			t.Fatalf("%s: the legacy password was refused, and no reset succeeded", where)
		}
		if outcome["login-new"] == 200 && !reset200 {
			t.Fatalf("%s: the new password signed in, but the reset failed", where)
		}
		if !row.CredentialLeaseUntil.IsZero() && e.clock.Now().Before(row.CredentialLeaseUntil) {
			t.Fatalf("%s: a lease is left held", where)
		}
		winner, loser = p1, p2
		if reset200 {
			winner, loser = p2, p1
			if row.PasswordHash != "" || !hasUser || u.password != p2 {
				t.Fatalf("%s: the reset answered 200 but P2 is not the pool's password with the hash erased", where)
			}
			stats["reset won"]++
		} else {
			if u.password == p2 {
				t.Fatalf("%s: the reset failed but the pool holds P2", where)
			}
			if row.PasswordHash == "" && u.password != p1 {
				t.Fatalf("%s: the reset failed and P1 is gone", where)
			}
			stats["sign-in won"]++
		}
	} else {
		// Only the invariants: one of the passwords works.
		switch {
		case row.PasswordHash == "" && u.password == p2:
			winner, loser = p2, p1
		case row.PasswordHash != "" || u.password == p1:
			winner, loser = p1, p2
		default:
			t.Fatalf("%s: neither password works", where)
		}
		if e.clock.Now().Before(row.CredentialLeaseUntil) {
			e.clock.Advance(row.CredentialLeaseUntil.Sub(e.clock.Now()) + time.Second)
		}
		stats["stalled"]++
		if outcome["reset"] == 200 && winner == p1 {
			// The stalled migration set P1 after the reset set P2 (see the report).
			stats["stalled: reset answered 200, P1 kept"]++
		}
	}

	// Past any throttling of the refused sign-ins in the race; then the loser is refused and
	// the winner signs in and leaves the customer migrated, erased exactly once.
	e.clock.Advance(16 * time.Minute)
	migrations := func() float64 {
		return migMigrations(t, reg, "login") + migMigrations(t, reg, "password_reset") + migMigrations(t, reg, "password_change")
	}
	if status, body, _ := stressSignIn(context.Background(), e.svc, e.api, stressViaService, email, loser, "192.0.2.1"); status != 401 {
		t.Fatalf("%s: the losing password: %d %s", where, status, body)
	}
	if status, body, _ := stressSignIn(context.Background(), e.svc, e.api, stressViaService, email, winner, "192.0.2.1"); status != 200 {
		t.Fatalf("%s: the winning password: %d %s", where, status, body)
	}
	migAssertMigrated(e, id, email, winner)
	if n := st.erases(id); n != 1 {
		t.Fatalf("%s: hash erased by %d writes", where, n)
	}
	if status, body, _ := stressSignIn(context.Background(), e.svc, e.api, stressViaService, email, loser, "192.0.2.1"); status != 401 {
		t.Fatalf("%s: the losing password after the migration: %d %s", where, status, body)
	}
	if n := migrations(); !stalled && n != 1 {
		t.Fatalf("%s: migrations counted %v times", where, n)
	}
	e.consistent(true)
}
