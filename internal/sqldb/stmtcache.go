package sqldb

import (
	"context"
	"database/sql"
	"strings"
)

// SQLite (through modernc) parses every statement it is given afresh, and parsing is a large
// part of a point lookup's cost, so on SQLite each distinct query is prepared once and reused;
// database/sql keeps one prepared copy per connection. PostgreSQL needs none of this: pgx
// already caches prepared statements per connection. The cache is keyed by query text, so it
// stays small as long as the stores' queries have fixed text (filters only add from a small
// set).

// Querier is what *sql.DB, *sql.Tx and the SQLite statement cache have in common. Queries
// given to it are already expanded (see DB.Expand).
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Querier picks how queries run, inside tx when it is not nil: plainly on PostgreSQL, through
// the statement cache on SQLite.
func (db *DB) Querier(tx *sql.Tx) Querier {
	if db.postgres {
		if tx != nil {
			return tx
		}
		return db.DB
	}
	return stmtQuerier{db: db, tx: tx}
}

// stmtQuerier runs queries through prepared statements, inside tx when it is set.
type stmtQuerier struct {
	db *DB
	tx *sql.Tx
}

// cacheable keeps utility statements (SAVEPOINT, RELEASE) out of the cache.
func cacheable(query string) bool {
	head := strings.ToUpper(strings.TrimSpace(query[:min(len(query), 16)]))
	for _, verb := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"} {
		if strings.HasPrefix(head, verb) {
			return true
		}
	}
	return false
}

func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (q stmtQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.db.prepared(ctx, query)
	if err != nil || q.tx == nil {
		return st, err
	}
	return q.tx.StmtContext(ctx, st), nil
}

func (q stmtQuerier) plain() Querier {
	if q.tx != nil {
		return q.tx
	}
	return q.db.DB
}

func (q stmtQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !cacheable(query) {
		return q.plain().ExecContext(ctx, query, args...)
	}
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q stmtQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !cacheable(query) {
		return q.plain().QueryContext(ctx, query, args...)
	}
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (q stmtQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if !cacheable(query) {
		return q.plain().QueryRowContext(ctx, query, args...)
	}
	st, err := q.stmt(ctx, query)
	if err != nil {
		// A *sql.Row can only carry an error from a query, so run the query unprepared and
		// let it report the same failure.
		return q.plain().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (db *DB) closeStatements() {
	db.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
}
