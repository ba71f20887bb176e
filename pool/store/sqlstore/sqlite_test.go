package sqlstore

import (
	"testing"

	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/conformance"
)

func openSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), testenv.SQLitePath(t), Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openSQLite(t) })
}
