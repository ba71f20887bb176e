package apitest

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// A trigger must be a webhook the pool can call: an ARN (or anything that is not an http(s)
// URL) is refused when the pool is created or updated, never stored and silently skipped.
func TestTriggerConfigValidation(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		const arn = "arn:aws:lambda:us-east-1:123456789012:function:presignup"
		create := func(lc *types.LambdaConfigType) error {
			_, err := c.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{PoolName: aws.String("triggers"), LambdaConfig: lc})
			return err
		}
		err := create(&types.LambdaConfigType{PreSignUp: aws.String(arn)})
		wantAPIError(t, err, "InvalidParameterException")
		if msg := apiMessage(err); !strings.Contains(msg, "lambdaConfig.preSignUp") || !strings.Contains(msg, "ARN") {
			t.Fatalf("message does not say which member and why: %q", msg)
		}
		for _, lc := range []*types.LambdaConfigType{
			{UserMigration: aws.String("ftp://legacy.example/migrate")},
			{PostAuthentication: aws.String("http://user:secret@hooks.example/post")},
			{CustomMessage: aws.String("not a url")},
			{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(arn), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV10}},
		} {
			wantAPIError(t, create(lc), "InvalidParameterException")
		}

		good := &types.LambdaConfigType{
			PreSignUp: aws.String("https://hooks.example/presignup"), UserMigration: aws.String("http://127.0.0.1:9/migrate?token=x"),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String("https://hooks.example/token"), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV10},
		}
		out := must(c.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{PoolName: aws.String("triggers"), LambdaConfig: good}))(t)
		id := out.UserPool.Id
		got := must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: id}))(t).UserPool.LambdaConfig
		if got == nil || aws.ToString(got.UserMigration) != "http://127.0.0.1:9/migrate?token=x" || aws.ToString(got.PreSignUp) != "https://hooks.example/presignup" {
			t.Fatalf("LambdaConfig not kept: %+v", got)
		}

		_, err = c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: id, LambdaConfig: &types.LambdaConfigType{UserMigration: aws.String(arn)}})
		wantAPIError(t, err, "InvalidParameterException")
		got = must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: id}))(t).UserPool.LambdaConfig
		if got == nil || aws.ToString(got.UserMigration) != "http://127.0.0.1:9/migrate?token=x" {
			t.Fatalf("a refused update changed the pool: %+v", got)
		}
		must(c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: id, LambdaConfig: &types.LambdaConfigType{PostConfirmation: aws.String("https://hooks.example/post")}}))(t)
	})
}
