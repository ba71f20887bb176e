package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashless/hashless/pool/store"
)

// filterColumns maps each filter attribute to the users column holding its SearchValue.
var filterColumns = map[string]string{
	store.FilterUsername:          "username_key",
	store.FilterSub:               "sub",
	store.FilterUserStatus:        "status",
	store.FilterStatus:            "enabled",
	store.FilterEmail:             "email",
	store.FilterPhoneNumber:       "phone_number",
	store.FilterName:              "name",
	store.FilterGivenName:         "given_name",
	store.FilterFamilyName:        "family_name",
	store.FilterPreferredUsername: "preferred_username",
}

// searchAttrs are the filter attributes stored in columns of their own, in the column order
// of userWriteCols.
var searchAttrs = []string{
	store.FilterUserStatus, store.FilterStatus, store.FilterEmail, store.FilterPhoneNumber,
	store.FilterName, store.FilterGivenName, store.FilterFamilyName, store.FilterPreferredUsername,
}

const userCols = `pool_id, username_key, username, sub, status, enabled, attributes, aliases, password_hash,
	created_at, updated_at, state, version`

const userWriteCols = `pool_id, username_key, username, sub, status, enabled, email, phone_number, name,
	given_name, family_name, preferred_username, attributes, aliases, password_hash, created_at, updated_at,
	state, version`

// maxRune ends every string that starts with a given prefix, byte-wise: a prefix filter is the
// range [prefix, prefix+maxRune), which both engines answer from an index where LIKE would
// depend on collation and settings. (A value whose text after the prefix starts with U+10FFFF,
// a noncharacter, falls outside.)
const maxRune = "\U0010FFFF"

func scanUser(r scanner) (store.User, error) {
	var u store.User
	var enabled, attrs, aliases string
	var created, updated int64
	err := r.Scan(&u.PoolID, &u.UsernameKey, &u.Username, &u.Sub, &u.Status, &enabled, &attrs, &aliases,
		&u.PasswordHash, &created, &updated, &u.State, &u.Version)
	if err != nil {
		return u, err
	}
	u.Enabled = enabled == "Enabled"
	u.CreatedAt, u.UpdatedAt, u.State = timeOf(created), timeOf(updated), blobOf(u.State)
	if err := json.Unmarshal([]byte(attrs), &u.Attributes); err != nil {
		return u, fmt.Errorf("user %q: attributes: %w", u.UsernameKey, err)
	}
	if err := json.Unmarshal([]byte(aliases), &u.Aliases); err != nil {
		return u, fmt.Errorf("user %q: aliases: %w", u.UsernameKey, err)
	}
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	}
	if len(u.Aliases) == 0 {
		u.Aliases = nil
	}
	return u, nil
}

// userArgs are the values of userWriteCols for u.
func userArgs(u store.User) ([]any, error) {
	attrs, err := json.Marshal(u.Attributes)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: attributes: %w", err)
	}
	aliases, err := json.Marshal(u.Aliases)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: aliases: %w", err)
	}
	a := []any{u.PoolID, u.UsernameKey, u.Username, u.Sub}
	for _, attr := range searchAttrs {
		a = append(a, u.SearchValue(attr))
	}
	return append(a, string(attrs), string(aliases), u.PasswordHash,
		timeArg(u.CreatedAt), timeArg(u.UpdatedAt), blobArg(u.State), u.Version), nil
}

func (t *readTx) GetUser(ctx context.Context, poolID, usernameKey string) (store.User, error) {
	return getOne(ctx, t, scanUser, `SELECT `+userCols+` FROM {P}users WHERE pool_id = $1 AND username_key = $2`,
		poolID, usernameKey)
}

func (t *readTx) GetUserBySub(ctx context.Context, poolID, sub string) (store.User, error) {
	return getOne(ctx, t, scanUser, `SELECT `+userCols+` FROM {P}users WHERE pool_id = $1 AND sub = $2`, poolID, sub)
}

