// Package store defines what the customer service keeps in the application's own database:
// customers, their sessions, and a few settings. It owns the records, the interface every
// backend implements, and the sentinel errors; the backends are memory, sqlstore (SQLite
// and PostgreSQL), and the conformance suite in conformance proves them alike.
//
// Passwords are not here (they live in the pool), and neither are session tokens: only
// their SHA-256, so a copy of the database gives no live session.
package store
