package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/importer"
	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

const customersUsage = `Usage:
  hashless customers import [--format jsonl|medusa-v1-csv|medusa-v2-csv|auto] [--strict] [--db DSN] FILE
  hashless customers migration-status [--json] [--db DSN]

import reads an export of existing customers (FILE, or - for standard input) into the
database of hashless serve: progress on standard error, the result as JSON on standard
output. It exits 1 when the import stopped early (--strict and a bad row, an unreadable
record, the database), 0 otherwise, bad rows skipped and listed in the result.

migration-status shows how far the lazy migration of legacy password hashes has got
(--json: the same object as GET /admin/migration).

--db defaults to HASHLESS_DB, else ` + DefaultServeDB + `, as for hashless serve.
`

// customersProgressEvery is how many rows apart the import reports progress.
const customersProgressEvery = 5000

func customers(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, customersUsage)
		return 2
	}
	switch args[0] {
	case "import":
		return customersImport(args[1:], stdout, stderr)
	case "migration-status":
		return customersMigrationStatus(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, customersUsage)
		return 0
	}
	fmt.Fprintf(stderr, "hashless customers: unknown command %q\n\n%s", args[0], customersUsage)
	return 2
}

// parseInterspersed parses fs from args, allowing flags after the positional arguments,
// and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// dbFlag adds --db, whose default is HASHLESS_DB as for hashless serve.
func dbFlag(fs *flag.FlagSet) *string {
	def := DefaultServeDB
	if v, ok := os.LookupEnv(serveEnvPrefix + "DB"); ok && v != "" {
		def = v
	}
	return fs.String("db", def, "database of hashless serve: a SQLite file or postgres://… (env HASHLESS_DB)")
}

func openCustomerDB(ctx context.Context, dsn string, mustExist bool, stderr io.Writer) (*sqlstore.Store, error) {
	if mustExist && !isPostgresDSN(dsn) {
		path, _, _ := strings.Cut(dsn, "?")
		path = strings.TrimPrefix(path, "file:")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s (set --db or HASHLESS_DB)", path)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("opening the database (%s): %w", describeStoreDB(dsn), err)
	}
	return st, nil
}

func customersImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hashless customers import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	formatName := fs.String("format", string(importer.FormatAuto), "jsonl, medusa-v1-csv, medusa-v2-csv or auto (JSONL or CSV by the first byte, Medusa v1 or v2 by the header)")
	strict := fs.Bool("strict", false, "stop at the first bad row instead of skipping it")
	db := dbFlag(fs)
	fs.Usage = func() { fmt.Fprint(stderr, customersUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "hashless customers import: give one FILE (or - for standard input)\n\n%s", customersUsage)
		return 2
	}
	format, err := importer.ParseFormat(*formatName)
	if err != nil || format == importer.FormatCSV {
		fmt.Fprintf(stderr, "hashless customers import: --format: unknown format %q (want jsonl, medusa-v1-csv, medusa-v2-csv or auto)\n", *formatName)
		return 2
	}
	var in io.Reader = os.Stdin
	name := "standard input"
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			fmt.Fprintln(stderr, "hashless customers import:", err)
			return 1
		}
		defer f.Close()
		in, name = f, pos[0]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openCustomerDB(ctx, *db, false, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hashless customers import:", err)
		return 1
	}
	defer st.Close()
	fmt.Fprintf(stderr, "importing %s into %s\n", name, describeStoreDB(*db))
	start := time.Now()
	res, err := importer.Import(ctx, st, in, importer.Options{
		Format: format, Strict: *strict, NewID: storeauth.NewCustomerID, ProgressEvery: customersProgressEvery,
		Progress: func(p importer.Progress) {
			state := "…"
			if p.Done {
				state = fmt.Sprintf(" in %s", time.Since(start).Round(time.Millisecond))
			}
			fmt.Fprintf(stderr, "%d rows%s: %d imported, %d updated, %d skipped, %d errors\n",
				p.Rows, state, p.Imported, p.Updated, p.Skipped, p.Errors)
		},
	})
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Fprintf(stdout, "%s\n", out)
	if err != nil {
		fmt.Fprintln(stderr, "hashless customers import: stopped:", err)
		return 1
	}
	if n := int64(len(res.Errors)) + res.ErrorsOmitted; n > 0 {
		fmt.Fprintf(stderr, "%d bad rows were skipped; they are listed in the result\n", n)
	}
	return 0
}

func customersMigrationStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hashless customers migration-status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the JSON of GET /admin/migration")
	db := dbFlag(fs)
	fs.Usage = func() { fmt.Fprint(stderr, customersUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "hashless customers migration-status: unexpected argument %q\n", pos[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openCustomerDB(ctx, *db, true, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hashless customers migration-status:", err)
		return 1
	}
	defer st.Close()
	n, err := st.CountCustomers(ctx, time.Now().Add(-24*time.Hour).UTC())
	if err != nil {
		fmt.Fprintln(stderr, "hashless customers migration-status:", err)
		return 1
	}
	status := storeauth.MigrationStatus{Total: n.Total, Legacy: n.Legacy, Migrated: n.Migrated,
		BlockedByPolicy: n.BlockedByPolicy, Guests: n.Guests, MigratedLast24h: n.MigratedSince}
	if *asJSON {
		b, _ := json.Marshal(status)
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	row := func(label string, v int64, note string) {
		fmt.Fprintln(stdout, strings.TrimRight(fmt.Sprintf("%-18s %10d  %s", label, v, note), " "))
	}
	row("customers", status.Total, "active")
	row("legacy", status.Legacy, "password still a legacy hash here"+percent(status.Legacy, status.Total-status.Guests))
	row("blocked by policy", status.BlockedByPolicy, "legacy; the pool refused the password, migrates at the next change")
	row("migrated", status.Migrated, "hash erased, the pool holds the password"+percent(status.Migrated, status.Total-status.Guests))
	row("migrated in 24 h", status.MigratedLast24h, "")
	row("guests", status.Guests, "no account")
	return 0
}

func percent(n, of int64) string {
	if of == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f%% of accounts)", 100*float64(n)/float64(of))
}
