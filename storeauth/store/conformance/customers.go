package conformance

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// testCreateGetCustomer: a customer reads back as written, with Version 1 whatever it was
// created with, in UTC; IDs are unique.
func testCreateGetCustomer(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomer("c1", "Ann.Smith@Example.com")
	c.PasswordHash = "$2a$10$legacy"
	c.Disabled = true
	c.Version = 42
	mustCreateCustomer(t, s, c)

	got := mustGetCustomer(t, s, "c1")
	want := c
	want.Version = 1
	equal(t, "GetCustomer", got, want, normCustomer)
	wantUTC(t, "GetCustomer", got.CreatedAt, got.UpdatedAt, got.DeletedAt)

	// The smallest customer: no metadata, no account, false flags, zero times.
	bare := store.Customer{ID: "c2", Email: "bare@example.com", State: store.StatePending}
	mustCreateCustomer(t, s, bare)
	got = mustGetCustomer(t, s, "c2")
	bare.Version = 1
	equal(t, "GetCustomer of a bare customer", got, bare, normCustomer)
	if got.Metadata != nil {
		t.Fatalf("nil Metadata reads back as %q", got.Metadata)
	}
	if !got.CreatedAt.IsZero() || !got.DeletedAt.IsZero() {
		t.Fatalf("zero times read back as %v, %v", got.CreatedAt, got.DeletedAt)
	}

	// A soft-deleted customer keeps DeletedAt.
	gone := newCustomer("c3", "gone@example.com")
	gone.State, gone.DeletedAt = store.StateDeleted, t0.Add(time.Hour)
	mustCreateCustomer(t, s, gone)
	got = mustGetCustomer(t, s, "c3")
	gone.Version = 1
	equal(t, "GetCustomer of a deleted customer", got, gone, normCustomer)

	_, err := s.GetCustomer(ctx, "missing")
	wantErr(t, "GetCustomer of a missing ID", err, store.ErrNotFound)

	dup := newCustomer("c1", "someone.else@example.com")
	wantErr(t, "CreateCustomer with a taken ID", s.CreateCustomer(ctx, dup), store.ErrDuplicateID)
	// The refused customer did not take its e-mail.
	_, err = s.CustomerByEmail(ctx, "someone.else@example.com")
	wantErr(t, "CustomerByEmail after a refused create", err, store.ErrNotFound)
	equal(t, "customer after a refused duplicate", mustGetCustomer(t, s, "c1"), want, normCustomer)
}

// testCustomerByEmail: look-ups ignore letter case and surrounding spaces, return the e-mail
// as typed, and see every state but StateDeleted.
func testCustomerByEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	ann := newCustomer("ann", "Ann.Smith@Example.COM")
	pending := newCustomer("pending", "pending@example.com")
	pending.State = store.StatePending
	deleting := newCustomer("deleting", "deleting@example.com")
	deleting.State = store.StateDeleting
	deleted := newCustomer("deleted", "deleted@example.com")
	deleted.State, deleted.DeletedAt = store.StateDeleted, t0
	mustCreateCustomer(t, s, ann, pending, deleting, deleted)

	for _, email := range []string{"Ann.Smith@Example.COM", "ann.smith@example.com", "ANN.SMITH@EXAMPLE.COM", "  ann.Smith@example.com\t"} {
		got, err := s.CustomerByEmail(ctx, email)
		wantNoErr(t, fmt.Sprintf("CustomerByEmail(%q)", email), err)
		if got.ID != "ann" || got.Email != "Ann.Smith@Example.COM" {
			t.Fatalf("CustomerByEmail(%q) = %s <%s>, want ann <Ann.Smith@Example.COM>", email, got.ID, got.Email)
		}
		want := ann
		want.Version = 1
		equal(t, "CustomerByEmail", got, want, normCustomer)
	}
	for _, c := range []store.Customer{pending, deleting} {
		got, err := s.CustomerByEmail(ctx, c.Email)
		wantNoErr(t, "CustomerByEmail of a "+string(c.State)+" customer", err)
		if got.ID != c.ID || got.State != c.State {
			t.Fatalf("CustomerByEmail(%q) = %s (%s)", c.Email, got.ID, got.State)
		}
	}
	_, err := s.CustomerByEmail(ctx, "deleted@example.com")
	wantErr(t, "CustomerByEmail of a deleted customer", err, store.ErrNotFound)
	_, err = s.CustomerByEmail(ctx, "nobody@example.com")
	wantErr(t, "CustomerByEmail of an unknown e-mail", err, store.ErrNotFound)
	_, err = s.CustomerByEmail(ctx, "ann.smith@example.co")
	wantErr(t, "CustomerByEmail of a prefix", err, store.ErrNotFound)
}

