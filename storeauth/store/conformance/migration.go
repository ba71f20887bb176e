package conformance

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// testMigrationFields: PasswordChangeRequired, MigratedAt and CredentialLeaseUntil are
// stored as given on create, set and cleared by an update, and guarded by its
// compare-and-swap like every other field.
func testMigrationFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	// A legacy customer whose password the pool refused, with a flow holding the lease.
	c := newCustomer("c1", "ann@example.com")
	c.PasswordHash = "$2a$10$legacy"
	c.PasswordChangeRequired = true
	c.CredentialLeaseUntil = t0.Add(time.Minute)
	// A customer imported already migrated.
	m := newCustomer("c2", "bob@example.com")
	m.MigratedAt = t0.Add(-time.Hour)
	mustCreateCustomer(t, s, c, m)

	for _, w := range []store.Customer{c, m} {
		w.Version = 1
		got := mustGetCustomer(t, s, w.ID)
		equal(t, "GetCustomer "+w.ID, got, w, normCustomer)
		wantUTC(t, "GetCustomer "+w.ID, got.MigratedAt, got.CredentialLeaseUntil)
		byEmail, err := s.CustomerByEmail(ctx, w.Email)
		wantNoErr(t, "CustomerByEmail "+w.ID, err)
		equal(t, "CustomerByEmail "+w.ID, byEmail, w, normCustomer)
		listed := listCustomers(t, s, store.CustomerFilter{Email: w.Email}, "", 0)
		if len(listed) != 1 {
			t.Fatalf("ListCustomers by the e-mail of %s: %q", w.ID, customerIDs(listed))
		}
		equal(t, "listed "+w.ID, listed[0], w, normCustomer)
		wantUTC(t, "listed "+w.ID, listed[0].MigratedAt, listed[0].CredentialLeaseUntil)
	}

	// Another flow takes the lease over from version 1; a rival that read the same version
	// can neither take it nor give it back, nor touch the other fields.
	cur := mustGetCustomer(t, s, "c1")
	rival := cur
	cur.CredentialLeaseUntil = t0.Add(2 * time.Minute)
	cur.UpdatedAt = t0.Add(time.Minute)
	wantNoErr(t, "UpdateCustomer taking the lease", s.UpdateCustomer(ctx, cur))
	leased := cur
	leased.Version = 2
	equal(t, "after taking the lease", mustGetCustomer(t, s, "c1"), leased, normCustomer)
	for _, change := range []struct {
		what string
		fn   func(*store.Customer)
	}{
		{"taking the lease", func(c *store.Customer) { c.CredentialLeaseUntil = t0.Add(3 * time.Minute) }},
		{"clearing the lease", func(c *store.Customer) { c.CredentialLeaseUntil = time.Time{} }},
		{"clearing PasswordChangeRequired", func(c *store.Customer) { c.PasswordChangeRequired = false }},
		{"setting MigratedAt", func(c *store.Customer) { c.MigratedAt, c.PasswordHash = t0, "" }},
	} {
		r := rival
		change.fn(&r)
		wantErr(t, "stale UpdateCustomer "+change.what, s.UpdateCustomer(ctx, r), store.ErrConflict)
	}
	equal(t, "after stale updates", mustGetCustomer(t, s, "c1"), leased, normCustomer)

	// The lease holder migrates the customer: the hash goes, the flag clears, MigratedAt is
	// set and the lease is given back; all read back, the cleared ones as zero.
	cur = mustGetCustomer(t, s, "c1")
	stale := cur
	cur.PasswordHash, cur.PasswordChangeRequired = "", false
	cur.MigratedAt, cur.CredentialLeaseUntil = t0.Add(90*time.Second), time.Time{}
	cur.UpdatedAt = t0.Add(90 * time.Second)
	wantNoErr(t, "UpdateCustomer migrating", s.UpdateCustomer(ctx, cur))
	migrated := cur
	migrated.Version = 3
	got := mustGetCustomer(t, s, "c1")
	equal(t, "after migrating", got, migrated, normCustomer)
	wantUTC(t, "after migrating", got.MigratedAt)
	if got.PasswordChangeRequired || !got.CredentialLeaseUntil.IsZero() {
		t.Fatalf("cleared fields read back as %v, %v", got.PasswordChangeRequired, got.CredentialLeaseUntil)
	}
	// A flow still holding the version before the migration cannot put the hash back.
	stale.CredentialLeaseUntil = time.Time{}
	wantErr(t, "stale UpdateCustomer restoring the hash", s.UpdateCustomer(ctx, stale), store.ErrConflict)
	equal(t, "after a stale restore", mustGetCustomer(t, s, "c1"), migrated, normCustomer)

	// Every field can be set again, and MigratedAt cleared.
	got.PasswordHash, got.PasswordChangeRequired = "$2b$12$again", true
	got.MigratedAt, got.CredentialLeaseUntil = time.Time{}, t0.Add(time.Hour)
	wantNoErr(t, "UpdateCustomer setting the fields again", s.UpdateCustomer(ctx, got))
	want := got
	want.Version = 4
	equal(t, "after setting the fields again", mustGetCustomer(t, s, "c1"), want, normCustomer)

	// The other customer was not touched.
	m.Version = 1
	equal(t, "untouched customer", mustGetCustomer(t, s, "c2"), m, normCustomer)
}

