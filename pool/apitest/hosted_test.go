package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hashless/hashless/cognito/verify"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/totp"
)

// The authorization-code flow with PKCE, state and nonce, driven by golang.org/x/oauth2
// with go-oidc discovery, on every backend: sign-in page, code, exchange, ID token verified
// by two independent verifiers, userInfo, a silent second authorization, refresh with the
// scopes kept, single-use codes, a wrong verifier, and sign-out ending the silence.
func TestHostedCodeFlowWithPKCE(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newHostedSetup(t, p, nil)
		c := ctx(t)
		provider, err := oidc.NewProvider(c, s.issuer)
		if err != nil {
			t.Fatal(err)
		}
		conf := oauth2.Config{ClientID: s.clientID, Endpoint: provider.Endpoint(), RedirectURL: appCallback,
			Scopes: []string{oidc.ScopeOpenID, "email"}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		b := newBrowser(t)
		verifier := oauth2.GenerateVerifier()
		authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"))
		login := b.get(authURL)
		if login.status != http.StatusOK || !strings.Contains(login.url.Path, "/login") {
			t.Fatalf("authorize should land on the sign-in page, got %d at %s", login.status, login.url)
		}
		if csp := "default-src 'none'"; !strings.Contains(login.body, `name="csrf"`) {
			t.Fatalf("the sign-in form has no CSRF field (%s)", csp)
		}
		wrong := b.submit(login, "/login", map[string]string{"username": "quinn", "password": "Wrong-password-1"})
		if wrong.status != http.StatusBadRequest || !strings.Contains(wrong.body, "Incorrect username or password.") {
			t.Fatalf("a wrong password: %d\n%s", wrong.status, wrong.body)
		}
		back := b.submit(wrong, "/login", map[string]string{"username": "QUINN@example.com", "password": password})
		params := callbackParams(t, back, false)
		if params.Get("state") != "state-1" || params.Get("code") == "" {
			t.Fatalf("callback params %v", params)
		}
		code := params.Get("code")

		// A wrong verifier spends the code.
		if _, err := conf.Exchange(c, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); !isOAuthError(err, "invalid_grant") {
			t.Fatalf("a wrong verifier: %v", err)
		}
		if _, err := conf.Exchange(c, code, oauth2.VerifierOption(verifier)); !isOAuthError(err, "invalid_grant") {
			t.Fatalf("a spent code: %v", err)
		}

		// Sign in again: the hosted session answers without a form.
		verifier = oauth2.GenerateVerifier()
		silent := b.get(conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-2")))
		params = callbackParams(t, silent, false)
		tok, err := conf.Exchange(c, params.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		rawID, _ := tok.Extra("id_token").(string)
		idToken, err := provider.Verifier(&oidc.Config{ClientID: s.clientID}).Verify(c, rawID)
		if err != nil {
			t.Fatal(err)
		}
		if idToken.Nonce != "nonce-2" {
			t.Fatalf("nonce %q", idToken.Nonce)
		}
		if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Fatalf("at_hash: %v", err)
		}
		v, err := verify.New(verify.Config{Issuer: s.issuer, ClientIDs: []string{s.clientID}})
		if err != nil {
			t.Fatal(err)
		}
		access, err := v.VerifyAccessToken(c, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(access.Scopes, " ") != "openid email" || access.Username != "quinn" {
			t.Fatalf("access token scopes %v username %q", access.Scopes, access.Username)
		}
		if _, err := v.VerifyIDToken(c, rawID); err != nil {
			t.Fatal(err)
		}
		info, err := provider.UserInfo(c, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := info.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims["email"] != "quinn@example.com" || claims["email_verified"] != "true" || claims["username"] != "quinn" || claims["given_name"] != nil {
			t.Fatalf("userInfo with openid email: %v", claims)
		}

		// Refresh keeps the granted scopes.
		expired := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}
		refreshed, err := conf.TokenSource(c, expired).Token()
		if err != nil {
			t.Fatal(err)
		}
		access, err = v.VerifyAccessToken(c, refreshed.AccessToken)
		if err != nil || strings.Join(access.Scopes, " ") != "openid email" {
			t.Fatalf("refreshed access token: %v %v", access, err)
		}

		// Sign-out ends the hosted session and goes to the registered URL.
		out := b.get(s.issuer + "/logout?" + url.Values{"client_id": {s.clientID}, "logout_uri": {appLogout}}.Encode())
		if out.status != http.StatusFound || out.location != appLogout {
			t.Fatalf("logout: %d to %q", out.status, out.location)
		}
		again := b.get(conf.AuthCodeURL("state-3", oauth2.S256ChallengeOption(verifier)))
		if again.status != http.StatusOK || !strings.Contains(again.url.Path, "/login") {
			t.Fatalf("after logout the authorize must ask again, got %d at %s", again.status, again.url)
		}
		none := b.get(conf.AuthCodeURL("state-4", oauth2.SetAuthURLParam("prompt", "none")))
		if params := callbackParams(t, none, false); params.Get("error") != "login_required" || params.Get("state") != "state-4" {
			t.Fatalf("prompt=none without a session: %v", params)
		}
	})
}

func isOAuthError(err error, code string) bool {
	re, ok := err.(*oauth2.RetrieveError)
	return ok && re.ErrorCode == code
}

// The implicit grant answers in the fragment, with no refresh token, and the ID token only
// when openid was asked for.
func TestHostedImplicitGrant(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory))
	s := newHostedSetup(t, p, nil)
	b := newBrowser(t)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"token"}, "redirect_uri": {appCallback},
		"scope": {"openid profile"}, "state": {"xyz"}, "nonce": {"n-1"}}
	login := b.get(s.issuer + "/oauth2/authorize?" + q.Encode())
	params := callbackParams(t, b.submit(login, "/login", map[string]string{"username": "quinn", "password": password}), true)
	if params.Get("access_token") == "" || params.Get("id_token") == "" || params.Get("refresh_token") != "" ||
		params.Get("token_type") != "Bearer" || params.Get("state") != "xyz" || params.Get("expires_in") != "3600" {
		t.Fatalf("implicit fragment: %v", params)
	}
	idc := claims(t, p, s.poolID, params.Get("id_token"))
	if idc["nonce"] != "n-1" || idc["aud"] != s.clientID {
		t.Fatalf("implicit ID token: %v", idc)
	}
	q.Set("scope", "profile")
	params = callbackParams(t, b.get(s.issuer+"/oauth2/authorize?"+q.Encode()), true)
	if params.Get("id_token") != "" || params.Get("access_token") == "" {
		t.Fatalf("without openid there is no ID token: %v", params)
	}
}

