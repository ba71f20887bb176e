// Package hosted is the HTTP half of a pool's hosted UI and OAuth 2.0 / OpenID Connect
// endpoints, all under the pool's issuer path (/{pool}/…): /oauth2/authorize, /oauth2/token,
// /oauth2/userInfo, /oauth2/revoke, /logout, and the server-rendered pages /login, /signup,
// /confirm, /forgotPassword, /confirmForgotPassword and /challenge (new password, MFA codes,
// MFA choice and TOTP setup).
//
// It owns the protocol's shapes (RFC 6749 errors, redirects with code or fragment, exact
// redirect-URI matching so no near-miss becomes an open redirect), the pages (plain HTML
// forms that work with JavaScript off, every input labelled), the hosted-UI session cookie
// and CSRF protection. Every rule about users, challenges, codes and tokens is package
// pool's: a page step is one call to the Service, so the hosted UI and the API cannot
// disagree about a password, a challenge or a lockout.
//
// The authorization parameters travel from page to page in hidden fields and are checked
// again, in full, before any code or token leaves: a tampered field can only fail. CSRF uses
// a per-browser random cookie echoed in every form (compared in constant time) on top of
// net/http's cross-origin protection; the session cookie is HttpOnly, SameSite=Lax, scoped
// to the pool's path, and Secure when the public URL is https.
package hosted
