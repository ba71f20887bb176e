package apitest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
)

// The trigger-driven flows through the cognito package: a user migrated by Login (with the
// password flow, which migration needs, as on Cognito: SRP hides the password from the
// webhook), who then signs in with SRP; a sign-up auto-confirmed by pre sign-up; a custom
// forgot-password message; claims added by pre token generation.
func TestTriggersThroughTheCognitoPackage(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			switch ev.source() {
			case "UserMigration_Authentication":
				if ev.userName() == "legacy" && ev.requestString("password") == legacyPassword {
					return answerWith(ev, map[string]any{"userAttributes": map[string]string{"email": "legacy@example.com", "email_verified": "true"},
						"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS"})
				}
				return refuse("unknown in the old system")
			case "PreSignUp_SignUp":
				return answerWith(ev, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true})
			case "CustomMessage_ForgotPassword":
				code := ev.requestString("codeParameter")
				return answerWith(ev, map[string]any{"emailSubject": "Reset", "emailMessage": "Your shop reset code: " + code})
			case "TokenGeneration_Authentication":
				return answerWith(ev, map[string]any{"claimsOverrideDetails": map[string]any{"claimsToAddOrOverride": map[string]string{"tier": "gold"}}})
			}
			return answerWith(ev, map[string]any{})
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{UserMigration: aws.String(h.URL), PreSignUp: aws.String(h.URL),
			CustomMessage: aws.String(h.URL), PreTokenGeneration: aws.String(h.URL)},
			func(in *cip.CreateUserPoolClientInput) {
				in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowUserSrpAuth)
			})
		config := func(flow cognito.LoginFlow) *cognito.Client {
			c, err := cognito.New(cognito.Config{UserPoolID: s.poolID, ClientID: s.clientID, Endpoint: p.URL, LoginFlow: flow,
				AccessKeyID: pooltest.AccessKey, SecretAccessKey: pooltest.SecretKey, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		passwords, srpClient := config(cognito.UserPasswordAuth), config(cognito.UserSRPAuth)

		// SRP cannot migrate (the webhook never sees a password): an unknown user stays unknown.
		if _, err := srpClient.Login(ctx(t), "legacy", legacyPassword); err == nil {
			t.Fatal("SRP migrated a user")
		}
		res := must(passwords.Login(ctx(t), "legacy", legacyPassword))(t)
		if res.Tokens == nil || claims(t, p, s.poolID, res.Tokens.ID)["tier"] != "gold" {
			t.Fatalf("migrated sign-in: %+v", res)
		}
		if res := must(srpClient.Login(ctx(t), "legacy@example.com", legacyPassword))(t); res.Tokens == nil {
			t.Fatalf("SRP after the migration: %+v", res)
		}

		// Pre sign-up confirms at once: no code, and the user signs in.
		if _, err := passwords.SignUp(ctx(t), "newbie", "Newbie-pass1", map[string]string{"email": "newbie@example.com"}); err != nil {
			t.Fatal(err)
		}
		if got := s.status(t, "newbie"); got != "CONFIRMED" {
			t.Fatalf("after an auto-confirming pre sign-up: %s", got)
		}
		if res := must(passwords.Login(ctx(t), "newbie", "Newbie-pass1"))(t); res.Tokens == nil {
			t.Fatalf("auto-confirmed sign-in: %+v", res)
		}

		// The forgot-password message is the webhook's.
		if _, err := passwords.ForgotPassword(ctx(t), "newbie"); err != nil {
			t.Fatal(err)
		}
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"newbie"}, "kind": {"FORGOT_PASSWORD"}})
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Message, "Your shop reset code: ") || !strings.HasSuffix(msgs[0].Message, msgs[0].Code) {
			t.Fatalf("forgot-password message %+v", msgs)
		}
		if err := passwords.ConfirmForgotPassword(ctx(t), "newbie", msgs[0].Code, "Newbie-pass2"); err != nil {
			t.Fatal(err)
		}
	})
}
