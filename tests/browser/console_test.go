package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hashless/hashless/internal/browsertest"
)

const (
	consoleKey      = "consolekey"
	consoleSecret   = "console-secret-for-tests"
	consoleUsers    = 10_000
	consolePassword = "Console-Pass-42"
)

// consolePool is a running `hashless pool --console` with a pool of imported users.
type consolePool struct {
	url, poolID, clientID string
	sdk                   *cip.Client
}

func consoleCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startConsolePool runs the real binary on a SQLite file with the console on behind a
// sign-in, makes a pool and an app client, and seeds the pool with consoleUsers users
// through the import job (CreateUserImportJob, an upload to the pre-signed URL,
// StartUserImportJob), as an operator moving users in would.
func startConsolePool(t *testing.T) consolePool {
	t.Helper()
	proc := StartProcess(t, Binary(t, "./cmd/hashless"), nil, "pool", "--addr", "127.0.0.1:0",
		"--db", filepath.Join(t.TempDir(), "pool.db"), "--credentials", consoleKey+":"+consoleSecret,
		"--kdf", "argon2id:m=64,t=1,p=1", "--outbox", "--console")
	p := consolePool{url: "http://" + proc.Addr}
	p.sdk = cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider(consoleKey, consoleSecret, "")})
	ctx := consoleCtx(t)
	created, err := p.sdk.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("console-browser"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.poolID = aws.ToString(created.UserPool.Id)
	client, err := p.sdk.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &p.poolID,
		ClientName: aws.String("console-app"), ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	p.clientID = aws.ToString(client.UserPoolClient.ClientId)

	header, err := p.sdk.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: &p.poolID})
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	csv.WriteString(strings.Join(header.CSVHeader, ",") + "\n")
	for i := range consoleUsers {
		row := map[string]string{"cognito:username": fmt.Sprintf("user%05d", i), "email": fmt.Sprintf("user%05d@example.com", i),
			"email_verified": "true", "phone_number": fmt.Sprintf("+1555%07d", i), "phone_number_verified": "false",
			"given_name": fmt.Sprintf("Given%d", i%97), "cognito:mfa_enabled": "false"}
		cells := make([]string, len(header.CSVHeader))
		for j, h := range header.CSVHeader {
			cells[j] = row[h]
		}
		csv.WriteString(strings.Join(cells, ",") + "\n")
	}
	job, err := p.sdk.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: &p.poolID, JobName: aws.String("seed"),
		CloudWatchLogsRoleArn: aws.String("arn:aws:iam::123456789012:role/CognitoImport")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, aws.ToString(job.UserImportJob.PreSignedUrl), &csv)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-amz-server-side-encryption", "aws:kms")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("upload answered %d", res.StatusCode)
	}
	if _, err := p.sdk.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: &p.poolID, JobId: job.UserImportJob.JobId}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		d, err := p.sdk.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: &p.poolID, JobId: job.UserImportJob.JobId})
		if err != nil {
			t.Fatal(err)
		}
		j := d.UserImportJob
		if j.Status == types.UserImportJobStatusTypeSucceeded {
			if j.ImportedUsers != consoleUsers {
				t.Fatalf("imported %d users of %d (%d failed): %s", j.ImportedUsers, consoleUsers, j.FailedUsers, aws.ToString(j.CompletionMessage))
			}
			break
		}
		if j.Status == types.UserImportJobStatusTypeFailed || time.Now().After(deadline) {
			t.Fatalf("import job %s: %s", j.Status, aws.ToString(j.CompletionMessage))
		}
	}
	return p
}

// givePassword lets an imported user (RESET_REQUIRED, no password) sign in, and signs them
// in once to prove it; it returns their access token.
func (p consolePool) givePassword(t *testing.T, username string) string {
	t.Helper()
	ctx := consoleCtx(t)
	if _, err := p.sdk.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &p.poolID,
		Username: &username, Password: aws.String(consolePassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := p.signIn(username)
	if err != nil {
		t.Fatalf("%s cannot sign in before the console touches them: %v", username, err)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken)
}

func (p consolePool) signIn(username string) (*cip.InitiateAuthOutput, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return p.sdk.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &p.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": consolePassword}})
}

// wantDisabled checks through aws-sdk-go-v2 that username can no longer sign in because the
// console disabled them.
func (p consolePool) wantDisabled(t *testing.T, username string) {
	t.Helper()
	_, err := p.signIn(username)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotAuthorizedException" || apiErr.ErrorMessage() != "User is disabled." {
		t.Fatalf("sign-in of %s after the console disabled them: %v", username, err)
	}
}

