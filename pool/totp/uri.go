package totp

import "strings"

// URI returns the otpauth URI an authenticator app scans from a QR code:
//
//	otpauth://totp/Issuer:account?secret=SECRET&issuer=Issuer
//
// The label's issuer and account and each parameter value are percent-encoded byte by byte,
// leaving only RFC 3986 unreserved characters as they are, so a colon inside either cannot be
// read as the label's separator, a space is %20 (never '+', which apps show literally) and
// non-ASCII text arrives as its UTF-8 bytes. With an empty issuer the label is the account
// alone and there is no issuer parameter.
//
// algorithm, digits and period are left out: SHA1, 6 and 30 are their defaults in the key URI
// format, some apps ignore them anyway, and the URI Cognito's own client libraries build for
// a SecretCode leaves them out too, so a user sees the same entry either way.
func URI(issuer, account, secret string) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	if issuer != "" {
		escape(&b, issuer)
		b.WriteByte(':')
	}
	escape(&b, account)
	b.WriteString("?secret=")
	escape(&b, secret)
	if issuer != "" {
		b.WriteString("&issuer=")
		escape(&b, issuer)
	}
	return b.String()
}

// escape writes s to b with every byte but the RFC 3986 unreserved characters
// percent-encoded in upper-case hex.
func escape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
}
