// Package memory is the in-process store.Store: every record lives in maps guarded by one
// read-write mutex, and nothing survives the process. It backs `--db memory` and unit tests
// of the engine.
//
// Update holds the write lock for the whole call and keeps an undo log, so an error from its
// function puts every map back as it was. Records are copied on the way in and out: a caller
// that keeps or changes a slice it passed or received cannot change what is stored.
package memory
