package sqlstore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/conformance"
)

func openPostgres(t *testing.T, dsn string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	return sqldbtest.Open(t, Open, dsn, opts)
}

func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openPostgres(t, testenv.PostgresDSN(t), Options{}) })
}

// TestPostgresNodes runs several stores on one database, as several server nodes would:
// they migrate once between them and see each other's writes at once.
func TestPostgresNodes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	const nodes = 4
	stores := sqldbtest.OpenNodes(t, nodes, Open, testenv.PostgresDSN(t), Options{Logger: testLogger(t)})
	var applied, rows int
	err := stores[0].db.QueryRowContext(ctx, stores[0].q(`SELECT COALESCE(MAX(version), 0), COUNT(*) FROM {P}schema_migrations`)).Scan(&applied, &rows)
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) || rows != len(migrations) {
		t.Fatalf("schema_migrations holds %d rows up to version %d, want %d", rows, applied, len(migrations))
	}

	a, b := stores[0], stores[1]
	c := store.Customer{ID: "c1", Email: "Ann@example.com", State: store.StateActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := a.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := b.CustomerByEmail(ctx, "ann@EXAMPLE.com")
	if err != nil || got.ID != "c1" {
		t.Fatalf("node b does not see node a's customer: %+v, %v", got, err)
	}
	if err := b.CreateCustomer(ctx, store.Customer{ID: "c2", Email: "ANN@example.com", State: store.StatePending}); !errors.Is(err, store.ErrDuplicateEmail) {
		t.Fatalf("node b created a customer with node a's e-mail: %v", err)
	}
	got.FirstName = "Ann"
	if err := b.UpdateCustomer(ctx, got); err != nil {
		t.Fatal(err)
	}
	stale := got
	if got, err = a.GetCustomer(ctx, "c1"); err != nil || got.FirstName != "Ann" || got.Version != 2 {
		t.Fatalf("node a does not see node b's update: %+v, %v", got, err)
	}
	if err := a.UpdateCustomer(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("node a overwrote node b's update: %v", err)
	}

	sess := store.Session{ID: "s1", TokenHash: make([]byte, 32), CustomerID: "c1", CreatedAt: time.Now(),
		LastSeenAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), Kind: "cookie"}
	if err := a.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if got, err := b.SessionByTokenHash(ctx, sess.TokenHash); err != nil || got.ID != "s1" {
		t.Fatalf("node b does not see node a's session: %+v, %v", got, err)
	}
	if err := b.DeleteSession(ctx, "c1", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SessionByTokenHash(ctx, sess.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("node a still sees the session node b ended: %v", err)
	}

	// Nodes racing to settle a setting agree, whichever node they run on.
	values := make([]string, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			values[i], errs[i] = s.PutSettingIfAbsent(ctx, "pool-id", "from-node-"+string(rune('a'+i)))
		})
	}
	wg.Wait()
	for i := range stores {
		if errs[i] != nil || values[i] != values[0] {
			t.Fatalf("nodes settled on %q (errors %v)", values, errs)
		}
	}
}

// TestPostgresSchemas: Options.Schema keeps stores in one database apart, and only plain
// identifiers are accepted.
func TestPostgresSchemas(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	ctx := t.Context()
	a := openPostgres(t, dsn, Options{})
	b := openPostgres(t, dsn, Options{Schema: "other_store"})
	if err := a.CreateCustomer(ctx, store.Customer{ID: "c1", Email: "ann@example.com", State: store.StateActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetCustomer(ctx, "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetCustomer in another schema: %v", err)
	}
	if err := b.CreateCustomer(ctx, store.Customer{ID: "c1", Email: "ann@example.com", State: store.StateActive}); err != nil {
		t.Fatalf("CreateCustomer in another schema: %v", err)
	}
	var n int
	err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1`, DefaultSchema).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("no tables in schema %s: %d, %v", DefaultSchema, n, err)
	}
	if s, err := Open(ctx, dsn, Options{Schema: `bad"name`}); err == nil {
		s.Close()
		t.Fatal("Open with a schema name that is not an identifier succeeded")
	}
}
