package storeauth

// Benchmarks of the session check, the work every authenticated request does: Authenticate
// on its own (one read by token hash), and the whole handler of GET /store/auth/verify and
// GET /store/auth in process (no network), over the memory store, SQLite and PostgreSQL
// (when HASHLESS_TEST_POSTGRES_DSN is set). Compare the sub-benchmarks to see what the
// database costs; BENCHMARKS.md has the same check over real HTTP against `hashless serve`.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

// Sizes of the benchmark's tables, as in cmd/hashless-bench's serve scenarios.
const (
	benchCustomers = 100
	benchSessions  = 1000
)

// benchPool is a Pool the session check never calls; a call is a bug in the benchmark.
type benchPool struct{}

func (benchPool) CreateUser(context.Context, string, string, string) error { return benchNoPool() }
func (benchPool) EnsureUser(context.Context, string, string) error         { return benchNoPool() }
func (benchPool) Authenticate(context.Context, string, string) error       { return benchNoPool() }
func (benchPool) SetPassword(context.Context, string, string) error        { return benchNoPool() }
func (benchPool) ForgotPassword(context.Context, string) error             { return benchNoPool() }
func (benchPool) ConfirmForgotPassword(context.Context, string, string, string) error {
	return benchNoPool()
}
func (benchPool) UpdateEmail(context.Context, string, string) error { return benchNoPool() }
func (benchPool) VerifyEmail(context.Context, string, string, string) error {
	return benchNoPool()
}
func (benchPool) UserConfirmed(context.Context, string) (bool, error) { return false, benchNoPool() }
func (benchPool) SetEnabled(context.Context, string, bool) error      { return benchNoPool() }
func (benchPool) DeleteUser(context.Context, string) error            { return benchNoPool() }
func (benchPool) Check(context.Context) error                         { return nil }

func benchNoPool() error {
	return &PoolError{Kind: ErrPoolUnavailable, Message: "the benchmark has no pool"}
}

// benchBackend is one store the benchmarks run over.
type benchBackend struct {
	name string
	open func(b *testing.B) store.Store
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"memory", func(b *testing.B) store.Store { return memory.New() }},
		{"sqlite", func(b *testing.B) store.Store { return benchOpenSQL(b, testenv.SQLitePath(b)) }},
		{"postgres", func(b *testing.B) store.Store {
			if os.Getenv(testenv.PostgresEnv) == "" {
				b.Skipf("%s is not set", testenv.PostgresEnv)
			}
			return benchOpenSQL(b, testenv.PostgresDSN(b))
		}},
	}
}

func benchOpenSQL(b *testing.B, dsn string) store.Store {
	b.Helper()
	st, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		b.Fatalf("sqlstore.Open: %v", err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchFixture is a service over st with benchCustomers customers and benchSessions bearer
// sessions among them.
type benchFixture struct {
	svc    *Service
	tokens []string
}

func benchSetup(b *testing.B, st store.Store) *benchFixture {
	b.Helper()
	ctx := context.Background()
	svc, err := New(Config{Customers: st, Sessions: st, Pool: benchPool{}})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids := make([]string, benchCustomers)
	for i := range ids {
		ids[i] = newID("cus_", now)
		c := store.Customer{ID: ids[i], Email: fmt.Sprintf("bench-%04d@example.com", i), FirstName: "Bench",
			HasAccount: true, State: store.StateActive, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateCustomer(ctx, c); err != nil {
			b.Fatalf("CreateCustomer: %v", err)
		}
	}
	f := &benchFixture{svc: svc}
	for i := range benchSessions {
		_, token, err := svc.openSession(ctx, ids[i%len(ids)], Client{IP: "127.0.0.1", UserAgent: "bench"}, KindBearer)
		if err != nil {
			b.Fatalf("openSession: %v", err)
		}
		f.tokens = append(f.tokens, token)
	}
	return f
}

// BenchmarkAuthenticate is the session check itself: one goroutine, then all of them.
func BenchmarkAuthenticate(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			f := benchSetup(b, be.open(b))
			ctx := context.Background()
			b.Run("serial", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, err := f.svc.Authenticate(ctx, f.tokens[i%len(f.tokens)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if _, err := f.svc.Authenticate(ctx, f.tokens[i%len(f.tokens)]); err != nil {
							b.Error(err)
							return
						}
						i += 7
					}
				})
			})
		})
	}
}

// BenchmarkSessionCheckHandler is the whole handler of the two session-check routes, in
// process: what serve does per request besides the network and HTTP parsing.
func BenchmarkSessionCheckHandler(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			f := benchSetup(b, be.open(b))
			api, err := f.svc.Handler(HandlerConfig{PublicURL: "http://127.0.0.1:8080"})
			if err != nil {
				b.Fatal(err)
			}
			for _, rt := range []struct{ name, path string }{{"verify", "/store/auth/verify"}, {"current", "/store/auth"}} {
				path := rt.path
				b.Run(rt.name, func(b *testing.B) {
					b.RunParallel(func(pb *testing.PB) {
						i := 0
						for pb.Next() {
							r := httptest.NewRequest(http.MethodGet, path, nil)
							r.Header.Set("Authorization", "Bearer "+f.tokens[i%len(f.tokens)])
							w := httptest.NewRecorder()
							api.ServeHTTP(w, r)
							if w.Code != http.StatusOK {
								b.Errorf("GET %s: %d %s", path, w.Code, w.Body)
								return
							}
							i += 7
						}
					})
				})
			}
		})
	}
}
