package conformance

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// testCreateSession: a session reads back by its token hash as written; IDs and token hashes
// are unique.
func testCreateSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession("s1", "c1", t0)
	sess.LastSeenAt = t0.Add(time.Minute)
	sess.Kind = "bearer"
	mustCreateSession(t, s, sess)

	got := mustSession(t, s, "s1")
	equal(t, "SessionByTokenHash", got, sess, normSession)
	wantUTC(t, "SessionByTokenHash", got.CreatedAt, got.LastSeenAt, got.ExpiresAt)

	// A real SHA-256 works as well as the fixtures' hashes.
	hashed := newSession("s2", "c1", t0)
	sum := sha256.Sum256([]byte("token"))
	hashed.TokenHash = sum[:]
	mustCreateSession(t, s, hashed)
	got, err := s.SessionByTokenHash(ctx, sum[:])
	wantNoErr(t, "SessionByTokenHash of a SHA-256", err)
	equal(t, "SessionByTokenHash of a SHA-256", got, hashed, normSession)

	_, err = s.SessionByTokenHash(ctx, tokenHash("missing"))
	wantErr(t, "SessionByTokenHash of an unknown hash", err, store.ErrNotFound)
	_, err = s.SessionByTokenHash(ctx, tokenHash("s1")[:31])
	wantErr(t, "SessionByTokenHash of a prefix", err, store.ErrNotFound)

	sameID := newSession("s1", "c2", t0)
	sameID.TokenHash = tokenHash("other")
	wantErr(t, "CreateSession with a taken ID", s.CreateSession(ctx, sameID), store.ErrDuplicateID)
	sameHash := newSession("s3", "c2", t0)
	sameHash.TokenHash = tokenHash("s1")
	wantErr(t, "CreateSession with a taken token hash", s.CreateSession(ctx, sameHash), store.ErrDuplicateID)
	// Neither refused session left anything behind.
	_, err = s.SessionByTokenHash(ctx, tokenHash("other"))
	wantErr(t, "SessionByTokenHash after a refused create", err, store.ErrNotFound)
	wantIDs(t, "sessions of c2", listSessions(t, s, "c2"), nil)
	equal(t, "session after refused duplicates", mustSession(t, s, "s1"), sess, normSession)
}

// testTouchSession: LastSeenAt only moves forward, and nothing else changes.
func testTouchSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession("s1", "c1", t0)
	mustCreateSession(t, s, sess, newSession("s2", "c1", t0))

	later := t0.Add(time.Hour)
	wantNoErr(t, "TouchSession forward", s.TouchSession(ctx, "s1", later))
	want := sess
	want.LastSeenAt = later
	got := mustSession(t, s, "s1")
	equal(t, "after TouchSession forward", got, want, normSession)
	wantUTC(t, "after TouchSession", got.LastSeenAt)

	wantNoErr(t, "TouchSession backward", s.TouchSession(ctx, "s1", t0.Add(time.Minute)))
	equal(t, "after TouchSession backward", mustSession(t, s, "s1"), want, normSession)
	wantNoErr(t, "TouchSession to the same time", s.TouchSession(ctx, "s1", later))
	equal(t, "after TouchSession to the same time", mustSession(t, s, "s1"), want, normSession)

	// A microsecond is enough to move.
	want.LastSeenAt = normTime(later).Add(time.Microsecond)
	wantNoErr(t, "TouchSession one microsecond on", s.TouchSession(ctx, "s1", want.LastSeenAt))
	equal(t, "after TouchSession one microsecond on", mustSession(t, s, "s1"), want, normSession)

	// The other session did not move.
	equal(t, "untouched session", mustSession(t, s, "s2"), newSession("s2", "c1", t0), normSession)

	wantErr(t, "TouchSession of a missing session", s.TouchSession(ctx, "missing", later), store.ErrNotFound)
	_, err := s.DeleteSessions(ctx, "c1", "")
	wantNoErr(t, "DeleteSessions", err)
	wantErr(t, "TouchSession of a deleted session", s.TouchSession(ctx, "s1", later.Add(time.Hour)), store.ErrNotFound)
}

// testListSessions: a customer's sessions, newest first, ties broken by ID (also
// descending), and no one else's.
func testListSessions(t *testing.T, s store.Store) {
	mustCreateSession(t, s,
		newSession("s-old", "c1", t0),
		newSession("s-new", "c1", t0.Add(2*time.Hour)),
		newSession("s-mid", "c1", t0.Add(time.Hour)),
		newSession("s-tie-a", "c1", t0.Add(time.Hour)),
		newSession("s-other", "c2", t0.Add(3*time.Hour)),
	)
	wantIDs(t, "ListSessions c1", listSessions(t, s, "c1"), []string{"s-new", "s-tie-a", "s-mid", "s-old"})
	wantIDs(t, "ListSessions c2", listSessions(t, s, "c2"), []string{"s-other"})
	wantIDs(t, "ListSessions of a customer without sessions", listSessions(t, s, "c3"), nil)

	ss, err := s.ListSessions(t.Context(), "c1")
	wantNoErr(t, "ListSessions", err)
	equal(t, "listed session", ss[0], newSession("s-new", "c1", t0.Add(2*time.Hour)), normSession)
	wantUTC(t, "listed session", ss[0].CreatedAt, ss[0].LastSeenAt, ss[0].ExpiresAt)
}