func (t *readTx) GetUserByAlias(ctx context.Context, poolID string, alias store.Alias) (store.User, error) {
	return getOne(ctx, t, scanUser, `SELECT `+prefixed("u.", userCols)+` FROM {P}aliases a
		JOIN {P}users u ON u.pool_id = a.pool_id AND u.username_key = a.username_key
		WHERE a.pool_id = $1 AND a.kind = $2 AND a.alias_key = $3`, poolID, alias.Kind, alias.Key)
}

func (t *readTx) CountUsers(ctx context.Context, poolID string) (int64, error) {
	return getOne(ctx, t, func(r scanner) (int64, error) {
		var n int64
		return n, r.Scan(&n)
	}, `SELECT COUNT(*) FROM {P}users WHERE pool_id = $1`, poolID)
}

// listUsersQuery builds the one query ListUsers runs (and ExplainListUsers explains). The
// page is a range of the index (pool_id, column, username_key): equality or a prefix range on
// the column, then a row-value comparison that starts after the cursor. Where the column
// alone orders the users (username_key, and sub, which is unique) it is the whole sort key.
func listUsersQuery(poolID string, f store.UserFilter, after *store.UserCursor, limit int) (string, args, error) {
	col := "username_key"
	if f.Attribute != "" {
		var ok bool
		if col, ok = filterColumns[f.Attribute]; !ok {
			return "", nil, fmt.Errorf("sqlstore: cannot filter users on %q", f.Attribute)
		}
	}
	a := args{poolID}
	var b strings.Builder
	b.WriteString(`SELECT ` + userCols + ` FROM {P}users WHERE pool_id = $1`)
	single := col == "username_key" || col == "sub"
	// The lower bound is the filter's or, past the first page, the cursor's (which the cursor
	// check keeps within the filter). SQLite uses only one of them for the index range, so
	// the query never states both.
	switch {
	case f.Attribute != "" && !f.Prefix:
		b.WriteString(` AND ` + col + ` = ` + a.add(f.Value))
		if after != nil {
			b.WriteString(` AND username_key > ` + a.add(after.Key))
		}
	case after == nil:
		if f.Attribute != "" && f.Value != "" {
			b.WriteString(` AND ` + col + ` >= ` + a.add(f.Value))
		}
	case col == "username_key":
		b.WriteString(` AND username_key > ` + a.add(after.Key))
	case single:
		b.WriteString(` AND ` + col + ` > ` + a.add(after.Value))
	default:
		b.WriteString(` AND (` + col + `, username_key) > (` + a.add(after.Value) + `, ` + a.add(after.Key) + `)`)
	}
	if f.Attribute != "" && f.Prefix && f.Value != "" {
		b.WriteString(` AND ` + col + ` < ` + a.add(f.Value+maxRune))
	}
	if single {
		b.WriteString(` ORDER BY ` + col)
	} else {
		b.WriteString(` ORDER BY ` + col + `, username_key`)
	}
	b.WriteString(limitClause(&a, limit))
	return b.String(), a, nil
}

func (t *readTx) ListUsers(ctx context.Context, poolID string, f store.UserFilter, page store.Page) ([]store.User, string, error) {
	var after *store.UserCursor
	if page.After != "" {
		c, err := store.DecodeUserCursor(page.After, f)
		if err != nil {
			return nil, "", err
		}
		after = &c
	}
	query, a, err := listUsersQuery(poolID, f, after, page.Limit)
	if err != nil {
		return nil, "", err
	}
	users, err := getAll(ctx, t, scanUser, query, a...)
	if err != nil {
		return nil, "", err
	}
	users, next := trimPage(users, page.Limit, func(u store.User) string {
		c := store.UserCursor{Attr: f.Attribute, Key: u.UsernameKey}
		if f.Attribute != "" {
			c.Value = u.SearchValue(f.Attribute)
		}
		return store.EncodeCursor(c)
	})
	return users, next, nil
}

// explainLimit is the page size ExplainListUsers plans for: Cognito's largest ListUsers page.
const explainLimit = 60

