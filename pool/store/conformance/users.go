package conformance

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/pool/store"
)

func getUser(pool, key string) func(ctx context.Context, tx store.ReadTx) (store.User, error) {
	return func(ctx context.Context, tx store.ReadTx) (store.User, error) { return tx.GetUser(ctx, pool, key) }
}

func getByAlias(pool, kind, key string) func(ctx context.Context, tx store.ReadTx) (store.User, error) {
	return func(ctx context.Context, tx store.ReadTx) (store.User, error) {
		return tx.GetUserByAlias(ctx, pool, store.Alias{Kind: kind, Key: key})
	}
}

func testUserCRUD(t *testing.T, s store.Store) {
	const pool = "us-east-1_users"
	u := newUser(pool, "ann")
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, u) })
	wantErr(t, "CreateUser in a missing pool", err, store.ErrNotFound)

	createPool(t, s, pool, "us-east-1_other")
	u.Aliases = append(u.Aliases, store.Alias{Kind: "phone_number", Key: "+15550100"})
	u.Attributes = append(u.Attributes, store.Attribute{Name: "phone_number", Value: "+15550100"})
	createUsers(t, s, u, newUser(pool, "ben"))
	// The same username, sub and aliases in another pool are another user.
	createUsers(t, s, newUser("us-east-1_other", "ann"))

	equal(t, "GetUser", mustRead(t, s, getUser(pool, "ann")), u, normUser)
	equal(t, "GetUserBySub", mustRead(t, s, func(ctx context.Context, tx store.ReadTx) (store.User, error) {
		return tx.GetUserBySub(ctx, pool, "sub-ann")
	}), u, normUser)
	equal(t, "GetUserByAlias email", mustRead(t, s, getByAlias(pool, "email", "ann@example.com")), u, normUser)
	equal(t, "GetUserByAlias phone", mustRead(t, s, getByAlias(pool, "phone_number", "+15550100")), u, normUser)
	_, err = read(t, s, getUser(pool, "nobody"))
	wantErr(t, "GetUser of a missing user", err, store.ErrNotFound)
	_, err = read(t, s, func(ctx context.Context, tx store.ReadTx) (store.User, error) {
		return tx.GetUserBySub(ctx, pool, "sub-nobody")
	})
	wantErr(t, "GetUserBySub of a missing sub", err, store.ErrNotFound)
	_, err = read(t, s, getByAlias(pool, "phone_number", "ann@example.com"))
	wantErr(t, "GetUserByAlias with the wrong kind", err, store.ErrNotFound)

	n := mustRead(t, s, func(ctx context.Context, tx store.ReadTx) (int64, error) { return tx.CountUsers(ctx, pool) })
	if n != 2 {
		t.Fatalf("CountUsers = %d, want 2", n)
	}

	changed := u
	changed.Username = "Ann"
	changed.Status, changed.Enabled = "RESET_REQUIRED", false
	changed.Attributes = []store.Attribute{{Name: "email", Value: "ann@example.org"}, {Name: "name", Value: "Ann Other"}}
	changed.Aliases = []store.Alias{{Kind: "email", Key: "ann@example.org"}}
	changed.PasswordHash, changed.State = "", nil
	changed.UpdatedAt = t0.Add(time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, changed) })
	want := changed
	want.Version = 1
	equal(t, "GetUser after UpdateUser", mustRead(t, s, getUser(pool, "ann")), want, normUser)
	equal(t, "GetUserByAlias of the new alias", mustRead(t, s, getByAlias(pool, "email", "ann@example.org")), want, normUser)
	_, err = read(t, s, getByAlias(pool, "email", "ann@example.com"))
	wantErr(t, "GetUserByAlias of a dropped alias", err, store.ErrNotFound)
	_, err = read(t, s, getByAlias(pool, "phone_number", "+15550100"))
	wantErr(t, "GetUserByAlias of a dropped alias", err, store.ErrNotFound)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, newUser(pool, "nobody")) })
	wantErr(t, "UpdateUser of a missing user", err, store.ErrNotFound)

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, pool, "ann") })
	_, err = read(t, s, getUser(pool, "ann"))
	wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	_, err = read(t, s, func(ctx context.Context, tx store.ReadTx) (store.User, error) {
		return tx.GetUserBySub(ctx, pool, "sub-ann")
	})
	wantErr(t, "GetUserBySub after DeleteUser", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, pool, "ann") })
	wantErr(t, "DeleteUser twice", err, store.ErrNotFound)
	equal(t, "the other pool's user", mustRead(t, s, getUser("us-east-1_other", "ann")), newUser("us-east-1_other", "ann"), normUser)

	// A user without attributes, aliases, state or times round-trips too.
	bare := store.User{PoolID: pool, Username: "bare", UsernameKey: "bare", Sub: "sub-bare", Status: "UNCONFIRMED"}
	createUsers(t, s, bare)
	equal(t, "GetUser of a bare user", mustRead(t, s, getUser(pool, "bare")), bare, normUser)
}

