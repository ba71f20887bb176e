// Package totp is the one-time-password arithmetic behind software-token MFA: the secret
// AssociateSoftwareToken hands out, the code an authenticator app shows for it, and the check
// VerifySoftwareToken and the SOFTWARE_TOKEN_MFA challenge make on the code a user types.
//
// It is RFC 6238 TOTP with the parameters every authenticator app assumes and Cognito uses:
// HMAC-SHA-1, six digits, a 30-second step counted from the Unix epoch. A secret is 32 random
// bytes written as unpadded upper-case base32 (RFC 4648), 52 characters; that is the length of
// the SecretCode Cognito returns, and it fits the API model's SecretCodeType (at least 16
// characters of [A-Za-z0-9]). The API model fixes a UserCode at exactly six characters of
// [0-9], and Verify refuses anything else before any hashing is done.
//
// Verify accepts the code of the current step and of one step either side, so a code typed
// just as it rolled over, or a phone clock up to 30 seconds off, still passes. One step behind
// is the most RFC 6238 section 5.2 recommends for delay; one step ahead is the matching
// allowance for a fast clock (section 6). Cognito does not publish its window; it is known to
// accept a code briefly after the app has moved on to the next, which one step behind covers.
//
// Verify also refuses a code whose step is at or before the last step accepted for the same
// secret, as section 5.2 requires: a code seen once, by an onlooker or in a log, cannot be
// replayed within its window. Verify returns the step it accepted and the caller stores it;
// the package keeps no state.
//
// It owns nothing else: where a secret is kept, when a user may associate or verify a token,
// how many wrong codes lock a user out and which errors Cognito names for them belong to
// package pool. It is a leaf on the standard library only, so that the arithmetic can be
// checked in isolation against the RFC vectors and an independent implementation, and so
// that tests elsewhere that need a valid code can compute one without the pool.
package totp