// testDuplicateEmail: every state but StateDeleted holds its e-mail in any letter case;
// deleted customers hold nothing, however many share an e-mail.
func testDuplicateEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	states := []store.CustomerState{store.StateActive, store.StatePending, store.StateDeleting}
	for i, st := range states {
		email := fmt.Sprintf("held%d@example.com", i)
		c := newCustomer(fmt.Sprintf("holder-%d", i), email)
		c.State = st
		mustCreateCustomer(t, s, c)
		for j, other := range []string{email, fmt.Sprintf(" HELD%d@Example.Com ", i)} {
			for _, st2 := range states {
				d := newCustomer(fmt.Sprintf("dup-%d-%d-%s", i, j, st2), other)
				d.State = st2
				wantErr(t, fmt.Sprintf("CreateCustomer(%q, %s) while a %s customer holds it", other, st2, st),
					s.CreateCustomer(ctx, d), store.ErrDuplicateEmail)
			}
		}
		// A deleted row may carry the e-mail of a live one.
		d := newCustomer(fmt.Sprintf("deleted-%d", i), email)
		d.State, d.DeletedAt = store.StateDeleted, t0
		mustCreateCustomer(t, s, d)
	}

	// Deleted rows do not block a new customer, nor each other.
	for i := range 3 {
		d := newCustomer(fmt.Sprintf("old-%d", i), "Reused@example.com")
		d.State, d.DeletedAt = store.StateDeleted, t0
		mustCreateCustomer(t, s, d)
	}
	mustCreateCustomer(t, s, newCustomer("new", "reused@EXAMPLE.com"))
	got, err := s.CustomerByEmail(ctx, "reused@example.com")
	wantNoErr(t, "CustomerByEmail", err)
	if got.ID != "new" {
		t.Fatalf("CustomerByEmail found %s, want the live customer", got.ID)
	}
	wantErr(t, "CreateCustomer of a reused e-mail once live again",
		s.CreateCustomer(ctx, newCustomer("newer", "REUSED@example.com")), store.ErrDuplicateEmail)
}

// testUpdateCustomer: UpdateCustomer is a compare-and-swap on Version that stores every field
// it is given.
func testUpdateCustomer(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateCustomer(t, s, newCustomer("c1", "ann@example.com"), newCustomer("c2", "bob@example.com"))
	c := mustGetCustomer(t, s, "c1")
	stale := c

	c.FirstName, c.LastName, c.Phone = "Anne", "Smythe", ""
	c.Metadata = json.RawMessage(`{"tier":"silver"}`)
	c.HasAccount, c.Disabled, c.PasswordHash = false, true, "legacy"
	c.State = store.StateDeleting
	c.UpdatedAt = t0.Add(time.Hour)
	wantNoErr(t, "UpdateCustomer", s.UpdateCustomer(ctx, c))
	got := mustGetCustomer(t, s, "c1")
	want := c
	want.Version = 2
	equal(t, "after UpdateCustomer", got, want, normCustomer)
	wantUTC(t, "after UpdateCustomer", got.CreatedAt, got.UpdatedAt)

	// A writer that read before the update loses.
	stale.FirstName = "Stale"
	wantErr(t, "UpdateCustomer with a stale version", s.UpdateCustomer(ctx, stale), store.ErrConflict)
	// So does one that claims a version the row has not reached.
	ahead := got
	ahead.Version = 7
	wantErr(t, "UpdateCustomer with a future version", s.UpdateCustomer(ctx, ahead), store.ErrConflict)
	equal(t, "after refused updates", mustGetCustomer(t, s, "c1"), want, normCustomer)

	// The next update starts from the new version; Metadata can be cleared.
	got.Metadata = nil
	got.State, got.DeletedAt = store.StateDeleted, t0.Add(2*time.Hour)
	wantNoErr(t, "second UpdateCustomer", s.UpdateCustomer(ctx, got))
	after := mustGetCustomer(t, s, "c1")
	if after.Version != 3 || after.Metadata != nil || after.State != store.StateDeleted ||
		!normTime(after.DeletedAt).Equal(normTime(got.DeletedAt)) {
		t.Fatalf("after second UpdateCustomer: %+v", after)
	}

	missing := newCustomer("missing", "missing@example.com")
	missing.Version = 1
	wantErr(t, "UpdateCustomer of a missing customer", s.UpdateCustomer(ctx, missing), store.ErrNotFound)
	// The other row was not touched.
	if other := mustGetCustomer(t, s, "c2"); other.Version != 1 || other.FirstName != "First c2" {
		t.Fatalf("UpdateCustomer changed another customer: %+v", other)
	}
}

