// Package conformance is the behaviour every store.Store backend must show, as one test
// suite: a backend's tests call RunTests with a function that makes a fresh, empty store, and
// each named subtest runs on a store of its own. The customer service is tested against the
// memory store and deployed on SQL, so anything it may rely on has to be pinned down here.
//
// Beyond the interface comments, the suite fixes what they leave to the backend: a limit of
// zero or less lists every match; ListSessions breaks ties between equal CreatedAt by ID,
// also descending; a creation ignores the Version it is given; an empty Metadata reads back
// as nil; times read back in UTC. Times are compared at microsecond precision, the finest
// PostgreSQL keeps, and Metadata as JSON values, since a database may keep an equivalent
// text rather than the same bytes.
//
// store.Reports is optional: its subtests skip on a store that does not implement it.
package conformance
