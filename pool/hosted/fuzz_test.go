package hosted_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

const callback = "http://localhost:4200/cb"

// fuzzPool is a pool with one OAuth client; handler serves it without a network round trip.
func fuzzPool(f *testing.F) (handler http.Handler, poolID, clientID string) {
	p := pooltest.Start(f, "memory")
	c := p.Admin()
	ctx := context.Background()
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("fuzz")})
	if err != nil {
		f.Fatal(err)
	}
	poolID = aws.ToString(created.UserPool.Id)
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
		AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeCode, types.OAuthFlowTypeImplicit},
		AllowedOAuthScopes: []string{"openid", "email"}, CallbackURLs: []string{callback}, LogoutURLs: []string{callback}})
	if err != nil {
		f.Fatal(err)
	}
	return p.Server.Handler(), poolID, aws.ToString(client.UserPoolClient.ClientId)
}

// checkAnswer holds for every answer: no server error, and a redirect goes only to the pool
// itself or to the registered callback.
func checkAnswer(t *testing.T, poolID string, rec *httptest.ResponseRecorder) {
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	loc := rec.Header().Get("Location")
	if loc == "" {
		return
	}
	if !strings.HasPrefix(loc, "/"+poolID+"/") && !strings.HasPrefix(loc, callback+"?") && !strings.HasPrefix(loc, callback+"#") && loc != callback {
		t.Fatalf("redirect to %q", loc)
	}
	if strings.HasPrefix(loc, "//") {
		t.Fatalf("protocol-relative redirect %q", loc)
	}
}

// FuzzAuthorizeAndLogout throws arbitrary queries at the authorize, login and logout
// endpoints: none may fail with a server error or redirect anywhere but the pool or the
// registered callback.
func FuzzAuthorizeAndLogout(f *testing.F) {
	handler, poolID, clientID := fuzzPool(f)
	seeds := []string{
		"client_id=" + clientID + "&response_type=code&redirect_uri=" + url.QueryEscape(callback),
		"client_id=" + clientID + "&response_type=token&redirect_uri=" + url.QueryEscape(callback) + "&scope=openid+email&state=x",
		"client_id=" + clientID + "&response_type=code&redirect_uri=" + url.QueryEscape(callback+"/") + "&prompt=none",
		"client_id=" + clientID + "&response_type=code&redirect_uri=" + url.QueryEscape(callback) + "&code_challenge=abc&code_challenge_method=plain",
		"client_id=" + clientID + "&logout_uri=" + url.QueryEscape(callback),
		"client_id=%zz&redirect_uri=%",
		"client_id=" + clientID + "&response_type=code&redirect_uri=" + url.QueryEscape(callback) + "&prompt=none&state=%00",
	}
	for _, s := range seeds {
		for _, path := range []string{"oauth2/authorize", "login", "logout", "signup"} {
			f.Add(path, s)
		}
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		switch path {
		case "oauth2/authorize", "login", "logout", "signup", "forgotPassword", "confirm":
		default:
			path = "oauth2/authorize"
		}
		req := httptest.NewRequest(http.MethodGet, "/"+poolID+"/"+path, nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		checkAnswer(t, poolID, rec)
	})
}

// FuzzTokenEndpoint throws arbitrary bodies and Authorization headers at the token, revoke
// and userInfo endpoints: every refusal is a 4xx in the endpoint's JSON shape.
func FuzzTokenEndpoint(f *testing.F) {
	handler, poolID, clientID := fuzzPool(f)
	f.Add("oauth2/token", "grant_type=authorization_code&client_id="+clientID+"&code=hlc1.x&redirect_uri="+url.QueryEscape(callback), "")
	f.Add("oauth2/token", "grant_type=refresh_token&client_id="+clientID+"&refresh_token=hlr1.x", "")
	f.Add("oauth2/token", "grant_type=client_credentials&scope=a/b", "Basic "+"Og==")
	f.Add("oauth2/token", "grant_type=authorization_code&code_verifier="+strings.Repeat("v", 200), "Basic %%%")
	f.Add("oauth2/revoke", "token=hlr1.x&client_id="+clientID, "")
	f.Add("oauth2/userInfo", "", "Bearer a.b.c")
	f.Add("oauth2/userInfo", "", "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4L3VzLWVhc3QtMV9hYmMifQ.")
	f.Fuzz(func(t *testing.T, path, body, authorization string) {
		switch path {
		case "oauth2/token", "oauth2/revoke", "oauth2/userInfo":
		default:
			path = "oauth2/token"
		}
		req := httptest.NewRequest(http.MethodPost, "/"+poolID+"/"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		checkAnswer(t, poolID, rec)
		if rec.Code >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s refused with %q", path, rec.Header().Get("Content-Type"))
		}
	})
}
