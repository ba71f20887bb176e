package cognito

import (
	"fmt"
	"regexp"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits from the Cognito API reference. Cognito counts lengths in UTF-16 code units, so
// these do too. Tokens have no documented maximum; maxTokenLength is this package's, far
// above any token Cognito issues, so that absurd input never leaves the process.
const (
	maxUsernameLength   = 128
	maxPasswordLength   = 256
	maxCodeLength       = 2048
	maxTokenLength      = 16 << 10
	minSessionLength    = 20
	maxSessionLength    = 2048
	maxAttrNameLength   = 32
	maxAttrValueLength  = 2048
	maxGroupNameLength  = 128
	maxDescriptionLen   = 2048
	maxFilterLength     = 256
	maxListUsersLimit   = 60
	maxPoolIDLength     = 55
	maxClientIDLength   = 128
	maxClientSecretLen  = 64
	maxChallengeRespLen = 2048
)

var (
	reName     = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	reNoSpace  = regexp.MustCompile(`^\S+$`)
	reToken    = regexp.MustCompile(`^[A-Za-z0-9\-_=.]+$`)
	rePoolID   = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	reClientID = regexp.MustCompile(`^[\w+]+$`)
	rePhone    = regexp.MustCompile(`^\+[0-9]{1,15}$`)
)

// checker collects the first bad argument of a call.
type checker struct {
	op  string
	err error
}

func (c *checker) fail(arg, format string, a ...any) {
	if c.err == nil {
		c.err = &ArgumentError{Op: c.op, Arg: arg, Reason: fmt.Sprintf(format, a...)}
	}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// str checks a string's length (0 min means optional) and, when re is set, its pattern.
func (c *checker) str(arg, v string, min, max int, re *regexp.Regexp) {
	if c.err != nil {
		return
	}
	if !utf8.ValidString(v) {
		c.fail(arg, "is not valid UTF-8")
		return
	}
	n := utf16Len(v)
	switch {
	case n == 0 && min > 0:
		c.fail(arg, "is required")
	case n < min:
		c.fail(arg, "must be at least %d characters long", min)
	case n > max:
		c.fail(arg, "must be at most %d characters long, not %d", max, n)
	case n > 0 && re != nil && !re.MatchString(v):
		c.fail(arg, "has characters Cognito does not accept")
	}
}

func (c *checker) username(v string)         { c.str("username", v, 1, maxUsernameLength, reName) }
func (c *checker) password(arg, v string)    { c.str(arg, v, 1, maxPasswordLength, nil) }
func (c *checker) code(arg, v string)        { c.str(arg, v, 1, maxCodeLength, reNoSpace) }
func (c *checker) token(arg, v string)       { c.str(arg, v, 1, maxTokenLength, reToken) }
func (c *checker) group(v string)            { c.str("group", v, 1, maxGroupNameLength, reName) }
func (c *checker) attrName(arg, name string) { c.str(arg, name, 1, maxAttrNameLength, reName) }

func (c *checker) attrs(arg string, m map[string]string) {
	for name, value := range m {
		c.attrName(arg+" name", name)
		c.str(arg+"["+name+"]", value, 0, maxAttrValueLength, nil)
	}
}

func (c *checker) session(v string) {
	c.str("challenge session", v, minSessionLength, maxSessionLength, nil)
}
