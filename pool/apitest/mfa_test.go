package apitest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/totp"
)

// eachWithClock is each with a settable clock, for the tests that step through TOTP windows.
func eachWithClock(t *testing.T, fn func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock)) {
	t.Helper()
	for _, b := range pooltest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			clock := pooltest.NewClock()
			fn(t, pooltest.Start(t, pooltest.DSN(t, b), pooltest.WithClock(clock)), clock)
		})
	}
}

func setMFA(t *testing.T, s signInSetup, in *cip.SetUserPoolMfaConfigInput) *cip.SetUserPoolMfaConfigOutput {
	t.Helper()
	in.UserPoolId = &s.poolID
	return must(s.c.SetUserPoolMfaConfig(ctx(t), in))(t)
}

func passwordChallenge(t *testing.T, s signInSetup, username, pw string) *cip.InitiateAuthOutput {
	t.Helper()
	out := must(s.login(t, username, pw))(t)
	if out.AuthenticationResult != nil || out.Session == nil {
		t.Fatalf("expected a challenge, got %+v", out)
	}
	return out
}

func respond(t *testing.T, s signInSetup, name types.ChallengeNameType, session *string, r map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	if r["USERNAME"] == "" {
		r["USERNAME"] = "quinn"
	}
	return s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: name,
		Session: session, ChallengeResponses: r})
}

