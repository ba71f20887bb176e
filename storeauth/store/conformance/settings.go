package conformance

import (
	"fmt"
	"sync"
	"testing"

	"github.com/hashless/hashless/storeauth/store"
)

// testSettings: the first value put under a name stays, and every later put returns it.
func testSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.Setting(ctx, "pool-id")
	wantErr(t, "Setting before any put", err, store.ErrNotFound)

	v, err := s.PutSettingIfAbsent(ctx, "pool-id", "us-east-1_first")
	wantNoErr(t, "PutSettingIfAbsent", err)
	if v != "us-east-1_first" {
		t.Fatalf("first PutSettingIfAbsent returned %q", v)
	}
	v, err = s.PutSettingIfAbsent(ctx, "pool-id", "us-east-1_second")
	wantNoErr(t, "second PutSettingIfAbsent", err)
	if v != "us-east-1_first" {
		t.Fatalf("second PutSettingIfAbsent returned %q, want the first value", v)
	}
	v, err = s.Setting(ctx, "pool-id")
	wantNoErr(t, "Setting", err)
	if v != "us-east-1_first" {
		t.Fatalf("Setting = %q, want the first value", v)
	}

	// Names are separate and exact; an empty value is a value.
	v, err = s.PutSettingIfAbsent(ctx, "Pool-ID", "")
	wantNoErr(t, "PutSettingIfAbsent of an empty value", err)
	if v != "" {
		t.Fatalf("PutSettingIfAbsent of an empty value returned %q", v)
	}
	v, err = s.PutSettingIfAbsent(ctx, "Pool-ID", "later")
	wantNoErr(t, "PutSettingIfAbsent over an empty value", err)
	if v != "" {
		t.Fatalf("PutSettingIfAbsent over an empty value returned %q", v)
	}
	if v, err := s.Setting(ctx, "pool-id"); err != nil || v != "us-east-1_first" {
		t.Fatalf("Setting(pool-id) = %q, %v after another name was put", v, err)
	}
	_, err = s.Setting(ctx, "pool-id ")
	wantErr(t, "Setting of a near name", err, store.ErrNotFound)
}

// testConcurrentPutSetting: nodes racing to put a setting all come away with one value.
func testConcurrentPutSetting(t *testing.T, s store.Store) {
	const racers = 8
	for round := range 5 {
		name := fmt.Sprintf("client-id-%d", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		got := make([]string, racers)
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				<-start
				got[i], errs[i] = s.PutSettingIfAbsent(t.Context(), name, fmt.Sprintf("value-%d", i))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			wantNoErr(t, fmt.Sprintf("PutSettingIfAbsent %d", i), err)
			if got[i] != got[0] {
				t.Fatalf("racing PutSettingIfAbsent calls returned different values: %q", got)
			}
		}
		stored, err := s.Setting(t.Context(), name)
		wantNoErr(t, "Setting", err)
		if stored != got[0] {
			t.Fatalf("Setting = %q, racers were told %q", stored, got[0])
		}
	}
}
