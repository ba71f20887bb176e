package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// sqlitePragmas make SQLite fit a server: readers never block the writer (WAL), a writer
// waits for the lock instead of failing, and a transaction takes the write lock when it
// begins, so two read-modify-write (or compare-and-swap) transactions cannot deadlock on the
// upgrade.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// maxIdleConns is how many idle connections a store keeps open. A connection closed for want
// of idle room is a new PostgreSQL backend (a process) or a new SQLite handle on the next
// burst, which cost far more than the query: under 64 concurrent session checks, a limit of
// 8 spent most of the time opening connections. Idle ones are closed after idleTimeout.
const (
	maxIdleConns = 32
	idleTimeout  = 5 * time.Minute
)

// Config describes one store's place in a database. Every field but Logger is part of the
// on-disk layout or of what concurrent nodes agree on: changing one makes an existing
// database look foreign.
type Config struct {
	// Name names the store in the keys of its PostgreSQL advisory locks (see DB.LockKey).
	Name string
	// Schema is the PostgreSQL schema of the store's tables, a plain identifier. It is created
	// if missing. SQLite ignores it.
	Schema string
	// Prefix starts the name of each of the store's tables on SQLite, where {P} expands to it.
	Prefix string
	// MigrationsTable is the name, after {P}, of the table that records applied migrations.
	MigrationsTable string
	// Migrations are applied in order, each once, each in its own transaction; version N is
	// Migrations[N-1]. An applied migration is never edited: a new one is appended. Statements
	// are written for both engines with the placeholders of DB.Expand.
	Migrations [][]string
	// AppliedAt encodes the time a migration is applied, as the store encodes its times.
	AppliedAt func(time.Time) int64
	// MemoryStore names, in the error that refuses in-memory SQLite, the store to use instead.
	MemoryStore string
	// Logger receives migration messages; nil discards them.
	Logger *slog.Logger
}

// DB is a database opened for one store: the *sql.DB, which engine it is, and how the
// store's queries are written for it. It is safe for concurrent use.
type DB struct {
	*sql.DB
	postgres bool
	name     string
	schema   string // PostgreSQL only
	expand   *strings.Replacer
	// stmts holds SQLite's prepared statements by query text (see stmtcache.go).
	stmts sync.Map
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn, a postgres:// or postgresql:// URL or else the path of a SQLite file
// (created if missing; a query string is kept, after the project's own parameters), and
// brings the store's tables up to date with cfg.Migrations. Errors carry no package prefix:
// the store adds its own.
func Open(ctx context.Context, dsn string, cfg Config) (*DB, error) {
	db := &DB{name: cfg.Name}
	var err error
	if IsPostgres(dsn) {
		if !identRE.MatchString(cfg.Schema) {
			return nil, fmt.Errorf("schema name %q is not a plain identifier", cfg.Schema)
		}
		db.postgres = true
		db.schema = cfg.Schema
		db.expand = strings.NewReplacer("{P}", `"`+cfg.Schema+`".`, "{TEXT}", `TEXT COLLATE "C"`,
			"{BLOB}", "BYTEA", "{SERIAL}", "BIGSERIAL PRIMARY KEY")
		db.DB, err = sql.Open("pgx", dsn)
	} else {
		if dsn == "" {
			return nil, errors.New("empty database path")
		}
		path, query, _ := strings.Cut(dsn, "?")
		if path == ":memory:" || strings.Contains(query, "mode=memory") {
			// Every pooled connection would get a database of its own.
			return nil, fmt.Errorf("in-memory SQLite is not supported; use the %s store", cfg.MemoryStore)
		}
		if query != "" {
			query = "&" + query
		}
		db.expand = strings.NewReplacer("{P}", cfg.Prefix, "{TEXT}", "TEXT", "{BLOB}", "BLOB",
			"{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT")
		db.DB, err = sql.Open("sqlite", path+"?"+sqlitePragmas+query)
	}
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(idleTimeout)
	if err := db.PingContext(ctx); err != nil {
		db.DB.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := db.migrate(ctx, cfg); err != nil {
		db.DB.Close()
		return nil, err
	}
	return db, nil
}

// Postgres reports whether the database is PostgreSQL rather than SQLite.
func (db *DB) Postgres() bool { return db.postgres }

// Expand turns a query written for both engines into the engine's own:
//
//	{P}       before a table name: the namespace, "schema". on PostgreSQL, the prefix on SQLite
//	{TEXT}    text compared byte-wise (COLLATE "C" on PostgreSQL), as Go compares strings
//	{BLOB}    bytes
//	{SERIAL}  an integer primary key that only grows, never reusing a deleted value
func (db *DB) Expand(query string) string { return db.expand.Replace(query) }

// LockKey derives the key of a PostgreSQL advisory lock from the store's name, what the lock
// is for and the schema, so that stores in different schemas of one database, or different
// stores in one schema, do not wait for each other. The key is what nodes agree on: its
// derivation must not change.
func (db *DB) LockKey(purpose string) int64 {
	h := fnv.New64a()
	h.Write([]byte("hashless/" + db.name + "/" + purpose + "/" + db.schema))
	return int64(h.Sum64())
}

// Close closes the cached statements and then the database.
func (db *DB) Close() error {
	db.closeStatements()
	return db.DB.Close()
}