// testUpdateCustomerEmail: an update may not take the e-mail of another live customer, frees
// the old e-mail when it changes it or deletes the customer, and may take it back.
func testUpdateCustomerEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := newCustomer("gone", "gone@example.com")
	gone.State, gone.DeletedAt = store.StateDeleted, t0
	pending := newCustomer("pending", "pending@example.com")
	pending.State = store.StatePending
	mustCreateCustomer(t, s, newCustomer("ann", "ann@example.com"), newCustomer("bob", "bob@example.com"), gone, pending)

	ann := mustGetCustomer(t, s, "ann")
	for _, email := range []string{"bob@example.com", " BOB@Example.com", "pending@EXAMPLE.COM"} {
		c := ann
		c.Email = email
		wantErr(t, fmt.Sprintf("UpdateCustomer to %q", email), s.UpdateCustomer(ctx, c), store.ErrDuplicateEmail)
	}
	if got := mustGetCustomer(t, s, "ann"); got.Email != "ann@example.com" || got.Version != 1 {
		t.Fatalf("a refused e-mail change changed the customer: %+v", got)
	}

	// Its own e-mail in another letter case is no conflict.
	ann.Email = "ANN@example.com"
	wantNoErr(t, "UpdateCustomer changing the case of its own e-mail", s.UpdateCustomer(ctx, ann))
	ann = mustGetCustomer(t, s, "ann")
	if ann.Email != "ANN@example.com" {
		t.Fatalf("e-mail stored as %q", ann.Email)
	}

	// A deleted customer's e-mail is free; the old one is then free too.
	ann.Email = "Gone@example.com"
	wantNoErr(t, "UpdateCustomer to a deleted customer's e-mail", s.UpdateCustomer(ctx, ann))
	ann = mustGetCustomer(t, s, "ann")
	if got, err := s.CustomerByEmail(ctx, "gone@example.com"); err != nil || got.ID != "ann" {
		t.Fatalf("CustomerByEmail of the new e-mail: %s, %v", got.ID, err)
	}
	_, err := s.CustomerByEmail(ctx, "ann@example.com")
	wantErr(t, "CustomerByEmail of the old e-mail", err, store.ErrNotFound)
	mustCreateCustomer(t, s, newCustomer("ann2", "ann@example.com"))

	// Deleting bob frees his e-mail for another update.
	bob := mustGetCustomer(t, s, "bob")
	bob.State, bob.DeletedAt = store.StateDeleted, t0.Add(time.Minute)
	wantNoErr(t, "UpdateCustomer to StateDeleted", s.UpdateCustomer(ctx, bob))
	ann.Email = "bob@example.com"
	wantNoErr(t, "UpdateCustomer to a freed e-mail", s.UpdateCustomer(ctx, ann))

	// Bringing bob back while ann holds his e-mail is refused.
	bob = mustGetCustomer(t, s, "bob")
	bob.State, bob.DeletedAt = store.StateActive, time.Time{}
	wantErr(t, "UpdateCustomer restoring a taken e-mail", s.UpdateCustomer(ctx, bob), store.ErrDuplicateEmail)
	if got := mustGetCustomer(t, s, "bob"); got.State != store.StateDeleted {
		t.Fatalf("a refused restore changed the state to %s", got.State)
	}
}

// testDeleteCustomer: DeleteCustomer compares the version, and removes the row and its hold
// on the e-mail.
func testDeleteCustomer(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomer("c1", "ann@example.com")
	c.State = store.StatePending
	mustCreateCustomer(t, s, c, newCustomer("c2", "bob@example.com"))

	wantErr(t, "DeleteCustomer with a wrong version", s.DeleteCustomer(ctx, "c1", 2), store.ErrConflict)
	wantErr(t, "DeleteCustomer with version 0", s.DeleteCustomer(ctx, "c1", 0), store.ErrConflict)
	mustGetCustomer(t, s, "c1")

	wantNoErr(t, "DeleteCustomer", s.DeleteCustomer(ctx, "c1", 1))
	_, err := s.GetCustomer(ctx, "c1")
	wantErr(t, "GetCustomer after DeleteCustomer", err, store.ErrNotFound)
	_, err = s.CustomerByEmail(ctx, "ann@example.com")
	wantErr(t, "CustomerByEmail after DeleteCustomer", err, store.ErrNotFound)
	wantErr(t, "DeleteCustomer again", s.DeleteCustomer(ctx, "c1", 1), store.ErrNotFound)
	wantErr(t, "DeleteCustomer of a missing ID", s.DeleteCustomer(ctx, "missing", 1), store.ErrNotFound)
	mustGetCustomer(t, s, "c2")

	// Both the ID and the e-mail can be used again.
	mustCreateCustomer(t, s, newCustomer("c1", "ANN@example.com"))
	if got := mustGetCustomer(t, s, "c1"); got.Version != 1 {
		t.Fatalf("a re-created customer has version %d", got.Version)
	}

	// After an update the delete needs the new version.
	c2 := mustGetCustomer(t, s, "c2")
	c2.FirstName = "Bobby"
	wantNoErr(t, "UpdateCustomer", s.UpdateCustomer(ctx, c2))
	wantErr(t, "DeleteCustomer with the version before the update", s.DeleteCustomer(ctx, "c2", 1), store.ErrConflict)
	wantNoErr(t, "DeleteCustomer with the current version", s.DeleteCustomer(ctx, "c2", 2))
}

