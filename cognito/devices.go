package cognito

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/srp"
)

// ChallengeDevicePasswordVerifier is the second step of a device's proof; LoginWithDevice
// answers it itself.
const ChallengeDevicePasswordVerifier = "DEVICE_PASSWORD_VERIFIER"

// NewDevice is a device key the pool issued at sign-in (Tokens.NewDevice).
type NewDevice struct {
	Key      string
	GroupKey string
}

// Device is a remembered device as the app must keep it (in the browser's storage, on the
// phone): its keys and the random password only it knows. Password is a secret: whoever has
// it and the user's password signs in without MFA.
type Device struct {
	Key      string
	GroupKey string
	Password string
}

// RememberDevice registers the device a sign-in's tokens name (Tokens.NewDevice): it draws
// the device's random password, sends the pool an SRP verifier of it (never the password),
// and returns the Device to keep. confirmationNeeded is true in pools that remember devices
// only when the user agrees; then SetDeviceRemembered finishes.
func (c *Client) RememberDevice(ctx context.Context, tokens *Tokens, name string) (device *Device, confirmationNeeded bool, err error) {
	ch := checker{op: "RememberDevice"}
	if tokens == nil || tokens.NewDevice == nil {
		ch.fail("tokens", "name no new device (the pool does not track devices, or the sign-in came from a known one)")
	} else {
		ch.token("access token", tokens.Access)
	}
	if len(name) > 1024 {
		ch.fail("name", "is longer than 1024 characters")
	}
	if ch.err != nil {
		return nil, false, ch.err
	}
	raw := make([]byte, 40)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, &Error{Op: "RememberDevice", Err: err}
	}
	d := &Device{Key: tokens.NewDevice.Key, GroupKey: tokens.NewDevice.GroupKey, Password: base64.StdEncoding.EncodeToString(raw)}
	salt, err := srp.NewSalt(rand.Reader)
	if err != nil {
		return nil, false, &Error{Op: "RememberDevice", Err: err}
	}
	v := srp.Verifier(salt, d.GroupKey, d.Key, d.Password)
	in := &cip.ConfirmDeviceInput{AccessToken: aws.String(tokens.Access), DeviceKey: aws.String(d.Key),
		DeviceSecretVerifierConfig: &types.DeviceSecretVerifierConfigType{
			Salt:             aws.String(base64.StdEncoding.EncodeToString(srp.Pad(salt))),
			PasswordVerifier: aws.String(base64.StdEncoding.EncodeToString(srp.Pad(v))),
		}}
	if name != "" {
		in.DeviceName = aws.String(name)
	}
	out, err := c.api.ConfirmDevice(ctx, in)
	if err != nil {
		return nil, false, wrap("ConfirmDevice", err)
	}
	return d, out.UserConfirmationNecessary, nil
}

// SetDeviceRemembered marks a device remembered (or not) for the signed-in user.
func (c *Client) SetDeviceRemembered(ctx context.Context, accessToken, deviceKey string, remembered bool) error {
	ch := checker{op: "SetDeviceRemembered"}
	ch.token("access token", accessToken)
	ch.str("device key", deviceKey, 1, 55, nil)
	if ch.err != nil {
		return ch.err
	}
	status := types.DeviceRememberedStatusTypeNotRemembered
	if remembered {
		status = types.DeviceRememberedStatusTypeRemembered
	}
	_, err := c.api.UpdateDeviceStatus(ctx, &cip.UpdateDeviceStatusInput{AccessToken: aws.String(accessToken),
		DeviceKey: aws.String(deviceKey), DeviceRememberedStatus: status})
	return wrap("UpdateDeviceStatus", err)
}

// ForgetDevice removes a remembered device of the signed-in user.
func (c *Client) ForgetDevice(ctx context.Context, accessToken, deviceKey string) error {
	ch := checker{op: "ForgetDevice"}
	ch.token("access token", accessToken)
	ch.str("device key", deviceKey, 1, 55, nil)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.ForgetDevice(ctx, &cip.ForgetDeviceInput{AccessToken: aws.String(accessToken), DeviceKey: aws.String(deviceKey)})
	return wrap("ForgetDevice", err)
}

// answerDevice proves a remembered device: DEVICE_SRP_AUTH with a fresh A, then
// DEVICE_PASSWORD_VERIFIER signed under the device's group key and key.
func (c *Client) answerDevice(ctx context.Context, challenge *Challenge, d *Device) (*LoginResult, error) {
	client, err := srp.NewClient(rand.Reader)
	if err != nil {
		return nil, &Error{Op: "Login", Err: err}
	}
	resp := map[string]string{"USERNAME": challenge.Username, "DEVICE_KEY": d.Key, "SRP_A": client.PublicKey().Text(16)}
	c.addSecretHash(resp, challenge.Username)
	const op = "RespondToAuthChallenge"
	out, err := c.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(c.clientID),
		ChallengeName: types.ChallengeNameTypeDeviceSrpAuth, Session: aws.String(challenge.Session), ChallengeResponses: resp})
	if err != nil {
		return nil, wrap(op, err)
	}
	if out.ChallengeName != types.ChallengeNameTypeDevicePasswordVerifier {
		return nil, &Error{Op: op, Err: ErrUnexpectedResponse}
	}
	answer, err := c.passwordClaim(client, out.ChallengeParameters, d.GroupKey, d.Key, d.Password)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	answer["USERNAME"], answer["DEVICE_KEY"] = challenge.Username, d.Key
	c.addSecretHash(answer, challenge.Username)
	start := c.now()
	final, err := c.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(c.clientID),
		ChallengeName: types.ChallengeNameTypeDevicePasswordVerifier, Session: out.Session, ChallengeResponses: answer})
	if err != nil {
		return nil, wrap(op, err)
	}
	return c.loginResult(op, start, final.AuthenticationResult, final.ChallengeName, final.Session, final.ChallengeParameters, challenge.Username, "")
}
