package sqlstore

import (
	"context"
	"database/sql"
)

// SQLite (through modernc) parses every statement it is given afresh, and parsing is a large
// part of a point lookup's cost, which matters for the session look-up every authenticated
// request makes. So on SQLite the store prepares each distinct query once and reuses it;
// database/sql keeps one prepared copy per connection. PostgreSQL needs none of this: pgx
// already caches prepared statements per connection. Every query this package runs has fixed
// text (filters only add from a small set), so the cache stays small.

// stmtQuerier runs queries through prepared statements, inside tx when it is set.
type stmtQuerier struct {
	s  *Store
	tx *sql.Tx
}

func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (q stmtQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.s.prepared(ctx, query)
	if err != nil || q.tx == nil {
		return st, err
	}
	return q.tx.StmtContext(ctx, st), nil
}

func (q stmtQuerier) plain() querier {
	if q.tx != nil {
		return q.tx
	}
	return q.s.db
}

func (q stmtQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (q stmtQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (q stmtQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil {
		// A *sql.Row can only carry an error from a query, so run the query unprepared and
		// let it report the same failure.
		return q.plain().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// querier picks how queries run: plainly on PostgreSQL, prepared on SQLite.
func (s *Store) querier(tx *sql.Tx) querier {
	if s.postgres {
		if tx != nil {
			return tx
		}
		return s.db
	}
	return stmtQuerier{s: s, tx: tx}
}

func (s *Store) closeStatements() {
	s.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		s.stmts.Delete(k)
		return true
	})
}
