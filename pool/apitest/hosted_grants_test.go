package apitest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/hashless/hashless/cognito/oauth"
	"github.com/hashless/hashless/cognito/verify"
	"github.com/hashless/hashless/internal/pooltest"
)

// The client_credentials grant through golang.org/x/oauth2/clientcredentials: an access
// token for the client itself carrying resource-server scopes, and refusals for scopes it
// is not allowed and for clients without the flow.
func TestClientCredentialsGrant(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newHostedSetup(t, p, nil)
		must(s.c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &s.poolID, Identifier: aws.String("https://api.example.com"),
			Name: aws.String("api"), Scopes: []types.ResourceServerScopeType{
				{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")},
				{ScopeName: aws.String("write"), ScopeDescription: aws.String("write")}}}))(t)
		machine := must(s.c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &s.poolID, ClientName: aws.String("machine"),
			GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"https://api.example.com/read", "https://api.example.com/write"}}))(t).UserPoolClient
		conf := clientcredentials.Config{ClientID: aws.ToString(machine.ClientId), ClientSecret: aws.ToString(machine.ClientSecret),
			TokenURL: s.issuer + "/oauth2/token", AuthStyle: oauth2.AuthStyleInHeader}
		tok, err := conf.Token(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		v, err := verify.New(verify.Config{Issuer: s.issuer, ClientIDs: []string{conf.ClientID}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.VerifyAccessToken(ctx(t), tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Scopes, " ") != "https://api.example.com/read https://api.example.com/write" || c.Subject != conf.ClientID || c.Username != "" {
			t.Fatalf("client_credentials claims: %+v", c)
		}
		if _, ok := tok.Extra("refresh_token").(string); ok || tok.RefreshToken != "" || tok.Extra("id_token") != nil {
			t.Fatal("client_credentials must return an access token only")
		}
		conf.Scopes = []string{"https://api.example.com/read"}
		tok, err = conf.Token(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if c, err = v.VerifyAccessToken(ctx(t), tok.AccessToken); err != nil || strings.Join(c.Scopes, " ") != "https://api.example.com/read" {
			t.Fatalf("asked-for scope: %v %v", c, err)
		}
		for _, bad := range []string{"openid", "https://api.example.com/delete"} {
			conf.Scopes = []string{bad}
			if _, err := conf.Token(ctx(t)); !isOAuthError(err, "invalid_scope") {
				t.Errorf("scope %q: %v", bad, err)
			}
		}
		// userInfo has nobody to describe for such a token.
		req, _ := http.NewRequest(http.MethodGet, s.issuer+"/oauth2/userInfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("userInfo with a client token: %d", resp.StatusCode)
		}
	})
}

// The cognito/oauth helper against a running pool: discovery, the code flow with PKCE and
// nonce, refresh, userInfo, revoke and the logout URL.
func TestOAuthHelperAgainstPool(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.SQLite))
	s := newHostedSetup(t, p, nil)
	c := ctx(t)
	client, err := oauth.New(c, oauth.Config{Issuer: s.issuer, ClientID: s.clientID, RedirectURL: appCallback,
		Scopes: []string{"openid", "email", "profile"}})
	if err != nil {
		t.Fatal(err)
	}
	flow := oauth.NewFlow()
	b := newBrowser(t)
	login := b.get(client.AuthCodeURL(flow.State, flow.Nonce, flow.Verifier))
	params := callbackParams(t, b.submit(login, "/login", map[string]string{"username": "quinn", "password": password}), false)
	if params.Get("state") != flow.State {
		t.Fatalf("state %q", params.Get("state"))
	}
	tokens, err := client.Exchange(c, params.Get("code"), flow.Verifier, flow.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Claims.Username != "quinn" || tokens.Claims.Raw["email"] != "quinn@example.com" || tokens.RefreshToken == "" {
		t.Fatalf("tokens: %+v", tokens.Claims)
	}
	info, err := client.UserInfo(c, tokens.AccessToken)
	if err != nil || info["given_name"] != "Quinn" {
		t.Fatalf("userInfo with profile: %v %v", info, err)
	}
	refreshed, err := client.Refresh(c, tokens.RefreshToken)
	if err != nil || refreshed.RefreshToken != tokens.RefreshToken || refreshed.Claims.Username != "quinn" {
		t.Fatalf("refresh: %v %v", refreshed, err)
	}
	if err := client.Revoke(c, tokens.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Refresh(c, tokens.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("refresh after revoke: %v", err)
	}
	logout := client.LogoutURL(appLogout)
	if got := b.get(logout); got.status != http.StatusFound || got.location != appLogout {
		t.Fatalf("logout URL %s: %d to %q", logout, got.status, got.location)
	}
}

// A hosted-UI session lasts an hour: after that the authorization asks for the password
// again, and a user disabled meanwhile is not let through silently.
func TestHostedSessionExpiryAndDisabledUser(t *testing.T) {
	clock := pooltest.NewClock()
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory), pooltest.WithClock(clock))
	s := newHostedSetup(t, p, nil)
	b := newBrowser(t)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "scope": {"openid"}}
	authorize := s.issuer + "/oauth2/authorize?" + q.Encode()
	callbackParams(t, b.submit(b.get(authorize), "/login", map[string]string{"username": "quinn", "password": password}), false)
	clock.Advance(59 * time.Minute)
	callbackParams(t, b.get(authorize), false) // still silent
	clock.Advance(2 * time.Minute)
	if got := b.get(authorize); got.status != http.StatusOK || !strings.Contains(got.url.Path, "/login") {
		t.Fatalf("an expired hosted session must ask again: %d at %s", got.status, got.url)
	}
	callbackParams(t, b.submit(b.get(authorize), "/login", map[string]string{"username": "quinn", "password": password}), false)
	must(s.c.AdminDisableUser(context.Background(), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
	if got := b.get(authorize); got.status != http.StatusOK || !strings.Contains(got.url.Path, "/login") {
		t.Fatalf("a disabled user's session must not authorize: %d at %s", got.status, got.location)
	}
	must(s.c.AdminEnableUser(context.Background(), &cip.AdminEnableUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
	callbackParams(t, b.submit(b.get(authorize), "/login", map[string]string{"username": "quinn", "password": password}), false)
	must(s.c.AdminUserGlobalSignOut(context.Background(), &cip.AdminUserGlobalSignOutInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
	if got := b.get(authorize); got.status != http.StatusOK || !strings.Contains(got.url.Path, "/login") {
		t.Fatalf("a global sign-out must end the hosted session: %d at %s", got.status, got.location)
	}
}

// SetUICustomization styles the hosted pages: the client's CSS follows the base stylesheet
// and its logo is shown, both served by the pool under the pool's path.
func TestHostedPagesUseUICustomization(t *testing.T) {
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory))
	s := newHostedSetup(t, p, nil)
	css := ".banner-customizable { background-color: #123456; }"
	logo := testImage(t, "png")
	must(s.c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &s.poolID, ClientId: &s.clientID, CSS: &css, ImageFile: logo}))(t)
	b := newBrowser(t)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}}
	login := b.get(s.issuer + "/login?" + q.Encode())
	style := htmlUnescape(between(login.body, `<link rel="stylesheet" href="`, `"`))
	img := htmlUnescape(between(login.body, `<img class="logo-customizable" src="`, `"`))
	if style == "" || img == "" {
		t.Fatalf("the page links no customized style or logo:\n%s", login.body)
	}
	if got := b.get(p.URL + style); got.status != 200 || !strings.Contains(got.body, css) || !strings.Contains(got.body, ".submitButton-customizable") {
		t.Fatalf("stylesheet: %d\n%s", got.status, got.body)
	}
	resp, err := http.Get(p.URL + img)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("logo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
