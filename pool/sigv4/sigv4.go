package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Service is the signing name clients put in the credential scope for this API.
const Service = "cognito-idp"

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
	// amzDateLayout is ISO 8601 basic format, the only form X-Amz-Date takes.
	amzDateLayout = "20060102T150405Z"
	scopeLayout   = "20060102"
	// maxSkew is how far a request's date may be from the server clock. AWS uses the same
	// window; it bounds how long a captured request can be replayed.
	maxSkew = 15 * time.Minute
)

// Error codes, spelled as AWS spells them in the __type of an error response.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
)

const (
	msgMissingToken    = "Missing Authentication Token"
	msgUnknownKey      = "The security token included in the request is invalid."
	msgSignatureDiffer = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is a verification failure. Code is the AWS error type to answer with and Message its
// text; both are safe to return to the caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fail(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Credentials maps an access key id to its secret access key.
type Credentials map[string]string

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID string
	Region      string
	Service     string
	// Date is the request's X-Amz-Date, in UTC.
	Date time.Time
}

// authHeader is the parsed Authorization header.
type authHeader struct {
	raw           string
	accessKey     string
	scopeDate     string
	region        string
	service       string
	signedHeaders string
	headerNames   []string
	signature     string
}

// Verify checks that r carries a valid Signature Version 4 for service cognito-idp, signed
// with one of creds at a time within 15 minutes of now. body is the request body, already
// read by the caller (the payload hash covers it). A failure is always an *Error.
func Verify(r *http.Request, body []byte, creds Credentials, now time.Time) (Result, error) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return Result{}, fail(CodeMissingAuthenticationToken, msgMissingToken)
	}
	ah, err := parseAuthorization(raw)
	if err != nil {
		return Result{}, err
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return Result{}, fail(CodeIncompleteSignature,
			"Authorization header requires existence of a 'X-Amz-Date' header. Authorization="+raw)
	}
	date, ok := parseAmzDate(amzDate)
	if !ok {
		return Result{}, fail(CodeIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '"+amzDate+"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if ah.scopeDate != amzDate[:8] {
		return Result{}, fail(CodeInvalidSignature, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			ah.scopeDate, amzDate[:8], amzDate))
	}
	if ah.service != Service {
		return Result{}, fail(CodeInvalidSignature,
			"Credential should be scoped to correct service: '"+Service+"'. ")
	}

	secret, known := creds[ah.accessKey]
	if !known {
		return Result{}, fail(CodeUnrecognizedClient, msgUnknownKey)
	}

	if err := checkSkew(date, now); err != nil {
		return Result{}, err
	}

	bodyHash := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(bodyHash[:])
	// Only S3 accepts a declared hash that differs from the body (UNSIGNED-PAYLOAD, streaming);
	// for a JSON API a mismatch means the body is not the one that was signed.
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" && !strings.EqualFold(declared, payloadHash) {
		return Result{}, fail(CodeInvalidSignature,
			"The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	canonical := canonicalRequest(r, ah, payloadHash)
	canonicalHash := sha256.Sum256([]byte(canonical))
	scope := ah.scopeDate + "/" + ah.region + "/" + ah.service + "/" + terminator
	stringToSign := algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(canonicalHash[:])

	key := signingKey(secret, ah.scopeDate, ah.region, ah.service)
	want := hmacSHA256(key, []byte(stringToSign))
	got, err := hex.DecodeString(ah.signature)
	if err != nil || !hmac.Equal(want, got) {
		return Result{}, fail(CodeInvalidSignature, msgSignatureDiffer)
	}
	return Result{AccessKeyID: ah.accessKey, Region: ah.region, Service: ah.service, Date: date}, nil
}

// ParseScope reads the access key id and region from r's Authorization header without
// verifying anything. It exists for development mode, where any caller is let in but the
// region it signed for still decides which pools it sees.
func ParseScope(r *http.Request) (accessKey, region string, ok bool) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return "", "", false
	}
	ah, err := parseAuthorization(raw)
	if err != nil {
		return "", "", false
	}
	return ah.accessKey, ah.region, true
}

