package sqldb

import (
	"context"
	"strings"
)

// Explain returns the plan the database chooses for query, written for both engines (see
// Expand), with args: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, one plan line per
// line. It runs outside the statement cache.
func (db *DB) Explain(ctx context.Context, query string, args ...any) (string, error) {
	explain := "EXPLAIN "
	if !db.postgres {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.QueryContext(ctx, explain+db.Expand(query), args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		// SQLite answers (id, parent, notused, detail), PostgreSQL one text column: the plan
		// text is the last column either way.
		dest := make([]any, len(cols))
		var line string
		for i := range dest {
			dest[i] = new(any)
		}
		dest[len(dest)-1] = &line
		if err := rows.Scan(dest...); err != nil {
			return "", err
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return strings.Join(lines, "\n"), nil
}
