// Package sqlstore is the store.Store kept in SQL: SQLite (modernc.org/sqlite, pure Go) for a
// single node, PostgreSQL (pgx through database/sql) for several. Both run the same SQL text;
// the few differences (column types, the table namespace, query plans, error codes) are
// translated in one place.
//
// It owns the pool's schema and its migrations: PostgreSQL tables live in their own schema
// (hashless_pool unless Options.Schema says otherwise) and SQLite tables carry the prefix
// pool_, so the pool can share a database with another component. Migrations run at Open, one
// transaction each, and nodes that start together on PostgreSQL take turns on an advisory
// lock. Opening by DSN, the migration runner, placeholder expansion and the SQLite statement
// cache are shared with the customer store through internal/sqldb; this package keeps what is
// the pool's own.
//
// Times are stored as INTEGER unix nanoseconds on both engines (the zero time.Time as the
// smallest int64), so they round-trip exactly and compare the same way everywhere. Text
// columns on PostgreSQL use the "C" collation: listings order byte-wise like SQLite and the
// memory store, and prefix filters are index range scans on both engines.
//
// Update is one transaction: BEGIN IMMEDIATE on SQLite, REPEATABLE READ on PostgreSQL, where
// serialization failures, deadlocks and ErrConflict run the function again after a short,
// jittered pause. Each write that can fail halfway runs under a savepoint, so a failed write
// (an alias already taken, say) leaves the transaction usable. View reads outside a
// transaction.
package sqlstore
