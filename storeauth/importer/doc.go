// Package importer reads exports of existing customers and upserts them into a
// store.Customers, so a store that adopts hashless keeps its customers, with their legacy
// password hashes for the lazy migration (see storeauth).
//
// # Formats
//
//   - FormatJSONL: one JSON object per line with the fields of POST /store/customers
//     (email, first_name, last_name, phone, metadata) minus password, plus optional id,
//     created_at (RFC 3339) and password_hash. A password is refused: only hashes are
//     imported. Unknown fields are refused, so a misspelt password_hash is an error rather
//     than a customer silently imported as a guest.
//   - FormatMedusaV1: CSV with a header row of the columns of Medusa v1's customer table
//     (id, email, first_name, last_name, billing_address_id, password_hash, phone,
//     has_account, created_at, updated_at, deleted_at, metadata), in any order; columns it
//     does not use are ignored. Rows with deleted_at set are skipped.
//   - FormatMedusaV2: CSV with a header row of Medusa v2's customer columns (id, email,
//     first_name, last_name, phone, metadata, has_account, created_at) joined to the
//     provider_identity columns entity_id, provider and provider_metadata. Only provider =
//     emailpass carries a hash, in provider_metadata.password; a customer row without an
//     identity is a guest, and rows of other providers are skipped.
//   - FormatAuto: JSONL when the first non-blank byte is '{', otherwise CSV whose header
//     tells v1 (password_hash) from v2 (provider, provider_metadata, entity_id).
//     FormatCSV is the same for CSV only.
//
// Input is UTF-8, with or without a byte order mark, with LF or CRLF line ends; CSV fields
// may be quoted and hold commas, quotes and line breaks. Timestamps are RFC 3339 or
// PostgreSQL's text form ("2023-05-01 12:34:56.789+00"); without a zone they are UTC.
//
// # Records
//
// Every row is checked as the API checks a registration (e-mail, name, phone and metadata
// limits). A hash is trimmed and its format recognised with legacyhash (Registry.Detect);
// an unknown format is a row error. A customer with a hash is imported with an account
// (HasAccount, the hash kept for the lazy migration); one without a hash and without an
// account is a guest (no account, no hash, no pool user); a v1 row claiming an account
// without a hash is a row error.
//
// Rows are keyed on id when it is a safe identifier (ASCII letters, digits, _ and -, at
// most 64), else on the lower-cased e-mail, and a row without a usable id gets a new
// customer ID. An existing customer is updated with a compare-and-swap:
//
//   - non-empty profile fields of the row replace the stored ones (an empty field leaves
//     the stored value; created_at of an existing customer is kept);
//   - a hash is never put back on a customer who has an account but no hash: the pool holds
//     that customer's password (migrated, or registered through the pool);
//   - a guest given a hash becomes a customer with an account; a legacy hash that differs
//     replaces the stored one (the old system's password changed since the last export);
//   - nothing removes a hash or an account;
//   - the e-mail of a customer with an account is never changed by an import (the pool's
//     copy would be left behind); a different e-mail on such a row is a row error;
//   - a guest row found by its e-mail, or whose id is new but whose e-mail another
//     customer holds, never changes a customer with an account: Medusa keeps a guest and an
//     account with one e-mail apart, here one e-mail is one customer, and the account wins.
//     An account row whose e-mail is held by a guest under another id replaces that guest
//     (the guest row is removed; guests have no pool user and no sessions);
//   - once a row has created, updated or matched a customer, a later row of the same input
//     naming that customer is skipped when it says the same, and a row error when it does
//     not (the first one is kept).
//
// A row that changes nothing counts as skipped, so re-running an import is idempotent.
// Customers deleted or being deleted here are not brought back (skipped); one being
// registered at that moment is a row error.
//
// # Errors and progress
//
// A bad row is reported as "line N: reason" (N is the row's first line in the input) and
// skipped; with Options.Strict the first one stops the import. An import is not one
// transaction: rows before a stop stay imported, and running it again is safe. A CSV
// record longer than the limit stops the import (its end cannot be found); a JSONL line
// longer than the limit is a row error. Options.Progress is called every
// Options.ProgressEvery rows and once at the end.
package importer
