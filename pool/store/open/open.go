package open

import (
	"context"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/store/memory"
	"github.com/hashless/hashless/pool/store/sqlstore"
)

// Memory is the dsn that selects the in-memory store.
const Memory = "memory"

// Open returns the store dsn names: the in-memory store for "memory", otherwise the SQL store
// on a SQLite file path or a postgres:// / postgresql:// URL (opts apply to it alone).
func Open(ctx context.Context, dsn string, opts sqlstore.Options) (store.Store, error) {
	if dsn == Memory {
		return memory.New(), nil
	}
	return sqlstore.Open(ctx, dsn, opts)
}
