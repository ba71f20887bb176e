package sqlstore

// migrations are applied in order by sqldb.Open, each once, each in its own transaction, and
// recorded in {P}migrations; version N is migrations[N-1]. Never edit an applied migration:
// append a new one. Statements are written for both engines with the placeholders that
// Store.q expands:
//
//	{P}       the table namespace: "schema". on PostgreSQL, pool_ on SQLite
//	{TEXT}    text compared byte-wise (COLLATE "C" on PostgreSQL)
//	{BLOB}    bytes
//	{SERIAL}  an integer primary key that only grows, never reusing a deleted value
var migrations = [][]string{schemaV1, schemaV2}

// schemaV2: sign-in calls name a client without its pool.
var schemaV2 = []string{
	`CREATE UNIQUE INDEX pool_clients_by_id ON {P}clients (client_id)`,
}

var schemaV1 = []string{
	`CREATE TABLE {P}pools (
			id {TEXT} NOT NULL PRIMARY KEY,
			name {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			settings {BLOB},
			version BIGINT NOT NULL
		)`,
	`CREATE TABLE {P}clients (
			pool_id {TEXT} NOT NULL REFERENCES {P}pools (id) ON DELETE CASCADE,
			client_id {TEXT} NOT NULL,
			name {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			settings {BLOB},
			version BIGINT NOT NULL,
			PRIMARY KEY (pool_id, client_id)
		)`,
	// Every column ListUsers filters on holds User.SearchValue of its attribute ('' when
	// the attribute is unset), so a filter is a plain comparison on an indexed column.
	`CREATE TABLE {P}users (
			pool_id {TEXT} NOT NULL REFERENCES {P}pools (id) ON DELETE CASCADE,
			username_key {TEXT} NOT NULL,
			username {TEXT} NOT NULL,
			sub {TEXT} NOT NULL,
			status {TEXT} NOT NULL,
			enabled {TEXT} NOT NULL,
			email {TEXT} NOT NULL,
			phone_number {TEXT} NOT NULL,
			name {TEXT} NOT NULL,
			given_name {TEXT} NOT NULL,
			family_name {TEXT} NOT NULL,
			preferred_username {TEXT} NOT NULL,
			attributes {TEXT} NOT NULL,
			aliases {TEXT} NOT NULL,
			password_hash {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			state {BLOB},
			version BIGINT NOT NULL,
			PRIMARY KEY (pool_id, username_key)
		)`,
	`CREATE UNIQUE INDEX pool_users_sub ON {P}users (pool_id, sub)`,
	`CREATE INDEX pool_users_status ON {P}users (pool_id, status, username_key)`,
	`CREATE INDEX pool_users_enabled ON {P}users (pool_id, enabled, username_key)`,
	`CREATE INDEX pool_users_email ON {P}users (pool_id, email, username_key)`,
	`CREATE INDEX pool_users_phone_number ON {P}users (pool_id, phone_number, username_key)`,
	`CREATE INDEX pool_users_name ON {P}users (pool_id, name, username_key)`,
	`CREATE INDEX pool_users_given_name ON {P}users (pool_id, given_name, username_key)`,
	`CREATE INDEX pool_users_family_name ON {P}users (pool_id, family_name, username_key)`,
	`CREATE INDEX pool_users_preferred_username ON {P}users (pool_id, preferred_username, username_key)`,
	`CREATE TABLE {P}aliases (
			pool_id {TEXT} NOT NULL,
			kind {TEXT} NOT NULL,
			alias_key {TEXT} NOT NULL,
			username_key {TEXT} NOT NULL,
			PRIMARY KEY (pool_id, kind, alias_key),
			FOREIGN KEY (pool_id, username_key) REFERENCES {P}users (pool_id, username_key) ON DELETE CASCADE
		)`,
	`CREATE INDEX pool_aliases_user ON {P}aliases (pool_id, username_key)`,
	`CREATE TABLE {P}groups (
			pool_id {TEXT} NOT NULL REFERENCES {P}pools (id) ON DELETE CASCADE,
			name {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			data {BLOB},
			version BIGINT NOT NULL,
			PRIMARY KEY (pool_id, name)
		)`,
	`CREATE TABLE {P}memberships (
			pool_id {TEXT} NOT NULL,
			group_name {TEXT} NOT NULL,
			username_key {TEXT} NOT NULL,
			PRIMARY KEY (pool_id, group_name, username_key),
			FOREIGN KEY (pool_id, group_name) REFERENCES {P}groups (pool_id, name) ON DELETE CASCADE,
			FOREIGN KEY (pool_id, username_key) REFERENCES {P}users (pool_id, username_key) ON DELETE CASCADE
		)`,
	`CREATE INDEX pool_memberships_user ON {P}memberships (pool_id, username_key, group_name)`,
	`CREATE TABLE {P}import_jobs (
			pool_id {TEXT} NOT NULL REFERENCES {P}pools (id) ON DELETE CASCADE,
			job_id {TEXT} NOT NULL,
			created_at BIGINT NOT NULL,
			data {BLOB},
			version BIGINT NOT NULL,
			PRIMARY KEY (pool_id, job_id)
		)`,
	`CREATE INDEX pool_import_jobs_created ON {P}import_jobs (pool_id, created_at, job_id)`,
	`CREATE TABLE {P}import_csv (
			pool_id {TEXT} NOT NULL,
			job_id {TEXT} NOT NULL,
			body {BLOB},
			PRIMARY KEY (pool_id, job_id),
			FOREIGN KEY (pool_id, job_id) REFERENCES {P}import_jobs (pool_id, job_id) ON DELETE CASCADE
		)`,
	// Messages have no foreign key to pools: the outbox is a log, and DeletePool clears it
	// explicitly.
	`CREATE TABLE {P}messages (
			id {SERIAL},
			pool_id {TEXT} NOT NULL,
			username {TEXT} NOT NULL,
			user_keys {TEXT} NOT NULL,
			destination {TEXT} NOT NULL,
			medium {TEXT} NOT NULL,
			kind {TEXT} NOT NULL,
			code {TEXT} NOT NULL,
			body {TEXT} NOT NULL,
			sent_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL
		)`,
	`CREATE INDEX pool_messages_pool ON {P}messages (pool_id, id)`,
	`CREATE INDEX pool_messages_expires ON {P}messages (expires_at)`,
	// message_keys indexes each message under its username and every other name the user is
	// found by, so a filter on the user is one index lookup.
	`CREATE TABLE {P}message_keys (
			user_key {TEXT} NOT NULL,
			message_id BIGINT NOT NULL REFERENCES {P}messages (id) ON DELETE CASCADE,
			PRIMARY KEY (user_key, message_id)
		)`,
	`CREATE INDEX pool_message_keys_message ON {P}message_keys (message_id)`,
	// Namespaces and keys are the engine's opaque strings, which may hold any byte
	// (PostgreSQL text refuses NUL and invalid UTF-8), so they are stored as bytes.
	`CREATE TABLE {P}ephemeral (
			namespace {BLOB} NOT NULL,
			item_key {BLOB} NOT NULL,
			pool_id {TEXT} NOT NULL,
			value {BLOB},
			expires_at BIGINT NOT NULL,
			PRIMARY KEY (namespace, item_key)
		)`,
	`CREATE INDEX pool_ephemeral_expires ON {P}ephemeral (expires_at)`,
	`CREATE INDEX pool_ephemeral_pool ON {P}ephemeral (pool_id)`,
}
