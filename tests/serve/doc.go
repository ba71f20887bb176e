// Package servetest drives `hashless serve` end to end: it builds the binary once, runs it as
// real subprocesses (with the embedded pool, or against a separate `hashless pool` process,
// on SQLite and on PostgreSQL) and talks to them only over HTTP, as a store front or a
// reverse proxy would. The fault tests kill serve with a real SIGKILL in the middle of a
// registration, a deletion or a legacy customer's migration and prove that a restart settles
// what was left half done. The migration tests import customers with legacy password hashes
// (CLI and admin route) and prove the lazy migration at sign-in, password reset and change.
//
// It has no non-test code. PostgreSQL tests need HASHLESS_TEST_POSTGRES_DSN (see
// internal/testenv).
package servetest
