package apitest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/go-jose/go-jose/v4"

	"github.com/hashless/hashless/internal/pooltest"
)

const password = "correct horse 1"

// signInSetup makes a pool, a client allowing every password flow, and a confirmed user.
type signInSetup struct {
	p        *pooltest.Pool
	c        *cip.Client
	poolID   string
	clientID string
	secret   string
}

func newSignInSetup(t *testing.T, p *pooltest.Pool, edit ...func(*cip.CreateUserPoolClientInput)) signInSetup {
	t.Helper()
	c := p.Admin()
	poolID := newPool(t, c)
	in := &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}
	for _, e := range edit {
		e(in)
	}
	client := must(c.CreateUserPoolClient(ctx(t), in))(t).UserPoolClient
	s := signInSetup{p: p, c: c, poolID: poolID, clientID: aws.ToString(client.ClientId), secret: aws.ToString(client.ClientSecret)}
	createUser(t, c, poolID, "quinn", "email", "quinn@example.com", "email_verified", "true", "given_name", "Quinn")
	must(c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("quinn"), Password: aws.String(password), Permanent: true}))(t)
	return s
}

func (s signInSetup) secretHash(username string) string {
	mac := hmac.New(sha256.New, []byte(s.secret))
	mac.Write([]byte(username + s.clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s signInSetup) login(t *testing.T, username, pw string) (*cip.InitiateAuthOutput, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": pw}
	if s.secret != "" {
		params["SECRET_HASH"] = s.secretHash(username)
	}
	return s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
}

// claims verifies a token against the pool's published JWKS, as an outside verifier would,
// and returns its claims.
func claims(t *testing.T, p *pooltest.Pool, poolID, token string) map[string]any {
	t.Helper()
	resp, err := http.Get(p.URL + "/" + poolID + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("not an RS256 JWS: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", jws.Signatures[0].Header.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(payload, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPasswordSignInAndTokens(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		out := must(s.login(t, "QUINN", password))(t)
		r := out.AuthenticationResult
		if r == nil || aws.ToString(r.AccessToken) == "" || aws.ToString(r.IdToken) == "" || aws.ToString(r.RefreshToken) == "" ||
			r.ExpiresIn != 3600 || aws.ToString(r.TokenType) != "Bearer" {
			t.Fatalf("result %+v", r)
		}
		issuer := p.URL + "/" + s.poolID
		id := claims(t, p, s.poolID, aws.ToString(r.IdToken))
		access := claims(t, p, s.poolID, aws.ToString(r.AccessToken))
		for name, want := range map[string]any{"token_use": "id", "aud": s.clientID, "cognito:username": "quinn", "iss": issuer,
			"email": "quinn@example.com", "email_verified": true, "given_name": "Quinn"} {
			if id[name] != want {
				t.Errorf("id token %s = %v, want %v", name, id[name], want)
			}
		}
		for name, want := range map[string]any{"token_use": "access", "client_id": s.clientID, "username": "quinn", "iss": issuer,
			"scope": "aws.cognito.signin.user.admin", "origin_jti": id["origin_jti"], "event_id": id["event_id"], "auth_time": id["auth_time"]} {
			if access[name] != want {
				t.Errorf("access token %s = %v, want %v", name, access[name], want)
			}
		}
		if _, hasAud := access["aud"]; hasAud {
			t.Error("access tokens carry client_id, not aud")
		}
		if access["exp"].(float64)-access["iat"].(float64) != 3600 || id["sub"] != access["sub"] || id["jti"] == access["jti"] {
			t.Errorf("claims: %v / %v", id, access)
		}
		idKid := strings.Split(aws.ToString(r.IdToken), ".")[0]
		accessKid := strings.Split(aws.ToString(r.AccessToken), ".")[0]
		if idKid == accessKid {
			t.Error("ID and access tokens should be signed with different keys")
		}

		me := must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: r.AccessToken}))(t)
		if aws.ToString(me.Username) != "quinn" {
			t.Fatalf("GetUser: %s", aws.ToString(me.Username))
		}

		// Refresh keeps auth_time and origin_jti and returns no new refresh token.
		time.Sleep(1100 * time.Millisecond)
		ref := must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(r.RefreshToken)}}))(t).AuthenticationResult
		if ref.RefreshToken != nil || aws.ToString(ref.AccessToken) == "" {
			t.Fatalf("refresh result %+v", ref)
		}
		refreshed := claims(t, p, s.poolID, aws.ToString(ref.IdToken))
		if refreshed["auth_time"] != id["auth_time"] || refreshed["origin_jti"] != id["origin_jti"] || refreshed["iat"] == id["iat"] {
			t.Fatalf("refreshed claims %v vs %v", refreshed, id)
		}

		// Admin flow.
		adm := must(s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "quinn@example.com", "PASSWORD": password}}))(t)
		if adm.AuthenticationResult == nil {
			t.Fatal("admin sign-in gave no tokens")
		}
		_, err := s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeAdminNoSrpAuth, AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": "wrong password 1"}})
		wantAPIError(t, err, "NotAuthorizedException")

		_, err = s.login(t, "quinn", "wrong password 1")
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.login(t, "nobody", password)
		wantAPIError(t, err, "UserNotFoundException") // LEGACY client
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": "hlr1.forged"}})
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}})
		wantAPIError(t, err, "InvalidParameterException")
	})
}

