package storeauth

import (
	"context"
	"errors"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// RequestPasswordReset has the pool send a reset code to the customer's e-mail. It answers
// the same whether or not the e-mail belongs to anyone (the caller always says 204), and
// asks the pool about the decoy when it does not, so the timing matches too.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if _, e := checkEmail("email", email); e != nil {
		return e
	}
	username := s.cfg.DecoyUsername
	c, err := s.customers.CustomerByEmail(ctx, email)
	switch {
	case err == nil && c.State == store.StateActive && c.HasAccount && !c.Disabled:
		username = c.ID
		if c.PasswordHash != "" {
			// Not migrated: the pool user must exist before the pool can send a code.
			if perr := s.prepareLegacyReset(ctx, c); perr != nil {
				s.log.Warn("password reset for an unmigrated customer not prepared", "customer", c.ID, "err", perr)
				return nil
			}
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.log.Warn("password reset not sent: database error", "err", err)
		return nil
	}
	pctx, cancel := s.poolCtx(ctx)
	err = s.pool.ForgotPassword(pctx, username)
	cancel()
	s.notePool(err)
	if err != nil && username != s.cfg.DecoyUsername {
		s.log.Warn("password reset code not sent", "customer", username, "err", err)
	}
	s.metrics.passwordResets.WithLabelValues("requested").Inc()
	return nil
}

// ResetPassword sets a new password with the code the pool sent, and ends every session of
// the customer. A wrong code and an unknown e-mail give the same answer.
func (s *Service) ResetPassword(ctx context.Context, email, code, password string) (store.Customer, error) {
	if _, e := checkEmail("email", email); e != nil {
		return store.Customer{}, e
	}
	if code == "" || len(code) > maxCodeLength {
		return store.Customer{}, invalid("token is required.")
	}
	if e := s.checkNewPassword("password", password); e != nil {
		return store.Customer{}, e
	}
	c, err := s.customers.CustomerByEmail(ctx, email)
	usable := err == nil && c.State == store.StateActive && c.HasAccount && !c.Disabled
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Customer{}, errStore(err)
	}
	username := s.cfg.DecoyUsername
	if usable {
		username = c.ID
	}
	leased := false
	if usable && c.PasswordHash != "" {
		// Not migrated: hold the credential lease while the pool takes the new password,
		// so a first sign-in migrating the legacy one cannot overwrite it.
		claimed, ok, err := s.claimLease(ctx, c)
		switch {
		case errors.Is(err, errHashChanged):
			c = claimed // migrated meanwhile: go on as for any migrated customer
		case err != nil:
			return store.Customer{}, err
		case !ok:
			return store.Customer{}, &Error{Type: TypeUnavailable, Message: "The account is busy; try again.",
				RetryAfter: max(claimed.CredentialLeaseUntil.Sub(s.now()), time.Second)}
		default:
			c, leased = claimed, true
		}
	}
	pctx, cancel := s.poolCtx(ctx)
	err = s.pool.ConfirmForgotPassword(pctx, username, code, password)
	cancel()
	s.notePool(err)
	if err == nil && !usable {
		err = &PoolError{Kind: ErrBadCode}
	}
	if err != nil {
		if leased {
			s.releaseLease(ctx, c, false)
		}
		s.metrics.passwordResets.WithLabelValues("refused").Inc()
		if errors.Is(err, ErrNotAuthorized) {
			err = &PoolError{Kind: ErrBadCode, Err: err}
		}
		return store.Customer{}, fromPool(err)
	}
	dctx, dcancel := s.detached(ctx)
	defer dcancel()
	if c.PasswordHash != "" {
		// The pool has the new password (the code proved the mailbox): the hash goes.
		if c, err = s.eraseLegacyHash(dctx, c); err != nil {
			return store.Customer{}, err
		}
		s.metrics.migrations.WithLabelValues("password_reset").Inc()
		s.log.Info("customer migrated to the pool", "customer", c.ID, "via", "password_reset")
	}
	if _, err := s.EndSessions(dctx, c.ID, ""); err != nil {
		return store.Customer{}, err
	}
	s.metrics.passwordResets.WithLabelValues("done").Inc()
	s.log.Info("password reset", "customer", c.ID)
	return c, nil
}

// ChangePassword replaces a signed-in customer's password after proving the old one, and
// ends the customer's other sessions.
func (s *Service) ChangePassword(ctx context.Context, sess store.Session, oldPassword, newPassword string) error {
	if e := checkGivenPassword("old_password", oldPassword); e != nil {
		return e
	}
	if e := s.checkNewPassword("new_password", newPassword); e != nil {
		return e
	}
	c, err := s.Customer(ctx, sess.CustomerID)
	if err != nil {
		return err
	}
	if err := s.provePassword(ctx, c, oldPassword); err != nil {
		return err
	}
	if c.PasswordHash != "" {
		if err := s.migrateWithNewPassword(ctx, c, newPassword); err != nil {
			return err
		}
		dctx, dcancel := s.detached(ctx)
		defer dcancel()
		_, err := s.EndSessions(dctx, c.ID, sess.ID)
		return err
	}
	pctx, cancel := s.poolCtx(ctx)
	err = s.pool.SetPassword(pctx, c.ID, newPassword)
	cancel()
	s.notePool(err)
	if err != nil {
		return fromPool(err)
	}
	dctx, dcancel := s.detached(ctx)
	defer dcancel()
	_, err = s.EndSessions(dctx, c.ID, sess.ID)
	return err
}
