package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// testConcurrentUpdateCustomer: writers racing on one row win exactly once per version, and
// writers that re-read and retry after ErrConflict lose no update.
func testConcurrentUpdateCustomer(t *testing.T, s store.Store) {
	const writers, perWriter = 8, 5
	ctx := t.Context()
	c := newCustomer("c1", "ann@example.com")
	c.Metadata = json.RawMessage(`{"n":0}`)
	mustCreateCustomer(t, s, c)

	// Every writer holds version 1: one swap succeeds, the rest conflict.
	base := mustGetCustomer(t, s, "c1")
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			c := base
			c.FirstName = fmt.Sprintf("writer-%d", i)
			<-start
			errs[i] = s.UpdateCustomer(ctx, c)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("writers %d and %d both updated version 1", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("racing UpdateCustomer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racing UpdateCustomer succeeded")
	}
	got := mustGetCustomer(t, s, "c1")
	if got.Version != 2 || got.FirstName != fmt.Sprintf("writer-%d", winner) {
		t.Fatalf("after the race: version %d, first name %q; writer %d won", got.Version, got.FirstName, winner)
	}

	// Read-modify-write with retries: every increment lands, each on a version of its own.
	var mu sync.Mutex
	var wonAt []int64
	fails := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			for range perWriter {
				v, err := increment(t, s, "c1")
				if err != nil {
					fails[i] = err
					return
				}
				mu.Lock()
				wonAt = append(wonAt, v)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, err := range fails {
		wantNoErr(t, fmt.Sprintf("writer %d", i), err)
	}
	got = mustGetCustomer(t, s, "c1")
	var st struct{ N int }
	if err := json.Unmarshal(got.Metadata, &st); err != nil {
		t.Fatalf("metadata %s: %v", got.Metadata, err)
	}
	if st.N != writers*perWriter || got.Version != 2+writers*perWriter {
		t.Fatalf("after %d increments: counter %d, version %d (want %d)", writers*perWriter, st.N, got.Version, 2+writers*perWriter)
	}
	slices.Sort(wonAt)
	for i, v := range wonAt {
		if v != int64(2+i) {
			t.Fatalf("versions the increments won at: %v, want each of 2…%d once", wonAt, 1+writers*perWriter)
		}
	}
}

// increment adds one to the customer's Metadata counter, re-reading after every
// ErrConflict, and returns the version its successful update compared against.
func increment(t *testing.T, s store.Store, id string) (int64, error) {
	ctx := t.Context()
	for range 10000 {
		c, err := s.GetCustomer(ctx, id)
		if err != nil {
			return 0, err
		}
		var st struct{ N int }
		if err := json.Unmarshal(c.Metadata, &st); err != nil {
			return 0, fmt.Errorf("metadata %s: %w", c.Metadata, err)
		}
		st.N++
		c.Metadata, _ = json.Marshal(st)
		c.UpdatedAt = t0.Add(time.Duration(st.N) * time.Second)
		err = s.UpdateCustomer(ctx, c)
		if err == nil {
			return c.Version, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return 0, err
		}
	}
	return 0, errors.New("increment: no update succeeded in 10000 attempts")
}

// testConcurrentCreateSameEmail: of customers created at once with one e-mail in different
// spellings, exactly one is stored.
func testConcurrentCreateSameEmail(t *testing.T, s store.Store) {
	const racers = 8
	spellings := []string{"race%d@example.com", "RACE%d@EXAMPLE.COM", "Race%d@Example.com", " race%d@example.com ",
		"rAcE%d@eXaMpLe.CoM", "race%d@Example.COM", "\trace%d@example.com", "RACE%d@example.com"}
	for round := range 5 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				c := newCustomer(fmt.Sprintf("r%d-%d", round, i), fmt.Sprintf(spellings[i%len(spellings)], round))
				if i%3 == 1 {
					c.State = store.StatePending
				}
				<-start
				errs[i] = s.CreateCustomer(t.Context(), c)
			})
		}
		close(start)
		wg.Wait()
		var won []int
		for i, err := range errs {
			switch {
			case err == nil:
				won = append(won, i)
			case !errors.Is(err, store.ErrDuplicateEmail):
				t.Fatalf("racing CreateCustomer %d: %v", i, err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d racing creates succeeded (%v), want 1", round, len(won), won)
		}
		got, err := s.CustomerByEmail(t.Context(), fmt.Sprintf("race%d@example.com", round))
		wantNoErr(t, "CustomerByEmail", err)
		if want := fmt.Sprintf("r%d-%d", round, won[0]); got.ID != want {
			t.Fatalf("CustomerByEmail = %s, the create of %s succeeded", got.ID, want)
		}
		all := listCustomers(t, s, store.CustomerFilter{}, "", 0)
		pending := listCustomers(t, s, store.CustomerFilter{State: store.StatePending}, "", 0)
		n := 0
		for _, c := range append(all, pending...) {
			if strings.HasPrefix(c.ID, fmt.Sprintf("r%d-", round)) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d customers stored", round, n)
		}
	}
}
