package pool

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// validator collects constraint violations the way the AWS front end reports them: all of
// them at once, as "N validation errors detected: …", raised as InvalidParameterException.
type validator struct {
	problems []string
}

func (v *validator) add(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *validator) required(field, value string) bool {
	if value == "" {
		v.add("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
		return false
	}
	return true
}

func (v *validator) length(field, value string, min, max int) bool {
	n := utf8.RuneCountInString(value)
	if n < min {
		v.add("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", field, min)
		return false
	}
	if max > 0 && n > max {
		v.add("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max)
		return false
	}
	return true
}

func (v *validator) pattern(field, value string, re *regexp.Regexp) bool {
	if !re.MatchString(value) {
		v.add("Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", field, strings.TrimSuffix(strings.TrimPrefix(re.String(), "^(?:"), ")$"))
		return false
	}
	return true
}

func (v *validator) intRange(field string, value *int32, min, max int32) {
	if value == nil {
		return
	}
	if *value < min {
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *value, field, min)
	} else if *value > max {
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *value, field, max)
	}
}

func (v *validator) oneOf(field, value string, allowed ...string) {
	if value == "" {
		return
	}
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, field, strings.Join(allowed, ", "))
}

func (v *validator) err() error {
	switch len(v.problems) {
	case 0:
		return nil
	case 1:
		return invalidParameter("1 validation error detected: %s", v.problems[0])
	default:
		return invalidParameter("%d validation errors detected: %s", len(v.problems), strings.Join(v.problems, "; "))
	}
}

func anchored(expr string) *regexp.Regexp { return regexp.MustCompile("^(?:" + expr + ")$") }

// Patterns from the Cognito API reference.
var (
	rePoolID     = anchored(`[\w-]+_[0-9a-zA-Z]+`)
	rePoolName   = anchored(`[\w\s+=,.@-]+`)
	reClientID   = anchored(`[\w+]+`)
	reClientName = anchored(`[\w\s+=,.@-]+`)
	reUsername   = anchored(`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
	reGroupName  = anchored(`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
	reJobName    = anchored(`[\w\s+=,.@-]+`)
	reJobID      = anchored(`import-[0-9a-zA-Z-]+`)
	reRoleArn    = anchored(`arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`)
	reAttrName   = anchored(`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
	reCustomName = anchored(`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
	// The reference gives every ARN field, the certificate's included, the role's pattern.
	reCertificateArn = reRoleArn
	// reDomainLabel is a prefix domain, and each label of a custom one.
	reDomainLabel        = anchored(`[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?`)
	reResourceServerID   = anchored(`[\x21\x23-\x5B\x5D-\x7E]+`)
	reResourceServerName = anchored(`[\w\s+=,.@-]+`)
	reScopeName          = anchored(`[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`)
	reScope              = anchored(`[\x21\x23-\x5B\x5D-\x7E]+`)
)

// checkPoolID validates a UserPoolId field; it is the first thing almost every operation does.
func checkPoolID(v *validator, id string) {
	if v.required("userPoolId", id) && v.length("userPoolId", id, 1, 55) {
		v.pattern("userPoolId", id, rePoolID)
	}
}

func checkUsername(v *validator, name string) {
	if v.required("username", name) && v.length("username", name, 1, 128) {
		v.pattern("username", name, reUsername)
	}
}

func checkPageLimit(v *validator, field string, limit *int32, min, max int32) {
	v.intRange(field, limit, min, max)
}
