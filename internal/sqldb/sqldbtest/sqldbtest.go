// Package sqldbtest holds the checks that the tests of the SQL stores built on sqldb share:
// that a query plan reads through an index, that nodes opening one database together all
// succeed, and what a SQLite file holds.
package sqldbtest

import (
	"context"
	"database/sql"
	"io"
	"strings"
	"sync"
	"testing"
)

// CheckIndexPlan fails t unless plan (from sqldb.DB.Explain on SQLite when postgres is false,
// on PostgreSQL when it is true) reads through index, in either direction, and never scans a
// whole table or sorts.
func CheckIndexPlan(t testing.TB, postgres bool, index, plan string) {
	t.Helper()
	uses := []string{"USING INDEX " + index + " ", "USING COVERING INDEX " + index + " "}
	bad := []string{"SCAN ", "TEMP B-TREE"}
	if postgres {
		uses = []string{"Index Scan using " + index + " ", "Index Scan Backward using " + index + " ",
			"Index Only Scan using " + index + " "}
		bad = []string{"Seq Scan", "Sort"}
	}
	found := false
	for _, u := range uses {
		found = found || strings.Contains(plan, u)
	}
	if !found {
		t.Errorf("plan does not use index %s:\n%s", index, plan)
	}
	for _, b := range bad {
		if strings.Contains(plan, b) {
			t.Errorf("plan has %q:\n%s", b, plan)
		}
	}
}

// Open opens a store on dsn with the store package's Open, given t's context, dsn and opts,
// fails t if it cannot, and closes the store when the test ends.
func Open[S io.Closer, O any](t testing.TB, open func(context.Context, string, O) (S, error), dsn string, opts O) S {
	t.Helper()
	s, err := open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenNodes opens n stores on dsn at once, as n server nodes starting together would: open is
// the store package's Open, given t's context, dsn and opts. It fails t unless every store
// opens; the stores are closed when the test ends.
func OpenNodes[S io.Closer, O any](t testing.TB, n int, open func(context.Context, string, O) (S, error), dsn string, opts O) []S {
	t.Helper()
	ctx := t.Context()
	stores := make([]S, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range stores {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = open(ctx, dsn, opts)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Cleanup(func() { stores[i].Close() })
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open on node %d: %v", i, err)
		}
	}
	return stores
}

// SQLiteNames lists, in order, the names of the objects of kind ("table", "index") in the
// SQLite database db, leaving out SQLite's own.
func SQLiteNames(t testing.TB, db *sql.DB, kind string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(),
		`SELECT name FROM sqlite_schema WHERE type = $1 AND name NOT LIKE 'sqlite%' ORDER BY name`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}
