package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "eu-west-1"
)

var (
	testCreds = Credentials{testKey: testSecret, "AKIDOTHER": "other-secret"}
	signTime  = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	testBody  = []byte(`{"UserPoolId":"eu-west-1_abc","Limit":10}`)
)

func payloadHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// newRequest builds a request the way an SDK client would send it to this service.
func newRequest(t testing.TB, target string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ListUsers")
	return r
}

func sign(t testing.TB, r *http.Request, body []byte, key, secret, token, region string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash(body), Service, region, at); err != nil {
		t.Fatal(err)
	}
}

func signed(t testing.TB, body []byte) *http.Request {
	t.Helper()
	r := newRequest(t, "https://cognito-idp.eu-west-1.amazonaws.com/", body)
	sign(t, r, body, testKey, testSecret, "", testRegion, signTime)
	return r
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error with code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%q), want %s", e.Code, e.Message, code)
	}
	if msg != "" && e.Message != msg {
		t.Fatalf("message = %q\n want %q", e.Message, msg)
	}
}

func TestVerifySDKSigned(t *testing.T) {
	tests := []struct {
		name   string
		target string
		region string
		token  string
		body   []byte
		extra  map[string][]string
	}{
		{name: "plain", target: "https://cognito-idp.eu-west-1.amazonaws.com/", region: testRegion, body: testBody},
		{name: "local with port", target: "http://127.0.0.1:9229/", region: "us-east-1", body: testBody},
		{name: "default port stripped", target: "https://localhost:443/", region: "us-east-1", body: testBody},
		{name: "empty body", target: "http://localhost:9229/", region: testRegion, body: nil},
		{name: "session token", target: "http://localhost:9229/", region: testRegion, token: "FQoGZXIvYXdzEJr//////////token==", body: testBody},
		{name: "query string", target: "http://localhost:9229/?b=2&a=1&a=0&c=a%2Fb&c=a-b&sp=x+y&u=%C3%BC", region: testRegion, body: testBody},
		{name: "escaped path", target: "http://localhost:9229/some%20path/%C3%BC/a+b/", region: testRegion, body: testBody},
		{name: "odd headers", target: "http://localhost:9229/", region: "ap-southeast-2", body: testBody, extra: map[string][]string{
			"X-Custom":   {"  a   b  c  ", "second  value"},
			"X-Tabbed":   {"a\t\tb"},
			"X-Empty":    {""},
			"User-Agent": {"unsigned-by-sdk/1.0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(t, tt.target, tt.body)
			for k, vs := range tt.extra {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			sign(t, r, tt.body, testKey, testSecret, tt.token, tt.region, signTime)
			before := r.Header.Clone()
			res, err := Verify(r, tt.body, testCreds, signTime.Add(3*time.Minute))
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			want := Result{AccessKeyID: testKey, Region: tt.region, Service: Service, Date: signTime}
			if res != want {
				t.Fatalf("result = %+v, want %+v", res, want)
			}
			for k, v := range before {
				if got := r.Header[k]; strings.Join(got, "\x00") != strings.Join(v, "\x00") {
					t.Fatalf("Verify changed header %s: %q -> %q", k, v, got)
				}
			}
		})
	}
}

// TestVerifyOverHTTP checks the server side for real: net/http moves Host into r.Host and
// keeps the request line's escaping, and both must still give the signed canonical request.
func TestVerifyOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		res, err := Verify(r, body, testCreds, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		io.WriteString(w, res.AccessKeyID+" "+res.Region)
	}))
	defer srv.Close()

	for _, path := range []string{"/", "/a%20b/%C3%BC?x=1&y=a+b"} {
		r := newRequest(t, srv.URL+path, testBody)
		sign(t, r, testBody, testKey, testSecret, "", testRegion, time.Now())
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != testKey+" "+testRegion {
			t.Fatalf("%s: status %d body %q", path, resp.StatusCode, got)
		}
	}
}

