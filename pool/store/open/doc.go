// Package open picks the pool's storage backend from a --db value: "memory" for package
// memory, anything else for package sqlstore (a SQLite path or a postgres:// URL). It exists so
// that the memory backend does not depend on the SQL drivers and sqlstore does not depend on
// the memory backend.
package open
