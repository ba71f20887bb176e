// Package csvimport owns Cognito's user import CSV format: the header GetCSVHeader hands out
// for a pool, and a streaming reader that validates an uploaded file row by row.
//
// It only parses and checks the file's shape. Whether a username is free, whether an
// attribute value is acceptable to the pool (formats, mutability, required attributes) and
// what an import job does with each row belong to the pool engine.
//
// Errors come in two kinds so that a job can behave as Cognito's does: a *RowError spoils one
// row, which the job counts as failed before going on with the next; any other error ends
// the job.
package csvimport