func testUserUniqueness(t *testing.T, s store.Store) {
	const pool = "us-east-1_unique"
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"), newUser(pool, "ben"))

	dupKey := newUser(pool, "ann")
	dupKey.Sub, dupKey.Aliases = "sub-other", nil
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, dupKey) })
	wantErr(t, "CreateUser with a taken username key", err, store.ErrAlreadyExists)

	dupSub := newUser(pool, "cat")
	dupSub.Sub = "sub-ann"
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, dupSub) })
	wantErr(t, "CreateUser with a taken sub", err, store.ErrAlreadyExists)
	_, err = read(t, s, getUser(pool, "cat"))
	wantErr(t, "GetUser of a user whose create failed", err, store.ErrNotFound)

	ben := newUser(pool, "ben")
	ben.Sub = "sub-ann"
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, ben) })
	wantErr(t, "UpdateUser to a taken sub", err, store.ErrAlreadyExists)
	equal(t, "GetUser after a failed UpdateUser", mustRead(t, s, getUser(pool, "ben")), newUser(pool, "ben"), normUser)
}

func testAliases(t *testing.T, s store.Store) {
	const pool = "us-east-1_aliases"
	createPool(t, s, pool)
	ann := newUser(pool, "ann")
	ann.Aliases = append(ann.Aliases, store.Alias{Kind: "preferred_username", Key: "annie"})
	createUsers(t, s, ann)

	// ben wants ann's e-mail as an alias: his create fails as a whole.
	ben := newUser(pool, "ben")
	ben.Aliases = append(ben.Aliases, store.Alias{Kind: "email", Key: "ann@example.com"})
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, ben) })
	wantErr(t, "CreateUser with a taken alias", err, store.ErrAliasExists)
	_, err = read(t, s, getUser(pool, "ben"))
	wantErr(t, "GetUser after a create with a taken alias", err, store.ErrNotFound)
	_, err = read(t, s, getByAlias(pool, "email", "ben@example.com"))
	wantErr(t, "alias of a user whose create failed", err, store.ErrNotFound)

	// The same key under another kind is another alias; an alias listed twice is one.
	ben = newUser(pool, "ben")
	ben.Aliases = append(ben.Aliases, store.Alias{Kind: "phone_number", Key: "ann@example.com"}, ben.Aliases[0])
	createUsers(t, s, ben)
	equal(t, "GetUserByAlias", mustRead(t, s, getByAlias(pool, "phone_number", "ann@example.com")), ben, normUser)

	taking := ben
	taking.Aliases = append(slices.Clone(ben.Aliases), store.Alias{Kind: "preferred_username", Key: "annie"})
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, taking) })
	wantErr(t, "UpdateUser to a taken alias", err, store.ErrAliasExists)
	equal(t, "GetUser after UpdateUser to a taken alias", mustRead(t, s, getUser(pool, "ben")), ben, normUser)
	equal(t, "the alias's owner", mustRead(t, s, getByAlias(pool, "preferred_username", "annie")), ann, normUser)

	// ann keeps her e-mail alias and drops "annie", which ben can then take.
	ann.Aliases = ann.Aliases[:1]
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, ann) })
	ann.Version++
	equal(t, "an alias kept by UpdateUser", mustRead(t, s, getByAlias(pool, "email", "ann@example.com")), ann, normUser)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, taking) })
	taking.Version++
	equal(t, "an alias freed by UpdateUser", mustRead(t, s, getByAlias(pool, "preferred_username", "annie")), taking, normUser)

	// Deleting ann frees her e-mail.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, pool, "ann") })
	cat := newUser(pool, "cat")
	cat.Aliases = []store.Alias{{Kind: "email", Key: "ann@example.com"}}
	createUsers(t, s, cat)
	equal(t, "an alias freed by DeleteUser", mustRead(t, s, getByAlias(pool, "email", "ann@example.com")), cat, normUser)
}

