package apitest

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestTriggerPreAndPostAuthentication(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			switch {
			case ev.source() == "PreAuthentication_Authentication" && ev.userName() == "blocked":
				return refuse("Blocked")
			case ev.source() == "PostAuthentication_Authentication" && ev.userName() == "postfail":
				return http.StatusInternalServerError, map[string]any{}
			}
			return http.StatusOK, nil
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{PreAuthentication: aws.String(h.URL), PostAuthentication: aws.String(h.URL)})
		for _, name := range []string{"quinn", "blocked", "postfail"} {
			createUser(t, s.c, s.poolID, name, "email", name+"@example.com", "email_verified", "true")
			must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String(name), Password: aws.String(password), Permanent: true}))(t)
		}

		out := must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}, ClientMetadata: map[string]string{"device": "kiosk"}}))(t)
		if out.AuthenticationResult == nil {
			t.Fatal("no tokens")
		}
		pre := h.calls("PreAuthentication_Authentication")
		post := h.calls("PostAuthentication_Authentication")
		if len(pre) != 1 || len(post) != 1 {
			t.Fatalf("%d pre and %d post authentication calls", len(pre), len(post))
		}
		if pre[0].requestMap("validationData")["device"] != "kiosk" || pre[0].requestMap("userAttributes")["email"] != "quinn@example.com" {
			t.Fatalf("pre authentication event %v", pre[0])
		}
		if post[0].request()["newDeviceUsed"] != false || post[0].requestMap("userAttributes")["sub"] == "" {
			t.Fatalf("post authentication event %v", post[0])
		}

		// Pre authentication refuses before the password is checked: a wrong password for a
		// refused user is still the refusal.
		_, err := s.login(t, "blocked", "wrong pass 1")
		wantAPIError(t, err, "UserLambdaValidationException")
		if msg := apiMessage(err); msg != "PreAuthentication failed with error Blocked." {
			t.Fatalf("refusal message %q", msg)
		}
		// A wrong password never reaches post authentication.
		_, err = s.login(t, "quinn", "wrong pass 1")
		wantAPIError(t, err, "NotAuthorizedException")
		if n := len(h.calls("PostAuthentication_Authentication")); n != 1 {
			t.Fatalf("post authentication ran for a failed sign-in (%d calls)", n)
		}
		// A failing post authentication leaves the user without tokens.
		_, err = s.login(t, "postfail", password)
		wantAPIError(t, err, "UnexpectedLambdaException")
	})
}

func TestTriggerPreTokenGeneration(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			return answerWith(ev, map[string]any{"claimsOverrideDetails": map[string]any{
				"claimsToAddOrOverride": map[string]string{"tenant": "t1", "sub": "forged", "iss": "https://evil.example", "token_use": "access", "cognito:username": "admin"},
				"claimsToSuppress":      []string{"given_name", "aud", "exp"},
				"groupOverrideDetails":  map[string]any{"groupsToOverride": []string{"admins"}},
			}})
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{PreTokenGeneration: aws.String(h.URL)})
		createUser(t, s.c, s.poolID, "quinn", "email", "quinn@example.com", "email_verified", "true", "given_name", "Quinn")
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String(password), Permanent: true}))(t)
		must(s.c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &s.poolID, GroupName: aws.String("readers")}))(t)
		must(s.c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), GroupName: aws.String("readers")}))(t)

		r := must(s.login(t, "quinn", password))(t).AuthenticationResult
		id := claims(t, p, s.poolID, aws.ToString(r.IdToken))
		access := claims(t, p, s.poolID, aws.ToString(r.AccessToken))
		if id["tenant"] != "t1" || id["given_name"] != nil {
			t.Fatalf("claims not applied: %v", id)
		}
		if id["sub"] != access["sub"] || id["sub"] == "forged" || id["iss"] == "https://evil.example" || id["token_use"] != "id" ||
			id["cognito:username"] != "quinn" || id["aud"] != s.clientID || id["exp"] == nil {
			t.Fatalf("a protected claim was changed: %v", id)
		}
		for _, c := range []map[string]any{id, access} {
			if g, _ := c["cognito:groups"].([]any); len(g) != 1 || g[0] != "admins" {
				t.Fatalf("groups not overridden: %v", c["cognito:groups"])
			}
		}
		ev := h.calls("TokenGeneration_Authentication")
		if len(ev) != 1 {
			t.Fatalf("%d token generation calls", len(ev))
		}
		gc, _ := ev[0].request()["groupConfiguration"].(map[string]any)
		if g, _ := gc["groupsToOverride"].([]any); len(g) != 1 || g[0] != "readers" {
			t.Fatalf("groupConfiguration %v", gc)
		}

		refreshed := must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}}))(t)
		if claims(t, p, s.poolID, aws.ToString(refreshed.AuthenticationResult.IdToken))["tenant"] != "t1" {
			t.Fatal("refreshed ID token lacks the added claim")
		}
		if n := len(h.calls("TokenGeneration_RefreshTokens")); n != 1 {
			t.Fatalf("%d refresh token generation calls", n)
		}
	})
}
