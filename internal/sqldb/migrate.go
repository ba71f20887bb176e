package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// migrate applies the migrations the database lacks. On PostgreSQL every transaction first
// takes the store's advisory lock, so nodes starting together apply each migration once and
// the rest find it done; on SQLite BEGIN IMMEDIATE serializes them the same way.
func (db *DB) migrate(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lockKey := db.LockKey("migrate")
	table := "{P}" + cfg.MigrationsTable
	err := db.migrationTx(ctx, lockKey, func(tx *sql.Tx) error {
		if db.postgres {
			// Inside the lock: two concurrent CREATE SCHEMA IF NOT EXISTS can both fail the
			// catalog's unique check.
			if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS "`+db.schema+`"`); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.Expand(`CREATE TABLE IF NOT EXISTS `+table+` (
			version BIGINT NOT NULL PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`))
		return err
	})
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	known := len(cfg.Migrations)
	for i, stmts := range cfg.Migrations {
		version := i + 1
		err := db.migrationTx(ctx, lockKey, func(tx *sql.Tx) error {
			var applied int
			if err := tx.QueryRowContext(ctx, db.Expand(`SELECT COALESCE(MAX(version), 0) FROM `+table)).Scan(&applied); err != nil {
				return err
			}
			if applied > known {
				return fmt.Errorf("database schema version %d is newer than this program knows (%d)", applied, known)
			}
			if applied >= version {
				return nil
			}
			for _, stmt := range stmts {
				if _, err := tx.ExecContext(ctx, db.Expand(stmt)); err != nil {
					return fmt.Errorf("%w\n%s", err, db.Expand(stmt))
				}
			}
			_, err := tx.ExecContext(ctx, db.Expand(`INSERT INTO `+table+` (version, applied_at) VALUES ($1, $2)`),
				version, cfg.AppliedAt(time.Now()))
			if err == nil {
				log.InfoContext(ctx, "sqlstore: applied migration", "version", version)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", version, err)
		}
	}
	return nil
}

func (db *DB) migrationTx(ctx context.Context, lockKey int64, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
