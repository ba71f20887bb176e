package storeauth

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// Registration is what a customer signs up with.
type Registration struct {
	Email     string
	Password  string
	FirstName string
	LastName  string
	Phone     string
	Metadata  json.RawMessage
}

func checkProfile(firstName, lastName, phone string, metadata json.RawMessage) *Error {
	if e := checkText("first_name", firstName, maxNameLength); e != nil {
		return e
	}
	if e := checkText("last_name", lastName, maxNameLength); e != nil {
		return e
	}
	if e := checkText("phone", phone, maxPhoneLength); e != nil {
		return e
	}
	return checkMetadata(metadata)
}

// Register creates a customer and the pool user that holds the password, as a saga whose
// every step can be undone or finished by Reconcile:
//
//  1. insert the row as pending (it holds the e-mail but is invisible to sign-in);
//  2. create the pool user, username = the row's ID, with the password;
//  3. mark the row active.
//
// A pool refusal undoes step 1. A crash anywhere leaves a pending row that Reconcile
// finishes (when the pool user is complete) or removes with its pool user. So a customer
// never exists without a pool user, nor a pool user without its row.
func (s *Service) Register(ctx context.Context, r Registration) (store.Customer, error) {
	email, e := checkEmail("email", r.Email)
	if e != nil {
		return store.Customer{}, e
	}
	if e := s.checkNewPassword("password", r.Password); e != nil {
		return store.Customer{}, e
	}
	if e := checkProfile(r.FirstName, r.LastName, r.Phone, r.Metadata); e != nil {
		return store.Customer{}, e
	}
	if err := s.clearStalePending(ctx, email); err != nil {
		return store.Customer{}, err
	}
	now := s.now().UTC()
	c := store.Customer{
		ID: newID("cus_", now), Email: email, FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone,
		Metadata: normalizeMetadata(r.Metadata), HasAccount: true, State: store.StatePending,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.customers.CreateCustomer(ctx, c); err != nil {
		s.metrics.registrations.WithLabelValues("duplicate").Inc()
		if errors.Is(err, store.ErrDuplicateEmail) {
			return store.Customer{}, errDuplicateEmail()
		}
		return store.Customer{}, errStore(err)
	}
	c.Version = 1
	s.fault("register.after_row")

	pctx, cancel := s.poolCtx(ctx)
	err := s.pool.CreateUser(pctx, c.ID, email, r.Password)
	cancel()
	s.notePool(err)
	if err != nil {
		s.metrics.registrations.WithLabelValues("refused").Inc()
		// Even after a policy refusal the user may exist (CognitoPool refuses in its second
		// call); deleting a missing user is not an error.
		s.undoRegistration(ctx, c, true)
		return store.Customer{}, fromPool(err)
	}
	s.fault("register.after_pool_user")

	c.State = store.StateActive
	c.UpdatedAt = s.now().UTC()
	if err := s.customers.UpdateCustomer(ctx, c); err != nil {
		s.metrics.registrations.WithLabelValues("failed").Inc()
		s.undoRegistration(ctx, c, true)
		return store.Customer{}, errStore(err)
	}
	c.Version++
	s.metrics.registrations.WithLabelValues("created").Inc()
	s.log.Info("customer registered", "customer", c.ID)
	return c, nil
}

func errDuplicateEmail() *Error {
	return &Error{Type: TypeDuplicate, Message: "A customer with this email already exists."}
}

// undoRegistration removes a pending row and (when the pool may have created it) its pool
// user. What it cannot undo now stays pending for Reconcile.
func (s *Service) undoRegistration(ctx context.Context, c store.Customer, poolUserMayExist bool) {
	ctx, cancel := s.detached(ctx)
	defer cancel()
	if poolUserMayExist {
		if err := s.pool.DeleteUser(ctx, c.ID); err != nil {
			s.log.Warn("registration left for the reconciler: pool user not deleted", "customer", c.ID, "err", err)
			return
		}
	}
	if err := s.customers.DeleteCustomer(ctx, c.ID, c.Version); err != nil {
		s.log.Warn("registration left for the reconciler: row not deleted", "customer", c.ID, "err", err)
	}
}

// clearStalePending settles a pending row holding email whose registration has had more
// than its time, so a registration killed half-way does not hold the e-mail for long.
func (s *Service) clearStalePending(ctx context.Context, email string) error {
	c, err := s.customers.CustomerByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return errStore(err)
	case c.State == store.StatePending && s.now().Sub(c.UpdatedAt) > s.sagaLease():
		if _, err := s.settle(ctx, c); err != nil {
			return err
		}
		return nil
	default:
		return errDuplicateEmail()
	}
}

// sagaLease is how long a saga may take before Reconcile treats it as abandoned: every step
// is bounded by the pool timeout, and a saga has at most three pool calls.
func (s *Service) sagaLease() time.Duration { return 3*s.cfg.PoolTimeout + 5*time.Second }

// Customer reads a customer who is live (not pending, deleting or deleted).
func (s *Service) Customer(ctx context.Context, id string) (store.Customer, error) {
	c, err := s.customers.GetCustomer(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && c.State != store.StateActive):
		return store.Customer{}, &Error{Type: TypeNotFound, Message: "No such customer."}
	case err != nil:
		return store.Customer{}, errStore(err)
	}
	return c, nil
}

