package sqlstore

import (
	"testing"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/conformance"
)

func openSQLite(t *testing.T) *Store {
	t.Helper()
	return sqldbtest.Open(t, Open, testenv.SQLitePath(t), Options{Logger: testLogger(t)})
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openSQLite(t) })
}
