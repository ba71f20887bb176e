package csvimport

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// defaultSchema is the attribute list of a pool created with no extra schema, plus two custom
// attributes.
var defaultSchema = []string{
	"sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo",
	"locale", "phone_number", "phone_number_verified", "address", "updated_at", "identities",
}

const cognitoDefaultHeader = "name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,website,email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,phone_number_verified,address,updated_at,cognito:mfa_enabled,cognito:username"

func TestHeader(t *testing.T) {
	if got := strings.Join(Header(defaultSchema), ","); got != cognitoDefaultHeader {
		t.Fatalf("default header:\n got %s\nwant %s", got, cognitoDefaultHeader)
	}
	// Schema order must not matter for standard columns, and custom ones keep schema order.
	schema := []string{"custom:tier", "email", "sub", "custom:age", "name", "custom:tier", "dev:custom:x", "email"}
	want := []string{"name", "email", "cognito:mfa_enabled", "cognito:username", "custom:tier", "custom:age"}
	if got := Header(schema); !reflect.DeepEqual(got, want) {
		t.Fatalf("Header(%q) = %q, want %q", schema, got, want)
	}
	if got := Header(nil); !reflect.DeepEqual(got, []string{"cognito:mfa_enabled", "cognito:username"}) {
		t.Fatalf("Header(nil) = %q", got)
	}
}

func readAll(t *testing.T, r *Reader) (rows []Row, rowErrs []*RowError, fatal error) {
	t.Helper()
	for {
		row, err := r.Next()
		var re *RowError
		switch {
		case err == nil:
			rows = append(rows, row)
		case errors.As(err, &re):
			rowErrs = append(rowErrs, re)
		case err == io.EOF:
			return rows, rowErrs, nil
		default:
			return rows, rowErrs, err
		}
	}
}

