package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashless/hashless/pool/store"
)

func testPoolCRUD(t *testing.T, s store.Store) {
	getPool := func(id string) func(ctx context.Context, tx store.ReadTx) (store.Pool, error) {
		return func(ctx context.Context, tx store.ReadTx) (store.Pool, error) { return tx.GetPool(ctx, id) }
	}
	_, err := read(t, s, getPool("us-east-1_missing"))
	wantErr(t, "GetPool of a missing pool", err, store.ErrNotFound)

	p := newPool("us-east-1_aaaaaaaaa")
	createPool(t, s, p.ID)
	equal(t, "GetPool", mustRead(t, s, getPool(p.ID)), p, normPool)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreatePool(ctx, p) })
	wantErr(t, "CreatePool twice", err, store.ErrAlreadyExists)

	changed := p
	changed.Name, changed.UpdatedAt, changed.Settings = "renamed", t0.Add(time.Hour), nil
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePool(ctx, changed) })
	want := changed
	want.Version = 1
	equal(t, "GetPool after UpdatePool", mustRead(t, s, getPool(p.ID)), want, normPool)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePool(ctx, changed) })
	wantErr(t, "UpdatePool with a stale version", err, store.ErrConflict)
	equal(t, "GetPool after a conflict", mustRead(t, s, getPool(p.ID)), want, normPool)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePool(ctx, newPool("us-east-1_missing")) })
	wantErr(t, "UpdatePool of a missing pool", err, store.ErrNotFound)

	createPool(t, s, "us-east-1_ccccccccc", "us-east-1_bbbbbbbbb", "eu-west-1_aaaaaaaaa")
	for _, limit := range []int{0, 1, 2, 3, 4, 5} {
		got := collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Pool, string, error) {
			return tx.ListPools(ctx, page)
		})
		wantKeys(t, fmt.Sprintf("ListPools, Limit %d", limit), keysOf(got, func(p store.Pool) string { return p.ID }),
			[]string{"eu-west-1_aaaaaaaaa", "us-east-1_aaaaaaaaa", "us-east-1_bbbbbbbbb", "us-east-1_ccccccccc"})
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePool(ctx, p.ID) })
	_, err = read(t, s, getPool(p.ID))
	wantErr(t, "GetPool after DeletePool", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeletePool(ctx, p.ID) })
	wantErr(t, "DeletePool twice", err, store.ErrNotFound)
}

func testClientCRUD(t *testing.T, s store.Store) {
	const pool = "us-east-1_clients"
	getClient := func(id string) func(ctx context.Context, tx store.ReadTx) (store.Client, error) {
		return func(ctx context.Context, tx store.ReadTx) (store.Client, error) { return tx.GetClient(ctx, pool, id) }
	}
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateClient(ctx, newClient(pool, "c1")) })
	wantErr(t, "CreateClient in a missing pool", err, store.ErrNotFound)

	createPool(t, s, pool, "us-east-1_other")
	c := newClient(pool, "c2")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, c := range []store.Client{c, newClient(pool, "c3"), newClient(pool, "c1"), newClient("us-east-1_other", "c0")} {
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	equal(t, "GetClient", mustRead(t, s, getClient("c2")), c, normClient)
	_, err = read(t, s, getClient("c0"))
	wantErr(t, "GetClient of another pool's client", err, store.ErrNotFound)
	findClient := func(id string) func(ctx context.Context, tx store.ReadTx) (store.Client, error) {
		return func(ctx context.Context, tx store.ReadTx) (store.Client, error) { return tx.FindClient(ctx, id) }
	}
	equal(t, "FindClient", mustRead(t, s, findClient("c2")), c, normClient)
	if got := mustRead(t, s, findClient("c0")); got.PoolID != "us-east-1_other" {
		t.Fatalf("FindClient(c0) found it in pool %q", got.PoolID)
	}
	_, err = read(t, s, findClient("nope"))
	wantErr(t, "FindClient of a missing client", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateClient(ctx, c) })
	wantErr(t, "CreateClient twice", err, store.ErrAlreadyExists)

	c.Name, c.Settings = "renamed", []byte(`{"secret":"resealed"}`)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateClient(ctx, c) })
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateClient(ctx, c) })
	wantErr(t, "UpdateClient with a stale version", err, store.ErrConflict)
	c.Version = 1
	equal(t, "GetClient after UpdateClient", mustRead(t, s, getClient("c2")), c, normClient)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateClient(ctx, newClient(pool, "c9")) })
	wantErr(t, "UpdateClient of a missing client", err, store.ErrNotFound)

	for _, limit := range []int{0, 1, 2, 3} {
		got := collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Client, string, error) {
			return tx.ListClients(ctx, pool, page)
		})
		wantKeys(t, "ListClients", keysOf(got, func(c store.Client) string { return c.ClientID }), []string{"c1", "c2", "c3"})
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteClient(ctx, pool, "c2") })
	_, err = read(t, s, getClient("c2"))
	wantErr(t, "GetClient after DeleteClient", err, store.ErrNotFound)
	_, err = read(t, s, findClient("c2"))
	wantErr(t, "FindClient after DeleteClient", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteClient(ctx, pool, "c2") })
	wantErr(t, "DeleteClient twice", err, store.ErrNotFound)
}

