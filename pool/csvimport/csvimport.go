package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Column names with a meaning of their own rather than a user attribute.
const (
	ColumnUsername   = "cognito:username"
	ColumnMFAEnabled = "cognito:mfa_enabled"
)

const (
	// MaxValueBytes is the longest cell accepted; Cognito caps attribute values at 2048.
	MaxValueBytes = 2048
	// MaxLineBytes bounds one physical line so that a file without line breaks cannot make
	// the reader buffer it whole.
	MaxLineBytes = 64 << 10
)

// standardColumns is the order in which Cognito's GetCSVHeader lists standard attributes.
// sub and identities are absent: Cognito assigns them and never imports them.
var standardColumns = []string{
	"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "email", "email_verified", "gender", "birthdate",
	"zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at",
}

var isStandardColumn = func() map[string]bool {
	m := make(map[string]bool, len(standardColumns))
	for _, c := range standardColumns {
		m[c] = true
	}
	return m
}()

// Header returns the columns of the import CSV for a pool whose schema has the given
// attribute names, in the order Cognito's GetCSVHeader gives them:
//
//  1. the standard attributes present in schema, in Cognito's fixed order (name, given_name,
//     family_name, middle_name, nickname, preferred_username, profile, picture, website,
//     email, email_verified, gender, birthdate, zoneinfo, locale, phone_number,
//     phone_number_verified, address, updated_at);
//  2. cognito:mfa_enabled, then cognito:username;
//  3. the schema's custom attributes (names starting "custom:"), in schema order.
//
// Every other schema name is left out: sub and identities are never imported, and a name
// that is neither standard nor custom has no column in Cognito's header either. Duplicate
// schema names appear once.
func Header(schema []string) []string {
	inSchema := make(map[string]bool, len(schema))
	for _, name := range schema {
		inSchema[name] = true
	}
	var header []string
	for _, c := range standardColumns {
		if inSchema[c] {
			header = append(header, c)
		}
	}
	header = append(header, ColumnMFAEnabled, ColumnUsername)
	seen := make(map[string]bool)
	for _, name := range schema {
		if isCustom(name) && !seen[name] {
			seen[name] = true
			header = append(header, name)
		}
	}
	return header
}

func isCustom(name string) bool {
	return strings.HasPrefix(name, "custom:") && len(name) > len("custom:")
}

// isBoolColumn reports the columns whose cells must be true or false when set.
func isBoolColumn(name string) bool {
	return name == ColumnMFAEnabled || strings.HasSuffix(name, "_verified")
}

// Fatal errors; a reader that returned one returns it again from every later call.
var (
	// ErrHeader wraps every problem with the header row.
	ErrHeader = errors.New("invalid CSV header")
	// ErrTooManyRows means the file has more data rows than the reader was allowed.
	ErrTooManyRows = errors.New("the CSV file has too many rows")
	// ErrLineTooLong means a physical line is longer than MaxLineBytes.
	ErrLineTooLong = fmt.Errorf("a line of the CSV file is longer than %d bytes", MaxLineBytes)
)

