package storeauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashless/hashless/legacyhash"
	"github.com/hashless/hashless/storeauth/store"
)

// Lazy migration. A customer whose row still holds a legacy hash signs in against that
// hash; the first success moves the password into the pool:
//
//  1. the flow claims the customer's credential lease (a compare-and-swap on the row), so
//     no other flow sets the pool password meanwhile;
//  2. it ensures the pool user (stable username, verified e-mail, nothing sent; "exists" is
//     fine after a crash or a race);
//  3. it sets the password as permanent;
//  4. it proves it with an admin sign-in;
//  5. only then erases the hash, with a compare-and-swap on the row.
//
// Whether a customer is migrated is read from the row, never from pool error codes, so a
// pool that hides user existence changes nothing. A crash anywhere leaves the hash (and so
// a working sign-in); a race leaves one pool user and both sign-ins succeed.

// credentialLease bounds how long a migrating flow owns the pool password; every step in it
// is bounded by the call timeout.
func (s *Service) credentialLease() time.Duration { return 4*s.cfg.PoolTimeout + 5*time.Second }

// Legacy hashes are slow and often memory-hard (Medusa's scrypt takes 32 MiB a check), and
// a burst of first sign-ins would otherwise run them all at once: no more throughput on a
// fixed number of cores, only memory enough to kill the process, and pool calls starved
// past their time limit. So at most one legacy check per core runs at a time (coregate), as
// the pool does for its own KDF, and the rest queue for as long as their request may wait.
func (s *Service) enterLegacyGate(ctx context.Context) error {
	if err := s.legacyGate.Enter(ctx); err != nil {
		return &Error{Type: TypeUnavailable, Message: "The service is busy; try again.", Err: err}
	}
	return nil
}

// legacyCheck verifies password against c's legacy hash. A hash that cannot be read counts
// as a mismatch and is logged, never shown. The error is only the wait for a free core
// running out.
func (s *Service) legacyCheck(ctx context.Context, c store.Customer, password string) (bool, error) {
	if err := s.enterLegacyGate(ctx); err != nil {
		return false, err
	}
	defer s.legacyGate.Leave()
	res, err := s.legacy.Verify(password, c.PasswordHash)
	if err != nil {
		s.log.Error("legacy password hash unusable", "customer", c.ID, "err", err)
		return false, nil
	}
	if res.OK && res.Has(legacyhash.NoteTruncated72) {
		s.log.Warn("legacy bcrypt hash compared the first 72 bytes of a longer password; the pool gets all of it", "customer", c.ID)
	}
	return res.OK, nil
}

// decoyLegacy spends what a legacy check of a wrong password costs, on failures that had
// none, so an unmigrated customer's wrong password is not told apart by its cost. It uses a
// real legacy hash of this database (the cost depends on the stored format) and discards
// the result; with no legacy customers left there is nothing to imitate.
func (s *Service) decoyLegacy(ctx context.Context, password string) {
	hash := s.sampleLegacyHash(ctx)
	if hash == "" {
		return
	}
	if s.legacyGate.Enter(ctx) != nil {
		return
	}
	defer s.legacyGate.Leave()
	s.metrics.legacyChecks.WithLabelValues("decoy").Inc()
	_, _ = s.legacy.Verify(password, hash)
}

type legacySample struct {
	mu      sync.Mutex
	hash    string
	fetched time.Time
}

func (s *Service) sampleLegacyHash(ctx context.Context) string {
	s.sample.mu.Lock()
	defer s.sample.mu.Unlock()
	if !s.sample.fetched.IsZero() && s.now().Sub(s.sample.fetched) < time.Minute {
		return s.sample.hash
	}
	s.sample.fetched = s.now()
	s.sample.hash = ""
	// The first hash a verifier can read: a malformed one would fail fast and cost less
	// than the real check it stands in for.
	cs, err := s.customers.ListCustomers(ctx, store.CustomerFilter{State: store.StateActive, Legacy: true}, "", 16)
	if err == nil {
		for _, c := range cs {
			if _, ok := s.legacy.Detect(c.PasswordHash); ok {
				s.sample.hash = c.PasswordHash
				break
			}
		}
	}
	return s.sample.hash
}

