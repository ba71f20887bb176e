package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashless/hashless/pool/store"
)

func listMessages(t *testing.T, s store.Store, f store.MessageFilter, limit int) []store.Message {
	t.Helper()
	return mustRead(t, s, func(ctx context.Context, tx store.ReadTx) ([]store.Message, error) {
		return tx.ListMessages(ctx, f, limit)
	})
}

func messageIDs(ms []store.Message) []string {
	return keysOf(ms, func(m store.Message) string { return fmt.Sprint(m.ID) })
}

func testMessages(t *testing.T, s store.Store) {
	const p1, p2 = "us-east-1_mail", "us-east-1_sms"
	msg := func(pool, user string, keys []string, dest, kind string) store.Message {
		return store.Message{
			PoolID: pool, Username: user, UserKeys: keys, Destination: dest, Medium: "EMAIL", Kind: kind,
			Code: "123456", Body: "Your code is 123456", Time: t0, ExpiresAt: t0.Add(24 * time.Hour),
		}
	}
	msgs := []store.Message{
		msg(p1, "ann", []string{"sub-ann", "ann@example.com"}, "ann@example.com", "SIGNUP"),
		msg(p1, "ben", []string{"sub-ben"}, "ben@example.com", "SIGNUP"),
		msg(p2, "ann", []string{"sub-ann2"}, "+15550100", "MFA"),
		msg(p1, "ann", []string{"sub-ann", "ann@example.com", "sub-ann"}, "ann@example.com", "FORGOT_PASSWORD"),
		msg(p1, "cat", nil, "cat@example.com", "INVITATION"),
		msg(p1, "sub-ann", nil, "dan@example.com", "SIGNUP"), // a username that is another user's key
	}
	msgs[2].Medium = "SMS"
	var last int64
	for i := range msgs {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			id, err := tx.AppendMessage(ctx, msgs[i])
			if err != nil {
				return err
			}
			if id <= last {
				return fmt.Errorf("AppendMessage returned ID %d after %d", id, last)
			}
			msgs[i].ID, last = id, id
			return nil
		})
	}
	// A message appended in a transaction that rolls back is never seen. (Its ID may be handed
	// out again: no reader saw it.)
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppendMessage(ctx, msg(p1, "eve", nil, "eve@example.com", "SIGNUP"))
		if err == nil {
			err = errRollback
		}
		return err
	})
	wantErr(t, "Update that rolls back", err, errRollback)

	all := listMessages(t, s, store.MessageFilter{}, 0)
	equalAll(t, "ListMessages", all, msgs, normMessage)

	ids := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, fmt.Sprint(msgs[i].ID))
		}
		return out
	}
	cases := []struct {
		f     store.MessageFilter
		limit int
		want  []string
	}{
		{store.MessageFilter{PoolID: p1}, 0, ids(0, 1, 3, 4, 5)},
		{store.MessageFilter{PoolID: p2}, 0, ids(2)},
		{store.MessageFilter{User: "ann"}, 0, ids(0, 2, 3)},
		{store.MessageFilter{User: "sub-ann"}, 0, ids(0, 3, 5)},
		{store.MessageFilter{User: "ann@example.com"}, 0, ids(0, 3)},
		{store.MessageFilter{User: "sub-ann2", PoolID: p2}, 0, ids(2)},
		{store.MessageFilter{User: "sub-ann2", PoolID: p1}, 0, nil},
		{store.MessageFilter{Destination: "ann@example.com"}, 0, ids(0, 3)},
		{store.MessageFilter{Kind: "SIGNUP"}, 0, ids(0, 1, 5)},
		{store.MessageFilter{Kind: "SIGNUP", PoolID: p1, User: "ann"}, 0, ids(0)},
		{store.MessageFilter{AfterID: msgs[2].ID}, 0, ids(3, 4, 5)},
		{store.MessageFilter{AfterID: msgs[2].ID, User: "ann"}, 0, ids(3)},
		{store.MessageFilter{AfterID: msgs[5].ID}, 0, nil},
		{store.MessageFilter{}, 2, ids(0, 1)},
		{store.MessageFilter{AfterID: msgs[1].ID}, 2, ids(2, 3)},
		{store.MessageFilter{User: "nobody"}, 0, nil},
	}
	for _, c := range cases {
		wantKeys(t, fmt.Sprintf("ListMessages %+v limit %d", c.f, c.limit), messageIDs(listMessages(t, s, c.f, c.limit)), c.want)
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error {
		id, err := tx.AppendMessage(ctx, msg(p1, "fay", nil, "fay@example.com", "SIGNUP"))
		if err == nil && id <= last {
			err = fmt.Errorf("AppendMessage after a rollback returned ID %d, not above the last committed %d", id, last)
		}
		return err
	})
}

