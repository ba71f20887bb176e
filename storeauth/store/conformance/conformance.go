package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// RunTests runs the suite. newStore must return an empty store that nothing else uses and
// arrange (with t.Cleanup) for it to be closed.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"CreateGetCustomer", testCreateGetCustomer},
		{"CustomerByEmail", testCustomerByEmail},
		{"DuplicateEmail", testDuplicateEmail},
		{"UpdateCustomer", testUpdateCustomer},
		{"UpdateCustomerEmail", testUpdateCustomerEmail},
		{"DeleteCustomer", testDeleteCustomer},
		{"ListCustomersFilters", testListCustomersFilters},
		{"ListCustomersPagination", testListCustomersPagination},
		{"RecordsAreCopied", testRecordsAreCopied},
		{"MigrationFields", testMigrationFields},
		{"CountCustomers", testCountCustomers},
		{"CountCustomersMigratedSince", testCountCustomersMigratedSince},
		{"ListCustomersLegacy", testListCustomersLegacy},
		{"CreateSession", testCreateSession},
		{"TouchSession", testTouchSession},
		{"ListSessions", testListSessions},
		{"DeleteSession", testDeleteSession},
		{"DeleteSessions", testDeleteSessions},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"Settings", testSettings},
		{"ConcurrentPutSetting", testConcurrentPutSetting},
		{"ConcurrentUpdateCustomer", testConcurrentUpdateCustomer},
		{"ConcurrentCreateSameEmail", testConcurrentCreateSameEmail},
		{"ConcurrentCredentialLease", testConcurrentCredentialLease},
		{"MigrationHistogram", testMigrationHistogram},
		{"LoginOutcomes", testLoginOutcomes},
		{"ConcurrentAddLoginOutcomes", testConcurrentAddLoginOutcomes},
		{"ListBlockedByPolicy", testListBlockedByPolicy},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			tc.run(t, s)
		})
	}
}

// t0 has nanoseconds, which backends may drop below the microsecond, and a zone other than
// UTC, which backends must not keep.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("UTC+1", 3600))

// Helpers. They report the caller's line.

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// equal compares got and want after norm, which makes the representations every backend may
// choose (time zone, sub-microsecond digits, nil or empty, JSON spelling) the same.
func equal[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// normJSON re-encodes a JSON value canonically (object keys sorted, no spaces), so that equal
// values compare equal whatever text a backend kept.
func normJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return append(json.RawMessage("invalid JSON: "), b...)
	}
	out, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return out
}

func normCustomer(c store.Customer) store.Customer {
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt), normTime(c.DeletedAt)
	c.MigratedAt, c.CredentialLeaseUntil = normTime(c.MigratedAt), normTime(c.CredentialLeaseUntil)
	c.Metadata = normJSON(c.Metadata)
	return c
}

func normSession(s store.Session) store.Session {
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = normTime(s.CreatedAt), normTime(s.LastSeenAt), normTime(s.ExpiresAt)
	return s
}

// wantUTC checks that every non-zero time came back in UTC.
func wantUTC(t *testing.T, what string, times ...time.Time) {
	t.Helper()
	for i, tm := range times {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Fatalf("%s: time %d (%v) is not in UTC", what, i, tm)
		}
	}
}

// Fixtures.

func newCustomer(id, email string) store.Customer {
	return store.Customer{
		ID: id, Email: email, FirstName: "First " + id, LastName: "Last " + id, Phone: "+15550100",
		Metadata:   json.RawMessage(`{"tier": "gold", "tags": ["a", "b"], "n": 1}`),
		HasAccount: true, State: store.StateActive,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

func newSession(id, customerID string, created time.Time) store.Session {
	return store.Session{
		ID: id, TokenHash: tokenHash(id), CustomerID: customerID,
		CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour),
		UserAgent: "Mozilla/5.0 (" + id + ")", IP: "203.0.113.7", Kind: "cookie",
	}
}

// tokenHash is a 32-byte stand-in for the SHA-256 of a token, different for every id, and
// with bytes that are not valid UTF-8, as real hashes have.
func tokenHash(id string) []byte {
	h := bytes.Repeat([]byte{0xff, 0x00}, 16)
	copy(h[2:], id)
	return h
}

func mustCreateCustomer(t *testing.T, s store.Store, cs ...store.Customer) {
	t.Helper()
	for _, c := range cs {
		wantNoErr(t, "CreateCustomer "+c.ID, s.CreateCustomer(t.Context(), c))
	}
}

func mustGetCustomer(t *testing.T, s store.Store, id string) store.Customer {
	t.Helper()
	c, err := s.GetCustomer(t.Context(), id)
	wantNoErr(t, "GetCustomer "+id, err)
	return c
}

func mustCreateSession(t *testing.T, s store.Store, ss ...store.Session) {
	t.Helper()
	for _, sess := range ss {
		wantNoErr(t, "CreateSession "+sess.ID, s.CreateSession(t.Context(), sess))
	}
}

func mustSession(t *testing.T, s store.Store, id string) store.Session {
	t.Helper()
	sess, err := s.SessionByTokenHash(t.Context(), tokenHash(id))
	wantNoErr(t, "SessionByTokenHash "+id, err)
	return sess
}

func customerIDs(cs []store.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func sessionIDs(ss []store.Session) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.ID)
	}
	return out
}

func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func listCustomers(t *testing.T, s store.Store, f store.CustomerFilter, after string, limit int) []store.Customer {
	t.Helper()
	cs, err := s.ListCustomers(t.Context(), f, after, limit)
	wantNoErr(t, fmt.Sprintf("ListCustomers(%+v, %q, %d)", f, after, limit), err)
	return cs
}

func listSessions(t *testing.T, s store.Store, customerID string) []string {
	t.Helper()
	ss, err := s.ListSessions(t.Context(), customerID)
	wantNoErr(t, "ListSessions "+customerID, err)
	return sessionIDs(ss)
}
