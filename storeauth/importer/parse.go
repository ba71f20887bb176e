package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Format names an export format.
type Format string

const (
	// FormatAuto tells JSONL from CSV by the first byte, and Medusa v1 from v2 by the header.
	FormatAuto Format = "auto"
	// FormatJSONL is one JSON object per line.
	FormatJSONL Format = "jsonl"
	// FormatMedusaV1 is a CSV export of Medusa v1's customer table.
	FormatMedusaV1 Format = "medusa-v1-csv"
	// FormatMedusaV2 is a CSV export of Medusa v2's customer table joined to
	// provider_identity.
	FormatMedusaV2 Format = "medusa-v2-csv"
	// FormatCSV is FormatMedusaV1 or FormatMedusaV2, told apart by the header.
	FormatCSV Format = "csv"
)

// ParseFormat returns the format named s ("" means FormatAuto).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return FormatAuto, nil
	case FormatAuto, FormatJSONL, FormatMedusaV1, FormatMedusaV2, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want %s, %s, %s or %s)", s, FormatJSONL, FormatMedusaV1, FormatMedusaV2, FormatAuto)
}

// row is one record as read, before the checks that every format shares.
type row struct {
	line                       int
	id, email                  string
	firstName, lastName, phone string
	metadata                   json.RawMessage
	createdAt                  time.Time
	hash                       string
	// skip, when set, says why the row is skipped without an error.
	skip string
}

// reader yields rows. next returns a *LineError for a bad row after which reading goes on,
// io.EOF at the end, and any other error when reading cannot go on.
type reader interface {
	next() (row, error)
	format() Format
}

// stopError is a *LineError after which the input cannot be read further.
type stopError struct{ *LineError }

func (e stopError) Unwrap() error { return e.LineError }

// newReader detects the format if asked to, reads a CSV header, and returns the reader.
func newReader(r io.Reader, f Format, maxRecord int) (reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	if f == FormatAuto || f == FormatCSV {
		first, err := firstByte(br)
		if err != nil {
			return nil, err
		}
		if first == '{' {
			if f == FormatCSV {
				return nil, errors.New("the input is JSON lines, not CSV")
			}
			f = FormatJSONL
		}
	}
	if f == FormatJSONL {
		return &jsonlReader{br: br, max: maxRecord}, nil
	}
	return newCSVReader(br, f, maxRecord)
}

// firstByte is the first byte that is not white space, or 0 for an input of only that.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n *= 2 {
		b, err := br.Peek(n)
		for _, c := range b {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				return c, nil
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return 0, nil
		case errors.Is(err, bufio.ErrBufferFull):
			return 0, nil // a buffer of blanks: let the format's own reader judge
		case err != nil:
			return 0, err
		}
	}
}

// --- JSON lines

type jsonlReader struct {
	br   *bufio.Reader
	line int
	max  int
	eof  bool
}

func (j *jsonlReader) format() Format { return FormatJSONL }

// jsonlRow is one line: POST /store/customers minus password, plus id, created_at and
// password_hash. Null stands for absent.
type jsonlRow struct {
	ID           string          `json:"id"`
	Email        string          `json:"email"`
	FirstName    string          `json:"first_name"`
	LastName     string          `json:"last_name"`
	Phone        string          `json:"phone"`
	Metadata     json.RawMessage `json:"metadata"`
	CreatedAt    string          `json:"created_at"`
	PasswordHash string          `json:"password_hash"`
	Password     json.RawMessage `json:"password"`
}

