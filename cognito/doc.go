// Package cognito is a typed client for one Cognito user pool and app client: sign-up and
// confirmation, password sign-in with its challenges, refresh and sign-out, the user's own
// profile and password, and the admin operations an application backend needs (users,
// passwords, attributes, groups, listing). It works against AWS Cognito and against any
// Cognito-compatible server, such as `hashless pool`, through Config.Endpoint.
//
// It owns what the raw SDK leaves to every caller: SECRET_HASH for app clients with a
// secret, turning Cognito's answers into Tokens or a Challenge, refusing bad input before
// it is sent, mapping exceptions to *Error and sentinels for errors.Is, and a retry policy
// that never repeats a request the pool may have acted on.
//
// It does not verify tokens (see the verify subpackage, which needs no AWS access), and
// it does not manage pools or app clients; SDK gives the raw client for that.
package cognito
