package store

import "time"

// Pool is a user pool. Settings is JSON owned by the engine (package pool); backends store it
// as given.
type Pool struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Settings  []byte
	Version   int64
}

// Client is an app client of a pool. Settings is engine-owned JSON (the client secret inside
// it is already sealed by the engine).
type Client struct {
	PoolID    string
	ClientID  string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Settings  []byte
	Version   int64
}

// Attribute is one user attribute, as Cognito names it (email, custom:tier, …).
type Attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// Alias is a sign-in name other than the username that must stay unique in a pool. Kind is
// the attribute name (email, phone_number, preferred_username); Key is its normalised value.
type Alias struct {
	Kind string
	Key  string
}

// User is a pool user. UsernameKey is the username as compared (lower-cased when the pool is
// case-insensitive); Username is as it was created. State is engine-owned JSON for everything
// not searched on (lockout counters, MFA settings, verifiers, …).
type User struct {
	PoolID       string
	Username     string
	UsernameKey  string
	Sub          string
	Status       string
	Enabled      bool
	Attributes   []Attribute
	Aliases      []Alias
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	State        []byte
	Version      int64
}

// Attribute returns the value of the named attribute and whether it is set.
func (u User) Attribute(name string) (string, bool) {
	for _, a := range u.Attributes {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Filter attributes that ListUsers can search on, with the column each reads.
const (
	FilterUsername          = "username"            // UsernameKey
	FilterSub               = "sub"                 // Sub
	FilterUserStatus        = "cognito:user_status" // Status
	FilterStatus            = "status"              // "Enabled" or "Disabled"
	FilterEmail             = "email"               // attribute
	FilterPhoneNumber       = "phone_number"        // attribute
	FilterName              = "name"                // attribute
	FilterGivenName         = "given_name"          // attribute
	FilterFamilyName        = "family_name"         // attribute
	FilterPreferredUsername = "preferred_username"  // attribute
)

// FilterAttributes lists every attribute a UserFilter may name.
var FilterAttributes = []string{
	FilterUsername, FilterSub, FilterUserStatus, FilterStatus, FilterEmail, FilterPhoneNumber,
	FilterName, FilterGivenName, FilterFamilyName, FilterPreferredUsername,
}

// SearchValue is the value a filter on attr compares against for u.
func (u User) SearchValue(attr string) string {
	switch attr {
	case FilterUsername:
		return u.UsernameKey
	case FilterSub:
		return u.Sub
	case FilterUserStatus:
		return u.Status
	case FilterStatus:
		if u.Enabled {
			return "Enabled"
		}
		return "Disabled"
	default:
		v, _ := u.Attribute(attr)
		return v
	}
}

// UserFilter selects users whose SearchValue(Attribute) equals Value, or starts with it when
// Prefix is set. The zero UserFilter selects every user. Values compare byte-wise; the engine
// folds case before it builds a filter where the pool is case-insensitive.
type UserFilter struct {
	Attribute string
	Value     string
	Prefix    bool
}

// Group is a pool group. Data is engine-owned JSON (description, role, precedence).
type Group struct {
	PoolID    string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Data      []byte
	Version   int64
}

// ImportJob is a bulk user import. Data is engine-owned JSON (status, counts, URL, …).
type ImportJob struct {
	PoolID    string
	JobID     string
	CreatedAt time.Time
	Data      []byte
	Version   int64
}

// Message is one outbox entry: a message the pool would deliver.
type Message struct {
	ID       int64
	PoolID   string
	Username string
	// UserKeys are further names the user is found by in a filter (sub, aliases).
	UserKeys    []string
	Destination string
	Medium      string
	Kind        string
	Code        string
	Body        string
	Time        time.Time
	ExpiresAt   time.Time
}

// MessageFilter selects outbox messages. Empty fields select everything; User matches
// Username or any of UserKeys exactly; AfterID keeps messages with a larger ID.
type MessageFilter struct {
	PoolID      string
	User        string
	Destination string
	Kind        string
	AfterID     int64
}

// Ephemeral is a short-lived record: a code, a used challenge, a revoked token id, a lockout
// counter. It belongs to a pool (deleted with it) and disappears at ExpiresAt.
type Ephemeral struct {
	PoolID    string
	Namespace string
	Key       string
	Value     []byte
	ExpiresAt time.Time
}
