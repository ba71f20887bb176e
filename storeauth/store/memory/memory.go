package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu        sync.RWMutex
	customers map[string]store.Customer
	// byEmail holds the e-mail key of every customer that is not StateDeleted: deleted rows
	// give their e-mail back, every other state keeps it.
	byEmail  map[string]string
	sessions map[string]store.Session
	byToken  map[string]string // string(token hash) → session ID
	settings map[string]string
	logins   map[loginKey]int64
}

// loginKey is an hour (UTC microseconds) and a sign-in outcome.
type loginKey struct {
	hour    int64
	outcome string
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Reports = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		customers: map[string]store.Customer{},
		byEmail:   map[string]string{},
		sessions:  map[string]store.Session{},
		byToken:   map[string]string{},
		settings:  map[string]string{},
		logins:    map[loginKey]int64{},
	}
}

// emailKey is what e-mail uniqueness and look-ups compare.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// holdsEmail reports whether a customer in state st keeps its e-mail from others.
func holdsEmail(st store.CustomerState) bool { return st != store.StateDeleted }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// Close implements store.Store. The data stays readable; there is nothing to release.
func (s *Store) Close() error { return nil }

// Customers.

func (s *Store) CreateCustomer(ctx context.Context, c store.Customer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c = inCustomer(c)
	c.Version = 1
	key := emailKey(c.Email)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[c.ID]; ok {
		return store.ErrDuplicateID
	}
	if _, taken := s.byEmail[key]; taken && holdsEmail(c.State) {
		return store.ErrDuplicateEmail
	}
	s.customers[c.ID] = c
	if holdsEmail(c.State) {
		s.byEmail[key] = c.ID
	}
	return nil
}