// legacyLogin signs in a customer whose row still holds a legacy hash.
func (s *Service) legacyLogin(ctx context.Context, c store.Customer, password string) (store.Customer, bool, error) {
	s.metrics.legacyChecks.WithLabelValues("real").Inc()
	ok, err := s.legacyCheck(ctx, c, password)
	if err != nil {
		return store.Customer{}, false, err
	}
	if !ok {
		// The pool may hold the password already: a reset that finished in the pool but
		// stopped before erasing the hash. The pool proving it is what migration needs.
		pctx, cancel := s.poolCtx(ctx)
		err := s.pool.Authenticate(pctx, c.ID, password)
		cancel()
		s.notePool(err)
		if err != nil {
			return store.Customer{}, false, err
		}
		c, err = s.eraseLegacyHash(ctx, c)
		return c, false, err
	}
	return s.migrate(ctx, c, password)
}

// migrate moves a verified legacy password into the pool. It reports whether the pool's
// policy refused the password (the customer is signed in all the same and stays
// unmigrated until a password change).
func (s *Service) migrate(ctx context.Context, c store.Customer, password string) (store.Customer, bool, error) {
	claimed, ok, err := s.claimLease(ctx, c)
	if errors.Is(err, errHashChanged) && claimed.PasswordHash == "" {
		// Migrated meanwhile (a concurrent first sign-in, or a reset): the check was
		// against a hash that is gone, so only the pool can accept the password now.
		pctx, cancel := s.poolCtx(ctx)
		err = s.pool.Authenticate(pctx, c.ID, password)
		cancel()
		s.notePool(err)
		if err != nil {
			return store.Customer{}, false, err
		}
		return claimed, false, nil
	}
	if err != nil {
		return store.Customer{}, false, err
	}
	if !ok {
		// Another flow owns the pool password right now (a concurrent first sign-in or a
		// reset). The legacy hash proved the password; sign in without migrating.
		s.metrics.migrations.WithLabelValues("deferred").Inc()
		return c, c.PasswordChangeRequired, nil
	}
	c = claimed
	err = s.movePassword(ctx, c, password)
	policyRefused := isPolicyRefusal(err)
	if err != nil && !policyRefused {
		s.releaseLease(ctx, c, false)
		s.metrics.migrations.WithLabelValues("failed").Inc()
		return store.Customer{}, false, err
	}
	if policyRefused {
		c = s.releaseLease(ctx, c, true)
		s.metrics.migrations.WithLabelValues("blocked_by_policy").Inc()
		return c, true, nil
	}
	s.fault("migrate.before_erase")
	c, err = s.eraseLegacyHash(ctx, c)
	if err != nil {
		return store.Customer{}, false, err
	}
	s.metrics.migrations.WithLabelValues("login").Inc()
	s.log.Info("customer migrated to the pool", "customer", c.ID, "via", "login")
	return c, false, nil
}

// movePassword runs steps 2–4: ensure the user, set the password, prove it. A policy
// refusal comes back as the pool's ErrPasswordPolicy (or ErrPoolInvalid) error.
//
// Each step gets the whole call timeout of its own (the lease allows for that): each waits
// for a free core in the pool's KDF gate, and under a burst of first sign-ins one shared
// budget ran out in the last step, failing migrations that were nearly done.
func (s *Service) movePassword(ctx context.Context, c store.Customer, password string) error {
	step := func(call func(context.Context) error) error {
		sctx, cancel := s.detached(ctx)
		defer cancel()
		err := call(sctx)
		s.notePool(err)
		return err
	}
	s.fault("migrate.before_pool_user")
	if err := step(func(ctx context.Context) error { return s.pool.EnsureUser(ctx, c.ID, c.Email) }); err != nil {
		return err
	}
	s.fault("migrate.after_pool_user")
	if err := step(func(ctx context.Context) error { return s.pool.SetPassword(ctx, c.ID, password) }); err != nil {
		return err
	}
	s.fault("migrate.after_set_password")
	err := step(func(ctx context.Context) error { return s.pool.Authenticate(ctx, c.ID, password) })
	if err != nil {
		// The pool does not accept what it was just given: keep the hash, fail closed. The
		// cause is kept for the log only: a refusal here is no wrong password (the legacy
		// hash proved it) and must not read as one.
		return &PoolError{Kind: ErrPoolUnavailable, Message: "the pool did not accept the migrated password", Err: fmt.Errorf("proof: %v", err)}
	}
	s.fault("migrate.after_proof")
	return nil
}