func getEphemeral(ns, key string, now time.Time) func(ctx context.Context, tx store.ReadTx) (store.Ephemeral, error) {
	return func(ctx context.Context, tx store.ReadTx) (store.Ephemeral, error) {
		return tx.GetEphemeral(ctx, ns, key, now)
	}
}

func takeEphemeral(t *testing.T, s store.Store, ns, key string, now time.Time) (store.Ephemeral, error) {
	t.Helper()
	var e store.Ephemeral
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		e, err = tx.TakeEphemeral(ctx, ns, key, now)
		return err
	})
	return e, err
}

func testEphemeral(t *testing.T, s store.Store) {
	const pool = "us-east-1_eph"
	exp := t0.Add(5 * time.Minute)
	e := store.Ephemeral{PoolID: pool, Namespace: "codes", Key: "ann", Value: []byte(`{"code":"1"}`), ExpiresAt: exp}
	other := e
	other.Namespace, other.Value = "challenges", []byte("other")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutEphemeral(ctx, e); err != nil {
			return err
		}
		return tx.PutEphemeral(ctx, other)
	})
	equal(t, "GetEphemeral", mustRead(t, s, getEphemeral("codes", "ann", t0)), e, normEphemeral)
	equal(t, "GetEphemeral in another namespace", mustRead(t, s, getEphemeral("challenges", "ann", t0)), other, normEphemeral)
	_, err := read(t, s, getEphemeral("codes", "ann", exp))
	wantErr(t, "GetEphemeral at ExpiresAt", err, store.ErrNotFound)
	_, err = read(t, s, getEphemeral("codes", "nobody", t0))
	wantErr(t, "GetEphemeral of a missing key", err, store.ErrNotFound)

	e.Value, e.ExpiresAt = []byte(`{"code":"2"}`), exp.Add(time.Minute)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutEphemeral(ctx, e) })
	equal(t, "GetEphemeral after a second PutEphemeral", mustRead(t, s, getEphemeral("codes", "ann", exp)), e, normEphemeral)

	got, err := takeEphemeral(t, s, "codes", "ann", t0)
	wantNoErr(t, "TakeEphemeral", err)
	equal(t, "TakeEphemeral", got, e, normEphemeral)
	_, err = takeEphemeral(t, s, "codes", "ann", t0)
	wantErr(t, "TakeEphemeral twice", err, store.ErrNotFound)
	_, err = read(t, s, getEphemeral("codes", "ann", t0))
	wantErr(t, "GetEphemeral after TakeEphemeral", err, store.ErrNotFound)

	_, err = takeEphemeral(t, s, "challenges", "ann", exp.Add(time.Second))
	wantErr(t, "TakeEphemeral of an expired record", err, store.ErrNotFound)
	equal(t, "an expired record is only gone for readers", mustRead(t, s, getEphemeral("challenges", "ann", t0)), other, normEphemeral)

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteEphemeral(ctx, "challenges", "ann") })
	_, err = read(t, s, getEphemeral("challenges", "ann", t0))
	wantErr(t, "GetEphemeral after DeleteEphemeral", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteEphemeral(ctx, "challenges", "ann") })
	wantErr(t, "DeleteEphemeral twice", err, store.ErrNotFound)

	// Namespaces and keys are opaque: any bytes, the empty string included.
	odd := []store.Ephemeral{
		{Namespace: "a\x00b", Key: "c", Value: []byte("1"), ExpiresAt: exp},
		{Namespace: "a", Key: "\x00bc", Value: []byte("2"), ExpiresAt: exp},
		{Namespace: "a", Key: "\xff\xfe|", Value: []byte("3"), ExpiresAt: exp},
		{Namespace: "", Key: "", Value: []byte("4"), ExpiresAt: exp},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, e := range odd {
			if err := tx.PutEphemeral(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	for _, e := range odd {
		equal(t, fmt.Sprintf("GetEphemeral(%q, %q)", e.Namespace, e.Key),
			mustRead(t, s, getEphemeral(e.Namespace, e.Key, t0)), e, normEphemeral)
	}
	got, err = takeEphemeral(t, s, odd[1].Namespace, odd[1].Key, t0)
	wantNoErr(t, "TakeEphemeral of a binary key", err)
	equal(t, "TakeEphemeral of a binary key", got, odd[1], normEphemeral)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.DeleteEphemeral(ctx, odd[2].Namespace, odd[2].Key)
	})
	_, err = read(t, s, getEphemeral(odd[2].Namespace, odd[2].Key, t0))
	wantErr(t, "GetEphemeral of a deleted binary key", err, store.ErrNotFound)

	// A record without a value or pool round-trips.
	bare := store.Ephemeral{Namespace: "revoked", Key: "jti", ExpiresAt: exp}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutEphemeral(ctx, bare) })
	equal(t, "GetEphemeral of a bare record", mustRead(t, s, getEphemeral("revoked", "jti", t0)), bare, normEphemeral)
}