func TestMFAPoolConfig(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		got := must(s.c.GetUserPoolMfaConfig(ctx(t), &cip.GetUserPoolMfaConfigInput{UserPoolId: &s.poolID}))(t)
		if got.MfaConfiguration != types.UserPoolMfaTypeOff {
			t.Fatalf("a new pool's MFA is %s", got.MfaConfiguration)
		}
		set := setMFA(t, s, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
			SmsMfaConfiguration:           &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Code: {####}")}})
		if set.MfaConfiguration != types.UserPoolMfaTypeOptional || !set.SoftwareTokenMfaConfiguration.Enabled {
			t.Fatalf("set: %+v", set)
		}
		got = must(s.c.GetUserPoolMfaConfig(ctx(t), &cip.GetUserPoolMfaConfigInput{UserPoolId: &s.poolID}))(t)
		if got.MfaConfiguration != types.UserPoolMfaTypeOptional || aws.ToString(got.SmsMfaConfiguration.SmsAuthenticationMessage) != "Code: {####}" {
			t.Fatalf("get: %+v", got)
		}
		if d := must(s.c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &s.poolID}))(t); d.UserPool.MfaConfiguration != types.UserPoolMfaTypeOptional {
			t.Fatalf("DescribeUserPool says %s", d.UserPool.MfaConfiguration)
		}
		for name, in := range map[string]*cip.SetUserPoolMfaConfigInput{
			"a message without the code": {SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("no code here")}},
			"ON with no factor":          {MfaConfiguration: types.UserPoolMfaTypeOn, SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: false}},
			"an unknown mode":            {MfaConfiguration: "SOMETIMES"},
		} {
			other := newSignInSetup(t, p)
			in.UserPoolId = &other.poolID
			if _, err := other.c.SetUserPoolMfaConfig(ctx(t), in); err == nil {
				t.Fatalf("%s: accepted", name)
			} else {
				wantAPIError(t, err, "InvalidParameterException")
			}
		}
		_, err := s.c.SetUserPoolMfaConfig(ctx(t), &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_nothere")})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}

// A software token: associated and verified with an access token, turned on by
// SetUserMFAPreference; then every sign-in (password or SRP) asks for a code, a wrong code
// ends the session and counts toward the lockout, and a code is good once.
func TestSoftwareTokenMFA(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSRPSetup(t, p)
		setMFA(t, s.signInSetup, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
		// OPTIONAL and no factor yet: tokens at once.
		first := must(s.login(t, "quinn", password))(t)
		wantTokens(t, first.AuthenticationResult)
		access := first.AuthenticationResult.AccessToken

		_, err := s.c.VerifySoftwareToken(ctx(t), &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("123456")})
		wantAPIError(t, err, "EnableSoftwareTokenMFAException")
		_, err = s.c.SetUserMFAPreference(ctx(t), &cip.SetUserMFAPreferenceInput{AccessToken: access,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
		wantAPIError(t, err, "InvalidParameterException")

		assoc := must(s.c.AssociateSoftwareToken(ctx(t), &cip.AssociateSoftwareTokenInput{AccessToken: access}))(t)
		secret := aws.ToString(assoc.SecretCode)
		if len(secret) < 16 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("secret %q", secret)
		}
		wrong := wrongTOTP(t, secret, clock.Now())
		_, err = s.c.VerifySoftwareToken(ctx(t), &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: &wrong})
		wantAPIError(t, err, "EnableSoftwareTokenMFAException")
		code := must(totp.Code(secret, clock.Now()))(t)
		ver := must(s.c.VerifySoftwareToken(ctx(t), &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: &code, FriendlyDeviceName: aws.String("phone")}))(t)
		if ver.Status != types.VerifySoftwareTokenResponseTypeSuccess {
			t.Fatalf("verify: %s", ver.Status)
		}
		// Verified but not on yet: still no MFA.
		wantTokens(t, must(s.login(t, "quinn", password))(t).AuthenticationResult)
		must(s.c.SetUserMFAPreference(ctx(t), &cip.SetUserMFAPreferenceInput{AccessToken: access,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}))(t)
		me := must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: access}))(t)
		if aws.ToString(me.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || !slices.Equal(me.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) {
			t.Fatalf("GetUser MFA: %v %v", aws.ToString(me.PreferredMfaSetting), me.UserMFASettingList)
		}

		// The code used to verify is spent: the same step cannot sign in.
		ch := passwordChallenge(t, s.signInSetup, "quinn", password)
		if ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || ch.ChallengeParameters["USER_ID_FOR_SRP"] != "quinn" {
			t.Fatalf("challenge %s %v", ch.ChallengeName, ch.ChallengeParameters)
		}
		_, err = respond(t, s.signInSetup, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
		wantAPIError(t, err, "CodeMismatchException")
		// The session is gone after a wrong code.
		clock.Advance(30 * time.Second)
		next := must(totp.Code(secret, clock.Now()))(t)
		_, err = respond(t, s.signInSetup, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": next})
		wantAPIError(t, err, "NotAuthorizedException")

		ch = passwordChallenge(t, s.signInSetup, "quinn", password)
		done := must(respond(t, s.signInSetup, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": next}))(t)
		wantTokens(t, done.AuthenticationResult)
		// Good once: the same code again is refused.
		ch = passwordChallenge(t, s.signInSetup, "quinn", password)
		_, err = respond(t, s.signInSetup, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": next})
		wantAPIError(t, err, "CodeMismatchException")

		// Through SRP and the cognito package.
		clock.Advance(30 * time.Second)
		c := s.cognito(t, cognito.UserSRPAuth)
		res := must(c.Login(ctx(t), "quinn@example.com", password))(t)
		if res.Challenge == nil || res.Challenge.Name != cognito.ChallengeSoftwareTokenMFA {
			t.Fatalf("SRP sign-in: %+v", res)
		}
		res = must(c.RespondMFA(ctx(t), res.Challenge, must(totp.Code(secret, clock.Now()))(t)))(t)
		if res.Tokens == nil {
			t.Fatalf("after the code: %+v", res)
		}

		// Wrong codes count toward the lockout.
		for range 5 {
			ch = passwordChallenge(t, s.signInSetup, "quinn", password)
			_, err = respond(t, s.signInSetup, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": "000000"})
			wantAPIError(t, err, "CodeMismatchException")
		}
		_, err = s.login(t, "quinn", password)
		if !isSDKCode(err, "NotAuthorizedException", "Password attempts exceeded") {
			t.Fatalf("after five wrong codes: %v", err)
		}
	})
}

// wrongTOTP is a well-formed code that is none of the three the window accepts at now.
func wrongTOTP(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if _, ok := totp.Verify(secret, c, now, -1); !ok {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// SMS and e-mail codes go to the outbox; a user with both and no preference chooses.
func TestSMSAndEmailMFA(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		setMFA(t, s, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SmsMfaConfiguration:   &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("Your code is {####}")},
			EmailMfaConfiguration: &types.EmailMfaConfigType{Subject: aws.String("Sign-in code"), Message: aws.String("Code {####}")}})
		must(s.c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			UserAttributes: attrs("phone_number", "+15555550123", "phone_number_verified", "true")}))(t)

		// The older way: an SMS MFA option.
		must(s.c.AdminSetUserSettings(ctx(t), &cip.AdminSetUserSettingsInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			MFAOptions: []types.MFAOptionType{{DeliveryMedium: types.DeliveryMediumTypeSms, AttributeName: aws.String("phone_number")}}}))(t)
		u := must(s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t)
		if len(u.MFAOptions) != 1 || !slices.Equal(u.UserMFASettingList, []string{"SMS_MFA"}) {
			t.Fatalf("AdminGetUser MFA: %+v %v", u.MFAOptions, u.UserMFASettingList)
		}
		ch := passwordChallenge(t, s, "quinn", password)
		if ch.ChallengeName != types.ChallengeNameTypeSmsMfa || ch.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "SMS" ||
			ch.ChallengeParameters["CODE_DELIVERY_DESTINATION"] != "+*******0123" {
			t.Fatalf("SMS challenge %s %v", ch.ChallengeName, ch.ChallengeParameters)
		}
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"quinn"}, "kind": {"MFA"}})
		if len(msgs) != 1 || msgs[0].Medium != "SMS" || msgs[0].Message != "Your code is "+msgs[0].Code {
			t.Fatalf("outbox %+v", msgs)
		}
		wantTokens(t, must(respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"SMS_MFA_CODE": msgs[0].Code}))(t).AuthenticationResult)
		// A code is tied to its session and used once.
		ch2 := passwordChallenge(t, s, "quinn", password)
		_, err := respond(t, s, ch2.ChallengeName, ch2.Session, map[string]string{"SMS_MFA_CODE": msgs[0].Code})
		wantAPIError(t, err, "CodeMismatchException")

		// Both factors, no preference: SELECT_MFA_TYPE, then the chosen one.
		must(s.c.AdminSetUserMFAPreference(ctx(t), &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: true}}))(t)
		ch = passwordChallenge(t, s, "quinn", password)
		var choices []string
		if ch.ChallengeName != types.ChallengeNameTypeSelectMfaType || json.Unmarshal([]byte(ch.ChallengeParameters["MFAS_CAN_CHOOSE"]), &choices) != nil ||
			!slices.Equal(choices, []string{"SMS_MFA", "EMAIL_OTP"}) {
			t.Fatalf("select challenge %s %v", ch.ChallengeName, ch.ChallengeParameters)
		}
		_, err = respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"ANSWER": "SOFTWARE_TOKEN_MFA"})
		wantAPIError(t, err, "InvalidParameterException")
		ch = passwordChallenge(t, s, "quinn", password)
		picked := must(respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"ANSWER": "EMAIL_OTP"}))(t)
		if picked.ChallengeName != types.ChallengeNameTypeEmailOtp || picked.ChallengeParameters["CODE_DELIVERY_DELIVERY_MEDIUM"] != "EMAIL" {
			t.Fatalf("after choosing e-mail: %s %v", picked.ChallengeName, picked.ChallengeParameters)
		}
		mail := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"quinn"}, "kind": {"MFA"}})
		last := mail[len(mail)-1]
		if last.Medium != "EMAIL" || last.Message != "Code "+last.Code {
			t.Fatalf("e-mail code message %+v", last)
		}
		wantTokens(t, must(respond(t, s, picked.ChallengeName, picked.Session, map[string]string{"EMAIL_OTP_CODE": last.Code}))(t).AuthenticationResult)

		// A preference skips the choice; the admin pair of operations runs the same way.
		must(s.c.AdminSetUserMFAPreference(ctx(t), &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true, PreferredMfa: true}}))(t)
		ai := must(s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password}}))(t)
		if ai.ChallengeName != types.ChallengeNameTypeSmsMfa {
			t.Fatalf("preferred SMS: %s", ai.ChallengeName)
		}
		sms := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"quinn"}, "kind": {"MFA"}})
		ar := must(s.c.AdminRespondToAuthChallenge(ctx(t), &cip.AdminRespondToAuthChallengeInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			ChallengeName: ai.ChallengeName, Session: ai.Session,
			ChallengeResponses: map[string]string{"USERNAME": "quinn", "SMS_MFA_CODE": sms[len(sms)-1].Code}}))(t)
		wantTokens(t, ar.AuthenticationResult)
		// Turning factors off ends MFA for an OPTIONAL pool.
		must(s.c.AdminSetUserMFAPreference(ctx(t), &cip.AdminSetUserMFAPreferenceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: false}, EmailMfaSettings: &types.EmailMfaSettingsType{Enabled: false}}))(t)
		wantTokens(t, must(s.login(t, "quinn", password))(t).AuthenticationResult)
	})
}

