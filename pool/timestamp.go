package pool

import (
	"bytes"
	"strconv"
	"time"
)

// Timestamp is a time as the AWS JSON protocol writes it: seconds since the epoch, as a number
// with a fractional part.
type Timestamp struct{ time.Time }

func ts(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	t.Time = time.UnixMilli(int64(f * 1000)).UTC()
	return nil
}
