package filter

import (
	"strings"
	"unicode/utf8"
)

// MaxLength is the longest Filter Cognito accepts, counted in UTF-16 code units as its
// request validation counts string lengths.
const MaxLength = 256

const (
	msgSyntax   = "Error while parsing filter."
	msgTooLong  = "1 validation error detected: Value at 'filter' failed to satisfy constraint: Member must have length less than or equal to 256"
	msgBadAttr  = "Invalid search attribute: "
	msgBadUTF8  = "Error while parsing filter: the filter is not valid UTF-8."
	msgNoQuotes = "Error while parsing filter: the attribute value must be enclosed in double quotes."
)

// searchable lists the only attributes ListUsers can filter on. Custom attributes are not
// indexed by Cognito and are refused like unknown names.
var searchable = map[string]bool{
	"username":            true,
	"email":               true,
	"phone_number":        true,
	"name":                true,
	"given_name":          true,
	"family_name":         true,
	"preferred_username":  true,
	"cognito:user_status": true,
	"status":              true,
	"sub":                 true,
}

// Filter is one parsed comparison. The zero Filter (Attribute == "") means no filter.
type Filter struct {
	// Attribute is one of the searchable attribute names, e.g. "email" or "cognito:user_status".
	Attribute string
	// Value is the unescaped value to compare with.
	Value string
	// Prefix is true for ^= (starts with) and false for = (exact match).
	Prefix bool
}

// Error is a filter that cannot be used. Message is worded as Cognito words the
// InvalidParameterException it answers with.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// Parse parses a ListUsers Filter. An empty or all-whitespace s gives the zero Filter.
func Parse(s string) (Filter, error) {
	if utf16Len(s) > MaxLength {
		return Filter{}, &Error{Message: msgTooLong}
	}
	if !utf8.ValidString(s) {
		return Filter{}, &Error{Message: msgBadUTF8}
	}
	p := parser{s: s}
	p.skipSpace()
	if p.done() {
		return Filter{}, nil
	}

	var f Filter
	if p.peek() == '"' {
		name, ok := p.quoted()
		if !ok {
			return Filter{}, &Error{Message: msgSyntax}
		}
		f.Attribute = name
	} else {
		f.Attribute = p.name()
		if f.Attribute == "" {
			return Filter{}, &Error{Message: msgSyntax}
		}
	}

	p.skipSpace()
	switch {
	case strings.HasPrefix(p.rest(), "^="):
		f.Prefix = true
		p.i += 2
	case strings.HasPrefix(p.rest(), "="):
		p.i++
	default:
		return Filter{}, &Error{Message: msgSyntax}
	}

	p.skipSpace()
	if p.done() || p.peek() != '"' {
		return Filter{}, &Error{Message: msgNoQuotes}
	}
	value, ok := p.quoted()
	if !ok {
		return Filter{}, &Error{Message: msgSyntax}
	}
	f.Value = value
	p.skipSpace()
	if !p.done() {
		return Filter{}, &Error{Message: msgSyntax}
	}

	// The attribute is judged only once the whole filter has parsed, so that a malformed
	// filter is reported as such even when its first word is also not searchable.
	if !searchable[f.Attribute] {
		return Filter{}, &Error{Message: msgBadAttr + f.Attribute}
	}
	return f, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) done() bool   { return p.i >= len(p.s) }
func (p *parser) peek() byte   { return p.s[p.i] }
func (p *parser) rest() string { return p.s[p.i:] }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func (p *parser) skipSpace() {
	for !p.done() && isSpace(p.peek()) {
		p.i++
	}
}

// name reads an unquoted attribute name: everything up to whitespace, an operator or a quote.
func (p *parser) name() string {
	start := p.i
	for !p.done() {
		c := p.peek()
		if isSpace(c) || c == '=' || c == '^' || c == '"' {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a double-quoted string starting at the opening quote and unescapes it.
func (p *parser) quoted() (string, bool) {
	p.i++ // opening quote
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		switch {
		case c == '"':
			p.i++
			return b.String(), true
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '"' || p.s[p.i+1] == '\\'):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

// utf16Len counts s the way a Java String's length() would, which is how Cognito measures
// the 256-character limit. Invalid bytes count as one unit each.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}