// TestKnownAnswer uses the worked example from AWS's Signature Version 4 documentation, so
// the canonicalization is checked against something other than the SDK as well.
func TestKnownAnswer(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	ah := &authHeader{
		scopeDate: "20150830", region: "us-east-1", service: "iam",
		signedHeaders: "content-type;host;x-amz-date",
		headerNames:   []string{"content-type", "host", "x-amz-date"},
	}
	canonical := canonicalRequest(r, ah, payloadHash(nil))
	h := sha256.Sum256([]byte(canonical))
	if got := hex.EncodeToString(h[:]); got != "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59" {
		t.Fatalf("canonical request hash = %s\n%s", got, canonical)
	}
	key := signingKey(testSecret, "20150830", "us-east-1", "iam")
	if got := hex.EncodeToString(key); got != "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9" {
		t.Fatalf("signing key = %s", got)
	}
	sts := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" + hex.EncodeToString(h[:])
	if got := hex.EncodeToString(hmacSHA256(key, []byte(sts))); got != "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7" {
		t.Fatalf("signature = %s", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	now := signTime.Add(time.Minute)
	tests := []struct {
		name   string
		mutate func(t *testing.T) (*http.Request, []byte)
		code   string
		msg    string
	}{
		{name: "wrong secret", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := newRequest(t, "http://localhost/", testBody)
			sign(t, r, testBody, testKey, "not-the-secret", "", testRegion, signTime)
			return r, testBody
		}},
		{name: "unknown key", code: CodeUnrecognizedClient, msg: "The security token included in the request is invalid.", mutate: func(t *testing.T) (*http.Request, []byte) {
			r := newRequest(t, "http://localhost/", testBody)
			sign(t, r, testBody, "AKIDUNKNOWN", testSecret, "", testRegion, signTime)
			return r, testBody
		}},
		{name: "changed body", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			return signed(t, testBody), []byte(`{"UserPoolId":"eu-west-1_abc","Limit":60}`)
		}},
		{name: "changed signed header", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
			return r, testBody
		}},
		{name: "changed host", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Host = "evil.example"
			return r, testBody
		}},
		{name: "changed query", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.URL.RawQuery = "x=1"
			return r, testBody
		}},
		{name: "changed method", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Method = http.MethodPut
			return r, testBody
		}},
		{name: "changed date header", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Set("X-Amz-Date", "20240501T120001Z")
			return r, testBody
		}},
		{name: "truncated signature", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2])
			return r, testBody
		}},
		{name: "non-hex signature", code: CodeInvalidSignature, msg: msgSignatureDiffer, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+"z")
			return r, testBody
		}},
		{name: "content sha mismatch", code: CodeInvalidSignature, msg: "The provided 'x-amz-content-sha256' header does not match what was computed.", mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r, testBody
		}},
		{name: "wrong service", code: CodeInvalidSignature, msg: "Credential should be scoped to correct service: 'cognito-idp'. ", mutate: func(t *testing.T) (*http.Request, []byte) {
			r := newRequest(t, "http://localhost/", testBody)
			creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash(testBody), "sts", testRegion, signTime); err != nil {
				t.Fatal(err)
			}
			return r, testBody
		}},
		{name: "scope date differs", code: CodeInvalidSignature,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240501' != '20240502', from '20240502T000000Z'.",
			mutate: func(t *testing.T) (*http.Request, []byte) {
				r := signed(t, testBody)
				r.Header.Set("X-Amz-Date", "20240502T000000Z")
				return r, testBody
			}},
		{name: "missing authorization", code: CodeMissingAuthenticationToken, msg: "Missing Authentication Token", mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Del("Authorization")
			return r, testBody
		}},
		{name: "missing date", code: CodeIncompleteSignature, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Del("X-Amz-Date")
			return r, testBody
		}},
		{name: "bad date", code: CodeIncompleteSignature, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Set("X-Amz-Date", "2024-05-01T12:00:00Z")
			return r, testBody
		}},
		{name: "short date fields", code: CodeIncompleteSignature, mutate: func(t *testing.T) (*http.Request, []byte) {
			r := signed(t, testBody)
			r.Header.Set("X-Amz-Date", "20240501T1200000")
			return r, testBody
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.mutate(t)
			_, err := Verify(r, body, testCreds, now)
			wantCode(t, err, tt.code, tt.msg)
		})
	}
}