// testListCustomersFilters: State (empty meaning active), Email (any letter case) and
// UpdatedBefore select, and combine.
func testListCustomersFilters(t *testing.T, s store.Store) {
	mk := func(id, email string, st store.CustomerState, updated time.Duration) store.Customer {
		c := newCustomer(id, email)
		c.State, c.UpdatedAt = st, t0.Add(updated)
		if st == store.StateDeleted {
			c.DeletedAt = c.UpdatedAt
		}
		return c
	}
	mustCreateCustomer(t, s,
		mk("a1", "a1@example.com", store.StateActive, 1*time.Minute),
		mk("a2", "Shared@example.com", store.StateActive, 5*time.Minute),
		mk("a3", "a3@example.com", store.StateActive, 10*time.Minute),
		mk("p1", "p1@example.com", store.StatePending, 2*time.Minute),
		mk("p2", "p2@example.com", store.StatePending, 20*time.Minute),
		mk("g1", "g1@example.com", store.StateDeleting, 3*time.Minute),
		mk("d1", "shared@example.com", store.StateDeleted, 4*time.Minute),
		mk("d2", "SHARED@example.com", store.StateDeleted, 30*time.Minute),
	)
	for _, tc := range []struct {
		name string
		f    store.CustomerFilter
		want []string
	}{
		{"no filter lists active customers", store.CustomerFilter{}, []string{"a1", "a2", "a3"}},
		{"active", store.CustomerFilter{State: store.StateActive}, []string{"a1", "a2", "a3"}},
		{"pending", store.CustomerFilter{State: store.StatePending}, []string{"p1", "p2"}},
		{"deleting", store.CustomerFilter{State: store.StateDeleting}, []string{"g1"}},
		{"deleted", store.CustomerFilter{State: store.StateDeleted}, []string{"d1", "d2"}},
		{"email of active", store.CustomerFilter{Email: "shared@example.com"}, []string{"a2"}},
		{"email in another case", store.CustomerFilter{Email: "SHARED@EXAMPLE.COM"}, []string{"a2"}},
		{"email of deleted", store.CustomerFilter{Email: "shared@example.com", State: store.StateDeleted}, []string{"d1", "d2"}},
		{"email in another state", store.CustomerFilter{Email: "p1@example.com"}, nil},
		{"email pending", store.CustomerFilter{Email: "p1@example.com", State: store.StatePending}, []string{"p1"}},
		{"email unknown", store.CustomerFilter{Email: "nobody@example.com"}, nil},
		{"updated before", store.CustomerFilter{UpdatedBefore: t0.Add(5 * time.Minute)}, []string{"a1"}},
		{"updated before, later", store.CustomerFilter{UpdatedBefore: t0.Add(5*time.Minute + time.Microsecond)}, []string{"a1", "a2"}},
		{"pending updated before", store.CustomerFilter{State: store.StatePending, UpdatedBefore: t0.Add(time.Hour)}, []string{"p1", "p2"}},
		{"pending updated before, early", store.CustomerFilter{State: store.StatePending, UpdatedBefore: t0.Add(10 * time.Minute)}, []string{"p1"}},
		{"deleted updated before", store.CustomerFilter{State: store.StateDeleted, UpdatedBefore: t0.Add(10 * time.Minute)}, []string{"d1"}},
		{"all filters", store.CustomerFilter{State: store.StateDeleted, Email: "Shared@Example.com", UpdatedBefore: t0.Add(time.Hour)}, []string{"d1", "d2"}},
		{"nothing that early", store.CustomerFilter{UpdatedBefore: t0}, nil},
	} {
		got := listCustomers(t, s, tc.f, "", 100)
		wantIDs(t, tc.name, customerIDs(got), tc.want)
	}

	// Listed records are whole.
	got := listCustomers(t, s, store.CustomerFilter{Email: "shared@example.com"}, "", 0)
	want := mk("a2", "Shared@example.com", store.StateActive, 5*time.Minute)
	want.Version = 1
	equal(t, "listed customer", got[0], want, normCustomer)
	wantUTC(t, "listed customer", got[0].CreatedAt, got[0].UpdatedAt)
}

