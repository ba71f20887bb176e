// Package store defines what the pool persists and the one interface every backend
// implements: records, sentinel errors and transactions.
//
// The engine (package pool) owns every rule; a backend only keeps records, enforces the
// uniqueness of keys (pool id, client id, username key, sub, alias, group name) and reports
// collisions as ErrAlreadyExists or ErrAliasExists. Engine-owned details travel as opaque JSON
// (Settings, State, Data) so that new pool features need no schema change.
//
// Writes go through Update, a transaction whose function may be retried. Records carry a
// Version that each write compares and bumps, so two nodes that read the same record cannot
// both write it (compare-and-swap). Backends live in subpackages named after what they use
// (memory, sqlstore); package conformance holds the behaviour every backend must show.
package store