func isPolicyRefusal(err error) bool {
	return errors.Is(err, ErrPasswordPolicy) || errors.Is(err, ErrPoolInvalid)
}

// migrateWithNewPassword moves an unmigrated customer to the pool with a new password (a
// password change); the caller has checked the old one.
func (s *Service) migrateWithNewPassword(ctx context.Context, c store.Customer, newPassword string) error {
	claimed, ok, err := s.claimLease(ctx, c)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Type: TypeUnavailable, Message: "The account is busy; try again.", RetryAfter: s.credentialLease()}
	}
	if err := s.movePassword(ctx, claimed, newPassword); err != nil {
		s.releaseLease(ctx, claimed, false)
		return fromPool(err)
	}
	if _, err := s.eraseLegacyHash(ctx, claimed); err != nil {
		return err
	}
	s.metrics.migrations.WithLabelValues("password_change").Inc()
	s.log.Info("customer migrated to the pool", "customer", c.ID, "via", "password_change")
	return nil
}

// errHashChanged: the row's legacy hash changed after the flow read it (a concurrent
// migration or reset), so a check against the old hash proves nothing now.
var errHashChanged = errors.New("storeauth: the legacy hash changed meanwhile")

// claimLease takes c's credential lease unless another flow holds it. ok is false when
// someone else does. With errHashChanged it returns the row as it is now.
func (s *Service) claimLease(ctx context.Context, c store.Customer) (store.Customer, bool, error) {
	for range 5 {
		now := s.now()
		if now.Before(c.CredentialLeaseUntil) {
			return c, false, nil
		}
		next := c
		next.CredentialLeaseUntil = now.Add(s.credentialLease()).UTC()
		next.UpdatedAt = now.UTC()
		err := s.customers.UpdateCustomer(ctx, next)
		if err == nil {
			next.Version++
			return next, true, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return c, false, errStore(err)
		}
		fresh, err := s.customers.GetCustomer(ctx, c.ID)
		if err != nil {
			return c, false, errStore(err)
		}
		if fresh.PasswordHash != c.PasswordHash {
			// Migrated or reset meanwhile: this flow's check was against an old hash.
			return fresh, false, &Error{Type: TypeUnavailable, Message: "The account changed meanwhile; try again.", Err: errHashChanged}
		}
		c = fresh
	}
	return c, false, &Error{Type: TypeUnavailable, Message: "The account is busy; try again."}
}

// releaseLease gives the lease back, flagging a policy refusal. Best effort: a lease that
// is not released expires.
func (s *Service) releaseLease(ctx context.Context, c store.Customer, policyRefused bool) store.Customer {
	ctx, cancel := s.detached(ctx)
	defer cancel()
	for range 5 {
		next := c
		next.CredentialLeaseUntil = time.Time{}
		if policyRefused {
			next.PasswordChangeRequired = true
		}
		next.UpdatedAt = s.now().UTC()
		err := s.customers.UpdateCustomer(ctx, next)
		if err == nil {
			next.Version++
			return next
		}
		if !errors.Is(err, store.ErrConflict) {
			break
		}
		fresh, gerr := s.customers.GetCustomer(ctx, c.ID)
		if gerr != nil {
			break
		}
		c = fresh
	}
	return c
}

