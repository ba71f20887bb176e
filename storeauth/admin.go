package storeauth

import (
	"context"
	"errors"

	"github.com/hashless/hashless/storeauth/store"
)

// FindCustomers lists live customers, optionally only the one with an e-mail.
func (s *Service) FindCustomers(ctx context.Context, email, after string, limit int) ([]store.Customer, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	f := store.CustomerFilter{State: store.StateActive}
	if email != "" {
		f.Email = email
	}
	cs, err := s.customers.ListCustomers(ctx, f, after, limit)
	if err != nil {
		return nil, errStore(err)
	}
	return cs, nil
}

// SetDisabled disables (or enables) a customer: the pool user first, so no new sign-in can
// succeed, then the row; disabling ends every session.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (store.Customer, error) {
	c, err := s.Customer(ctx, id)
	if err != nil {
		return store.Customer{}, err
	}
	if c.HasAccount {
		pctx, cancel := s.poolCtx(ctx)
		err := s.pool.SetEnabled(pctx, c.ID, !disabled)
		cancel()
		s.notePool(err)
		if err != nil && !errors.Is(err, ErrUserNotFound) {
			return store.Customer{}, fromPool(err)
		}
	}
	for {
		c.Disabled = disabled
		c.UpdatedAt = s.now().UTC()
		err := s.customers.UpdateCustomer(ctx, c)
		if errors.Is(err, store.ErrConflict) {
			if c, err = s.Customer(ctx, id); err != nil {
				return store.Customer{}, err
			}
			continue
		}
		if err != nil {
			return store.Customer{}, errStore(err)
		}
		c.Version++
		break
	}
	if disabled {
		if _, err := s.EndSessions(ctx, c.ID, ""); err != nil {
			return store.Customer{}, err
		}
	}
	s.log.Info("customer access changed", "customer", c.ID, "disabled", disabled)
	return c, nil
}

// DeleteCustomer deletes the pool user and soft-deletes the row, ending every session. It
// is a saga too: the row is marked deleting first (it keeps its e-mail, so nobody registers
// the address while the pool user still exists), and Reconcile finishes what a crash leaves.
func (s *Service) DeleteCustomer(ctx context.Context, id string) error {
	c, err := s.Customer(ctx, id)
	if err != nil {
		return err
	}
	c.State = store.StateDeleting
	c.UpdatedAt = s.now().UTC()
	if err := s.customers.UpdateCustomer(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return &Error{Type: TypeDuplicate, Message: "The customer changed meanwhile; try again.", Err: err}
		}
		return errStore(err)
	}
	c.Version++
	if _, err := s.EndSessions(ctx, c.ID, ""); err != nil {
		return err
	}
	s.fault("delete.after_mark")
	if _, err := s.settle(ctx, c); err != nil {
		return err
	}
	s.log.Info("customer deleted", "customer", c.ID)
	return nil
}
