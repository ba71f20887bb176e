package storeauth

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// withReports keeps the history in the env's memory store.
func withReports() envOption {
	return withConfig(func(c *Config) { c.Reports = c.Customers.(store.Reports) })
}

// failingReports fails every AddLoginOutcomes while fail is set.
type failingReports struct {
	store.Reports
	fail bool
}

func (f *failingReports) AddLoginOutcomes(ctx context.Context, cs []store.LoginOutcomeCount) error {
	if f.fail {
		return errors.New("the database is down")
	}
	return f.Reports.AddLoginOutcomes(ctx, cs)
}

// Every sign-in outcome is counted in its hour: in memory at once, in the store at the
// next flush; the Prometheus counter keeps its coarser results.
func TestLoginHistoryCountsOutcomes(t *testing.T) {
	e, reg := migEnv(t, withReports())
	ctx := context.Background()
	e.clock.Advance(10 * time.Minute) // 10:10
	pw, hash := migVector(t, migScryptCase)
	a := migAddLegacy(e, "a@example.com", hash)
	migAddLegacy(e, "b@example.com", hash)
	c := migAddLegacy(e, "c@example.com", hash)
	migAddLegacy(e, "d@example.com", hash)

	migLogin(e, "/store/auth/token", "a@example.com", pw).expect(200, "")      // migrated
	migLogin(e, "/store/auth/token", "b@example.com", "wrong").expect(401, "") // refused
	migLogin(e, "/store/auth/token", "a@example.com", pw).expect(200, "")      // ok: in the pool now
	if got, _ := e.store.LoginOutcomes(ctx, time.Time{}, e.clock.Now().Add(time.Hour)); len(got) != 0 {
		t.Fatalf("counts reached the store before a flush: %+v", got)
	}
	e.clock.Advance(time.Hour)                                                 // 11:10
	migLogin(e, "/store/auth/token", "b@example.com", pw).expect(200, "")      // migrated
	migLogin(e, "/store/auth/token", "nobody@example.com", pw).expect(401, "") // refused
	migSetPolicy(e.pool, migStrictPolicy)
	migLogin(e, "/store/auth/token", "c@example.com", pw).expect(200, "") // blocked by policy
	for range 5 {
		migLogin(e, "/store/auth/token", "d@example.com", "wrong").expect(401, "")
	}
	migLogin(e, "/store/auth/token", "d@example.com", pw).expect(401, "") // throttled
	if !migRow(e, c).PasswordChangeRequired || migRow(e, a).PasswordHash != "" {
		t.Fatal("the sign-ins did not do what the test needs")
	}

	r := HistoryEnding(e.clock.Now(), time.Hour, 3)
	if want := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC); !r.End.Equal(want) || !r.Start().Equal(want.Add(-3*time.Hour)) {
		t.Fatalf("range %+v", r)
	}
	buckets, err := e.svc.LoginHistory(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]int64{
		{},
		{LoginMigrated: 1, LoginRefused: 1, LoginOK: 1},
		{LoginMigrated: 1, LoginRefused: 6, LoginBlockedByPolicy: 1, LoginThrottled: 1},
	}
	for i, b := range buckets {
		if !b.Start.Equal(r.Start().Add(time.Duration(i) * time.Hour)) {
			t.Errorf("bucket %d starts at %v", i, b.Start)
		}
		var total int64
		for _, n := range want[i] {
			total += n
		}
		if !reflect.DeepEqual(b.Counts, want[i]) || b.Total != total {
			t.Errorf("bucket %d: %v (total %d), want %v", i, b.Counts, b.Total, want[i])
		}
	}
	// LoginHistory flushed: the counts are in the store now, and a second read adds nothing.
	if got, _ := e.store.LoginOutcomes(ctx, r.Start(), r.End); len(got) != 7 {
		t.Fatalf("stored counts: %+v", got)
	}
	again, err := e.svc.LoginHistory(ctx, r)
	if err != nil || !reflect.DeepEqual(again, buckets) {
		t.Fatalf("a second read: %+v, %v", again, err)
	}
	for result, n := range map[string]float64{"ok": 4, "refused": 7, "throttled": 1, "error": 0} {
		if got := migCounter(t, reg, "hashless_store_logins_total", "result", result); got != n {
			t.Errorf("hashless_store_logins_total{result=%q} = %v, want %v", result, got, n)
		}
	}

	// The migration over the same hours: a at 10:10, b at 11:10; c and d still legacy.
	status, points, err := e.svc.MigrationHistory(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if status.Legacy != 2 || status.Migrated != 2 || status.BlockedByPolicy != 1 {
		t.Fatalf("status %+v", status)
	}
	wantPoints := []MigrationPoint{
		{At: r.Start(), Migrated: 0, Legacy: 4},
		{At: r.Start().Add(time.Hour), Migrated: 0, Legacy: 4},
		{At: r.Start().Add(2 * time.Hour), Migrated: 1, Legacy: 3},
		{At: r.End, Migrated: 2, Legacy: 2},
	}
	if !reflect.DeepEqual(points, wantPoints) {
		t.Fatalf("points:\n got %+v\nwant %+v", points, wantPoints)
	}
	blocked, err := e.svc.BlockedByPolicy(ctx, "", 10)
	if err != nil || len(blocked) != 1 || blocked[0].ID != c {
		t.Fatalf("blocked: %+v, %v", blocked, err)
	}
}

