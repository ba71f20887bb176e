package console_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/console"
	"github.com/hashless/hashless/pool/server"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func TestConsoleOpenOnLoopbackInDevelopmentMode(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	b := newBrowser(t, p, loopback)
	r := b.get("/_local/console")
	wantStatus(t, r, http.StatusMovedPermanently)
	if loc := r.Header.Get("Location"); loc != "/_local/console/" {
		t.Fatalf("redirect to %q", loc)
	}
	r = b.get("/_local/console/")
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
		t.Fatalf("CSP %q", got)
	}
	if !strings.Contains(r.Body, "Development mode") || strings.Contains(r.Body, "Sign out") {
		t.Fatalf("open console page:\n%s", excerpt(r.Body))
	}
	// The stylesheet and the script come from the console itself.
	for _, asset := range []string{"static/console.css", "static/console.js"} {
		wantStatus(t, b.get("/_local/console/"+asset), http.StatusOK)
	}
	// The same server, reached from elsewhere (through a proxy, say), has no open console
	// and, not enabled, none at all.
	wantStatus(t, newBrowser(t, p, elsewhere).get("/_local/console/"), http.StatusNotFound)
}

func TestConsoleOffUnlessEnabled(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory")
	for _, remote := range []string{loopback, elsewhere} {
		b := newBrowser(t, p, remote)
		for _, path := range []string{"/_local/console/", "/_local/console/login", "/_local/console/messages.json", "/_local/console/static/console.js"} {
			r := b.get(path)
			wantStatus(t, r, http.StatusNotFound)
			if !strings.Contains(r.Body, "--console") {
				t.Fatalf("%s from %s: %s", path, remote, r.Body)
			}
		}
		wantStatus(t, b.do(http.MethodPost, "/_local/console/login", url.Values{"access_key": {pooltest.AccessKey},
			"secret": {pooltest.SecretKey}}), http.StatusNotFound)
	}

	// Development mode with the console enabled has nothing to sign in with off loopback.
	dev := pooltest.Start(t, "memory", development, enabled)
	wantStatus(t, newBrowser(t, dev, elsewhere).get("/_local/console/"), http.StatusForbidden)
	wantStatus(t, newBrowser(t, dev, loopback).get("/_local/console/"), http.StatusOK)
}