// countCustomers calls CountCustomers and reports the caller's line on failure.
func countCustomers(t *testing.T, s store.Store, since time.Time) store.CustomerCounts {
	t.Helper()
	n, err := s.CountCustomers(t.Context(), since)
	wantNoErr(t, fmt.Sprintf("CountCustomers(%v)", since), err)
	return n
}

func wantCounts(t *testing.T, what string, got, want store.CustomerCounts) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// testCountCustomers: each figure counts active customers only, by the definitions of
// store.CustomerCounts, and follows updates.
func testCountCustomers(t *testing.T, s store.Store) {
	ctx := t.Context()
	wantCounts(t, "empty store", countCustomers(t, s, time.Time{}), store.CustomerCounts{})

	mk := func(id string, st store.CustomerState, fn func(c *store.Customer)) store.Customer {
		c := newCustomer(id, id+"@example.com")
		c.State = st
		if st == store.StateDeleted {
			c.DeletedAt = t0
		}
		fn(&c)
		return c
	}
	legacy := func(c *store.Customer) { c.PasswordHash = "$2a$10$" + c.ID }
	blocked := func(c *store.Customer) { legacy(c); c.PasswordChangeRequired = true }
	migratedAt := func(at time.Time) func(*store.Customer) {
		return func(c *store.Customer) { c.MigratedAt = at }
	}
	guest := func(c *store.Customer) { c.HasAccount = false }
	mustCreateCustomer(t, s,
		mk("legacy", store.StateActive, legacy),
		mk("legacy-disabled", store.StateActive, func(c *store.Customer) { legacy(c); c.Disabled = true }),
		mk("legacy-leased", store.StateActive, func(c *store.Customer) { legacy(c); c.CredentialLeaseUntil = t0.Add(time.Hour) }),
		mk("blocked", store.StateActive, blocked),
		mk("migrated-old", store.StateActive, migratedAt(t0.Add(-48*time.Hour))),
		mk("migrated-new", store.StateActive, migratedAt(t0)),
		// A flag left on a migrated customer blocks nothing.
		mk("migrated-flagged", store.StateActive, func(c *store.Customer) {
			c.MigratedAt, c.PasswordChangeRequired = t0.Add(time.Hour), true
		}),
		mk("native", store.StateActive, func(*store.Customer) {}),
		mk("guest", store.StateActive, guest),
		// A hash without an account is a guest's, not a legacy customer's.
		mk("guest-hash", store.StateActive, func(c *store.Customer) { guest(c); blocked(c) }),
	)
	// Customers in every other state, of every kind, count nowhere.
	for _, st := range []store.CustomerState{store.StatePending, store.StateDeleting, store.StateDeleted} {
		mustCreateCustomer(t, s,
			mk("legacy-"+string(st), st, legacy),
			mk("blocked-"+string(st), st, blocked),
			mk("migrated-"+string(st), st, migratedAt(t0)),
			mk("guest-"+string(st), st, guest),
		)
	}

	want := store.CustomerCounts{Total: 10, Legacy: 4, Migrated: 3, BlockedByPolicy: 1, Guests: 2, MigratedSince: 2}
	wantCounts(t, "CountCustomers", countCustomers(t, s, t0.Add(-time.Hour)), want)
	// With no lower bound every migrated customer counts, but not the others.
	want.MigratedSince = 3
	wantCounts(t, "CountCustomers since the zero time", countCustomers(t, s, time.Time{}), want)

	// The blocked customer changes the password and is migrated; a guest is deleted, a
	// customer starts deletion, and a pending one becomes active.
	update := func(id string, fn func(c *store.Customer)) {
		t.Helper()
		c := mustGetCustomer(t, s, id)
		fn(&c)
		wantNoErr(t, "UpdateCustomer "+id, s.UpdateCustomer(ctx, c))
	}
	update("blocked", func(c *store.Customer) {
		c.PasswordHash, c.PasswordChangeRequired, c.MigratedAt = "", false, t0.Add(2*time.Hour)
	})
	update("guest", func(c *store.Customer) { c.State, c.DeletedAt = store.StateDeleted, t0 })
	update("native", func(c *store.Customer) { c.State = store.StateDeleting })
	update("blocked-pending", func(c *store.Customer) { c.State = store.StateActive })
	want = store.CustomerCounts{Total: 9, Legacy: 4, Migrated: 4, BlockedByPolicy: 1, Guests: 1, MigratedSince: 3}
	wantCounts(t, "CountCustomers after updates", countCustomers(t, s, t0.Add(-time.Hour)), want)
}

