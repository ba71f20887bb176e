package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hashless/hashless/internal/sqldb"
	"github.com/hashless/hashless/storeauth/store"
)

// DefaultSchema is the PostgreSQL schema that holds the customer tables.
const DefaultSchema = "hashless_store"

// sqlitePrefix starts the name of every table and index of this package in a SQLite file,
// which it shares with the pool's pool_ tables.
const sqlitePrefix = "store_"

// Options tune Open.
type Options struct {
	// Logger receives migration messages; nil discards them.
	Logger *slog.Logger
	// Schema is the PostgreSQL schema of the customer tables (DefaultSchema when empty). It
	// is created if missing. SQLite ignores it.
	Schema string
}

// Store is a store.Store on SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	db *sqldb.DB
}

var _ store.Store = (*Store)(nil)

// Open connects to dsn, a postgres:// or postgresql:// URL or else the path of a SQLite file
// (created if missing; a query string is kept, after the store's own parameters), and
// brings the schema up to date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	db, err := sqldb.Open(ctx, dsn, sqldb.Config{
		Name:            "storeauth",
		Schema:          schema,
		Prefix:          sqlitePrefix,
		MigrationsTable: "schema_migrations",
		Migrations:      migrations,
		AppliedAt:       timeArg,
		MemoryStore:     "memory",
		Logger:          opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return &Store{db: db}, nil
}

// q expands the placeholders of a query written for both engines ({P} before a table name).
func (s *Store) q(query string) string { return s.db.Expand(query) }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

// querier picks how queries run, inside tx when it is not nil: plainly on PostgreSQL, through
// the statement cache on SQLite.
func (s *Store) querier(tx *sql.Tx) querier { return s.db.Querier(tx) }

// querier is what *sql.DB, *sql.Tx and the SQLite statement cache have in common.
type querier = sqldb.Querier

type scanner interface{ Scan(dest ...any) error }

// inTx runs fn in a transaction: BEGIN IMMEDIATE on SQLite (the pragmas ask for it), READ
// COMMITTED on PostgreSQL, where a compare-and-swap UPDATE waits for a concurrent one and
// then re-checks its WHERE clause against the committed row.
func (s *Store) inTx(ctx context.Context, fn func(q querier) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(s.querier(tx)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// getOne returns the single row query selects, or store.ErrNotFound.
func getOne[T any](ctx context.Context, s *Store, q querier, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("sqlstore: %w", err)
	}
	return v, nil
}

func getAll[T any](ctx context.Context, s *Store, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return out, nil
}

// exec runs a write and returns how many rows it changed.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	return n, nil
}

// uniqueViolation reports whether err is a unique-constraint failure, and names what was
// violated: the constraint on PostgreSQL, the table and column list on SQLite (which does
// not name an index). Index and column names are chosen so a substring of either tells
// them apart.
func uniqueViolation(err error) (what string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName, pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return liteErr.Error(), true
		}
	}
	return "", false
}

// Times are unix microseconds in UTC. The zero time.Time is stored as its own microsecond
// count, the smallest any real time has, so it sorts and expires before every real time.
// Microseconds are taken by flooring, the same on every engine and in the memory store.

func timeArg(t time.Time) int64 { return t.UnixMicro() }

var zeroMicros = time.Time{}.UnixMicro()

func timeOf(n int64) time.Time {
	if n == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// nullTimeArg stores the zero time as NULL, for columns where most rows have none.
func nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func nullTimeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return timeOf(n.Int64)
}