func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", enabled)
	for _, remote := range []string{loopback, elsewhere} {
		t.Run(remote, func(t *testing.T) {
			b := newBrowser(t, p, remote)
			r := b.get("/_local/console/pools/us-east-1_abcdefghi/users?q=x")
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/_local/console/login?next=") {
				t.Fatalf("redirect to %q", loc)
			}
			wantStatus(t, b.get("/_local/console/messages.json"), http.StatusUnauthorized)
			r = b.get("/_local/console/login")
			wantStatus(t, r, http.StatusOK)
			if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
				t.Fatalf("CSP %q", got)
			}
			if !strings.Contains(r.Body, `name="csrf"`) || !strings.Contains(r.Body, `type="password"`) {
				t.Fatalf("login page:\n%s", r.Body)
			}

			// Wrong secret, unknown key, a key with another key's secret: refused alike.
			for _, kv := range [][2]string{{pooltest.AccessKey, "wrong"}, {"AKIDNOBODY", pooltest.SecretKey}, {"", ""}} {
				r = b.login(kv[0], kv[1])
				wantStatus(t, r, http.StatusUnauthorized)
				if !strings.Contains(r.Body, "The access key or secret is wrong.") || hasSession(b) {
					t.Fatalf("wrong credentials: session %v\n%s", hasSession(b), excerpt(r.Body))
				}
			}
			// Without the CSRF token, or with another, the right secret does not sign in.
			r = b.do(http.MethodPost, "/_local/console/login", url.Values{"access_key": {pooltest.AccessKey}, "secret": {pooltest.SecretKey}})
			wantStatus(t, r, http.StatusForbidden)
			r = b.do(http.MethodPost, "/_local/console/login", url.Values{"access_key": {pooltest.AccessKey}, "secret": {pooltest.SecretKey},
				"csrf": {strings.Repeat("A", 43)}})
			wantStatus(t, r, http.StatusForbidden)
			// A cross-site form post is refused before anything else.
			b.header.Set("Sec-Fetch-Site", "cross-site")
			wantStatus(t, b.login(pooltest.AccessKey, pooltest.SecretKey), http.StatusForbidden)
			b.header.Del("Sec-Fetch-Site")
			if hasSession(b) {
				t.Fatal("a refused form signed in")
			}

			r = b.do(http.MethodPost, "/_local/console/login", url.Values{"access_key": {pooltest.AccessKey}, "secret": {pooltest.SecretKey},
				"csrf": {b.csrf()}, "next": {"/_local/console/messages"}})
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != "/_local/console/messages" {
				t.Fatalf("after sign-in, redirect to %q", loc)
			}
			var session *http.Cookie
			for _, c := range r.Cookies() {
				if c.Name == "hashless-console-session" {
					session = c
				}
			}
			if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure ||
				session.Path != "/_local/console/" || len(session.Value) != 43 {
				t.Fatalf("session cookie %+v", session)
			}
			r = b.get("/_local/console/")
			wantStatus(t, r, http.StatusOK)
			if !strings.Contains(r.Body, "Sign out") || strings.Contains(r.Body, "Development mode") {
				t.Fatalf("signed-in page:\n%s", excerpt(r.Body))
			}
			wantStatus(t, b.get("/_local/console/messages.json"), http.StatusOK)

			// A redirect after sign-in never leaves the console.
			for _, next := range []string{"https://elsewhere.example/", "//elsewhere.example/", "/other", "/_local/console/../x"} {
				r = b.do(http.MethodPost, "/_local/console/login", url.Values{"access_key": {pooltest.AccessKey}, "secret": {pooltest.SecretKey},
					"csrf": {b.csrf()}, "next": {next}})
				if loc := r.Header.Get("Location"); loc != "/_local/console/" {
					t.Fatalf("next %q redirected to %q", next, loc)
				}
			}

			// Signing out ends the session on the server, not only in the browser.
			stolen := b.jar["hashless-console-session"].Value
			wantStatus(t, b.post("/_local/console/logout", nil), http.StatusSeeOther)
			wantStatus(t, b.get("/_local/console/"), http.StatusSeeOther)
			b.jar["hashless-console-session"] = &http.Cookie{Name: "hashless-console-session", Value: stolen}
			wantStatus(t, b.get("/_local/console/"), http.StatusSeeOther)
		})
	}
}

func hasSession(b *browser) bool {
	for name := range b.jar {
		if strings.HasSuffix(name, "hashless-console-session") {
			return true
		}
	}
	return false
}

func TestConsoleSignInThrottled(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", enabled)
	b := newBrowser(t, p, elsewhere)
	for range 10 {
		wantStatus(t, b.login(pooltest.AccessKey, "wrong"), http.StatusUnauthorized)
	}
	wantStatus(t, b.login(pooltest.AccessKey, pooltest.SecretKey), http.StatusTooManyRequests)
	// Another address is not held back by this one's failures.
	wantStatus(t, newBrowser(t, p, "192.0.2.8:1").login(pooltest.AccessKey, pooltest.SecretKey), http.StatusSeeOther)
}

func TestConsoleSecureCookies(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", enabled, func(cfg *server.Config) { cfg.PublicURL = "https://pool.example" })
	b := newBrowser(t, p, elsewhere)
	r := b.login(pooltest.AccessKey, pooltest.SecretKey)
	wantStatus(t, r, http.StatusSeeOther)
	names := map[string]bool{}
	for _, c := range r.Cookies() {
		names[c.Name] = true
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
			t.Fatalf("cookie %+v", c)
		}
	}
	if !names["__Host-hashless-console-session"] || !names["__Host-hashless-console-csrf"] {
		t.Fatalf("cookies %v", names)
	}
	wantStatus(t, b.get("/_local/console/"), http.StatusOK)
}