// testListCustomersPagination: pages follow the ID, byte-wise, starting after the given ID;
// a limit of zero or less lists everything.
func testListCustomersPagination(t *testing.T, s store.Store) {
	// Created out of order, with IDs whose byte order differs from a case-folding or
	// numeric one.
	ids := []string{"c10", "C2", "c02", "b", "c1", "a", "c9", "c-1", "Z"}
	for i, id := range ids {
		mustCreateCustomer(t, s, newCustomer(id, fmt.Sprintf("user%d@example.com", i)))
	}
	p := newCustomer("c05", "pending@example.com")
	p.State = store.StatePending
	mustCreateCustomer(t, s, p)
	want := []string{"C2", "Z", "a", "b", "c-1", "c02", "c1", "c10", "c9"}

	wantIDs(t, "limit 0", customerIDs(listCustomers(t, s, store.CustomerFilter{}, "", 0)), want)
	wantIDs(t, "limit -1", customerIDs(listCustomers(t, s, store.CustomerFilter{}, "", -1)), want)
	for _, limit := range []int{1, 2, 4, 9, 10} {
		var all []string
		after := ""
		for range 20 {
			page := listCustomers(t, s, store.CustomerFilter{}, after, limit)
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			all = append(all, customerIDs(page)...)
			after = page[len(page)-1].ID
		}
		wantIDs(t, fmt.Sprintf("pages of %d", limit), all, want)
	}
	// After need not be an existing ID.
	wantIDs(t, "after c0", customerIDs(listCustomers(t, s, store.CustomerFilter{}, "c0", 3)), []string{"c02", "c1", "c10"})
	wantIDs(t, "after the last", customerIDs(listCustomers(t, s, store.CustomerFilter{}, "c9", 3)), nil)
	wantIDs(t, "pending after c", customerIDs(listCustomers(t, s, store.CustomerFilter{State: store.StatePending}, "c", 0)), []string{"c05"})
}

// testRecordsAreCopied: neither the slices a caller passed in nor those it got back share
// memory with the store.
func testRecordsAreCopied(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomer("c1", "ann@example.com")
	c.Metadata = json.RawMessage(`{"k":"v"}`)
	mustCreateCustomer(t, s, c)
	c.Metadata[2] = 'X'

	got := mustGetCustomer(t, s, "c1")
	if string(normJSON(got.Metadata)) != `{"k":"v"}` {
		t.Fatalf("changing the created Metadata changed the store: %s", got.Metadata)
	}
	got.Metadata[2] = 'X'
	byEmail, err := s.CustomerByEmail(ctx, "ann@example.com")
	wantNoErr(t, "CustomerByEmail", err)
	byEmail.Metadata[2] = 'Y'
	listed := listCustomers(t, s, store.CustomerFilter{}, "", 0)
	listed[0].Metadata[2] = 'Z'
	if again := mustGetCustomer(t, s, "c1"); string(normJSON(again.Metadata)) != `{"k":"v"}` {
		t.Fatalf("changing read Metadata changed the store: %s", again.Metadata)
	}

	upd := mustGetCustomer(t, s, "c1")
	upd.Metadata = json.RawMessage(`{"k":"w"}`)
	wantNoErr(t, "UpdateCustomer", s.UpdateCustomer(ctx, upd))
	upd.Metadata[2] = 'X'
	if again := mustGetCustomer(t, s, "c1"); string(normJSON(again.Metadata)) != `{"k":"w"}` {
		t.Fatalf("changing updated Metadata changed the store: %s", again.Metadata)
	}

	sess := newSession("s1", "c1", t0)
	mustCreateSession(t, s, sess)
	want := tokenHash("s1")
	sess.TokenHash[0] ^= 0xff
	read := mustSession(t, s, "s1")
	read.TokenHash[0] ^= 0xff
	listedSessions, err := s.ListSessions(ctx, "c1")
	wantNoErr(t, "ListSessions", err)
	listedSessions[0].TokenHash[1] ^= 0xff
	if again := mustSession(t, s, "s1"); string(again.TokenHash) != string(want) {
		t.Fatalf("changing a token hash changed the store: %x", again.TokenHash)
	}
}
