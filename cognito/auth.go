package cognito

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Tokens are what a completed sign-in or refresh gives.
type Tokens struct {
	ID      string
	Access  string
	Refresh string
	// TokenType is "Bearer".
	TokenType string
	// ExpiresAt is when the ID and access tokens expire, counted from when the request was
	// sent, so it is never later than the tokens' own exp.
	ExpiresAt time.Time
	// NewDevice is set in pools that track devices when the sign-in came from a device the
	// pool does not know; RememberDevice registers it.
	NewDevice *NewDevice
}

// Challenge names, as Cognito sends them in Challenge.Name. Login with a password can
// only meet some of them; the rest are listed so callers can switch on every name.
const (
	ChallengeNewPasswordRequired = "NEW_PASSWORD_REQUIRED"
	ChallengeSMSMFA              = "SMS_MFA"
	ChallengeSoftwareTokenMFA    = "SOFTWARE_TOKEN_MFA"
	ChallengeEmailOTP            = "EMAIL_OTP"
	ChallengeSelectMFAType       = "SELECT_MFA_TYPE"
	ChallengeMFASetup            = "MFA_SETUP"
	ChallengeCustom              = "CUSTOM_CHALLENGE"
	ChallengeDeviceSRPAuth       = "DEVICE_SRP_AUTH"
)

// Challenge is a sign-in that needs another step. Its fields are all a later Respond
// needs, so a web app can carry them between requests (the Session is opaque and expires
// after a few minutes).
type Challenge struct {
	// Name is one of the Challenge* constants (or a name this package does not know yet).
	Name string
	// Session must be passed back with the answer.
	Session string
	// Parameters are Cognito's ChallengeParameters.
	Parameters map[string]string
	// Username is the user's actual username, which may differ from the alias (e.g. an
	// e-mail address) given to Login; answers are made in its name.
	Username string
}

// RequiredAttributes lists the attributes a NEW_PASSWORD_REQUIRED challenge asks for,
// without Cognito's "userAttributes." prefix.
func (ch *Challenge) RequiredAttributes() []string {
	var names []string
	if json.Unmarshal([]byte(ch.Parameters["requiredAttributes"]), &names) != nil {
		return nil
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "userAttributes.")
	}
	return names
}