func (s *Store) GetCustomer(ctx context.Context, id string) (store.Customer, error) {
	if err := ctx.Err(); err != nil {
		return store.Customer{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.customers[id]
	if !ok {
		return store.Customer{}, store.ErrNotFound
	}
	return outCustomer(c), nil
}

func (s *Store) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	if err := ctx.Err(); err != nil {
		return store.Customer{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byEmail[emailKey(email)]
	if !ok {
		return store.Customer{}, store.ErrNotFound
	}
	return outCustomer(s.customers[id]), nil
}

func (s *Store) UpdateCustomer(ctx context.Context, c store.Customer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c = inCustomer(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.customers[c.ID]
	if !ok {
		return store.ErrNotFound
	}
	if old.Version != c.Version {
		return store.ErrConflict
	}
	oldKey, newKey := emailKey(old.Email), emailKey(c.Email)
	if holder, taken := s.byEmail[newKey]; taken && holder != c.ID && holdsEmail(c.State) {
		return store.ErrDuplicateEmail
	}
	if holdsEmail(old.State) {
		delete(s.byEmail, oldKey)
	}
	if holdsEmail(c.State) {
		s.byEmail[newKey] = c.ID
	}
	c.Version = old.Version + 1
	s.customers[c.ID] = c
	return nil
}

func (s *Store) DeleteCustomer(ctx context.Context, id string, version int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.customers[id]
	if !ok {
		return store.ErrNotFound
	}
	if old.Version != version {
		return store.ErrConflict
	}
	if holdsEmail(old.State) {
		delete(s.byEmail, emailKey(old.Email))
	}
	delete(s.customers, id)
	return nil
}

func (s *Store) ListCustomers(ctx context.Context, f store.CustomerFilter, after string, limit int) ([]store.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	state := f.State
	if state == "" {
		state = store.StateActive
	}
	key := emailKey(f.Email)
	before := inTime(f.UpdatedBefore)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Customer
	for _, c := range s.customers {
		switch {
		case c.State != state,
			after != "" && c.ID <= after,
			f.Email != "" && emailKey(c.Email) != key,
			!before.IsZero() && !c.UpdatedAt.Before(before),
			f.Legacy && c.PasswordHash == "":
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = outCustomer(out[i])
	}
	return out, nil
}

func (s *Store) CountCustomers(ctx context.Context, migratedSince time.Time) (store.CustomerCounts, error) {
	if err := ctx.Err(); err != nil {
		return store.CustomerCounts{}, err
	}
	since := inTime(migratedSince)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n store.CustomerCounts
	for _, c := range s.customers {
		if c.State != store.StateActive {
			continue
		}
		n.Total++
		legacy := c.HasAccount && c.PasswordHash != ""
		if legacy {
			n.Legacy++
			if c.PasswordChangeRequired {
				n.BlockedByPolicy++
			}
		}
		if !c.HasAccount {
			n.Guests++
		}
		if !c.MigratedAt.IsZero() {
			n.Migrated++
			if !c.MigratedAt.Before(since) {
				n.MigratedSince++
			}
		}
	}
	return n, nil
}

// Sessions.

func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sess = inSession(sess)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[sess.ID]; ok {
		return store.ErrDuplicateID
	}
	if _, ok := s.byToken[string(sess.TokenHash)]; ok {
		return store.ErrDuplicateID
	}
	s.sessions[sess.ID] = sess
	s.byToken[string(sess.TokenHash)] = sess.ID
	return nil
}

func (s *Store) SessionByTokenHash(ctx context.Context, h []byte) (store.Session, error) {
	if err := ctx.Err(); err != nil {
		return store.Session{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byToken[string(h)]
	if !ok {
		return store.Session{}, store.ErrNotFound
	}
	return outSession(s.sessions[id]), nil
}

func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at = inTime(at)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return store.ErrNotFound
	}
	if sess.LastSeenAt.Before(at) {
		sess.LastSeenAt = at
		s.sessions[id] = sess
	}
	return nil
}

func (s *Store) ListSessions(ctx context.Context, customerID string) ([]store.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Session
	for _, sess := range s.sessions {
		if sess.CustomerID == customerID {
			out = append(out, outSession(sess))
		}
	}
	// The SQL backends break ties between equal creation times by ID, newest-first too.
	slices.SortFunc(out, func(a, b store.Session) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	return out, nil
}

func (s *Store) DeleteSession(ctx context.Context, customerID, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || sess.CustomerID != customerID {
		return store.ErrNotFound
	}
	s.dropSession(sess)
	return nil
}

func (s *Store) DeleteSessions(ctx context.Context, customerID, except string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, sess := range s.sessions {
		if sess.CustomerID == customerID && (except == "" || id != except) {
			s.dropSession(sess)
			n++
		}
	}
	return n, nil
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now, idleBefore = inTime(now), inTime(idleBefore)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sess := range s.sessions {
		if sess.ExpiresAt.Before(now) || sess.LastSeenAt.Before(idleBefore) {
			s.dropSession(sess)
			n++
		}
	}
	return n, nil
}

func (s *Store) dropSession(sess store.Session) {
	delete(s.sessions, sess.ID)
	delete(s.byToken, string(sess.TokenHash))
}

// Settings.

func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.settings[name]
	if !ok {
		return "", store.ErrNotFound
	}
	return v, nil
}

func (s *Store) PutSettingIfAbsent(ctx context.Context, name, value string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.settings[name]; ok {
		return v, nil
	}
	s.settings[name] = value
	return value, nil
}

// Reports.

func (s *Store) MigrationHistogram(ctx context.Context, from time.Time, step time.Duration, n int) (store.MigrationHistogram, error) {
	if err := ctx.Err(); err != nil {
		return store.MigrationHistogram{}, err
	}
	if err := store.CheckHistogram(step, n); err != nil {
		return store.MigrationHistogram{}, err
	}
	// The same integer arithmetic on microseconds as the SQL backends.
	start, width := from.UnixMicro(), step.Microseconds()
	h := store.MigrationHistogram{Buckets: make([]int64, n)}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.customers {
		if c.State != store.StateActive || c.MigratedAt.IsZero() {
			continue
		}
		at := c.MigratedAt.UnixMicro()
		switch b := (at - start) / width; {
		case at < start:
			h.Before++
		case b >= int64(n):
			h.After++
		default:
			h.Buckets[b]++
		}
	}
	return h, nil
}

func (s *Store) AddLoginOutcomes(ctx context.Context, counts []store.LoginOutcomeCount) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range counts {
		s.logins[loginKey{c.Hour.UnixMicro(), c.Outcome}] += c.Count
	}
	return nil
}

func (s *Store) LoginOutcomes(ctx context.Context, from, to time.Time) ([]store.LoginOutcomeCount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lo, hi := from.UnixMicro(), to.UnixMicro()
	s.mu.RLock()
	var out []store.LoginOutcomeCount
	for k, n := range s.logins {
		if k.hour >= lo && k.hour < hi {
			out = append(out, store.LoginOutcomeCount{Hour: time.UnixMicro(k.hour).UTC(), Outcome: k.outcome, Count: n})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b store.LoginOutcomeCount) int {
		return cmp.Or(a.Hour.Compare(b.Hour), strings.Compare(a.Outcome, b.Outcome))
	})
	return out, nil
}

func (s *Store) ListBlockedByPolicy(ctx context.Context, after string, limit int) ([]store.Customer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Customer
	for _, c := range s.customers {
		if c.State == store.StateActive && c.HasAccount && c.PasswordHash != "" && c.PasswordChangeRequired &&
			(after == "" || c.ID > after) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = outCustomer(out[i])
	}
	return out, nil
}

// Copies. Times go in as UTC microseconds, so comparisons and orderings here match those
// of the SQL backends exactly; empty byte slices come back as nil, as from a NULL column.

func inTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

func inCustomer(c store.Customer) store.Customer {
	c.Metadata = cloneBytes(c.Metadata)
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = inTime(c.CreatedAt), inTime(c.UpdatedAt), inTime(c.DeletedAt)
	c.MigratedAt, c.CredentialLeaseUntil = inTime(c.MigratedAt), inTime(c.CredentialLeaseUntil)
	return c
}

func outCustomer(c store.Customer) store.Customer {
	c.Metadata = cloneBytes(c.Metadata)
	return c
}

func inSession(s store.Session) store.Session {
	s.TokenHash = cloneBytes(s.TokenHash)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = inTime(s.CreatedAt), inTime(s.LastSeenAt), inTime(s.ExpiresAt)
	return s
}

func outSession(s store.Session) store.Session {
	s.TokenHash = cloneBytes(s.TokenHash)
	return s
}
