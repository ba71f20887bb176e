package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/pool/store"
)

var errRollback = errors.New("conformance: roll back")

func testUpdateRollback(t *testing.T, s store.Store) {
	const pool = "us-east-1_rollback"
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"))
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateClient(ctx, newClient(pool, "client")) })

	writeEverything := func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPool(ctx, pool)
		if err != nil {
			return err
		}
		p.Name = "changed"
		u := newUser(pool, "ann")
		u.Attributes = nil
		u.Aliases = []store.Alias{{Kind: "email", Key: "new@example.com"}}
		steps := []func() error{
			func() error { return tx.UpdatePool(ctx, p) },
			func() error { return tx.CreatePool(ctx, newPool("us-east-1_new")) },
			func() error { return tx.DeleteClient(ctx, pool, "client") },
			func() error { return tx.UpdateUser(ctx, u) },
			func() error { return tx.CreateUser(ctx, newUser(pool, "ben")) },
			func() error { return tx.CreateGroup(ctx, newGroup(pool, "g")) },
			func() error { return tx.AddMembership(ctx, pool, "g", "ann") },
			func() error {
				_, err := tx.AppendMessage(ctx, store.Message{PoolID: pool, Username: "ann", ExpiresAt: t0.Add(time.Hour)})
				return err
			},
			func() error {
				return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: pool, Namespace: "n", Key: "k", ExpiresAt: t0.Add(time.Hour)})
			},
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
		}
		return nil
	}
	checkUnchanged := func(what string) {
		t.Helper()
		view(t, s, func(ctx context.Context, tx store.ReadTx) error {
			p, err := tx.GetPool(ctx, pool)
			wantNoErr(t, what+": GetPool", err)
			equal(t, what+": pool", p, newPool(pool), normPool)
			u, err := tx.GetUser(ctx, pool, "ann")
			wantNoErr(t, what+": GetUser", err)
			equal(t, what+": user", u, newUser(pool, "ann"), normUser)
			_, err = tx.GetUserByAlias(ctx, pool, store.Alias{Kind: "email", Key: "ann@example.com"})
			wantNoErr(t, what+": alias", err)
			_, err = tx.GetClient(ctx, pool, "client")
			wantNoErr(t, what+": GetClient", err)
			for what2, err := range map[string]error{
				"new pool": func() error { _, err := tx.GetPool(ctx, "us-east-1_new"); return err }(),
				"new user": func() error { _, err := tx.GetUser(ctx, pool, "ben"); return err }(),
				"new alias": func() error {
					_, err := tx.GetUserByAlias(ctx, pool, store.Alias{Kind: "email", Key: "new@example.com"})
					return err
				}(),
				"new group": func() error { _, err := tx.GetGroup(ctx, pool, "g"); return err }(),
				"ephemeral": func() error { _, err := tx.GetEphemeral(ctx, "n", "k", t0); return err }(),
			} {
				wantErr(t, what+": "+what2, err, store.ErrNotFound)
			}
			msgs, err := tx.ListMessages(ctx, store.MessageFilter{}, 0)
			wantNoErr(t, what+": ListMessages", err)
			if len(msgs) != 0 {
				t.Fatalf("%s: messages %+v", what, msgs)
			}
			return nil
		})
	}

	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := writeEverything(ctx, tx); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, "Update whose function fails", err, errRollback)
	checkUnchanged("after a failed Update")

	func() {
		defer func() {
			if r := recover(); r != "conformance panic" {
				t.Fatalf("recovered %v, want the function's panic", r)
			}
		}()
		_ = updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := writeEverything(ctx, tx); err != nil {
				return err
			}
			panic("conformance panic")
		})
	}()
	checkUnchanged("after a panicking Update")
}