func (j *jsonlReader) next() (row, error) {
	for {
		if j.eof {
			return row{}, io.EOF
		}
		b, tooLong, err := j.readLine()
		if err != nil {
			return row{}, err
		}
		if b == nil && !tooLong {
			return row{}, io.EOF
		}
		j.line++
		if tooLong {
			return row{}, &LineError{Line: j.line, Message: fmt.Sprintf("the line is longer than %d bytes", j.max)}
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		return parseJSONL(j.line, b)
	}
}

// readLine returns the next line without its end. nil (and tooLong false) is the end of
// the input. A line over the limit is read to its end and dropped: tooLong.
func (j *jsonlReader) readLine() (line []byte, tooLong bool, err error) {
	var buf []byte
	got := false
	for {
		chunk, err := j.br.ReadSlice('\n')
		if len(chunk) > 0 {
			got = true
			if !tooLong {
				if len(buf)+len(chunk) > j.max+2 { // +2: the line end
					tooLong, buf = true, nil
				} else {
					buf = append(buf, chunk...)
				}
			}
		}
		switch {
		case err == nil:
			return bytes.TrimRight(buf, "\r\n"), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			j.eof = true
			if !got {
				return nil, false, nil
			}
			if buf == nil && !tooLong {
				buf = []byte{}
			}
			return bytes.TrimRight(buf, "\r\n"), tooLong, nil
		default:
			return nil, false, err
		}
	}
}

func parseJSONL(line int, b []byte) (row, error) {
	fail := func(format string, a ...any) (row, error) {
		return row{}, &LineError{Line: line, Message: fmt.Sprintf(format, a...)}
	}
	if !utf8.Valid(b) {
		return fail("the line is not valid UTF-8")
	}
	if b[0] != '{' {
		return fail("the line is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in jsonlRow
	if err := dec.Decode(&in); err != nil {
		return fail("not valid JSON for a customer: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail("data after the JSON object")
	}
	if len(in.Password) > 0 && string(in.Password) != "null" {
		return fail("password is not accepted: give password_hash, the stored hash")
	}
	r := row{line: line, id: strings.TrimSpace(in.ID), email: in.Email, firstName: in.FirstName,
		lastName: in.LastName, phone: in.Phone, metadata: in.Metadata, hash: strings.TrimSpace(in.PasswordHash)}
	if string(r.metadata) == "null" {
		r.metadata = nil
	}
	if in.CreatedAt != "" {
		t, err := parseTime(in.CreatedAt)
		if err != nil {
			return fail("created_at: %v", err)
		}
		r.createdAt = t
	}
	return r, nil
}

func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("%s must be a %s", typeErr.Field, jsonKind(typeErr.Field))
		}
		return "expected a JSON object"
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the object is incomplete"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed"
}

func jsonKind(field string) string {
	if field == "metadata" {
		return "JSON object"
	}
	return "string"
}

// --- CSV

// guard lets the CSV reader take at most budget bytes per record, so a quote that is never
// closed cannot pull the whole input into memory.
type guard struct {
	r      io.Reader
	budget int
	per    int
}

var errRecordTooLong = errors.New("record too long")

func (g *guard) Read(p []byte) (int, error) {
	if g.budget <= 0 {
		return 0, errRecordTooLong
	}
	if len(p) > g.budget {
		p = p[:g.budget]
	}
	n, err := g.r.Read(p)
	g.budget -= n
	return n, err
}

// reset gives the next record its budget: the limit, plus what the CSV reader's own
// buffer may read ahead.
func (g *guard) reset() { g.budget = g.per + 4096 }

type csvReader struct {
	cr      *csv.Reader
	g       *guard
	f       Format
	col     map[string]int
	max     int
	endLine int // the line the last record ended on
}

func (c *csvReader) format() Format { return c.f }

func newCSVReader(br *bufio.Reader, f Format, maxRecord int) (reader, error) {
	g := &guard{r: br, per: maxRecord}
	g.reset()
	cr := csv.NewReader(g)
	cr.ReuseRecord = false
	c := &csvReader{cr: cr, g: g, max: maxRecord, col: map[string]int{}}
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		// No header and no rows: nothing to import.
		if f == FormatAuto || f == FormatCSV {
			f = FormatMedusaV1
		}
		c.f = f
		return &emptyReader{f: f}, nil
	case errors.Is(err, errRecordTooLong):
		return nil, fmt.Errorf("line 1: the header is longer than %d bytes", maxRecord)
	case err != nil:
		return nil, fmt.Errorf("line 1: the header is not valid CSV: %v", csvProblem(err))
	}
	c.endLine, _ = cr.FieldPos(len(header) - 1)
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, errors.New("line 1: the header is not valid UTF-8")
		}
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue
		}
		if _, dup := c.col[name]; dup {
			return nil, fmt.Errorf("line 1: column %q appears twice in the header; export each column once (see the documented SQL)", name)
		}
		c.col[name] = i
	}
	has := func(name string) bool { _, ok := c.col[name]; return ok }
	v2 := has("provider") || has("provider_metadata") || has("entity_id")
	if f == FormatAuto || f == FormatCSV {
		switch {
		case v2:
			f = FormatMedusaV2
		case has("password_hash") || has("email"):
			f = FormatMedusaV1
		default:
			return nil, errors.New("line 1: the header has neither Medusa v1 columns (email, password_hash) nor Medusa v2 ones (provider, provider_metadata)")
		}
	}
	c.f = f
	var need []string
	switch f {
	case FormatMedusaV1:
		need = []string{"email", "password_hash"}
	case FormatMedusaV2:
		need = []string{"provider", "provider_metadata"}
		if !has("email") && !has("entity_id") {
			need = append(need, "email")
		}
	default:
		return nil, fmt.Errorf("format %q is not CSV", f)
	}
	for _, n := range need {
		if !has(n) {
			return nil, fmt.Errorf("line 1: the header lacks column %s, which %s needs", n, f)
		}
	}
	return c, nil
}

