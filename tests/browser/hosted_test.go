package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"

	"github.com/hashless/hashless/internal/browsertest"
	"github.com/hashless/hashless/pool/totp"
)

const (
	poolKey    = "browserkey"
	poolSecret = "browsersecret"
	password   = "Browser-Pass-42"
)

// freePort reserves a loopback port for a program that must know its URL before it starts
// (the app's callback URL is registered with the pool first).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// adminClient talks to a pool process through aws-sdk-go-v2 with static credentials.
func adminClient(endpoint string) *cip.Client {
	return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(poolKey, poolSecret, "")})
}

// hostedApp is a running pool with an OAuth client and the example app signed up to it.
type hostedApp struct {
	poolURL, poolID, clientID, appURL string
}

// startHostedApp runs `hashless pool` and examples/hostedui as real processes: a pool that
// requires TOTP MFA and auto-verifies e-mail, an app client for the code flow, and the app.
func startHostedApp(t *testing.T) hostedApp {
	t.Helper()
	pool := StartProcess(t, Binary(t, "./cmd/hashless"), nil, "pool", "--addr", "127.0.0.1:0", "--db", "memory",
		"--credentials", poolKey+":"+poolSecret, "--kdf", "argon2id:m=64,t=1,p=1", "--outbox")
	h := hostedApp{poolURL: "http://" + pool.Addr}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := adminClient(h.poolURL)
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("shop"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		MfaConfiguration:       types.UserPoolMfaTypeOff})
	if err != nil {
		t.Fatal(err)
	}
	h.poolID = aws.ToString(created.UserPool.Id)
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: &h.poolID, MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	h.appURL = fmt.Sprintf("http://localhost:%d", freePort(t))
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &h.poolID, ClientName: aws.String("Shop"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode},
		AllowedOAuthScopes: []string{"openid", "email", "profile"}, SupportedIdentityProviders: []string{"COGNITO"},
		CallbackURLs: []string{h.appURL + "/oauth/callback"}, LogoutURLs: []string{h.appURL + "/oauth/logout"}})
	if err != nil {
		t.Fatal(err)
	}
	h.clientID = aws.ToString(client.UserPoolClient.ClientId)
	u, _ := url.Parse(h.appURL)
	StartProcess(t, Binary(t, "./examples/hostedui"), nil, "--addr", "127.0.0.1:"+u.Port(),
		"--issuer", h.poolURL+"/"+h.poolID, "--client-id", h.clientID)
	return h
}