func TestConsoleActionsNeedCSRFAndConfirmation(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", enabled)
	c := p.Admin()
	poolID := newPool(t, c)
	createUser(t, c, poolID, "ada", "ada@example.com")
	b := newBrowser(t, p, loopback)
	wantStatus(t, b.login(pooltest.AccessKey, pooltest.SecretKey), http.StatusSeeOther)

	enabledNow := func() bool {
		u, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ada")})
		if err != nil {
			t.Fatal(err)
		}
		return u.Enabled
	}
	r := b.get(consoleURL("pools/%s/user?username=ada", poolID))
	wantStatus(t, r, http.StatusOK)
	confirm := fmt.Sprintf("/_local/console/pools/%s/user/confirm?action=disable&amp;username=ada", poolID)
	if !strings.Contains(r.Body, confirm) {
		t.Fatalf("no link to the confirmation page %s:\n%s", confirm, excerpt(r.Body))
	}
	// The confirmation page changes nothing; it carries the form.
	r = b.get(consoleURL("pools/%s/user/confirm?action=disable&username=ada", poolID))
	wantStatus(t, r, http.StatusOK)
	if !enabledNow() || !strings.Contains(r.Body, `action="/_local/console/pools/`+poolID+`/user/disable"`) || !strings.Contains(r.Body, `name="csrf"`) {
		t.Fatalf("confirmation page:\n%s", excerpt(r.Body))
	}
	// A GET of the action does nothing.
	if r := b.get(consoleURL("pools/%s/user/disable?username=ada", poolID)); r.StatusCode < 400 {
		t.Fatalf("GET of an action: %d", r.StatusCode)
	}
	// Without the token, or cross-site, the action is refused.
	wantStatus(t, b.do(http.MethodPost, consoleURL("pools/%s/user/disable", poolID), url.Values{"username": {"ada"}}), http.StatusForbidden)
	b.header.Set("Origin", "https://elsewhere.example")
	b.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, b.post(consoleURL("pools/%s/user/disable", poolID), url.Values{"username": {"ada"}}), http.StatusForbidden)
	b.header = http.Header{}
	if !enabledNow() {
		t.Fatal("a refused form disabled the user")
	}

	r = b.post(consoleURL("pools/%s/user/disable", poolID), url.Values{"username": {"ada"}})
	wantStatus(t, r, http.StatusSeeOther)
	if enabledNow() {
		t.Fatal("the user is still enabled")
	}
	r = b.get(r.Header.Get("Location"))
	if !strings.Contains(r.Body, "The user was disabled.") || !strings.Contains(text(r.Body), "Enabled No") {
		t.Fatalf("after disabling:\n%s", excerpt(r.Body))
	}
	wantStatus(t, b.post(consoleURL("pools/%s/user/enable", poolID), url.Values{"username": {"ada"}}), http.StatusSeeOther)
	if !enabledNow() {
		t.Fatal("the user is still disabled")
	}
	wantStatus(t, b.post(consoleURL("pools/%s/user/sign-out", poolID), url.Values{"username": {"ada"}}), http.StatusSeeOther)
	wantStatus(t, b.post(consoleURL("pools/%s/user/reset-password", poolID), url.Values{"username": {"ada"}}), http.StatusSeeOther)
	u, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ada")})
	if err != nil || u.UserStatus != types.UserStatusTypeResetRequired {
		t.Fatalf("after reset: %v %v", err, u)
	}
	// A failing action says why, on the confirmation page.
	r = b.post(consoleURL("pools/%s/user/disable", poolID), url.Values{"username": {"nobody"}})
	wantStatus(t, r, http.StatusNotFound)
	if !strings.Contains(r.Body, "User does not exist.") {
		t.Fatalf("failed action:\n%s", excerpt(r.Body))
	}
	r = b.post(consoleURL("pools/%s/user/delete", poolID), url.Values{"username": {"ada"}})
	wantStatus(t, r, http.StatusSeeOther)
	if !strings.Contains(b.get(r.Header.Get("Location")).Body, "The user was deleted.") {
		t.Fatal("no notice after deleting")
	}
	if _, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ada")}); err == nil {
		t.Fatal("the user still exists")
	}
}

var (
	userLinks = regexp.MustCompile(`href="/_local/console/pools/[^/"]+/user\?username=([^"&]+)"`)
	nextLink  = regexp.MustCompile(`href="([^"]+)" rel="next" id="next-page"`)
)

