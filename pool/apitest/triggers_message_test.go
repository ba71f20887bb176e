package apitest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestTriggerCustomMessage(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			code := ev.requestString("codeParameter")
			switch ev.source() {
			case "CustomMessage_SignUp", "CustomMessage_ResendCode":
				return answerWith(ev, map[string]any{"emailSubject": "Welcome aboard", "emailMessage": "Hello " + ev.userName() + ", your code is " + code, "smsMessage": nil})
			case "CustomMessage_ForgotPassword":
				// No placeholder: the pool's own message goes instead.
				return answerWith(ev, map[string]any{"emailMessage": "Forgot? Too bad."})
			case "CustomMessage_AdminCreateUser":
				return answerWith(ev, map[string]any{"emailMessage": "Sign in as " + ev.requestString("usernameParameter") + " with " + code, "emailSubject": "Invited"})
			case "CustomMessage_UpdateUserAttribute":
				return answerWith(ev, map[string]any{"emailMessage": "Confirm " + ev.requestMap("userAttributes")["email"] + " with " + code})
			case "CustomMessage_VerifyUserAttribute":
				return refuse("No more mail")
			}
			return http.StatusOK, nil
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{CustomMessage: aws.String(h.URL)})

		must(s.signUp(t, "carol", password, "email", "carol@example.com"))(t)
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"SIGNUP"}})
		if len(msgs) != 1 || msgs[0].Message != "Hello carol, your code is "+msgs[0].Code {
			t.Fatalf("sign-up message %v", msgs)
		}
		ev := h.calls("CustomMessage_SignUp")
		if len(ev) != 1 || ev[0].requestString("codeParameter") != "{####}" || ev[0].request()["usernameParameter"] != nil ||
			ev[0].requestMap("userAttributes")["email"] != "carol@example.com" {
			t.Fatalf("custom message event %v", ev)
		}
		must(s.resend(t, "carol"))(t)
		if n := len(h.calls("CustomMessage_ResendCode")); n != 1 {
			t.Fatalf("%d resend calls", n)
		}
		msgs = outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"SIGNUP"}})
		if err := s.confirmSignUp(t, "carol", msgs[len(msgs)-1].Code, false); err != nil {
			t.Fatal(err)
		}

		must(s.forgot(t, "carol"))(t)
		forgot := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"FORGOT_PASSWORD"}})
		if len(forgot) != 1 || !strings.Contains(forgot[0].Message, forgot[0].Code) || strings.Contains(forgot[0].Message, "Too bad") {
			t.Fatalf("a message without the code was used: %v", forgot)
		}

		must(s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("dave"),
			UserAttributes: attrs("email", "dave@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail}}))(t)
		invite := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"dave"}, "kind": {"INVITATION"}})
		if len(invite) != 1 || invite[0].Message != "Sign in as dave with "+invite[0].Code {
			t.Fatalf("invitation %v", invite)
		}

		// A refusal fails the call and sends nothing.
		tok := must(s.login(t, "carol", password))(t).AuthenticationResult.AccessToken
		_, err := s.c.GetUserAttributeVerificationCode(ctx(t), &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("email")})
		wantAPIError(t, err, "UserLambdaValidationException")
		if msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"ATTRIBUTE_VERIFICATION"}}); len(msgs) != 0 {
			t.Fatalf("a refused message was sent: %v", msgs)
		}
		must(s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: tok, UserAttributes: attrs("email", "carol2@example.com")}))(t)
		verify := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"ATTRIBUTE_VERIFICATION"}})
		if len(verify) != 1 || verify[0].Message != "Confirm carol2@example.com with "+verify[0].Code {
			t.Fatalf("attribute verification message %v", verify)
		}
		must(s.c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &s.poolID, Username: aws.String("carol"),
			UserAttributes: attrs("email", "carol3@example.com")}))(t)
		verify = outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"carol"}, "kind": {"ATTRIBUTE_VERIFICATION"}})
		if len(verify) != 2 || verify[1].Message != "Confirm carol3@example.com with "+verify[1].Code {
			t.Fatalf("admin attribute verification message %v", verify)
		}
		if n := len(h.calls("CustomMessage_UpdateUserAttribute")); n != 2 {
			t.Fatalf("%d update-attribute message calls", n)
		}
	})
}

// An MFA code's message goes through the webhook too (CustomMessage_Authentication), and
// a successful sign-in through it still meets pre token generation and post authentication.
func TestTriggerCustomMessageAuthentication(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			if ev.source() == "CustomMessage_Authentication" {
				return answerWith(ev, map[string]any{"smsMessage": "Sign-in code " + ev.requestString("codeParameter") + " (do not share)"})
			}
			return http.StatusOK, nil
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{CustomMessage: aws.String(h.URL),
			PostAuthentication: aws.String(h.URL), PreTokenGeneration: aws.String(h.URL)})
		createUser(t, s.c, s.poolID, "quinn", "email", "quinn@example.com", "email_verified", "true",
			"phone_number", "+15555550123", "phone_number_verified", "true")
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String(password), Permanent: true}))(t)
		setMFA(t, s, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional, SmsMfaConfiguration: &types.SmsMfaConfigType{}})
		must(s.c.AdminSetUserMFAPreference(ctx(t), &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}}))(t)

		ch := passwordChallenge(t, s, "quinn", password)
		if ch.ChallengeName != types.ChallengeNameTypeSmsMfa {
			t.Fatalf("challenge %s", ch.ChallengeName)
		}
		if n := len(h.calls("PostAuthentication_Authentication")); n != 0 {
			t.Fatal("post authentication ran before the second factor")
		}
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"quinn"}, "kind": {"MFA"}})
		if len(msgs) != 1 || msgs[0].Message != "Sign-in code "+msgs[0].Code+" (do not share)" {
			t.Fatalf("MFA message %v", msgs)
		}
		wantTokens(t, must(respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"SMS_MFA_CODE": msgs[0].Code}))(t).AuthenticationResult)
		if len(h.calls("PostAuthentication_Authentication")) != 1 || len(h.calls("TokenGeneration_Authentication")) != 1 {
			t.Fatal("post authentication or pre token generation did not run after the second factor")
		}
	})
}
