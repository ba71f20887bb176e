package memory

import (
	"cmp"
	"math"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// timeKey orders times as the SQL backends store them: unix nanoseconds, with the zero time
// first.
func timeKey(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func compareUser(aVal, aKey, bVal, bKey string) int {
	return cmp.Or(cmp.Compare(aVal, bVal), cmp.Compare(aKey, bKey))
}

func compareJob(a, b store.JobCursor) int {
	return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(a.JobID, b.JobID))
}

// pageOf returns the items of sorted (ordered by key) strictly after page.After, at most
// page.Limit of them (all when Limit ≤ 0), and the cursor of the next page, empty when none
// follows.
func pageOf[T any](sorted []T, key func(T) string, page store.Page) ([]T, string) {
	start := 0
	if page.After != "" {
		for start < len(sorted) && key(sorted[start]) <= page.After {
			start++
		}
	}
	rest := sorted[start:]
	if page.Limit <= 0 || len(rest) <= page.Limit {
		return rest, ""
	}
	rest = rest[:page.Limit]
	return rest, key(rest[len(rest)-1])
}
