package apitest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/totp"
)

// The cognito package remembers a device after an MFA sign-in and then signs in from it
// without MFA, through SRP and with a client secret (so every answer carries a SECRET_HASH
// made with USER_ID_FOR_SRP); and its Refresh follows an app client that rotates refresh
// tokens.
func TestCognitoPackageDevicesAndRotation(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSRPSetup(t, p, func(in *cip.CreateUserPoolClientInput) {
			in.GenerateSecret = true
			in.RefreshTokenRotation = &types.RefreshTokenRotationType{Feature: types.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(0)}
		})
		must(s.c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &s.poolID,
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}}))(t)
		setMFA(t, s.signInSetup, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
		c := s.cognito(t, "")
		first := must(c.Login(ctx(t), "quinn@example.com", password))(t)
		if first.Tokens == nil || first.Tokens.NewDevice == nil {
			t.Fatalf("first sign-in: %+v", first)
		}
		setup := must(c.AssociateTOTP(ctx(t), first.Tokens.Access, "Shop", "quinn"))(t)
		if err := c.VerifyTOTP(ctx(t), first.Tokens.Access, must(totp.Code(setup.Secret, clock.Now()))(t), ""); err != nil {
			t.Fatal(err)
		}
		if err := c.SetMFA(ctx(t), first.Tokens.Access, []string{cognito.FactorSoftwareToken}, cognito.FactorSoftwareToken); err != nil {
			t.Fatal(err)
		}

		// A new sign-in meets MFA; its tokens name a new device, which is remembered.
		clock.Advance(30 * time.Second)
		res := must(c.Login(ctx(t), "quinn", password))(t)
		if res.Challenge == nil || res.Challenge.Name != cognito.ChallengeSoftwareTokenMFA {
			t.Fatalf("sign-in with MFA on: %+v", res)
		}
		res = must(c.RespondMFA(ctx(t), res.Challenge, must(totp.Code(setup.Secret, clock.Now()))(t)))(t)
		if res.Tokens == nil || res.Tokens.NewDevice == nil {
			t.Fatalf("after MFA: %+v", res)
		}
		device, confirm, err := c.RememberDevice(ctx(t), res.Tokens, "laptop")
		if err != nil || confirm {
			t.Fatalf("RememberDevice: %v %v", confirm, err)
		}
		// From the remembered device: no MFA, no new device.
		res = must(c.LoginWithDevice(ctx(t), "quinn@example.com", password, device))(t)
		if res.Tokens == nil || res.Tokens.NewDevice != nil {
			t.Fatalf("sign-in from the remembered device: %+v", res)
		}
		// A wrong device password is refused.
		wrong := *device
		wrong.Password = "not-it"
		if _, err := c.LoginWithDevice(ctx(t), "quinn", password, &wrong); !isCode(err, "NotAuthorizedException", "") {
			t.Fatalf("a wrong device password: %v", err)
		}
		// Not remembered: the device proves itself and MFA follows.
		if err := c.SetDeviceRemembered(ctx(t), res.Tokens.Access, device.Key, false); err != nil {
			t.Fatal(err)
		}
		next := must(c.LoginWithDevice(ctx(t), "quinn", password, device))(t)
		if next.Challenge == nil || next.Challenge.Name != cognito.ChallengeSoftwareTokenMFA {
			t.Fatalf("a device that is not remembered: %+v", next)
		}
		if err := c.ForgetDevice(ctx(t), res.Tokens.Access, device.Key); err != nil {
			t.Fatal(err)
		}

		// Refresh with rotation: a new refresh token each time, the old one gone.
		rotated := must(c.Refresh(ctx(t), res.Tokens.Refresh, "quinn"))(t)
		if rotated.Refresh == "" || rotated.Refresh == res.Tokens.Refresh {
			t.Fatalf("Refresh with rotation kept the token")
		}
		if _, err := c.Refresh(ctx(t), res.Tokens.Refresh, "quinn"); !isCode(err, "NotAuthorizedException", "") {
			t.Fatalf("the rotated-out token: %v", err)
		}
	})
}
