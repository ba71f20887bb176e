// Package memory is the in-process store.Store: customers, sessions and settings in maps
// behind one mutex, gone when the process ends. It backs single-process runs and tests that
// should not need a database, and the conformance suite holds it to the same contract as the
// SQL backends.
//
// Two side maps (live e-mail to customer, token hash to session) give the look-ups and
// uniqueness checks the SQL indexes give, so a miss costs what it costs on a database rather
// than a scan. Records are copied on the way in and out, and times are kept in UTC at
// microsecond precision, the finest PostgreSQL keeps: code that passes its tests here cannot
// depend on sharing memory with the store or on detail a database would drop.
package memory
