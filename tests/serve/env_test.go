package servetest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/testenv"
)

// backends are the customer databases every test runs on.
var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"sqlite", testenv.SQLitePath},
	{"postgres", testenv.PostgresDSN},
}

// eachBackend runs fn in parallel subtests, one per backend, each on a fresh database.
func eachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.dsn(t))
		})
	}
}

// Credentials of the separate pool processes.
const (
	poolKey    = "AKIDTEST"
	poolSecret = "secret"
	poolRegion = "us-east-1"
)

// poolProc is a running `hashless pool` with its admin client.
type poolProc struct {
	*proc
	sdk *cip.Client
}

// startPool runs a separate `hashless pool` in memory, with credentials (so not in
// development mode) and the outbox on.
func startPool(t testing.TB) *poolProc {
	t.Helper()
	p := start(t, "pool", []string{"pool", "--addr", "127.0.0.1:0", "--db", "memory",
		"--credentials", poolKey + ":" + poolSecret, "--kdf", cheapKDF, "--outbox"}, nil)
	return &poolProc{proc: p, sdk: sdk(p.URL, poolKey, poolSecret, poolRegion)}
}

var poolSeq atomic.Int64

// newUserPool creates a user pool set up as serve needs (edit may spoil it) and returns its ID.
func (p *poolProc) newUserPool(t testing.TB, edit ...func(*cip.CreateUserPoolInput)) string {
	t.Helper()
	in := &cip.CreateUserPoolInput{
		PoolName:               aws.String(fmt.Sprintf("store-%d", poolSeq.Add(1))),
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true,
		}},
	}
	for _, e := range edit {
		e(in)
	}
	out := must(p.sdk.CreateUserPool(ctx(t), in))(t)
	return aws.ToString(out.UserPool.Id)
}

// newClient creates an app client with the auth flows (default: the admin password flow and
// refresh) and returns its ID.
func (p *poolProc) newClient(t testing.TB, poolID string, flows ...types.ExplicitAuthFlowsType) string {
	t.Helper()
	if flows == nil {
		flows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
	}
	out := must(p.sdk.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("store"), ExplicitAuthFlows: flows,
	}))(t)
	return aws.ToString(out.UserPoolClient.ClientId)
}

// cognitoEnv is the environment that points serve at a user pool of p.
func (p *poolProc) cognitoEnv(poolID, clientID string) []string {
	return []string{
		"COGNITO_REGION=" + poolRegion, "COGNITO_USER_POOL_ID=" + poolID, "COGNITO_CLIENT_ID=" + clientID,
		"COGNITO_ACCESS_KEY_ID=" + poolKey, "COGNITO_SECRET_ACCESS_KEY=" + poolSecret, "COGNITO_ENDPOINT=" + p.URL,
	}
}

// usernames lists the pool's users' usernames, sorted.
func poolUsernames(t testing.TB, c *cip.Client, poolID string) []string {
	t.Helper()
	var names []string
	var token *string
	for {
		out := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: aws.String(poolID), PaginationToken: token}))(t)
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.Username))
		}
		if aws.ToString(out.PaginationToken) == "" {
			break
		}
		token = out.PaginationToken
	}
	slices.Sort(names)
	return names
}