// testFailedWriteKeepsTransaction: the function may handle a write's error and go on; what it
// wrote before and after the failed write is kept, the failed write left nothing behind.
func testFailedWriteKeepsTransaction(t *testing.T, s store.Store) {
	const pool = "us-east-1_recover"
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"))
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser(pool, "ben")); err != nil {
			return err
		}
		dup := newUser(pool, "ann")
		dup.Sub, dup.Aliases = "sub-other", nil
		if err := tx.CreateUser(ctx, dup); !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("CreateUser of a taken key: %v", err)
		}
		taken := newUser(pool, "cat")
		taken.Aliases = append(taken.Aliases, store.Alias{Kind: "email", Key: "ann@example.com"})
		if err := tx.CreateUser(ctx, taken); !errors.Is(err, store.ErrAliasExists) {
			return fmt.Errorf("CreateUser with a taken alias: %v", err)
		}
		if err := tx.CreatePool(ctx, newPool(pool)); !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("CreatePool of a taken ID: %v", err)
		}
		stale := newUser(pool, "ann")
		stale.Version = 5
		if err := tx.UpdateUser(ctx, stale); !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("UpdateUser with a stale version: %v", err)
		}
		if err := tx.AddMembership(ctx, pool, "nobody", "ann"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("AddMembership to a missing group: %v", err)
		}
		return tx.CreateUser(ctx, newUser(pool, "dan"))
	})
	view(t, s, func(ctx context.Context, tx store.ReadTx) error {
		for key, want := range map[string]error{"ann": nil, "ben": nil, "cat": store.ErrNotFound, "dan": nil} {
			_, err := tx.GetUser(ctx, pool, key)
			if !errors.Is(err, want) {
				t.Fatalf("GetUser(%s) = %v, want %v", key, err, want)
			}
		}
		_, err := tx.GetUserByAlias(ctx, pool, store.Alias{Kind: "email", Key: "cat@example.com"})
		wantErr(t, "alias of the failed create", err, store.ErrNotFound)
		return nil
	})
}

// testConcurrentReadModifyWrite: writers that each read a counter and write it back plus one,
// guarded by the version, lose no increment; Update absorbs the conflicts.
func testConcurrentReadModifyWrite(t *testing.T, s store.Store) {
	const pool, writers = "us-east-1_counter", 8
	createPool(t, s, pool)
	createUsers(t, s, newUser(pool, "ann"))
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			errs <- s.Update(t.Context(), func(tx store.Tx) error {
				u, err := tx.GetUser(t.Context(), pool, "ann")
				if err != nil {
					return err
				}
				var st struct{ N int }
				if err := json.Unmarshal(u.State, &st); err != nil {
					return err
				}
				st.N++
				u.State, _ = json.Marshal(st)
				return tx.UpdateUser(t.Context(), u)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		wantNoErr(t, "concurrent Update", err)
	}
	u := mustRead(t, s, getUser(pool, "ann"))
	var st struct{ N int }
	if err := json.Unmarshal(u.State, &st); err != nil {
		t.Fatal(err)
	}
	if st.N != writers || u.Version != writers {
		t.Fatalf("after %d increments: counter %d, version %d", writers, st.N, u.Version)
	}
}

// testConcurrentCreate: of two creates of one username, exactly one wins.
func testConcurrentCreate(t *testing.T, s store.Store) {
	const pool = "us-east-1_race"
	createPool(t, s, pool)
	for round := range 5 {
		key := fmt.Sprintf("user-%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() {
				u := newUser(pool, key)
				u.Sub = fmt.Sprintf("sub-%d-%d", round, i)
				u.Aliases = nil
				errs[i] = s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateUser(t.Context(), u) })
			})
		}
		wg.Wait()
		won, lost := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, store.ErrAlreadyExists):
				lost++
			default:
				t.Fatalf("concurrent CreateUser: %v", err)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("concurrent CreateUser: %d succeeded, %d already existed", won, lost)
		}
	}
}

// testConcurrentTake: a single-use record is taken exactly once.
func testConcurrentTake(t *testing.T, s store.Store) {
	const takers = 4
	for round := range 5 {
		key := fmt.Sprint(round)
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.PutEphemeral(ctx, store.Ephemeral{Namespace: "codes", Key: key, Value: []byte("v"), ExpiresAt: t0.Add(time.Hour)})
		})
		var wg sync.WaitGroup
		errs := make([]error, takers)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.Update(t.Context(), func(tx store.Tx) error {
					_, err := tx.TakeEphemeral(t.Context(), "codes", key, t0)
					return err
				})
			})
		}
		wg.Wait()
		took := 0
		for _, err := range errs {
			switch {
			case err == nil:
				took++
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("concurrent TakeEphemeral: %v", err)
			}
		}
		if took != 1 {
			t.Fatalf("%d of %d concurrent TakeEphemeral calls got the record", took, takers)
		}
	}
}
