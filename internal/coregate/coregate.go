// Package coregate bounds CPU- and memory-hard work (password KDFs, legacy hash checks) to
// one run per core. Letting every waiting request run such work at once gains no throughput
// on a fixed number of cores; it only multiplies memory (argon2id and scrypt hold tens of
// MiB a run) and makes every run late. The pool gates its KDF with one, and the customer
// service its legacy hash checks with another.
package coregate

import (
	"context"
	"runtime"
)

// Gate admits at most its capacity of holders at a time. The zero value is not usable; use
// New.
type Gate chan struct{}

// New makes a gate for one holder per core (GOMAXPROCS).
func New() Gate { return make(Gate, max(1, runtime.GOMAXPROCS(0))) }

// Enter waits for a place, or returns ctx's error if the caller stops waiting first.
func (g Gate) Enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave gives the place back; every successful Enter needs one.
func (g Gate) Leave() { <-g }
