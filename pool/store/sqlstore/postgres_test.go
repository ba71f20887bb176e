package sqlstore

import (
	"testing"

	"github.com/hashless/hashless/internal/sqldb/sqldbtest"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/conformance"
)

func openPostgres(t *testing.T, dsn string) *Store {
	t.Helper()
	return sqldbtest.Open(t, Open, dsn, Options{Logger: testLogger(t)})
}

func TestPostgresConformance(t *testing.T) {
	t.Parallel()
	conformance.RunTests(t, func(t *testing.T) store.Store { return openPostgres(t, testenv.PostgresDSN(t)) })
}