// RowError is a problem confined to one row. The caller may count the row as failed and call
// Next again.
type RowError struct {
	// Line is the 1-based line on which the row starts (the header is line 1).
	Line    int
	Message string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// Attribute is one non-empty cell of a row.
type Attribute struct {
	Name, Value string
}

// Row is one user of the file.
type Row struct {
	// Line is the 1-based line on which the row starts.
	Line     int
	Username string
	// Attributes holds the row's non-empty cells in column order, except cognito:username and
	// cognito:mfa_enabled. Boolean cells are normalized to "true" or "false".
	Attributes []Attribute
	MFAEnabled bool
}

// Reader reads an import CSV one row at a time.
type Reader struct {
	csv     *csv.Reader
	columns []string
	userCol int
	maxRows int
	rows    int
	err     error // sticky fatal error, io.EOF included
}

// NewReader reads and checks the header row of r. Columns may come in any order; each must be
// a standard attribute column, cognito:username (required), cognito:mfa_enabled (optional) or
// a custom:NAME column. Use NewPoolReader to also refuse custom columns a pool lacks. maxRows
// caps the data rows (0 or less: no cap).
//
// r is read lazily; the caller bounds its total size if it needs to.
func NewReader(r io.Reader, maxRows int) (*Reader, error) {
	return newReader(r, maxRows, func(name string) bool {
		return isStandardColumn[name] || name == ColumnUsername || name == ColumnMFAEnabled || isCustom(name)
	})
}

// NewPoolReader is NewReader for a pool whose schema has the given attribute names: only the
// columns of Header(schema) are accepted.
func NewPoolReader(r io.Reader, maxRows int, schema []string) (*Reader, error) {
	allowed := make(map[string]bool)
	for _, c := range Header(schema) {
		allowed[c] = true
	}
	return newReader(r, maxRows, func(name string) bool { return allowed[name] })
}

func newReader(r io.Reader, maxRows int, known func(string) bool) (*Reader, error) {
	br := bufio.NewReader(r)
	// Spreadsheet programs save "CSV UTF-8" with a byte order mark, which would otherwise
	// become part of the first column's name.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	cr := csv.NewReader(&lineLimiter{r: br})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the file is empty", ErrHeader)
	}
	if err != nil {
		if errors.Is(err, ErrLineTooLong) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}

	rd := &Reader{csv: cr, userCol: -1, maxRows: maxRows}
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, fmt.Errorf("%w: column %d has no name", ErrHeader, i+1)
		case seen[name]:
			return nil, fmt.Errorf("%w: column %q appears more than once", ErrHeader, name)
		case !known(name):
			return nil, fmt.Errorf("%w: unknown column %q", ErrHeader, name)
		}
		seen[name] = true
		if name == ColumnUsername {
			rd.userCol = i
		}
		rd.columns = append(rd.columns, name)
	}
	if rd.userCol < 0 {
		return nil, fmt.Errorf("%w: the %s column is required", ErrHeader, ColumnUsername)
	}
	return rd, nil
}

// Columns returns the header's column names in file order.
func (r *Reader) Columns() []string { return append([]string(nil), r.columns...) }

// Next returns the next row. It returns io.EOF after the last row, a *RowError for a row that
// cannot be used (reading may go on), and any other error when reading cannot go on.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	record, err := r.csv.Read()
	if err == io.EOF {
		r.err = io.EOF
		return Row{}, io.EOF
	}
	var pe *csv.ParseError
	if err != nil && !errors.As(err, &pe) {
		r.err = err
		return Row{}, err
	}
	r.rows++
	if r.maxRows > 0 && r.rows > r.maxRows {
		r.err = fmt.Errorf("%w: at most %d are allowed", ErrTooManyRows, r.maxRows)
		return Row{}, r.err
	}
	if pe != nil {
		// encoding/csv has consumed the broken record and carries on after it.
		return Row{}, &RowError{Line: pe.StartLine, Message: pe.Err.Error()}
	}

	line, _ := r.csv.FieldPos(0)
	if len(record) != len(r.columns) {
		return Row{}, &RowError{Line: line, Message: fmt.Sprintf(
			"the row has %d columns but the header has %d", len(record), len(r.columns))}
	}
	row := Row{Line: line}
	for i, value := range record {
		name := r.columns[i]
		if len(value) > MaxValueBytes {
			return Row{}, &RowError{Line: line, Message: fmt.Sprintf(
				"the value of %s is longer than %d bytes", name, MaxValueBytes)}
		}
		if isBoolColumn(name) && value != "" {
			b, ok := parseBool(value)
			if !ok {
				return Row{}, &RowError{Line: line, Message: fmt.Sprintf(
					"the value of %s must be true or false, not %q", name, value)}
			}
			value = "false"
			if b {
				value = "true"
			}
		}
		switch name {
		case ColumnUsername:
			row.Username = value
		case ColumnMFAEnabled:
			row.MFAEnabled = value == "true"
		default:
			if value != "" {
				row.Attributes = append(row.Attributes, Attribute{Name: name, Value: value})
			}
		}
	}
	if strings.TrimSpace(row.Username) == "" {
		return Row{}, &RowError{Line: line, Message: "the " + ColumnUsername + " column is empty"}
	}
	return row, nil
}

// parseBool accepts true and false in any letter case, as spreadsheets write TRUE and FALSE.
func parseBool(s string) (value, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// lineLimiter fails the read once a physical line grows past MaxLineBytes.
type lineLimiter struct {
	r   io.Reader
	run int // bytes since the last newline
	err error
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.run = 0
			continue
		}
		l.run++
		if l.run > MaxLineBytes {
			// Hand over what came before the offending byte; the error follows on the next call.
			l.err = ErrLineTooLong
			return i, nil
		}
	}
	return n, err
}