// testCountCustomersMigratedSince: MigratedSince counts customers migrated at or after the
// bound, to the microsecond, and never one that was not migrated.
func testCountCustomersMigratedSince(t *testing.T, s store.Store) {
	m := normTime(t0)
	mk := func(id string, at time.Time) store.Customer {
		c := newCustomer(id, id+"@example.com")
		c.MigratedAt = at
		return c
	}
	// "at" keeps t0's nanoseconds, which compare as the microsecond they are in.
	pending := mk("pending", m)
	pending.State = store.StatePending
	mustCreateCustomer(t, s,
		mk("before", m.Add(-time.Microsecond)), mk("at", t0), mk("after", m.Add(time.Microsecond)),
		mk("day", m.Add(24*time.Hour)), mk("never", time.Time{}), pending)
	for _, tc := range []struct {
		name  string
		since time.Time
		want  int64
	}{
		{"zero", time.Time{}, 4},
		{"long before", m.Add(-24 * time.Hour), 4},
		{"a microsecond before", m.Add(-time.Microsecond), 4},
		{"at the microsecond", m, 3},
		{"at the same instant", t0, 3},
		{"a microsecond after", m.Add(time.Microsecond), 2},
		{"two microseconds after", m.Add(2 * time.Microsecond), 1},
		{"at the last", m.Add(24 * time.Hour), 1},
		{"after the last", m.Add(24*time.Hour + time.Microsecond), 0},
		{"in another zone", m.In(time.FixedZone("UTC-5", -5*3600)), 3},
	} {
		got := countCustomers(t, s, tc.since)
		if got.MigratedSince != tc.want || got.Migrated != 4 || got.Total != 5 {
			t.Fatalf("CountCustomers since %s (%v): %+v, want MigratedSince %d of Migrated 4, Total 5",
				tc.name, tc.since, got, tc.want)
		}
	}
}

