package apitest

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/srp"
)

// BenchmarkSRPSignIn is a whole USER_SRP_AUTH sign-in through the cognito package against a
// pool on the same cores: InitiateAuth, PASSWORD_VERIFIER and tokens, with both sides' SRP
// arithmetic. Compare it with BenchmarkSRPModExpLimit, the modular exponentiations alone.
func BenchmarkSRPSignIn(b *testing.B) {
	const users = 64
	p := pooltest.Start(b, pooltest.DSN(b, pooltest.Memory))
	c := p.Admin()
	ctx := context.Background()
	created, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("srp-bench")})
	if err != nil {
		b.Fatal(err)
	}
	poolID := *created.UserPool.Id
	app, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("b"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserSrpAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		b.Fatal(err)
	}
	clientID := *app.UserPoolClient.ClientId
	for i := range users {
		name := fmt.Sprintf("user%03d", i)
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: &name, MessageAction: types.MessageActionTypeSuppress}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: &name,
			Password: aws.String("Bench-Passw0rd!"), Permanent: true}); err != nil {
			b.Fatal(err)
		}
	}
	client, err := cognito.New(cognito.Config{UserPoolID: poolID, ClientID: clientID, Endpoint: p.URL, LoginFlow: cognito.UserSRPAuth,
		AccessKeyID: pooltest.AccessKey, SecretAccessKey: pooltest.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("user%03d", n.Add(1)%users)
			res, err := client.Login(ctx, name, "Bench-Passw0rd!")
			if err != nil || res.Tokens == nil {
				b.Fatalf("SRP sign-in: %v", err)
			}
		}
	})
}

// BenchmarkSRPModExpLimit is the physical limit of an SRP sign-in on these cores: the six
// 3072-bit modular exponentiations the two sides cannot avoid (client: g^a, g^x and
// (B − k·g^x)^(a+u·x); server: g^b, v^u and (A·v^u)^b), with exponents of the sizes the
// official client and the pool draw (1024-bit a and b, 256-bit x and u).
func BenchmarkSRPModExpLimit(b *testing.B) {
	n, g := srp.N(), srp.G()
	random := func(bytes int) *big.Int {
		buf := make([]byte, bytes)
		rand.Read(buf)
		return new(big.Int).SetBytes(buf)
	}
	base := random(384)
	base.Mod(base, n)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		a, bb, x, u := random(128), random(128), random(32), random(32)
		ux := new(big.Int).Mul(u, x)
		aux := new(big.Int).Add(a, ux)
		out := new(big.Int)
		for pb.Next() {
			out.Exp(g, a, n)      // client A
			out.Exp(g, x, n)      // client k·g^x
			out.Exp(base, aux, n) // client S
			out.Exp(g, bb, n)     // server B
			out.Exp(base, u, n)   // server v^u
			out.Exp(base, bb, n)  // server S
		}
	})
}
