package apitest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestUserPoolLifecycle(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		created := must(c.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{
			PoolName:               aws.String("shop customers"),
			AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
			Schema: []types.SchemaAttributeType{
				{Name: aws.String("tier"), AttributeDataType: types.AttributeDataTypeString},
				{Name: aws.String("email"), Required: aws.Bool(true)},
			},
			Policies:     &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(10), RequireNumbers: true}},
			UserPoolTags: map[string]string{"team": "auth"},
		}))(t).UserPool
		id := aws.ToString(created.Id)
		if !regexp.MustCompile(`^us-east-1_[0-9A-Za-z]{9}$`).MatchString(id) {
			t.Fatalf("pool id %q does not look like a Cognito pool id", id)
		}
		if !strings.HasSuffix(aws.ToString(created.Arn), ":userpool/"+id) {
			t.Fatalf("arn %q", aws.ToString(created.Arn))
		}
		pp := created.Policies.PasswordPolicy
		if aws.ToInt32(pp.MinimumLength) != 10 || !pp.RequireNumbers || pp.RequireUppercase || pp.RequireSymbols {
			t.Fatalf("policy flags not given must be false: %+v", pp)
		}

		d := must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &id}))(t).UserPool
		if aws.ToString(d.Name) != "shop customers" || d.MfaConfiguration != types.UserPoolMfaTypeOff {
			t.Fatalf("describe: name %q mfa %q", aws.ToString(d.Name), d.MfaConfiguration)
		}
		var sawCustom, emailRequired bool
		for _, a := range d.SchemaAttributes {
			sawCustom = sawCustom || aws.ToString(a.Name) == "custom:tier"
			emailRequired = emailRequired || (aws.ToString(a.Name) == "email" && aws.ToBool(a.Required))
		}
		if !sawCustom || !emailRequired {
			t.Fatalf("schema lacks custom:tier or required email")
		}
		if d.UserPoolTags["team"] != "auth" {
			t.Fatalf("tags %v", d.UserPoolTags)
		}

		// UpdateUserPool resets what it leaves out, as on AWS.
		must(c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &id, MfaConfiguration: types.UserPoolMfaTypeOff,
			DeletionProtection: types.DeletionProtectionTypeActive}))(t)
		d = must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &id}))(t).UserPool
		if len(d.AutoVerifiedAttributes) != 0 || aws.ToInt32(d.Policies.PasswordPolicy.MinimumLength) != 8 {
			t.Fatalf("update did not reset settings: %v %v", d.AutoVerifiedAttributes, aws.ToInt32(d.Policies.PasswordPolicy.MinimumLength))
		}
		_, err := c.DeleteUserPool(ctx(t), &cip.DeleteUserPoolInput{UserPoolId: &id})
		wantAPIError(t, err, "InvalidParameterException")

		must(c.AddCustomAttributes(ctx(t), &cip.AddCustomAttributesInput{UserPoolId: &id,
			CustomAttributes: []types.SchemaAttributeType{{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeNumber}}}))(t)
		_, err = c.AddCustomAttributes(ctx(t), &cip.AddCustomAttributesInput{UserPoolId: &id,
			CustomAttributes: []types.SchemaAttributeType{{Name: aws.String("plan"), AttributeDataType: types.AttributeDataTypeNumber}}})
		wantAPIError(t, err, "InvalidParameterException")

		arn := aws.ToString(d.Arn)
		must(c.TagResource(ctx(t), &cip.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"env": "test"}}))(t)
		must(c.UntagResource(ctx(t), &cip.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"team"}}))(t)
		tags := must(c.ListTagsForResource(ctx(t), &cip.ListTagsForResourceInput{ResourceArn: &arn}))(t).Tags
		if len(tags) != 1 || tags["env"] != "test" {
			t.Fatalf("tags after tag/untag: %v", tags)
		}
		_, err = c.ListTagsForResource(ctx(t), &cip.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket-name-here")})
		wantAPIError(t, err, "InvalidParameterException")

		must(c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &id, DeletionProtection: types.DeletionProtectionTypeInactive}))(t)
		must(c.DeleteUserPool(ctx(t), &cip.DeleteUserPoolInput{UserPoolId: &id}))(t)
		_, err = c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.UpdateUserPool(ctx(t), &cip.UpdateUserPoolInput{UserPoolId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.DeleteUserPool(ctx(t), &cip.DeleteUserPoolInput{UserPoolId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}

func TestPoolRegionComesFromSignature(t *testing.T) {
	p := pooltest.Start(t, "memory")
	c := p.Client(pooltest.AccessKey, pooltest.SecretKey, "eu-west-2")
	out := must(c.CreateUserPool(ctx(t), &cip.CreateUserPoolInput{PoolName: aws.String("regional")}))(t)
	if id := aws.ToString(out.UserPool.Id); !strings.HasPrefix(id, "eu-west-2_") {
		t.Fatalf("pool id %q should carry the caller's region", id)
	}
	if arn := aws.ToString(out.UserPool.Arn); !strings.HasPrefix(arn, "arn:aws:cognito-idp:eu-west-2:") {
		t.Fatalf("arn %q should carry the caller's region", arn)
	}
}

func TestCreateUserPoolRejectsBadInput(t *testing.T) {
	p := pooltest.Start(t, "memory")
	c := p.Admin()
	cases := map[string]*cip.CreateUserPoolInput{
		"bad name":     {PoolName: aws.String("bad/name")},
		"short policy": {PoolName: aws.String("p"), Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(5)}}},
		"alias and username attributes": {PoolName: aws.String("p"),
			AliasAttributes:    []types.AliasAttributeType{types.AliasAttributeTypeEmail},
			UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}},
		"bad custom type":                   {PoolName: aws.String("p"), Schema: []types.SchemaAttributeType{{Name: aws.String("x"), AttributeDataType: "Blob"}}},
		"long custom name":                  {PoolName: aws.String("p"), Schema: []types.SchemaAttributeType{{Name: aws.String(strings.Repeat("x", 21))}}},
		"verification message without code": {PoolName: aws.String("p"), EmailVerificationMessage: aws.String("no code here")},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateUserPool(ctx(t), in)
			wantAPIError(t, err, "InvalidParameterException")
		})
	}
}

func TestListUserPoolsPages(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		want := map[string]bool{}
		for range 7 {
			want[newPool(t, c)] = true
		}
		seen := map[string]bool{}
		var token *string
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			out := must(c.ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(3), NextToken: token}))(t)
			if len(out.UserPools) > 3 {
				t.Fatalf("page of %d pools for MaxResults 3", len(out.UserPools))
			}
			for _, up := range out.UserPools {
				if seen[aws.ToString(up.Id)] {
					t.Fatalf("pool %s listed twice", aws.ToString(up.Id))
				}
				seen[aws.ToString(up.Id)] = true
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		for id := range want {
			if !seen[id] {
				t.Fatalf("pool %s never listed", id)
			}
		}
		_, err := c.ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(3), NextToken: aws.String("forged-token")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(61)})
		wantAPIError(t, err, "InvalidParameterException")
	})
}