// A flush that fails keeps its counts for the next one.
func TestFlushLoginStatsKeepsCountsOnFailure(t *testing.T) {
	var rep *failingReports
	e := newEnv(t, withConfig(func(c *Config) {
		rep = &failingReports{Reports: c.Customers.(store.Reports), fail: true}
		c.Reports = rep
	}))
	ctx := context.Background()
	e.register("ann@example.com", goodPassword)
	e.token("ann@example.com", goodPassword)
	migLogin(e, "/store/auth/token", "ann@example.com", "wrong").expect(401, "")
	if err := e.svc.FlushLoginStats(ctx); err == nil {
		t.Fatal("the flush did not fail")
	}
	e.token("ann@example.com", goodPassword)
	rep.fail = false
	if err := e.svc.FlushLoginStats(ctx); err != nil {
		t.Fatal(err)
	}
	hour := e.clock.Now().Truncate(time.Hour)
	got, err := e.store.LoginOutcomes(ctx, hour, hour.Add(time.Hour))
	want := []store.LoginOutcomeCount{{Hour: hour, Outcome: LoginOK, Count: 2}, {Hour: hour, Outcome: LoginRefused, Count: 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("stored: %+v, %v; want %+v", got, err, want)
	}
	if err := e.svc.FlushLoginStats(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := e.store.LoginOutcomes(ctx, hour, hour.Add(time.Hour)); !reflect.DeepEqual(again, want) {
		t.Fatalf("an empty flush changed the counts: %+v", again)
	}
}

// Without reports, sign-ins work as ever and the history says it is not kept.
func TestHistoryWithoutReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.register("ann@example.com", goodPassword)
	e.token("ann@example.com", goodPassword)
	if err := e.svc.FlushLoginStats(ctx); err != nil {
		t.Fatal(err)
	}
	r := HistoryEnding(e.clock.Now(), time.Hour, 24)
	if _, _, err := e.svc.MigrationHistory(ctx, r); !errors.Is(err, ErrNoReports) {
		t.Fatalf("MigrationHistory: %v", err)
	}
	if _, err := e.svc.LoginHistory(ctx, r); !errors.Is(err, ErrNoReports) {
		t.Fatalf("LoginHistory: %v", err)
	}
	if _, err := e.svc.BlockedByPolicy(ctx, "", 10); !errors.Is(err, ErrNoReports) {
		t.Fatalf("BlockedByPolicy: %v", err)
	}
}

func TestHistoryRanges(t *testing.T) {
	e := newEnv(t, withReports())
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 10, 20, 0, 0, time.FixedZone("UTC+2", 7200))
	for _, c := range []struct {
		step time.Duration
		end  time.Time
	}{
		{time.Hour, time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)},
		{6 * time.Hour, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)},
		{24 * time.Hour, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)},
	} {
		if r := HistoryEnding(now, c.step, 3); !r.End.Equal(c.end) {
			t.Errorf("HistoryEnding(%v, %v) ends at %v, want %v", now, c.step, r.End, c.end)
		}
	}
	// On a boundary, the window ends one step later, so the current moment is in it.
	if r := HistoryEnding(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), time.Hour, 1); !r.End.Equal(time.Date(2026, 3, 4, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("on an hour: ends at %v", r.End)
	}
	for _, bad := range []HistoryRange{
		{End: now, Step: time.Hour, Buckets: 0},
		{End: now.Truncate(time.Hour), Step: 0, Buckets: 3},
		{End: now.Truncate(time.Hour), Step: time.Hour, Buckets: store.MaxHistogramBuckets + 1},
	} {
		if _, _, err := e.svc.MigrationHistory(ctx, bad); err == nil {
			t.Errorf("MigrationHistory(%+v) succeeded", bad)
		}
	}
	for _, bad := range []HistoryRange{
		{End: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), Step: 30 * time.Minute, Buckets: 2},
		{End: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC), Step: time.Hour, Buckets: 2},
	} {
		if _, err := e.svc.LoginHistory(ctx, bad); err == nil {
			t.Errorf("LoginHistory(%+v) succeeded", bad)
		}
	}
}
