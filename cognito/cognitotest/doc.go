// Package cognitotest starts a throwaway Cognito-compatible pool (a `hashless pool` server
// in memory, on a loopback port) with one user pool and app client, for tests, examples and
// local demos of code written against package cognito. It also reads the codes the pool
// would have e-mailed, so sign-up and password-reset flows can run end to end.
//
// It owns nothing durable: a Pool's data lives until Close. It needs no *testing.T, so
// Example functions and programs can use it too.
package cognitotest
