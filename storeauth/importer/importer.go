package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"github.com/hashless/hashless/legacyhash"
	"github.com/hashless/hashless/storeauth/store"
)

// Defaults of Options.
const (
	DefaultProgressEvery  = 1000
	DefaultMaxRecordBytes = 1 << 20
	DefaultMaxErrors      = 1000
)

// Options say how to import.
type Options struct {
	// Format of the input; "" means FormatAuto.
	Format Format
	// Strict stops the import at the first bad row.
	Strict bool
	// Progress, when set, is called every ProgressEvery rows and once at the end (Done).
	Progress func(Progress)
	// ProgressEvery is how many rows apart Progress is called; 0 means
	// DefaultProgressEvery.
	ProgressEvery int
	// NewID returns a new customer ID, for rows without a usable one. Required.
	NewID func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Legacy recognises hash formats; nil means legacyhash.Default().
	Legacy *legacyhash.Registry
	// MaxRecordBytes bounds one line (JSONL) or record (CSV); 0 means
	// DefaultMaxRecordBytes.
	MaxRecordBytes int
	// MaxErrors bounds the row errors listed in the Result (the rest are counted in
	// ErrorsOmitted); 0 means DefaultMaxErrors.
	MaxErrors int
}

// Progress is how far an import has got.
type Progress struct {
	// Rows read so far, bad ones included.
	Rows     int64 `json:"rows"`
	Imported int64 `json:"imported"`
	Updated  int64 `json:"updated"`
	Skipped  int64 `json:"skipped"`
	Errors   int64 `json:"errors"`
	// Done is set on the last call.
	Done bool `json:"done,omitempty"`
}

// LineError is a bad row: its first line in the input and what is wrong with it.
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// Result is what an import did.
type Result struct {
	// Format is the format read (what FormatAuto detected).
	Format Format `json:"format"`
	// Rows read, bad ones included.
	Rows int64 `json:"rows"`
	// Imported: new customers.
	Imported int64 `json:"imported"`
	// Updated: existing customers that changed.
	Updated int64 `json:"updated"`
	// Skipped: rows that changed nothing (already imported, deleted in the export or here,
	// another provider's identity, a guest row for an e-mail that has an account).
	Skipped int64 `json:"skipped"`
	// Errors are the bad rows, in input order (at most Options.MaxErrors).
	Errors []LineError `json:"errors"`
	// ErrorsOmitted counts bad rows beyond Options.MaxErrors.
	ErrorsOmitted int64 `json:"errors_omitted,omitempty"`
	// Stopped, when set, says why the import stopped before the end of the input.
	Stopped string `json:"stopped,omitempty"`
}

func (r *Result) progress(done bool) Progress {
	return Progress{Rows: r.Rows, Imported: r.Imported, Updated: r.Updated, Skipped: r.Skipped,
		Errors: int64(len(r.Errors)) + r.ErrorsOmitted, Done: done}
}

type outcome int

const (
	imported outcome = iota + 1
	updated
	skipped
)

// errRetry: the row changed under the import; read it again.
var errRetry = errors.New("retry")

type importer struct {
	dst    store.Customers
	opts   Options
	legacy *legacyhash.Registry
	// seen holds, for every customer a row of this import created, updated or found
	// unchanged, that row's line and fingerprint, so a later row naming the same customer
	// cannot undo it (and a re-run cannot flip between the two).
	seen map[uint64]seenRow
}

type seenRow struct {
	line int
	fp   uint64
}

