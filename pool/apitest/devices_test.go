package apitest

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/totp"
	"github.com/hashless/hashless/srp"
)

// rememberedDevice is a device as a client keeps it after ConfirmDevice.
type rememberedDevice struct {
	key, group, password string
}

// confirmDevice registers the device NewDeviceMetadata named, as the official client does.
func confirmDevice(t *testing.T, s signInSetup, r *types.AuthenticationResultType) (rememberedDevice, *cip.ConfirmDeviceOutput) {
	t.Helper()
	meta := r.NewDeviceMetadata
	if meta == nil || aws.ToString(meta.DeviceKey) == "" || aws.ToString(meta.DeviceGroupKey) == "" {
		t.Fatalf("no NewDeviceMetadata: %+v", r)
	}
	d := rememberedDevice{key: aws.ToString(meta.DeviceKey), group: aws.ToString(meta.DeviceGroupKey)}
	raw := make([]byte, 40)
	rand.Read(raw)
	d.password = base64.StdEncoding.EncodeToString(raw)
	salt := must(srp.NewSalt(rand.Reader))(t)
	v := srp.Verifier(salt, d.group, d.key, d.password)
	out := must(s.c.ConfirmDevice(ctx(t), &cip.ConfirmDeviceInput{AccessToken: r.AccessToken, DeviceKey: meta.DeviceKey,
		DeviceName: aws.String("test browser"), DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			Salt: aws.String(base64.StdEncoding.EncodeToString(srp.Pad(salt))), PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(srp.Pad(v)))}}))(t)
	return d, out
}

// deviceSignIn answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER for d with password.
func deviceSignIn(t *testing.T, s signInSetup, session *string, d rememberedDevice, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	client := must(srp.NewClient(rand.Reader))(t)
	step := must(respond(t, s, types.ChallengeNameTypeDeviceSrpAuth, session, map[string]string{"DEVICE_KEY": d.key,
		"SRP_A": client.PublicKey().Text(16)}))(t)
	if step.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
		t.Fatalf("after DEVICE_SRP_AUTH: %s", step.ChallengeName)
	}
	p := step.ChallengeParameters
	salt, _ := srp.ParseHex(p["SALT"])
	pubB, _ := srp.ParseHex(p["SRP_B"])
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		t.Fatal(err)
	}
	key := must(client.Key(pubB, salt, d.group, d.key, password))(t)
	stamp := srp.FormatTimestamp(time.Now())
	return respond(t, s, types.ChallengeNameTypeDevicePasswordVerifier, step.Session, map[string]string{
		"USERNAME": p["USERNAME"], "DEVICE_KEY": d.key, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": stamp,
		"PASSWORD_CLAIM_SIGNATURE": srp.SignatureBase64(key, d.group, d.key, block, stamp)})
}

func loginWithDevice(t *testing.T, s signInSetup, d rememberedDevice) *cip.InitiateAuthOutput {
	t.Helper()
	return must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "quinn", "PASSWORD": password, "DEVICE_KEY": d.key}}))(t)
}

