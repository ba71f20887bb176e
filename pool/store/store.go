package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap nothing else into these; callers use errors.Is.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a create collided with an existing primary key (pool id, client id,
	// username key, group name, job id, membership).
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrAliasExists: a create or update would give an alias key (kind, key) to a second user.
	ErrAliasExists = errors.New("store: alias already belongs to another user")
	// ErrConflict: an optimistic update found a different Version than the one it read. Update
	// retries its function when it sees this; it only escapes when retries run out.
	ErrConflict = errors.New("store: concurrent modification")
	// ErrBadCursor: Page.After is not a cursor this backend returned for the same listing.
	ErrBadCursor = errors.New("store: malformed page cursor")
)

// Store is the pool's whole persistent state. Every backend (memory, SQLite, PostgreSQL) passes
// the conformance suite in package conformance.
type Store interface {
	// Update runs fn in one read-write transaction. If fn returns an error nothing it wrote is
	// kept. fn may run more than once (on ErrConflict or a database serialization failure), so
	// it must not have effects outside tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn with read access. Reads in a View need not see one snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Cleanup deletes ephemeral records and outbox messages whose ExpiresAt is at or before
	// now, and import-job CSV bodies of jobs that ended before now minus a day. It returns the
	// number of rows deleted.
	Cleanup(ctx context.Context, now time.Time) (int, error)
	// Ping reports whether the backend can serve requests.
	Ping(ctx context.Context) error
	Close() error
}

// Page asks for at most Limit records strictly after the cursor After (empty: from the start).
// Listings are ordered by their key; the cursor is the last key of the previous page as the
// backend returned it in NextCursor.
type Page struct {
	After string
	Limit int
}

// ReadTx is the read half of a transaction.
type ReadTx interface {
	GetPool(ctx context.Context, poolID string) (Pool, error)
	// ListPools orders by pool ID.
	ListPools(ctx context.Context, page Page) (pools []Pool, nextCursor string, err error)

	GetClient(ctx context.Context, poolID, clientID string) (Client, error)
	// FindClient looks a client up by its ID alone, as sign-in calls name only the client.
	FindClient(ctx context.Context, clientID string) (Client, error)
	// ListClients orders by client ID.
	ListClients(ctx context.Context, poolID string, page Page) ([]Client, string, error)

	// GetUser looks a user up by UsernameKey.
	GetUser(ctx context.Context, poolID, usernameKey string) (User, error)
	GetUserBySub(ctx context.Context, poolID, sub string) (User, error)
	// GetUserByAlias finds the user that holds alias (kind, key).
	GetUserByAlias(ctx context.Context, poolID string, alias Alias) (User, error)
	// ListUsers returns users matching filter, ordered by (filtered column, UsernameKey), or by
	// UsernameKey when the filter is empty. The cursor is opaque to callers.
	ListUsers(ctx context.Context, poolID string, filter UserFilter, page Page) ([]User, string, error)
	CountUsers(ctx context.Context, poolID string) (int64, error)

	GetGroup(ctx context.Context, poolID, name string) (Group, error)
	// ListGroups orders by name.
	ListGroups(ctx context.Context, poolID string, page Page) ([]Group, string, error)
	// ListGroupsForUser orders by group name.
	ListGroupsForUser(ctx context.Context, poolID, usernameKey string, page Page) ([]Group, string, error)
	// ListUsersInGroup orders by UsernameKey.
	ListUsersInGroup(ctx context.Context, poolID, groupName string, page Page) ([]User, string, error)

	GetImportJob(ctx context.Context, poolID, jobID string) (ImportJob, error)
	// ListImportJobs orders by CreatedAt then JobID, newest last.
	ListImportJobs(ctx context.Context, poolID string, page Page) ([]ImportJob, string, error)
	// GetImportCSV returns the uploaded CSV body of a job (ErrNotFound when none was uploaded).
	GetImportCSV(ctx context.Context, poolID, jobID string) ([]byte, error)

	// ListMessages returns outbox messages oldest first (by ID), at most limit (0: no limit).
	ListMessages(ctx context.Context, filter MessageFilter, limit int) ([]Message, error)

	// GetEphemeral returns an unexpired ephemeral record as of now (ErrNotFound if missing or
	// expired).
	GetEphemeral(ctx context.Context, namespace, key string, now time.Time) (Ephemeral, error)
}

// Tx is a read-write transaction. Writes that carry a Version compare it with the stored one
// and return ErrConflict when they differ; the stored Version then becomes Version+1, and the
// caller's copy is not changed.
type Tx interface {
	ReadTx

	CreatePool(ctx context.Context, p Pool) error
	UpdatePool(ctx context.Context, p Pool) error
	// DeletePool removes the pool and everything in it: clients, users, aliases, groups,
	// memberships, import jobs, outbox messages and ephemeral records under namespaces whose
	// key starts with the pool ID.
	DeletePool(ctx context.Context, poolID string) error

	CreateClient(ctx context.Context, c Client) error
	UpdateClient(ctx context.Context, c Client) error
	DeleteClient(ctx context.Context, poolID, clientID string) error

	// CreateUser stores u and its Aliases. ErrAlreadyExists when the UsernameKey or Sub is
	// taken; ErrAliasExists when one of its aliases is.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces u (matched by PoolID and UsernameKey) and its alias set.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes the user, its aliases and its group memberships.
	DeleteUser(ctx context.Context, poolID, usernameKey string) error

	CreateGroup(ctx context.Context, g Group) error
	UpdateGroup(ctx context.Context, g Group) error
	// DeleteGroup removes the group and its memberships.
	DeleteGroup(ctx context.Context, poolID, name string) error
	// AddMembership is idempotent.
	AddMembership(ctx context.Context, poolID, groupName, usernameKey string) error
	// RemoveMembership is idempotent.
	RemoveMembership(ctx context.Context, poolID, groupName, usernameKey string) error

	CreateImportJob(ctx context.Context, j ImportJob) error
	UpdateImportJob(ctx context.Context, j ImportJob) error
	PutImportCSV(ctx context.Context, poolID, jobID string, body []byte) error

	// AppendMessage assigns m.ID (strictly increasing across the whole store, across nodes)
	// and returns it.
	AppendMessage(ctx context.Context, m Message) (int64, error)

	// PutEphemeral inserts or replaces a record.
	PutEphemeral(ctx context.Context, e Ephemeral) error
	// TakeEphemeral returns and deletes an unexpired record in one step, so a single-use
	// value can be consumed exactly once even across nodes.
	TakeEphemeral(ctx context.Context, namespace, key string, now time.Time) (Ephemeral, error)
	DeleteEphemeral(ctx context.Context, namespace, key string) error
}