// UserAttributes are the user's current attributes as a NEW_PASSWORD_REQUIRED challenge
// reports them.
func (ch *Challenge) UserAttributes() map[string]string {
	var m map[string]any
	if json.Unmarshal([]byte(ch.Parameters["userAttributes"]), &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// LoginResult is either Tokens (signed in) or a Challenge (another step is needed);
// exactly one is set.
type LoginResult struct {
	Tokens    *Tokens
	Challenge *Challenge
}

// Login signs a user in with a password, by the Config's LoginFlow. username may be any
// alias the pool allows (e-mail, phone, preferred username).
func (c *Client) Login(ctx context.Context, username, password string) (*LoginResult, error) {
	return c.LoginWithDevice(ctx, username, password, nil)
}

// LoginWithDevice is Login from a device remembered with RememberDevice: the device proves
// itself (DEVICE_SRP_AUTH) and, where the device is remembered, MFA is skipped. A nil device
// is Login.
func (c *Client) LoginWithDevice(ctx context.Context, username, password string, device *Device) (*LoginResult, error) {
	ch := checker{op: "Login"}
	ch.username(username)
	ch.password("password", password)
	if device != nil {
		ch.str("device key", device.Key, 1, 55, nil)
		ch.str("device group key", device.GroupKey, 1, 64, nil)
	}
	if ch.err != nil {
		return nil, ch.err
	}
	res, err := c.login(ctx, username, password, device)
	if err != nil || device == nil || res.Challenge == nil || res.Challenge.Name != ChallengeDeviceSRPAuth {
		return res, err
	}
	return c.answerDevice(ctx, res.Challenge, device)
}

func (c *Client) login(ctx context.Context, username, password string, device *Device) (*LoginResult, error) {
	if c.flow == UserSRPAuth || (c.flow == "" && !c.srpRefused.Load()) {
		res, err := c.loginSRP(ctx, username, password, device)
		if c.flow == UserSRPAuth || !flowUnavailable(err) {
			return res, err
		}
		c.srpRefused.Store(true)
	}
	params := map[string]string{"USERNAME": username, "PASSWORD": password}
	if device != nil {
		params["DEVICE_KEY"] = device.Key
	}
	c.addSecretHash(params, username)
	start := c.now()
	if c.flow == AdminUserPasswordAuth {
		const op = "AdminInitiateAuth"
		out, err := c.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
			UserPoolId: aws.String(c.poolID), ClientId: aws.String(c.clientID),
			AuthFlow: types.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: params,
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		return c.loginResult(op, start, out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, username, "")
	}
	const op = "InitiateAuth"
	out, err := c.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(c.clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params,
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return c.loginResult(op, start, out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, username, "")
}

func (c *Client) loginResult(op string, start time.Time, auth *types.AuthenticationResultType, name types.ChallengeNameType,
	session *string, params map[string]string, username, refresh string) (*LoginResult, error) {
	if auth != nil {
		t, err := tokens(op, start, auth, refresh)
		if err != nil {
			return nil, err
		}
		return &LoginResult{Tokens: t}, nil
	}
	if name == "" {
		return nil, &Error{Op: op, Err: ErrUnexpectedResponse}
	}
	if params == nil {
		params = map[string]string{}
	}
	ch := &Challenge{Name: string(name), Session: aws.ToString(session), Parameters: params, Username: username}
	if u := params["USER_ID_FOR_SRP"]; u != "" {
		ch.Username = u
	} else if u := params["USERNAME"]; u != "" {
		ch.Username = u
	}
	return &LoginResult{Challenge: ch}, nil
}

func tokens(op string, start time.Time, auth *types.AuthenticationResultType, refresh string) (*Tokens, error) {
	t := &Tokens{
		ID: aws.ToString(auth.IdToken), Access: aws.ToString(auth.AccessToken), Refresh: aws.ToString(auth.RefreshToken),
		TokenType: aws.ToString(auth.TokenType), ExpiresAt: start.Add(time.Duration(auth.ExpiresIn) * time.Second),
	}
	if t.Access == "" || t.ID == "" || auth.ExpiresIn <= 0 {
		return nil, &Error{Op: op, Err: ErrUnexpectedResponse}
	}
	if m := auth.NewDeviceMetadata; m != nil && aws.ToString(m.DeviceKey) != "" {
		t.NewDevice = &NewDevice{Key: aws.ToString(m.DeviceKey), GroupKey: aws.ToString(m.DeviceGroupKey)}
	}
	if t.Refresh == "" {
		t.Refresh = refresh
	}
	return t, nil
}

// Respond answers a challenge with Cognito's ChallengeResponses for its Name (e.g.
// {"SMS_MFA_CODE": "123456"}). USERNAME and SECRET_HASH are added when missing. The result
// may be another challenge.
func (c *Client) Respond(ctx context.Context, challenge *Challenge, responses map[string]string) (*LoginResult, error) {
	ch := checker{op: "Respond"}
	if challenge == nil {
		ch.fail("challenge", "is required")
		return nil, ch.err
	}
	ch.str("challenge name", challenge.Name, 1, 64, reName)
	ch.session(challenge.Session)
	ch.username(challenge.Username)
	for k, v := range responses {
		ch.str("response "+k, v, 0, maxChallengeRespLen, nil)
	}
	if ch.err != nil {
		return nil, ch.err
	}
	resp := maps.Clone(responses)
	if resp == nil {
		resp = map[string]string{}
	}
	if resp["USERNAME"] == "" {
		resp["USERNAME"] = challenge.Username
	}
	if _, ok := resp["SECRET_HASH"]; !ok {
		c.addSecretHash(resp, resp["USERNAME"])
	}
	start := c.now()
	if c.flow == AdminUserPasswordAuth {
		const op = "AdminRespondToAuthChallenge"
		out, err := c.api.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{
			UserPoolId: aws.String(c.poolID), ClientId: aws.String(c.clientID),
			ChallengeName: types.ChallengeNameType(challenge.Name), Session: aws.String(challenge.Session), ChallengeResponses: resp,
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		return c.loginResult(op, start, out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, challenge.Username, "")
	}
	const op = "RespondToAuthChallenge"
	out, err := c.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(c.clientID), ChallengeName: types.ChallengeNameType(challenge.Name),
		Session: aws.String(challenge.Session), ChallengeResponses: resp,
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return c.loginResult(op, start, out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, challenge.Username, "")
}

// RespondNewPassword answers NEW_PASSWORD_REQUIRED (a user created by an administrator
// signing in with the temporary password) with the user's own password and any attributes
// the challenge requires (see Challenge.RequiredAttributes).
func (c *Client) RespondNewPassword(ctx context.Context, challenge *Challenge, newPassword string, attrs map[string]string) (*LoginResult, error) {
	ch := checker{op: "RespondNewPassword"}
	if challenge == nil || challenge.Name != ChallengeNewPasswordRequired {
		ch.fail("challenge", "must be a %s challenge", ChallengeNewPasswordRequired)
	}
	ch.password("new password", newPassword)
	ch.attrs("attribute", attrs)
	if ch.err != nil {
		return nil, ch.err
	}
	resp := map[string]string{"NEW_PASSWORD": newPassword}
	for k, v := range attrs {
		resp["userAttributes."+k] = v
	}
	return c.Respond(ctx, challenge, resp)
}

// RespondMFA answers an SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP challenge with the
// one-time code the user received or generated.
func (c *Client) RespondMFA(ctx context.Context, challenge *Challenge, code string) (*LoginResult, error) {
	ch := checker{op: "RespondMFA"}
	var key string
	if challenge != nil {
		key = map[string]string{
			ChallengeSMSMFA: "SMS_MFA_CODE", ChallengeSoftwareTokenMFA: "SOFTWARE_TOKEN_MFA_CODE", ChallengeEmailOTP: "EMAIL_OTP_CODE",
		}[challenge.Name]
	}
	if key == "" {
		ch.fail("challenge", "must be a %s, %s or %s challenge", ChallengeSMSMFA, ChallengeSoftwareTokenMFA, ChallengeEmailOTP)
	}
	ch.code("code", code)
	if ch.err != nil {
		return nil, ch.err
	}
	return c.Respond(ctx, challenge, map[string]string{key: code})
}

// Refresh gets new ID and access tokens for a refresh token. username is needed only for
// an app client with a secret, to compute SECRET_HASH; pass the username claim of the
// user's access token (for pools that sign in by e-mail or phone it is the user's sub,
// not the address). The result's Refresh is the new refresh token when the pool rotates
// them, else the one given.
func (c *Client) Refresh(ctx context.Context, refreshToken, username string) (*Tokens, error) {
	ch := checker{op: "Refresh"}
	ch.token("refresh token", refreshToken)
	if c.secret != "" || username != "" {
		ch.username(username)
	}
	if ch.err != nil {
		return nil, ch.err
	}
	params := map[string]string{"REFRESH_TOKEN": refreshToken}
	if c.secret != "" {
		c.addSecretHash(params, username)
	}
	start := c.now()
	var (
		op   string
		auth *types.AuthenticationResultType
	)
	if c.flow == AdminUserPasswordAuth {
		op = "AdminInitiateAuth"
		out, err := c.api.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
			UserPoolId: aws.String(c.poolID), ClientId: aws.String(c.clientID),
			AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: params,
		})
		if err != nil {
			return nil, wrap(op, err)
		}
		auth = out.AuthenticationResult
	} else {
		op = "InitiateAuth"
		out, err := c.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: aws.String(c.clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: params,
		})
		if err != nil && flowUnavailable(wrap(op, err)) {
			// An app client that rotates refresh tokens refreshes only this way.
			return c.rotateRefresh(ctx, refreshToken)
		}
		if err != nil {
			return nil, wrap(op, err)
		}
		auth = out.AuthenticationResult
	}
	if auth == nil {
		return nil, &Error{Op: op, Err: ErrUnexpectedResponse}
	}
	return tokens(op, start, auth, refreshToken)
}

// rotateRefresh is GetTokensFromRefreshToken: the answer carries a new refresh token, and
// the one given stops working after the app client's grace period.
func (c *Client) rotateRefresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	const op = "GetTokensFromRefreshToken"
	in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(c.clientID), RefreshToken: aws.String(refreshToken)}
	if c.secret != "" {
		in.ClientSecret = aws.String(c.secret)
	}
	start := c.now()
	out, err := c.api.GetTokensFromRefreshToken(ctx, in)
	if err != nil {
		return nil, wrap(op, err)
	}
	if out.AuthenticationResult == nil {
		return nil, &Error{Op: op, Err: ErrUnexpectedResponse}
	}
	return tokens(op, start, out.AuthenticationResult, refreshToken)
}

// GlobalLogout signs the user out everywhere: every refresh token of the user stops
// working, and so do access tokens with the pool's own operations. Tokens already handed
// to other services stay valid there until they expire, since those verify offline.
func (c *Client) GlobalLogout(ctx context.Context, accessToken string) error {
	ch := checker{op: "GlobalLogout"}
	ch.token("access token", accessToken)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(accessToken)})
	return wrap("GlobalSignOut", err)
}

// RevokeRefreshToken revokes one refresh token and the access tokens made from it: a
// sign-out of one session.
func (c *Client) RevokeRefreshToken(ctx context.Context, refreshToken string) error {
	ch := checker{op: "RevokeRefreshToken"}
	ch.token("refresh token", refreshToken)
	if ch.err != nil {
		return ch.err
	}
	in := &cip.RevokeTokenInput{ClientId: aws.String(c.clientID), Token: aws.String(refreshToken)}
	if c.secret != "" {
		in.ClientSecret = aws.String(c.secret)
	}
	_, err := c.api.RevokeToken(ctx, in)
	return wrap("RevokeToken", err)
}