func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateLayout, s)
	// time.Parse accepts one-digit fields in places; formatting back rejects those.
	if err != nil || t.Format(amzDateLayout) != s {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func checkSkew(date, now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	if earliest := now.Add(-maxSkew); date.Before(earliest) {
		return fail(CodeInvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			date.Format(amzDateLayout), earliest.Format(amzDateLayout), now.Format(amzDateLayout)))
	}
	if latest := now.Add(maxSkew); date.After(latest) {
		return fail(CodeInvalidSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			date.Format(amzDateLayout), latest.Format(amzDateLayout), now.Format(amzDateLayout)))
	}
	return nil
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
// Components may be separated by "," with or without spaces, in any order, as AWS accepts.
func parseAuthorization(raw string) (*authHeader, error) {
	incomplete := func(msg string) error {
		return fail(CodeIncompleteSignature, msg+" Authorization="+raw)
	}
	alg, rest, found := strings.Cut(strings.TrimSpace(raw), " ")
	if !found || alg != algorithm {
		if alg != "" && strings.HasPrefix(alg, "AWS4-") {
			return nil, fail(CodeIncompleteSignature, "Unsupported AWS 'algorithm': '"+alg+"'")
		}
		return nil, incomplete("Authorization header requires 'Credential' parameter. " +
			"Authorization header requires 'Signature' parameter. " +
			"Authorization header requires 'SignedHeaders' parameter.")
	}

	ah := &authHeader{raw: raw}
	var credential string
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, incomplete("Authorization header requires each component to be of the form key=value: '" + part + "'.")
		}
		var dup bool
		switch k {
		case "Credential":
			dup, haveCred, credential = haveCred, true, v
		case "SignedHeaders":
			dup, haveSigned, ah.signedHeaders = haveSigned, true, v
		case "Signature":
			dup, haveSig, ah.signature = haveSig, true, v
		default:
			return nil, incomplete("Authorization header has an unknown component '" + k + "'.")
		}
		if dup {
			return nil, incomplete("Authorization header has a duplicate '" + k + "' component.")
		}
	}
	var missing []string
	if !haveCred || credential == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig || ah.signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned || ah.signedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return nil, incomplete(strings.Join(missing, " "))
	}

	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" {
		return nil, incomplete("Credential must have exactly 5 slash-separated components: " +
			"access key id, date, region, service and 'aws4_request'.")
	}
	ah.accessKey, ah.scopeDate, ah.region, ah.service = parts[0], parts[1], parts[2], parts[3]
	if _, err := time.Parse(scopeLayout, ah.scopeDate); err != nil || len(ah.scopeDate) != len(scopeLayout) {
		return nil, incomplete("Credential should be scoped to a valid date in YYYYMMDD format, not '" + ah.scopeDate + "'.")
	}
	if !validRegion(ah.region) {
		return nil, incomplete("Credential should be scoped to a valid region, not '" + ah.region + "'.")
	}
	if parts[4] != terminator {
		return nil, incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[4] + "'.")
	}

	seen := make(map[string]bool)
	for name := range strings.SplitSeq(ah.signedHeaders, ";") {
		lower := strings.ToLower(name)
		if name == "" || seen[lower] {
			return nil, incomplete("SignedHeaders must be a list of distinct header names separated by ';'.")
		}
		seen[lower] = true
		ah.headerNames = append(ah.headerNames, lower)
	}
	if !seen["host"] {
		return nil, incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return ah, nil
}

func validRegion(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalRequest rebuilds what the client hashed. Header lines follow the order of
// SignedHeaders as sent and the SignedHeaders line is repeated verbatim: a compliant client
// sends them sorted and lower-cased, and anything else simply fails to match.
func canonicalRequest(r *http.Request, ah *authHeader, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range ah.headerNames {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(ah.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI escapes the path as it appeared on the wire a second time, byte by byte,
// which is what the SDKs do for every service but S3. Dot segments are not resolved because
// the SDKs do not resolve them either.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
	}
	if p == "" {
		return "/"
	}
	return escape(p, true)
}

// canonicalQuery encodes each name and value and sorts the encoded pairs; AWS specifies that
// sorting happens after encoding. Malformed pairs are dropped, as url.ParseQuery (and hence
// the client that built the signature) drops them.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	values, _ := url.ParseQuery(raw)
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range values {
		ek := escape(k, false)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, escape(v, false)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// escape percent-encodes every byte outside RFC 3986's unreserved set with upper-case hex.
func escape(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// headerValue returns the canonical value of one signed header. net/http moves Host out of
// the header map into r.Host, and a request built in process may carry its length only in
// r.ContentLength, so those two are looked up where they actually live.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		return collapseSpaces(host)
	}
	values := r.Header.Values(name)
	if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	// values aliases the request's header map, so build the result separately.
	cleaned := make([]string, len(values))
	for i, v := range values {
		cleaned[i] = strings.TrimSpace(collapseSpaces(v))
	}
	return strings.Join(cleaned, ",")
}

// collapseSpaces trims spaces at both ends and turns each run of spaces into one. Only the
// space character counts, matching the SDKs; tabs are left alone.
func collapseSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && prevSpace {
			continue
		}
		prevSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte(terminator))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}
