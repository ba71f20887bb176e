package cognitotest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
)

func TestStart(t *testing.T) {
	ctx := context.Background()
	p, err := cognitotest.Start(ctx, cognitotest.Options{
		ClientSecret: true,
		EditPool:     func(in *cip.CreateUserPoolInput) { in.PoolName = aws.String("edited") },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.ClientSecret == "" || p.UserPoolID == "" || p.Issuer() != p.URL+"/"+p.UserPoolID {
		t.Fatalf("pool %+v", p)
	}
	c, err := cognito.New(p.Config())
	if err != nil {
		t.Fatal(err)
	}
	desc, err := c.SDK().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p.UserPoolID)})
	if err != nil || aws.ToString(desc.UserPool.Name) != "edited" {
		t.Fatalf("DescribeUserPool: %v", err)
	}
	if _, err := p.Code(ctx, "nobody", cognitotest.KindSignUp); err == nil {
		t.Fatal("a code for a user who was sent none")
	}
	if _, err := c.SignUp(ctx, "zoe", "Correct-Horse-42", map[string]string{"email": "zoe@example.com"}); err != nil {
		t.Fatal(err)
	}
	code, err := p.Code(ctx, "zoe", cognitotest.KindSignUp)
	if err != nil || len(code) != 6 {
		t.Fatalf("code %q: %v", code, err)
	}
	if err := c.ConfirmSignUp(ctx, "zoe", code); err != nil {
		t.Fatal(err)
	}
	// Through the handler, without the network.
	cfg := p.Config()
	cfg.Transport = cognito.HandlerTransport(p.Handler())
	inProcess, err := cognito.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := inProcess.Login(ctx, "zoe@example.com", "Correct-Horse-42"); err != nil || res.Tokens == nil {
		t.Fatalf("Login in process: %+v %v", res, err)
	}
}