func testGroups(t *testing.T, s store.Store) {
	const pool = "us-east-1_groups"
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateGroup(ctx, newGroup(pool, "admins")) })
	wantErr(t, "CreateGroup in a missing pool", err, store.ErrNotFound)

	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"), newUser(pool, "ben"), newUser(pool, "cat"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, name := range []string{"readers", "admins", "writers"} {
			if err := tx.CreateGroup(ctx, newGroup(pool, name)); err != nil {
				return err
			}
		}
		return nil
	})
	getGroup := func(ctx context.Context, tx store.ReadTx) (store.Group, error) {
		return tx.GetGroup(ctx, pool, "admins")
	}
	g := newGroup(pool, "admins")
	equal(t, "GetGroup", mustRead(t, s, getGroup), g, normGroup)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateGroup(ctx, g) })
	wantErr(t, "CreateGroup twice", err, store.ErrAlreadyExists)

	g.Data, g.UpdatedAt = []byte(`{"Precedence":7}`), t0.Add(time.Hour)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, g) })
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, g) })
	wantErr(t, "UpdateGroup with a stale version", err, store.ErrConflict)
	g.Version = 1
	equal(t, "GetGroup after UpdateGroup", mustRead(t, s, getGroup), g, normGroup)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, newGroup(pool, "nobody")) })
	wantErr(t, "UpdateGroup of a missing group", err, store.ErrNotFound)

	groupNames := func(gs []store.Group) []string { return keysOf(gs, func(g store.Group) string { return g.Name }) }
	got := collect(t, s, 2, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Group, string, error) {
		return tx.ListGroups(ctx, pool, page)
	})
	wantKeys(t, "ListGroups", groupNames(got), []string{"admins", "readers", "writers"})

	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, m := range [][2]string{{"writers", "ann"}, {"admins", "ann"}, {"readers", "ann"}, {"readers", "cat"}, {"readers", "ben"}, {"readers", "ann"}} {
			if err := tx.AddMembership(ctx, pool, m[0], m[1]); err != nil {
				return fmt.Errorf("AddMembership %v: %w", m, err)
			}
		}
		return nil
	})
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddMembership(ctx, pool, "nobody", "ann") })
	wantErr(t, "AddMembership to a missing group", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddMembership(ctx, pool, "readers", "nobody") })
	wantErr(t, "AddMembership of a missing user", err, store.ErrNotFound)

	groupsOf := func(user string, limit int) []store.Group {
		return collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.Group, string, error) {
			return tx.ListGroupsForUser(ctx, pool, user, page)
		})
	}
	membersOf := func(group string, limit int) []string {
		return keysOf(collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.User, string, error) {
			return tx.ListUsersInGroup(ctx, pool, group, page)
		}), userKey)
	}
	annGroups := groupsOf("ann", 2)
	wantKeys(t, "ListGroupsForUser", groupNames(annGroups), []string{"admins", "readers", "writers"})
	equal(t, "ListGroupsForUser record", annGroups[0], g, normGroup)
	wantKeys(t, "ListGroupsForUser of a user in no group", groupNames(groupsOf("nobody", 0)), []string{})
	wantKeys(t, "ListUsersInGroup", membersOf("readers", 1), []string{"ann", "ben", "cat"})
	wantKeys(t, "ListUsersInGroup, no limit", membersOf("readers", 0), []string{"ann", "ben", "cat"})
	users := collect(t, s, 0, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.User, string, error) {
		return tx.ListUsersInGroup(ctx, pool, "admins", page)
	})
	equalAll(t, "ListUsersInGroup records", users, []store.User{newUser(pool, "ann")}, normUser)

	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for range 2 {
			if err := tx.RemoveMembership(ctx, pool, "readers", "ben"); err != nil {
				return err
			}
		}
		return tx.RemoveMembership(ctx, pool, "nobody", "nobody")
	})
	wantKeys(t, "ListUsersInGroup after RemoveMembership", membersOf("readers", 0), []string{"ann", "cat"})

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, pool, "readers") })
	wantKeys(t, "ListGroupsForUser after DeleteGroup", groupNames(groupsOf("ann", 0)), []string{"admins", "writers"})
	wantKeys(t, "ListUsersInGroup of a deleted group", membersOf("readers", 0), []string{})
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, pool, "readers") })
	wantErr(t, "DeleteGroup twice", err, store.ErrNotFound)

	// A new group of the same name starts empty.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateGroup(ctx, newGroup(pool, "readers")) })
	wantKeys(t, "members of a re-created group", membersOf("readers", 0), []string{})
}

