package sqlstore

import (
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type errKind int

const (
	errKindOther errKind = iota
	errKindUnique
	errKindForeignKey
	// errKindRetry: the transaction lost a race (serialization failure, deadlock) and a new
	// one may succeed.
	errKindRetry
)

func (s *Store) classify(err error) errKind {
	if err == nil {
		return errKindOther
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return errKindUnique
		case "23503":
			return errKindForeignKey
		case "40001", "40P01":
			return errKindRetry
		}
		return errKindOther
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return errKindUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errKindForeignKey
		}
	}
	return errKindOther
}

// Times are unix nanoseconds; the zero time.Time is the smallest int64 so that it sorts and
// expires before every real time. Times beyond what int64 nanoseconds hold (before 1678,
// after 2262) are clamped.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

func timeArg(t time.Time) int64 {
	switch {
	case t.IsZero():
		return math.MinInt64
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func timeOf(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// blobArg stores an empty or nil blob as NULL; blobs come back as nil either way.
func blobArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func blobOf(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
