// Package console is the pool's operator console: server-rendered HTML pages under
// /_local/console/ for the pools of one Service, their clients and settings (password policy,
// auth flows, token validity, MFA), their users (searchable by username, e-mail or phone
// number prefix, paged by cursor), one user's attributes, groups, MFA, devices and status,
// the actions an operator takes on a user (enable, disable, reset password, sign out
// everywhere, delete), the messages outbox (live with JavaScript, refreshable without), and
// each pool's JWKS and discovery document with a decoder that verifies a pasted token.
//
// It owns access to the console, the pages and the console's sessions; every rule about
// pools, users and tokens is package pool's. A page is the same Service operations the API
// offers, called in-process: listing users is one ListUsers call, so a page of users is one
// indexed range query however many users the pool holds, and search is the API's own
// Filter (`email ^= "…"`).
//
// Access: in development mode (no credentials configured) the console is open to callers on
// loopback. Anywhere else it is off unless enabled (Config.Enabled, `hashless pool
// --console`), and then a sign-in form takes an access key and secret of the pool's
// credentials (compared in constant time) and sets an HttpOnly, SameSite=Strict cookie
// holding a random session token; sessions live in this process's memory, stored by the
// token's SHA-256, and expire. Every page carries a strict Content-Security-Policy (scripts,
// styles and fetches from the console itself only), every POST form a CSRF token (a random
// per-browser cookie echoed in the form and compared in constant time) on top of net/http's
// cross-origin protection, and every action is a POST behind a confirmation page, so
// everything works with JavaScript off.
//
// Nothing here shows a password, a password hash, an SRP verifier, a TOTP secret, a client
// secret or a refresh token: pages render the API's outputs (AdminGetUser, never the
// engine's stored state), the token decoder never echoes the token it was given, and an
// invitation's temporary password in the outbox is left to GET /_local/messages.
package console
