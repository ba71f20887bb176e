package pool

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/internal/kdf"
)

// The password KDF is memory-hard on purpose (19 MiB per argon2id call by default), so at
// most one KDF call per core runs at a time (coregate) and the rest queue.

// kdfCounter counts KDF runs by kind ("hash", "verify", "dummy"): a failed sign-in must cost
// one verify whether or not the user exists, and this is how that is seen from outside.
func newKDFCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hashless_pool_kdf_runs_total",
		Help: "Password KDF runs by kind: hash (a new password), verify (a stored hash), dummy (a user that does not exist).",
	}, []string{"kind"})
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// hashPassword hashes with the configured KDF.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	if err := s.kdfGate.Enter(ctx); err != nil {
		return "", err
	}
	defer s.kdfGate.Leave()
	s.kdfRuns.WithLabelValues("hash").Inc()
	return s.kdf.Hash(password)
}

// verifyPassword checks password against a stored hash, whatever KDF made it.
func (s *Service) verifyPassword(ctx context.Context, password, encoded string) (bool, error) {
	if err := s.kdfGate.Enter(ctx); err != nil {
		return false, err
	}
	defer s.kdfGate.Leave()
	s.kdfRuns.WithLabelValues("verify").Inc()
	return kdf.Verify(password, encoded)
}

// dummyVerify costs what verifyPassword costs, for users that do not exist.
func (s *Service) dummyVerify(ctx context.Context, password string) {
	if s.kdfGate.Enter(ctx) != nil {
		return
	}
	defer s.kdfGate.Leave()
	s.kdfRuns.WithLabelValues("dummy").Inc()
	s.kdf.DummyVerify(password)
}
