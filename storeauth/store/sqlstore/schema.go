package sqlstore

// migrations are applied in order by sqldb.Open, each once, each in its own transaction, and
// recorded in {P}schema_migrations; version N is migrations[N-1]. Never edit an applied
// migration: append a new one. Statements are written for both engines with the placeholders
// that Store.q expands:
//
//	{P}     the table namespace: "schema". on PostgreSQL, store_ on SQLite
//	{TEXT}  text compared byte-wise (COLLATE "C" on PostgreSQL), as Go compares strings
//	{BLOB}  bytes
//
// Index names carry the store_ prefix on both engines: SQLite keeps them in one namespace
// with the pool's.
var migrations = [][]string{schemaV1, schemaV2, schemaV3}

var schemaV1 = []string{
	// email_key is the e-mail lower-cased and trimmed, computed in Go: the SQL lower() of the
	// two engines would disagree outside ASCII. BOOLEAN columns are integers on SQLite.
	`CREATE TABLE {P}customers (
			id {TEXT} NOT NULL PRIMARY KEY,
			email {TEXT} NOT NULL,
			email_key {TEXT} NOT NULL,
			first_name {TEXT} NOT NULL,
			last_name {TEXT} NOT NULL,
			phone {TEXT} NOT NULL,
			metadata {TEXT},
			has_account BOOLEAN NOT NULL,
			password_hash {TEXT} NOT NULL,
			state {TEXT} NOT NULL,
			disabled BOOLEAN NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			deleted_at BIGINT,
			version BIGINT NOT NULL
		)`,
	// Deleted rows give their e-mail back; every other state holds it. Queries repeat the
	// predicate word for word, which is what lets SQLite use a partial index.
	`CREATE UNIQUE INDEX store_customers_email_key ON {P}customers (email_key) WHERE state <> 'deleted'`,
	// Listings filter on a state and page by ID; the reconciler adds an updated_at bound.
	`CREATE INDEX store_customers_state ON {P}customers (state, id)`,
	`CREATE TABLE {P}sessions (
			id {TEXT} NOT NULL PRIMARY KEY,
			token_hash {BLOB} NOT NULL,
			customer_id {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			last_seen_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			user_agent {TEXT} NOT NULL,
			ip {TEXT} NOT NULL,
			kind {TEXT} NOT NULL
		)`,
	// Every authenticated request looks its session up by token hash.
	`CREATE UNIQUE INDEX store_sessions_token_hash ON {P}sessions (token_hash)`,
	// A customer's sessions in the order ListSessions returns them, read backwards.
	`CREATE INDEX store_sessions_customer ON {P}sessions (customer_id, created_at, id)`,
	// The cleanup deletes by either bound; one index each lets both engines combine them.
	`CREATE INDEX store_sessions_expires ON {P}sessions (expires_at)`,
	`CREATE INDEX store_sessions_last_seen ON {P}sessions (last_seen_at)`,
	`CREATE TABLE {P}settings (
			name {TEXT} NOT NULL PRIMARY KEY,
			value {TEXT} NOT NULL
		)`,
}

// schemaV2 adds what the lazy migration of legacy password hashes keeps per customer. The
// defaults leave existing rows as they were: no password change wanted, never migrated, no
// lease. Times are BIGINT microseconds like the others, NULL for none, as deleted_at. A
// constant default makes ADD COLUMN a catalog change on PostgreSQL, not a rewrite.
var schemaV2 = []string{
	`ALTER TABLE {P}customers ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT FALSE`,
	`ALTER TABLE {P}customers ADD COLUMN migrated_at BIGINT`,
	`ALTER TABLE {P}customers ADD COLUMN credential_lease_until BIGINT`,
	// Finding the customers still to migrate (ListCustomers with Legacy), page by page. Only
	// legacy rows are in it, so it shrinks as the migration goes on; queries repeat the
	// predicate word for word (see legacyHash).
	`CREATE INDEX store_customers_legacy ON {P}customers (state, id) WHERE password_hash <> ''`,
}

// schemaV3 is what the migration dashboard reads (store.Reports): an index for counting
// migrations by time, one for listing the customers the pool's policy blocks, and the
// sign-ins of each hour by outcome. The predicates are repeated word for word in queries
// (see migratedAt and blockedByPolicy).
var schemaV3 = []string{
	`CREATE INDEX store_customers_migrated ON {P}customers (state, migrated_at) WHERE migrated_at IS NOT NULL`,
	`CREATE INDEX store_customers_blocked ON {P}customers (state, id) WHERE password_hash <> '' AND password_change_required`,
	// One row per hour and outcome that had any sign-in: a few rows an hour, tens of
	// thousands a year. hour_start is the hour's first microsecond.
	`CREATE TABLE {P}login_outcomes (
			hour_start BIGINT NOT NULL,
			outcome {TEXT} NOT NULL,
			n BIGINT NOT NULL,
			PRIMARY KEY (hour_start, outcome)
		)`,
}