func idKey(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// fingerprint is what a row says about its customer.
func (r row) fingerprint() uint64 {
	h := fnv.New64a()
	for _, v := range []string{normalizeEmail(r.email), r.firstName, r.lastName, r.phone, string(r.metadata), r.hash} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func (im *importer) remember(id string, r row) {
	im.seen[idKey(id)] = seenRow{line: r.line, fp: r.fingerprint()}
}

// Import reads customers from r and upserts them into dst (see the package documentation
// for the rules). It returns an error, with the Result so far (whose Stopped says the same),
// when the import stops early: the first bad row under Options.Strict, unreadable input, a
// database failure, or ctx ending.
func Import(ctx context.Context, dst store.Customers, r io.Reader, opts Options) (Result, error) {
	res := Result{Format: opts.Format, Errors: []LineError{}}
	if opts.NewID == nil {
		return res, errors.New("importer: Options.NewID is required")
	}
	if opts.Format == "" {
		opts.Format = FormatAuto
	}
	if _, err := ParseFormat(string(opts.Format)); err != nil {
		return res, fmt.Errorf("importer: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Legacy == nil {
		opts.Legacy = legacyhash.Default()
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = DefaultProgressEvery
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = DefaultMaxErrors
	}
	im := &importer{dst: dst, opts: opts, legacy: opts.Legacy, seen: map[uint64]seenRow{}}
	stop := func(err error) (Result, error) {
		res.Stopped = err.Error()
		if opts.Progress != nil {
			opts.Progress(res.progress(true))
		}
		return res, err
	}
	rd, err := newReader(r, opts.Format, opts.MaxRecordBytes)
	if err != nil {
		return stop(err)
	}
	res.Format = rd.format()
	for {
		if err := ctx.Err(); err != nil {
			return stop(err)
		}
		rw, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var se stopError
		if errors.As(err, &se) {
			res.Rows++
			im.noteError(&res, *se.LineError)
			return stop(se.LineError)
		}
		var le *LineError
		if err == nil {
			var o outcome
			o, err = im.apply(ctx, rw)
			if err == nil {
				res.Rows++
				switch o {
				case imported:
					res.Imported++
				case updated:
					res.Updated++
				default:
					res.Skipped++
				}
			}
		}
		if errors.As(err, &le) {
			res.Rows++
			im.noteError(&res, *le)
			if opts.Strict {
				return stop(fmt.Errorf("%w (strict mode stops at the first bad row)", le))
			}
		} else if err != nil {
			return stop(err)
		}
		if opts.Progress != nil && res.Rows%int64(opts.ProgressEvery) == 0 {
			opts.Progress(res.progress(false))
		}
	}
	if opts.Progress != nil {
		opts.Progress(res.progress(true))
	}
	return res, nil
}

func (im *importer) noteError(res *Result, le LineError) {
	if len(res.Errors) < im.opts.MaxErrors {
		res.Errors = append(res.Errors, le)
	} else {
		res.ErrorsOmitted++
	}
}

func (im *importer) now() time.Time { return im.opts.Now().UTC().Truncate(time.Microsecond) }

func (im *importer) lineErr(r row, format string, a ...any) *LineError {
	return &LineError{Line: r.line, Message: fmt.Sprintf(format, a...)}
}

// DatabaseError stops an import: the database failed at a row, and every later row would
// fail too.
type DatabaseError struct {
	Line int
	Err  error
}

func (e *DatabaseError) Error() string { return fmt.Sprintf("line %d: database: %v", e.Line, e.Err) }
func (e *DatabaseError) Unwrap() error { return e.Err }

func dbErr(r row, err error) error { return &DatabaseError{Line: r.line, Err: err} }

func (im *importer) apply(ctx context.Context, r row) (outcome, error) {
	if r.skip != "" {
		return skipped, nil
	}
	if le := im.check(&r); le != nil {
		return 0, le
	}
	for range 8 {
		o, err := im.applyOnce(ctx, r)
		if errors.Is(err, errRetry) {
			continue
		}
		return o, err
	}
	return 0, im.lineErr(r, "the customer kept changing during the import; run it again")
}

// applyOnce finds the row's customer (by ID, else by e-mail) and creates or updates it.
func (im *importer) applyOnce(ctx context.Context, r row) (outcome, error) {
	byID := r.id != ""
	var cur store.Customer
	var err error
	if byID {
		cur, err = im.dst.GetCustomer(ctx, r.id)
	} else {
		cur, err = im.dst.CustomerByEmail(ctx, r.email)
	}
	switch {
	case err == nil:
		return im.update(ctx, r, cur, byID)
	case !errors.Is(err, store.ErrNotFound):
		return 0, dbErr(r, err)
	}
	return im.create(ctx, r, byID)
}

func (im *importer) create(ctx context.Context, r row, byID bool) (outcome, error) {
	now := im.now()
	c := store.Customer{ID: r.id, Email: r.email, FirstName: r.firstName, LastName: r.lastName, Phone: r.phone,
		Metadata: r.metadata, HasAccount: r.hash != "", PasswordHash: r.hash, State: store.StateActive,
		CreatedAt: r.createdAt, UpdatedAt: now}
	if c.ID == "" {
		c.ID = im.opts.NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	err := im.dst.CreateCustomer(ctx, c)
	switch {
	case err == nil:
		im.remember(c.ID, r)
		return imported, nil
	case errors.Is(err, store.ErrDuplicateID):
		// Created meanwhile (or a generated ID collided): look again.
		return 0, errRetry
	case !errors.Is(err, store.ErrDuplicateEmail):
		return 0, dbErr(r, err)
	case !byID:
		// Keyed on the e-mail, which someone took meanwhile: look again.
		return 0, errRetry
	}
	holder, err := im.dst.CustomerByEmail(ctx, r.email)
	if errors.Is(err, store.ErrNotFound) {
		return 0, errRetry
	}
	if err != nil {
		return 0, dbErr(r, err)
	}
	return im.emailTaken(ctx, r, holder)
}

// emailTaken settles a row whose e-mail another customer (another ID) holds.
func (im *importer) emailTaken(ctx context.Context, r row, holder store.Customer) (outcome, error) {
	if r.hash == "" {
		// A guest row adds nothing to a customer who holds its e-mail.
		return skipped, nil
	}
	if holder.State == store.StateActive && !holder.HasAccount && holder.PasswordHash == "" {
		// The account wins over a guest with its e-mail: the guest row goes, the account
		// is created with its own ID.
		err := im.dst.DeleteCustomer(ctx, holder.ID, holder.Version)
		if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
			return 0, dbErr(r, err)
		}
		return 0, errRetry
	}
	return 0, im.lineErr(r, "the e-mail belongs to another customer here (%s)", holder.ID)
}

// update applies r to the existing customer cur.
func (im *importer) update(ctx context.Context, r row, cur store.Customer, byID bool) (outcome, error) {
	switch cur.State {
	case store.StateDeleted, store.StateDeleting:
		// Deleted here: an import does not bring the customer back.
		return skipped, nil
	case store.StatePending:
		return 0, im.lineErr(r, "customer %s is being registered right now; run the import again later", cur.ID)
	}
	if !byID && r.hash == "" && cur.HasAccount {
		// A guest row never changes a customer who has an account.
		return skipped, nil
	}
	if s, ok := im.seen[idKey(cur.ID)]; ok {
		if s.fp == r.fingerprint() {
			return skipped, nil
		}
		return 0, im.lineErr(r, "customer %s was imported from line %d already, with other values; line %d's were kept", cur.ID, s.line, s.line)
	}
	next := cur
	changed := false
	if byID && normalizeEmail(r.email) != normalizeEmail(cur.Email) {
		if cur.HasAccount {
			return 0, im.lineErr(r, "customer %s has another e-mail here; an import does not change the e-mail of a customer with an account (change it through the API, which updates the pool too)", cur.ID)
		}
		next.Email, changed = r.email, true
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&next.FirstName, r.firstName}, {&next.LastName, r.lastName}, {&next.Phone, r.phone}} {
		if f.v != "" && *f.dst != f.v {
			*f.dst, changed = f.v, true
		}
	}
	if r.metadata != nil && !sameJSON(cur.Metadata, r.metadata) {
		next.Metadata, changed = r.metadata, true
	}
	if r.hash != "" && r.hash != cur.PasswordHash {
		switch {
		case cur.HasAccount && cur.PasswordHash == "":
			// The pool holds this customer's password (migrated, or registered there): a
			// legacy hash never comes back.
		case !cur.HasAccount:
			next.HasAccount, next.PasswordHash, next.PasswordChangeRequired, changed = true, r.hash, false, true
		default:
			if im.now().Before(cur.CredentialLeaseUntil) {
				return 0, im.lineErr(r, "customer %s is being migrated right now; run the import again later", cur.ID)
			}
			next.PasswordHash, next.PasswordChangeRequired, changed = r.hash, false, true
		}
	}
	if !changed {
		im.remember(cur.ID, r)
		return skipped, nil
	}
	next.UpdatedAt = im.now()
	err := im.dst.UpdateCustomer(ctx, next)
	switch {
	case err == nil:
		im.remember(cur.ID, r)
		return updated, nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return 0, errRetry
	case errors.Is(err, store.ErrDuplicateEmail):
		return 0, im.lineErr(r, "the e-mail belongs to another customer here")
	}
	return 0, dbErr(r, err)
}
