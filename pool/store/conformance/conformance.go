package conformance

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// RunTests runs the suite. newStore must return an empty store that nothing else uses and
// arrange (with t.Cleanup) for it to be closed.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"PoolCRUD", testPoolCRUD},
		{"ClientCRUD", testClientCRUD},
		{"UserCRUD", testUserCRUD},
		{"UserUniqueness", testUserUniqueness},
		{"Aliases", testAliases},
		{"UserVersionConflict", testUserVersionConflict},
		{"RecordsAreCopied", testRecordsAreCopied},
		{"ListUsersFilters", testListUsersFilters},
		{"ListUsersPagination", testListUsersPagination},
		{"BadCursor", testBadCursor},
		{"Groups", testGroups},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"DeletePoolCascades", testDeletePoolCascades},
		{"ImportJobs", testImportJobs},
		{"Messages", testMessages},
		{"Ephemeral", testEphemeral},
		{"Cleanup", testCleanup},
		{"UpdateRollback", testUpdateRollback},
		{"FailedWriteKeepsTransaction", testFailedWriteKeepsTransaction},
		{"ConcurrentReadModifyWrite", testConcurrentReadModifyWrite},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentTake", testConcurrentTake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.run(t, s)
		})
	}
}

// t0 has nanoseconds, which backends may drop below the microsecond.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)

// Helpers. They report the caller's line.

func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// updateErr runs fn in its own Update and returns what Update returned.
func updateErr(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	ctx := t.Context()
	return s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

func view(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.ReadTx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(tx store.ReadTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// read returns what get returns inside a View.
func read[T any](t *testing.T, s store.Store, get func(ctx context.Context, tx store.ReadTx) (T, error)) (T, error) {
	t.Helper()
	var v T
	var getErr error
	view(t, s, func(ctx context.Context, tx store.ReadTx) error {
		v, getErr = get(ctx, tx)
		return nil
	})
	return v, getErr
}

func mustRead[T any](t *testing.T, s store.Store, get func(ctx context.Context, tx store.ReadTx) (T, error)) T {
	t.Helper()
	v, err := read(t, s, get)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return v
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// equal compares got and want after norm, which makes the representations every backend may
// choose (time zone, sub-microsecond digits, nil or empty) the same.
func equal[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func equalAll[T any](t *testing.T, what string, got, want []T, norm func(T) T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d records, want %d:\n got %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		equal(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i], norm)
	}
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func normPool(p store.Pool) store.Pool {
	p.CreatedAt, p.UpdatedAt, p.Settings = normTime(p.CreatedAt), normTime(p.UpdatedAt), nilIfEmpty(p.Settings)
	return p
}

func normClient(c store.Client) store.Client {
	c.CreatedAt, c.UpdatedAt, c.Settings = normTime(c.CreatedAt), normTime(c.UpdatedAt), nilIfEmpty(c.Settings)
	return c
}

func normUser(u store.User) store.User {
	u.CreatedAt, u.UpdatedAt = normTime(u.CreatedAt), normTime(u.UpdatedAt)
	u.Attributes, u.Aliases, u.State = nilIfEmpty(u.Attributes), nilIfEmpty(u.Aliases), nilIfEmpty(u.State)
	return u
}

func normGroup(g store.Group) store.Group {
	g.CreatedAt, g.UpdatedAt, g.Data = normTime(g.CreatedAt), normTime(g.UpdatedAt), nilIfEmpty(g.Data)
	return g
}

func normJob(j store.ImportJob) store.ImportJob {
	j.CreatedAt, j.Data = normTime(j.CreatedAt), nilIfEmpty(j.Data)
	return j
}

func normMessage(m store.Message) store.Message {
	m.Time, m.ExpiresAt, m.UserKeys = normTime(m.Time), normTime(m.ExpiresAt), nilIfEmpty(m.UserKeys)
	return m
}

func normEphemeral(e store.Ephemeral) store.Ephemeral {
	e.ExpiresAt, e.Value = normTime(e.ExpiresAt), nilIfEmpty(e.Value)
	return e
}

// Fixtures.

func newPool(id string) store.Pool {
	return store.Pool{
		ID: id, Name: "pool " + id, CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
		Settings: []byte(`{"MfaConfiguration":"OFF"}`),
	}
}

func newClient(poolID, id string) store.Client {
	return store.Client{
		PoolID: poolID, ClientID: id, Name: "client " + id, CreatedAt: t0, UpdatedAt: t0,
		Settings: []byte(`{"secret":"sealed"}`),
	}
}

// newUser makes a confirmed, enabled user whose e-mail (key@example.com) is also an alias.
func newUser(poolID, key string) store.User {
	email := key + "@example.com"
	return store.User{
		PoolID: poolID, Username: key, UsernameKey: key, Sub: "sub-" + key,
		Status: "CONFIRMED", Enabled: true,
		Attributes: []store.Attribute{
			{Name: "email", Value: email},
			{Name: "email_verified", Value: "true"},
			{Name: "custom:tier", Value: "gold"},
		},
		Aliases:      []store.Alias{{Kind: "email", Key: email}},
		PasswordHash: "hash-" + key,
		CreatedAt:    t0.In(time.FixedZone("X", 3600)),
		UpdatedAt:    t0.Add(time.Minute),
		State:        []byte(`{"n":0}`),
	}
}

func newGroup(poolID, name string) store.Group {
	return store.Group{PoolID: poolID, Name: name, CreatedAt: t0, UpdatedAt: t0, Data: []byte(`{"Precedence":1}`)}
}

func createPool(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range ids {
			if err := tx.CreatePool(ctx, newPool(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func createUsers(t *testing.T, s store.Store, users ...store.User) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range users {
			if err := tx.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create %s: %w", u.UsernameKey, err)
			}
		}
		return nil
	})
}

// collect pages through list with the given page size and checks that only the last page has
// an empty cursor and no page is larger than the limit.
func collect[T any](t *testing.T, s store.Store, limit int,
	list func(ctx context.Context, tx store.ReadTx, page store.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	page := store.Page{Limit: limit}
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("paging does not end")
		}
		var items []T
		var next string
		view(t, s, func(ctx context.Context, tx store.ReadTx) error {
			var err error
			items, next, err = list(ctx, tx, page)
			return err
		})
		if limit > 0 && len(items) > limit {
			t.Fatalf("page of %d items with Limit %d", len(items), limit)
		}
		if next != "" && len(items) == 0 {
			t.Fatal("an empty page has a next cursor")
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		page.After = next
	}
}

func keysOf[T any](items []T, key func(T) string) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = key(v)
	}
	return out
}

func wantKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func userKey(u store.User) string { return u.UsernameKey }
