// Package verify checks Cognito ID and access tokens offline, as an API or web app does
// with every request, against the keys the pool publishes at
// <issuer>/.well-known/jwks.json.
//
// It owns the key cache (fetched on first use, refetched on an unknown key ID at most once
// per RefreshInterval, refreshed in the background when old) and the checks a Cognito
// token needs beyond its signature: RS256 only, exp required, nbf and iat sane, iss exact,
// token_use, and the app client (aud for ID tokens, client_id for access tokens, which
// have no aud). Middleware puts the claims of a verified access token in the request's
// context.
//
// It does not learn about sign-outs: a verified token stays valid until it expires, as
// with any offline verifier. Ask the pool (cognito.Client.Profile) where revocation must
// be seen at once.
package verify
