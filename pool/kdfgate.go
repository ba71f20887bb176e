package pool

import (
	"context"
	"runtime"

	"github.com/hashless/hashless/internal/kdf"
)

// The password KDF is memory-hard on purpose (19 MiB per argon2id call by default). Letting
// every waiting request run it at once gains no throughput on a fixed number of cores; it
// only multiplies memory use and cache misses, and lets a burst of sign-ins exhaust memory.
// So at most one KDF call per core runs at a time, and the rest queue.

type kdfGate chan struct{}

func newKDFGate() kdfGate { return make(kdfGate, max(1, runtime.GOMAXPROCS(0))) }

func (g kdfGate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g kdfGate) leave() { <-g }

// hashPassword hashes with the configured KDF.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	if err := s.kdfGate.enter(ctx); err != nil {
		return "", err
	}
	defer s.kdfGate.leave()
	return s.kdf.Hash(password)
}

// verifyPassword checks password against a stored hash, whatever KDF made it.
func (s *Service) verifyPassword(ctx context.Context, password, encoded string) (bool, error) {
	if err := s.kdfGate.enter(ctx); err != nil {
		return false, err
	}
	defer s.kdfGate.leave()
	return kdf.Verify(password, encoded)
}

// dummyVerify costs what verifyPassword costs, for users that do not exist.
func (s *Service) dummyVerify(ctx context.Context, password string) {
	if s.kdfGate.enter(ctx) != nil {
		return
	}
	defer s.kdfGate.leave()
	s.kdf.DummyVerify(password)
}
