package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/internal/sqldb"
	"github.com/hashless/hashless/pool/store"
)

// querier is what *sql.DB (View), *sql.Tx (Update) and the SQLite statement cache have in
// common.
type querier = sqldb.Querier

type scanner interface{ Scan(dest ...any) error }

type readTx struct {
	s *Store
	q querier
	// mustRetry records that a statement lost a race (serialization failure, deadlock): fn may
	// swallow the error, but the transaction is still not allowed to commit.
	mustRetry bool
}

type writeTx struct {
	readTx
	inSavepoint bool
}

var (
	_ store.ReadTx = (*readTx)(nil)
	_ store.Tx     = (*writeTx)(nil)
)

// fail wraps a database error, noting whether it calls for a new transaction.
func (t *readTx) fail(err error) error {
	if t.s.classify(err) == errKindRetry {
		t.mustRetry = true
	}
	return fmt.Errorf("sqlstore: %w", err)
}

func (t *readTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.q.ExecContext(ctx, t.s.q(query), args...)
	if err != nil {
		return nil, t.fail(err)
	}
	return res, nil
}

// getOne returns the single row query selects, or store.ErrNotFound.
func getOne[T any](ctx context.Context, t *readTx, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(t.q.QueryRowContext(ctx, t.s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, store.ErrNotFound
	}
	if err != nil {
		return v, t.fail(err)
	}
	return v, nil
}

func getAll[T any](ctx context.Context, t *readTx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.q.QueryContext(ctx, t.s.q(query), args...)
	if err != nil {
		return nil, t.fail(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.fail(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(err)
	}
	return out, nil
}

// args collects query arguments and names their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// limitClause fetches one row more than the page holds, to learn whether another page
// follows.
func limitClause(a *args, limit int) string {
	if limit <= 0 {
		return ""
	}
	return " LIMIT " + a.add(limit+1)
}

// trimPage cuts the extra row limitClause asked for and makes the next cursor.
func trimPage[T any](items []T, limit int, cursor func(T) string) ([]T, string) {
	if limit <= 0 || len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, cursor(items[limit-1])
}

// listByKey pages through the rows of base (a SELECT … WHERE …) ordered by keyCol, whose
// value is the cursor.
func listByKey[T any](ctx context.Context, t *readTx, scan func(scanner) (T, error), key func(T) string,
	base, keyCol string, a args, page store.Page) ([]T, string, error) {
	query := base
	if page.After != "" {
		query += " AND " + keyCol + " > " + a.add(page.After)
	}
	query += " ORDER BY " + keyCol + limitClause(&a, page.Limit)
	items, err := getAll(ctx, t, scan, query, a...)
	if err != nil {
		return nil, "", err
	}
	items, next := trimPage(items, page.Limit, key)
	return items, next, nil
}

// atomically runs a write of several statements, or one that may fail on a constraint, under a
// savepoint: if it fails, its own statements are undone and the transaction stays usable
// (PostgreSQL would otherwise refuse every later statement).
func (t *writeTx) atomically(ctx context.Context, fn func() error) error {
	if t.inSavepoint {
		return fn()
	}
	if _, err := t.exec(ctx, "SAVEPOINT hl_write"); err != nil {
		return err
	}
	t.inSavepoint = true
	err := fn()
	t.inSavepoint = false
	if err != nil {
		if _, rbErr := t.exec(ctx, "ROLLBACK TO SAVEPOINT hl_write"); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		if _, relErr := t.exec(ctx, "RELEASE SAVEPOINT hl_write"); relErr != nil {
			return errors.Join(err, relErr)
		}
		return err
	}
	_, err = t.exec(ctx, "RELEASE SAVEPOINT hl_write")
	return err
}

// insert runs an INSERT under a savepoint, turning a duplicate key into onDuplicate and a
// missing parent row (the pool, the job) into store.ErrNotFound.
func (t *writeTx) insert(ctx context.Context, onDuplicate error, query string, args ...any) error {
	return t.atomically(ctx, func() error {
		_, err := t.q.ExecContext(ctx, t.s.q(query), args...)
		switch t.s.classify(err) {
		case errKindUnique:
			return onDuplicate
		case errKindForeignKey:
			return store.ErrNotFound
		}
		if err != nil {
			return t.fail(err)
		}
		return nil
	})
}

// versioned finishes a compare-and-swap UPDATE: no row changed means the record is missing or
// its version moved on.
func (t *writeTx) versioned(ctx context.Context, res sql.Result, existsQuery string, key ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(err)
	}
	if n > 0 {
		return nil
	}
	if _, err := getOne(ctx, &t.readTx, scanOne, existsQuery, key...); err != nil {
		return err
	}
	return store.ErrConflict
}

func scanOne(r scanner) (int, error) {
	var v int
	err := r.Scan(&v)
	return v, err
}

// deleted maps a DELETE that removed nothing to store.ErrNotFound.
func (t *writeTx) deleted(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return t.fail(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Pools.

const poolCols = `id, name, created_at, updated_at, settings, version`

func scanPool(r scanner) (store.Pool, error) {
	var p store.Pool
	var created, updated int64
	err := r.Scan(&p.ID, &p.Name, &created, &updated, &p.Settings, &p.Version)
	p.CreatedAt, p.UpdatedAt, p.Settings = timeOf(created), timeOf(updated), blobOf(p.Settings)
	return p, err
}

func (t *readTx) GetPool(ctx context.Context, poolID string) (store.Pool, error) {
	return getOne(ctx, t, scanPool, `SELECT `+poolCols+` FROM {P}pools WHERE id = $1`, poolID)
}

func (t *readTx) ListPools(ctx context.Context, page store.Page) ([]store.Pool, string, error) {
	return listByKey(ctx, t, scanPool, func(p store.Pool) string { return p.ID },
		`SELECT `+poolCols+` FROM {P}pools WHERE 1 = 1`, "id", nil, page)
}

func (t *writeTx) CreatePool(ctx context.Context, p store.Pool) error {
	return t.insert(ctx, store.ErrAlreadyExists,
		`INSERT INTO {P}pools (`+poolCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.Name, timeArg(p.CreatedAt), timeArg(p.UpdatedAt), blobArg(p.Settings), p.Version)
}

func (t *writeTx) UpdatePool(ctx context.Context, p store.Pool) error {
	res, err := t.exec(ctx, `UPDATE {P}pools SET name = $2, created_at = $3, updated_at = $4, settings = $5,
		version = version + 1 WHERE id = $1 AND version = $6`,
		p.ID, p.Name, timeArg(p.CreatedAt), timeArg(p.UpdatedAt), blobArg(p.Settings), p.Version)
	if err != nil {
		return err
	}
	return t.versioned(ctx, res, `SELECT 1 FROM {P}pools WHERE id = $1`, p.ID)
}

// DeletePool removes the pool; foreign keys cascade to everything but the outbox and the
// ephemeral records, which are not tied to a pool row.
func (t *writeTx) DeletePool(ctx context.Context, poolID string) error {
	return t.atomically(ctx, func() error {
		res, err := t.exec(ctx, `DELETE FROM {P}pools WHERE id = $1`, poolID)
		if err != nil {
			return err
		}
		if err := t.deleted(res); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM {P}messages WHERE pool_id = $1`, poolID); err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM {P}ephemeral WHERE pool_id = $1`, poolID)
		return err
	})
}

// Clients.

const clientCols = `pool_id, client_id, name, created_at, updated_at, settings, version`

func scanClient(r scanner) (store.Client, error) {
	var c store.Client
	var created, updated int64
	err := r.Scan(&c.PoolID, &c.ClientID, &c.Name, &created, &updated, &c.Settings, &c.Version)
	c.CreatedAt, c.UpdatedAt, c.Settings = timeOf(created), timeOf(updated), blobOf(c.Settings)
	return c, err
}

func (t *readTx) GetClient(ctx context.Context, poolID, clientID string) (store.Client, error) {
	return getOne(ctx, t, scanClient,
		`SELECT `+clientCols+` FROM {P}clients WHERE pool_id = $1 AND client_id = $2`, poolID, clientID)
}

func (t *readTx) FindClient(ctx context.Context, clientID string) (store.Client, error) {
	return getOne(ctx, t, scanClient, `SELECT `+clientCols+` FROM {P}clients WHERE client_id = $1`, clientID)
}

func (t *readTx) ListClients(ctx context.Context, poolID string, page store.Page) ([]store.Client, string, error) {
	return listByKey(ctx, t, scanClient, func(c store.Client) string { return c.ClientID },
		`SELECT `+clientCols+` FROM {P}clients WHERE pool_id = $1`, "client_id", args{poolID}, page)
}

func (t *writeTx) CreateClient(ctx context.Context, c store.Client) error {
	return t.insert(ctx, store.ErrAlreadyExists,
		`INSERT INTO {P}clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.PoolID, c.ClientID, c.Name, timeArg(c.CreatedAt), timeArg(c.UpdatedAt), blobArg(c.Settings), c.Version)
}

func (t *writeTx) UpdateClient(ctx context.Context, c store.Client) error {
	res, err := t.exec(ctx, `UPDATE {P}clients SET name = $3, created_at = $4, updated_at = $5, settings = $6,
		version = version + 1 WHERE pool_id = $1 AND client_id = $2 AND version = $7`,
		c.PoolID, c.ClientID, c.Name, timeArg(c.CreatedAt), timeArg(c.UpdatedAt), blobArg(c.Settings), c.Version)
	if err != nil {
		return err
	}
	return t.versioned(ctx, res, `SELECT 1 FROM {P}clients WHERE pool_id = $1 AND client_id = $2`, c.PoolID, c.ClientID)
}

func (t *writeTx) DeleteClient(ctx context.Context, poolID, clientID string) error {
	res, err := t.exec(ctx, `DELETE FROM {P}clients WHERE pool_id = $1 AND client_id = $2`, poolID, clientID)
	if err != nil {
		return err
	}
	return t.deleted(res)
}

// Groups and memberships.

const groupCols = `pool_id, name, created_at, updated_at, data, version`

func scanGroup(r scanner) (store.Group, error) {
	var g store.Group
	var created, updated int64
	err := r.Scan(&g.PoolID, &g.Name, &created, &updated, &g.Data, &g.Version)
	g.CreatedAt, g.UpdatedAt, g.Data = timeOf(created), timeOf(updated), blobOf(g.Data)
	return g, err
}

func groupName(g store.Group) string { return g.Name }

func (t *readTx) GetGroup(ctx context.Context, poolID, name string) (store.Group, error) {
	return getOne(ctx, t, scanGroup, `SELECT `+groupCols+` FROM {P}groups WHERE pool_id = $1 AND name = $2`, poolID, name)
}

func (t *readTx) ListGroups(ctx context.Context, poolID string, page store.Page) ([]store.Group, string, error) {
	return listByKey(ctx, t, scanGroup, groupName,
		`SELECT `+groupCols+` FROM {P}groups WHERE pool_id = $1`, "name", args{poolID}, page)
}

func (t *readTx) ListGroupsForUser(ctx context.Context, poolID, usernameKey string, page store.Page) ([]store.Group, string, error) {
	return listByKey(ctx, t, scanGroup, groupName,
		`SELECT `+prefixed("g.", groupCols)+` FROM {P}memberships m
		JOIN {P}groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = $1 AND m.username_key = $2`, "m.group_name", args{poolID, usernameKey}, page)
}

func (t *readTx) ListUsersInGroup(ctx context.Context, poolID, groupName string, page store.Page) ([]store.User, string, error) {
	return listByKey(ctx, t, scanUser, func(u store.User) string { return u.UsernameKey },
		`SELECT `+prefixed("u.", userCols)+` FROM {P}memberships m
		JOIN {P}users u ON u.pool_id = m.pool_id AND u.username_key = m.username_key
		WHERE m.pool_id = $1 AND m.group_name = $2`, "m.username_key", args{poolID, groupName}, page)
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (t *writeTx) CreateGroup(ctx context.Context, g store.Group) error {
	return t.insert(ctx, store.ErrAlreadyExists,
		`INSERT INTO {P}groups (`+groupCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		g.PoolID, g.Name, timeArg(g.CreatedAt), timeArg(g.UpdatedAt), blobArg(g.Data), g.Version)
}

func (t *writeTx) UpdateGroup(ctx context.Context, g store.Group) error {
	res, err := t.exec(ctx, `UPDATE {P}groups SET created_at = $3, updated_at = $4, data = $5,
		version = version + 1 WHERE pool_id = $1 AND name = $2 AND version = $6`,
		g.PoolID, g.Name, timeArg(g.CreatedAt), timeArg(g.UpdatedAt), blobArg(g.Data), g.Version)
	if err != nil {
		return err
	}
	return t.versioned(ctx, res, `SELECT 1 FROM {P}groups WHERE pool_id = $1 AND name = $2`, g.PoolID, g.Name)
}

func (t *writeTx) DeleteGroup(ctx context.Context, poolID, name string) error {
	res, err := t.exec(ctx, `DELETE FROM {P}groups WHERE pool_id = $1 AND name = $2`, poolID, name)
	if err != nil {
		return err
	}
	return t.deleted(res)
}

// AddMembership relies on the foreign keys to report a missing group or user; ON CONFLICT
// makes a repeated call a no-op.
func (t *writeTx) AddMembership(ctx context.Context, poolID, groupName, usernameKey string) error {
	return t.insert(ctx, nil, `INSERT INTO {P}memberships (pool_id, group_name, username_key)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, poolID, groupName, usernameKey)
}

func (t *writeTx) RemoveMembership(ctx context.Context, poolID, groupName, usernameKey string) error {
	_, err := t.exec(ctx, `DELETE FROM {P}memberships WHERE pool_id = $1 AND group_name = $2 AND username_key = $3`,
		poolID, groupName, usernameKey)
	return err
}

// Import jobs.

const jobCols = `pool_id, job_id, created_at, data, version`

func scanJob(r scanner) (store.ImportJob, error) {
	var j store.ImportJob
	var created int64
	err := r.Scan(&j.PoolID, &j.JobID, &created, &j.Data, &j.Version)
	j.CreatedAt, j.Data = timeOf(created), blobOf(j.Data)
	return j, err
}

func (t *readTx) GetImportJob(ctx context.Context, poolID, jobID string) (store.ImportJob, error) {
	return getOne(ctx, t, scanJob, `SELECT `+jobCols+` FROM {P}import_jobs WHERE pool_id = $1 AND job_id = $2`, poolID, jobID)
}

func (t *readTx) ListImportJobs(ctx context.Context, poolID string, page store.Page) ([]store.ImportJob, string, error) {
	a := args{poolID}
	query := `SELECT ` + jobCols + ` FROM {P}import_jobs WHERE pool_id = $1`
	if page.After != "" {
		var c store.JobCursor
		if err := store.DecodeCursor(page.After, &c); err != nil {
			return nil, "", err
		}
		query += ` AND (created_at, job_id) > (` + a.add(c.Created) + `, ` + a.add(c.JobID) + `)`
	}
	query += ` ORDER BY created_at, job_id` + limitClause(&a, page.Limit)
	jobs, err := getAll(ctx, t, scanJob, query, a...)
	if err != nil {
		return nil, "", err
	}
	jobs, next := trimPage(jobs, page.Limit, func(j store.ImportJob) string {
		return store.EncodeCursor(store.JobCursor{Created: timeArg(j.CreatedAt), JobID: j.JobID})
	})
	return jobs, next, nil
}

func (t *readTx) GetImportCSV(ctx context.Context, poolID, jobID string) ([]byte, error) {
	return getOne(ctx, t, func(r scanner) ([]byte, error) {
		var b []byte
		err := r.Scan(&b)
		return blobOf(b), err
	}, `SELECT body FROM {P}import_csv WHERE pool_id = $1 AND job_id = $2`, poolID, jobID)
}

func (t *writeTx) CreateImportJob(ctx context.Context, j store.ImportJob) error {
	return t.insert(ctx, store.ErrAlreadyExists,
		`INSERT INTO {P}import_jobs (`+jobCols+`) VALUES ($1, $2, $3, $4, $5)`,
		j.PoolID, j.JobID, timeArg(j.CreatedAt), blobArg(j.Data), j.Version)
}

func (t *writeTx) UpdateImportJob(ctx context.Context, j store.ImportJob) error {
	res, err := t.exec(ctx, `UPDATE {P}import_jobs SET created_at = $3, data = $4, version = version + 1
		WHERE pool_id = $1 AND job_id = $2 AND version = $5`,
		j.PoolID, j.JobID, timeArg(j.CreatedAt), blobArg(j.Data), j.Version)
	if err != nil {
		return err
	}
	return t.versioned(ctx, res, `SELECT 1 FROM {P}import_jobs WHERE pool_id = $1 AND job_id = $2`, j.PoolID, j.JobID)
}

func (t *writeTx) PutImportCSV(ctx context.Context, poolID, jobID string, body []byte) error {
	return t.insert(ctx, nil, `INSERT INTO {P}import_csv (pool_id, job_id, body) VALUES ($1, $2, $3)
		ON CONFLICT (pool_id, job_id) DO UPDATE SET body = excluded.body`, poolID, jobID, blobArg(body))
}

// Outbox.

const messageCols = `id, pool_id, username, user_keys, destination, medium, kind, code, body, sent_at, expires_at`

func scanMessage(r scanner) (store.Message, error) {
	var m store.Message
	var keys string
	var sent, expires int64
	err := r.Scan(&m.ID, &m.PoolID, &m.Username, &keys, &m.Destination, &m.Medium, &m.Kind, &m.Code, &m.Body, &sent, &expires)
	if err != nil {
		return m, err
	}
	m.Time, m.ExpiresAt = timeOf(sent), timeOf(expires)
	if err := json.Unmarshal([]byte(keys), &m.UserKeys); err != nil {
		return m, fmt.Errorf("message %d: user keys: %w", m.ID, err)
	}
	if len(m.UserKeys) == 0 {
		m.UserKeys = nil
	}
	return m, nil
}

func (t *readTx) ListMessages(ctx context.Context, f store.MessageFilter, limit int) ([]store.Message, error) {
	a := args{f.AfterID}
	query := `SELECT ` + messageCols + ` FROM {P}messages WHERE id > $1`
	if f.PoolID != "" {
		query += ` AND pool_id = ` + a.add(f.PoolID)
	}
	if f.User != "" {
		query += ` AND id IN (SELECT message_id FROM {P}message_keys WHERE user_key = ` + a.add(f.User) + `)`
	}
	if f.Destination != "" {
		query += ` AND destination = ` + a.add(f.Destination)
	}
	if f.Kind != "" {
		query += ` AND kind = ` + a.add(f.Kind)
	}
	query += ` ORDER BY id`
	if limit > 0 {
		query += ` LIMIT ` + a.add(limit)
	}
	return getAll(ctx, t, scanMessage, query, a...)
}

// AppendMessage takes the IDs from a sequence. On PostgreSQL a sequence hands out IDs in call
// order but transactions commit in any order, so a reader polling with AfterID could pass over
// a message that commits late under a lower ID; the advisory lock, held to the end of the
// transaction, makes appends commit in ID order. (SQLite has one writer at a time anyway.)
func (t *writeTx) AppendMessage(ctx context.Context, m store.Message) (int64, error) {
	keys, err := json.Marshal(m.UserKeys)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	if t.s.db.Postgres() {
		if _, err := t.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, t.s.outboxLock); err != nil {
			return 0, err
		}
	}
	var id int64
	err = t.atomically(ctx, func() error {
		id, err = getOne(ctx, &t.readTx, func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, `INSERT INTO {P}messages (pool_id, username, user_keys, destination, medium, kind, code, body, sent_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			m.PoolID, m.Username, string(keys), m.Destination, m.Medium, m.Kind, m.Code, m.Body,
			timeArg(m.Time), timeArg(m.ExpiresAt))
		if err != nil {
			return err
		}
		a := args{id}
		var values []string
		seen := map[string]bool{"": true}
		for _, k := range append([]string{m.Username}, m.UserKeys...) {
			if !seen[k] {
				seen[k] = true
				values = append(values, "("+a.add(k)+", $1)")
			}
		}
		if len(values) == 0 {
			return nil
		}
		_, err := t.exec(ctx, `INSERT INTO {P}message_keys (user_key, message_id) VALUES `+strings.Join(values, ", "), a...)
		return err
	})
	return id, err
}

// Ephemeral records.

func (t *readTx) GetEphemeral(ctx context.Context, namespace, key string, now time.Time) (store.Ephemeral, error) {
	e, err := getOne(ctx, t, scanEphemeral, `SELECT pool_id, value, expires_at FROM {P}ephemeral
		WHERE namespace = $1 AND item_key = $2 AND expires_at > $3`, []byte(namespace), []byte(key), timeArg(now))
	if err != nil {
		return store.Ephemeral{}, err
	}
	e.Namespace, e.Key = namespace, key
	return e, nil
}

func scanEphemeral(r scanner) (store.Ephemeral, error) {
	var e store.Ephemeral
	var expires int64
	err := r.Scan(&e.PoolID, &e.Value, &expires)
	e.ExpiresAt, e.Value = timeOf(expires), blobOf(e.Value)
	return e, err
}

func (t *writeTx) PutEphemeral(ctx context.Context, e store.Ephemeral) error {
	_, err := t.exec(ctx, `INSERT INTO {P}ephemeral (namespace, item_key, pool_id, value, expires_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (namespace, item_key) DO UPDATE
		SET pool_id = excluded.pool_id, value = excluded.value, expires_at = excluded.expires_at`,
		[]byte(e.Namespace), []byte(e.Key), e.PoolID, blobArg(e.Value), timeArg(e.ExpiresAt))
	return err
}

// TakeEphemeral is one DELETE … RETURNING: of two nodes taking the same record, the second's
// DELETE waits for the first and then finds nothing (PostgreSQL reports a serialization
// failure, and the retry finds nothing).
func (t *writeTx) TakeEphemeral(ctx context.Context, namespace, key string, now time.Time) (store.Ephemeral, error) {
	e, err := getOne(ctx, &t.readTx, scanEphemeral, `DELETE FROM {P}ephemeral
		WHERE namespace = $1 AND item_key = $2 AND expires_at > $3
		RETURNING pool_id, value, expires_at`, []byte(namespace), []byte(key), timeArg(now))
	if err != nil {
		return store.Ephemeral{}, err
	}
	e.Namespace, e.Key = namespace, key
	return e, nil
}

func (t *writeTx) DeleteEphemeral(ctx context.Context, namespace, key string) error {
	res, err := t.exec(ctx, `DELETE FROM {P}ephemeral WHERE namespace = $1 AND item_key = $2`,
		[]byte(namespace), []byte(key))
	if err != nil {
		return err
	}
	return t.deleted(res)
}
