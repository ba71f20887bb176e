package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/storeauth/store"
)

// TestHotQueriesUseIndexes checks the plans of the reads the service makes on every request
// or sign-in: each is one search of its index, never a table scan or a sort.
func TestHotQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		s := openSQLite(t, testenv.SQLitePath(t))
		fill(t, s, 300)
		checkPlans(t, s)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		s := openPostgres(t, testenv.PostgresDSN(t), Options{})
		fill(t, s, 2000)
		for _, table := range []string{"customers", "sessions"} {
			if _, err := s.db.ExecContext(t.Context(), s.q(`ANALYZE {P}`+table)); err != nil {
				t.Fatal(err)
			}
		}
		checkPlans(t, s)
	})
}

// fill adds n customers, some deleted, each with a few sessions.
func fill(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.inTx(ctx, func(q querier) error {
		for i := range n {
			state := store.StateActive
			if i%10 == 0 {
				state = store.StateDeleted
			}
			_, err := s.exec(ctx, q, `INSERT INTO {P}customers (`+customerCols+`, email_key)
				VALUES ($1, $2, '', '', '', NULL, TRUE, '', $3, FALSE, $4, $4, NULL, 1, FALSE, NULL, NULL, $5)`,
				fmt.Sprintf("c%05d", i), fmt.Sprintf("User%05d@example.com", i), string(state),
				timeArg(t0.Add(time.Duration(i)*time.Minute)), fmt.Sprintf("user%05d@example.com", i))
			if err != nil {
				return err
			}
			for j := range 3 {
				id := fmt.Sprintf("s%05d-%d", i, j)
				created := t0.Add(time.Duration(i*3+j) * time.Minute)
				_, err := s.exec(ctx, q, `INSERT INTO {P}sessions (`+sessionCols+`)
					VALUES ($1, $2, $3, $4, $4, $5, '', '', 'cookie')`,
					id, sessionHash(id), fmt.Sprintf("c%05d", i), timeArg(created), timeArg(created.Add(24*time.Hour)))
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
}

func sessionHash(id string) []byte {
	h := make([]byte, 32)
	copy(h, id)
	return h
}

func checkPlans(t *testing.T, s *Store) {
	for _, c := range []struct {
		name, index, query string
		args               []any
	}{
		{"SessionByTokenHash", "store_sessions_token_hash",
			`SELECT ` + sessionCols + ` FROM {P}sessions WHERE token_hash = $1`, []any{sessionHash("s00123-1")}},
		{"CustomerByEmail", "store_customers_email_key",
			`SELECT ` + customerCols + ` FROM {P}customers WHERE email_key = $1 AND ` + liveEmail, []any{"user00123@example.com"}},
		{"ListSessions", "store_sessions_customer",
			`SELECT ` + sessionCols + ` FROM {P}sessions WHERE customer_id = $1 ORDER BY created_at DESC, id DESC`, []any{"c00123"}},
		// The dashboard's page of customers the pool's policy blocks.
		{"ListBlockedByPolicy", "store_customers_blocked",
			`SELECT ` + customerCols + ` FROM {P}customers WHERE state = $1 AND ` + blockedByPolicy + ` AND has_account AND id > $2 ORDER BY id LIMIT $3`,
			[]any{string(store.StateActive), "", 50}},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan, err := s.db.Explain(t.Context(), c.query, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			sqldbtest.CheckIndexPlan(t, s.db.Postgres(), c.index, plan)
		})
	}
}
