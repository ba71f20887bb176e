package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
)

// TestPostgresNodes runs several stores on one database, as several server nodes would.
func TestPostgresNodes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	// Nodes starting together migrate the schema once between them.
	const nodes = 4
	stores := sqldbtest.OpenNodes(t, nodes, Open, testenv.PostgresDSN(t), Options{Logger: testLogger(t)})
	var applied int
	if err := stores[0].db.QueryRowContext(ctx, stores[0].q(`SELECT COUNT(*) FROM {P}migrations`)).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(migrations))
	}

	a, b := stores[0], stores[1]
	const pool = "us-east-1_nodes"
	mustUpdate(t, a, func(tx store.Tx) error {
		if err := tx.CreatePool(ctx, store.Pool{ID: pool}); err != nil {
			return err
		}
		return tx.CreateUser(ctx, store.User{PoolID: pool, Username: "ann", UsernameKey: "ann", Sub: "sub-ann", State: []byte(`{"N":0}`)})
	})
	mustUpdate(t, b, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, pool, "ann")
		if err != nil {
			return err
		}
		u.Status = "CONFIRMED"
		return tx.UpdateUser(ctx, u)
	})
	err := a.View(ctx, func(tx store.ReadTx) error {
		u, err := tx.GetUser(ctx, pool, "ann")
		if err == nil && (u.Status != "CONFIRMED" || u.Version != 1) {
			err = errors.New("node a does not see node b's write")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Message IDs increase across nodes, in the order the appends happened.
	var ids []int64
	for i := range 6 {
		mustUpdate(t, stores[i%nodes], func(tx store.Tx) error {
			id, err := tx.AppendMessage(ctx, store.Message{PoolID: pool, Username: "ann", ExpiresAt: time.Now().Add(time.Hour)})
			ids = append(ids, id)
			return err
		})
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("message IDs across nodes do not increase: %v", ids)
		}
	}
	for _, s := range []*Store{a, b} {
		err := s.View(ctx, func(tx store.ReadTx) error {
			msgs, err := tx.ListMessages(ctx, store.MessageFilter{PoolID: pool, User: "ann"}, 0)
			if err == nil && len(msgs) != len(ids) {
				err = errors.New("a node does not see every node's messages")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Read-modify-write from every node at once loses no increment.
	const perNode = 3
	var wg sync.WaitGroup
	for _, s := range stores {
		for range perNode {
			wg.Go(func() {
				err := s.Update(ctx, func(tx store.Tx) error {
					u, err := tx.GetUser(ctx, pool, "ann")
					if err != nil {
						return err
					}
					var st struct{ N int }
					if err := json.Unmarshal(u.State, &st); err != nil {
						return err
					}
					st.N++
					u.State, _ = json.Marshal(st)
					return tx.UpdateUser(ctx, u)
				})
				if err != nil {
					t.Errorf("Update: %v", err)
				}
			})
		}
	}
	wg.Wait()
	err = b.View(ctx, func(tx store.ReadTx) error {
		u, err := tx.GetUser(ctx, pool, "ann")
		if err != nil {
			return err
		}
		var st struct{ N int }
		if err := json.Unmarshal(u.State, &st); err != nil {
			return err
		}
		if st.N != nodes*perNode {
			return errors.New("increments were lost: counter " + string(u.State))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresSchemas: stores in different schemas of one database do not see each other.
func TestPostgresSchemas(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	ctx := t.Context()
	a := openPostgres(t, dsn)
	b, err := Open(ctx, dsn, Options{Schema: "other_pool"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	mustUpdate(t, a, func(tx store.Tx) error { return tx.CreatePool(ctx, store.Pool{ID: "p"}) })
	err = b.View(ctx, func(tx store.ReadTx) error {
		_, err := tx.GetPool(ctx, "p")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetPool in another schema: %v", err)
	}
	if _, err := Open(ctx, dsn, Options{Schema: `bad"name`}); err == nil {
		t.Fatal("Open with a schema name that is not an identifier succeeded")
	}
}

// TestSQLiteReopen: a SQLite file keeps its data across Open calls, shares the file with
// tables of other components, and refuses a schema newer than the code.
func TestSQLiteReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE customers (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx store.Tx) error { return tx.CreatePool(ctx, store.Pool{ID: "p", Name: "kept"}) })
	for _, name := range sqldbtest.SQLiteNames(t, s.db.DB, "table") {
		if name != "customers" && !strings.HasPrefix(name, sqlitePrefix) {
			t.Errorf("pool table %q lacks the prefix %q", name, sqlitePrefix)
		}
	}
	s.Close()

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.ReadTx) error {
		p, err := tx.GetPool(ctx, "p")
		if err == nil && p.Name != "kept" {
			err = errors.New("pool changed across Open")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO {P}migrations (version, applied_at) VALUES (999, 0)`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a database from a newer version: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func mustUpdate(t *testing.T, s *Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.WithoutCancel(t.Context()), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}