func testUserVersionConflict(t *testing.T, s store.Store) {
	const pool = "us-east-1_versions"
	createPool(t, s, pool)
	u := newUser(pool, "ann")
	createUsers(t, s, u)

	first := u
	first.State = []byte(`{"n":1}`)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, first) })
	if first.Version != 0 {
		t.Fatal("UpdateUser changed the caller's copy")
	}
	second := u
	second.State = []byte(`{"n":2}`)
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, second) })
	wantErr(t, "UpdateUser with a stale version", err, store.ErrConflict)
	first.Version = 1
	equal(t, "GetUser after a conflict", mustRead(t, s, getUser(pool, "ann")), first, normUser)

	// Read-modify-write inside one Update succeeds.
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.GetUser(ctx, pool, "ann")
		if err != nil {
			return err
		}
		cur.State = []byte(`{"n":3}`)
		return tx.UpdateUser(ctx, cur)
	})
	if got := mustRead(t, s, getUser(pool, "ann")); got.Version != 2 || string(got.State) != `{"n":3}` {
		t.Fatalf("after read-modify-write: version %d state %s", got.Version, got.State)
	}
}

func testRecordsAreCopied(t *testing.T, s store.Store) {
	const pool = "us-east-1_copies"
	createPool(t, s, pool)
	u := newUser(pool, "ann")
	want := newUser(pool, "ann")
	createUsers(t, s, u)
	u.Attributes[0].Value = "changed@example.com"
	u.Aliases[0].Key = "changed@example.com"
	u.State[0] = 'X'
	equal(t, "GetUser after the caller changed its slices", mustRead(t, s, getUser(pool, "ann")), want, normUser)

	got := mustRead(t, s, getUser(pool, "ann"))
	got.Attributes[0].Value = "changed@example.com"
	got.Aliases[0].Key = "changed@example.com"
	got.State[0] = 'X'
	equal(t, "GetUser after the caller changed a record it read", mustRead(t, s, getUser(pool, "ann")), want, normUser)

	e := store.Ephemeral{PoolID: pool, Namespace: "codes", Key: "k", Value: []byte("value"), ExpiresAt: t0.Add(time.Hour)}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutEphemeral(ctx, e) })
	e.Value[0] = 'X'
	got2 := mustRead(t, s, func(ctx context.Context, tx store.ReadTx) (store.Ephemeral, error) {
		return tx.GetEphemeral(ctx, "codes", "k", t0)
	})
	if string(got2.Value) != "value" {
		t.Fatalf("ephemeral value = %q after the caller changed its slice", got2.Value)
	}
}

// filterUsers are users whose searchable values overlap in every way a filter cares about:
// shared values, shared prefixes, unset attributes, non-ASCII text.
func filterUsers(pool string) []store.User {
	mk := func(key, status string, enabled bool, attrs ...string) store.User {
		u := newUser(pool, key)
		u.Status, u.Enabled, u.Attributes, u.Aliases = status, enabled, nil, nil
		for i := 0; i < len(attrs); i += 2 {
			u.Attributes = append(u.Attributes, store.Attribute{Name: attrs[i], Value: attrs[i+1]})
		}
		return u
	}
	return []store.User{
		mk("alice", "CONFIRMED", true, "email", "alice@example.com", "phone_number", "+15550001", "name", "Alice Liddell",
			"given_name", "Alice", "family_name", "Liddell", "preferred_username", "ali"),
		mk("alicia", "CONFIRMED", true, "email", "alicia@example.com", "phone_number", "+15550002", "name", "Alicia Keys",
			"given_name", "Alicia", "family_name", "Keys", "preferred_username", "alicia"),
		mk("bob", "UNCONFIRMED", false, "email", "bob@example.org", "phone_number", "+445550003", "name", "Bob Builder",
			"given_name", "Bob", "family_name", "Builder"),
		mk("carol", "FORCE_CHANGE_PASSWORD", true, "email", "carol@example.com", "given_name", "Carol", "family_name", "Liddell"),
		mk("zoe", "CONFIRMED", false, "email", "zoe@example.com", "given_name", "Zoë", "family_name", "Ålund", "name", "Zoë Ålund"),
		mk("zoe2", "RESET_REQUIRED", true, "email", "zoe2@example.com", "given_name", "Zoe", "family_name", "Alund"),
		mk("dave", "CONFIRMED", true),
	}
}