// Seed 004's calls exactly: /login (not /oauth2/authorize) with a literal "+" between the
// scopes and no state, PKCE or nonce; a public client's form-only token exchange; userInfo
// with a Bearer token; /logout with logout_uri.
func TestSeedOAuthExampleFlow(t *testing.T) {
	const redirect = "http://localhost:4200/oauth/cognito"
	const logout = "http://localhost:4200/oauth/cognito/logout"
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.SQLite))
	s := newHostedSetup(t, p, func(in *cip.CreateUserPoolInput) {
		in.AliasAttributes = nil
		in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}
		in.Policies = &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(6)}}
	}, func(in *cip.CreateUserPoolClientInput) {
		in.ClientName = aws.String("client-localhost")
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowCustomAuth,
			types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
		in.AllowedOAuthScopes = []string{"email", "openid"}
		in.CallbackURLs = []string{redirect}
		in.LogoutURLs = []string{logout}
	})
	b := newBrowser(t)
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
	// qs.stringify(…, {encode:false}) leaves the "+" and the URL unencoded.
	login := b.get(s.issuer + "/login?client_id=" + s.clientID + "&response_type=code&scope=email+openid&redirect_uri=" + redirect)
	if login.status != http.StatusOK || !strings.Contains(login.body, `type="email"`) {
		t.Fatalf("/login: %d\n%s", login.status, login.body)
	}
	// The pool signs in by e-mail, so the user is the one made here, not quinn.
	signUp := must(s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("eve@example.com"),
		UserAttributes: attrs("email", "eve@example.com", "email_verified", "true"), MessageAction: types.MessageActionTypeSuppress}))(t)
	must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: signUp.User.Username,
		Password: aws.String("abcdef"), Permanent: true}))(t)
	done := b.submit(login, "/login", map[string]string{"username": "eve@example.com", "password": "abcdef"})
	if done.status != http.StatusFound || !strings.HasPrefix(done.location, redirect+"?code=") {
		t.Fatalf("sign-in: %d to %q\n%s", done.status, done.location, done.body)
	}
	u, _ := url.Parse(done.location)
	body := "grant_type=authorization_code&client_id=" + s.clientID + "&redirect_uri=" + redirect + "&code=" + u.Query().Get("code")
	resp, err := http.Post(s.issuer+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		IDToken      string `json:"id_token"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		TokenType    string `json:"token_type"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tokens.IDToken == "" || tokens.AccessToken == "" || tokens.RefreshToken == "" ||
		tokens.ExpiresIn != 3600 || tokens.TokenType != "Bearer" {
		t.Fatalf("token: %d %+v %v", resp.StatusCode, tokens, err)
	}
	req, _ := http.NewRequest(http.MethodGet, s.issuer+"/oauth2/userInfo", nil)
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != 200 || info["email"] != "eve@example.com" || info["email_verified"] != "true" ||
		info["username"] != aws.ToString(signUp.User.Username) || info["sub"] == "" {
		t.Fatalf("userInfo: %d %v", resp.StatusCode, info)
	}
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken+"x")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("userInfo with a forged token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	out := b.get(s.issuer + "/logout?client_id=" + s.clientID + "&logout_uri=" + logout)
	if out.status != http.StatusFound || out.location != logout {
		t.Fatalf("logout: %d to %q", out.status, out.location)
	}
}