func TestReader(t *testing.T) {
	in := "\uFEFF" + cognitoDefaultHeader + ",custom:tier\r\n" +
		"Jane,,,,,,,,,jane@example.com,TRUE,,,,,+15555550100,false,,,false,jane,gold\r\n" +
		"\r\n" + // blank lines are skipped, not rows
		",,,,,,,,,bob@example.com,true,,,,,,,\"1 Main St\nSpringfield\",,true,bob,\r\n" +
		",,,,,,,,,,,,,,,,,,,,carol,\r\n"
	r, err := NewPoolReader(strings.NewReader(in), 10, append(defaultSchema, "custom:tier"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Columns(); len(got) != 22 || got[0] != "name" || got[21] != "custom:tier" {
		t.Fatalf("Columns() = %q", got)
	}
	rows, rowErrs, fatal := readAll(t, r)
	if fatal != nil || len(rowErrs) != 0 {
		t.Fatalf("fatal %v, row errors %v", fatal, rowErrs)
	}
	want := []Row{
		{Line: 2, Username: "jane", Attributes: []Attribute{
			{"name", "Jane"}, {"email", "jane@example.com"}, {"email_verified", "true"},
			{"phone_number", "+15555550100"}, {"phone_number_verified", "false"}, {"custom:tier", "gold"},
		}},
		{Line: 4, Username: "bob", MFAEnabled: true, Attributes: []Attribute{
			{"email", "bob@example.com"}, {"email_verified", "true"}, {"address", "1 Main St\nSpringfield"},
		}},
		{Line: 6, Username: "carol"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", rows, want)
	}
	// Reading past the end keeps answering io.EOF.
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after EOF: %v", err)
	}
}

func TestReaderAnyOrderMinimalHeader(t *testing.T) {
	in := "custom:anything,cognito:username,email\nx,u1,a@b.c\n"
	r, err := NewReader(strings.NewReader(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, rowErrs, fatal := readAll(t, r)
	if fatal != nil || len(rowErrs) != 0 || len(rows) != 1 {
		t.Fatalf("rows %v, row errors %v, fatal %v", rows, rowErrs, fatal)
	}
	want := Row{Line: 2, Username: "u1", Attributes: []Attribute{{"custom:anything", "x"}, {"email", "a@b.c"}}}
	if !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("got %+v", rows[0])
	}
}

func TestReaderRowErrors(t *testing.T) {
	in := "cognito:username,email,email_verified,cognito:mfa_enabled\n" +
		"ok1,a@b.c,true,false\n" +
		"short,a@b.c\n" +
		"long,a@b.c,true,false,extra\n" +
		",a@b.c,true,false\n" +
		"   ,a@b.c,true,false\n" +
		"badbool,a@b.c,yes,false\n" +
		"badmfa,a@b.c,true,1\n" +
		"big," + strings.Repeat("x", MaxValueBytes+1) + ",true,false\n" +
		"bare,a\"b@c,true,false\n" +
		"ok2,," + ",\n"
	r, err := NewReader(strings.NewReader(in), 100)
	if err != nil {
		t.Fatal(err)
	}
	rows, rowErrs, fatal := readAll(t, r)
	if fatal != nil {
		t.Fatal(fatal)
	}
	if len(rows) != 2 || rows[0].Username != "ok1" || rows[1].Username != "ok2" || rows[1].Line != 11 {
		t.Fatalf("rows = %+v", rows)
	}
	wantLines := []int{3, 4, 5, 6, 7, 8, 9, 10}
	var gotLines []int
	for _, e := range rowErrs {
		gotLines = append(gotLines, e.Line)
		if e.Message == "" || !strings.HasPrefix(e.Error(), "line ") {
			t.Errorf("row error %q", e.Error())
		}
	}
	if !reflect.DeepEqual(gotLines, wantLines) {
		t.Fatalf("row error lines = %v, want %v (%v)", gotLines, wantLines, rowErrs)
	}
	if !strings.Contains(rowErrs[5].Message, "true or false") {
		t.Errorf("bad mfa message: %q", rowErrs[5].Message)
	}
}

func TestReaderValueLimit(t *testing.T) {
	in := "cognito:username,name\nu," + strings.Repeat("x", MaxValueBytes) + "\n"
	r, err := NewReader(strings.NewReader(in), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("value of exactly %d bytes: %v", MaxValueBytes, err)
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"only bom", "\uFEFF"},
		{"no username column", "email,name\n"},
		{"unknown column", "cognito:username,favourite_colour\n"},
		{"sub column", "cognito:username,sub\n"},
		{"bare custom prefix", "cognito:username,custom:\n"},
		{"duplicate", "cognito:username,email,email\n"},
		{"empty name", "cognito:username,,email\n"},
		{"broken quoting", "\"cognito:username,email\n"},
	}
	for _, tt := range tests {
		if _, err := NewReader(strings.NewReader(tt.in), 10); !errors.Is(err, ErrHeader) {
			t.Errorf("%s: error = %v, want ErrHeader", tt.name, err)
		}
	}
	// A pool reader refuses custom columns the pool does not have.
	_, err := NewPoolReader(strings.NewReader("cognito:username,custom:tier\n"), 10, defaultSchema)
	if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "custom:tier") {
		t.Errorf("pool reader: %v", err)
	}
	// Surrounding spaces in column names are forgiven.
	if _, err := NewReader(strings.NewReader(" cognito:username , email \n"), 10); err != nil {
		t.Errorf("spaced header: %v", err)
	}
}

func TestReaderTooManyRows(t *testing.T) {
	in := "cognito:username\na\nb\n,\nc\n"
	r, err := NewReader(strings.NewReader(in), 3)
	if err != nil {
		t.Fatal(err)
	}
	rows, rowErrs, fatal := readAll(t, r)
	if len(rows) != 2 || len(rowErrs) != 1 || !errors.Is(fatal, ErrTooManyRows) {
		t.Fatalf("rows %v, row errors %v, fatal %v", rows, rowErrs, fatal)
	}
	if _, err := r.Next(); !errors.Is(err, ErrTooManyRows) {
		t.Fatalf("fatal error is not sticky: %v", err)
	}

	r, _ = NewReader(strings.NewReader("cognito:username\na\nb\nc\n"), 3)
	if rows, _, fatal := readAll(t, r); fatal != nil || len(rows) != 3 {
		t.Fatalf("exactly maxRows: rows %v, fatal %v", rows, fatal)
	}
}

func TestReaderLineTooLong(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+1)
	if _, err := NewReader(strings.NewReader("cognito:username,"+long+"\n"), 10); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long header: %v", err)
	}
	in := "cognito:username,name\nok,x\nu," + long + "\nnever,x\n"
	r, err := NewReader(strings.NewReader(in), 10)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, fatal := readAll(t, r)
	if len(rows) != 1 || !errors.Is(fatal, ErrLineTooLong) {
		t.Fatalf("rows %v, fatal %v", rows, fatal)
	}
	// A long quoted value spread over many short lines is only a row error.
	multi := "\"" + strings.Repeat("y\n", MaxValueBytes) + "\""
	r, _ = NewReader(strings.NewReader("cognito:username,address\nu,"+multi+"\nnext,x\n"), 10)
	rows, rowErrs, fatal := readAll(t, r)
	if fatal != nil || len(rowErrs) != 1 || len(rows) != 1 || rows[0].Username != "next" {
		t.Fatalf("rows %v, row errors %v, fatal %v", rows, rowErrs, fatal)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestReaderIOError(t *testing.T) {
	boom := errors.New("disk on fire")
	r, err := NewReader(io.MultiReader(strings.NewReader("cognito:username\na\n"), failingReader{boom}), 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, fatal := readAll(t, r)
	if len(rows) != 1 || !errors.Is(fatal, boom) {
		t.Fatalf("rows %v, fatal %v", rows, fatal)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("cognito:username,email,email_verified\nu,a@b.c,true\n")
	f.Add("\uFEFF" + cognitoDefaultHeader + "\n,,,,,,,,,,,,,,,,,,,false,u\n")
	f.Add("cognito:username,custom:x\n\"a\"\"b\",\"multi\nline\"\nbad\"quote,x\n,\n")
	f.Add("email\nx\n")
	f.Add("cognito:username,cognito:mfa_enabled\nu,maybe\nv,TRUE\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := NewReader(strings.NewReader(in), 50)
		if err != nil {
			if !errors.Is(err, ErrHeader) && !errors.Is(err, ErrLineTooLong) {
				t.Fatalf("unexpected header error type: %v", err)
			}
			return
		}
		columns := r.Columns()
		prevLine := 1
		for range 1000 {
			row, err := r.Next()
			var re *RowError
			switch {
			case err == nil:
				if strings.TrimSpace(row.Username) == "" || row.Line <= prevLine {
					t.Fatalf("bad row %+v after line %d", row, prevLine)
				}
				prevLine = row.Line
				for _, a := range row.Attributes {
					if a.Value == "" || len(a.Value) > MaxValueBytes || a.Name == ColumnUsername || a.Name == ColumnMFAEnabled {
						t.Fatalf("bad attribute %+v", a)
					}
					if !contains(columns, a.Name) {
						t.Fatalf("attribute %q is not a column", a.Name)
					}
				}
			case errors.As(err, &re):
				if re.Line <= 1 {
					t.Fatalf("row error on line %d", re.Line)
				}
			case err == io.EOF:
				return
			default:
				if !errors.Is(err, ErrTooManyRows) && !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("unexpected fatal error: %v", err)
				}
				return
			}
		}
		t.Fatal("reader did not finish")
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