// eraseLegacyHash clears the hash (and the lease and the policy flag) once the pool has
// proven the password. The compare is on the hash itself: profile edits meanwhile do not
// stop it, a different hash does.
func (s *Service) eraseLegacyHash(ctx context.Context, c store.Customer) (store.Customer, error) {
	ctx, cancel := s.detached(ctx)
	defer cancel()
	hash := c.PasswordHash
	for range 5 {
		if c.PasswordHash == "" {
			return c, nil
		}
		if c.PasswordHash != hash {
			return c, nil
		}
		now := s.now().UTC()
		next := c
		next.PasswordHash, next.PasswordChangeRequired, next.CredentialLeaseUntil, next.MigratedAt = "", false, time.Time{}, now
		next.UpdatedAt = now
		err := s.customers.UpdateCustomer(ctx, next)
		if err == nil {
			next.Version++
			s.resetSample()
			return next, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return c, errStore(err)
		}
		fresh, gerr := s.customers.GetCustomer(ctx, c.ID)
		if gerr != nil {
			return c, errStore(gerr)
		}
		c = fresh
	}
	return c, &Error{Type: TypeUnavailable, Message: "The account is busy; try again."}
}

func (s *Service) resetSample() {
	s.sample.mu.Lock()
	s.sample.fetched = time.Time{}
	s.sample.mu.Unlock()
}

// prepareLegacyReset readies an unmigrated customer for the pool's forgot-password flow:
// the pool user must exist with some permanent password for ConfirmForgotPassword to work.
// The random password is never told to anyone; the reset replaces it.
func (s *Service) prepareLegacyReset(ctx context.Context, c store.Customer) error {
	claimed, ok, err := s.claimLease(ctx, c)
	if errors.Is(err, errHashChanged) && claimed.PasswordHash == "" {
		// Migrated meanwhile (a first sign-in): the pool user exists and holds the
		// password, so the code is sent as for any migrated customer.
		return nil
	}
	if err != nil {
		return err
	}
	if !ok {
		// A migration is setting the password now; the user will exist when it is done.
		return nil
	}
	defer s.releaseLease(ctx, claimed, false)
	pctx, cancel := s.detached(ctx)
	defer cancel()
	if err := s.pool.EnsureUser(pctx, c.ID, c.Email); err != nil {
		return err
	}
	confirmed, err := s.pool.UserConfirmed(pctx, c.ID)
	if err != nil || confirmed {
		return err
	}
	return s.pool.SetPassword(pctx, c.ID, randomPoolPassword())
}

// randomPoolPassword meets any Cognito policy: 40 characters from every class.
func randomPoolPassword() string {
	const classes = "abcdefghijkmnopqrstuvwxyz" + "ABCDEFGHJKLMNPQRSTUVWXYZ" + "23456789" + "!#%+-.=?@^_"
	b := make([]byte, 40)
	rand.Read(b)
	out := []byte("aA1!")
	for _, x := range b[4:] {
		out = append(out, classes[int(x)%len(classes)])
	}
	return string(out)
}

// MigrationStatus is the report of GET /admin/migration.
type MigrationStatus struct {
	Total           int64 `json:"total"`
	Legacy          int64 `json:"legacy"`
	Migrated        int64 `json:"migrated"`
	BlockedByPolicy int64 `json:"blocked_by_policy"`
	Guests          int64 `json:"guests"`
	MigratedLast24h int64 `json:"migrated_last_24h"`
}

// MigrationStatus counts customers by where their password is.
func (s *Service) MigrationStatus(ctx context.Context) (MigrationStatus, error) {
	n, err := s.customers.CountCustomers(ctx, s.now().Add(-24*time.Hour).UTC())
	if err != nil {
		return MigrationStatus{}, errStore(err)
	}
	return MigrationStatus{Total: n.Total, Legacy: n.Legacy, Migrated: n.Migrated, BlockedByPolicy: n.BlockedByPolicy,
		Guests: n.Guests, MigratedLast24h: n.MigratedSince}, nil
}
