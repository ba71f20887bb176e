// Package sqlstore is the store.Store kept in SQL: SQLite (modernc.org/sqlite, pure Go) for a
// single node, PostgreSQL (pgx through database/sql) for several. Both engines run the same
// SQL text, so the customer service behaves the same on either; the few differences (column
// types, the table namespace, error codes) are translated in one place.
//
// It owns the customer tables and their migrations. They share a database with the pool, so
// they keep apart from it: SQLite tables carry the prefix store_, PostgreSQL tables live in
// their own schema (hashless_store unless Options.Schema says otherwise), and the migrations
// are recorded in a table of their own. Nodes that start together on PostgreSQL take turns
// on an advisory lock, so each migration runs once. Opening by DSN, the migration runner,
// placeholder expansion and the SQLite statement cache are shared with the pool's store
// through internal/sqldb.
//
// Uniqueness is left to the database, because only it sees every node: e-mails are unique
// through a partial index on a lower-cased, trimmed key over the rows that are not deleted
// (folded in Go, so that both engines agree on Unicode), and updates compare the version in
// their WHERE clause. Times are BIGINT unix microseconds in UTC, the finest PostgreSQL keeps,
// so both engines compare and order them alike. Sessions have no foreign key to customers:
// the memory store has none either, and the service removes sessions itself.
package sqlstore