func TestPreventUserExistenceErrors(t *testing.T) {
	p := pooltest.Start(t, "memory")
	s := newSignInSetup(t, p, func(in *cip.CreateUserPoolClientInput) {
		in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
	})
	_, unknown := s.login(t, "nobody", password)
	_, wrong := s.login(t, "quinn", "wrong password 1")
	wantAPIError(t, unknown, "NotAuthorizedException")
	wantAPIError(t, wrong, "NotAuthorizedException")
	if apiMessage(unknown) != apiMessage(wrong) {
		t.Fatalf("unknown user and wrong password differ: %q vs %q", apiMessage(unknown), apiMessage(wrong))
	}
	// An imported user gets the generic error too instead of PasswordResetRequiredException.
	must(s.c.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
	_, err := s.login(t, "quinn", password)
	wantAPIError(t, err, "NotAuthorizedException")
}

func TestClientFlowsAndSecretHash(t *testing.T) {
	p := pooltest.Start(t, "memory")
	s := newSignInSetup(t, p, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	must(s.login(t, "quinn", password))(t)
	_, err := s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password, "SECRET_HASH": s.secretHash("other")}})
	wantAPIError(t, err, "NotAuthorizedException")

	// A client without ExplicitAuthFlows allows only SRP, refresh and custom auth.
	plain := must(s.c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &s.poolID, ClientName: aws.String("spa")}))(t).UserPoolClient
	_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: plain.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: plain.ClientId,
		AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestNewPasswordRequired(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		must(s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("rosa"), TemporaryPassword: aws.String("temporary1"),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: attrs("email", "rosa@example.com", "email_verified", "true")}))(t)
		out := must(s.login(t, "rosa", "temporary1"))(t)
		if out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || aws.ToString(out.Session) == "" || out.AuthenticationResult != nil {
			t.Fatalf("challenge: %+v", out)
		}
		var userAttrs map[string]string
		var required []string
		if json.Unmarshal([]byte(out.ChallengeParameters["userAttributes"]), &userAttrs) != nil || userAttrs["email"] != "rosa@example.com" {
			t.Fatalf("userAttributes %q", out.ChallengeParameters["userAttributes"])
		}
		if json.Unmarshal([]byte(out.ChallengeParameters["requiredAttributes"]), &required) != nil || out.ChallengeParameters["USER_ID_FOR_SRP"] != "rosa" {
			t.Fatalf("challenge parameters %v", out.ChallengeParameters)
		}
		respond := func(session *string, pw string) (*cip.RespondToAuthChallengeOutput, error) {
			return s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
				Session: session, ChallengeResponses: map[string]string{"USERNAME": "rosa", "NEW_PASSWORD": pw, "userAttributes.given_name": "Rosa"}})
		}
		_, err := respond(out.Session, "short")
		wantAPIError(t, err, "InvalidPasswordException")
		_, err = respond(aws.String("forged-session"), "a new password 1")
		wantAPIError(t, err, "NotAuthorizedException")
		done := must(respond(out.Session, "a new password 1"))(t)
		if done.AuthenticationResult == nil || aws.ToString(done.AuthenticationResult.IdToken) == "" {
			t.Fatalf("no tokens after the new password: %+v", done)
		}
		if claims(t, p, s.poolID, aws.ToString(done.AuthenticationResult.IdToken))["given_name"] != "Rosa" {
			t.Fatal("the attribute given with the new password was not set")
		}
		_, err = respond(out.Session, "another password 1")
		wantAPIError(t, err, "NotAuthorizedException") // a session is single-use
		rosa := must(s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("rosa")}))(t)
		if rosa.UserStatus != types.UserStatusTypeConfirmed {
			t.Fatalf("status %s", rosa.UserStatus)
		}
		must(s.login(t, "rosa", "a new password 1"))(t)

		// The admin variant, and an expired session.
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("rosa"), Password: aws.String("temporary2"), Permanent: false}))(t)
		ch := must(s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "rosa", "PASSWORD": "temporary2"}}))(t)
		adm := must(s.c.AdminRespondToAuthChallenge(ctx(t), &cip.AdminRespondToAuthChallengeInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: ch.Session,
			ChallengeResponses: map[string]string{"USERNAME": "rosa", "NEW_PASSWORD": "third password 1"}}))(t)
		if adm.AuthenticationResult == nil {
			t.Fatal("admin challenge answer gave no tokens")
		}
	})
}

