package storeauth

import (
	"sync"
	"time"
)

// throttle slows guessing after repeated failed sign-ins for one key (an e-mail address,
// known or not, or a client IP). Its schedule is Cognito's own lockout: free failures, then
// a block of 2^(n-free) seconds after the n-th, at most maxBlock, forgotten after quiet of
// resetAfter, and attempts during a block do not count. So it never shuts a customer out for
// longer than the pool's lockout would, while unknown e-mails (which the pool never locks)
// are slowed just like known ones, and the pool is not even asked during a block.
//
// It lives in each node's memory: across N nodes an attacker gets at most N times the
// guesses, still far below what the pool's own lockout allows per user.
type throttle struct {
	free       int
	maxBlock   time.Duration
	resetAfter time.Duration
	maxKeys    int

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	count        int
	last         time.Time
	blockedUntil time.Time
}

func newThrottle(free int, maxBlock time.Duration) *throttle {
	return &throttle{free: free, maxBlock: maxBlock, resetAfter: 15 * time.Minute, maxKeys: 200_000,
		keys: make(map[string]*failures)}
}

// blocked reports whether key is blocked at now, and for how much longer.
func (t *throttle) blocked(key string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.keys[key]
	if f == nil || !now.Before(f.blockedUntil) {
		return false, 0
	}
	return true, f.blockedUntil.Sub(now)
}

// fail counts a failed attempt for key.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.keys[key]
	if f == nil {
		if len(t.keys) >= t.maxKeys {
			t.sweepLocked(now)
		}
		f = &failures{}
		t.keys[key] = f
	}
	if now.Before(f.blockedUntil) {
		return
	}
	if now.Sub(f.last) > t.resetAfter {
		f.count = 0
	}
	f.count++
	f.last = now
	if n := f.count - t.free; n >= 0 {
		block := t.maxBlock
		if n < 30 { // from n = 34 on, 2^n seconds overflows time.Duration
			block = min(time.Duration(1<<n)*time.Second, t.maxBlock)
		}
		f.blockedUntil = now.Add(block)
	}
}

// succeed forgets key's failures.
func (t *throttle) succeed(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

// sweepLocked drops keys that no longer matter; if every key still matters (a flood of
// distinct keys), it drops them all rather than grow without bound: the pool's own lockout
// still protects each user.
func (t *throttle) sweepLocked(now time.Time) {
	for k, f := range t.keys {
		if now.Sub(f.last) > t.resetAfter && !now.Before(f.blockedUntil) {
			delete(t.keys, k)
		}
	}
	if len(t.keys) >= t.maxKeys {
		clear(t.keys)
	}
}

// sweep is called periodically to keep memory in check.
func (t *throttle) sweep(now time.Time) {
	t.mu.Lock()
	t.sweepLocked(now)
	t.mu.Unlock()
}