// ProfileUpdate changes a customer's profile; nil fields stay as they are. A new e-mail
// needs the current password.
type ProfileUpdate struct {
	Email     *string
	Password  string
	FirstName *string
	LastName  *string
	Phone     *string
	// Metadata is merged key by key into the stored object; a key set to null is removed.
	Metadata json.RawMessage
}

// UpdateProfile applies u. An e-mail change is proven with the password, then written to the
// row (which claims the address) and then to the pool's e-mail attribute, never the
// username, and the pool sends a verification code to the new address. Sign-in looks the
// e-mail up in the row, so the customer can sign in with the new address at once.
func (s *Service) UpdateProfile(ctx context.Context, customerID string, u ProfileUpdate) (store.Customer, error) {
	c, err := s.Customer(ctx, customerID)
	if err != nil {
		return store.Customer{}, err
	}
	next := c
	if u.FirstName != nil {
		next.FirstName = *u.FirstName
	}
	if u.LastName != nil {
		next.LastName = *u.LastName
	}
	if u.Phone != nil {
		next.Phone = *u.Phone
	}
	if len(u.Metadata) > 0 {
		if e := checkMetadata(u.Metadata); e != nil {
			return store.Customer{}, e
		}
		merged, err := mergeMetadata(c.Metadata, u.Metadata)
		if err != nil {
			return store.Customer{}, invalid("metadata must be a JSON object.")
		}
		next.Metadata = merged
	}
	if e := checkProfile(next.FirstName, next.LastName, next.Phone, nil); e != nil {
		return store.Customer{}, e
	}
	emailChanged := false
	if u.Email != nil {
		email, e := checkEmail("email", *u.Email)
		if e != nil {
			return store.Customer{}, e
		}
		if email != c.Email {
			emailChanged = NormalizeEmail(email) != NormalizeEmail(c.Email)
			next.Email = email
		}
	}
	if emailChanged {
		if e := checkGivenPassword("password", u.Password); e != nil {
			return store.Customer{}, &Error{Type: TypeInvalidData, Message: "Changing the email needs the current password."}
		}
		if err := s.provePassword(ctx, c, u.Password); err != nil {
			return store.Customer{}, err
		}
	}
	next.UpdatedAt = s.now().UTC()
	if err := s.customers.UpdateCustomer(ctx, next); err != nil {
		switch {
		case errors.Is(err, store.ErrDuplicateEmail):
			return store.Customer{}, errDuplicateEmail()
		case errors.Is(err, store.ErrConflict):
			return store.Customer{}, &Error{Type: TypeDuplicate, Message: "The customer changed meanwhile; try again.", Err: err}
		}
		return store.Customer{}, errStore(err)
	}
	next.Version++
	if emailChanged && c.HasAccount {
		pctx, cancel := s.poolCtx(ctx)
		err := s.pool.UpdateEmail(pctx, c.ID, next.Email)
		cancel()
		s.notePool(err)
		if c.PasswordHash != "" && errors.Is(err, ErrUserNotFound) {
			// An unmigrated customer may have no pool user yet; migration creates it with
			// the row's e-mail.
			err = nil
		}
		if err != nil {
			// Put the row back so the row and the pool agree on the address.
			// The whole request failed, so the whole row goes back, not only the e-mail.
			back := c
			back.Version, back.UpdatedAt = next.Version, s.now().UTC()
			dctx, dcancel := s.detached(ctx)
			if rerr := s.customers.UpdateCustomer(dctx, back); rerr != nil {
				s.log.Error("e-mail change half done: the row has the new address, the pool the old one",
					"customer", c.ID, "err", rerr)
			}
			dcancel()
			return store.Customer{}, fromPool(err)
		}
	}
	return next, nil
}

// VerifyEmail confirms the customer's e-mail in the pool with the code it sent after a
// change; the password proves it is the customer (the service keeps no pool tokens).
func (s *Service) VerifyEmail(ctx context.Context, customerID, password, code string) error {
	c, err := s.Customer(ctx, customerID)
	if err != nil {
		return err
	}
	if e := checkGivenPassword("password", password); e != nil {
		return e
	}
	if code == "" || len(code) > maxCodeLength {
		return invalid("code is required.")
	}
	pctx, cancel := s.poolCtx(ctx)
	err = s.pool.VerifyEmail(pctx, c.ID, password, code)
	cancel()
	s.notePool(err)
	if errors.Is(err, ErrNotAuthorized) {
		return &Error{Type: TypeInvalidData, Message: "The password is incorrect.", Err: err}
	}
	if err != nil {
		return fromPool(err)
	}
	return nil
}

func normalizeMetadata(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}

// mergeMetadata merges patch's keys into base; null values delete keys, as Medusa does.
func mergeMetadata(base, patch json.RawMessage) (json.RawMessage, error) {
	if string(patch) == "null" {
		return nil, nil
	}
	out := map[string]json.RawMessage{}
	if len(base) > 0 {
		if err := json.Unmarshal(base, &out); err != nil {
			return nil, err
		}
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	for k, v := range maps.All(p) {
		if string(v) == "null" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadataBytes {
		return nil, errors.New("metadata too large")
	}
	return b, nil
}