func testCleanup(t *testing.T, s store.Store) {
	const pool = "us-east-1_cleanup"
	now := t0.Add(48 * time.Hour)
	createPool(t, s, pool)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, exp := range []time.Time{now.Add(-time.Second), now, now.Add(time.Nanosecond * 1000), now.Add(time.Hour)} {
			err := tx.PutEphemeral(ctx, store.Ephemeral{PoolID: pool, Namespace: "codes", Key: fmt.Sprint(i), ExpiresAt: exp})
			if err != nil {
				return err
			}
		}
		for _, exp := range []time.Time{now.Add(-time.Hour), now.Add(time.Hour)} {
			if _, err := tx.AppendMessage(ctx, store.Message{PoolID: pool, Username: "ann", ExpiresAt: exp}); err != nil {
				return err
			}
		}
		for id, created := range map[string]time.Time{"old": now.Add(-25 * time.Hour), "new": now.Add(-23 * time.Hour)} {
			if err := tx.CreateImportJob(ctx, store.ImportJob{PoolID: pool, JobID: id, CreatedAt: created}); err != nil {
				return err
			}
			if err := tx.PutImportCSV(ctx, pool, id, []byte("csv")); err != nil {
				return err
			}
		}
		return nil
	})

	n, err := s.Cleanup(t.Context(), now)
	wantNoErr(t, "Cleanup", err)
	if n != 4 {
		t.Fatalf("Cleanup deleted %d records, want 4 (2 ephemeral, 1 message, 1 CSV body)", n)
	}
	view(t, s, func(ctx context.Context, tx store.ReadTx) error {
		// Read as of long ago, so that only deletion hides a record.
		past := t0.Add(-time.Hour)
		for i, want := range []bool{false, false, true, true} {
			_, err := tx.GetEphemeral(ctx, "codes", fmt.Sprint(i), past)
			if want {
				wantNoErr(t, fmt.Sprintf("ephemeral %d after Cleanup", i), err)
			} else {
				wantErr(t, fmt.Sprintf("ephemeral %d after Cleanup", i), err, store.ErrNotFound)
			}
		}
		msgs, err := tx.ListMessages(ctx, store.MessageFilter{PoolID: pool}, 0)
		wantNoErr(t, "ListMessages", err)
		if len(msgs) != 1 || !msgs[0].ExpiresAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("messages after Cleanup: %+v", msgs)
		}
		_, err = tx.GetImportCSV(ctx, pool, "old")
		wantErr(t, "CSV body of an old job after Cleanup", err, store.ErrNotFound)
		_, err = tx.GetImportCSV(ctx, pool, "new")
		wantNoErr(t, "CSV body of a recent job after Cleanup", err)
		_, err = tx.GetImportJob(ctx, pool, "old")
		wantNoErr(t, "an old job after Cleanup", err)
		return nil
	})

	n, err = s.Cleanup(t.Context(), now)
	wantNoErr(t, "Cleanup again", err)
	if n != 0 {
		t.Fatalf("a second Cleanup deleted %d records", n)
	}
}