// ExplainListUsers returns the plan the database chooses for the first page of ListUsers with
// filter f (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL), one plan line per line, so
// tests and operators can check that the filter is served by an index.
func (s *Store) ExplainListUsers(ctx context.Context, poolID string, f store.UserFilter) (string, error) {
	return s.explainListUsers(ctx, poolID, f, nil)
}

func (s *Store) explainListUsers(ctx context.Context, poolID string, f store.UserFilter, after *store.UserCursor) (string, error) {
	query, a, err := listUsersQuery(poolID, f, after, explainLimit)
	if err != nil {
		return "", err
	}
	plan, err := s.db.Explain(ctx, query, a...)
	if err != nil {
		return "", fmt.Errorf("sqlstore: explain: %w", err)
	}
	return plan, nil
}

func (t *writeTx) CreateUser(ctx context.Context, u store.User) error {
	a, err := userArgs(u)
	if err != nil {
		return err
	}
	return t.atomically(ctx, func() error {
		err := t.insert(ctx, store.ErrAlreadyExists, `INSERT INTO {P}users (`+userWriteCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, a...)
		if err != nil {
			return err
		}
		return t.insertAliases(ctx, u)
	})
}

func (t *writeTx) insertAliases(ctx context.Context, u store.User) error {
	a := args{u.PoolID, u.UsernameKey}
	var values []string
	seen := map[store.Alias]bool{}
	for _, al := range u.Aliases {
		if !seen[al] {
			seen[al] = true
			values = append(values, "($1, "+a.add(al.Kind)+", "+a.add(al.Key)+", $2)")
		}
	}
	if len(values) == 0 {
		return nil
	}
	return t.insert(ctx, store.ErrAliasExists,
		`INSERT INTO {P}aliases (pool_id, kind, alias_key, username_key) VALUES `+strings.Join(values, ", "), a...)
}

// updateUserSQL sets every column of userWriteCols from the same arguments as the INSERT,
// comparing and bumping the version.
var updateUserSQL = func() string {
	var set []string
	for i, col := range strings.Split(userWriteCols, ",") {
		col = strings.TrimSpace(col)
		switch col {
		case "pool_id", "username_key":
		case "version":
			set = append(set, "version = version + 1")
		default:
			set = append(set, fmt.Sprintf("%s = $%d", col, i+1))
		}
	}
	n := strings.Count(userWriteCols, ",") + 1
	return fmt.Sprintf(`UPDATE {P}users SET %s WHERE pool_id = $1 AND username_key = $2 AND version = $%d`,
		strings.Join(set, ", "), n)
}()

// UpdateUser rewrites the row, then the user's alias rows; a taken alias undoes both.
func (t *writeTx) UpdateUser(ctx context.Context, u store.User) error {
	a, err := userArgs(u)
	if err != nil {
		return err
	}
	return t.atomically(ctx, func() error {
		res, err := t.q.ExecContext(ctx, t.s.q(updateUserSQL), a...)
		if t.s.classify(err) == errKindUnique {
			return store.ErrAlreadyExists // the new sub belongs to another user
		}
		if err != nil {
			return t.fail(err)
		}
		err = t.versioned(ctx, res, `SELECT 1 FROM {P}users WHERE pool_id = $1 AND username_key = $2`,
			u.PoolID, u.UsernameKey)
		if err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM {P}aliases WHERE pool_id = $1 AND username_key = $2`, u.PoolID, u.UsernameKey)
		if err != nil {
			return err
		}
		return t.insertAliases(ctx, u)
	})
}

// DeleteUser deletes the row; the foreign keys of aliases and memberships cascade.
func (t *writeTx) DeleteUser(ctx context.Context, poolID, usernameKey string) error {
	res, err := t.exec(ctx, `DELETE FROM {P}users WHERE pool_id = $1 AND username_key = $2`, poolID, usernameKey)
	if err != nil {
		return err
	}
	return t.deleted(res)
}
