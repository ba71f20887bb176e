package sqlstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	poolstore "github.com/hashless/hashless/pool/store"
	poolsql "github.com/hashless/hashless/pool/store/sqlstore"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/conformance"
)

func openSQLite(t *testing.T, path string) *Store {
	t.Helper()
	return sqldbtest.Open(t, Open, path, Options{Logger: testLogger(t)})
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openSQLite(t, testenv.SQLitePath(t)) })
}

// TestSQLiteSharedWithPool: the customer tables and the pool's live in one file without
// touching each other, and reopening keeps both and migrates nothing twice.
func TestSQLiteSharedWithPool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := testenv.SQLitePath(t)
	pool, err := poolsql.Open(ctx, path, poolsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := openSQLite(t, path)

	if err := pool.Update(ctx, func(tx poolstore.Tx) error { return tx.CreatePool(ctx, poolstore.Pool{ID: "p", Name: "kept"}) }); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCustomer(ctx, store.Customer{ID: "c1", Email: "ann@example.com", State: store.StateActive}); err != nil {
		t.Fatal(err)
	}

	for _, kind := range []string{"table", "index"} {
		for _, name := range sqldbtest.SQLiteNames(t, s.db.DB, kind) {
			if !strings.HasPrefix(name, sqlitePrefix) && !strings.HasPrefix(name, "pool_") {
				t.Errorf("%s %q belongs to neither component", kind, name)
			}
		}
	}
	s.Close()
	pool.Close()

	// Reopened in the other order, both find their data.
	pool, err = poolsql.Open(ctx, path, poolsql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s = openSQLite(t, path)
	if c, err := s.GetCustomer(ctx, "c1"); err != nil || c.Email != "ann@example.com" {
		t.Fatalf("GetCustomer after reopening: %+v, %v", c, err)
	}
	err = pool.View(ctx, func(tx poolstore.ReadTx) error {
		p, err := tx.GetPool(ctx, "p")
		if err == nil && p.Name != "kept" {
			err = errors.New("pool changed")
		}
		return err
	})
	if err != nil {
		t.Fatalf("GetPool after reopening: %v", err)
	}
	var applied int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM {P}schema_migrations`)).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(migrations))
	}
}

// TestSQLiteNewerSchema: a database migrated by a newer program is refused rather than
// used with a schema this one does not know.
func TestSQLiteNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := testenv.SQLitePath(t)
	s := openSQLite(t, path)
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO {P}schema_migrations (version, applied_at) VALUES (999, 0)`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a database from a newer version: %v", err)
	}
}

func TestOpenRefusesInMemorySQLite(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"", ":memory:", "file:x?mode=memory"} {
		if s, err := Open(t.Context(), dsn, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}
