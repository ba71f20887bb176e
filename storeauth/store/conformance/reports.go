package conformance

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// reports returns s as a store.Reports, or skips a backend that does not keep them (the
// interface is optional).
func reports(t *testing.T, s store.Store) store.Reports {
	t.Helper()
	r, ok := s.(store.Reports)
	if !ok {
		t.Skip("the store does not implement store.Reports")
	}
	return r
}

func histogram(t *testing.T, r store.Reports, from time.Time, step time.Duration, n int) store.MigrationHistogram {
	t.Helper()
	h, err := r.MigrationHistogram(t.Context(), from, step, n)
	wantNoErr(t, fmt.Sprintf("MigrationHistogram(%v, %v, %d)", from, step, n), err)
	return h
}

func wantHistogram(t *testing.T, what string, got, want store.MigrationHistogram) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// testMigrationHistogram: active customers with MigratedAt set are counted in the bucket
// their time falls in, bounds included at the start and excluded at the end, at microsecond
// precision; the rest not at all; bad ranges are refused.
func testMigrationHistogram(t *testing.T, s store.Store) {
	r := reports(t, s)
	ctx := t.Context()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	hour := time.Hour

	wantHistogram(t, "empty store", histogram(t, r, from, hour, 3), store.MigrationHistogram{Buckets: []int64{0, 0, 0}})

	migratedAt := map[string]time.Time{
		"before-1": from.Add(-48 * hour),
		"before-2": from.Add(-time.Microsecond), // the last microsecond before the window
		"b0-start": from,                        // a bucket's start is in it
		"b0-end":   from.Add(hour - time.Microsecond),
		"b1-start": from.Add(hour), // a bucket's end is in the next one
		"b1-mid":   from.Add(90 * time.Minute).Add(500 * time.Nanosecond),
		"b2":       from.Add(2*hour + time.Second),
		"after-1":  from.Add(3 * hour), // the window's end is after it
		"after-2":  from.Add(1000 * hour),
	}
	var cs []store.Customer
	i := 0
	for id, at := range migratedAt {
		c := newCustomer(id, fmt.Sprintf("m%d@example.com", i))
		c.MigratedAt = at.In(time.FixedZone("UTC-5", -5*3600))
		cs = append(cs, c)
		i++
	}
	// Not counted: never migrated (legacy or not), migrated but not active.
	legacy := newCustomer("legacy", "legacy@example.com")
	legacy.PasswordHash = "$2a$04$legacy"
	fresh := newCustomer("fresh", "fresh@example.com")
	deleted := newCustomer("deleted", "deleted@example.com")
	deleted.State, deleted.DeletedAt, deleted.MigratedAt = store.StateDeleted, t0, from.Add(time.Minute)
	pending := newCustomer("pending", "pending@example.com")
	pending.State, pending.MigratedAt = store.StatePending, from.Add(time.Minute)
	deleting := newCustomer("deleting", "deleting@example.com")
	deleting.State, deleting.MigratedAt = store.StateDeleting, from.Add(time.Minute)
	mustCreateCustomer(t, s, append(cs, legacy, fresh, deleted, pending, deleting)...)

	wantHistogram(t, "hours", histogram(t, r, from, hour, 3),
		store.MigrationHistogram{Before: 2, Buckets: []int64{2, 2, 1}, After: 2})
	wantHistogram(t, "one bucket", histogram(t, r, from, 3*hour, 1),
		store.MigrationHistogram{Before: 2, Buckets: []int64{5}, After: 2})
	wantHistogram(t, "half hours", histogram(t, r, from.Add(30*time.Minute), 30*time.Minute, 4),
		store.MigrationHistogram{Before: 3, Buckets: []int64{1, 1, 1, 1}, After: 2})
	// A start with nanoseconds is taken at its microsecond, as stored times are: b1-mid
	// (stored at 01:30:00.000000) is in the first bucket, not before it.
	wantHistogram(t, "a start with nanoseconds", histogram(t, r, from.Add(90*time.Minute+999*time.Nanosecond), 30*time.Minute, 2),
		store.MigrationHistogram{Before: 5, Buckets: []int64{1, 1}, After: 2})
	wantHistogram(t, "a window before everything", histogram(t, r, from.Add(-1000*hour), hour, 2),
		store.MigrationHistogram{Buckets: []int64{0, 0}, After: 9})

	// Updates move customers: one migrated now, one more deleted.
	c := mustGetCustomer(t, s, "legacy")
	c.PasswordHash, c.MigratedAt = "", from.Add(2*hour)
	wantNoErr(t, "UpdateCustomer migrating", s.UpdateCustomer(ctx, c))
	c = mustGetCustomer(t, s, "b0-start")
	c.State, c.DeletedAt = store.StateDeleted, t0
	wantNoErr(t, "UpdateCustomer deleting", s.UpdateCustomer(ctx, c))
	wantHistogram(t, "after updates", histogram(t, r, from, hour, 3),
		store.MigrationHistogram{Before: 2, Buckets: []int64{1, 2, 2}, After: 2})

	for _, bad := range []struct {
		step time.Duration
		n    int
	}{{hour, 0}, {hour, -1}, {hour, store.MaxHistogramBuckets + 1}, {0, 3}, {-hour, 3}, {time.Nanosecond, 3}, {hour + 1, 3}} {
		_, err := r.MigrationHistogram(ctx, from, bad.step, bad.n)
		wantErr(t, fmt.Sprintf("MigrationHistogram(step %v, n %d)", bad.step, bad.n), err, store.ErrInvalidRange)
	}
}

