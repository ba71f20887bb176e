package verify_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/internal/mototest"
	"github.com/hashless/hashless/cognito/verify"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/server"
)

// realPool makes a pool, an app client and a signed-in user "alice" in group "admins" on a
// backend, and returns the pool ID, the client ID and the tokens.
func realPool(t *testing.T, admin *cip.Client, endpoint, key, secret string) (string, string, *cognito.Tokens) {
	t.Helper()
	pool, err := admin.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{PoolName: aws.String("verify")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := admin.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	poolID, clientID := aws.ToString(pool.UserPool.Id), aws.ToString(client.UserPoolClient.ClientId)
	c, err := cognito.New(cognito.Config{UserPoolID: poolID, ClientID: clientID, Endpoint: endpoint, AccessKeyID: key, SecretAccessKey: secret,
		LoginFlow: cognito.UserPasswordAuth}) // moto has no real SRP (see the cognito package's tests)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx(t), cognito.NewUser{Username: "alice", SuppressMessage: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.AdminSetPassword(ctx(t), "alice", "Correct-Horse-1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx(t), cognito.Group{Name: "admins"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AdminAddUserToGroup(ctx(t), "alice", "admins"); err != nil {
		t.Fatal(err)
	}
	res, err := c.Login(ctx(t), "alice", "Correct-Horse-1")
	if err != nil || res.Tokens == nil {
		t.Fatalf("Login: %+v %v", res, err)
	}
	return poolID, clientID, res.Tokens
}

func checkRealTokens(t *testing.T, v *verify.Verifier, clientID string, tok *cognito.Tokens) {
	t.Helper()
	ac, err := v.VerifyAccessToken(ctx(t), tok.Access)
	if err != nil {
		t.Fatalf("VerifyAccessToken: %v", err)
	}
	if ac.TokenUse != verify.UseAccess || ac.Username != "alice" || ac.ClientID != clientID || ac.Subject == "" ||
		!ac.InGroup("admins") || !ac.HasScope("aws.cognito.signin.user.admin") || ac.AuthTime.IsZero() ||
		ac.Expiry.Before(time.Now().Add(50*time.Minute)) || ac.Raw["jti"] == nil {
		t.Fatalf("access claims %+v", ac)
	}
	idc, err := v.VerifyIDToken(ctx(t), tok.ID)
	if err != nil {
		t.Fatalf("VerifyIDToken: %v", err)
	}
	if idc.TokenUse != verify.UseID || idc.Username != "alice" || idc.ClientID != clientID || idc.Subject != ac.Subject ||
		!slices.Equal(idc.Groups, []string{"admins"}) {
		t.Fatalf("ID claims %+v", idc)
	}
	if _, err := v.VerifyAccessToken(ctx(t), tok.ID); !errors.Is(err, verify.ErrTokenUse) {
		t.Fatalf("an ID token as an access token: %v", err)
	}
	if _, err := v.VerifyIDToken(ctx(t), tok.Access); !errors.Is(err, verify.ErrTokenUse) {
		t.Fatalf("an access token as an ID token: %v", err)
	}
}

func TestTokensOfARealPool(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"local", "aws"} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			p := pooltest.Start(t, string(pooltest.Memory), func(c *server.Config) { c.IssuerStyle = style })
			poolID, clientID, tok := realPool(t, p.Admin(), p.URL, pooltest.AccessKey, pooltest.SecretKey)
			cfg := verify.Config{Issuer: p.URL + "/" + poolID, ClientIDs: []string{clientID}, Now: clk.Now}
			if style == "aws" {
				cfg.Issuer = verify.AWSIssuer("us-east-1", poolID)
				cfg.JWKSURL = p.URL + "/" + poolID + "/.well-known/jwks.json"
			}
			v, err := verify.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkRealTokens(t, v, clientID, tok)

			other := cfg
			other.ClientIDs = []string{"someoneelse"}
			vo, _ := verify.New(other)
			if _, err := vo.VerifyAccessToken(ctx(t), tok.Access); !errors.Is(err, verify.ErrAudience) {
				t.Fatalf("another client's access token: %v", err)
			}
			if _, err := vo.VerifyIDToken(ctx(t), tok.ID); !errors.Is(err, verify.ErrAudience) {
				t.Fatalf("another client's ID token: %v", err)
			}
			other = cfg
			other.Issuer = cfg.Issuer + "x"
			other.JWKSURL = p.URL + "/" + poolID + "/.well-known/jwks.json"
			vi, _ := verify.New(other)
			if _, err := vi.VerifyAccessToken(ctx(t), tok.Access); !errors.Is(err, verify.ErrIssuer) {
				t.Fatalf("another issuer: %v", err)
			}

			// Rotation: the pool publishes and signs with new keys at once; the verifier
			// fetches them on the first unknown kid once its rate limit allows.
			if _, err := p.Server.Service.RotateKeys(ctx(t), poolID, 0); err != nil {
				t.Fatal(err)
			}
			c, _ := cognito.New(cognito.Config{UserPoolID: poolID, ClientID: clientID, Endpoint: p.URL})
			res, err := c.Login(ctx(t), "alice", "Correct-Horse-1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyAccessToken(ctx(t), res.Tokens.Access); err != nil {
				// The first fetch was at the first verification above, so the refetch
				// may be rate-limited; after the interval it must succeed.
				if !errors.Is(err, verify.ErrUnknownKey) {
					t.Fatalf("a token of a rotated key: %v", err)
				}
				clk.Advance(verify.DefaultRefreshInterval)
				if _, err := v.VerifyAccessToken(ctx(t), res.Tokens.Access); err != nil {
					t.Fatalf("a token of a rotated key after the refresh interval: %v", err)
				}
			}
			// The old key is still published, so tokens it signed still verify.
			if _, err := v.VerifyAccessToken(ctx(t), tok.Access); err != nil {
				t.Fatalf("a token of the previous key: %v", err)
			}
		})
	}
}

// moto signs the tokens of every pool with one key (kid "dummy"): only the exact issuer
// check keeps a token of one pool from passing for another.
func TestTokensOfMoto(t *testing.T) {
	t.Parallel()
	u := mototest.Require(t)
	admin := mototest.Admin(u)
	poolID, clientID, tok := realPool(t, admin, u, "AKIDMOTO", "moto")
	v, err := verify.New(verify.Config{Issuer: verify.AWSIssuer(mototest.Region, poolID), ClientIDs: []string{clientID},
		JWKSURL: u + "/" + poolID + "/.well-known/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	checkRealTokens(t, v, clientID, tok)

	otherPool, otherClient, otherTok := realPool(t, admin, u, "AKIDMOTO", "moto")
	_ = otherPool
	vAll, _ := verify.New(verify.Config{Issuer: verify.AWSIssuer(mototest.Region, poolID), ClientIDs: []string{clientID, otherClient},
		JWKSURL: u + "/" + poolID + "/.well-known/jwks.json"})
	if _, err := vAll.VerifyAccessToken(ctx(t), otherTok.Access); !errors.Is(err, verify.ErrIssuer) {
		t.Fatalf("another moto pool's token: %v", err)
	}
}
