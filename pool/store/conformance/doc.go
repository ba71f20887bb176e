// Package conformance is the behaviour every store.Store backend must show, as one test suite:
// a backend's tests call RunTests with a function that makes a fresh, empty store, and each
// named subtest runs on a store of its own.
//
// The suite pins down what the interface comments leave to the backend, so that the engine can
// rely on it whichever backend runs: a create keeps the Version it is given and an update
// stores Version+1; Page.Limit ≤ 0 means no limit and NextCursor is empty exactly when no page
// follows; a create under a missing pool (or a membership of a missing user or group) is
// ErrNotFound; DeleteEphemeral of a missing record is ErrNotFound; an empty byte slice or list
// reads back as nil; a failed write inside Update leaves the transaction usable; Cleanup drops
// an import job's CSV body once the job's CreatedAt is more than a day before now (Data is
// opaque, so a backend cannot tell when a job ended). Times are
// compared in UTC at microsecond precision, the finest PostgreSQL keeps.
package conformance
