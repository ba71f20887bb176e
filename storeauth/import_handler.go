package storeauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/storeauth/importer"
)

// DefaultMaxImportBytes is the largest body POST /admin/customers/import takes by default.
const DefaultMaxImportBytes = 256 << 20

// importIdle is how long an import may go without reading or writing before the
// connection is dropped; every progress line extends it.
const importIdle = 2 * time.Minute

// ImportCustomers reads an export of existing customers into the customers table (see
// package importer for the formats and rules). New IDs and times come from the service;
// a nil opts.Legacy means the service's registry.
func (s *Service) ImportCustomers(ctx context.Context, r io.Reader, opts importer.Options) (importer.Result, error) {
	opts.NewID = func() string { return newID("cus_", s.now()) }
	opts.Now = s.now
	if opts.Legacy == nil {
		opts.Legacy = s.legacy
	}
	res, err := importer.Import(ctx, s.customers, r, opts)
	// New legacy customers change what a decoy check should cost.
	s.resetSample()
	attrs := []any{"format", res.Format, "rows", res.Rows, "imported", res.Imported, "updated", res.Updated,
		"skipped", res.Skipped, "errors", int64(len(res.Errors)) + res.ErrorsOmitted}
	if err != nil {
		s.log.Warn("customer import stopped", append(attrs, "err", err)...)
	} else {
		s.log.Info("customers imported", attrs...)
	}
	return res, err
}

// adminImport streams an import: NDJSON progress lines while it works, then the result.
func (h *API) adminImport(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var format importer.Format
	if err == nil {
		switch mt {
		case "application/x-ndjson":
			format = importer.FormatJSONL
		case "text/csv":
			format = importer.FormatCSV
		}
	}
	if format == "" {
		writeError(w, &Error{Type: TypeUnsupportedType, Message: "The body must be application/x-ndjson (one customer per line) or text/csv (a Medusa export)."})
		return
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		writeError(w, &Error{Type: TypeUnsupportedType, Message: "The body must be UTF-8."})
		return
	}
	strict := false
	if v := r.URL.Query().Get("strict"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, invalid("strict must be true or false."))
			return
		}
		strict = b
	}

	rc := http.NewResponseController(w)
	// Progress lines go out while the body is still coming in.
	if rc.EnableFullDuplex() == nil {
		// An import that stops early leaves body unread; on HTTP/1 the connection cannot
		// serve another request after that, so it is not offered for one.
		w.Header().Set("Connection", "close")
	}
	extend := func() {
		deadline := time.Now().Add(importIdle)
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline)
	}
	extend()
	started := false
	line := func(v any) {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusOK)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		w.Write(append(b, '\n'))
		_ = rc.Flush()
		extend()
	}
	progress := func(p importer.Progress) {
		if !p.Done { // the result follows the last one at once
			line(map[string]importer.Progress{"progress": p})
		}
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxImportBytes)
	res, err := h.svc.ImportCustomers(r.Context(), body, importer.Options{Format: format, Strict: strict, Progress: progress})
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		res.Stopped = fmt.Sprintf("The body is larger than %d bytes.", h.cfg.MaxImportBytes)
	}
	var dbe *importer.DatabaseError
	if errors.As(err, &dbe) {
		h.log.Error("customer import: database failed", "err", err)
		res.Stopped = fmt.Sprintf("line %d: the database failed; nothing after it was imported.", dbe.Line)
	}
	if !started && err != nil && res.Rows == 0 {
		// Nothing was imported and nothing sent yet: a plain refusal says it best.
		switch {
		case r.Context().Err() != nil:
			// The client is gone.
		case tooBig != nil:
			writeError(w, &Error{Type: TypeTooLarge, Message: res.Stopped})
		case dbe != nil:
			writeError(w, &Error{Type: TypeUnavailable, Message: "The service is unavailable; try again later."})
		default:
			writeError(w, invalid("The body cannot be imported: %s.", strings.TrimSuffix(err.Error(), ".")))
		}
		return
	}
	line(res)
}
