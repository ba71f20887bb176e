// Package legacyhash owns checking a password against a hash that another system stored:
// the hashes a store's customers bring with them when it adopts hashless, and that lazy
// migration verifies once, at their first sign-in, before the password moves to the pool.
//
// It verifies natively, in Go, every format the migration accepts:
//
//   - scrypt-kdf keys as Medusa v1 and v2 store them: the standard base64 of the 96-byte key
//     ("scrypt", version 0, logN, r, p, salt, a SHA-256 checksum of that header, and an
//     HMAC-SHA256 of it keyed with the second half of the derived key);
//   - bcrypt $2a$, $2b$ and $2y$ (a password longer than 72 bytes is compared on its first
//     72 bytes, as every bcrypt does, and the Result says so);
//   - argon2id and argon2i PHC strings, versions 19 and 16 (16 is also what a string
//     without a v= field means);
//   - Django's pbkdf2_sha256 and pbkdf2_sha1;
//   - Werkzeug's pbkdf2:<hash>:<iterations> and scrypt:<n>:<r>:<p> forms.
//
// Formats sit behind a Registry: Detect picks the Verifier whose syntax a stored string has,
// and Verify checks a password with it. Default builds a fresh Registry with every built-in
// format; a caller adds one with Register. There is no package-level mutable state.
//
// Three rules hold for every built-in format, and a Verifier added by a caller should keep them:
//   - A wrong password is (Result{OK: false}, nil). An error means the stored string is
//     malformed (ErrMalformed), a variant this package does not verify (ErrUnsupported), or
//     asks for more work than the Limits allow (ErrLimit). Callers treat all three as "this
//     hash cannot be checked", never as a wrong password.
//   - Digests are compared with crypto/subtle in constant time.
//   - A stored string chooses how much CPU and memory its check costs, so parameters are
//     checked against Limits before any key derivation: a hostile row in an imported
//     database cannot make one sign-in take gigabytes of memory or minutes of CPU.
//
// The package is a leaf: it imports only the standard library and golang.org/x/crypto, and
// knows nothing of customers, storage, the pool, HTTP or logging. That keeps the code that
// decides whether a stranger's password is right small enough to read whole, lets the
// importer, the sign-in path and benchmarks share it, and lets it be fuzzed on its own.
// Whoever calls it decides what to log (for example a warning when Result.Has(NoteTruncated72))
// and what to do with the password next.
package legacyhash
