package storeauth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// The history of the migration, for the dashboard (package dashboard) and anything else
// that wants to draw it. Both series come from the database, so they survive restarts and
// every node shows the same:
//
//   - Customers migrated against those still holding a legacy hash, at each moment, are
//     computed from the rows themselves: the migration sets MigratedAt when it erases the
//     hash, so the customers migrated by time t are those with MigratedAt before t, and the
//     legacy ones at t are those legacy now plus those migrated since t. That is the
//     migration of today's customers: one imported in the middle of the window counts as
//     legacy from the window's start (no import time is kept), and a deleted customer
//     leaves the history as it leaves the counts.
//   - Sign-ins by outcome need a record of their own (a failed sign-in leaves no trace in
//     any row): the store keeps a count per hour and outcome (store.Reports). A sign-in
//     only adds to a counter in memory; FlushLoginStats adds the counters to the store,
//     which serve does every few seconds and at shutdown, and LoginHistory before it
//     reads. So a sign-in, and above all a refused or throttled one, which must stay
//     cheap, costs no database write, and the store takes a few upserts per node and
//     interval whatever the traffic. A node that crashes loses the counts of its last
//     interval; the customers' own history is not affected.

// Sign-in outcomes as the history counts them. The Prometheus counter
// hashless_store_logins_total keeps its coarser results: the three successes are "ok".
const (
	// LoginOK: signed in (a customer whose password the pool holds, or a legacy one whose
	// migration another flow was doing at the time).
	LoginOK = "ok"
	// LoginMigrated: signed in with a legacy password, which moved into the pool.
	LoginMigrated = "migrated"
	// LoginBlockedByPolicy: signed in with a legacy password that the pool's policy
	// refused; the customer stays legacy until a password change.
	LoginBlockedByPolicy = "blocked_by_policy"
	// LoginRefused: a wrong e-mail or password.
	LoginRefused = "refused"
	// LoginThrottled: refused unchecked, after too many failures.
	LoginThrottled = "throttled"
	// LoginError: the database or the pool failed.
	LoginError = "error"
)

// LoginOutcomeNames lists the outcomes in the order reports show them.
func LoginOutcomeNames() []string {
	return []string{LoginOK, LoginMigrated, LoginBlockedByPolicy, LoginRefused, LoginThrottled, LoginError}
}

func knownOutcome(o string) bool {
	for _, k := range LoginOutcomeNames() {
		if k == o {
			return true
		}
	}
	return false
}

// ErrNoReports: the service's store keeps no reports (Config.Reports is nil).
var ErrNoReports = errors.New("storeauth: the store keeps no migration history")

// loginTally holds the sign-in counts not yet in the store, by hour (UTC microseconds)
// and outcome.
type loginTally struct {
	mu     sync.Mutex
	counts map[tallyKey]int64
}

type tallyKey struct {
	hour    int64
	outcome string
}

func (t *loginTally) add(k tallyKey, n int64) {
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[tallyKey]int64{}
	}
	t.counts[k] += n
	t.mu.Unlock()
}

// take empties the tally and returns what it held.
func (t *loginTally) take() []store.LoginOutcomeCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]store.LoginOutcomeCount, 0, len(t.counts))
	for k, n := range t.counts {
		out = append(out, store.LoginOutcomeCount{Hour: time.UnixMicro(k.hour).UTC(), Outcome: k.outcome, Count: n})
	}
	clear(t.counts)
	return out
}

// noteLogin counts a sign-in's outcome: in the Prometheus counter, and in the tally when
// the store keeps reports.
func (s *Service) noteLogin(outcome string) {
	result := outcome
	if outcome == LoginMigrated || outcome == LoginBlockedByPolicy {
		result = LoginOK
	}
	s.metrics.logins.WithLabelValues(result).Inc()
	if s.reports != nil {
		s.logins.add(tallyKey{s.now().UTC().Truncate(time.Hour).UnixMicro(), outcome}, 1)
	}
}

// FlushLoginStats adds the sign-in counts kept in memory since the last flush to the
// store. On failure they are kept for the next one. Without reports it does nothing.
func (s *Service) FlushLoginStats(ctx context.Context) error {
	if s.reports == nil {
		return nil
	}
	pending := s.logins.take()
	if len(pending) == 0 {
		return nil
	}
	if err := s.reports.AddLoginOutcomes(ctx, pending); err != nil {
		for _, c := range pending {
			s.logins.add(tallyKey{c.Hour.UnixMicro(), c.Outcome}, c.Count)
		}
		return errStore(err)
	}
	return nil
}