// A pool that requires MFA, offering only a software token: a user with none sets one up
// inside the sign-in (MFA_SETUP, with the session through Associate and Verify).
func TestMFASetup(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSignInSetup(t, p)
		setMFA(t, s, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
		ch := passwordChallenge(t, s, "quinn", password)
		if ch.ChallengeName != types.ChallengeNameTypeMfaSetup || ch.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
			t.Fatalf("challenge %s %v", ch.ChallengeName, ch.ChallengeParameters)
		}
		_, err := respond(t, s, ch.ChallengeName, ch.Session, map[string]string{})
		wantAPIError(t, err, "InvalidParameterException") // nothing verified yet

		ch = passwordChallenge(t, s, "quinn", password)
		assoc := must(s.c.AssociateSoftwareToken(ctx(t), &cip.AssociateSoftwareTokenInput{Session: ch.Session}))(t)
		if assoc.Session == nil || aws.ToString(assoc.Session) == aws.ToString(ch.Session) {
			t.Fatal("AssociateSoftwareToken with a session returns a new one")
		}
		// The old session was used up.
		_, err = s.c.AssociateSoftwareToken(ctx(t), &cip.AssociateSoftwareTokenInput{Session: ch.Session})
		wantAPIError(t, err, "NotAuthorizedException")
		code := must(totp.Code(aws.ToString(assoc.SecretCode), clock.Now()))(t)
		ver := must(s.c.VerifySoftwareToken(ctx(t), &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: &code}))(t)
		if ver.Status != types.VerifySoftwareTokenResponseTypeSuccess || ver.Session == nil {
			t.Fatalf("verify: %+v", ver)
		}
		wantTokens(t, must(respond(t, s, types.ChallengeNameTypeMfaSetup, ver.Session, map[string]string{}))(t).AuthenticationResult)

		// From now on the token is asked for.
		clock.Advance(30 * time.Second)
		ch = passwordChallenge(t, s, "quinn", password)
		if ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("after setup: %s", ch.ChallengeName)
		}
		next := must(totp.Code(aws.ToString(assoc.SecretCode), clock.Now()))(t)
		wantTokens(t, must(respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": next}))(t).AuthenticationResult)
	})
}

