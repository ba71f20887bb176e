package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

var _ store.Reports = (*Store)(nil)

// migratedAt and blockedByPolicy are the predicates of the partial indexes of schemaV3,
// repeated verbatim in queries so that SQLite uses them.
const (
	migratedAt      = `migrated_at IS NOT NULL`
	blockedByPolicy = `password_hash <> '' AND password_change_required`
)

// MigrationHistogram implements store.Reports with one pass over the migrated customers'
// index, grouped by bucket: -1 before from, -2 at or after the end. Integer division of a
// non-negative difference is the floor on both engines.
func (s *Store) MigrationHistogram(ctx context.Context, from time.Time, step time.Duration, n int) (store.MigrationHistogram, error) {
	if err := store.CheckHistogram(step, n); err != nil {
		return store.MigrationHistogram{}, err
	}
	start, width := timeArg(from), step.Microseconds()
	end := start + width*int64(n)
	type row struct{ bucket, count int64 }
	rows, err := getAll(ctx, s, s.querier(nil), func(r scanner) (row, error) {
		var x row
		return x, r.Scan(&x.bucket, &x.count)
	}, `SELECT CASE WHEN migrated_at < $1 THEN -1 WHEN migrated_at >= $2 THEN -2 ELSE (migrated_at - $1) / $3 END, COUNT(*)
		FROM {P}customers WHERE state = '`+string(store.StateActive)+`' AND `+migratedAt+` GROUP BY 1`, start, end, width)
	if err != nil {
		return store.MigrationHistogram{}, err
	}
	h := store.MigrationHistogram{Buckets: make([]int64, n)}
	for _, x := range rows {
		switch {
		case x.bucket == -1:
			h.Before += x.count
		case x.bucket == -2:
			h.After += x.count
		case x.bucket >= 0 && x.bucket < int64(n):
			h.Buckets[x.bucket] += x.count
		default:
			return store.MigrationHistogram{}, fmt.Errorf("sqlstore: histogram bucket %d out of range", x.bucket)
		}
	}
	return h, nil
}

// AddLoginOutcomes implements store.Reports: one upsert per count, in one transaction. The
// row of the current hour is hot (every node adds to it), so each statement adds to it in
// place rather than reading it first.
func (s *Store) AddLoginOutcomes(ctx context.Context, counts []store.LoginOutcomeCount) error {
	if len(counts) == 0 {
		return nil
	}
	return s.inTx(ctx, func(q querier) error {
		for _, c := range counts {
			if _, err := s.exec(ctx, q, `INSERT INTO {P}login_outcomes AS o (hour_start, outcome, n) VALUES ($1, $2, $3)
				ON CONFLICT (hour_start, outcome) DO UPDATE SET n = o.n + excluded.n`,
				timeArg(c.Hour), c.Outcome, c.Count); err != nil {
				return fmt.Errorf("sqlstore: %w", err)
			}
		}
		return nil
	})
}

// LoginOutcomes implements store.Reports with a range read of the primary key.
func (s *Store) LoginOutcomes(ctx context.Context, from, to time.Time) ([]store.LoginOutcomeCount, error) {
	return getAll(ctx, s, s.querier(nil), func(r scanner) (store.LoginOutcomeCount, error) {
		var c store.LoginOutcomeCount
		var hour int64
		err := r.Scan(&hour, &c.Outcome, &c.Count)
		c.Hour = timeOf(hour)
		return c, err
	}, `SELECT hour_start, outcome, n FROM {P}login_outcomes WHERE hour_start >= $1 AND hour_start < $2
		ORDER BY hour_start, outcome`, timeArg(from), timeArg(to))
}

// ListBlockedByPolicy implements store.Reports through the partial index of blocked
// customers, which holds only them.
func (s *Store) ListBlockedByPolicy(ctx context.Context, after string, limit int) ([]store.Customer, error) {
	query := `SELECT ` + customerCols + ` FROM {P}customers WHERE state = $1 AND ` + blockedByPolicy + ` AND has_account AND id > $2 ORDER BY id`
	args := []any{string(store.StateActive), after}
	if limit > 0 {
		query += ` LIMIT $3`
		args = append(args, limit)
	}
	return getAll(ctx, s, s.querier(nil), scanCustomer, query, args...)
}