// A pool that remembers devices: the first sign-in names a new device, which is confirmed;
// the next sign-in from it proves the device and skips MFA; a device that is not remembered
// proves itself and still meets MFA; a forgotten one is new again.
func TestRememberedDevices(t *testing.T) {
	eachWithClock(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSignInSetup(t, p)
		must(s.c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &s.poolID,
			DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}}))(t)
		setMFA(t, s, &cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
		first := must(s.login(t, "quinn", password))(t)
		wantTokens(t, first.AuthenticationResult)
		access := first.AuthenticationResult.AccessToken
		if claims(t, p, s.poolID, aws.ToString(access))["device_key"] != aws.ToString(first.AuthenticationResult.NewDeviceMetadata.DeviceKey) {
			t.Fatal("the access token does not name the new device")
		}
		// Turn on TOTP so that sign-ins need a second factor.
		assoc := must(s.c.AssociateSoftwareToken(ctx(t), &cip.AssociateSoftwareTokenInput{AccessToken: access}))(t)
		secret := aws.ToString(assoc.SecretCode)
		must(s.c.VerifySoftwareToken(ctx(t), &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(must(totp.Code(secret, clock.Now()))(t))}))(t)
		must(s.c.SetUserMFAPreference(ctx(t), &cip.SetUserMFAPreferenceInput{AccessToken: access,
			SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}))(t)

		// A confirmation for a key never issued, or issued to another user, is refused.
		_, err := s.c.ConfirmDevice(ctx(t), &cip.ConfirmDeviceInput{AccessToken: access, DeviceKey: aws.String("us-east-1_made-up"),
			DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{Salt: aws.String("AA=="), PasswordVerifier: aws.String("AA==")}})
		wantAPIError(t, err, "ResourceNotFoundException")

		d, conf := confirmDevice(t, s, first.AuthenticationResult)
		if conf.UserConfirmationNecessary {
			t.Fatal("a pool that always remembers needs no confirmation from the user")
		}
		got := must(s.c.GetDevice(ctx(t), &cip.GetDeviceInput{AccessToken: access, DeviceKey: &d.key}))(t).Device
		if v, _ := attrValue(got.DeviceAttributes, "device_status"); v != "remembered" {
			t.Fatalf("device attributes %+v", got.DeviceAttributes)
		}
		if v, _ := attrValue(got.DeviceAttributes, "device_name"); v != "test browser" {
			t.Fatalf("device attributes %+v", got.DeviceAttributes)
		}
		if list := must(s.c.AdminListDevices(ctx(t), &cip.AdminListDevicesInput{UserPoolId: &s.poolID, Username: aws.String("quinn")}))(t); len(list.Devices) != 1 {
			t.Fatalf("AdminListDevices: %d", len(list.Devices))
		}

		// From the remembered device: its proof replaces the code.
		ch := loginWithDevice(t, s, d)
		if ch.ChallengeName != types.ChallengeNameTypeDeviceSrpAuth {
			t.Fatalf("sign-in from a remembered device: %s", ch.ChallengeName)
		}
		done := must(deviceSignIn(t, s, ch.Session, d, d.password))(t)
		wantTokens(t, done.AuthenticationResult)
		if done.AuthenticationResult.NewDeviceMetadata != nil {
			t.Fatal("a known device got new metadata")
		}
		if claims(t, p, s.poolID, aws.ToString(done.AuthenticationResult.AccessToken))["device_key"] != d.key {
			t.Fatal("the access token does not name the device")
		}
		// A wrong device password fails.
		ch = loginWithDevice(t, s, d)
		_, err = deviceSignIn(t, s, ch.Session, d, "not the device password")
		wantAPIError(t, err, "NotAuthorizedException")

		// Not remembered: the device proves itself, then MFA.
		must(s.c.UpdateDeviceStatus(ctx(t), &cip.UpdateDeviceStatusInput{AccessToken: access, DeviceKey: &d.key,
			DeviceRememberedStatus: types.DeviceRememberedStatusTypeNotRemembered}))(t)
		ch = loginWithDevice(t, s, d)
		next := must(deviceSignIn(t, s, ch.Session, d, d.password))(t)
		if next.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("a device that is not remembered: %s", next.ChallengeName)
		}
		// After the code, the tokens name the proved device and no new one is issued.
		clock.Advance(30 * time.Second)
		withCode := must(respond(t, s, next.ChallengeName, next.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": must(totp.Code(secret, clock.Now()))(t)}))(t)
		if withCode.AuthenticationResult == nil || withCode.AuthenticationResult.NewDeviceMetadata != nil ||
			claims(t, p, s.poolID, aws.ToString(withCode.AuthenticationResult.AccessToken))["device_key"] != d.key {
			t.Fatalf("tokens after MFA from a known device: %+v", withCode.AuthenticationResult)
		}

		// Forgotten: the key means nothing now; the sign-in meets MFA and names a new device.
		must(s.c.AdminForgetDevice(ctx(t), &cip.AdminForgetDeviceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), DeviceKey: &d.key}))(t)
		_, err = s.c.GetDevice(ctx(t), &cip.GetDeviceInput{AccessToken: access, DeviceKey: &d.key})
		wantAPIError(t, err, "ResourceNotFoundException")
		ch = loginWithDevice(t, s, d)
		if ch.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
			t.Fatalf("a forgotten device: %s", ch.ChallengeName)
		}
		clock.Advance(30 * time.Second)
		after := must(respond(t, s, ch.ChallengeName, ch.Session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": must(totp.Code(secret, clock.Now()))(t)}))(t)
		if after.AuthenticationResult == nil || after.AuthenticationResult.NewDeviceMetadata == nil {
			t.Fatalf("after MFA from a forgotten device: %+v", after.AuthenticationResult)
		}
	})
}

// Without DeviceConfiguration no sign-in names a device; with the user-prompt setting a
// confirmed device waits for UpdateDeviceStatus.
func TestDeviceTrackingSettings(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSignInSetup(t, p)
		if r := must(s.login(t, "quinn", password))(t).AuthenticationResult; r.NewDeviceMetadata != nil {
			t.Fatal("a pool without device tracking named a device")
		}
		must(s.c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &s.poolID,
			DeviceConfiguration: &types.DeviceConfigurationType{DeviceOnlyRememberedOnUserPrompt: true}}))(t)
		r := must(s.login(t, "quinn", password))(t).AuthenticationResult
		d, conf := confirmDevice(t, s, r)
		if !conf.UserConfirmationNecessary {
			t.Fatal("a user-prompt pool must ask the user")
		}
		got := must(s.c.AdminGetDevice(ctx(t), &cip.AdminGetDeviceInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), DeviceKey: &d.key}))(t).Device
		if v, _ := attrValue(got.DeviceAttributes, "device_status"); v != "not_remembered" {
			t.Fatalf("status %q", v)
		}
		must(s.c.AdminUpdateDeviceStatus(ctx(t), &cip.AdminUpdateDeviceStatusInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			DeviceKey: &d.key, DeviceRememberedStatus: types.DeviceRememberedStatusTypeRemembered}))(t)
		list := must(s.c.ListDevices(ctx(t), &cip.ListDevicesInput{AccessToken: r.AccessToken}))(t)
		if len(list.Devices) != 1 {
			t.Fatalf("ListDevices: %d", len(list.Devices))
		}
		if v, _ := attrValue(list.Devices[0].DeviceAttributes, "device_status"); v != "remembered" {
			t.Fatalf("status after the update %q", v)
		}
		_, err := s.c.ListDevices(ctx(t), &cip.ListDevicesInput{AccessToken: r.AccessToken, Limit: aws.Int32(61)})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = s.c.UpdateDeviceStatus(ctx(t), &cip.UpdateDeviceStatusInput{AccessToken: r.AccessToken, DeviceKey: &d.key, DeviceRememberedStatus: "maybe"})
		wantAPIError(t, err, "InvalidParameterException")
		must(s.c.ForgetDevice(ctx(t), &cip.ForgetDeviceInput{AccessToken: r.AccessToken, DeviceKey: &d.key}))(t)
		_, err = s.c.ForgetDevice(ctx(t), &cip.ForgetDeviceInput{AccessToken: r.AccessToken, DeviceKey: &d.key})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}
