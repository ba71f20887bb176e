// Package tokens owns the pool's signing keys and the JSON Web Tokens made with them: RS256
// keys (one set for ID tokens, one for access tokens, as Cognito keeps them apart), signing,
// the checks the pool itself makes on tokens it issued, the JWKS document and the OpenID
// discovery document.
//
// It knows nothing of users or pools: the engine decides the claims, and where keys are kept.
// A key has a signing window and a publishing window, so that rotation can publish a new
// key before it signs anything and keep an old one published until its last token expires.
package tokens
