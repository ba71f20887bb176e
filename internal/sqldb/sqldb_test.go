package sqldb

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
)

var testMigrations = [][]string{
	{`CREATE TABLE {P}items (id {TEXT} NOT NULL PRIMARY KEY, body {BLOB})`},
	{
		`CREATE TABLE {P}log (id {SERIAL}, item_id {TEXT} NOT NULL)`,
		`CREATE INDEX t_log_item ON {P}log (item_id, id)`,
	},
}

func testConfig(t *testing.T, migrations [][]string) Config {
	return Config{
		Name:            "sqldbtest",
		Schema:          "sqldb_test",
		Prefix:          "t_",
		MigrationsTable: "migrations",
		Migrations:      migrations,
		AppliedAt:       func(t time.Time) int64 { return t.UnixNano() },
		MemoryStore:     "memory",
		Logger:          slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

// TestLockKeys pins the advisory lock keys the stores have always used: nodes of an older and
// a newer version starting together must still take the same locks.
func TestLockKeys(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, schema, purpose string
		want                  int64
	}{
		{"pool", "hashless_pool", "migrate", -4422498839066217118},
		{"pool", "hashless_pool", "outbox", 3225962374987536642},
		{"storeauth", "hashless_store", "migrate", -2646056355935289716},
	} {
		db := &DB{name: c.name, schema: c.schema}
		if got := db.LockKey(c.purpose); got != c.want {
			t.Errorf("LockKey(%q) of %s in %s = %d, want %d", c.purpose, c.name, c.schema, got, c.want)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"", ":memory:", "file:x?mode=memory", "postgres://127.0.0.1:1/x"} {
		cfg := testConfig(t, testMigrations)
		if strings.HasPrefix(dsn, "postgres") {
			cfg.Schema = `bad"name`
		}
		if db, err := Open(t.Context(), dsn, cfg); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
	_, err := Open(t.Context(), ":memory:", testConfig(t, testMigrations))
	if want := "in-memory SQLite is not supported; use the memory store"; err == nil || err.Error() != want {
		t.Errorf("Open(:memory:) = %v, want %q", err, want)
	}
}

func TestIsPostgres(t *testing.T) {
	t.Parallel()
	for dsn, want := range map[string]bool{
		"postgres://h/db": true, "postgresql://h/db": true, "/tmp/x.db": false, "file:x.db": false, "": false,
	} {
		if got := IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %v", dsn, got)
		}
	}
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := testenv.SQLitePath(t)
	db := sqldbtest.Open(t, Open, path+"?_pragma=cache_size(-4000)", testConfig(t, testMigrations[:1]))
	if db.Postgres() {
		t.Fatal("a SQLite file opened as PostgreSQL")
	}
	if got, want := db.Expand(`SELECT {TEXT}, {BLOB}, {SERIAL} FROM {P}items`),
		`SELECT TEXT, BLOB, INTEGER PRIMARY KEY AUTOINCREMENT FROM t_items`; got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	db.Close()

	// Reopening applies only the migration the file lacks, and the tables keep the prefix.
	db = sqldbtest.Open(t, Open, path, testConfig(t, testMigrations))
	var versions int
	if err := db.QueryRowContext(ctx, db.Expand(`SELECT COUNT(*) FROM {P}migrations`)).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != len(testMigrations) {
		t.Errorf("%d migrations recorded, want %d", versions, len(testMigrations))
	}
	if got, want := strings.Join(sqldbtest.SQLiteNames(t, db.DB, "table"), ","), "t_items,t_log,t_migrations"; got != want {
		t.Errorf("tables %s, want %s", got, want)
	}

	// Statements go through the cache, utility statements past it, inside a transaction too.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := db.Querier(tx)
	if _, err := q.ExecContext(ctx, `SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ExecContext(ctx, db.Expand(`INSERT INTO {P}items (id) VALUES ($1)`), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.ExecContext(ctx, `RELEASE SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var id string
	if err := db.Querier(nil).QueryRowContext(ctx, db.Expand(`SELECT id FROM {P}items`)).Scan(&id); err != nil || id != "a" {
		t.Fatalf("read back %q, %v", id, err)
	}
	cached := 0
	db.stmts.Range(func(k, _ any) bool {
		cached++
		if !cacheable(k.(string)) {
			t.Errorf("%q is in the statement cache", k)
		}
		return true
	})
	if cached != 2 {
		t.Errorf("%d statements cached, want 2", cached)
	}
	// A failing query reports its error through the *sql.Row.
	if err := db.Querier(nil).QueryRowContext(ctx, `SELECT nothing FROM nowhere`).Scan(&id); err == nil {
		t.Error("a query of a missing table succeeded")
	}

	plan, err := db.Explain(ctx, `SELECT id FROM {P}log WHERE item_id = $1 ORDER BY id`, "a")
	if err != nil {
		t.Fatal(err)
	}
	sqldbtest.CheckIndexPlan(t, false, "t_log_item", plan)
	db.Close()

	// A program that knows fewer migrations than the file holds refuses it.
	if db, err := Open(ctx, path, testConfig(t, testMigrations[:1])); err == nil || !strings.Contains(err.Error(), "newer") {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open of a database from a newer version: %v", err)
	}
	// A failing migration names itself and its statement, and leaves nothing behind.
	bad := append(append([][]string{}, testMigrations...), []string{`CREATE TABLE {P}items (id TEXT)`})
	_, err = Open(ctx, path, testConfig(t, bad))
	if err == nil || !strings.Contains(err.Error(), "migration 3: ") || !strings.Contains(err.Error(), "CREATE TABLE t_items") {
		t.Fatalf("Open with a failing migration: %v", err)
	}
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.PostgresDSN(t)
	// Nodes starting together apply each migration once between them.
	nodes := sqldbtest.OpenNodes(t, 4, Open, dsn, testConfig(t, testMigrations))
	db := nodes[0]
	if !db.Postgres() {
		t.Fatal("a PostgreSQL DSN opened as SQLite")
	}
	if got, want := db.Expand(`{P}items {TEXT} {BLOB} {SERIAL}`),
		`"sqldb_test".items TEXT COLLATE "C" BYTEA BIGSERIAL PRIMARY KEY`; got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
	var versions, rows int
	err := db.QueryRowContext(ctx, db.Expand(`SELECT COALESCE(MAX(version), 0), COUNT(*) FROM {P}migrations`)).Scan(&versions, &rows)
	if err != nil {
		t.Fatal(err)
	}
	if versions != len(testMigrations) || rows != len(testMigrations) {
		t.Errorf("migrations hold %d rows up to version %d, want %d", rows, versions, len(testMigrations))
	}
	// The PostgreSQL querier is the database or the transaction itself.
	if _, ok := db.Querier(nil).(*sql.DB); !ok {
		t.Errorf("Querier(nil) is a %T", db.Querier(nil))
	}
	if _, err := db.Querier(nil).ExecContext(ctx, db.Expand(`INSERT INTO {P}log (item_id) VALUES ($1)`), "a"); err != nil {
		t.Fatal(err)
	}
	plan, err := db.Explain(context.Background(), `SELECT id FROM {P}log WHERE item_id = $1`, "a")
	if err != nil || !strings.Contains(plan, "log") {
		t.Fatalf("Explain: %q, %v", plan, err)
	}
}