func loginOutcomes(t *testing.T, r store.Reports, from, to time.Time) []store.LoginOutcomeCount {
	t.Helper()
	got, err := r.LoginOutcomes(t.Context(), from, to)
	wantNoErr(t, fmt.Sprintf("LoginOutcomes(%v, %v)", from, to), err)
	for _, c := range got {
		wantUTC(t, "LoginOutcomes", c.Hour)
	}
	return got
}

func wantOutcomes(t *testing.T, what string, got, want []store.LoginOutcomeCount) {
	t.Helper()
	norm := func(cs []store.LoginOutcomeCount) []store.LoginOutcomeCount {
		out := []store.LoginOutcomeCount{}
		for _, c := range cs {
			c.Hour = normTime(c.Hour)
			out = append(out, c)
		}
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// testLoginOutcomes: counts add up per hour and outcome, read back ordered by hour and
// outcome within [from, to), in UTC.
func testLoginOutcomes(t *testing.T, s store.Store) {
	r := reports(t, s)
	ctx := t.Context()
	h0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	h1, h2 := h0.Add(time.Hour), h0.Add(2*time.Hour)
	oc := func(h time.Time, outcome string, n int64) store.LoginOutcomeCount {
		return store.LoginOutcomeCount{Hour: h, Outcome: outcome, Count: n}
	}

	wantOutcomes(t, "empty store", loginOutcomes(t, r, h0, h2), nil)
	wantNoErr(t, "AddLoginOutcomes of nothing", r.AddLoginOutcomes(ctx, nil))
	wantNoErr(t, "AddLoginOutcomes", r.AddLoginOutcomes(ctx, []store.LoginOutcomeCount{
		oc(h1, "refused", 2), oc(h0, "ok", 3), oc(h0.In(time.FixedZone("UTC+2", 7200)), "migrated", 1), oc(h2, "ok", 7),
	}))
	wantNoErr(t, "AddLoginOutcomes again", r.AddLoginOutcomes(ctx, []store.LoginOutcomeCount{
		oc(h0, "ok", 4), oc(h1, "refused", 1), oc(h1, "throttled", 5), oc(h0, "ok", 1),
	}))

	wantOutcomes(t, "two hours", loginOutcomes(t, r, h0, h2), []store.LoginOutcomeCount{
		oc(h0, "migrated", 1), oc(h0, "ok", 8), oc(h1, "refused", 3), oc(h1, "throttled", 5),
	})
	wantOutcomes(t, "every hour", loginOutcomes(t, r, h0.Add(-time.Hour), h2.Add(time.Microsecond)), []store.LoginOutcomeCount{
		oc(h0, "migrated", 1), oc(h0, "ok", 8), oc(h1, "refused", 3), oc(h1, "throttled", 5), oc(h2, "ok", 7),
	})
	wantOutcomes(t, "from inside an hour", loginOutcomes(t, r, h0.Add(time.Microsecond), h2), []store.LoginOutcomeCount{
		oc(h1, "refused", 3), oc(h1, "throttled", 5),
	})
	wantOutcomes(t, "an empty range", loginOutcomes(t, r, h1, h1), nil)
}

// testConcurrentAddLoginOutcomes: nodes adding to the same hour at once lose no count,
// including the first adds that create the row.
func testConcurrentAddLoginOutcomes(t *testing.T, s store.Store) {
	r := reports(t, s)
	ctx := t.Context()
	const writers, perWriter = 8, 10
	hour := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			<-start
			for range perWriter {
				if err := r.AddLoginOutcomes(ctx, []store.LoginOutcomeCount{
					{Hour: hour, Outcome: "ok", Count: 1}, {Hour: hour, Outcome: "refused", Count: 2},
				}); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		wantNoErr(t, fmt.Sprintf("AddLoginOutcomes of writer %d", i), err)
	}
	wantOutcomes(t, "after the race", loginOutcomes(t, r, hour, hour.Add(time.Hour)), []store.LoginOutcomeCount{
		{Hour: hour, Outcome: "ok", Count: writers * perWriter},
		{Hour: hour, Outcome: "refused", Count: 2 * writers * perWriter},
	})
}

// testListBlockedByPolicy: only active customers with an account, a legacy hash and the
// policy flag, by ID, paged; updates move them in and out.
func testListBlockedByPolicy(t *testing.T, s store.Store) {
	r := reports(t, s)
	ctx := t.Context()
	blocked := func(id string) store.Customer {
		c := newCustomer(id, id+"@example.com")
		c.PasswordHash, c.PasswordChangeRequired = "$2a$04$legacy-"+id, true
		return c
	}
	b1, b2, b3 := blocked("b1"), blocked("b2"), blocked("b3")
	legacy := newCustomer("legacy", "legacy@example.com")
	legacy.PasswordHash = "$2a$04$legacy"
	flagOnly := newCustomer("flag-only", "flag@example.com") // flag left over on a migrated row
	flagOnly.PasswordChangeRequired, flagOnly.MigratedAt = true, t0
	guest := blocked("guest")
	guest.HasAccount = false
	gone := blocked("gone")
	gone.State, gone.DeletedAt = store.StateDeleted, t0
	pending := blocked("pending")
	pending.State = store.StatePending
	mustCreateCustomer(t, s, b3, legacy, b1, flagOnly, guest, gone, pending, b2)

	list := func(after string, limit int) []store.Customer {
		t.Helper()
		cs, err := r.ListBlockedByPolicy(ctx, after, limit)
		wantNoErr(t, fmt.Sprintf("ListBlockedByPolicy(%q, %d)", after, limit), err)
		return cs
	}
	all := list("", 0)
	wantIDs(t, "every blocked customer", customerIDs(all), []string{"b1", "b2", "b3"})
	want := b1
	want.Version = 1
	equal(t, "a listed customer", all[0], want, normCustomer)
	wantIDs(t, "first page", customerIDs(list("", 2)), []string{"b1", "b2"})
	wantIDs(t, "second page", customerIDs(list("b2", 2)), []string{"b3"})
	wantIDs(t, "past the end", customerIDs(list("b3", 2)), nil)

	// b2 migrates, legacy is refused by the policy.
	c := mustGetCustomer(t, s, "b2")
	c.PasswordHash, c.PasswordChangeRequired, c.MigratedAt = "", false, t0
	wantNoErr(t, "UpdateCustomer migrating b2", s.UpdateCustomer(ctx, c))
	c = mustGetCustomer(t, s, "legacy")
	c.PasswordChangeRequired = true
	wantNoErr(t, "UpdateCustomer blocking legacy", s.UpdateCustomer(ctx, c))
	wantIDs(t, "after updates", customerIDs(list("", 0)), []string{"b1", "b3", "legacy"})
}
