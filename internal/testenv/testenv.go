package testenv

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresEnv names the variable holding the DSN of a PostgreSQL server tests may create
// databases on, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "HASHLESS_TEST_POSTGRES_DSN"

// PostgresDSN creates an empty database for this test on the server named by
// HASHLESS_TEST_POSTGRES_DSN and returns a DSN for it. The database is dropped when the test
// ends, even if connections to it are still open.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: with CI=true the PostgreSQL tests must run, not skip", PostgresEnv)
		}
		t.Skipf("%s is not set; skipping PostgreSQL test", PostgresEnv)
	}
	name := "hl_test_" + strings.ToLower(rand.Text())
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("testenv: %s: %v", PostgresEnv, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return dsn
}

// SQLitePath returns the path of a not yet existing SQLite file in the test's temporary
// directory.
func SQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "test.db")
}

// adminExec runs one statement on its own connection to the admin DSN. CREATE DATABASE copies
// template1 and fails while another session is connected to it (SQLSTATE 55006); parallel
// packages make that a real possibility, so it is retried for a while.
func adminExec(ctx context.Context, dsn, stmt string) error {
	for attempt := 0; ; attempt++ {
		err := func() error {
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			_, err = conn.Exec(ctx, stmt)
			return err
		}()
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt == 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
}

// withDatabase returns dsn with its database replaced by name. It accepts both URL and
// keyword/value DSNs.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return "", err
	}
	// In keyword/value form a later keyword overrides an earlier one.
	return fmt.Sprintf("%s dbname=%s", dsn, name), nil
}
