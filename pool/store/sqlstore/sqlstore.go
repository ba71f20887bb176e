package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hashless/hashless/internal/sqldb"
	"github.com/hashless/hashless/pool/store"
)

// DefaultSchema is the PostgreSQL schema that holds the pool's tables.
const DefaultSchema = "hashless_pool"

// sqlitePrefix starts the name of every pool table in a SQLite database.
const sqlitePrefix = "pool_"

// maxAttempts bounds how often Update runs its function.
const maxAttempts = 10

// csvRetention is how long an import job's CSV body outlives the job's creation.
const csvRetention = 24 * time.Hour

// Options tune Open.
type Options struct {
	// Logger receives migration and retry messages; nil discards them.
	Logger *slog.Logger
	// Schema is the PostgreSQL schema of the pool's tables (DefaultSchema when empty). It is
	// created if missing. SQLite ignores it.
	Schema string
}

// Store is a store.Store on SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	db     *sqldb.DB
	log    *slog.Logger
	txOpts *sql.TxOptions
	// outboxLock is the PostgreSQL advisory lock that orders appends to the outbox.
	outboxLock int64
}

var _ store.Store = (*Store)(nil)

// Open connects to dsn, a postgres:// or postgresql:// URL or else the path of a SQLite file
// (created if missing; a query string is kept, after the store's own parameters), and
// brings the schema up to date.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s := &Store{log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	schema := opts.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	db, err := sqldb.Open(ctx, dsn, sqldb.Config{
		Name:            "pool",
		Schema:          schema,
		Prefix:          sqlitePrefix,
		MigrationsTable: "migrations",
		Migrations:      migrations,
		AppliedAt:       func(t time.Time) int64 { return t.UnixNano() },
		MemoryStore:     `"memory"`,
		Logger:          s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	s.db = db
	if db.Postgres() {
		s.txOpts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
		s.outboxLock = db.LockKey("outbox")
	}
	return s, nil
}

// q expands the placeholders of a query written for both engines ({P} before a table name).
func (s *Store) q(query string) string { return s.db.Expand(query) }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

// View implements store.Store. Each read is its own statement: no snapshot spans them.
func (s *Store) View(ctx context.Context, fn func(tx store.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(&readTx{s: s, q: s.db.Querier(nil)})
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		retry, err := s.updateOnce(ctx, fn)
		if err == nil || !retry || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		s.log.DebugContext(ctx, "sqlstore: retrying transaction", "attempt", attempt, "err", err)
		// Exponential backoff with full jitter spreads writers that collided, so they do not
		// collide again; about one second in all before the last attempt.
		ceiling := min(200*time.Millisecond, 2*time.Millisecond<<attempt)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Millisecond + rand.N(ceiling)):
		}
	}
}

// errRetry reports that fn went on after a statement failed in a way only a new transaction
// can fix.
var errRetry = errors.New("sqlstore: transaction must be retried")

func (s *Store) updateOnce(ctx context.Context, fn func(tx store.Tx) error) (retry bool, err error) {
	sqlTx, err := s.db.BeginTx(ctx, s.txOpts)
	if err != nil {
		return s.classify(err) == errKindRetry, fmt.Errorf("sqlstore: begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = sqlTx.Rollback()
		}
	}()
	t := &writeTx{readTx: readTx{s: s, q: s.db.Querier(sqlTx)}}
	if err := fn(t); err != nil {
		return t.mustRetry || errors.Is(err, store.ErrConflict) || s.classify(err) == errKindRetry, err
	}
	if t.mustRetry {
		return true, errRetry
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return s.classify(err) == errKindRetry, fmt.Errorf("sqlstore: commit: %w", err)
	}
	return false, nil
}

// Cleanup implements store.Store. Each kind of record goes in its own statement, so no lock is
// held across all three.
func (s *Store) Cleanup(ctx context.Context, now time.Time) (int, error) {
	stmts := []struct {
		query string
		arg   time.Time
	}{
		{`DELETE FROM {P}ephemeral WHERE expires_at <= $1`, now},
		{`DELETE FROM {P}messages WHERE expires_at <= $1`, now},
		{`DELETE FROM {P}import_csv AS c WHERE EXISTS (SELECT 1 FROM {P}import_jobs j
			WHERE j.pool_id = c.pool_id AND j.job_id = c.job_id AND j.created_at < $1)`, now.Add(-csvRetention)},
	}
	total := 0
	for _, st := range stmts {
		res, err := s.db.ExecContext(ctx, s.q(st.query), timeArg(st.arg))
		if err != nil {
			return total, fmt.Errorf("sqlstore: cleanup: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlstore: cleanup: %w", err)
		}
		total += int(n)
	}
	return total, nil
}
