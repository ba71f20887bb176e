package apitest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// The app side of the hosted-UI tests: a registered callback nobody listens on (the browser
// stand-in stops at it) and a sign-out URL.
const (
	appCallback = "http://localhost:4200/oauth/callback"
	appLogout   = "http://localhost:4200/oauth/logout"
)

// hostedSetup is a pool with an OAuth app client and, unless the pool signs in by e-mail
// (whose usernames are generated), one confirmed user, quinn.
type hostedSetup struct {
	p        *pooltest.Pool
	c        *cip.Client
	poolID   string
	clientID string
	secret   string
	issuer   string
}

func newHostedSetup(t testing.TB, p *pooltest.Pool, editPool func(*cip.CreateUserPoolInput), edit ...func(*cip.CreateUserPoolClientInput)) hostedSetup {
	t.Helper()
	c := p.Admin()
	var poolEdits []func(*cip.CreateUserPoolInput)
	signsInByEmail := false
	if editPool != nil {
		poolEdits = append(poolEdits, editPool, func(in *cip.CreateUserPoolInput) { signsInByEmail = len(in.UsernameAttributes) > 0 })
	}
	poolID := newPool(t, c, poolEdits...)
	in := &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true,
		AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeCode, types.OAuthFlowTypeImplicit},
		AllowedOAuthScopes:              []string{"openid", "email", "profile"},
		CallbackURLs:                    []string{appCallback},
		LogoutURLs:                      []string{appLogout},
		SupportedIdentityProviders:      []string{"COGNITO"},
	}
	for _, e := range edit {
		e(in)
	}
	client := must(c.CreateUserPoolClient(ctx(t), in))(t).UserPoolClient
	if !signsInByEmail {
		createUser(t, c, poolID, "quinn", "email", "quinn@example.com", "email_verified", "true", "given_name", "Quinn")
		must(c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("quinn"),
			Password: aws.String(password), Permanent: true}))(t)
	}
	return hostedSetup{p: p, c: c, poolID: poolID, clientID: aws.ToString(client.ClientId),
		secret: aws.ToString(client.ClientSecret), issuer: p.URL + "/" + poolID}
}

// browser is a cookie-keeping HTTP client that follows redirects inside the pool and stops
// at the app's, as a browser would hand the app its callback.
type browser struct {
	t      testing.TB
	client *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "localhost:4200" {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// page is a fetched response with its body read.
type page struct {
	status   int
	location string
	body     string
	url      *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), url: resp.Request.URL}
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

var (
	reForm  = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	reInput = regexp.MustCompile(`<input [^>]*>`)
	reAttr  = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
)

// submit fills the first form of a page whose action ends in action with its hidden fields
// plus fields, and posts it as a browser would (same-origin).
func (b *browser) submit(p page, action string, fields map[string]string) page {
	b.t.Helper()
	for _, m := range reForm.FindAllStringSubmatch(p.body, -1) {
		if !strings.HasSuffix(m[1], action) {
			continue
		}
		form := url.Values{}
		for _, input := range reInput.FindAllString(m[2], -1) {
			// What a browser sends untouched: every named field with a value, radios only
			// when checked.
			attrs := map[string]string{}
			for _, a := range reAttr.FindAllStringSubmatch(strings.TrimPrefix(input, "<input "), -1) {
				attrs[a[1]] = htmlUnescape(a[2])
			}
			if _, checked := attrs["checked"]; attrs["name"] == "" || attrs["type"] == "radio" && !checked {
				continue
			}
			if _, hasValue := attrs["value"]; hasValue {
				form.Add(attrs["name"], attrs["value"])
			}
		}
		for k, v := range fields {
			form.Set(k, v)
		}
		target := p.url.ResolveReference(&url.URL{Path: m[1]})
		req, err := http.NewRequest(http.MethodPost, target.String(), strings.NewReader(form.Encode()))
		if err != nil {
			b.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", target.Scheme+"://"+target.Host)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return b.do(req)
	}
	b.t.Fatalf("no form posting to %s on the page (status %d):\n%s", action, p.status, p.body)
	return page{}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

// callbackParams reads the query (code flow) or fragment (implicit flow) of a redirect to
// the app.
func callbackParams(t *testing.T, p page, fragment bool) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, appCallback) {
		t.Fatalf("want a redirect to the app, got %d to %q:\n%s", p.status, p.location, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	if fragment {
		v, err := url.ParseQuery(u.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return u.Query()
}

// postForm calls an OAuth endpoint as an app's server does.
func postForm(t *testing.T, endpoint string, form url.Values, basicID, basicSecret string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}
