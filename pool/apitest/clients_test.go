package apitest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestUserPoolClientLifecycle(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		created := must(c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{
			UserPoolId: &poolID, ClientName: aws.String("web"), GenerateSecret: true,
			ExplicitAuthFlows:   []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
			AccessTokenValidity: aws.Int32(30), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes},
			ReadAttributes: []string{"email", "custom:missing"}[:1],
		}))(t).UserPoolClient
		id := aws.ToString(created.ClientId)
		if len(id) != 26 || len(aws.ToString(created.ClientSecret)) < 40 {
			t.Fatalf("client id %q / secret length %d", id, len(aws.ToString(created.ClientSecret)))
		}
		if created.RefreshTokenValidity != 30 || created.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesLegacy || !aws.ToBool(created.EnableTokenRevocation) {
			t.Fatalf("defaults not applied: %+v", created)
		}
		d := must(c.DescribeUserPoolClient(ctx(t), &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &id}))(t).UserPoolClient
		if aws.ToString(d.ClientSecret) != aws.ToString(created.ClientSecret) || aws.ToInt32(d.AccessTokenValidity) != 30 {
			t.Fatalf("describe differs from create")
		}

		plain := must(c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("mobile")}))(t).UserPoolClient
		if plain.ClientSecret != nil {
			t.Fatalf("a client without GenerateSecret has a secret")
		}
		want := map[types.ExplicitAuthFlowsType]bool{types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth: true, types.ExplicitAuthFlowsTypeAllowCustomAuth: true, types.ExplicitAuthFlowsTypeAllowUserSrpAuth: true}
		if len(plain.ExplicitAuthFlows) != len(want) {
			t.Fatalf("default auth flows %v", plain.ExplicitAuthFlows)
		}
		for _, f := range plain.ExplicitAuthFlows {
			if !want[f] {
				t.Fatalf("default auth flows %v", plain.ExplicitAuthFlows)
			}
		}

		upd := must(c.UpdateUserPoolClient(ctx(t), &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: &id,
			ClientName: aws.String("web2"), PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled}))(t).UserPoolClient
		if aws.ToString(upd.ClientName) != "web2" || upd.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesEnabled ||
			aws.ToInt32(upd.AccessTokenValidity) != 60 || aws.ToString(upd.ClientSecret) != aws.ToString(created.ClientSecret) {
			t.Fatalf("update: %+v", upd)
		}

		seen := map[string]bool{}
		var token *string
		for {
			page := must(c.ListUserPoolClients(ctx(t), &cip.ListUserPoolClientsInput{UserPoolId: &poolID, MaxResults: aws.Int32(1), NextToken: token}))(t)
			for _, cl := range page.UserPoolClients {
				seen[aws.ToString(cl.ClientId)] = true
			}
			if token = page.NextToken; token == nil {
				break
			}
		}
		if !seen[id] || !seen[aws.ToString(plain.ClientId)] || len(seen) != 2 {
			t.Fatalf("listed %v", seen)
		}

		for name, in := range map[string]*cip.CreateUserPoolClientInput{
			"mixed flows":       {UserPoolId: &poolID, ClientName: aws.String("x"), ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}},
			"short token":       {UserPoolId: &poolID, ClientName: aws.String("x"), AccessTokenValidity: aws.Int32(4), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes}},
			"long token":        {UserPoolId: &poolID, ClientName: aws.String("x"), IdTokenValidity: aws.Int32(2), TokenValidityUnits: &types.TokenValidityUnitsType{IdToken: types.TimeUnitsTypeDays}},
			"unknown read attr": {UserPoolId: &poolID, ClientName: aws.String("x"), ReadAttributes: []string{"custom:missing"}},
			"bad session":       {UserPoolId: &poolID, ClientName: aws.String("x"), AuthSessionValidity: aws.Int32(20)},
		} {
			_, err := c.CreateUserPoolClient(ctx(t), in)
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			wantAPIError(t, err, "InvalidParameterException")
		}
		_, err := c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_nonexist0"), ClientName: aws.String("x")})
		wantAPIError(t, err, "ResourceNotFoundException")

		must(c.DeleteUserPoolClient(ctx(t), &cip.DeleteUserPoolClientInput{UserPoolId: &poolID, ClientId: &id}))(t)
		_, err = c.DescribeUserPoolClient(ctx(t), &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.UpdateUserPoolClient(ctx(t), &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.DeleteUserPoolClient(ctx(t), &cip.DeleteUserPoolClientInput{UserPoolId: &poolID, ClientId: &id})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.ListUserPoolClients(ctx(t), &cip.ListUserPoolClientsInput{UserPoolId: aws.String("us-east-1_nonexist0"), MaxResults: aws.Int32(5)})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}
