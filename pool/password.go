package pool

import (
	"crypto/subtle"
	"strings"
)

// passwordSymbols are the characters Cognito counts as symbols.
const passwordSymbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

func checkPasswordShape(v *validator, field, password string) {
	if !v.required(field, password) || !v.length(field, password, 1, 256) {
		return
	}
	// Cognito's pattern ^[\S]+.*[\S]+$: no leading or trailing white space.
	if strings.TrimSpace(password) != password {
		v.add("Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$", field)
	}
}

// checkPasswordPolicy applies the pool's policy with Cognito's messages. Letters must be
// Basic Latin to count as upper or lower case, as on Cognito.
func checkPasswordPolicy(pp PasswordPolicy, password string) error {
	if pp.MinimumLength != nil && len([]rune(password)) < int(*pp.MinimumLength) {
		return newError(ExInvalidPassword, "Password did not conform with policy: Password not long enough")
	}
	var upper, lower, digit, symbol bool
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	switch {
	case pp.RequireLowercase && !lower:
		return newError(ExInvalidPassword, "Password did not conform with policy: Password must have lowercase characters")
	case pp.RequireUppercase && !upper:
		return newError(ExInvalidPassword, "Password did not conform with policy: Password must have uppercase characters")
	case pp.RequireNumbers && !digit:
		return newError(ExInvalidPassword, "Password did not conform with policy: Password must have numeric characters")
	case pp.RequireSymbols && !symbol:
		return newError(ExInvalidPassword, "Password did not conform with policy: Password must have symbol characters")
	}
	return nil
}

// temporaryPassword makes a random password that satisfies any Cognito policy.
func temporaryPassword(pp PasswordPolicy) string {
	n := 12
	if pp.MinimumLength != nil && int(*pp.MinimumLength) > n {
		n = int(*pp.MinimumLength)
	}
	var b strings.Builder
	b.WriteString(randomString("ABCDEFGHJKLMNPQRSTUVWXYZ", 1))
	b.WriteString(randomString("abcdefghijkmnopqrstuvwxyz", 1))
	b.WriteString(randomString("23456789", 1))
	b.WriteString(randomString("!#%&*+-=?@^_", 1))
	b.WriteString(randomString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", n-4))
	return b.String()
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
