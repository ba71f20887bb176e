// Package srp is the SRP-6a arithmetic of Cognito's USER_SRP_AUTH and DEVICE_SRP_AUTH, both
// sides: the server half for the pool and the client half for the cognito package and the
// tests, which prove each side against the other and against a known-answer vector made with
// the official JavaScript client.
//
// It owns only the numbers and the byte encodings Cognito's clients use: the RFC 5054
// 3072-bit group with g = 2, k = H(pad(N) ‖ pad(g)), x, u, the "Caldera Derived Key" HKDF,
// the PASSWORD_CLAIM_SIGNATURE and the TIMESTAMP format. Who the user is, where the verifier
// lives and how the server's state travels between the two requests belong to the pool.
//
// The one encoding rule is Pad: a value is hashed as Java's BigInteger.toByteArray() writes
// it, minimal big-endian plus a 0x00 when the high bit is set. So A, B, S, u and the salt are
// variable-length inside every hash; padding them to the group's width, or dropping the
// 0x00, breaks about one sign-in in 256 or one salt in two. Every function here hashes
// through Pad, never through a value's raw bytes.
//
// Secrets are compared with crypto/hmac.Equal. The exponent b is 128 random bytes, as the
// client's a is; math/big is not constant-time, which matters less than it seems because
// each b is used once, and the verifier is a password equivalent at SHA-256 cost anyway
// (see README: the pool keeps it sealed at rest).
package srp