// The cognito package's MFA calls: TOTP set up with an access token (with its otpauth URI),
// GetMFA and SetMFA, the sign-in that then asks for the code, SELECT_MFA_TYPE, and TOTP set
// up inside a sign-in (MFA_SETUP).
func TestCognitoPackageMFA(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSRPSetup(t, p)
		setMFA(t, s.signInSetup, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true},
			EmailMfaConfiguration:         &types.EmailMfaConfigType{}})
		c := s.cognito(t, "")
		res := must(c.Login(ctx(t), "quinn", password))(t)
		access := res.Tokens.Access
		setup := must(c.AssociateTOTP(ctx(t), access, "Shop: Example", "quinn@example.com"))(t)
		if !strings.HasPrefix(setup.URI, "otpauth://totp/Shop%3A%20Example:quinn%40example.com?secret="+setup.Secret) {
			t.Fatalf("URI %s", setup.URI)
		}
		if err := c.VerifyTOTP(ctx(t), access, must(totp.Code(setup.Secret, clock.Now()))(t), "phone"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetMFA(ctx(t), access, []string{cognito.FactorSoftwareToken, cognito.FactorEmail}, ""); err != nil {
			t.Fatal(err)
		}
		got := must(c.GetMFA(ctx(t), access))(t)
		if !slices.Equal(got.Enabled, []string{"SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) || got.Preferred != "" {
			t.Fatalf("GetMFA %+v", got)
		}
		res = must(c.Login(ctx(t), "quinn", password))(t)
		if res.Challenge == nil || res.Challenge.Name != cognito.ChallengeSelectMFAType ||
			!slices.Equal(res.Challenge.MFAChoices(), []string{"SOFTWARE_TOKEN_MFA", "EMAIL_OTP"}) {
			t.Fatalf("login with two factors: %+v", res)
		}
		if _, err := c.SelectMFA(ctx(t), res.Challenge, cognito.FactorSMS); err == nil {
			t.Fatal("SelectMFA took a factor that was not offered")
		}
		res = must(c.SelectMFA(ctx(t), res.Challenge, cognito.FactorSoftwareToken))(t)
		clock.Advance(30 * time.Second)
		res = must(c.RespondMFA(ctx(t), res.Challenge, must(totp.Code(setup.Secret, clock.Now()))(t)))(t)
		if res.Tokens == nil {
			t.Fatalf("after the code: %+v", res)
		}
		if err := c.SetMFA(ctx(t), access, []string{cognito.FactorSoftwareToken}, cognito.FactorSoftwareToken); err != nil {
			t.Fatal(err)
		}
		if got := must(c.GetMFA(ctx(t), access))(t); got.Preferred != cognito.FactorSoftwareToken {
			t.Fatalf("GetMFA after SetMFA: %+v", got)
		}

		// MFA_SETUP through the package, in a pool that requires MFA.
		r := newSRPSetup(t, p)
		setMFA(t, r.signInSetup, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOn,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
		rc := r.cognito(t, cognito.UserSRPAuth)
		res = must(rc.Login(ctx(t), "quinn", password))(t)
		if res.Challenge == nil || res.Challenge.Name != cognito.ChallengeMFASetup {
			t.Fatalf("login in an MFA pool: %+v", res)
		}
		ts := must(rc.SetupTOTP(ctx(t), res.Challenge, "Shop"))(t)
		done := must(rc.FinishTOTPSetup(ctx(t), res.Challenge, ts, must(totp.Code(ts.Secret, clock.Now()))(t)))(t)
		if done.Tokens == nil {
			t.Fatalf("after setting up TOTP: %+v", done)
		}
	})
}
