package sqlstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
)

// TestListUsersUsesIndexes checks the plan of every ListUsers filter, first page and later
// pages, on both engines: the users table is read through the index of the filtered column,
// in the index's order, never scanned whole or sorted.
func TestListUsersUsesIndexes(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		s := openSQLite(t)
		fillUsers(t, s, 500)
		checkPlans(t, s)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		s := openPostgres(t, testenv.PostgresDSN(t))
		fillUsers(t, s, 2000)
		if _, err := s.db.ExecContext(t.Context(), s.q(`ANALYZE {P}users`)); err != nil {
			t.Fatal(err)
		}
		checkPlans(t, s)
	})
}

const explainPool = "us-east-1_explain"

var explainStatuses = []string{"CONFIRMED", "UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"}

// fillUsers adds n users to a pool of another one's, with values that repeat at different
// rates per attribute, so the planner has real choices to make.
func fillUsers(t *testing.T, s *Store, n int) {
	t.Helper()
	err := s.Update(t.Context(), func(tx store.Tx) error {
		ctx := t.Context()
		for _, pool := range []string{explainPool, "us-east-1_neighbour"} {
			if err := tx.CreatePool(ctx, store.Pool{ID: pool}); err != nil {
				return err
			}
			for i := range n {
				u := store.User{
					PoolID: pool, Username: fmt.Sprintf("User%05d", i), UsernameKey: fmt.Sprintf("user%05d", i),
					Sub: fmt.Sprintf("%08x-0000-4000-8000-%012x", i*7919, i), Status: explainStatuses[i%len(explainStatuses)],
					Enabled: i%5 != 0,
					Attributes: []store.Attribute{
						{Name: "email", Value: fmt.Sprintf("user%05d@example.com", i)},
						{Name: "phone_number", Value: fmt.Sprintf("+1555%07d", i*31)},
						{Name: "name", Value: fmt.Sprintf("Given%03d Family%02d", i%300, i%50)},
						{Name: "given_name", Value: fmt.Sprintf("Given%03d", i%300)},
						{Name: "family_name", Value: fmt.Sprintf("Family%02d", i%50)},
					},
				}
				if i%2 == 0 {
					u.Attributes = append(u.Attributes, store.Attribute{Name: "preferred_username", Value: fmt.Sprintf("pref%05d", i)})
				}
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fill users: %v", err)
	}
}

func checkPlans(t *testing.T, s *Store) {
	ctx := context.Background()
	// A user whose values are typical: not the first or last of any index.
	sample, err := getOne(ctx, &readTx{s: s, q: s.db}, scanUser,
		`SELECT `+userCols+` FROM {P}users WHERE pool_id = $1 AND username_key = $2`, explainPool, "user00122")
	if err != nil {
		t.Fatal(err)
	}
	indexOf := func(col string) string {
		switch {
		case col != "username_key":
			return "pool_users_" + col
		case s.db.Postgres():
			return "users_pkey"
		default:
			return "sqlite_autoindex_pool_users_1"
		}
	}
	filters := []store.UserFilter{{}}
	for _, attr := range store.FilterAttributes {
		v := sample.SearchValue(attr)
		filters = append(filters,
			store.UserFilter{Attribute: attr, Value: v},
			store.UserFilter{Attribute: attr, Value: v[:3], Prefix: true},
			store.UserFilter{Attribute: attr, Prefix: true})
	}
	for _, f := range filters {
		col := filterColumns[f.Attribute]
		if f.Attribute == "" {
			col = "username_key"
		}
		t.Run(fmt.Sprintf("%s=%q,prefix=%v", f.Attribute, f.Value, f.Prefix), func(t *testing.T) {
			plan, err := s.ExplainListUsers(ctx, explainPool, f)
			if err != nil {
				t.Fatal(err)
			}
			sqldbtest.CheckIndexPlan(t, s.db.Postgres(), indexOf(col), plan)
			after := &store.UserCursor{Attr: f.Attribute, Value: sample.SearchValue(f.Attribute), Key: sample.UsernameKey}
			if f.Attribute == "" {
				after.Value = ""
			}
			plan, err = s.explainListUsers(ctx, explainPool, f, after)
			if err != nil {
				t.Fatal(err)
			}
			sqldbtest.CheckIndexPlan(t, s.db.Postgres(), indexOf(col), plan)
		})
	}
}