// No near miss of a registered URI is ever redirected to: each gets an error page.
func TestHostedRedirectNearMisses(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory))
	s := newHostedSetup(t, p, nil)
	b := newBrowser(t)
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
	nearMisses := []string{
		"http://localhost:4200/oauth/callbackx",             // prefix
		"http://localhost:4200/oauth/callback/extra",        // extra path
		"http://localhost:4201/oauth/callback",              // port
		"http://localhost:4200@evil.example/oauth/callback", // user@
		"http://evil.example@localhost:4200/oauth/callback",
		"http://localhost:4200%2F@evil.example/oauth/callback",
		"http://localhost:4200/oauth%2Fcallback", // %2F
		"HTTP://LOCALHOST:4200/oauth/callback",   // letter case
		"http://localhost:4200/OAuth/callback",
		"http://localhost:4200/oauth/callback/", // trailing slash
		"http://localhost:4200/oauth/callback?x=1",
		"http://localhost:4200/oauth/callback#frag",
		"//localhost:4200/oauth/callback",
		"https://localhost:4200/oauth/callback",
		" http://localhost:4200/oauth/callback",
		"",
	}
	for _, uri := range nearMisses {
		for _, path := range []string{"/oauth2/authorize", "/login", "/signup", "/forgotPassword"} {
			q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {uri}, "state": {"s"}}
			got := b.get(s.issuer + path + "?" + q.Encode())
			if got.status != http.StatusBadRequest || got.location != "" {
				t.Errorf("%s redirect_uri %q: %d to %q", path, uri, got.status, got.location)
			}
		}
		q := url.Values{"client_id": {s.clientID}, "logout_uri": {strings.Replace(uri, "callback", "logout", 1)}}
		if uri == "" {
			continue // no logout_uri at all is a plain sign-out page
		}
		if got := b.get(s.issuer + "/logout?" + q.Encode()); got.status != http.StatusBadRequest || got.location != "" {
			t.Errorf("logout_uri %q: %d to %q", q.Get("logout_uri"), got.status, got.location)
		}
	}
	// Errors after the redirect URI checks out go back to the app, never elsewhere.
	for name, q := range map[string]url.Values{
		"unsupported_response_type": {"response_type": {"id_token"}},
		"invalid_scope":             {"response_type": {"code"}, "scope": {"openid phone"}},
		"invalid_request":           {"response_type": {"code"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"plain"}},
	} {
		q.Set("client_id", s.clientID)
		q.Set("redirect_uri", appCallback)
		q.Set("state", "st")
		got := b.get(s.issuer + "/oauth2/authorize?" + q.Encode())
		if params := callbackParams(t, got, false); params.Get("error") != name || params.Get("state") != "st" {
			t.Errorf("%s: %v", name, params)
		}
	}
	// Unknown clients and oversized parameters are dead ends too.
	for _, q := range []url.Values{
		{"client_id": {"nosuchclient0000000000000"}, "response_type": {"code"}, "redirect_uri": {appCallback}},
		{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "state": {strings.Repeat("s", 5000)}},
		{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "nonce": {strings.Repeat("n", 9000)}},
	} {
		got := b.get(s.issuer + "/oauth2/authorize?" + q.Encode())
		if got.status < 400 || got.status >= 500 || got.location != "" {
			t.Errorf("%.80s: %d to %q", q.Encode(), got.status, got.location)
		}
	}
}

