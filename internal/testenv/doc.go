// Package testenv gives tests the external resources they need, each one private to the test
// that asked for it: a fresh PostgreSQL database (from HASHLESS_TEST_POSTGRES_DSN) or a SQLite
// file in the test's temporary directory. Packages run their tests in parallel, so nothing here
// is shared between tests, and everything is removed when the test ends.
//
// Without HASHLESS_TEST_POSTGRES_DSN the PostgreSQL tests skip, except under CI=true, where a
// missing database is a failure: CI must not pass by running nothing.
package testenv