type emptyReader struct{ f Format }

func (e *emptyReader) next() (row, error) { return row{}, io.EOF }
func (e *emptyReader) format() Format     { return e.f }

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (c *csvReader) next() (row, error) {
	c.g.reset()
	rec, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return row{}, io.EOF
	}
	if errors.Is(err, errRecordTooLong) {
		return row{}, stopError{&LineError{Line: c.endLine + 1, Message: fmt.Sprintf("a record is longer than %d bytes; the rest of the input cannot be read", c.max)}}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		c.endLine = pe.Line
		return row{}, &LineError{Line: pe.StartLine, Message: "not valid CSV: " + pe.Err.Error()}
	}
	if err != nil {
		return row{}, err
	}
	line, _ := c.cr.FieldPos(0)
	c.endLine, _ = c.cr.FieldPos(len(rec) - 1)
	for _, v := range rec {
		if !utf8.ValidString(v) {
			return row{}, &LineError{Line: line, Message: "the record is not valid UTF-8"}
		}
	}
	get := func(name string) string {
		if i, ok := c.col[name]; ok {
			return rec[i]
		}
		return ""
	}
	fail := func(format string, a ...any) (row, error) {
		return row{}, &LineError{Line: line, Message: fmt.Sprintf(format, a...)}
	}
	r := row{line: line, id: strings.TrimSpace(get("id")), email: get("email"), firstName: get("first_name"),
		lastName: get("last_name"), phone: get("phone")}
	if m := strings.TrimSpace(get("metadata")); m != "" && m != "null" {
		r.metadata = json.RawMessage(m)
	}
	if v := strings.TrimSpace(get("created_at")); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return fail("created_at: %v", err)
		}
		r.createdAt = t
	}
	if strings.TrimSpace(get("deleted_at")) != "" {
		r.skip = "deleted in the export (deleted_at is set)"
		return r, nil
	}
	switch c.f {
	case FormatMedusaV1:
		r.hash = strings.TrimSpace(get("password_hash"))
		account, err := parseBool(get("has_account"))
		if err != nil {
			return fail("has_account: %v", err)
		}
		if account && r.hash == "" {
			return fail("has_account is true but password_hash is empty")
		}
	case FormatMedusaV2:
		if r.email == "" {
			r.email = get("entity_id")
		}
		provider := strings.TrimSpace(get("provider"))
		meta := strings.TrimSpace(get("provider_metadata"))
		switch provider {
		case "":
			if meta != "" && meta != "null" {
				return fail("provider_metadata is set but provider is empty")
			}
			// A customer without an e-mail/password identity: a guest.
		case "emailpass":
			var pm map[string]json.RawMessage
			if err := json.Unmarshal([]byte(meta), &pm); err != nil || pm == nil {
				return fail("provider_metadata is not a JSON object")
			}
			var hash string
			if raw, ok := pm["password"]; !ok || json.Unmarshal(raw, &hash) != nil || strings.TrimSpace(hash) == "" {
				return fail("the emailpass identity has no password in provider_metadata")
			}
			r.hash = strings.TrimSpace(hash)
		default:
			r.skip = "provider " + provider + " is not emailpass"
		}
	}
	return r, nil
}

// parseBool reads the booleans of PostgreSQL's text output and of other exports.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "1", "yes", "y":
		return true, nil
	case "", "f", "false", "0", "no", "n", "null":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z07",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05Z0700",
}

var timeLayoutsNoZone = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// parseTime reads RFC 3339 and PostgreSQL's text form of timestamps; a time without a zone
// is UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return time.Time{}, errors.New("not a timestamp")
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, l := range timeLayoutsNoZone {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 or PostgreSQL timestamp", s)
}
