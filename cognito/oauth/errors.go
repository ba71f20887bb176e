package oauth

import (
	"errors"
	"fmt"
)

// Error is an error response of the pool, as RFC 6749 describes it: from the token endpoint
// (§5.2), from the authorization endpoint through the redirect to the callback (§4.1.2.1), or
// from the userInfo and revocation endpoints. Code is the error parameter ("invalid_grant",
// "access_denied"…) and Description its error_description, as the pool sent them: log them,
// but do not show Description to users unescaped, as it arrives in the callback's URL, which
// anyone can forge.
//
// Code is empty when the endpoint answered with a failure status but no RFC 6749 error.
type Error struct {
	Code        string
	Description string
	URI         string
	// Endpoint is the endpoint that answered: "authorize", "token", "userInfo" or "revoke".
	Endpoint string
	// StatusCode is the HTTP status of the answer; 0 for errors of the authorization
	// endpoint, which come back as a redirect.
	StatusCode int
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Description != "":
		return fmt.Sprintf("oauth: %s endpoint: %s: %s", e.Endpoint, e.Code, e.Description)
	case e.Code != "":
		return fmt.Sprintf("oauth: %s endpoint: %s", e.Endpoint, e.Code)
	default:
		return fmt.Sprintf("oauth: %s endpoint answered status %d", e.Endpoint, e.StatusCode)
	}
}

// Is matches the sentinel of e's code, so callers can write errors.Is(err,
// oauth.ErrInvalidGrant).
func (e *Error) Is(target error) bool {
	s, ok := codeSentinels[e.Code]
	return ok && s == target
}

// Sentinels for the error codes applications branch on. errors.As with *Error gives the
// code, description and endpoint.
var (
	// ErrInvalidGrant: the code or refresh token is invalid, expired, already used or
	// revoked. After a refresh, it means the user must sign in again.
	ErrInvalidGrant = errors.New("oauth: invalid grant")
	// ErrInvalidClient: the client ID or secret is wrong.
	ErrInvalidClient = errors.New("oauth: invalid client")
	// ErrAccessDenied: the user or the pool refused the sign-in at the authorization
	// endpoint.
	ErrAccessDenied = errors.New("oauth: access denied")
	// ErrInvalidToken: the userInfo endpoint refused the access token.
	ErrInvalidToken = errors.New("oauth: invalid access token")
)

var codeSentinels = map[string]error{
	"invalid_grant":  ErrInvalidGrant,
	"invalid_client": ErrInvalidClient,
	"access_denied":  ErrAccessDenied,
	"invalid_token":  ErrInvalidToken,
}

// Errors of the callback and of the checks made on the pool's answers.
var (
	// ErrNoLogin: the callback came with no login of this browser in progress: the
	// pre-login cookie is missing, expired (after CookieMaxAge) or was sealed with
	// another CookieKey. Usually a callback URL opened twice or much later; start again.
	ErrNoLogin = errors.New("oauth: no sign-in in progress in this browser")
	// ErrStateMismatch: the callback's state is not that of a login this browser
	// started: a forged or replayed callback (login CSRF), or a login started in another
	// tab that has since finished.
	ErrStateMismatch = errors.New("oauth: state does not match the sign-in in progress")
	// ErrNonceMismatch: the ID token's nonce is missing or is not the one sent in the
	// authorization request, so the token was not issued for this login.
	ErrNonceMismatch = errors.New("oauth: ID token nonce does not match")
	// ErrAccessTokenHash: the ID token's at_hash does not match the access token it came
	// with.
	ErrAccessTokenHash = errors.New("oauth: ID token at_hash does not match the access token")
	// ErrMissingCode: the callback has neither a code nor an error.
	ErrMissingCode = errors.New("oauth: callback without an authorization code")
	// ErrNoIDToken: the token endpoint answered without an ID token (the openid scope was
	// not granted).
	ErrNoIDToken = errors.New("oauth: token response without an ID token")
	// ErrIssuerMismatch: the discovery document, or the callback's iss parameter (RFC
	// 9207), names another issuer than Config.Issuer.
	ErrIssuerMismatch = errors.New("oauth: issuer does not match")
	// ErrNotSupported: the pool advertises no endpoint for this operation.
	ErrNotSupported = errors.New("oauth: endpoint not advertised by the pool")
)
