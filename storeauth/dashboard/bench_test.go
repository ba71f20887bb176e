package dashboard

// Benchmarks of the console's main page on a store of 100,000 customers (40% legacy, 1% of
// those blocked by the policy, 50% migrated over the last 30 days, 10% guests) and 30 days
// of hourly sign-in counts: the history queries alone (MigrationHistory and LoginHistory,
// what the page reads), and the whole page through the handler, over the memory store,
// SQLite and PostgreSQL (when HASHLESS_TEST_POSTGRES_DSN is set). Run with
//
//	go test ./storeauth/dashboard -run '^$' -bench Overview -benchtime 20x

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

const benchCustomers = 100_000

var benchNow = time.Date(2026, 3, 4, 10, 20, 0, 0, time.UTC)

type benchStore interface {
	store.Store
	store.Reports
}

// benchFill adds the benchmark's customers and sign-in counts to st, several writers at
// once (which only PostgreSQL runs in parallel).
func benchFill(b *testing.B, st benchStore) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < benchCustomers; i += writers {
				c := store.Customer{ID: fmt.Sprintf("cus_bench%07d", i), Email: fmt.Sprintf("bench%07d@example.com", i),
					HasAccount: true, State: store.StateActive, CreatedAt: benchNow.Add(-400 * 24 * time.Hour)}
				c.UpdatedAt = c.CreatedAt
				switch k := i % 10; {
				case k < 4:
					c.PasswordHash = "$2a$10$legacylegacylegacylegacylegacylegacylegacylegacylegac"
					c.PasswordChangeRequired = i%400 == 0
				case k < 9:
					c.MigratedAt = benchNow.Add(-time.Duration(i%(30*24*60)) * time.Minute)
				default:
					c.HasAccount = false
				}
				if err := st.CreateCustomer(ctx, c); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	var counts []store.LoginOutcomeCount
	hour := benchNow.Truncate(time.Hour)
	for h := range 30 * 24 {
		for j, o := range storeauth.LoginOutcomeNames() {
			counts = append(counts, store.LoginOutcomeCount{Hour: hour.Add(-time.Duration(h) * time.Hour), Outcome: o, Count: int64(10*j + h%7)})
		}
	}
	if err := st.AddLoginOutcomes(ctx, counts); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d customers and %d hourly counts in %v", benchCustomers, len(counts), time.Since(start).Round(time.Millisecond))
}

func benchBackends() []struct {
	name string
	open func(b *testing.B) benchStore
} {
	openSQL := func(b *testing.B, dsn string) benchStore {
		st, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	return []struct {
		name string
		open func(b *testing.B) benchStore
	}{
		{"memory", func(b *testing.B) benchStore { return memory.New() }},
		{"sqlite", func(b *testing.B) benchStore { return openSQL(b, testenv.SQLitePath(b)) }},
		{"postgres", func(b *testing.B) benchStore {
			if os.Getenv(testenv.PostgresEnv) == "" {
				b.Skipf("%s is not set", testenv.PostgresEnv)
			}
			return openSQL(b, testenv.PostgresDSN(b))
		}},
	}
}

func BenchmarkOverview(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			benchFill(b, st)
			now := func() time.Time { return benchNow }
			svc, err := storeauth.New(storeauth.Config{Customers: st, Sessions: st, Reports: st, Pool: newTestPool(), Now: now})
			if err != nil {
				b.Fatal(err)
			}
			d, err := New(Config{Service: svc, Access: AccessLoopback, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for _, sp := range spans {
				b.Run("queries-"+sp.key, func(b *testing.B) {
					r := storeauth.HistoryEnding(benchNow, sp.step, sp.buckets)
					for b.Loop() {
						status, points, err := svc.MigrationHistory(ctx, r)
						if err != nil || status.Total != benchCustomers || len(points) != sp.buckets+1 {
							b.Fatalf("%+v, %d points, %v", status, len(points), err)
						}
						if _, err := svc.LoginHistory(ctx, r); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("page-"+sp.key, func(b *testing.B) {
					for b.Loop() {
						req := httptest.NewRequest("GET", Prefix+"?range="+sp.key, nil)
						req.RemoteAddr, req.Host = "127.0.0.1:1234", "127.0.0.1:8080"
						w := httptest.NewRecorder()
						d.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Fatalf("%d %s", w.Code, w.Body)
						}
					}
				})
			}
		})
	}
}
