// Package storeauth is customer authentication for a store: customers and their sessions
// live in the application's database, every password lives in a Cognito user pool (AWS,
// `hashless pool`, or the pool embedded in `hashless serve`). It owns the rules between the
// two: registration, sign-in, sessions, password reset and change, profile and e-mail
// changes, and the admin actions, served as Medusa-style JSON routes (Handler) and as
// middleware for a Go app (RequireCustomer).
//
// Design choices, each against a fault of the plugin this replaces:
//
//   - The pool username is the customer's stable ID and the e-mail only an attribute, so an
//     e-mail change never strands a customer. Sign-in finds the customer by e-mail in the
//     database, never by asking the pool whether a user exists, so it works the same when
//     the pool hides user existence.
//   - Every failed sign-in is the same 401 after the same work: one Authenticate call, on a
//     decoy username when no customer matches. Throttling is keyed on the e-mail whether or
//     not it exists, and on the client IP, and never blocks longer than the pool's lockout.
//   - Registration and deletion are sagas over the row and the pool user, with a state in
//     the row (pending, active, deleting, deleted). Each step is repeatable and Reconcile
//     finishes or undoes whatever a crash left, so neither exists without the other.
//   - Sessions are opaque 256-bit tokens kept only as SHA-256; a check is one indexed read
//     (last_seen_at is written at most once a minute), so ending a session takes effect on
//     the next request on every node.
//   - How far the lazy migration has got, over time (stats.go), is kept in the database, so
//     it survives restarts and agrees across nodes: read from the rows (MigratedAt) and
//     from sign-in counts by hour and outcome (store.Reports). A sign-in only bumps a
//     counter in memory, flushed every few seconds, so it costs no extra write. Package
//     dashboard draws it.
//
// The pool sits behind the Pool interface; CognitoPool implements it over package cognito,
// so the same code runs against AWS and against hashless's own pool.
package storeauth
