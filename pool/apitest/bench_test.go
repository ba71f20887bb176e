package apitest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool"
)

// benchPool starts a SQLite pool with users imported through the bulk path (no hashing), as
// the benchmarks of larger pools do.
func benchPool(b *testing.B, users int) (*pooltest.Pool, string) {
	b.Helper()
	p := pooltest.Start(b, pooltest.DSN(b, pooltest.SQLite))
	out, err := p.Server.Service.CreateUserPool(context.Background(), pool.Caller{Region: "us-east-1"}, &pool.CreateUserPoolInput{PoolName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("cognito:username,email,email_verified,cognito:mfa_enabled\n")
	for i := range users {
		fmt.Fprintf(&csv, "user%07d,user%07d@example.com,true,false\n", i, i)
	}
	res, err := p.Server.Service.ImportUsers(context.Background(), out.UserPool.Id, strings.NewReader(csv.String()), nil)
	if err != nil || res.Imported != int64(users) {
		b.Fatalf("import: %v %+v", err, res)
	}
	return p, out.UserPool.Id
}

func BenchmarkAdminGetUser(b *testing.B) {
	const users = 10_000
	p, poolID := benchPool(b, users)
	c := p.Admin()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % users
			if _, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String(fmt.Sprintf("user%07d", i))}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkListUsersEmailFilter(b *testing.B) {
	const users = 10_000
	p, poolID := benchPool(b, users)
	c := p.Admin()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % users
			out, err := c.ListUsers(context.Background(), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(fmt.Sprintf(`email = "user%07d@example.com"`, i))})
			if err != nil || len(out.Users) != 1 {
				b.Fatalf("%v %d", err, len(out.Users))
			}
		}
	})
}

func BenchmarkAdminCreateUser(b *testing.B) {
	p, poolID := benchPool(b, 0)
	c := p.Admin()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := c.AdminCreateUser(context.Background(), &cip.AdminCreateUserInput{UserPoolId: &poolID,
				Username: aws.String(fmt.Sprintf("new%09d", n.Add(1))), MessageAction: types.MessageActionTypeSuppress})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkImportRows measures the bulk import path per row (SQLite, batches of 500).
func BenchmarkImportRows(b *testing.B) {
	p, poolID := benchPool(b, 0)
	var csv strings.Builder
	csv.WriteString("cognito:username,email,email_verified,cognito:mfa_enabled\n")
	for i := range b.N {
		fmt.Fprintf(&csv, "imp%09d,imp%09d@example.com,true,false\n", i, i)
	}
	b.ResetTimer()
	res, err := p.Server.Service.ImportUsers(context.Background(), poolID, strings.NewReader(csv.String()), nil)
	if err != nil || res.Imported != int64(b.N) {
		b.Fatalf("%v %+v", err, res)
	}
}