func TestSessionAndLockoutTiming(t *testing.T) {
	clock := pooltest.NewClock()
	p := pooltest.Start(t, "memory", pooltest.WithClock(clock))
	s := newSignInSetup(t, p)
	must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String("temporary1")}))(t)
	ch := must(s.login(t, "quinn", "temporary1"))(t)
	clock.Advance(3*time.Minute - time.Second)
	ch2 := must(s.login(t, "quinn", "temporary1"))(t)
	clock.Advance(time.Second) // the first session is now exactly 3 minutes old
	_, err := s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
		Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": "quinn", "NEW_PASSWORD": "a new password 1"}})
	wantAPIError(t, err, "NotAuthorizedException")
	must(s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: types.ChallengeNameTypeNewPasswordRequired,
		Session: ch2.Session, ChallengeResponses: map[string]string{"USERNAME": "quinn", "NEW_PASSWORD": password}}))(t)

	// Four failures are free; the fifth locks for 2^(5-5) = 1 s, the sixth for 2 s.
	fail := func() error { _, err := s.login(t, "quinn", "wrong password 1"); return err }
	for range 4 {
		wantAPIError(t, fail(), "NotAuthorizedException")
	}
	must(s.login(t, "quinn", password))(t) // a success clears the count
	for range 5 {
		if err := fail(); apiMessage(err) != "Incorrect username or password." {
			t.Fatalf("failure before any lockout: %v", err)
		}
	}
	locked := func() {
		t.Helper()
		_, err := s.login(t, "quinn", password)
		wantAPIError(t, err, "NotAuthorizedException")
		if apiMessage(err) != "Password attempts exceeded" {
			t.Fatalf("during a lockout even the right password is refused, with %q", apiMessage(err))
		}
	}
	locked()
	clock.Advance(time.Second - time.Millisecond)
	if err := fail(); apiMessage(err) != "Password attempts exceeded" { // does not count or extend
		t.Fatalf("a failure during the lockout: %v", err)
	}
	clock.Advance(time.Millisecond)
	wantAPIError(t, fail(), "NotAuthorizedException") // the sixth failure: 2 s
	clock.Advance(2*time.Second - time.Millisecond)
	locked()
	clock.Advance(time.Millisecond)
	must(s.login(t, "quinn", password))(t)
}

func TestSignOutAndRevocation(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		first := must(s.login(t, "quinn", password))(t).AuthenticationResult
		second := must(s.login(t, "quinn", password))(t).AuthenticationResult

		must(s.c.RevokeToken(ctx(t), &cip.RevokeTokenInput{ClientId: &s.clientID, Token: first.RefreshToken}))(t)
		_, err := s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: first.AccessToken})
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(first.RefreshToken)}})
		wantAPIError(t, err, "NotAuthorizedException")
		must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: second.AccessToken}))(t) // other sessions are unaffected

		must(s.c.GlobalSignOut(ctx(t), &cip.GlobalSignOutInput{AccessToken: second.AccessToken}))(t)
		_, err = s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: second.AccessToken})
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(second.RefreshToken)}})
		wantAPIError(t, err, "NotAuthorizedException")

		// Signing in again right after signing out works, even within the same second.
		third := must(s.login(t, "quinn", password))(t).AuthenticationResult
		must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: third.AccessToken}))(t)
		must(s.c.AdminUserGlobalSignOut(ctx(t), &cip.AdminUserGlobalSignOutInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
		_, err = s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: third.AccessToken})
		wantAPIError(t, err, "NotAuthorizedException")

		// A disabled user can neither sign in nor refresh.
		fourth := must(s.login(t, "quinn", password))(t).AuthenticationResult
		must(s.c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
		_, err = s.login(t, "quinn", password)
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
			AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(fourth.RefreshToken)}})
		wantAPIError(t, err, "NotAuthorizedException")
		_, err = s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: fourth.AccessToken})
		wantAPIError(t, err, "NotAuthorizedException")
	})
}

func TestDiscoveryDocument(t *testing.T) {
	p := pooltest.Start(t, "memory")
	s := newSignInSetup(t, p)
	resp, err := http.Get(p.URL + "/" + s.poolID + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil || doc["issuer"] != p.URL+"/"+s.poolID || doc["jwks_uri"] != p.URL+"/"+s.poolID+"/.well-known/jwks.json" {
		t.Fatalf("discovery %s", body)
	}
	if resp, _ := http.Get(p.URL + "/us-east-1_missing00/.well-known/jwks.json"); resp == nil || resp.StatusCode != 404 {
		t.Fatalf("JWKS of a missing pool: %v", resp)
	}
}

func apiMessage(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "Exception: "); i >= 0 {
		return msg[i+len("Exception: "):]
	}
	return msg
}
