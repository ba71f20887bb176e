package testenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u@127.0.0.1:5432/test?sslmode=disable", "postgres://u@127.0.0.1:5432/hl_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:p%40ss@h/hl_x"},
		{"host=127.0.0.1 user=u dbname=test", "host=127.0.0.1 user=u dbname=test dbname=hl_x"},
	} {
		got, err := withDatabase(c.in, "hl_x")
		if err != nil || got != c.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if cfg, err := pgx.ParseConfig(got); err != nil || cfg.Database != "hl_x" {
			t.Errorf("withDatabase(%q) = %q names database %v (%v)", c.in, got, cfg, err)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	a, b := SQLitePath(t), SQLitePath(t)
	if a == b || !strings.HasSuffix(a, ".db") {
		t.Fatalf("SQLitePath: %q and %q", a, b)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Fatalf("SQLitePath returned an existing file: %v", err)
	}
}

// TestPostgresDSN: each call gets its own empty database, which is gone after the test.
func TestPostgresDSN(t *testing.T) {
	var dsns []string
	t.Run("create", func(t *testing.T) {
		for range 2 {
			dsn := PostgresDSN(t)
			dsns = append(dsns, dsn)
			conn, err := pgx.Connect(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			// An open connection must not keep the database from being dropped.
			t.Cleanup(func() { conn.Close(context.Background()) })
			if _, err := conn.Exec(t.Context(), "CREATE TABLE t (x int)"); err != nil {
				t.Fatalf("a fresh database is not empty or not writable: %v", err)
			}
		}
	})
	if len(dsns) == 0 {
		t.Skip("the subtest skipped: no PostgreSQL")
	}
	if len(dsns) != 2 || dsns[0] == dsns[1] {
		t.Fatalf("PostgresDSN: %q", dsns)
	}
	for _, dsn := range dsns {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err == nil {
			conn.Close(t.Context())
			t.Fatalf("database %s still exists after its test", dsn)
		}
	}
}
