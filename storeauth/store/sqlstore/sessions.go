package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

const sessionCols = `id, token_hash, customer_id, created_at, last_seen_at, expires_at, user_agent, ip, kind`

func scanSession(r scanner) (store.Session, error) {
	var sess store.Session
	var created, lastSeen, expires int64
	err := r.Scan(&sess.ID, &sess.TokenHash, &sess.CustomerID, &created, &lastSeen, &expires,
		&sess.UserAgent, &sess.IP, &sess.Kind)
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = timeOf(created), timeOf(lastSeen), timeOf(expires)
	return sess, err
}

func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	// A nil hash would be NULL and fail NOT NULL rather than be a (useless) empty key.
	hash := sess.TokenHash
	if hash == nil {
		hash = []byte{}
	}
	_, err := s.exec(ctx, s.querier(nil), `INSERT INTO {P}sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		sess.ID, hash, sess.CustomerID, timeArg(sess.CreatedAt), timeArg(sess.LastSeenAt),
		timeArg(sess.ExpiresAt), sess.UserAgent, sess.IP, sess.Kind)
	if _, dup := uniqueViolation(err); dup {
		return store.ErrDuplicateID
	}
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	return nil
}

// SessionByTokenHash implements store.Store with one read of the token_hash index.
func (s *Store) SessionByTokenHash(ctx context.Context, h []byte) (store.Session, error) {
	return getOne(ctx, s, s.querier(nil), scanSession, `SELECT `+sessionCols+` FROM {P}sessions WHERE token_hash = $1`, h)
}

// TouchSession implements store.Store. The common case, a session seen later than before,
// is one UPDATE; only when it changes nothing does a second read tell a session already
// seen later from a missing one.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	q := s.querier(nil)
	n, err := s.exec(ctx, q, `UPDATE {P}sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`,
		id, timeArg(at))
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if n > 0 {
		return nil
	}
	_, err = getOne(ctx, s, q, func(r scanner) (int, error) {
		var one int
		return one, r.Scan(&one)
	}, `SELECT 1 FROM {P}sessions WHERE id = $1`, id)
	return err
}

func (s *Store) ListSessions(ctx context.Context, customerID string) ([]store.Session, error) {
	return getAll(ctx, s, s.querier(nil), scanSession, `SELECT `+sessionCols+` FROM {P}sessions
		WHERE customer_id = $1 ORDER BY created_at DESC, id DESC`, customerID)
}

func (s *Store) DeleteSession(ctx context.Context, customerID, id string) error {
	n, err := s.exec(ctx, s.querier(nil), `DELETE FROM {P}sessions WHERE id = $1 AND customer_id = $2`, id, customerID)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (s *Store) DeleteSessions(ctx context.Context, customerID, except string) (int, error) {
	var n int64
	var err error
	if except == "" {
		n, err = s.exec(ctx, s.querier(nil), `DELETE FROM {P}sessions WHERE customer_id = $1`, customerID)
	} else {
		n, err = s.exec(ctx, s.querier(nil), `DELETE FROM {P}sessions WHERE customer_id = $1 AND id <> $2`, customerID, except)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	return int(n), nil
}

func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	n, err := s.exec(ctx, s.querier(nil), `DELETE FROM {P}sessions WHERE expires_at < $1 OR last_seen_at < $2`,
		timeArg(now), timeArg(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	return int(n), nil
}

// Settings.

func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	return getOne(ctx, s, s.querier(nil), func(r scanner) (string, error) {
		var v string
		return v, r.Scan(&v)
	}, `SELECT value FROM {P}settings WHERE name = $1`, name)
}

// PutSettingIfAbsent implements store.Store. ON CONFLICT DO NOTHING waits for a racing
// insert to commit rather than failing, and settings are never removed, so the read that
// follows finds whichever value got in first.
func (s *Store) PutSettingIfAbsent(ctx context.Context, name, value string) (string, error) {
	if _, err := s.exec(ctx, s.querier(nil), `INSERT INTO {P}settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("sqlstore: %w", err)
	}
	return s.Setting(ctx, name)
}