// Forms without the browser's CSRF value, or posted from another site, are refused.
func TestHostedCSRF(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory))
	s := newHostedSetup(t, p, nil)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}}
	b := newBrowser(t)
	login := b.get(s.issuer + "/login?" + q.Encode())
	forged := strings.Replace(login.body, `name="csrf" value="`, `name="csrf" value="x`, 1)
	got := b.submit(page{status: login.status, body: forged, url: login.url}, "/login", map[string]string{"username": "quinn", "password": password})
	if got.status != http.StatusForbidden || got.location != "" {
		t.Fatalf("forged CSRF: %d", got.status)
	}
	fresh := newBrowser(t) // no CSRF cookie at all
	if got := fresh.submit(login, "/login", map[string]string{"username": "quinn", "password": password}); got.status != http.StatusForbidden {
		t.Fatalf("missing CSRF cookie: %d", got.status)
	}
	form := url.Values{"username": {"quinn"}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, s.issuer+"/login?"+q.Encode(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if got := b.do(req); got.status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", got.status)
	}
}

// Token endpoint refusals in RFC 6749's shapes.
func TestTokenEndpointErrors(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory))
	s := newHostedSetup(t, p, nil, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	other := newHostedSetup(t, p, nil)
	tokenURL := s.issuer + "/oauth2/token"
	codeFor := func(h hostedSetup) string {
		b := newBrowser(t)
		q := url.Values{"client_id": {h.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "scope": {"openid"}}
		login := b.get(h.issuer + "/oauth2/authorize?" + q.Encode())
		return callbackParams(t, b.submit(login, "/login", map[string]string{"username": "quinn", "password": password}), false).Get("code")
	}
	code := codeFor(s)
	cases := []struct {
		name         string
		form         url.Values
		id, secret   string
		status       int
		errorCode    string
		contentType  string
		endpointPool string
	}{
		{name: "no grant type", form: url.Values{}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_request"},
		{name: "unknown grant", form: url.Values{"grant_type": {"password"}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "unsupported_grant_type"},
		{name: "wrong secret by basic", form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appCallback}}, id: s.clientID, secret: "nope", status: 401, errorCode: "invalid_client"},
		{name: "no secret", form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {s.clientID}, "redirect_uri": {appCallback}}, status: 400, errorCode: "invalid_client"},
		{name: "unknown client", form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"unknownclient"}}, status: 400, errorCode: "invalid_client"},
		{name: "secret for a public client", form: url.Values{"grant_type": {"authorization_code"}, "client_id": {other.clientID}, "client_secret": {"x"}}, status: 400, errorCode: "invalid_client", endpointPool: other.issuer},
		{name: "client of another pool", form: url.Values{"grant_type": {"authorization_code"}, "client_id": {other.clientID}, "code": {code}}, status: 400, errorCode: "invalid_client"},
		{name: "JSON body", form: url.Values{"grant_type": {"authorization_code"}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_request", contentType: "application/json"},
		{name: "forged code", form: url.Values{"grant_type": {"authorization_code"}, "code": {"hlc1.forged"}, "redirect_uri": {appCallback}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_grant"},
		{name: "other redirect", form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appLogout}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_grant"},
		{name: "spent code", form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appCallback}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_grant"},
		{name: "bad refresh token", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"hlr1.nope"}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "invalid_grant"},
		{name: "client credentials not allowed", form: url.Values{"grant_type": {"client_credentials"}}, id: s.clientID, secret: s.secret, status: 400, errorCode: "unauthorized_client"},
	}
	for _, tc := range cases {
		endpoint := tokenURL
		if tc.endpointPool != "" {
			endpoint = tc.endpointPool + "/oauth2/token"
		}
		req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		if tc.id != "" {
			req.SetBasicAuth(tc.id, tc.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body["error"] != tc.errorCode {
			t.Errorf("%s: %d %v, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.errorCode)
		}
	}
	// A code issued to one client is refused to another (and is spent by the attempt).
	otherCode := codeFor(other)
	status, body, _ := postForm(t, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {otherCode}, "redirect_uri": {appCallback}}, s.clientID, s.secret)
	if status != 400 || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("another client's code: %d %s", status, body)
	}
	// The right call works with Basic auth, and the refresh token it gets revokes.
	status, body, _ = postForm(t, tokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {codeFor(s)}, "redirect_uri": {appCallback}}, s.clientID, s.secret)
	var tok map[string]any
	if json.Unmarshal([]byte(body), &tok) != nil || status != 200 {
		t.Fatalf("exchange: %d %s", status, body)
	}
	refresh, _ := tok["refresh_token"].(string)
	status, body, _ = postForm(t, s.issuer+"/oauth2/revoke", url.Values{"token": {refresh}}, s.clientID, s.secret)
	if status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	status, body, _ = postForm(t, tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, s.clientID, s.secret)
	if status != 400 || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("a revoked refresh token: %d %s", status, body)
	}
	if _, err := verify.New(verify.Config{Issuer: s.issuer, ClientIDs: []string{s.clientID}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := s.c.DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{UserPoolId: &s.poolID, ClientId: &s.clientID}); err != nil || len(resp.UserPoolClient.CallbackURLs) != 1 {
		t.Fatalf("describe: %v", err)
	}
}

// The hosted pages run the API's challenges: sign-up with its code from the outbox, the
// TOTP setup the pool requires, then a TOTP code on the next sign-in.
func TestHostedSignUpConfirmAndTOTP(t *testing.T) {
	clock := pooltest.NewClock()
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.SQLite), pooltest.WithClock(clock))
	s := newHostedSetup(t, p, func(in *cip.CreateUserPoolInput) {
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}
	})
	must(s.c.SetUserPoolMfaConfig(ctx(t), &cip.SetUserPoolMfaConfigInput{UserPoolId: &s.poolID, MfaConfiguration: types.UserPoolMfaTypeOn,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}))(t)
	b := newBrowser(t)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "state": {"st"}}
	signup := b.get(s.issuer + "/signup?" + q.Encode())
	confirm := b.submit(signup, "/signup", map[string]string{"username": "rosa", "email": "rosa@example.com",
		"password": password, "confirm_password": password})
	if confirm.status != 200 || !strings.Contains(confirm.body, `action="/`+s.poolID+`/confirm"`) {
		t.Fatalf("sign-up: %d\n%s", confirm.status, confirm.body)
	}
	code := outboxCode(t, p, s.poolID, "rosa", "SIGNUP")
	login := b.submit(confirm, "/confirm", map[string]string{"code": code})
	if !strings.Contains(login.body, "Your account is confirmed") {
		t.Fatalf("confirm: %d\n%s", login.status, login.body)
	}
	setup := b.submit(login, "/login", map[string]string{"username": "rosa", "password": password})
	secret := htmlUnescape(between(setup.body, `<code id="totp-secret">`, "</code>"))
	if secret == "" {
		t.Fatalf("no TOTP secret on the setup page: %d\n%s", setup.status, setup.body)
	}
	wrong := b.submit(setup, "/challenge", map[string]string{"code": "000000"})
	if wrong.status != http.StatusBadRequest || !strings.Contains(wrong.body, `id="totp-secret"`) {
		t.Fatalf("a wrong setup code should show the setup again: %d\n%s", wrong.status, wrong.body)
	}
	totpCode, _ := totp.Code(secret, clock.Now())
	done := b.submit(wrong, "/challenge", map[string]string{"code": totpCode})
	if params := callbackParams(t, done, false); params.Get("code") == "" || params.Get("state") != "st" {
		t.Fatalf("after TOTP setup: %v", params)
	}
	b.get(s.issuer + "/logout?" + url.Values{"client_id": {s.clientID}, "logout_uri": {appLogout}}.Encode())
	clock.Advance(time.Minute)
	login = b.get(s.issuer + "/login?" + q.Encode())
	mfa := b.submit(login, "/login", map[string]string{"username": "rosa", "password": password})
	if !strings.Contains(mfa.body, `value="SOFTWARE_TOKEN_MFA"`) {
		t.Fatalf("second sign-in should ask for the TOTP code: %d\n%s", mfa.status, mfa.body)
	}
	totpCode, _ = totp.Code(secret, clock.Now())
	done = b.submit(mfa, "/challenge", map[string]string{"code": totpCode})
	if params := callbackParams(t, done, false); params.Get("code") == "" {
		t.Fatalf("after the TOTP code: %v", params)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// outboxCode reads the newest code the pool "sent" a user.
func outboxCode(t *testing.T, p *pooltest.Pool, poolID, username, kind string) string {
	t.Helper()
	resp, err := http.Get(p.URL + "/_local/messages?" + url.Values{"pool": {poolID}, "username": {username}, "kind": {kind}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil || len(msgs) == 0 {
		t.Fatalf("no %s message for %s: %v", kind, username, err)
	}
	return msgs[len(msgs)-1].Code
}
