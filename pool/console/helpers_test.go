package console_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/server"
)

const (
	loopback  = "127.0.0.1:40000"
	elsewhere = "192.0.2.7:40000"
)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// development runs the pool without credentials (development mode).
func development(cfg *server.Config) { cfg.Credentials = nil }

// enabled turns the console on.
func enabled(cfg *server.Config) { cfg.Console = true }

// browser drives a pool's handler in-process as one browser would: from one remote
// address, keeping cookies.
type browser struct {
	t      testing.TB
	h      http.Handler
	remote string
	jar    map[string]*http.Cookie
	// header is added to every request.
	header http.Header
}

func newBrowser(t testing.TB, p *pooltest.Pool, remote string) *browser {
	return &browser{t: t, h: p.Server.Handler(), remote: remote, jar: map[string]*http.Cookie{}, header: http.Header{}}
}

type response struct {
	*http.Response
	Body   string
	method string
	target string
}

func (b *browser) do(method, target string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = b.remote
	// A browser on this machine names the server by a loopback address; one elsewhere by
	// its host name.
	if host, _, _ := net.SplitHostPort(b.remote); net.ParseIP(host).IsLoopback() {
		req.Host = "127.0.0.1:9229"
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	for _, c := range b.jar {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c
		}
	}
	raw, _ := io.ReadAll(res.Body)
	return response{Response: res, Body: string(raw), method: method, target: target}
}

func (b *browser) get(target string) response { b.t.Helper(); return b.do(http.MethodGet, target, nil) }

// csrf is the browser's CSRF cookie value, fetching a page first if it has none.
func (b *browser) csrf() string {
	b.t.Helper()
	for _, c := range b.jar {
		if strings.HasSuffix(c.Name, "hashless-console-csrf") {
			return c.Value
		}
	}
	for _, page := range []string{"/_local/console/login", "/_local/console/"} {
		b.get(page)
		for _, c := range b.jar {
			if strings.HasSuffix(c.Name, "hashless-console-csrf") {
				return c.Value
			}
		}
	}
	b.t.Fatal("no CSRF cookie was set")
	return ""
}

// post submits a form with the browser's CSRF token.
func (b *browser) post(target string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf())
	return b.do(http.MethodPost, target, form)
}

func (b *browser) login(key, secret string) response {
	b.t.Helper()
	return b.post("/_local/console/login", url.Values{"access_key": {key}, "secret": {secret}})
}

func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.method, r.target, r.StatusCode, status, excerpt(r.Body))
	}
}

func excerpt(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// text is a page's text without markup, spaces collapsed.
func text(html string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(html, " ")), " ")
}

func newPool(t testing.TB, c *cip.Client) string {
	t.Helper()
	out, err := c.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{
		PoolName:               aws.String("console-pool"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireNumbers: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.UserPool.Id)
}

func createUser(t testing.TB, c *cip.Client, poolID, username, email string) {
	t.Helper()
	_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: &username,
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")}}})
	if err != nil {
		t.Fatal(err)
	}
}

func consoleURL(format string, args ...any) string {
	return "/_local/console/" + fmt.Sprintf(format, args...)
}
