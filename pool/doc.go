// Package pool is the user pool engine: every Cognito Identity Provider operation the server
// implements, as methods of Service that take the caller and a typed input shaped like the
// AWS API's, and return a typed output or an *Error named as Cognito names it.
//
// It owns the rules (validation, defaults, aliases, password policy, status transitions,
// messages) and nothing about transport or persistence: requests arrive from package wire,
// records live behind store.Store. Slow work (password hashing) happens before a store
// transaction opens, because transactions may be retried and should be short. Messages the
// pool would send are written to the outbox in the same transaction as the change that
// caused them, so a rolled-back change sends nothing.
package pool