func testImportJobs(t *testing.T, s store.Store) {
	const pool = "us-east-1_imports"
	job := func(id string, created time.Time) store.ImportJob {
		return store.ImportJob{PoolID: pool, JobID: id, CreatedAt: created, Data: []byte(`{"Status":"Created"}`)}
	}
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateImportJob(ctx, job("import-1", t0)) })
	wantErr(t, "CreateImportJob in a missing pool", err, store.ErrNotFound)

	createPool(t, s, pool)
	jobs := []store.ImportJob{
		job("import-c", t0.Add(2*time.Hour)),
		job("import-b", t0),
		job("import-a", t0.Add(time.Hour)),
		job("import-d", t0), // same time as import-b: ordered by ID
		job("import-0", t0.Add(3*time.Hour)),
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, j := range jobs {
			if err := tx.CreateImportJob(ctx, j); err != nil {
				return err
			}
		}
		return nil
	})
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateImportJob(ctx, jobs[0]) })
	wantErr(t, "CreateImportJob twice", err, store.ErrAlreadyExists)
	getJob := func(ctx context.Context, tx store.ReadTx) (store.ImportJob, error) {
		return tx.GetImportJob(ctx, pool, "import-c")
	}
	equal(t, "GetImportJob", mustRead(t, s, getJob), jobs[0], normJob)

	for _, limit := range []int{0, 1, 2, 5} {
		got := collect(t, s, limit, func(ctx context.Context, tx store.ReadTx, page store.Page) ([]store.ImportJob, string, error) {
			return tx.ListImportJobs(ctx, pool, page)
		})
		wantKeys(t, "ListImportJobs", keysOf(got, func(j store.ImportJob) string { return j.JobID }),
			[]string{"import-b", "import-d", "import-a", "import-c", "import-0"})
	}

	j := jobs[0]
	j.Data = []byte(`{"Status":"InProgress"}`)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateImportJob(ctx, j) })
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateImportJob(ctx, j) })
	wantErr(t, "UpdateImportJob with a stale version", err, store.ErrConflict)
	j.Version = 1
	equal(t, "GetImportJob after UpdateImportJob", mustRead(t, s, getJob), j, normJob)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateImportJob(ctx, job("import-x", t0)) })
	wantErr(t, "UpdateImportJob of a missing job", err, store.ErrNotFound)

	getCSV := func(ctx context.Context, tx store.ReadTx) ([]byte, error) {
		return tx.GetImportCSV(ctx, pool, "import-c")
	}
	_, err = read(t, s, getCSV)
	wantErr(t, "GetImportCSV before PutImportCSV", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutImportCSV(ctx, pool, "import-x", []byte("a"))
	})
	wantErr(t, "PutImportCSV of a missing job", err, store.ErrNotFound)

	body := []byte("cognito:username,email\nann,ann@example.com\n")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutImportCSV(ctx, pool, "import-c", body) })
	if got := mustRead(t, s, getCSV); string(got) != string(body) {
		t.Fatalf("GetImportCSV = %q, want %q", got, body)
	}
	body2 := []byte("cognito:username\nben\n")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutImportCSV(ctx, pool, "import-c", body2) })
	if got := mustRead(t, s, getCSV); string(got) != string(body2) {
		t.Fatalf("GetImportCSV after a second PutImportCSV = %q, want %q", got, body2)
	}
}
