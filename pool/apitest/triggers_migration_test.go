package apitest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

const legacyPassword = "old pass 1" // fails the pool's policy: migrated passwords are not checked against it

// legacyDirectory is a migration webhook in front of an old user directory.
func legacyDirectory(ev event) (int, any) {
	switch ev.source() {
	case "UserMigration_Authentication":
		switch ev.userName() {
		case "legacy":
			if ev.requestString("password") != legacyPassword {
				return refuse("Bad password")
			}
			return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "legacy@example.com", "email_verified": "true", "given_name": "Lee"},
				"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS"})
		case "welcome":
			return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "welcome@example.com", "email_verified": "true"},
				"desiredDeliveryMediums": []string{"EMAIL"}})
		case "resetme":
			return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "resetme@example.com", "email_verified": "true"},
				"finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS"})
		case "weird":
			return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "weird@example.com"}, "finalUserStatus": "ARCHIVED"})
		case "refused":
			return refuse("Account locked in the old system")
		case "down":
			return http.StatusServiceUnavailable, map[string]any{}
		}
	case "UserMigration_ForgotPassword":
		if ev.userName() == "forgetful" {
			return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "forgetful@example.com", "email_verified": "true"},
				"messageAction": "SUPPRESS"})
		}
	}
	return answerWith(ev, map[string]any{"userAttributes": nil})
}

func TestTriggerUserMigrationSignIn(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, legacyDirectory)
		s := newTriggerSetup(t, p, &types.LambdaConfigType{UserMigration: aws.String(h.URL)})

		out, err := s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "legacy", "PASSWORD": legacyPassword}, ClientMetadata: map[string]string{"app": "web"}})
		if err != nil {
			t.Fatal(err)
		}
		if out.AuthenticationResult == nil || out.AuthenticationResult.IdToken == nil {
			t.Fatalf("migrated sign-in got no tokens: %+v", out)
		}
		id := claims(t, p, s.poolID, aws.ToString(out.AuthenticationResult.IdToken))
		if id["email"] != "legacy@example.com" || id["given_name"] != "Lee" || id["cognito:username"] != "legacy" {
			t.Fatalf("ID token of the migrated user: %v", id)
		}
		calls := h.calls("UserMigration_Authentication")
		if len(calls) != 1 {
			t.Fatalf("%d migration calls", len(calls))
		}
		ev := calls[0]
		if ev["version"] != "1" || ev["userPoolId"] != s.poolID || ev["region"] != "us-east-1" ||
			ev["callerContext"].(map[string]any)["clientId"] != s.clientID || ev.requestMap("validationData")["app"] != "web" {
			t.Fatalf("migration event: %v", ev)
		}
		if got := s.status(t, "legacy"); got != "CONFIRMED" {
			t.Fatalf("migrated user is %s", got)
		}
		// The user lives in the pool now: the old password is checked here, the webhook is
		// not asked again, and a wrong password is an ordinary wrong password.
		must(s.login(t, "legacy", legacyPassword))(t)
		must(s.login(t, "legacy@example.com", legacyPassword))(t)
		_, err = s.login(t, "legacy", "wrong pass 1")
		wantAPIError(t, err, "NotAuthorizedException")
		if n := len(h.calls("UserMigration_Authentication")); n != 1 {
			t.Fatalf("the webhook was asked %d times about a user already migrated", n)
		}
		// messageAction SUPPRESS: nothing was sent to the migrated user.
		if msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"legacy"}}); len(msgs) != 0 {
			t.Fatalf("SUPPRESS still sent %v", msgs)
		}

		// Without SUPPRESS the user is welcomed where the webhook asked.
		must(s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "welcome", "PASSWORD": "any pass 1"}}))(t)
		if msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"welcome"}}); len(msgs) != 1 || msgs[0].Medium != "EMAIL" {
			t.Fatalf("welcome message: %v", msgs)
		}

		// RESET_REQUIRED: created, and told to reset.
		_, err = s.login(t, "resetme", "whatever 1")
		wantAPIError(t, err, "PasswordResetRequiredException")
		if got := s.status(t, "resetme"); got != "RESET_REQUIRED" {
			t.Fatalf("reset user is %s", got)
		}

		// Failures fail closed, with Cognito's exceptions, and create nobody.
		_, err = s.login(t, "legacy2", "x pass 1")
		wantAPIError(t, err, "UserNotFoundException")
		_, err = s.login(t, "refused", "x pass 1")
		wantAPIError(t, err, "UserLambdaValidationException")
		if msg := apiMessage(err); msg != "UserMigration failed with error Account locked in the old system." {
			t.Fatalf("refusal message %q", msg)
		}
		_, err = s.login(t, "down", "x pass 1")
		wantAPIError(t, err, "UnexpectedLambdaException")
		_, err = s.login(t, "weird", "x pass 1")
		wantAPIError(t, err, "UserNotFoundException")
		for _, name := range []string{"legacy2", "refused", "down", "weird"} {
			_, err := s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String(name)})
			wantAPIError(t, err, "UserNotFoundException")
		}

		// A client that hides user existence answers a refusal as it answers an unknown name.
		hidden := s.addClient(t, func(in *cip.CreateUserPoolClientInput) {
			in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
		})
		_, refused := hidden.login(t, "refused", "x pass 1")
		_, unknown := hidden.login(t, "nobody", "x pass 1")
		_, wrong := hidden.login(t, "legacy", "wrong pass 1")
		for _, err := range []error{refused, unknown, wrong} {
			wantAPIError(t, err, "NotAuthorizedException")
			if apiMessage(err) != "Incorrect username or password." {
				t.Fatalf("hidden failure says %q", apiMessage(err))
			}
		}
		// Every call is counted by trigger and outcome.
		m := metricsText(t, p)
		for _, want := range []string{
			`hashless_pool_trigger_calls_total{outcome="ok",trigger="UserMigration"}`,
			`hashless_pool_trigger_calls_total{outcome="rejected",trigger="UserMigration"}`,
			`hashless_pool_trigger_calls_total{outcome="failed",trigger="UserMigration"}`,
		} {
			if !strings.Contains(m, want) {
				t.Fatalf("/metrics lacks %s", want)
			}
		}
		// SRP sends no password, so it never migrates.
		before := len(h.calls("UserMigration_Authentication"))
		_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": "srpuser", "SRP_A": "0a"}})
		if err == nil {
			t.Fatal("SRP for an unknown user succeeded")
		}
		if len(h.calls("UserMigration_Authentication")) != before {
			t.Fatal("SRP called the migration webhook")
		}
	})
}

