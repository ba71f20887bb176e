package apitest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func rotation(grace int32) func(*cip.CreateUserPoolClientInput) {
	return func(in *cip.CreateUserPoolClientInput) {
		in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(grace)}
	}
}

func (s signInSetup) rotate(t *testing.T, token *string) (*cip.GetTokensFromRefreshTokenOutput, error) {
	t.Helper()
	in := &cip.GetTokensFromRefreshTokenInput{ClientId: &s.clientID, RefreshToken: token}
	if s.secret != "" {
		in.ClientSecret = aws.String(s.secret)
	}
	return s.c.GetTokensFromRefreshToken(ctx(t), in)
}

// With rotation, each refresh gives a new refresh token, and the old one works only for the
// grace period; REFRESH_TOKEN_AUTH is refused.
func TestRefreshTokenRotation(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSignInSetup(t, p, rotation(10))
		first := must(s.login(t, "quinn", password))(t).AuthenticationResult
		r1 := first.RefreshToken
		out := must(s.rotate(t, r1))(t).AuthenticationResult
		wantTokens(t, out)
		r2 := out.RefreshToken
		if aws.ToString(r2) == aws.ToString(r1) {
			t.Fatal("rotation returned the same refresh token")
		}
		if claims(t, p, s.poolID, aws.ToString(out.AccessToken))["origin_jti"] != claims(t, p, s.poolID, aws.ToString(first.AccessToken))["origin_jti"] {
			t.Fatal("a rotated refresh token starts a new session family")
		}
		// Within the grace period the old token still works (a client retrying a lost answer).
		clock.Advance(9 * time.Second)
		wantTokens(t, must(s.rotate(t, r1))(t).AuthenticationResult)
		clock.Advance(2 * time.Second)
		_, err := s.rotate(t, r1)
		wantAPIError(t, err, "NotAuthorizedException")
		r3 := must(s.rotate(t, r2))(t).AuthenticationResult.RefreshToken
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r3)}})
		wantAPIError(t, err, "InvalidParameterException")

		// Without a grace period the old token is gone at once.
		z := newSignInSetup(t, p, rotation(0), func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
		zr := must(z.login(t, "quinn", password))(t).AuthenticationResult.RefreshToken
		wantTokens(t, must(z.rotate(t, zr))(t).AuthenticationResult)
		_, err = z.rotate(t, zr)
		wantAPIError(t, err, "NotAuthorizedException")
		zr = must(z.login(t, "quinn", password))(t).AuthenticationResult.RefreshToken
		_, err = z.c.GetTokensFromRefreshToken(ctx(t), &cip.GetTokensFromRefreshTokenInput{ClientId: &z.clientID, RefreshToken: zr, ClientSecret: aws.String("wrong")})
		wantAPIError(t, err, "NotAuthorizedException")
	})
}

// Without rotation, GetTokensFromRefreshToken refreshes like REFRESH_TOKEN_AUTH: no new
// refresh token, and the old one keeps working.
func TestGetTokensWithoutRotation(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		r := must(s.login(t, "quinn", password))(t).AuthenticationResult.RefreshToken
		for range 2 {
			out := must(s.rotate(t, r))(t).AuthenticationResult
			if aws.ToString(out.AccessToken) == "" || out.RefreshToken != nil {
				t.Fatalf("refresh without rotation: %+v", out)
			}
		}
		_, err := s.rotate(t, aws.String("not-a-refresh-token"))
		wantAPIError(t, err, "NotAuthorizedException")
		// Global sign-out ends it.
		at := must(s.login(t, "quinn", password))(t).AuthenticationResult.AccessToken
		time.Sleep(1100 * time.Millisecond)
		must(s.c.GlobalSignOut(ctx(t), &cip.GlobalSignOutInput{AccessToken: at}))(t)
		_, err = s.rotate(t, r)
		wantAPIError(t, err, "NotAuthorizedException")

		for name, rot := range map[string]*types.RefreshTokenRotationType{
			"an unknown feature":   {Feature: "SOMETIMES"},
			"a grace period of 61": {Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(61)},
		} {
			_, err := s.c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &s.poolID, ClientName: aws.String("bad"),
				RefreshTokenRotation: rot})
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			wantAPIError(t, err, "InvalidParameterException")
		}
	})
}
