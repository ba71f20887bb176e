// Package sqldb is the plumbing the project's SQL stores share, so that each of them keeps only
// its own tables, queries and error mapping. It owns:
//
//   - opening a database by DSN: a postgres:// or postgresql:// URL is PostgreSQL (pgx through
//     database/sql), anything else the path of a SQLite file (modernc.org/sqlite), opened with
//     the project's pragmas (WAL, a busy timeout, foreign keys, BEGIN IMMEDIATE); in-memory
//     SQLite is refused, since every pooled connection would get a database of its own;
//   - placeholder expansion for queries written once for both engines ({P}, {TEXT}, {BLOB},
//     {SERIAL}; see DB.Expand), with each store's tables in a PostgreSQL schema of its own and
//     behind a table prefix of its own on SQLite;
//   - versioned migrations, each applied once in its own transaction and recorded in the
//     store's migrations table; nodes starting together on PostgreSQL take turns on an
//     advisory lock whose key is derived from the store's name and schema (see DB.LockKey);
//   - the SQLite prepared-statement cache behind DB.Querier;
//   - DB.Explain, the query plan one line per plan line, for tests and operators that check a
//     query is served by an index (package sqldbtest holds the test-side checks).
//
// Transactions, retry policy, isolation levels and the classification of errors stay with each
// store: they differ between them.
package sqldb
