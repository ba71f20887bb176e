package storeauth

import (
	"context"
	"errors"

	"github.com/hashless/hashless/storeauth/store"
)

// settle finishes a saga that stopped half-way, and reports what it did:
//   - a pending row whose pool user is complete (confirmed, permanent password) becomes
//     active: the customer registered, only the last step was lost;
//   - any other pending row is removed with whatever pool user it had;
//   - a deleting row loses its pool user and becomes deleted.
//
// Every step is safe to repeat, and the row's version guards against two settlers at once.
func (s *Service) settle(ctx context.Context, c store.Customer) (string, error) {
	ctx, cancel := s.detached(ctx)
	defer cancel()
	switch c.State {
	case store.StatePending:
		confirmed, err := s.pool.UserConfirmed(ctx, c.ID)
		s.notePool(err)
		if err != nil {
			return "", fromPool(err)
		}
		if confirmed {
			c.State, c.UpdatedAt = store.StateActive, s.now().UTC()
			if err := s.customers.UpdateCustomer(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
				return "", errStore(err)
			}
			s.metrics.reconciled.WithLabelValues("registration_finished").Inc()
			return "registration_finished", nil
		}
		if err := s.pool.DeleteUser(ctx, c.ID); err != nil {
			return "", fromPool(err)
		}
		if err := s.customers.DeleteCustomer(ctx, c.ID, c.Version); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			return "", errStore(err)
		}
		s.metrics.reconciled.WithLabelValues("registration_undone").Inc()
		return "registration_undone", nil
	case store.StateDeleting:
		if err := s.pool.DeleteUser(ctx, c.ID); err != nil {
			return "", fromPool(err)
		}
		s.fault("delete.after_pool_user")
		now := s.now().UTC()
		c.State, c.UpdatedAt, c.DeletedAt = store.StateDeleted, now, now
		if err := s.customers.UpdateCustomer(ctx, c); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", errStore(err)
		}
		if _, err := s.EndSessions(ctx, c.ID, ""); err != nil {
			return "", err
		}
		s.metrics.reconciled.WithLabelValues("deletion_finished").Inc()
		return "deletion_finished", nil
	}
	return "", nil
}

// Reconcile settles every saga older than its lease (see settle) and returns how many it
// settled. It runs at start and then periodically; running it on several nodes at once is
// safe.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.sagaLease()).UTC()
	settled := 0
	for _, state := range []store.CustomerState{store.StatePending, store.StateDeleting} {
		after := ""
		for {
			batch, err := s.customers.ListCustomers(ctx, store.CustomerFilter{State: state, UpdatedBefore: cutoff}, after, 100)
			if err != nil {
				return settled, err
			}
			for _, c := range batch {
				did, err := s.settle(ctx, c)
				if err != nil {
					s.log.Warn("saga not settled yet", "customer", c.ID, "state", c.State, "err", err)
					continue
				}
				settled++
				s.log.Info("saga settled", "customer", c.ID, "action", did)
			}
			if len(batch) < 100 {
				break
			}
			after = batch[len(batch)-1].ID
		}
	}
	return settled, nil
}