// HistoryRange is a window of Buckets buckets of width Step that ends at End.
type HistoryRange struct {
	End     time.Time
	Step    time.Duration
	Buckets int
}

// HistoryEnding is the window of n buckets of width step whose last bucket holds now,
// aligned on step in UTC (a step of a day starts at midnight UTC).
func HistoryEnding(now time.Time, step time.Duration, n int) HistoryRange {
	end := now.UTC().Truncate(step)
	if !end.After(now) {
		end = end.Add(step)
	}
	return HistoryRange{End: end, Step: step, Buckets: n}
}

// Start is the window's first moment.
func (r HistoryRange) Start() time.Time { return r.End.Add(-time.Duration(r.Buckets) * r.Step) }

func (r HistoryRange) check() error {
	if err := store.CheckHistogram(r.Step, r.Buckets); err != nil {
		return invalid("The history's range is not usable: %d buckets of %v.", r.Buckets, r.Step)
	}
	return nil
}

// MigrationPoint is where the migration stood at one moment.
type MigrationPoint struct {
	At time.Time
	// Migrated: active customers migrated before At.
	Migrated int64
	// Legacy: active customers holding a legacy hash at At (those legacy now, plus those
	// migrated since At).
	Legacy int64
}

// MigrationHistory is the migration at the start of the window and at the end of each
// bucket (Buckets+1 points), with the counts of now.
func (s *Service) MigrationHistory(ctx context.Context, r HistoryRange) (MigrationStatus, []MigrationPoint, error) {
	if s.reports == nil {
		return MigrationStatus{}, nil, ErrNoReports
	}
	if err := r.check(); err != nil {
		return MigrationStatus{}, nil, err
	}
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		return MigrationStatus{}, nil, err
	}
	start := r.Start()
	h, err := s.reports.MigrationHistogram(ctx, start, r.Step, r.Buckets)
	if err != nil {
		return MigrationStatus{}, nil, errStore(err)
	}
	total := h.Before + h.After
	for _, n := range h.Buckets {
		total += n
	}
	points := make([]MigrationPoint, r.Buckets+1)
	migrated := h.Before
	for i := range points {
		points[i] = MigrationPoint{At: start.Add(time.Duration(i) * r.Step), Migrated: migrated,
			Legacy: status.Legacy + total - migrated}
		if i < r.Buckets {
			migrated += h.Buckets[i]
		}
	}
	return status, points, nil
}

// LoginBucket is the sign-ins of one bucket by outcome (LoginOutcomeNames; outcomes this
// version does not know are left out).
type LoginBucket struct {
	Start  time.Time
	Counts map[string]int64
	Total  int64
}

// LoginHistory is the sign-ins of each bucket of r by outcome. The store counts by hour, so
// r's step must be whole hours and its end on an hour. This node's counts are flushed
// first, so they are all in it.
func (s *Service) LoginHistory(ctx context.Context, r HistoryRange) ([]LoginBucket, error) {
	if s.reports == nil {
		return nil, ErrNoReports
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if r.Step%time.Hour != 0 || !r.End.Equal(r.End.Truncate(time.Hour)) {
		return nil, invalid("Sign-ins are counted by the hour: the history's step must be whole hours and its end on an hour.")
	}
	if err := s.FlushLoginStats(ctx); err != nil {
		s.log.Warn("sign-in counts not flushed", "err", err)
	}
	start := r.Start()
	rows, err := s.reports.LoginOutcomes(ctx, start, r.End)
	if err != nil {
		return nil, errStore(err)
	}
	out := make([]LoginBucket, r.Buckets)
	for i := range out {
		out[i] = LoginBucket{Start: start.Add(time.Duration(i) * r.Step), Counts: map[string]int64{}}
	}
	for _, row := range rows {
		i := int(row.Hour.Sub(start) / r.Step)
		if i < 0 || i >= len(out) || !knownOutcome(row.Outcome) {
			continue
		}
		out[i].Counts[row.Outcome] += row.Count
		out[i].Total += row.Count
	}
	return out, nil
}

// BlockedByPolicy lists active customers whose legacy password the pool's policy refused,
// by ID after after; limit is from 1 to 1000 (else 100).
func (s *Service) BlockedByPolicy(ctx context.Context, after string, limit int) ([]store.Customer, error) {
	if s.reports == nil {
		return nil, ErrNoReports
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	cs, err := s.reports.ListBlockedByPolicy(ctx, after, limit)
	if err != nil {
		return nil, errStore(err)
	}
	return cs, nil
}
