package apitest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestTriggerPreSignUp(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			email := ev.requestMap("userAttributes")["email"]
			switch {
			case strings.HasSuffix(email, "@blocked.example"), ev.userName() == "nope":
				return refuse("Registration from this domain is not allowed.")
			case strings.HasPrefix(ev.userName(), "auto"):
				return answerWith(ev, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
			case ev.userName() == "adminauto":
				return answerWith(ev, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
			}
			return answerWith(ev, map[string]any{"autoConfirmUser": false})
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{PreSignUp: aws.String(h.URL)})

		_, err := s.c.SignUp(ctx(t), &cip.SignUpInput{ClientId: &s.clientID, Username: aws.String("mallory"), Password: aws.String(password),
			UserAttributes: attrs("email", "m@blocked.example"), ValidationData: attrs("captcha", "ok"), ClientMetadata: map[string]string{"k": "v"}})
		wantAPIError(t, err, "UserLambdaValidationException")
		if msg := apiMessage(err); msg != "PreSignUp failed with error Registration from this domain is not allowed.." {
			t.Fatalf("refusal message %q", msg)
		}
		_, err = s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("mallory")})
		wantAPIError(t, err, "UserNotFoundException")
		ev := h.calls("PreSignUp_SignUp")[0]
		if ev.requestMap("validationData")["captcha"] != "ok" || ev.requestMap("clientMetadata")["k"] != "v" || ev.userName() != "mallory" {
			t.Fatalf("pre sign-up event %v", ev)
		}

		// autoConfirmUser: confirmed at once, no code, the e-mail address verified.
		out := must(s.signUp(t, "autoann", password, "email", "autoann@example.com"))(t)
		if !out.UserConfirmed || out.CodeDeliveryDetails != nil {
			t.Fatalf("auto-confirmed sign-up answered %+v", out)
		}
		u := must(s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("autoann")}))(t)
		if v, _ := attrValue(u.UserAttributes, "email_verified"); u.UserStatus != types.UserStatusTypeConfirmed || v != "true" {
			t.Fatalf("auto-confirmed user %s, email_verified %q", u.UserStatus, v)
		}
		if msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"autoann"}}); len(msgs) != 0 {
			t.Fatalf("an auto-confirmed user was sent %v", msgs)
		}
		must(s.login(t, "autoann@example.com", password))(t)

		// Otherwise as without the trigger.
		out = must(s.signUp(t, "bob", password, "email", "bob@example.com"))(t)
		if out.UserConfirmed || out.CodeDeliveryDetails == nil {
			t.Fatalf("ordinary sign-up answered %+v", out)
		}

		// AdminCreateUser: a refusal counts, the flags do not.
		_, err = s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("nope"), MessageAction: types.MessageActionTypeSuppress})
		wantAPIError(t, err, "UserLambdaValidationException")
		created := createUser(t, s.c, s.poolID, "adminauto", "email", "adminauto@example.com")
		if created.UserStatus != types.UserStatusTypeForceChangePassword {
			t.Fatalf("admin-created user is %s", created.UserStatus)
		}
		if n := len(h.calls("PreSignUp_AdminCreateUser")); n != 2 {
			t.Fatalf("%d PreSignUp_AdminCreateUser calls", n)
		}
	})
}

func TestTriggerPostConfirmation(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			if ev.userName() == "frank" {
				return refuse("CRM is down")
			}
			return answerWith(ev, map[string]any{})
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{PostConfirmation: aws.String(h.URL)})
		code := func(name, kind string) string {
			msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {name}, "kind": {kind}})
			if len(msgs) == 0 {
				t.Fatalf("no %s message for %s", kind, name)
			}
			return msgs[len(msgs)-1].Code
		}

		must(s.signUp(t, "erin", password, "email", "erin@example.com"))(t)
		if err := s.confirmSignUp(t, "erin", code("erin", "SIGNUP"), false); err != nil {
			t.Fatal(err)
		}
		ev := h.calls("PostConfirmation_ConfirmSignUp")
		if len(ev) != 1 || ev[0].requestMap("userAttributes")["email_verified"] != "true" ||
			ev[0].requestMap("userAttributes")["cognito:user_status"] != "CONFIRMED" {
			t.Fatalf("post confirmation events %v", ev)
		}
		must(s.forgot(t, "erin"))(t)
		if err := s.confirmForgot(t, "erin", code("erin", "FORGOT_PASSWORD"), "new pass 1"); err != nil {
			t.Fatal(err)
		}
		if n := len(h.calls("PostConfirmation_ConfirmForgotPassword")); n != 1 {
			t.Fatalf("%d forgot-password confirmation calls", n)
		}

		// A failing webhook fails the call; the confirmation stands.
		must(s.signUp(t, "frank", password, "email", "frank@example.com"))(t)
		err := s.confirmSignUp(t, "frank", code("frank", "SIGNUP"), false)
		wantAPIError(t, err, "UserLambdaValidationException")
		if got := s.status(t, "frank"); got != "CONFIRMED" {
			t.Fatalf("frank is %s", got)
		}
	})
}
