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
//
// A pool's LambdaConfig names HTTP webhooks rather than Lambda functions (package triggers
// calls them): user migration, pre sign-up, post confirmation, pre and post authentication,
// pre token generation, custom messages and custom authentication fire where Cognito fires
// them, before the store transaction they inform (post confirmation after the one it
// reports), and a webhook that refuses or fails fails the operation with the exception
// Cognito answers (lambda.go, migrate.go).
package pool
