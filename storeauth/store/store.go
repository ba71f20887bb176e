package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors every backend returns (wrapped or not) so callers can use errors.Is.
var (
	// ErrNotFound: no live record matches.
	ErrNotFound = errors.New("store: not found")
	// ErrDuplicateEmail: another live customer (not soft-deleted) has the same e-mail in any
	// letter case.
	ErrDuplicateEmail = errors.New("store: e-mail already in use")
	// ErrDuplicateID: a record with this ID exists already.
	ErrDuplicateID = errors.New("store: id already exists")
	// ErrConflict: a compare-and-swap lost, the record changed since it was read.
	ErrConflict = errors.New("store: record changed concurrently")
)

// CustomerState is where a customer is in the life cycle that keeps the customer row and
// the pool user together (see storeauth's package doc for the saga).
type CustomerState string

const (
	// StatePending: the row exists, the pool user may or may not yet. Invisible to sign-in
	// and to e-mail look-ups from the API; the reconciler finishes or undoes it.
	StatePending CustomerState = "pending"
	// StateActive: a customer (with a pool user when HasAccount).
	StateActive CustomerState = "active"
	// StateDeleting: deletion started; the pool user may still exist. Holds its e-mail so
	// nobody can register it until the pool user is gone.
	StateDeleting CustomerState = "deleting"
	// StateDeleted: soft-deleted; the e-mail is free again.
	StateDeleted CustomerState = "deleted"
)

// Customer is one row of the app's customers table.
type Customer struct {
	ID string
	// Email is as the customer typed it; uniqueness and look-ups ignore letter case
	// and surrounding spaces. Never empty.
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Metadata is a JSON object, or nil.
	Metadata json.RawMessage
	// HasAccount: the customer has credentials (a pool user, or a legacy hash).
	HasAccount bool
	// PasswordHash is a legacy password hash still waiting to move into the pool; empty once
	// the pool holds the password (lazy migration).
	PasswordHash string
	State        CustomerState
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// DeletedAt is set with StateDeleted.
	DeletedAt time.Time
	// PasswordChangeRequired: the customer signed in with a legacy password that the pool's
	// policy refused, so the legacy hash stays and the customer stays unmigrated until they
	// change the password.
	PasswordChangeRequired bool
	// MigratedAt is when the legacy hash was erased, after the pool proved it accepts the
	// password. Zero when the customer was never migrated, or never had a legacy hash.
	MigratedAt time.Time
	// CredentialLeaseUntil: while it is in the future, one flow (a first sign-in migrating the
	// customer, or a password reset) owns the customer's pool password, and no other flow may
	// set it. Taken and given back with UpdateCustomer, so the version decides between racing
	// flows. Zero when no flow holds it.
	CredentialLeaseUntil time.Time
	// Version increases by one on every update; UpdateCustomer compares it.
	Version int64
}

// Session is one signed-in device. The token itself is never stored, only its SHA-256.
type Session struct {
	ID         string
	TokenHash  []byte // SHA-256 of the token, 32 bytes; unique
	CustomerID string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end (created + the maximum lifetime).
	ExpiresAt time.Time
	UserAgent string
	IP        string
	// Kind is "cookie" or "bearer": how the token was handed out.
	Kind string
}

// CustomerFilter selects customers for listing. Zero fields do not filter.
type CustomerFilter struct {
	// Email matches exactly, ignoring letter case.
	Email string
	// State matches exactly; empty means active customers only.
	State CustomerState
	// UpdatedBefore keeps customers last updated before this time (for the reconciler).
	UpdatedBefore time.Time
	// Legacy keeps only customers with a non-empty PasswordHash, those not yet migrated.
	Legacy bool
}

// CustomerCounts is how far the lazy migration has got, over live customers (StateActive).
type CustomerCounts struct {
	Total           int64 // active customers
	Legacy          int64 // HasAccount and PasswordHash != ""
	Migrated        int64 // MigratedAt set (non-zero)
	BlockedByPolicy int64 // Legacy and PasswordChangeRequired
	Guests          int64 // !HasAccount
	MigratedSince   int64 // Migrated and MigratedAt >= migratedSince
}

// Customers is the customer table.
type Customers interface {
	// CreateCustomer inserts c (Version becomes 1). ErrDuplicateID, ErrDuplicateEmail.
	CreateCustomer(ctx context.Context, c Customer) error
	// GetCustomer reads by ID, whatever the state. ErrNotFound.
	GetCustomer(ctx context.Context, id string) (Customer, error)
	// CustomerByEmail reads the customer holding email (any letter case) whose state is
	// not StateDeleted. ErrNotFound.
	CustomerByEmail(ctx context.Context, email string) (Customer, error)
	// UpdateCustomer stores c if the stored version still equals c.Version, and sets the
	// stored version to c.Version+1 and UpdatedAt to c.UpdatedAt. ErrConflict when the
	// version differs, ErrNotFound when there is no such row, ErrDuplicateEmail when the
	// new e-mail is held by another live customer.
	UpdateCustomer(ctx context.Context, c Customer) error
	// DeleteCustomer removes the row for good (only for undoing a pending registration).
	// It compares the version like UpdateCustomer. ErrConflict, ErrNotFound.
	DeleteCustomer(ctx context.Context, id string, version int64) error
	// ListCustomers returns up to limit customers matching f ordered by ID, starting after
	// the ID after (empty: from the start).
	ListCustomers(ctx context.Context, f CustomerFilter, after string, limit int) ([]Customer, error)
	// CountCustomers counts live customers (state active) for the migration report.
	CountCustomers(ctx context.Context, migratedSince time.Time) (CustomerCounts, error)
}

