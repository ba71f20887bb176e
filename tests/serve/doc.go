// Package servetest drives `hashless serve` end to end: it builds the binary once, runs it as
// real subprocesses (with the embedded pool, or against a separate `hashless pool` process,
// on SQLite and on PostgreSQL) and talks to them only over HTTP, as a store front or a
// reverse proxy would. The fault tests kill serve with a real SIGKILL in the middle of a
// registration or deletion and prove that a restart settles what was left half done.
//
// It has no non-test code. PostgreSQL tests need HASHLESS_TEST_POSTGRES_DSN (see
// internal/testenv).
package servetest
