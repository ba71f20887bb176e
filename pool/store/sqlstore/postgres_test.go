package sqlstore

import (
	"testing"

	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/conformance"
)

func openPostgres(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openPostgres(t, testenv.PostgresDSN(t)) })
}
