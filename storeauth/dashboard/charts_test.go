package dashboard

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth"
)

func TestYScale(t *testing.T) {
	for _, c := range []struct {
		max   int64
		top   int64
		ticks []int64
	}{
		{0, 1, []int64{0, 1}},
		{1, 1, []int64{0, 1}},
		{5, 5, []int64{0, 1, 2, 3, 4, 5}},
		{6, 6, []int64{0, 2, 4, 6}},
		{8, 8, []int64{0, 2, 4, 6, 8}},
		{11, 15, []int64{0, 5, 10, 15}},
		{26, 30, []int64{0, 10, 20, 30}},
		{99, 100, []int64{0, 20, 40, 60, 80, 100}},
		{100_000, 100_000, []int64{0, 20_000, 40_000, 60_000, 80_000, 100_000}},
		{123_457, 150_000, []int64{0, 50_000, 100_000, 150_000}},
	} {
		top, ticks := yScale(c.max)
		if top != c.top || !slices.Equal(ticks, c.ticks) {
			t.Errorf("yScale(%d) = %d %v, want %d %v", c.max, top, ticks, c.top, c.ticks)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPeriodLabels(t *testing.T) {
	at := time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)
	if got := periodLabel(at, 6*time.Hour); got != "Mar 4 06:00–12:00" {
		t.Errorf("six hours: %q", got)
	}
	if got := periodLabel(at.Truncate(24*time.Hour), 24*time.Hour); got != "Mar 4" {
		t.Errorf("a day: %q", got)
	}
	if got := atLabel(at, at.Add(-time.Second), pointLabel(time.Hour)); got != "now" {
		t.Errorf("a point after now: %q", got)
	}
	if got := timeLabel(time.Time{}); got != "–" {
		t.Errorf("no time: %q", got)
	}
}

// An empty store draws empty charts on an axis of 0 to 1, and a store that keeps no
// history shows today's counts without charts.
func TestDashboardEmptyAndWithoutHistory(t *testing.T) {
	f := newFixture(t, withAccess(AccessLoopback))
	b := f.browser()
	r := b.get(Prefix)
	expect(t, "an empty store", r, 200, `<dd id="stat-total">0</dd>`, `id="migration-chart"`, `id="logins-chart"`,
		"0 sign-ins in all. The table below", `<text class="ylabel" x="56.0" y="44.0" dy="0.35em" text-anchor="end">1</text>`)

	svc, err := storeauth.New(storeauth.Config{Customers: f.st, Sessions: f.st, Pool: f.pool, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Service: svc, Access: AccessLoopback, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.d = d
	f.addCustomer("cus_a", "a@example.com", "Legacy-Passw0rd")
	r = b.get(Prefix)
	expect(t, "no history", r, 200, `<dd id="stat-legacy">1</dd>`, `id="no-history"`)
	expect(t, "no blocked list", b.get(Prefix+"blocked"), http.StatusNotFound, "cannot list")
}