// expectList is the reference ListUsers: every user whose search value matches, ordered by
// (value, username key).
func expectList(users []store.User, f store.UserFilter) []string {
	type row struct{ val, key string }
	var rows []row
	for _, u := range users {
		v := ""
		if f.Attribute != "" {
			v = u.SearchValue(f.Attribute)
			if f.Prefix && !strings.HasPrefix(v, f.Value) || !f.Prefix && v != f.Value {
				continue
			}
		}
		rows = append(rows, row{v, u.UsernameKey})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.val, b.val), cmp.Compare(a.key, b.key)) })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.key
	}
	return out
}

func listUsers(t *testing.T, s store.Store, pool string, f store.UserFilter, limit int) []store.User {
	t.Helper()
	return collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.User, string, error) {
		return tx.ListUsers(ctx, pool, f, page)
	})
}

func testListUsersFilters(t *testing.T, s store.Store) {
	const pool = "us-east-1_filters"
	createPool(t, s, pool, "us-east-1_other")
	users := filterUsers(pool)
	createUsers(t, s, users...)
	createUsers(t, s, filterUsers("us-east-1_other")[:3]...)

	all := listUsers(t, s, pool, store.UserFilter{}, 0)
	wantKeys(t, "ListUsers without a filter", keysOf(all, userKey), expectList(users, store.UserFilter{}))
	byKey := map[string]store.User{}
	for _, u := range users {
		byKey[u.UsernameKey] = u
	}
	for _, u := range all {
		equal(t, "ListUsers record", u, byKey[u.UsernameKey], normUser)
	}

	for _, attr := range store.FilterAttributes {
		values := map[string]bool{"": true, "nobody": true}
		for _, u := range users {
			v := u.SearchValue(attr)
			values[v] = true
			// Prefixes end on character boundaries: PostgreSQL refuses invalid UTF-8.
			r := []rune(v)
			for _, n := range []int{1, 2, 3, len(r) - 1} {
				if n > 0 && n < len(r) {
					values[string(r[:n])] = true
				}
			}
		}
		for v := range values {
			for _, prefix := range []bool{false, true} {
				f := store.UserFilter{Attribute: attr, Value: v, Prefix: prefix}
				want := expectList(users, f)
				for _, limit := range []int{0, 2} {
					got := keysOf(listUsers(t, s, pool, f, limit), userKey)
					wantKeys(t, fmt.Sprintf("ListUsers %+v, Limit %d", f, limit), got, want)
				}
			}
		}
	}

	_, _, err := func() ([]store.User, string, error) {
		var users []store.User
		var next string
		var err error
		view(t, s, func(ctx context.Context, tx store.ReadTx) error {
			users, next, err = tx.ListUsers(ctx, pool, store.UserFilter{Attribute: "custom:tier", Value: "gold"}, store.Page{})
			return nil
		})
		return users, next, err
	}()
	if err == nil {
		t.Fatal("ListUsers on an attribute that is not searchable: no error")
	}
}

func testListUsersPagination(t *testing.T, s store.Store) {
	const pool = "us-east-1_pages"
	createPool(t, s, pool)
	var users []store.User
	for i := range 57 {
		u := newUser(pool, fmt.Sprintf("user-%03d", i))
		u.Enabled = i%3 != 0
		family := "Same"
		if i%4 == 0 {
			family = fmt.Sprintf("Family %02d", i%10)
		}
		u.Attributes = append(u.Attributes, store.Attribute{Name: "family_name", Value: family})
		users = append(users, u)
	}
	shuffled := slices.Clone(users)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	createUsers(t, s, shuffled...)

	filters := []store.UserFilter{
		{},
		{Attribute: store.FilterFamilyName, Value: "Same"},
		{Attribute: store.FilterFamilyName, Value: "Fam", Prefix: true},
		{Attribute: store.FilterFamilyName, Value: "", Prefix: true},
		{Attribute: store.FilterEmail, Value: "user-0", Prefix: true},
		{Attribute: store.FilterStatus, Value: "Enabled"},
		{Attribute: store.FilterUsername, Value: "user-01", Prefix: true},
		{Attribute: store.FilterSub, Value: "sub-user-0", Prefix: true},
	}
	for _, f := range filters {
		want := expectList(users, f)
		for _, limit := range []int{1, 7, 60} {
			got := keysOf(listUsers(t, s, pool, f, limit), userKey)
			wantKeys(t, fmt.Sprintf("pages of ListUsers %+v, Limit %d", f, limit), got, want)
		}
	}
}