func TestVerifyClockSkew(t *testing.T) {
	r := signed(t, testBody)
	for _, d := range []time.Duration{-15 * time.Minute, 0, 15 * time.Minute} {
		if _, err := Verify(r, testBody, testCreds, signTime.Add(d)); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
	_, err := Verify(r, testBody, testCreds, signTime.Add(16*time.Minute))
	wantCode(t, err, CodeInvalidSignature,
		"Signature expired: 20240501T120000Z is now earlier than 20240501T120100Z (20240501T121600Z - 15 min.)")
	_, err = Verify(r, testBody, testCreds, signTime.Add(-16*time.Minute))
	wantCode(t, err, CodeInvalidSignature,
		"Signature not yet current: 20240501T120000Z is still later than 20240501T115900Z (20240501T114400Z + 15 min.)")
	// The server clock's zone and sub-second part must not shift the window.
	loc := time.FixedZone("UTC+5", 5*3600)
	if _, err := Verify(r, testBody, testCreds, signTime.Add(15*time.Minute+999*time.Millisecond).In(loc)); err != nil {
		t.Errorf("15m + 999ms in another zone: %v", err)
	}
}

func TestVerifyGarbageAuthorization(t *testing.T) {
	valid := signed(t, testBody).Header.Get("Authorization")
	cred := "Credential=" + testKey + "/20240501/" + testRegion + "/cognito-idp/aws4_request"
	sig := "Signature=" + strings.Repeat("ab", 32)
	tests := []string{
		"garbage",
		"Bearer abc.def.ghi",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"AWS4-HMAC-SHA1 " + cred + ", SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 " + cred,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host",
		"AWS4-HMAC-SHA256 " + cred + ", " + sig,
		"AWS4-HMAC-SHA256 SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, Signature=",
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ", " + sig,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ", Extra=1",
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig + ", novalue",
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=content-type;x-amz-date, " + sig,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;Host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/20240501/" + testRegion + "/cognito-idp, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/20240501/" + testRegion + "/cognito-idp/aws4_request/x, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=/20240501/" + testRegion + "/cognito-idp/aws4_request, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/2024-05-01/" + testRegion + "/cognito-idp/aws4_request, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/20240501//cognito-idp/aws4_request, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/20240501/EU West/cognito-idp/aws4_request, SignedHeaders=host, " + sig,
		"AWS4-HMAC-SHA256 Credential=" + testKey + "/20240501/" + testRegion + "/cognito-idp/aws5_request, SignedHeaders=host, " + sig,
		strings.Replace(valid, "Credential=", "Credential ", 1),
		strings.Replace(valid, "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256,", 1),
	}
	for _, h := range tests {
		r := signed(t, testBody)
		r.Header.Set("Authorization", h)
		_, err := Verify(r, testBody, testCreds, signTime)
		wantCode(t, err, CodeIncompleteSignature, "")
		if _, _, ok := ParseScope(r); ok {
			t.Errorf("ParseScope accepted %q", h)
		}
	}
}

func TestVerifyLenientLayout(t *testing.T) {
	r := signed(t, testBody)
	a := r.Header.Get("Authorization")
	// Components without spaces after the commas, and in another order, are what some
	// hand-written clients send; the signature still covers everything that matters.
	rest := strings.TrimPrefix(a, algorithm+" ")
	parts := strings.Split(rest, ", ")
	r.Header.Set("Authorization", algorithm+"  "+parts[2]+","+parts[0]+" ,"+parts[1])
	if _, err := Verify(r, testBody, testCreds, signTime); err != nil {
		t.Fatal(err)
	}
}

func TestParseScope(t *testing.T) {
	r := signed(t, testBody)
	key, region, ok := ParseScope(r)
	if !ok || key != testKey || region != testRegion {
		t.Fatalf("ParseScope = %q %q %v", key, region, ok)
	}
	r.Header.Del("Authorization")
	if _, _, ok := ParseScope(r); ok {
		t.Fatal("ParseScope accepted a request without Authorization")
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Code: CodeUnrecognizedClient, Message: msgUnknownKey}
	if e.Error() != "UnrecognizedClientException: The security token included in the request is invalid." {
		t.Fatal(e.Error())
	}
}

func TestCanonicalHelpers(t *testing.T) {
	if got := collapseSpaces("  a   b c  "); got != "a b c" {
		t.Errorf("collapseSpaces = %q", got)
	}
	if got := escape("a b/ü~-._+", true); got != "a%20b/%C3%BC~-._%2B" {
		t.Errorf("escape = %q", got)
	}
	if got := canonicalQuery("c=a-b&c=a%2Fb&b&a=%20"); got != "a=%20&b=&c=a%2Fb&c=a-b" {
		t.Errorf("canonicalQuery = %q", got)
	}
}

func FuzzVerify(f *testing.F) {
	r := signed(f, testBody)
	f.Add(r.Header.Get("Authorization"), testBody)
	f.Add("", []byte(nil))
	f.Add("AWS4-HMAC-SHA256 Credential=a/20240501/r/cognito-idp/aws4_request, SignedHeaders=host, Signature=00", []byte("{}"))
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/eu-west-1/cognito-idp/aws4_request,SignedHeaders=content-length;host;x-amz-date;x-amz-target,Signature=zz", []byte("{"))
	amzDate := r.Header.Get("X-Amz-Date")
	f.Fuzz(func(t *testing.T, auth string, body []byte) {
		req := newRequest(t, "http://localhost:9229/", body)
		req.Header.Set("X-Amz-Date", amzDate)
		req.Header["Authorization"] = []string{auth}
		res, err := Verify(req, body, testCreds, signTime)
		if err == nil {
			if res.AccessKeyID == "" || res.Service != Service {
				t.Fatalf("accepted with result %+v", res)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
			t.Fatalf("error %v is not a complete *Error", err)
		}
		ParseScope(req)
	})
}
