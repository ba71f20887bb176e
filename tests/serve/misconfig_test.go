package servetest

import (
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/testenv"
)

// TestRefusesMisconfiguredPool: serve will not start on a pool that cannot work as its
// password store, and says what to fix.
func TestRefusesMisconfiguredPool(t *testing.T) {
	t.Parallel()
	pool := startPool(t)
	cases := []struct {
		name   string
		pool   func(*cip.CreateUserPoolInput)
		flows  []types.ExplicitAuthFlowsType
		saying string
	}{
		{name: "email-as-username", pool: func(in *cip.CreateUserPoolInput) {
			in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
		}, saying: "UsernameAttributes"},
		{name: "case-sensitive", pool: func(in *cip.CreateUserPoolInput) {
			in.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: new(true)}
		}, saying: "CaseSensitive=false"},
		{name: "no-case-setting", pool: func(in *cip.CreateUserPoolInput) {
			in.UsernameConfiguration = nil
		}, saying: "case-sensitive"},
		{name: "no-admin-flow", flows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}, saying: "ALLOW_ADMIN_USER_PASSWORD_AUTH"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var edits []func(*cip.CreateUserPoolInput)
			if c.pool != nil {
				edits = append(edits, c.pool)
			}
			poolID := pool.newUserPool(t, edits...)
			clientID := pool.newClient(t, poolID, c.flows...)
			p := launchServe(t, serveOpts{db: testenv.SQLitePath(t), env: pool.cognitoEnv(poolID, clientID)})
			ps := p.wait(t, 30*time.Second)
			out := p.Stderr()
			if ps.Success() || ps.ExitCode() <= 0 {
				t.Fatalf("serve exited with %v on a misconfigured pool:\n%s", ps, out)
			}
			if !strings.Contains(out, c.saying) || !strings.Contains(out, poolID) || strings.Contains(out, "msg=listening") {
				t.Fatalf("serve's refusal does not name the problem (%q) and the pool:\n%s", c.saying, out)
			}
		})
	}
}
