// Package store defines what the customer service keeps in the application's own database:
// customers, their sessions, a few settings, and optionally (Reports) what the migration
// dashboard reads: counts of migrations by time, sign-ins by hour and outcome, and the
// customers the pool's policy blocks. It owns the records, the interfaces every backend
// implements, and the sentinel errors; the backends are memory, sqlstore (SQLite and
// PostgreSQL), and the conformance suite in conformance proves them alike.
//
// Passwords are not here (they live in the pool), and neither are session tokens: only
// their SHA-256, so a copy of the database gives no live session.
package store
