package apitest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/server"
)

// each runs fn once per storage backend, in parallel subtests, each on a fresh database.
func each(t *testing.T, fn func(t *testing.T, p *pooltest.Pool)) {
	t.Helper()
	for _, b := range pooltest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, pooltest.Start(t, pooltest.DSN(t, b)))
		})
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantAPIError fails unless err is the named exception.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("expected %s, got non-API error %v", code, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("expected %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if apiErr.ErrorMessage() == "" {
		t.Fatalf("%s has an empty message", code)
	}
}

// must turns a call's (value, error) into the value, failing the test on an error:
// must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var poolCounter atomic.Int64

// newPool creates a pool with an e-mail alias, case-insensitive usernames and a lenient
// password policy, as most tests want.
func newPool(t testing.TB, c *cip.Client, edit ...func(*cip.CreateUserPoolInput)) string {
	t.Helper()
	in := &cip.CreateUserPoolInput{
		PoolName:              aws.String(fmt.Sprintf("pool-%d", poolCounter.Add(1))),
		AliasAttributes:       []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		UsernameConfiguration: &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireNumbers: true,
		}},
	}
	for _, e := range edit {
		e(in)
	}
	out := must(c.CreateUserPool(ctx(t), in))(t)
	return *out.UserPool.Id
}

func attrs(kv ...string) []types.AttributeType {
	var out []types.AttributeType
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.AttributeType{Name: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func attrValue(list []types.AttributeType, name string) (string, bool) {
	for _, a := range list {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value), true
		}
	}
	return "", false
}

func createUser(t testing.TB, c *cip.Client, poolID, username string, kv ...string) *types.UserType {
	t.Helper()
	out := must(c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username),
		UserAttributes: attrs(kv...), MessageAction: types.MessageActionTypeSuppress,
	}))(t)
	return out.User
}

func usernames(users []types.UserType) string {
	var names []string
	for _, u := range users {
		names = append(names, aws.ToString(u.Username))
	}
	return strings.Join(names, ",")
}

type serverConfig = server.Config

// fixedClock is a server clock that stands still at one instant.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c).UTC() }