func testBadCursor(t *testing.T, s store.Store) {
	const pool = "us-east-1_cursors"
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"), newUser(pool, "ben"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"j1", "j2"} {
			if err := tx.CreateImportJob(ctx, store.ImportJob{PoolID: pool, JobID: id, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	emailFilter := store.UserFilter{Attribute: store.FilterEmail, Value: "", Prefix: true}
	var cursor string
	view(t, s, func(ctx context.Context, tx store.ReadTx) error {
		_, next, err := tx.ListUsers(ctx, pool, emailFilter, store.Page{Limit: 1})
		cursor = next
		return err
	})
	if cursor == "" {
		t.Fatal("ListUsers with Limit 1 of 2 users returned no cursor")
	}

	listUsersErr := func(f store.UserFilter, after string) error {
		_, err := read(t, s, func(ctx context.Context, tx store.ReadTx) ([]store.User, error) {
			users, _, err := tx.ListUsers(ctx, pool, f, store.Page{After: after, Limit: 1})
			return users, err
		})
		return err
	}
	for _, bad := range []string{"%%%", "not a cursor", base64.RawURLEncoding.EncodeToString([]byte("[1,2"))} {
		wantErr(t, fmt.Sprintf("ListUsers after %q", bad), listUsersErr(store.UserFilter{}, bad), store.ErrBadCursor)
		wantErr(t, fmt.Sprintf("ListUsers by email after %q", bad), listUsersErr(emailFilter, bad), store.ErrBadCursor)
		_, err := read(t, s, func(ctx context.Context, tx store.ReadTx) ([]store.ImportJob, error) {
			jobs, _, err := tx.ListImportJobs(ctx, pool, store.Page{After: bad, Limit: 1})
			return jobs, err
		})
		wantErr(t, fmt.Sprintf("ListImportJobs after %q", bad), err, store.ErrBadCursor)
	}
	wantNoErr(t, "ListUsers with its own cursor", listUsersErr(emailFilter, cursor))
	wantErr(t, "ListUsers with a cursor of another filter",
		listUsersErr(store.UserFilter{Attribute: store.FilterFamilyName, Value: "x"}, cursor), store.ErrBadCursor)
}

func testDeleteUserCascades(t *testing.T, s store.Store) {
	const pool = "us-east-1_cascade"
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"), newUser(pool, "ben"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateGroup(ctx, newGroup(pool, "g")); err != nil {
			return err
		}
		if err := tx.AddMembership(ctx, pool, "g", "ann"); err != nil {
			return err
		}
		return tx.AddMembership(ctx, pool, "g", "ben")
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUser(ctx, pool, "ann") })

	members := collect(t, s, 0, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.User, string, error) {
		return tx.ListUsersInGroup(ctx, pool, "g", page)
	})
	wantKeys(t, "ListUsersInGroup after DeleteUser", keysOf(members, userKey), []string{"ben"})
	_, err := read(t, s, getByAlias(pool, "email", "ann@example.com"))
	wantErr(t, "GetUserByAlias after DeleteUser", err, store.ErrNotFound)

	// A new user under the same name inherits nothing.
	createUsers(t, s, newUser(pool, "ann"))
	groups := collect(t, s, 0, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Group, string, error) {
		return tx.ListGroupsForUser(ctx, pool, "ann", page)
	})
	if len(groups) != 0 {
		t.Fatalf("a re-created user is in groups %+v", groups)
	}
}