// testListCustomersLegacy: Legacy keeps customers with a password hash, whether or not they
// have an account, and combines with the other filters and with paging.
func testListCustomersLegacy(t *testing.T, s store.Store) {
	mk := func(id string, st store.CustomerState, hash string, updated time.Duration) store.Customer {
		c := newCustomer(id, id+"@example.com")
		c.State, c.PasswordHash, c.UpdatedAt = st, hash, t0.Add(updated)
		if st == store.StateDeleted {
			c.DeletedAt = c.UpdatedAt
		}
		return c
	}
	blocked := mk("a3", store.StateActive, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", 3*time.Minute)
	blocked.PasswordChangeRequired = true
	guest := mk("a4", store.StateActive, "pbkdf2_sha256$600000$salt$hash", 4*time.Minute)
	guest.HasAccount = false
	migrated := mk("a2", store.StateActive, "", 2*time.Minute)
	migrated.MigratedAt = t0
	mustCreateCustomer(t, s,
		mk("a1", store.StateActive, "$2a$10$a1", time.Minute), migrated, blocked, guest,
		mk("a5", store.StateActive, "c2NyeXB0", 5*time.Minute),
		mk("a6", store.StateActive, "", 6*time.Minute),
		mk("p1", store.StatePending, "$2a$10$p1", time.Minute),
		mk("p2", store.StatePending, "", time.Minute),
		mk("g1", store.StateDeleting, "$2a$10$g1", time.Minute),
		mk("d1", store.StateDeleted, "$2a$10$d1", time.Minute),
		mk("d2", store.StateDeleted, "", time.Minute),
	)
	for _, tc := range []struct {
		name string
		f    store.CustomerFilter
		want []string
	}{
		{"legacy", store.CustomerFilter{Legacy: true}, []string{"a1", "a3", "a4", "a5"}},
		{"not legacy lists all", store.CustomerFilter{}, []string{"a1", "a2", "a3", "a4", "a5", "a6"}},
		{"legacy active", store.CustomerFilter{Legacy: true, State: store.StateActive}, []string{"a1", "a3", "a4", "a5"}},
		{"legacy pending", store.CustomerFilter{Legacy: true, State: store.StatePending}, []string{"p1"}},
		{"legacy deleting", store.CustomerFilter{Legacy: true, State: store.StateDeleting}, []string{"g1"}},
		{"legacy deleted", store.CustomerFilter{Legacy: true, State: store.StateDeleted}, []string{"d1"}},
		{"legacy e-mail", store.CustomerFilter{Legacy: true, Email: "A3@Example.com"}, []string{"a3"}},
		{"legacy e-mail of a migrated customer", store.CustomerFilter{Legacy: true, Email: "a2@example.com"}, nil},
		{"legacy updated before", store.CustomerFilter{Legacy: true, UpdatedBefore: t0.Add(4 * time.Minute)}, []string{"a1", "a3"}},
		{"all filters", store.CustomerFilter{Legacy: true, State: store.StatePending, Email: "p1@example.com", UpdatedBefore: t0.Add(time.Hour)}, []string{"p1"}},
	} {
		wantIDs(t, tc.name, customerIDs(listCustomers(t, s, tc.f, "", 0)), tc.want)
	}

	legacyOnly := store.CustomerFilter{Legacy: true}
	wantIDs(t, "first page", customerIDs(listCustomers(t, s, legacyOnly, "", 2)), []string{"a1", "a3"})
	wantIDs(t, "second page", customerIDs(listCustomers(t, s, legacyOnly, "a3", 2)), []string{"a4", "a5"})
	wantIDs(t, "last page", customerIDs(listCustomers(t, s, legacyOnly, "a5", 2)), nil)
	wantIDs(t, "after a migrated customer", customerIDs(listCustomers(t, s, legacyOnly, "a2", 1)), []string{"a3"})

	// Listed records are whole.
	got := listCustomers(t, s, store.CustomerFilter{Legacy: true, Email: "a3@example.com"}, "", 0)
	blocked.Version = 1
	equal(t, "listed legacy customer", got[0], blocked, normCustomer)

	// A migrated customer leaves the list.
	c := mustGetCustomer(t, s, "a1")
	c.PasswordHash, c.MigratedAt = "", t0.Add(time.Hour)
	wantNoErr(t, "UpdateCustomer migrating a1", s.UpdateCustomer(t.Context(), c))
	wantIDs(t, "legacy after migrating a1", customerIDs(listCustomers(t, s, legacyOnly, "", 0)), []string{"a3", "a4", "a5"})
}

// testConcurrentCredentialLease: flows racing for a free lease, each reading the customer and
// taking the lease with a compare-and-swap, leave exactly one owner; the others see the lease
// taken when they re-read.
func testConcurrentCredentialLease(t *testing.T, s store.Store) {
	const racers = 8
	now := t0
	for round := range 5 {
		id := fmt.Sprintf("c%d", round)
		c := newCustomer(id, id+"@example.com")
		c.PasswordHash = "$2a$10$legacy"
		if round%2 == 1 {
			// A lease that has run out is free to take.
			c.CredentialLeaseUntil = now.Add(-time.Second)
		}
		mustCreateCustomer(t, s, c)

		var wg sync.WaitGroup
		start := make(chan struct{})
		owned := make([]bool, racers)
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				<-start
				owned[i], errs[i] = takeLease(t, s, id, now, now.Add(time.Duration(i+1)*time.Minute))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i := range racers {
			wantNoErr(t, fmt.Sprintf("round %d, racer %d", round, i), errs[i])
			if owned[i] {
				if winner >= 0 {
					t.Fatalf("round %d: racers %d and %d both took the lease", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no racer took the lease", round)
		}
		got := mustGetCustomer(t, s, id)
		if want := normTime(now.Add(time.Duration(winner+1) * time.Minute)); !normTime(got.CredentialLeaseUntil).Equal(want) || got.Version != 2 {
			t.Fatalf("round %d: lease until %v at version %d, racer %d took it until %v at version 2",
				round, got.CredentialLeaseUntil, got.Version, winner, want)
		}
	}
}

// takeLease takes the customer's lease until until if nobody holds it at now, re-reading after
// every ErrConflict, and reports whether it did.
func takeLease(t *testing.T, s store.Store, id string, now, until time.Time) (bool, error) {
	ctx := t.Context()
	for range 10000 {
		c, err := s.GetCustomer(ctx, id)
		if err != nil {
			return false, err
		}
		if c.CredentialLeaseUntil.After(now) {
			return false, nil
		}
		c.CredentialLeaseUntil = until
		err = s.UpdateCustomer(ctx, c)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return false, err
		}
	}
	return false, errors.New("takeLease: no decision in 10000 attempts")
}
