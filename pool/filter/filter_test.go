package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Filter
	}{
		{``, Filter{}},
		{"  \t\n ", Filter{}},
		{`email = "a@b.c"`, Filter{Attribute: "email", Value: "a@b.c"}},
		{`email="a@b.c"`, Filter{Attribute: "email", Value: "a@b.c"}},
		{`email^="a"`, Filter{Attribute: "email", Value: "a", Prefix: true}},
		{`  given_name   ^=   "Jon"  `, Filter{Attribute: "given_name", Value: "Jon", Prefix: true}},
		{"family_name\t=\n\"Reddy\"", Filter{Attribute: "family_name", Value: "Reddy"}},
		{`"family_name" = "x"`, Filter{Attribute: "family_name", Value: "x"}},
		{`"family_name"="x"`, Filter{Attribute: "family_name", Value: "x"}},
		{`"cognito:user_status" = "FORCE_CHANGE_PASSWORD"`, Filter{Attribute: "cognito:user_status", Value: "FORCE_CHANGE_PASSWORD"}},
		{`cognito:user_status = "CONFIRMED"`, Filter{Attribute: "cognito:user_status", Value: "CONFIRMED"}},
		{`status = "Enabled"`, Filter{Attribute: "status", Value: "Enabled"}},
		{`sub = "9a1b5c2e-0000-4000-8000-000000000000"`, Filter{Attribute: "sub", Value: "9a1b5c2e-0000-4000-8000-000000000000"}},
		{`username ^= ""`, Filter{Attribute: "username", Value: "", Prefix: true}},
		{`phone_number ^= "+1555"`, Filter{Attribute: "phone_number", Value: "+1555", Prefix: true}},
		{`preferred_username = "a b  c"`, Filter{Attribute: "preferred_username", Value: "a b  c"}},
		{`name = "say \"hi\""`, Filter{Attribute: "name", Value: `say "hi"`}},
		{`name = "back\\slash"`, Filter{Attribute: "name", Value: `back\slash`}},
		{`name = "ends with \\"`, Filter{Attribute: "name", Value: `ends with \`}},
		{`name = "kept \n escape"`, Filter{Attribute: "name", Value: `kept \n escape`}},
		{`name = "= ^= \" tricky"`, Filter{Attribute: "name", Value: `= ^= " tricky`}},
		{`name = "Zoë 名前 😀"`, Filter{Attribute: "name", Value: "Zoë 名前 😀"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, msg string
	}{
		{`email`, msgSyntax},
		{`email =`, msgNoQuotes},
		{`email = a@b.c`, msgNoQuotes},
		{`email = 'a@b.c'`, msgNoQuotes},
		{`email == "a"`, msgNoQuotes},
		{`email != "a"`, msgSyntax},
		{`email ~= "a"`, msgSyntax},
		{`email ^ = "a"`, msgSyntax},
		{`email = "a`, msgSyntax},
		{`email = "a\"`, msgSyntax},
		{`email = "a" extra`, msgSyntax},
		{`email = "a" = "b"`, msgSyntax},
		{`email = "a" and name = "b"`, msgSyntax},
		{`= "a"`, msgSyntax},
		{`^= "a"`, msgSyntax},
		{`"email = "a"`, msgSyntax},
		{`"email`, msgSyntax},
		{`email"x" = "a"`, msgSyntax},
		{`custom:tier = "gold"`, "Invalid search attribute: custom:tier"},
		{`"custom:tier" ^= "g"`, "Invalid search attribute: custom:tier"},
		{`address = "x"`, "Invalid search attribute: address"},
		{`Email = "x"`, "Invalid search attribute: Email"},
		{`"" = "x"`, "Invalid search attribute: "},
		{"email = \"\xff\"", msgBadUTF8},
		{`email = "` + strings.Repeat("a", 247) + `"`, msgTooLong},
		{`email = "` + strings.Repeat("😀", 124) + `"`, msgTooLong},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error = %v, want *Error", tt.in, err)
			continue
		}
		if e.Message != tt.msg || e.Error() != tt.msg {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, e.Message, tt.msg)
		}
	}
}

func TestMaxLength(t *testing.T) {
	// 10 characters of syntax around the value: email = "…"
	ok := `email = "` + strings.Repeat("a", 246) + `"`
	if n := len(ok); n != 256 {
		t.Fatalf("test filter has %d characters", n)
	}
	if _, err := Parse(ok); err != nil {
		t.Fatalf("256 characters: %v", err)
	}
	// Non-ASCII letters are one character each, however many bytes they take.
	wide := `email = "` + strings.Repeat("é", 246) + `"`
	if _, err := Parse(wide); err != nil {
		t.Fatalf("256 characters, 502 bytes: %v", err)
	}
	// Whitespace counts too, as Cognito checks the raw parameter.
	if _, err := Parse(ok + " "); err == nil {
		t.Fatal("257 characters accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		``, `email = "a@b.c"`, `email^="a"`, `"family_name" = "x"`, `name = "say \"hi\""`,
		`name = "back\\slash"`, `custom:tier = "g"`, `email = "a`, "\"\\", "email = \"\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("Parse(%q) error %v is not a usable *Error", s, err)
			}
			if got != (Filter{}) {
				t.Fatalf("Parse(%q) returned %+v with an error", s, got)
			}
			return
		}
		if got == (Filter{}) {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("Parse(%q) gave no filter", s)
			}
			return
		}
		if !searchable[got.Attribute] {
			t.Fatalf("Parse(%q) accepted attribute %q", s, got.Attribute)
		}
		// Quoting the parsed value back must give the same filter: escaping round-trips.
		op := "="
		if got.Prefix {
			op = "^="
		}
		again := got.Attribute + " " + op + " " + quote(got.Value)
		if utf16Len(again) <= MaxLength {
			back, err := Parse(again)
			if err != nil || back != got {
				t.Fatalf("Parse(%q) = %+v, but re-quoted %q gives %+v, %v", s, got, again, back, err)
			}
		}
	})
}

func quote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}