// signUp registers a user through the SDK and returns the code the pool sent, read from the
// outbox API.
func (p consolePool) signUp(t *testing.T, username string) string {
	t.Helper()
	ctx := consoleCtx(t)
	if _, err := p.sdk.SignUp(ctx, &cip.SignUpInput{ClientId: &p.clientID, Username: &username, Password: aws.String(consolePassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(username + "@example.org")}}}); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(p.url + "/_local/messages?" + url.Values{"pool": {p.poolID}, "username": {username}, "kind": {"SIGNUP"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(res.Body).Decode(&msgs); err != nil || len(msgs) != 1 || msgs[0].Code == "" {
		t.Fatalf("outbox for %s: %v %+v", username, err, msgs)
	}
	return msgs[0].Code
}

// consoleWait evaluates a JavaScript condition until it holds.
func consoleWait(t *testing.T, b *browsertest.Browser, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(() => { try { return document.readyState === "complete" && !!(`+cond+`); } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.Screenshot("failed-" + what)
			t.Fatalf("waiting for %s (%s) at %s: %v", what, cond, b.Location(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consoleWaitPath waits for the tab to show a console page whose path (and query) starts
// with prefix.
func consoleWaitPath(t *testing.T, b *browsertest.Browser, prefix string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		loc, err := chromedp.Run(b.Ctx, chromedp.Location())
		if err == nil {
			if u, perr := url.Parse(loc); perr == nil && strings.HasPrefix(u.RequestURI(), prefix) {
				if _, err := chromedp.Run(b.Ctx, chromedp.Query(chromedp.CSS("main h1"))); err == nil {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			b.Screenshot("failed-wait")
			t.Fatalf("waiting for %s, at %s", prefix, loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type focused struct {
	ID      string `json:"id"`
	Outline string `json:"outline"`
	Width   string `json:"width"`
}

// consoleKeyboard tabs through the whole page from its start and checks that every link,
// button and field takes the focus in turn, with a visible outline.
func consoleKeyboard(t *testing.T, b *browsertest.Browser, page string) {
	t.Helper()
	n := browsertest.Value(b, "focusable elements", chromedp.Evaluate[int](`(() => {
		const all = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])');
		let n = 0;
		for (const e of all) {
			if (e.disabled || e.closest('[hidden]')) continue;
			e.setAttribute('data-kbd', String(n++));
		}
		if (document.activeElement) document.activeElement.blur();
		window.getSelection().removeAllRanges();
		return n;
	})()`))
	seen := map[string]bool{}
	for i := 0; i < 2*n+4 && len(seen) < n; i++ {
		b.Run("tab", chromedp.KeyEvent(kb.Tab))
		f := browsertest.Value(b, "focused element", chromedp.Evaluate[focused](`(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return {id: "", outline: "", width: ""};
			const s = getComputedStyle(e);
			return {id: e.getAttribute('data-kbd') || "", outline: s.outlineStyle, width: s.outlineWidth};
		})()`))
		if f.ID == "" {
			continue
		}
		if f.Outline == "none" || f.Width == "0px" {
			t.Errorf("%s: element %s takes the focus without a visible outline", page, f.ID)
		}
		seen[f.ID] = true
	}
	if len(seen) < n {
		missing := browsertest.Value(b, "unreached elements", chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
			const seen = %s;
			return [...document.querySelectorAll('[data-kbd]')].filter(e => !seen.includes(e.getAttribute('data-kbd'))).map(e => e.outerHTML.slice(0, 120));
		})()`, jsList(seen))))
		t.Errorf("%s: the keyboard reaches %d of %d controls; not: %v", page, len(seen), n, missing)
	}
}

func jsList(set map[string]bool) string {
	var items []string
	for k := range set {
		items = append(items, fmt.Sprintf("%q", k))
	}
	return "[" + strings.Join(items, ",") + "]"
}

func consoleText(t *testing.T, b *browsertest.Browser, selector string) string {
	t.Helper()
	return browsertest.Value(b, "text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// check runs axe and takes a screenshot, then walks the page with the keyboard.
func consoleCheck(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	b.Check(name, false)
	consoleKeyboard(t, b, name)
}

func TestConsoleInChromium(t *testing.T) {
	p := startConsolePool(t)
	target := "user04242"
	access := p.givePassword(t, target)
	b := browsertest.Start(t, browsertest.Options{})
	base := p.url + "/_local/console"
	poolPath := "/_local/console/pools/" + p.poolID

	// The console redirects to its sign-in form, which takes the access key and secret.
	b.Run("open the console", chromedp.Navigate(base))
	consoleWaitPath(t, b, "/_local/console/login")
	consoleCheck(t, b, "login")
	b.Run("sign in", chromedp.SendKeys(chromedp.ID("access_key"), consoleKey),
		chromedp.SendKeys(chromedp.ID("secret"), consoleSecret+kb.Enter))
	consoleWaitPath(t, b, "/_local/console/")
	consoleCheck(t, b, "pools")

	b.Run("open the pool", chromedp.Click(chromedp.CSS(`a[href="`+poolPath+`"]`)))
	consoleWaitPath(t, b, poolPath)
	consoleCheck(t, b, "pool")
	if got := consoleText(t, b, "main"); !strings.Contains(got, fmt.Sprint(consoleUsers)) || !strings.Contains(got, "Username, or e-mail") {
		t.Fatalf("pool page:\n%s", got)
	}
	b.Run("open the client", chromedp.Click(chromedp.CSS(`a[href$="/clients/`+p.clientID+`"]`)))
	consoleWaitPath(t, b, poolPath+"/clients/")
	consoleCheck(t, b, "client")
	if got := consoleText(t, b, "main"); !strings.Contains(got, "Plain password (USER_PASSWORD_AUTH)") || !strings.Contains(got, "Access token") {
		t.Fatalf("client page:\n%s", got)
	}

	b.Run("open the users", chromedp.Navigate(p.url+poolPath), chromedp.WaitVisible(chromedp.CSS(`a[href="`+poolPath+`/users"]`)),
		chromedp.Click(chromedp.CSS(`a[href="`+poolPath+`/users"]`)))
	consoleWaitPath(t, b, poolPath+"/users")
	consoleCheck(t, b, "users")
	b.Run("next page", chromedp.Click(chromedp.ID("next-page")))
	consoleWaitPath(t, b, poolPath+"/users?page=")
	if got := consoleText(t, b, "#users tbody"); !strings.Contains(got, "user00050") || strings.Contains(got, "user00049") {
		t.Fatalf("second page of users:\n%s", got)
	}

	// Search by e-mail prefix, by keyboard.
	b.Run("search", chromedp.Focus(chromedp.ID("by")), chromedp.SetValue(chromedp.ID("by"), "email"),
		chromedp.SendKeys(chromedp.ID("q"), "user0424"+kb.Enter))
	consoleWaitPath(t, b, poolPath+"/users?by=email")
	consoleCheck(t, b, "search")
	rows := browsertest.Value(b, "result rows", chromedp.Evaluate[int](`document.querySelectorAll("#users tbody tr").length`))
	if rows != 10 {
		t.Fatalf("searching e-mails starting with user0424 shows %d rows", rows)
	}
	b.Run("open the user", chromedp.Click(chromedp.CSS(`a[href$="username=`+target+`"]`)))
	consoleWaitPath(t, b, poolPath+"/user?username="+target)
	consoleCheck(t, b, "user")
	if got := consoleText(t, b, "main"); !strings.Contains(got, target+"@example.com") || !strings.Contains(got, "CONFIRMED") {
		t.Fatalf("user page:\n%s", got)
	}

	// Disable them through the confirmation page, with the keyboard.
	b.Run("ask to disable", chromedp.Focus(chromedp.CSS(`a[href*="action=disable"]`)), chromedp.KeyEvent(kb.Enter))
	consoleWaitPath(t, b, poolPath+"/user/confirm?action=disable")
	consoleCheck(t, b, "confirm-disable")
	b.Run("confirm", chromedp.Focus(chromedp.ID("confirm")), chromedp.KeyEvent(kb.Enter))
	consoleWait(t, b, "the notice", `document.getElementById("notice")`)
	consoleCheck(t, b, "disabled")
	if got := consoleText(t, b, "#notice"); got != "The user was disabled." {
		t.Fatalf("notice %q", got)
	}
	if got := consoleText(t, b, "#user-enabled"); got != "No" {
		t.Fatalf("enabled: %q", got)
	}
	p.wantDisabled(t, target)

	// The token decoder: the user's token is well signed, and the pool no longer takes it.
	b.Run("open the keys", chromedp.Navigate(p.url+poolPath+"/keys"))
	consoleWaitPath(t, b, poolPath+"/keys")
	consoleCheck(t, b, "keys")
	b.Run("paste a token", chromedp.SetValue(chromedp.ID("token"), access), chromedp.Submit(chromedp.ID("token")))
	consoleWait(t, b, "the verdict", `document.getElementById("verdict")`)
	consoleCheck(t, b, "token")
	if got := consoleText(t, b, "#checks"); !strings.Contains(got, "Signed by the pool's key") || !strings.Contains(got, "User is disabled.") {
		t.Fatalf("checks:\n%s", got)
	}
	if html := browsertest.Value(b, "page", chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, access) {
		t.Fatal("the decoder shows the token it was given")
	}

	// The outbox page shows a new sign-up code without a reload.
	b.Run("open the outbox", chromedp.Navigate(p.url+"/_local/console/messages?pool="+p.poolID))
	consoleWaitPath(t, b, "/_local/console/messages")
	consoleWait(t, b, "the live outbox", `!document.getElementById("outbox-live").hidden`)
	consoleCheck(t, b, "outbox")
	b.Run("mark the page", chromedp.Evaluate[chromedp.Void](`window.consoleMark = "still here"; undefined`))
	code := p.signUp(t, "newcomer")
	consoleWait(t, b, "the sign-up code", fmt.Sprintf(`document.querySelector("#outbox tbody").textContent.includes(%q)`, code))
	if mark := browsertest.Value(b, "mark", chromedp.Evaluate[string](`String(window.consoleMark)`)); mark != "still here" {
		t.Fatal("the outbox page reloaded to show the code")
	}
	row := consoleText(t, b, "#outbox tbody tr:first-child")
	if !strings.Contains(row, "newcomer") || !strings.Contains(row, "SIGNUP") || !strings.Contains(row, code) {
		t.Fatalf("first row: %q", row)
	}
	consoleCheck(t, b, "outbox-live")

	// Signing out ends the session.
	b.Run("sign out", chromedp.Click(chromedp.CSS(".signout button")))
	consoleWaitPath(t, b, "/_local/console/login")
	b.Run("come back", chromedp.Navigate(p.url+poolPath))
	consoleWaitPath(t, b, "/_local/console/login")
}

// TestConsoleWithoutJavaScript does the same work with scripts off: every step is a plain
// link or form, and the outbox shows a new code after its refresh link.
func TestConsoleWithoutJavaScript(t *testing.T) {
	p := startConsolePool(t)
	target := "user00777"
	p.givePassword(t, target)
	b := browsertest.Start(t, browsertest.Options{JavaScriptOff: true})
	poolPath := "/_local/console/pools/" + p.poolID

	b.Run("open the console", chromedp.Navigate(p.url+"/_local/console/"))
	consoleWaitPath(t, b, "/_local/console/login")
	b.Check("login", true)
	b.Run("sign in", chromedp.SendKeys(chromedp.ID("access_key"), consoleKey),
		chromedp.SendKeys(chromedp.ID("secret"), consoleSecret), chromedp.Click(chromedp.CSS(".login button")))
	consoleWaitPath(t, b, "/_local/console/")
	b.Check("pools", true)

	b.Run("open the users", chromedp.Navigate(p.url+poolPath+"/users"))
	consoleWaitPath(t, b, poolPath+"/users")
	b.Run("search", chromedp.SendKeys(chromedp.ID("q"), "USER0077"), chromedp.Click(chromedp.CSS(".search button")))
	consoleWaitPath(t, b, poolPath+"/users?by=username")
	b.Check("search", true)
	if got := consoleText(t, b, "#users tbody"); !strings.Contains(got, target) || strings.Contains(got, "user00780") {
		t.Fatalf("search results:\n%s", got)
	}
	b.Run("open the user", chromedp.Click(chromedp.CSS(`a[href$="username=`+target+`"]`)))
	consoleWaitPath(t, b, poolPath+"/user?username="+target)
	b.Run("ask to disable", chromedp.Click(chromedp.CSS(`a[href*="action=disable"]`)))
	consoleWaitPath(t, b, poolPath+"/user/confirm?action=disable")
	b.Check("confirm-disable", true)
	b.Run("confirm", chromedp.Click(chromedp.ID("confirm")))
	consoleWaitPath(t, b, poolPath+"/user?username="+target+"&done=disable")
	b.Check("disabled", true)
	p.wantDisabled(t, target)
	b.Run("ask to enable", chromedp.Click(chromedp.CSS(`a[href*="action=enable"]`)))
	consoleWaitPath(t, b, poolPath+"/user/confirm?action=enable")
	b.Run("confirm", chromedp.Click(chromedp.ID("confirm")))
	consoleWaitPath(t, b, poolPath+"/user?username="+target+"&done=enable")
	if _, err := p.signIn(target); err != nil {
		t.Fatalf("after enabling: %v", err)
	}

	b.Run("open the outbox", chromedp.Navigate(p.url+"/_local/console/messages?pool="+p.poolID))
	consoleWaitPath(t, b, "/_local/console/messages")
	code := p.signUp(t, "quietcomer")
	time.Sleep(1500 * time.Millisecond)
	if got := consoleText(t, b, "main"); strings.Contains(got, code) {
		t.Fatal("without JavaScript the outbox changed by itself")
	}
	b.Run("refresh", chromedp.Click(chromedp.ID("refresh")))
	consoleWaitPath(t, b, "/_local/console/messages")
	if got := consoleText(t, b, "#outbox tbody"); !strings.Contains(got, code) {
		t.Fatalf("after refreshing, the outbox lacks the code %s:\n%s", code, got)
	}
	b.Check("outbox", true)
}
