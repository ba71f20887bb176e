package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func kidOf(token string) string {
	header := strings.Split(token, ".")[0]
	return header
}

// Rotation publishes the new keys first; old tokens keep verifying; tokens made before a
// restart verify after it.
func TestKeyRotationAndRestart(t *testing.T) {
	dsn := pooltest.DSN(t, pooltest.SQLite)
	clock := pooltest.NewClock()
	p := pooltest.Start(t, dsn, pooltest.WithClock(clock))
	s := newSignInSetup(t, p)
	before := must(s.login(t, "quinn", password))(t).AuthenticationResult

	if _, err := p.Server.Service.RotateKeys(context.Background(), s.poolID, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	during := must(s.login(t, "quinn", password))(t).AuthenticationResult
	if kidOf(aws.ToString(during.AccessToken)) != kidOf(aws.ToString(before.AccessToken)) {
		t.Fatal("the new key signed before its lead was over")
	}
	clock.Advance(10 * time.Minute)
	after := must(s.login(t, "quinn", password))(t).AuthenticationResult
	if kidOf(aws.ToString(after.AccessToken)) == kidOf(aws.ToString(before.AccessToken)) {
		t.Fatal("the new key does not sign after its lead")
	}
	for _, tok := range []*string{before.IdToken, after.IdToken} {
		claims(t, p, s.poolID, aws.ToString(tok)) // both keys are in the JWKS
	}
	must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: before.AccessToken}))(t)

	// A new server process on the same database and key accepts the old tokens.
	p.HTTP.Close()
	p.Server.Close()
	again := pooltest.Start(t, dsn, pooltest.WithClock(clock), func(cfg *serverConfig) { cfg.PublicURL = p.URL })
	claims(t, again, s.poolID, aws.ToString(after.IdToken))
	must(again.Admin().GetUser(ctx(t), &cip.GetUserInput{AccessToken: after.AccessToken}))(t)

	// Once the old key's last token has expired it leaves the JWKS and its tokens fail.
	clock.Advance(24*time.Hour + time.Minute)
	if _, err := again.Server.Service.RotateKeys(context.Background(), s.poolID, 0); err != nil {
		t.Fatal(err)
	}
	_, err := again.Admin().GetUser(ctx(t), &cip.GetUserInput{AccessToken: before.AccessToken})
	wantAPIError(t, err, "NotAuthorizedException")
}

// Token lifetimes follow the client's validity settings, to the second.
func TestTokenExpiryBoundary(t *testing.T) {
	clock := pooltest.NewClock()
	p := pooltest.Start(t, "memory", pooltest.WithClock(clock))
	s := newSignInSetup(t, p, func(in *cip.CreateUserPoolClientInput) {
		in.AccessTokenValidity = aws.Int32(5)
		in.TokenValidityUnits = &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes}
	})
	r := must(s.login(t, "quinn", password))(t).AuthenticationResult
	if r.ExpiresIn != 300 {
		t.Fatalf("ExpiresIn %d", r.ExpiresIn)
	}
	clock.Advance(5*time.Minute - time.Second)
	must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: r.AccessToken}))(t)
	clock.Advance(time.Second)
	_, err := s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: r.AccessToken})
	wantAPIError(t, err, "NotAuthorizedException")
	// The refresh token (30 days) still works; it expires at 30 days to the second.
	must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: "REFRESH_TOKEN_AUTH",
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}}))(t)
	clock.Advance(30*24*time.Hour - 5*time.Minute - time.Second)
	must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: "REFRESH_TOKEN_AUTH",
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}}))(t)
	clock.Advance(time.Second)
	_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: "REFRESH_TOKEN_AUTH",
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}})
	wantAPIError(t, err, "NotAuthorizedException")
}

// With --issuer-style aws the tokens name Cognito's issuer while the keys stay local.
func TestAWSIssuerStyle(t *testing.T) {
	p := pooltest.Start(t, "memory", func(cfg *serverConfig) { cfg.IssuerStyle = "aws" })
	s := newSignInSetup(t, p)
	r := must(s.login(t, "quinn", password))(t).AuthenticationResult
	want := "https://cognito-idp.us-east-1.amazonaws.com/" + s.poolID
	if iss := claims(t, p, s.poolID, aws.ToString(r.IdToken))["iss"]; iss != want {
		t.Fatalf("iss %v, want %s", iss, want)
	}
	must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: r.AccessToken}))(t)
	resp, err := http.Get(p.URL + "/" + s.poolID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc["issuer"] != want || doc["jwks_uri"] != p.URL+"/"+s.poolID+"/.well-known/jwks.json" {
		t.Fatalf("discovery %v", doc)
	}
}