func testDeletePoolCascades(t *testing.T, s store.Store) {
	const gone, kept = "us-east-1_gone", "us-east-1_kept"
	for _, pool := range []string{gone, kept} {
		createPool(t, s, pool)
		createUsers(t, s, newUser(pool, "ann"), newUser(pool, "ben"))
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			steps := []func() error{
				func() error { return tx.CreateClient(ctx, newClient(pool, pool+"-client")) },
				func() error { return tx.CreateGroup(ctx, newGroup(pool, "g")) },
				func() error { return tx.AddMembership(ctx, pool, "g", "ann") },
				func() error {
					return tx.CreateImportJob(ctx, store.ImportJob{PoolID: pool, JobID: "job", CreatedAt: t0})
				},
				func() error { return tx.PutImportCSV(ctx, pool, "job", []byte("csv")) },
				func() error {
					_, err := tx.AppendMessage(ctx, store.Message{PoolID: pool, Username: "ann", Kind: "SIGNUP", ExpiresAt: t0.Add(time.Hour)})
					return err
				},
				func() error {
					return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: pool, Namespace: "codes", Key: pool + "/ann", ExpiresAt: t0.Add(time.Hour)})
				},
			}
			for _, step := range steps {
				if err := step(); err != nil {
					return err
				}
			}
			return nil
		})
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePool(ctx, gone) })

	for _, c := range []struct {
		pool    string
		present bool
	}{{gone, false}, {kept, true}} {
		view(t, s, func(ctx context.Context, tx store.ReadTx) error {
			pool := c.pool
			check := func(what string, err error) {
				t.Helper()
				if c.present {
					wantNoErr(t, pool+": "+what, err)
				} else {
					wantErr(t, pool+": "+what, err, store.ErrNotFound)
				}
			}
			count := func(what string, n int) {
				t.Helper()
				if want := map[bool]int{true: 1, false: 0}[c.present]; n != want {
					t.Fatalf("%s: %s: %d records, want %d", pool, what, n, want)
				}
			}
			_, err := tx.GetPool(ctx, pool)
			check("GetPool", err)
			_, err = tx.GetClient(ctx, pool, pool+"-client")
			check("GetClient", err)
			_, err = tx.GetUser(ctx, pool, "ann")
			check("GetUser", err)
			_, err = tx.GetUserBySub(ctx, pool, "sub-ann")
			check("GetUserBySub", err)
			_, err = tx.GetUserByAlias(ctx, pool, store.Alias{Kind: "email", Key: "ann@example.com"})
			check("GetUserByAlias", err)
			_, err = tx.GetGroup(ctx, pool, "g")
			check("GetGroup", err)
			_, err = tx.GetImportJob(ctx, pool, "job")
			check("GetImportJob", err)
			_, err = tx.GetImportCSV(ctx, pool, "job")
			check("GetImportCSV", err)
			_, err = tx.GetEphemeral(ctx, "codes", pool+"/ann", t0)
			check("GetEphemeral", err)
			n, err := tx.CountUsers(ctx, pool)
			wantNoErr(t, "CountUsers", err)
			if c.present != (n == 2) || !c.present && n != 0 {
				t.Fatalf("%s: CountUsers = %d", pool, n)
			}
			groups, _, err := tx.ListGroupsForUser(ctx, pool, "ann", store.Page{})
			wantNoErr(t, "ListGroupsForUser", err)
			count("ListGroupsForUser", len(groups))
			msgs, err := tx.ListMessages(ctx, store.MessageFilter{PoolID: pool}, 0)
			wantNoErr(t, "ListMessages", err)
			count("ListMessages", len(msgs))
			clients, _, err := tx.ListClients(ctx, pool, store.Page{})
			wantNoErr(t, "ListClients", err)
			count("ListClients", len(clients))
			jobs, _, err := tx.ListImportJobs(ctx, pool, store.Page{})
			wantNoErr(t, "ListImportJobs", err)
			count("ListImportJobs", len(jobs))
			return nil
		})
	}

	// The pool ID can be used again, and nothing of the old pool comes back with it.
	createPool(t, s, gone)
	createUsers(t, s, newUser(gone, "ann"))
	groups := collect(t, s, 0, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Group, string, error) {
		return tx.ListGroupsForUser(ctx, gone, "ann", page)
	})
	if len(groups) != 0 {
		t.Fatalf("a user of a re-created pool is in groups %+v", groups)
	}
}