// testDeleteSession: a customer can end only their own sessions.
func testDeleteSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateSession(t, s, newSession("s1", "c1", t0), newSession("s2", "c1", t0), newSession("s3", "c2", t0))

	wantErr(t, "DeleteSession of another customer's session", s.DeleteSession(ctx, "c1", "s3"), store.ErrNotFound)
	mustSession(t, s, "s3")
	wantErr(t, "DeleteSession of a missing session", s.DeleteSession(ctx, "c1", "missing"), store.ErrNotFound)

	wantNoErr(t, "DeleteSession", s.DeleteSession(ctx, "c1", "s1"))
	_, err := s.SessionByTokenHash(ctx, tokenHash("s1"))
	wantErr(t, "SessionByTokenHash after DeleteSession", err, store.ErrNotFound)
	wantErr(t, "DeleteSession again", s.DeleteSession(ctx, "c1", "s1"), store.ErrNotFound)
	wantIDs(t, "sessions of c1", listSessions(t, s, "c1"), []string{"s2"})
	wantIDs(t, "sessions of c2", listSessions(t, s, "c2"), []string{"s3"})

	// ID and token hash are free again.
	mustCreateSession(t, s, newSession("s1", "c2", t0))
}

// testDeleteSessions: ending all of a customer's sessions, or all but one, counts what ended
// and touches no other customer.
func testDeleteSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateSession(t, s,
		newSession("a1", "c1", t0), newSession("a2", "c1", t0.Add(time.Minute)), newSession("a3", "c1", t0.Add(2*time.Minute)),
		newSession("b1", "c2", t0), newSession("b2", "c2", t0),
	)
	n, err := s.DeleteSessions(ctx, "c1", "a2")
	wantNoErr(t, "DeleteSessions except a2", err)
	if n != 2 {
		t.Fatalf("DeleteSessions except a2 ended %d sessions, want 2", n)
	}
	wantIDs(t, "sessions of c1", listSessions(t, s, "c1"), []string{"a2"})
	n, err = s.DeleteSessions(ctx, "c1", "a2")
	wantNoErr(t, "DeleteSessions except a2 again", err)
	if n != 0 {
		t.Fatalf("DeleteSessions again ended %d sessions, want 0", n)
	}

	// An except that names another customer's session protects nothing of this one.
	n, err = s.DeleteSessions(ctx, "c1", "b1")
	wantNoErr(t, "DeleteSessions except another's session", err)
	if n != 1 {
		t.Fatalf("DeleteSessions except another's session ended %d, want 1", n)
	}
	wantIDs(t, "sessions of c2", listSessions(t, s, "c2"), []string{"b2", "b1"})

	n, err = s.DeleteSessions(ctx, "c2", "")
	wantNoErr(t, "DeleteSessions all", err)
	if n != 2 {
		t.Fatalf("DeleteSessions all ended %d, want 2", n)
	}
	for _, id := range []string{"a1", "a2", "a3", "b1", "b2"} {
		_, err := s.SessionByTokenHash(ctx, tokenHash(id))
		wantErr(t, "SessionByTokenHash "+id, err, store.ErrNotFound)
	}
	n, err = s.DeleteSessions(ctx, "nobody", "")
	wantNoErr(t, "DeleteSessions of a customer without sessions", err)
	if n != 0 {
		t.Fatalf("DeleteSessions of nobody ended %d", n)
	}
}

// testDeleteExpiredSessions: a session goes when its ExpiresAt is before now or its
// LastSeenAt before the idle cutoff; a time equal to the bound is not before it.
func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := t0.Add(48 * time.Hour)
	idle := now.Add(-time.Hour)
	mk := func(id string, lastSeen, expires time.Time) store.Session {
		sess := newSession(id, "c1", t0)
		sess.LastSeenAt, sess.ExpiresAt = lastSeen, expires
		return sess
	}
	mustCreateSession(t, s,
		mk("expired", now, now.Add(-time.Second)),
		mk("expired-us", now, normTime(now).Add(-time.Microsecond)),
		mk("expires-now", now, normTime(now)),
		mk("idle", idle.Add(-time.Second), now.Add(time.Hour)),
		mk("idle-us", normTime(idle).Add(-time.Microsecond), now.Add(time.Hour)),
		mk("idle-now", normTime(idle), now.Add(time.Hour)),
		mk("both", idle.Add(-time.Hour), now.Add(-time.Hour)),
		mk("fresh", now, now.Add(time.Hour)),
	)
	n, err := s.DeleteExpiredSessions(ctx, normTime(now), normTime(idle))
	wantNoErr(t, "DeleteExpiredSessions", err)
	if n != 5 {
		t.Fatalf("DeleteExpiredSessions removed %d sessions, want 5", n)
	}
	wantIDs(t, "remaining sessions", listSessions(t, s, "c1"), []string{"idle-now", "fresh", "expires-now"})
	_, err = s.SessionByTokenHash(ctx, tokenHash("expired"))
	wantErr(t, "SessionByTokenHash of an expired session", err, store.ErrNotFound)

	n, err = s.DeleteExpiredSessions(ctx, normTime(now), normTime(idle))
	wantNoErr(t, "DeleteExpiredSessions again", err)
	if n != 0 {
		t.Fatalf("DeleteExpiredSessions again removed %d", n)
	}
	// A touch keeps a session from going idle.
	wantNoErr(t, "TouchSession", s.TouchSession(ctx, "idle-now", now))
	n, err = s.DeleteExpiredSessions(ctx, now, now.Add(-time.Minute))
	wantNoErr(t, "DeleteExpiredSessions after a touch", err)
	if n != 0 {
		t.Fatalf("DeleteExpiredSessions after a touch removed %d sessions, want 0", n)
	}
	n, err = s.DeleteExpiredSessions(ctx, normTime(now).Add(time.Microsecond), now.Add(-time.Minute))
	wantNoErr(t, "DeleteExpiredSessions a microsecond later", err)
	if n != 1 {
		t.Fatalf("DeleteExpiredSessions a microsecond later removed %d sessions, want 1", n)
	}
	wantIDs(t, "remaining sessions", listSessions(t, s, "c1"), []string{"idle-now", "fresh"})
}