// Sessions is the session table.
type Sessions interface {
	// CreateSession inserts s. ErrDuplicateID when the ID or token hash exists.
	CreateSession(ctx context.Context, s Session) error
	// SessionByTokenHash reads the session whose token hashes to h. ErrNotFound.
	SessionByTokenHash(ctx context.Context, h []byte) (Session, error)
	// TouchSession sets LastSeenAt to at, only if the stored value is older. ErrNotFound
	// when the session is gone.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// ListSessions returns the customer's sessions, newest first.
	ListSessions(ctx context.Context, customerID string) ([]Session, error)
	// DeleteSession ends one session of the customer. ErrNotFound when that customer has
	// no session with this ID.
	DeleteSession(ctx context.Context, customerID, id string) error
	// DeleteSessions ends every session of the customer except the one with ID except
	// (empty: all), and returns how many ended.
	DeleteSessions(ctx context.Context, customerID, except string) (int, error)
	// DeleteExpiredSessions removes sessions whose ExpiresAt is before now or whose
	// LastSeenAt is before idleBefore, and returns how many.
	DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error)
}

// Settings keeps a few named values the service needs across restarts and nodes, such as
// the IDs of an embedded pool.
type Settings interface {
	// Setting reads a value. ErrNotFound.
	Setting(ctx context.Context, name string) (string, error)
	// PutSettingIfAbsent stores value under name unless a value is there already, and
	// returns the value that is stored afterwards (so racing nodes agree on one).
	PutSettingIfAbsent(ctx context.Context, name, value string) (string, error)
}

// Store is everything the customer service keeps in its database.
type Store interface {
	Customers
	Sessions
	Settings
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Reports is what the migration dashboard reads and keeps besides the customers: how the
// migration went over time, and how many sign-ins had each outcome in each hour. It is
// optional: a backend without it (an app's own customer table, say) serves everything but
// the dashboard's history. The memory store and sqlstore implement it.
type Reports interface {
	// MigrationHistogram counts the active customers whose MigratedAt is set, by when: those
	// migrated before from, those in each of n buckets of width step starting at from
	// (bucket i holds from+i·step ≤ MigratedAt < from+(i+1)·step), and those at or after
	// the last bucket's end. Times compare at microsecond precision. n is from 1 to
	// MaxHistogramBuckets and step a positive whole number of microseconds, else the error
	// wraps ErrInvalidRange (CheckHistogram).
	MigrationHistogram(ctx context.Context, from time.Time, step time.Duration, n int) (MigrationHistogram, error)
	// AddLoginOutcomes adds each count to the stored count of its Hour and Outcome (zero
	// when there was none), all or none of them. Hour should be the start of a UTC hour;
	// the store keys on it exactly as given (to the microsecond).
	AddLoginOutcomes(ctx context.Context, counts []LoginOutcomeCount) error
	// LoginOutcomes returns the stored counts whose Hour is in [from, to), ordered by Hour
	// and then Outcome.
	LoginOutcomes(ctx context.Context, from, to time.Time) ([]LoginOutcomeCount, error)
	// ListBlockedByPolicy returns up to limit active customers with an account, a legacy
	// hash and PasswordChangeRequired (the pool's policy refused their password), ordered
	// by ID, starting after the ID after. A limit of zero or less lists every match.
	ListBlockedByPolicy(ctx context.Context, after string, limit int) ([]Customer, error)
}

// MaxHistogramBuckets bounds MigrationHistogram's n.
const MaxHistogramBuckets = 10000

// ErrInvalidRange: a histogram asked for no buckets, too many, or a step that is not a
// positive whole number of microseconds.
var ErrInvalidRange = errors.New("store: invalid histogram range")

// MigrationHistogram is MigrationHistogram's answer: Before+sum(Buckets)+After is every
// active customer migrated so far.
type MigrationHistogram struct {
	Before  int64
	Buckets []int64
	After   int64
}

// LoginOutcomeCount is how many sign-ins in the hour starting at Hour had Outcome.
type LoginOutcomeCount struct {
	Hour    time.Time
	Outcome string
	Count   int64
}

// CheckHistogram is the argument check every MigrationHistogram makes.
func CheckHistogram(step time.Duration, n int) error {
	if n < 1 || n > MaxHistogramBuckets || step < time.Microsecond || step%time.Microsecond != 0 {
		return ErrInvalidRange
	}
	return nil
}