func TestTriggerUserMigrationForgotPassword(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, legacyDirectory)
		s := newTriggerSetup(t, p, &types.LambdaConfigType{UserMigration: aws.String(h.URL)})

		out := must(s.c.ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: &s.clientID, Username: aws.String("forgetful"),
			ClientMetadata: map[string]string{"from": "reset-page"}}))(t)
		if d := out.CodeDeliveryDetails; d == nil || d.DeliveryMedium != types.DeliveryMediumTypeEmail {
			t.Fatalf("delivery %+v", out.CodeDeliveryDetails)
		}
		calls := h.calls("UserMigration_ForgotPassword")
		if len(calls) != 1 || calls[0].requestString("password") != "" || calls[0].requestMap("clientMetadata")["from"] != "reset-page" {
			t.Fatalf("forgot-password migration events %v", calls)
		}
		if got := s.status(t, "forgetful"); got != "RESET_REQUIRED" {
			t.Fatalf("migrated user is %s", got)
		}
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"forgetful"}, "kind": {"FORGOT_PASSWORD"}})
		if len(msgs) != 1 {
			t.Fatalf("forgot-password messages %v", msgs)
		}
		if err := s.confirmForgot(t, "forgetful", msgs[0].Code, "new pass 1"); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "forgetful", "new pass 1"))(t)

		// Declined: as for any unknown user, hidden or not.
		_, err := s.forgot(t, "stranger")
		wantAPIError(t, err, "UserNotFoundException")
		hidden := s.addClient(t, func(in *cip.CreateUserPoolClientInput) {
			in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
		})
		if out := must(hidden.forgot(t, "stranger"))(t); out.CodeDeliveryDetails == nil {
			t.Fatal("a hiding client gave no simulated delivery")
		}
	})
}

func metricsText(t *testing.T, p *pooltest.Pool) string {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