// signUpCode reads the newest sign-up code the pool "e-mailed" to username.
func (h hostedApp) signUpCode(t *testing.T, username string) string {
	t.Helper()
	resp, err := http.Get(h.poolURL + "/_local/messages?" + url.Values{"pool": {h.poolID}, "username": {username}, "kind": {"SIGNUP"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil || len(msgs) == 0 {
		t.Fatalf("no sign-up code for %s: %v", username, err)
	}
	return msgs[len(msgs)-1].Code
}

// A new customer of the example app, in a real browser: redirected from the app to the hosted
// sign-in, signs up, confirms with the e-mailed code, sets up the TOTP the pool requires,
// lands back in the app with verified tokens, and signs out through /logout. Once with
// JavaScript on and once with it off; axe-core checks every page of the JavaScript run.
func TestHostedUIInChromium(t *testing.T) {
	for _, jsOff := range []bool{false, true} {
		name := "javascript-on"
		if jsOff {
			name = "javascript-off"
		}
		t.Run(name, func(t *testing.T) {
			h := startHostedApp(t)
			b := browsertest.Start(t, browsertest.Options{JavaScriptOff: jsOff, Name: "hosted-ui-" + name})
			username := "ann" + strings.ReplaceAll(name, "-", "")
			email := username + "@example.com"

			b.Run("open the app", chromedp.Navigate(h.appURL+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
			b.Check("app-signed-out", jsOff)
			b.Run("go to sign-in", chromedp.Click(chromedp.CSS(`a[href="/login"]`)), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
			if loc := b.Location(); !strings.HasPrefix(loc, h.poolURL+"/"+h.poolID+"/login?") {
				t.Fatalf("the app should redirect to the hosted sign-in, at %s", loc)
			}
			b.Check("sign-in", jsOff)

			b.Run("open sign-up", chromedp.Click(chromedp.CSS(`nav a[href*="/signup?"]`)), chromedp.WaitVisible(chromedp.CSS(`#signup-form`)))
			b.Check("sign-up", jsOff)
			b.Run("sign up",
				chromedp.SendKeys(chromedp.CSS(`#username`), username),
				chromedp.SendKeys(chromedp.CSS(`#email`), email),
				chromedp.SendKeys(chromedp.CSS(`#password`), password),
				chromedp.SendKeys(chromedp.CSS(`#confirm_password`), password),
				chromedp.Click(chromedp.CSS(`#sign-up`)),
				chromedp.WaitVisible(chromedp.CSS(`#confirm-form`)))
			b.Check("confirm", jsOff)

			b.Run("confirm", chromedp.SendKeys(chromedp.CSS(`#code`), h.signUpCode(t, username)),
				chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`#notice`)))
			b.Check("confirmed", jsOff)
			b.Run("sign in", chromedp.SetValue(chromedp.CSS(`#username`), username),
				chromedp.SendKeys(chromedp.CSS(`#password`), password),
				chromedp.Click(chromedp.CSS(`#sign-in`)), chromedp.WaitVisible(chromedp.CSS(`#totp-secret`)))
			b.Check("mfa-setup", jsOff)

			secret := browsertest.Value(b, "read the TOTP key", chromedp.Text(chromedp.CSS(`#totp-secret`)))
			code, err := totp.Code(strings.TrimSpace(secret), time.Now())
			if err != nil {
				t.Fatalf("TOTP key %q: %v", secret, err)
			}
			b.Run("verify TOTP", chromedp.SendKeys(chromedp.CSS(`#code`), code), chromedp.Click(chromedp.CSS(`#submit-challenge`)),
				chromedp.WaitVisible(chromedp.CSS(`#claims-heading`)))
			if loc := b.Location(); !strings.HasPrefix(loc, h.appURL+"/") {
				t.Fatalf("after sign-in the browser should be back in the app, at %s", loc)
			}
			main := browsertest.Value(b, "read the app page", chromedp.Text(chromedp.CSS(`main`)))
			if !strings.Contains(main, "Signed in as") || !strings.Contains(main, email) {
				t.Fatalf("the app does not show the verified claims:\n%s", main)
			}
			b.Check("app-signed-in", jsOff)

			b.Run("sign out", chromedp.Click(chromedp.CSS(`header nav a`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
			if loc := b.Location(); !strings.HasPrefix(loc, h.appURL+"/") {
				t.Fatalf("after sign-out the browser should be back in the app, at %s", loc)
			}
			b.Check("app-after-sign-out", jsOff)
			// The hosted-UI session ended with /logout: signing in asks for the password again.
			b.Run("sign in again", chromedp.Click(chromedp.CSS(`a[href="/login"]`)), chromedp.WaitVisible(chromedp.CSS(`#login-form`)))
			b.Check("sign-in-after-sign-out", jsOff)

			b.Run("forgot password", chromedp.Click(chromedp.CSS(`nav a[href*="/forgotPassword?"]`)), chromedp.WaitVisible(chromedp.CSS(`#forgot-form`)))
			b.Check("forgot-password", jsOff)
			b.Run("ask for a reset code", chromedp.SendKeys(chromedp.CSS(`#username`), username), chromedp.Click(chromedp.CSS(`#send-code`)),
				chromedp.WaitVisible(chromedp.CSS(`#reset-form`)))
			b.Check("reset-password", jsOff)
		})
	}
}
