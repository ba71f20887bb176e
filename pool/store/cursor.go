package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Cursors are shared by every backend so that a listing pages the same way on each; a cursor
// is not meant to move between backends.

// UserCursor is the position after the last user of a page: the filter attribute it was made
// for, the filtered column's value and the username key.
type UserCursor struct {
	Attr  string `json:"a,omitempty"`
	Value string `json:"v,omitempty"`
	Key   string `json:"k"`
}

// JobCursor is the position after the last import job of a page.
type JobCursor struct {
	Created int64  `json:"t"`
	JobID   string `json:"j"`
}

// EncodeCursor makes an opaque cursor of a plain struct.
func EncodeCursor(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings and integers are encoded
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor; anything else is ErrBadCursor.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	return nil
}

// DecodeUserCursor reads a user listing cursor and checks it belongs to filter f.
func DecodeUserCursor(after string, f UserFilter) (UserCursor, error) {
	var c UserCursor
	if after == "" {
		return c, nil
	}
	if err := DecodeCursor(after, &c); err != nil {
		return c, err
	}
	if c.Attr != f.Attribute {
		return c, fmt.Errorf("%w: cursor of a listing filtered on %q", ErrBadCursor, c.Attr)
	}
	// The cursor's value must pass the filter: a page starts at it.
	if f.Attribute != "" && (f.Prefix && !strings.HasPrefix(c.Value, f.Value) || !f.Prefix && c.Value != f.Value) {
		return c, fmt.Errorf("%w: cursor of a listing filtered on another value", ErrBadCursor)
	}
	return c, nil
}
