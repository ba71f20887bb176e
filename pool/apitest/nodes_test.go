package apitest

import (
	"time"

	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/internal/pooltest"
)

// Two servers on one PostgreSQL database behave as one pool.
func TestTwoNodesShareOnePool(t *testing.T) {
	dsn := pooltest.DSN(t, pooltest.Postgres)
	a := pooltest.Start(t, dsn)
	b := pooltest.Start(t, dsn)
	ca, cb := a.Admin(), b.Admin()
	poolID := newPool(t, ca)
	client := must(ca.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"), GenerateSecret: true}))(t).UserPoolClient
	onB := must(cb.DescribeUserPoolClient(ctx(t), &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: client.ClientId}))(t).UserPoolClient
	if aws.ToString(onB.ClientSecret) != aws.ToString(client.ClientSecret) {
		t.Fatal("node B cannot read the client secret node A sealed")
	}
	createUser(t, ca, poolID, "olga", "email", "olga@example.com", "email_verified", "true")
	listed := must(cb.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`email = "olga@example.com"`)}))(t)
	if usernames(listed.Users) != "olga" {
		t.Fatalf("node B lists %q", usernames(listed.Users))
	}
	must(ca.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("olga")}))(t)
	codes := outbox(t, b, url.Values{"pool": {poolID}, "username": {"olga"}, "kind": {"FORGOT_PASSWORD"}})
	if len(codes) != 1 {
		t.Fatalf("node B's outbox has %d codes for a reset on node A", len(codes))
	}
	must(cb.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("olga")}))(t)
	if must(ca.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("olga")}))(t).Enabled {
		t.Fatal("node A does not see node B's change")
	}
	// Both nodes create the same user at once: one pool user, one UsernameExistsException.
	errs := make(chan error, 2)
	for _, c := range []*cip.Client{ca, cb} {
		go func() {
			_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("pat")})
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("racing creates on two nodes: %v / %v", e1, e2)
	}
	if e1 != nil {
		wantAPIError(t, e1, "UsernameExistsException")
	} else {
		wantAPIError(t, e2, "UsernameExistsException")
	}
}

// Lockout counts failures on every node, and revocation on one node is seen by the other.
func TestTwoNodesShareLockoutAndRevocation(t *testing.T) {
	dsn := pooltest.DSN(t, pooltest.Postgres)
	a := pooltest.Start(t, dsn)
	// Nodes behind one address share the public URL, and so the issuer.
	b := pooltest.Start(t, dsn, func(cfg *serverConfig) { cfg.PublicURL = a.URL })
	s := newSignInSetup(t, a)
	onB := s
	onB.c = b.Admin()

	// Failures alternate between the nodes; the fifth (on B) starts the lockout, seen on A.
	for i := range 5 {
		node := s
		if i%2 == 1 {
			node = onB
		}
		_, err := node.login(t, "quinn", "wrong password 1")
		wantAPIError(t, err, "NotAuthorizedException")
	}
	_, err := s.login(t, "quinn", password)
	if apiMessage(err) != "Password attempts exceeded" {
		t.Fatalf("after five failures across two nodes: %v", err)
	}
	time.Sleep(1100 * time.Millisecond)

	tokens := must(s.login(t, "quinn", password))(t).AuthenticationResult
	must(onB.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: tokens.AccessToken}))(t)
	must(onB.c.RevokeToken(ctx(t), &cip.RevokeTokenInput{ClientId: &s.clientID, Token: tokens.RefreshToken}))(t)
	_, err = s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: tokens.AccessToken})
	wantAPIError(t, err, "NotAuthorizedException")
	_, err = s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: "REFRESH_TOKEN_AUTH",
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)}})
	wantAPIError(t, err, "NotAuthorizedException")

	// A challenge started on A is answered on B, once.
	must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String("temporary1")}))(t)
	ch := must(s.login(t, "quinn", "temporary1"))(t)
	answer := func(c *cip.Client) error {
		_, err := c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: "NEW_PASSWORD_REQUIRED",
			Session: ch.Session, ChallengeResponses: map[string]string{"USERNAME": "quinn", "NEW_PASSWORD": password}})
		return err
	}
	if err := answer(onB.c); err != nil {
		t.Fatalf("answering on B a challenge from A: %v", err)
	}
	wantAPIError(t, answer(s.c), "NotAuthorizedException")
}