func TestConsoleUsersSearchAndPaging(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	c := p.Admin()
	poolID := newPool(t, c)
	var csv bytes.Buffer
	csv.WriteString("cognito:username,email,email_verified,phone_number,phone_number_verified,cognito:mfa_enabled\n")
	for i := range 130 {
		fmt.Fprintf(&csv, "member%03d,m%03d@example.com,true,+1555000%04d,false,false\n", i, i, i)
	}
	if res, err := p.Server.Service.ImportUsers(ctx(t), poolID, &csv, nil); err != nil || res.Imported != 130 {
		t.Fatalf("import: %v %+v", err, res)
	}
	b := newBrowser(t, p, loopback)
	users := consoleURL("pools/%s/users", poolID)

	seen := map[string]bool{}
	next := users
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		r := b.get(next)
		wantStatus(t, r, http.StatusOK)
		for _, m := range userLinks.FindAllStringSubmatch(r.Body, -1) {
			if seen[m[1]] {
				t.Fatalf("%s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := nextLink.FindStringSubmatch(r.Body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 130 {
		t.Fatalf("paging showed %d users", len(seen))
	}

	for _, tc := range []struct {
		by, q string
		want  []string
	}{
		{"username", "member12", []string{"member120", "member129"}},
		{"username", "MEMBER005", []string{"member005"}},
		{"email", "m07", []string{"m070@example.com", "m079@example.com"}},
		{"phone_number", "1555000012", []string{"member120", "member129"}},
		{"phone_number", "+15550000", []string{"member000", "member049"}},
		{"email", `x"y\`, nil},
		{"username", "nobody", nil},
	} {
		r := b.get(users + "?" + url.Values{"by": {tc.by}, "q": {tc.q}}.Encode())
		wantStatus(t, r, http.StatusOK)
		for _, w := range tc.want {
			if !strings.Contains(r.Body, w) {
				t.Errorf("search %s %q lacks %s\n%s", tc.by, tc.q, w, text(r.Body))
			}
		}
		if tc.want == nil && !strings.Contains(r.Body, `id="no-users"`) {
			t.Errorf("search %s %q found users", tc.by, tc.q)
		}
	}
	// An unknown search attribute falls back to the username, never to a raw filter.
	r := b.get(users + "?by=custom:x&q=member001")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "member001") {
		t.Fatal("fallback search")
	}
	// A forged pagination token is refused with the pool's own words.
	r = b.get(users + "?page=forged")
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.Body, "Invalid pagination token") {
		t.Fatalf("forged token:\n%s", excerpt(r.Body))
	}
	wantStatus(t, b.get(consoleURL("pools/us-east-1_nothere00/users")), http.StatusNotFound)
}

// The outbox page and its feed: codes appear, invitations' temporary passwords do not.
func TestConsoleOutbox(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	c := p.Admin()
	poolID := newPool(t, c)
	client, err := c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, p, loopback)
	r := b.get("/_local/console/messages")
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, "No messages yet.") || !strings.Contains(r.Body, `data-after="0"`) {
		t.Fatalf("empty outbox:\n%s", excerpt(r.Body))
	}
	_, err = c.SignUp(ctx(t), &cip.SignUpInput{ClientId: client.UserPoolClient.ClientId, Username: aws.String("grace"),
		Password: aws.String("correct horse 1"), UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("grace@example.com")}}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("invited"),
		TemporaryPassword: aws.String("Temp0rary-pass"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("invited@example.com")}}})
	if err != nil || inv.User == nil {
		t.Fatal(err)
	}
	msgs, err := p.Server.Service.Messages(ctx(t), pool.OutboxFilter{PoolID: poolID}, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("outbox %v %v", err, msgs)
	}
	code := msgs[0].Code
	r = b.get("/_local/console/messages?pool=" + poolID)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, code) || !strings.Contains(r.Body, "grace@example.com") || strings.Contains(r.Body, "Temp0rary-pass") ||
		!strings.Contains(r.Body, "temporary password, not shown") {
		t.Fatalf("outbox page:\n%s", excerpt(r.Body))
	}
	r = b.get(fmt.Sprintf("/_local/console/messages.json?after=%d", msgs[0].ID))
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, code) || strings.Contains(r.Body, "Temp0rary-pass") || !strings.Contains(r.Body, `"kind":"INVITATION"`) {
		t.Fatalf("feed after the first message: %s", r.Body)
	}
	wantStatus(t, b.get("/_local/console/messages.json?after=-1"), http.StatusBadRequest)
}

// The outbox page shows the newest messages even when the outbox takes several reads.
func TestConsoleOutboxNewestFirst(t *testing.T) {
	defer console.SetMessagesRead(3)()
	p := pooltest.Start(t, "memory", development)
	c := p.Admin()
	poolID := newPool(t, c)
	for i := range 8 {
		_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(fmt.Sprintf("u%d", i)),
			DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
			UserAttributes:         []types.AttributeType{{Name: aws.String("email"), Value: aws.String(fmt.Sprintf("u%d@example.com", i))}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := p.Server.Service.Messages(ctx(t), pool.OutboxFilter{}, 100)
	if err != nil || len(msgs) != 8 {
		t.Fatalf("outbox %v %d", err, len(msgs))
	}
	r := newBrowser(t, p, loopback).get("/_local/console/messages")
	wantStatus(t, r, http.StatusOK)
	first := strings.Index(r.Body, "u7@example.com")
	last := strings.Index(r.Body, "u0@example.com")
	if first < 0 || last < 0 || first > last || !strings.Contains(r.Body, fmt.Sprintf(`data-after="%d"`, msgs[7].ID)) {
		t.Fatalf("outbox page:\n%s", excerpt(text(r.Body)))
	}
}

// signedInUser makes a pool whose user has everything secret a pool keeps: a password (and
// so a hash and an SRP verifier), a TOTP secret, a device, refresh tokens; and a client with
// a secret. It returns the secrets.
func signedInUser(t *testing.T, p *pooltest.Pool) (poolID, clientID string, secrets map[string]string, access string) {
	t.Helper()
	c := p.Admin()
	poolID = newPool(t, c)
	_, err := c.SetUserPoolMfaConfig(ctx(t), &cip.SetUserPoolMfaConfigInput{UserPoolId: &poolID, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("server"),
		GenerateSecret: true, ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	clientID = aws.ToString(client.UserPoolClient.ClientId)
	password := "s3cret-password-xyz"
	createUser(t, c, poolID, "hopper", "hopper@example.com")
	if _, err := c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("hopper"),
		Password: &password, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("hopper"),
		GroupName: createGroup(t, c, poolID)}); err != nil {
		t.Fatal(err)
	}
	hash, err := p.Server.Service.SecretHash(ctx(t), poolID, clientID, "hopper")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &poolID, ClientId: &clientID,
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "hopper", "PASSWORD": password, "SECRET_HASH": hash}})
	if err != nil || auth.AuthenticationResult == nil {
		t.Fatalf("sign-in: %v %+v", err, auth)
	}
	tokens := auth.AuthenticationResult
	assoc, err := c.AssociateSoftwareToken(ctx(t), &cip.AssociateSoftwareTokenInput{AccessToken: tokens.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	return poolID, clientID, map[string]string{
		"password":      password,
		"client secret": aws.ToString(client.UserPoolClient.ClientSecret),
		"refresh token": aws.ToString(tokens.RefreshToken),
		"TOTP secret":   aws.ToString(assoc.SecretCode),
		"password hash": "$argon2",
		"SRP state":     `"srp"`,
		"TOTP state":    `totp`,
	}, aws.ToString(tokens.AccessToken)
}

func createGroup(t *testing.T, c *cip.Client, poolID string) *string {
	t.Helper()
	out, err := c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Description: aws.String("People who run things")})
	if err != nil {
		t.Fatal(err)
	}
	return out.Group.GroupName
}

func TestConsoleShowsNoSecrets(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	poolID, clientID, secrets, access := signedInUser(t, p)
	b := newBrowser(t, p, loopback)
	check := func(what string, r response) {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		for name, s := range secrets {
			if s != "" && strings.Contains(r.Body, s) {
				t.Errorf("%s shows the %s", what, name)
			}
		}
		if got := r.Header.Get("Content-Security-Policy"); got != wantCSP {
			t.Errorf("%s: CSP %q", what, got)
		}
	}
	pages := map[string]string{
		"pools":       "/_local/console/",
		"pool":        consoleURL("pools/%s", poolID),
		"client":      consoleURL("pools/%s/clients/%s", poolID, clientID),
		"users":       consoleURL("pools/%s/users", poolID),
		"search":      consoleURL("pools/%s/users?by=email&q=hopper", poolID),
		"user":        consoleURL("pools/%s/user?username=hopper", poolID),
		"confirm":     consoleURL("pools/%s/user/confirm?action=delete&username=hopper", poolID),
		"keys":        consoleURL("pools/%s/keys", poolID),
		"outbox":      "/_local/console/messages",
		"outbox feed": "/_local/console/messages.json",
		"pool outbox": "/_local/console/messages?pool=" + poolID,
	}
	for what, path := range pages {
		check(what, b.get(path))
	}
	client := b.get(pages["client"]).Body
	if !strings.Contains(text(client), "Has a client secret Yes (not shown)") {
		t.Errorf("client page:\n%s", text(client))
	}
	user := text(b.get(pages["user"]).Body)
	for _, want := range []string{"hopper@example.com", "admins", "CONFIRMED", "Enabled Yes"} {
		if !strings.Contains(user, want) {
			t.Errorf("user page lacks %q:\n%s", want, user)
		}
	}
	pool := text(b.get(pages["pool"]).Body)
	for _, want := range []string{"Minimum length 8 characters", "Must contain a lowercase letter and a number",
		"Optional: each user chooses", "authenticator app (TOTP)", "Username, or e-mail"} {
		if !strings.Contains(pool, want) {
			t.Errorf("pool page lacks %q:\n%s", want, pool)
		}
	}

	// The decoder verifies the token and does not echo it.
	r := b.post(pages["keys"], url.Values{"token": {access}})
	check("decoded token", r)
	if strings.Contains(r.Body, access) || !strings.Contains(r.Body, "Valid token") || !strings.Contains(text(r.Body), "token_use access") {
		t.Fatalf("decoder:\n%s", excerpt(text(r.Body)))
	}
	// A refresh token is not a JWT; the decoder says so without showing it.
	r = b.post(pages["keys"], url.Values{"token": {secrets["refresh token"]}})
	wantStatus(t, r, http.StatusBadRequest)
	if strings.Contains(r.Body, secrets["refresh token"]) || !strings.Contains(r.Body, "Refresh tokens are opaque") {
		t.Fatalf("refresh token in the decoder:\n%s", excerpt(text(r.Body)))
	}
}

func TestConsoleTokenDecoder(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	poolID, _, _, access := signedInUser(t, p)
	other, _, _, foreign := signedInUser(t, p)
	b := newBrowser(t, p, loopback)
	keys := consoleURL("pools/%s/keys", poolID)
	decode := func(token string) string {
		t.Helper()
		return text(b.post(keys, url.Values{"token": {token}}).Body)
	}
	if got := decode("Bearer " + access); !strings.Contains(got, "Valid token") || !strings.Contains(got, "Accepted by the pool Passed") {
		t.Fatalf("fresh token:\n%s", got)
	}
	parts := strings.Split(access, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	if got := decode(tampered); !strings.Contains(got, "Signature Failed") || strings.Contains(got, "Valid token") {
		t.Fatalf("tampered token:\n%s", got)
	}
	if got := decode(foreign); !strings.Contains(got, "Signature Failed") || !strings.Contains(got, "Issuer Failed") || !strings.Contains(got, other) {
		t.Fatalf("another pool's token:\n%s", got)
	}
	if _, err := p.Admin().AdminUserGlobalSignOut(ctx(t), &cip.AdminUserGlobalSignOutInput{UserPoolId: &poolID, Username: aws.String("hopper")}); err != nil {
		t.Fatal(err)
	}
	if got := decode(access); !strings.Contains(got, "Accepted by the pool Failed") || !strings.Contains(got, "revoked") {
		t.Fatalf("token after global sign-out:\n%s", got)
	}
	if got := decode("not.a.token"); !strings.Contains(got, "could not be decoded") {
		t.Fatalf("garbage:\n%s", got)
	}
	r := b.post(keys, url.Values{"token": {strings.Repeat("a", 20<<10)}})
	wantStatus(t, r, http.StatusBadRequest)
	// The page itself shows the public keys and the discovery document.
	page := b.get(keys).Body
	if !strings.Contains(page, `&#34;kty&#34;: &#34;RSA&#34;`) || !strings.Contains(page, "jwks_uri") || strings.Contains(page, `&#34;d&#34;:`) {
		t.Fatalf("keys page:\n%s", excerpt(page))
	}
}

func TestConsoleUnknownPagesAndPools(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, "memory", development)
	b := newBrowser(t, p, loopback)
	for _, path := range []string{"/_local/console/nothing", consoleURL("pools/us-east-1_nothere00"),
		consoleURL("pools/us-east-1_nothere00/keys"), consoleURL("pools/us-east-1_nothere00/clients/abc"),
		consoleURL("pools/us-east-1_nothere00/user?username=x")} {
		r := b.get(path)
		wantStatus(t, r, http.StatusNotFound)
		if r.Header.Get("Content-Security-Policy") != wantCSP || !strings.Contains(r.Body, "<main") {
			t.Fatalf("%s:\n%s", path, excerpt(r.Body))
		}
	}
	r := b.get(consoleURL("pools/us-east-1_nothere00/user/confirm?action=explode&username=x"))
	wantStatus(t, r, http.StatusNotFound)
}
