package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

const customerCols = `id, email, first_name, last_name, phone, metadata, has_account, password_hash, state,
	disabled, created_at, updated_at, deleted_at, version, password_change_required, migrated_at,
	credential_lease_until`

// liveEmail is the predicate of the partial unique index, repeated verbatim in queries.
const liveEmail = `state <> 'deleted'`

// legacyHash is the predicate of the partial index of customers still to migrate, repeated
// verbatim in queries.
const legacyHash = `password_hash <> ''`

// emailKey is what e-mail uniqueness and look-ups compare.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func scanCustomer(r scanner) (store.Customer, error) {
	var c store.Customer
	var metadata sql.NullString
	var state string
	var created, updated int64
	var deleted, migrated, lease sql.NullInt64
	err := r.Scan(&c.ID, &c.Email, &c.FirstName, &c.LastName, &c.Phone, &metadata, &c.HasAccount,
		&c.PasswordHash, &state, &c.Disabled, &created, &updated, &deleted, &c.Version,
		&c.PasswordChangeRequired, &migrated, &lease)
	if err != nil {
		return c, err
	}
	c.State = store.CustomerState(state)
	if metadata.Valid && metadata.String != "" {
		c.Metadata = json.RawMessage(metadata.String)
	}
	c.CreatedAt, c.UpdatedAt, c.DeletedAt = timeOf(created), timeOf(updated), nullTimeOf(deleted)
	c.MigratedAt, c.CredentialLeaseUntil = nullTimeOf(migrated), nullTimeOf(lease)
	return c, nil
}

func metadataArg(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

// duplicateCustomer maps a unique violation on the customers table to its sentinel.
func duplicateCustomer(err error) error {
	what, ok := uniqueViolation(err)
	switch {
	case !ok:
		return fmt.Errorf("sqlstore: %w", err)
	case strings.Contains(what, "email_key"):
		return store.ErrDuplicateEmail
	default:
		return store.ErrDuplicateID
	}
}

func (s *Store) CreateCustomer(ctx context.Context, c store.Customer) error {
	_, err := s.exec(ctx, s.querier(nil), `INSERT INTO {P}customers (`+customerCols+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $15, $16, $17)`,
		c.ID, c.Email, c.FirstName, c.LastName, c.Phone, metadataArg(c.Metadata), c.HasAccount,
		c.PasswordHash, string(c.State), c.Disabled, timeArg(c.CreatedAt), timeArg(c.UpdatedAt),
		nullTimeArg(c.DeletedAt), c.PasswordChangeRequired, nullTimeArg(c.MigratedAt),
		nullTimeArg(c.CredentialLeaseUntil), emailKey(c.Email))
	if err != nil {
		return duplicateCustomer(err)
	}
	return nil
}

func (s *Store) GetCustomer(ctx context.Context, id string) (store.Customer, error) {
	return getOne(ctx, s, s.querier(nil), scanCustomer, `SELECT `+customerCols+` FROM {P}customers WHERE id = $1`, id)
}

func (s *Store) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	return getOne(ctx, s, s.querier(nil), scanCustomer,
		`SELECT `+customerCols+` FROM {P}customers WHERE email_key = $1 AND `+liveEmail, emailKey(email))
}

func (s *Store) UpdateCustomer(ctx context.Context, c store.Customer) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := s.exec(ctx, q, `UPDATE {P}customers SET email = $2, email_key = $3, first_name = $4,
			last_name = $5, phone = $6, metadata = $7, has_account = $8, password_hash = $9, state = $10,
			disabled = $11, created_at = $12, updated_at = $13, deleted_at = $14,
			password_change_required = $16, migrated_at = $17, credential_lease_until = $18,
			version = version + 1
			WHERE id = $1 AND version = $15`,
			c.ID, c.Email, emailKey(c.Email), c.FirstName, c.LastName, c.Phone, metadataArg(c.Metadata),
			c.HasAccount, c.PasswordHash, string(c.State), c.Disabled, timeArg(c.CreatedAt),
			timeArg(c.UpdatedAt), nullTimeArg(c.DeletedAt), c.Version, c.PasswordChangeRequired,
			nullTimeArg(c.MigratedAt), nullTimeArg(c.CredentialLeaseUntil))
		if err != nil {
			return duplicateCustomer(err)
		}
		return s.swapped(ctx, q, n, c.ID)
	})
}

func (s *Store) DeleteCustomer(ctx context.Context, id string, version int64) error {
	return s.inTx(ctx, func(q querier) error {
		n, err := s.exec(ctx, q, `DELETE FROM {P}customers WHERE id = $1 AND version = $2`, id, version)
		if err != nil {
			return fmt.Errorf("sqlstore: %w", err)
		}
		return s.swapped(ctx, q, n, id)
	})
}

// swapped finishes a compare-and-swap on a customer: no row changed means the row is
// missing or its version moved on, which a read in the same transaction tells apart.
func (s *Store) swapped(ctx context.Context, q querier, n int64, id string) error {
	if n > 0 {
		return nil
	}
	_, err := getOne(ctx, s, q, func(r scanner) (int, error) {
		var one int
		return one, r.Scan(&one)
	}, `SELECT 1 FROM {P}customers WHERE id = $1`, id)
	if err != nil {
		return err
	}
	return store.ErrConflict
}

// ListCustomers implements store.Store. A limit of zero or less lists every match.
func (s *Store) ListCustomers(ctx context.Context, f store.CustomerFilter, after string, limit int) ([]store.Customer, error) {
	state := f.State
	if state == "" {
		state = store.StateActive
	}
	var a []any
	arg := func(v any) string {
		a = append(a, v)
		return "$" + strconv.Itoa(len(a))
	}
	query := `SELECT ` + customerCols + ` FROM {P}customers WHERE state = ` + arg(string(state))
	if f.Email != "" {
		query += ` AND email_key = ` + arg(emailKey(f.Email))
	}
	if !f.UpdatedBefore.IsZero() {
		query += ` AND updated_at < ` + arg(timeArg(f.UpdatedBefore))
	}
	if f.Legacy {
		query += ` AND ` + legacyHash
	}
	if after != "" {
		query += ` AND id > ` + arg(after)
	}
	query += ` ORDER BY id`
	if limit > 0 {
		query += ` LIMIT ` + arg(limit)
	}
	return getAll(ctx, s, s.querier(nil), scanCustomer, query, a...)
}

// CountCustomers implements store.Store in one pass over the active customers. Boolean
// columns are tested bare, which both engines accept (SQLite keeps them as 0 and 1). A NULL
// migrated_at fails every comparison, so only migrated customers count toward Migrated and
// MigratedSince, whatever the bound.
func (s *Store) CountCustomers(ctx context.Context, migratedSince time.Time) (store.CustomerCounts, error) {
	return getOne(ctx, s, s.querier(nil), func(r scanner) (store.CustomerCounts, error) {
		var n store.CustomerCounts
		return n, r.Scan(&n.Total, &n.Legacy, &n.Migrated, &n.BlockedByPolicy, &n.Guests, &n.MigratedSince)
	}, `SELECT COUNT(*),
			COUNT(*) FILTER (WHERE has_account AND `+legacyHash+`),
			COUNT(*) FILTER (WHERE migrated_at IS NOT NULL),
			COUNT(*) FILTER (WHERE has_account AND `+legacyHash+` AND password_change_required),
			COUNT(*) FILTER (WHERE NOT has_account),
			COUNT(*) FILTER (WHERE migrated_at >= $1)
		FROM {P}customers WHERE state = '`+string(store.StateActive)+`'`, timeArg(migratedSince))
}
