// Package kdf owns how user passwords are stored: the configured key-derivation function,
// the self-describing strings hashes are kept as, and checking a password against one.
//
// Hashes are PHC strings that carry their own algorithm, parameters and salt, so Verify needs
// no configuration: changing the configured KDF leaves every stored hash usable, and
// NeedsRehash tells the caller when to upgrade one after a successful sign-in. Because a
// stored string chooses how much work Verify does, decoding refuses parameters beyond fixed
// bounds, so a tampered or imported row cannot make one check take gigabytes of memory.
//
// Two algorithms are supported, both with OWASP's recommended minimums as defaults:
// argon2id (m=19456 KiB, t=2, p=1) and PBKDF2-HMAC-SHA256 (600000 iterations), the latter for
// deployments that must stay within FIPS-approved primitives.
package kdf
