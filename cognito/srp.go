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

// ChallengePasswordVerifier is the second step of an SRP sign-in; Login answers it itself.
const ChallengePasswordVerifier = "PASSWORD_VERIFIER"

// loginSRP signs in with USER_SRP_AUTH: A goes out, the pool answers PASSWORD_VERIFIER with
// its salt, B and SECRET_BLOCK, and the answer is a signature made with the key both sides
// derive, under the canonical username the pool names (USER_ID_FOR_SRP), which is also
// what the answer's SECRET_HASH is computed with.
func (c *Client) loginSRP(ctx context.Context, username, password string, device *Device) (*LoginResult, error) {
	client, err := srp.NewClient(rand.Reader)
	if err != nil {
		return nil, &Error{Op: "Login", Err: err}
	}
	params := map[string]string{"USERNAME": username, "SRP_A": client.PublicKey().Text(16)}
	if device != nil {
		params["DEVICE_KEY"] = device.Key
	}
	c.addSecretHash(params, username)
	const op = "InitiateAuth"
	out, err := c.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(c.clientID), AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: params,
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier {
		return c.loginResult(op, c.now(), out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, username, "")
	}
	return c.answerPasswordVerifier(ctx, client, out.Session, out.ChallengeParameters, username, password, device)
}

func (c *Client) answerPasswordVerifier(ctx context.Context, client *srp.Client, session *string, ch map[string]string,
	username, password string, device *Device) (*LoginResult, error) {
	const op = "RespondToAuthChallenge"
	userID := ch["USER_ID_FOR_SRP"]
	if userID == "" {
		return nil, &Error{Op: "InitiateAuth", Err: ErrUnexpectedResponse}
	}
	resp, err := c.passwordClaim(client, ch, srp.PoolName(c.poolID), userID, password)
	if err != nil {
		return nil, &Error{Op: "InitiateAuth", Err: err}
	}
	resp["USERNAME"] = userID
	if device != nil {
		resp["DEVICE_KEY"] = device.Key
	}
	c.addSecretHash(resp, userID)
	start := c.now()
	out, err := c.api.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ClientId: aws.String(c.clientID), ChallengeName: types.ChallengeNameTypePasswordVerifier,
		Session: session, ChallengeResponses: resp,
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return c.loginResult(op, start, out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters, userID, "")
}

// passwordClaim answers a PASSWORD_VERIFIER or DEVICE_PASSWORD_VERIFIER challenge: the key
// derived from the challenge's SALT and SRP_B, and the signature over group ‖ user ‖
// SECRET_BLOCK ‖ TIMESTAMP (for a user the pool name and USER_ID_FOR_SRP, for a device its
// group key and key).
func (c *Client) passwordClaim(client *srp.Client, ch map[string]string, group, user, password string) (map[string]string, error) {
	salt, err1 := srp.ParseHex(ch["SALT"])
	pubB, err2 := srp.ParseHex(ch["SRP_B"])
	block, err3 := base64.StdEncoding.DecodeString(ch["SECRET_BLOCK"])
	if err1 != nil || err2 != nil || err3 != nil || len(block) == 0 {
		return nil, ErrUnexpectedResponse
	}
	key, err := client.Key(pubB, salt, group, user, password)
	if err != nil {
		return nil, ErrUnexpectedResponse
	}
	stamp := srp.FormatTimestamp(c.now())
	return map[string]string{
		"PASSWORD_CLAIM_SECRET_BLOCK": ch["SECRET_BLOCK"],
		"TIMESTAMP":                   stamp,
		"PASSWORD_CLAIM_SIGNATURE":    srp.SignatureBase64(key, group, user, block, stamp),
	}, nil
}
