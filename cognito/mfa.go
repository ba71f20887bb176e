package cognito

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/pool/totp"
)

// MFA factors, named as Cognito names their challenges.
const (
	FactorSMS           = "SMS_MFA"
	FactorSoftwareToken = "SOFTWARE_TOKEN_MFA"
	FactorEmail         = "EMAIL_OTP"
)

// MFAChoices lists the factors a SELECT_MFA_TYPE challenge offers (or, for MFA_SETUP, the
// ones that can be set up).
func (ch *Challenge) MFAChoices() []string {
	key := "MFAS_CAN_CHOOSE"
	if ch.Name == ChallengeMFASetup {
		key = "MFAS_CAN_SETUP"
	}
	var names []string
	if json.Unmarshal([]byte(ch.Parameters[key]), &names) != nil {
		return nil
	}
	return names
}

// SelectMFA answers SELECT_MFA_TYPE with one of Challenge.MFAChoices; the result is that
// factor's challenge.
func (c *Client) SelectMFA(ctx context.Context, challenge *Challenge, factor string) (*LoginResult, error) {
	ch := checker{op: "SelectMFA"}
	if challenge == nil || challenge.Name != ChallengeSelectMFAType {
		ch.fail("challenge", "must be a %s challenge", ChallengeSelectMFAType)
	} else if !slices.Contains(challenge.MFAChoices(), factor) {
		ch.fail("factor", "must be one of %v", challenge.MFAChoices())
	}
	if ch.err != nil {
		return nil, ch.err
	}
	return c.Respond(ctx, challenge, map[string]string{"ANSWER": factor})
}

// TOTPSetup is a software token being set up: the secret to put in an authenticator app,
// as text or as the otpauth:// URI a QR code carries.
type TOTPSetup struct {
	Secret string
	URI    string
	// Session continues an MFA_SETUP challenge (empty when set up with an access token).
	Session string
}

// AssociateTOTP starts setting up a software token for a signed-in user. issuer and
// account label the entry in the authenticator app (e.g. the app's name and the e-mail).
func (c *Client) AssociateTOTP(ctx context.Context, accessToken, issuer, account string) (*TOTPSetup, error) {
	ch := checker{op: "AssociateTOTP"}
	ch.token("access token", accessToken)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return nil, wrap("AssociateSoftwareToken", err)
	}
	secret := aws.ToString(out.SecretCode)
	return &TOTPSetup{Secret: secret, URI: totp.URI(issuer, account, secret)}, nil
}

// VerifyTOTP proves the new software token with a code from the app. The token is then
// usable; SetMFA turns it on.
func (c *Client) VerifyTOTP(ctx context.Context, accessToken, code, deviceName string) error {
	ch := checker{op: "VerifyTOTP"}
	ch.token("access token", accessToken)
	ch.code("code", code)
	if ch.err != nil {
		return ch.err
	}
	in := &cip.VerifySoftwareTokenInput{AccessToken: aws.String(accessToken), UserCode: aws.String(code)}
	if deviceName != "" {
		in.FriendlyDeviceName = aws.String(deviceName)
	}
	out, err := c.api.VerifySoftwareToken(ctx, in)
	if err != nil {
		return wrap("VerifySoftwareToken", err)
	}
	if out.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		return &Error{Op: "VerifySoftwareToken", Code: "EnableSoftwareTokenMFAException", Message: "the code was not accepted"}
	}
	return nil
}

// SetupTOTP answers an MFA_SETUP challenge in two steps: SetupTOTP gives the secret, and
// FinishTOTPSetup takes the first code from the app and completes the sign-in.
func (c *Client) SetupTOTP(ctx context.Context, challenge *Challenge, issuer string) (*TOTPSetup, error) {
	ch := checker{op: "SetupTOTP"}
	if challenge == nil || challenge.Name != ChallengeMFASetup {
		ch.fail("challenge", "must be a %s challenge", ChallengeMFASetup)
	} else {
		ch.session(challenge.Session)
	}
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(challenge.Session)})
	if err != nil {
		return nil, wrap("AssociateSoftwareToken", err)
	}
	secret := aws.ToString(out.SecretCode)
	return &TOTPSetup{Secret: secret, URI: totp.URI(issuer, challenge.Username, secret), Session: aws.ToString(out.Session)}, nil
}

// FinishTOTPSetup verifies the first code of a token set up by SetupTOTP and completes the
// MFA_SETUP challenge.
func (c *Client) FinishTOTPSetup(ctx context.Context, challenge *Challenge, setup *TOTPSetup, code string) (*LoginResult, error) {
	ch := checker{op: "FinishTOTPSetup"}
	if challenge == nil || setup == nil || setup.Session == "" {
		ch.fail("setup", "must come from SetupTOTP")
	}
	ch.code("code", code)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: aws.String(setup.Session), UserCode: aws.String(code)})
	if err != nil {
		return nil, wrap("VerifySoftwareToken", err)
	}
	next := *challenge
	next.Session = aws.ToString(out.Session)
	return c.Respond(ctx, &next, nil)
}

// MFASettings are a user's second factors.
type MFASettings struct {
	// Enabled lists the factors turned on (FactorSMS, FactorSoftwareToken, FactorEmail).
	Enabled []string
	// Preferred is the factor sign-in uses when several are on; empty when none is.
	Preferred string
}

// GetMFA reads the signed-in user's factors.
func (c *Client) GetMFA(ctx context.Context, accessToken string) (*MFASettings, error) {
	ch := checker{op: "GetMFA"}
	ch.token("access token", accessToken)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return nil, wrap("GetUser", err)
	}
	return &MFASettings{Enabled: out.UserMFASettingList, Preferred: aws.ToString(out.PreferredMfaSetting)}, nil
}

// SetMFA turns the user's factors on and off: every factor in enabled is turned on and
// every other off; preferred (one of enabled, or empty) is the one sign-in uses.
func (c *Client) SetMFA(ctx context.Context, accessToken string, enabled []string, preferred string) error {
	ch := checker{op: "SetMFA"}
	ch.token("access token", accessToken)
	for _, f := range enabled {
		if f != FactorSMS && f != FactorSoftwareToken && f != FactorEmail {
			ch.fail("factor", "%q is not %s, %s or %s", f, FactorSMS, FactorSoftwareToken, FactorEmail)
		}
	}
	if preferred != "" && !slices.Contains(enabled, preferred) {
		ch.fail("preferred", "must be one of the enabled factors")
	}
	if ch.err != nil {
		return ch.err
	}
	setting := func(f string) (bool, bool) { return slices.Contains(enabled, f), preferred == f }
	smsOn, smsPref := setting(FactorSMS)
	totpOn, totpPref := setting(FactorSoftwareToken)
	mailOn, mailPref := setting(FactorEmail)
	_, err := c.api.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{
		AccessToken:              aws.String(accessToken),
		SMSMfaSettings:           &types.SMSMfaSettingsType{Enabled: smsOn, PreferredMfa: smsPref},
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: totpOn, PreferredMfa: totpPref},
		EmailMfaSettings:         &types.EmailMfaSettingsType{Enabled: mailOn, PreferredMfa: mailPref},
	})
	return wrap("SetUserMFAPreference", err)
}
