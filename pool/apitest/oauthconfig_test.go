package apitest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

const testCertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"

func TestUserPoolDomains(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolA, poolB := newPool(t, c), newPool(t, c)
		prefix := fmt.Sprintf("login-%d", poolCounter.Add(1))

		created := must(c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix}))(t)
		if aws.ToInt32(created.ManagedLoginVersion) != 1 || created.CloudFrontDomain != nil {
			t.Fatalf("a prefix domain: version %d, CloudFrontDomain %v", aws.ToInt32(created.ManagedLoginVersion), aws.ToString(created.CloudFrontDomain))
		}
		d := must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: &prefix}))(t).DomainDescription
		if aws.ToString(d.UserPoolId) != poolA || aws.ToString(d.Domain) != prefix || d.Status != types.DomainStatusTypeActive ||
			aws.ToString(d.AWSAccountId) == "" || aws.ToString(d.Version) == "" || aws.ToInt32(d.ManagedLoginVersion) != 1 || d.CustomDomainConfig != nil {
			t.Fatalf("describe: %+v", d)
		}
		pool := must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &poolA}))(t).UserPool
		if aws.ToString(pool.Domain) != prefix || pool.CustomDomain != nil {
			t.Fatalf("DescribeUserPool: Domain %q, CustomDomain %q", aws.ToString(pool.Domain), aws.ToString(pool.CustomDomain))
		}

		for _, bad := range []struct{ why, domain string }{
			{"uppercase and underscore", "My_Login"}, {"a leading hyphen", "-login"}, {"a trailing hyphen", "login-"},
			{"too long", strings.Repeat("a", 64)}, {"reserved word cognito", "my-cognito-login"},
			{"reserved word aws", "awsome"}, {"reserved word amazon", "amazonian"}, {"an empty label", "auth..example.com"},
		} {
			_, err := c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: aws.String(bad.domain)})
			t.Run(bad.why, func(t *testing.T) { wantAPIError(t, err, "InvalidParameterException") })
		}
		_, err := c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: &prefix})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolA, Domain: aws.String(prefix + "-second")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: aws.String("auth.example.com")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: aws.String("plain-prefix"),
			CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(testCertificateArn)}})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: aws.String("plain-prefix"), ManagedLoginVersion: aws.Int32(3)})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: aws.String("us-east-1_missing00"), Domain: aws.String("plain-prefix")})
		wantAPIError(t, err, "ResourceNotFoundException")

		custom := "auth.example.com"
		cd := must(c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolB, Domain: &custom, ManagedLoginVersion: aws.Int32(2),
			CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(testCertificateArn)}}))(t)
		if aws.ToString(cd.CloudFrontDomain) != "127.0.0.1" || aws.ToInt32(cd.ManagedLoginVersion) != 2 {
			t.Fatalf("a custom domain: CloudFrontDomain %q, version %d", aws.ToString(cd.CloudFrontDomain), aws.ToInt32(cd.ManagedLoginVersion))
		}
		pool = must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &poolB}))(t).UserPool
		if aws.ToString(pool.CustomDomain) != custom || aws.ToString(pool.Domain) != custom {
			t.Fatalf("DescribeUserPool of a custom domain: Domain %q, CustomDomain %q", aws.ToString(pool.Domain), aws.ToString(pool.CustomDomain))
		}
		d = must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: &custom}))(t).DomainDescription
		if d.CustomDomainConfig == nil || aws.ToString(d.CustomDomainConfig.CertificateArn) != testCertificateArn || aws.ToString(d.UserPoolId) != poolB {
			t.Fatalf("describe of a custom domain: %+v", d)
		}

		// An unknown domain is described by an empty description, not an error.
		d = must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: aws.String("nobody-has-this")}))(t).DomainDescription
		if d == nil || d.UserPoolId != nil || d.Domain != nil || d.Status != "" {
			t.Fatalf("describe of an unknown domain: %+v", d)
		}
		_, err = c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: aws.String("Bad_Domain")})
		wantAPIError(t, err, "InvalidParameterException")

		upd := must(c.UpdateUserPoolDomain(ctx(t), &cip.UpdateUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix, ManagedLoginVersion: aws.Int32(2)}))(t)
		if aws.ToInt32(upd.ManagedLoginVersion) != 2 {
			t.Fatalf("update: version %d", aws.ToInt32(upd.ManagedLoginVersion))
		}
		if v := aws.ToInt32(must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: &prefix}))(t).DomainDescription.ManagedLoginVersion); v != 2 {
			t.Fatalf("describe after update: version %d", v)
		}
		_, err = c.UpdateUserPoolDomain(ctx(t), &cip.UpdateUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix,
			CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: aws.String(testCertificateArn)}})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.UpdateUserPoolDomain(ctx(t), &cip.UpdateUserPoolDomainInput{UserPoolId: &poolA, Domain: &custom, ManagedLoginVersion: aws.Int32(1)})
		wantAPIError(t, err, "InvalidParameterException")
		newCert := strings.Replace(testCertificateArn, "0a1b", "9f8e", 1)
		must(c.UpdateUserPoolDomain(ctx(t), &cip.UpdateUserPoolDomainInput{UserPoolId: &poolB, Domain: &custom,
			CustomDomainConfig: &types.CustomDomainConfigType{CertificateArn: &newCert}}))(t)
		d = must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: &custom}))(t).DomainDescription
		if aws.ToString(d.CustomDomainConfig.CertificateArn) != newCert || aws.ToInt32(d.ManagedLoginVersion) != 2 {
			t.Fatalf("a certificate update: %+v", d)
		}

		// Managed login (version 2) is not offered on the Lite plan.
		lite := newPool(t, c, func(in *cip.CreateUserPoolInput) { in.UserPoolTier = types.UserPoolTierTypeLite })
		_, err = c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &lite, Domain: aws.String(prefix + "-lite"), ManagedLoginVersion: aws.Int32(2)})
		wantAPIError(t, err, "FeatureUnavailableInTierException")

		// Deleting a domain, or the pool that holds it, frees its name.
		_, err = c.DeleteUserPoolDomain(ctx(t), &cip.DeleteUserPoolDomainInput{UserPoolId: &poolA, Domain: &custom})
		wantAPIError(t, err, "InvalidParameterException")
		must(c.DeleteUserPoolDomain(ctx(t), &cip.DeleteUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix}))(t)
		if d := must(c.DescribeUserPoolDomain(ctx(t), &cip.DescribeUserPoolDomainInput{Domain: &prefix}))(t).DomainDescription; d.UserPoolId != nil {
			t.Fatalf("a deleted domain is still described: %+v", d)
		}
		if pool := must(c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &poolA}))(t).UserPool; pool.Domain != nil {
			t.Fatalf("DescribeUserPool after the domain's deletion: %q", aws.ToString(pool.Domain))
		}
		_, err = c.DeleteUserPoolDomain(ctx(t), &cip.DeleteUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix})
		wantAPIError(t, err, "InvalidParameterException")
		poolC := newPool(t, c)
		must(c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolC, Domain: &prefix}))(t)
		must(c.DeleteUserPool(ctx(t), &cip.DeleteUserPoolInput{UserPoolId: &poolC}))(t)
		must(c.CreateUserPoolDomain(ctx(t), &cip.CreateUserPoolDomainInput{UserPoolId: &poolA, Domain: &prefix}))(t)
	})
}

func scopes(kv ...string) []types.ResourceServerScopeType {
	var out []types.ResourceServerScopeType
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.ResourceServerScopeType{ScopeName: aws.String(kv[i]), ScopeDescription: aws.String(kv[i+1])})
	}
	return out
}

func scopeNames(list []types.ResourceServerScopeType) string {
	var names []string
	for _, s := range list {
		names = append(names, aws.ToString(s.ScopeName))
	}
	return strings.Join(names, ",")
}

func TestResourceServers(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		api := "https://api.example.com"
		rs := must(c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: &api,
			Name: aws.String("Example API"), Scopes: scopes("read", "Read things", "write", "Write things")}))(t).ResourceServer
		if aws.ToString(rs.Identifier) != api || aws.ToString(rs.UserPoolId) != poolID || aws.ToString(rs.Name) != "Example API" || scopeNames(rs.Scopes) != "read,write" {
			t.Fatalf("create: %+v", rs)
		}
		got := must(c.DescribeResourceServer(ctx(t), &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: &api}))(t).ResourceServer
		if aws.ToString(got.Name) != "Example API" || scopeNames(got.Scopes) != "read,write" || aws.ToString(got.Scopes[1].ScopeDescription) != "Write things" {
			t.Fatalf("describe: %+v", got)
		}

		_, err := c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: &api, Name: aws.String("again")})
		wantAPIError(t, err, "InvalidParameterException")
		for _, bad := range []struct {
			why        string
			id, name   string
			scopeNames []string
		}{
			{"a scope name with a slash", "bad1", "n", []string{"read/all"}},
			{"a scope name with a space", "bad2", "n", []string{"read all"}},
			{"a scope defined twice", "bad3", "n", []string{"read", "read"}},
			{"an identifier with a quote", `bad"4`, "n", nil},
			{"a name with a slash", "bad5", "a/b", nil},
		} {
			var list []types.ResourceServerScopeType
			for _, n := range bad.scopeNames {
				list = append(list, scopes(n, "d")...)
			}
			_, err := c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String(bad.id), Name: aws.String(bad.name), Scopes: list})
			t.Run(bad.why, func(t *testing.T) { wantAPIError(t, err, "InvalidParameterException") })
		}
		var tooMany []types.ResourceServerScopeType
		for i := range 101 {
			tooMany = append(tooMany, scopes(fmt.Sprintf("s%d", i), "d")...)
		}
		_, err = c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("many"), Name: aws.String("many"), Scopes: tooMany})
		wantAPIError(t, err, "InvalidParameterException")
		// The SDK itself refuses a scope without a description, so this one goes round it.
		status, header, body := raw(t, p, "CreateResourceServer", "application/x-amz-json-1.1",
			[]byte(`{"UserPoolId":"`+poolID+`","Identifier":"noscope","Name":"n","Scopes":[{"ScopeName":"read"}]}`), true, nil)
		wantRawError(t, status, header, body, "InvalidParameterException")

		for _, op := range []func() error{
			func() error {
				_, err := c.DescribeResourceServer(ctx(t), &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("nosuch")})
				return err
			},
			func() error {
				_, err := c.UpdateResourceServer(ctx(t), &cip.UpdateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("nosuch"), Name: aws.String("n")})
				return err
			},
			func() error {
				_, err := c.DeleteResourceServer(ctx(t), &cip.DeleteResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("nosuch")})
				return err
			},
		} {
			wantAPIError(t, op(), "ResourceNotFoundException")
		}

		upd := must(c.UpdateResourceServer(ctx(t), &cip.UpdateResourceServerInput{UserPoolId: &poolID, Identifier: &api,
			Name: aws.String("Renamed API"), Scopes: scopes("admin", "Everything")}))(t).ResourceServer
		if aws.ToString(upd.Name) != "Renamed API" || scopeNames(upd.Scopes) != "admin" {
			t.Fatalf("update: %+v", upd)
		}
		if got := must(c.DescribeResourceServer(ctx(t), &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: &api}))(t).ResourceServer; scopeNames(got.Scopes) != "admin" {
			t.Fatalf("update replaces the scopes: %s", scopeNames(got.Scopes))
		}

		for i := range 24 {
			must(c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String(fmt.Sprintf("api-%02d", i)), Name: aws.String("n")}))(t)
		}
		_, err = c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("one-too-many"), Name: aws.String("n")})
		wantAPIError(t, err, "LimitExceededException")

		var all []string
		var token *string
		pages := 0
		for {
			out := must(c.ListResourceServers(ctx(t), &cip.ListResourceServersInput{UserPoolId: &poolID, MaxResults: aws.Int32(10), NextToken: token}))(t)
			pages++
			for _, rs := range out.ResourceServers {
				all = append(all, aws.ToString(rs.Identifier))
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if pages != 3 || len(all) != 25 || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != 25 {
			t.Fatalf("ListResourceServers in %d pages: %v", pages, all)
		}
		_, err = c.ListResourceServers(ctx(t), &cip.ListResourceServersInput{UserPoolId: &poolID, MaxResults: aws.Int32(51)})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.ListResourceServers(ctx(t), &cip.ListResourceServersInput{UserPoolId: &poolID, NextToken: aws.String("forged")})
		wantAPIError(t, err, "InvalidParameterException")

		must(c.DeleteResourceServer(ctx(t), &cip.DeleteResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("api-00")}))(t)
		_, err = c.DescribeResourceServer(ctx(t), &cip.DescribeResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("api-00")})
		wantAPIError(t, err, "ResourceNotFoundException")
		if n := len(must(c.ListResourceServers(ctx(t), &cip.ListResourceServersInput{UserPoolId: &poolID, MaxResults: aws.Int32(50)}))(t).ResourceServers); n != 24 {
			t.Fatalf("%d resource servers after a deletion", n)
		}
		// With a slot free again, a new one fits.
		must(c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("one-more"), Name: aws.String("n")}))(t)
	})
}

func TestClientOAuthSettings(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		must(c.CreateResourceServer(ctx(t), &cip.CreateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("orders"),
			Name: aws.String("Orders"), Scopes: scopes("read", "Read orders")}))(t)

		web := func(edit ...func(*cip.CreateUserPoolClientInput)) *cip.CreateUserPoolClientInput {
			in := &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web"),
				AllowedOAuthFlowsUserPoolClient: true,
				AllowedOAuthFlows:               []types.OAuthFlowType{types.OAuthFlowTypeCode},
				AllowedOAuthScopes:              []string{"openid", "email", "orders/read"},
				CallbackURLs: []string{"https://app.example.com/callback", "http://localhost:3000/cb", "http://127.0.0.1:8080/cb",
					"http://[::1]:8080/cb", "myapp://callback"},
				LogoutURLs:                 []string{"https://app.example.com/bye"},
				DefaultRedirectURI:         aws.String("https://app.example.com/callback"),
				SupportedIdentityProviders: []string{"COGNITO"},
			}
			for _, e := range edit {
				e(in)
			}
			return in
		}
		created := must(c.CreateUserPoolClient(ctx(t), web()))(t).UserPoolClient
		d := must(c.DescribeUserPoolClient(ctx(t), &cip.DescribeUserPoolClientInput{UserPoolId: &poolID, ClientId: created.ClientId}))(t).UserPoolClient
		if !aws.ToBool(d.AllowedOAuthFlowsUserPoolClient) || len(d.CallbackURLs) != 5 || aws.ToString(d.DefaultRedirectURI) != "https://app.example.com/callback" ||
			!slices.Contains(d.AllowedOAuthScopes, "orders/read") || fmt.Sprint(d.SupportedIdentityProviders) != "[COGNITO]" {
			t.Fatalf("describe: %+v", d)
		}

		cases := []struct {
			why  string
			edit func(*cip.CreateUserPoolClientInput)
			want string
		}{
			{"a scope no resource server defines", func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthScopes = []string{"orders/write"} }, "ScopeDoesNotExistException"},
			{"an unknown standard scope", func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthScopes = []string{"openid", "address"} }, "ScopeDoesNotExistException"},
			{"http to a host that is not loopback", func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs = append(in.CallbackURLs, "http://app.example.com/callback")
			}, "InvalidParameterException"},
			{"http logout to a host that is not loopback", func(in *cip.CreateUserPoolClientInput) { in.LogoutURLs = []string{"http://10.0.0.1/bye"} }, "InvalidParameterException"},
			{"a callback with a fragment", func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs = append(in.CallbackURLs, "https://app.example.com/callback#x")
			}, "InvalidParameterException"},
			{"a relative callback", func(in *cip.CreateUserPoolClientInput) { in.CallbackURLs = append(in.CallbackURLs, "/callback") }, "InvalidParameterException"},
			{"a callback too long", func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs = append(in.CallbackURLs, "https://app.example.com/"+strings.Repeat("a", 1024))
			}, "InvalidParameterException"},
			{"101 callbacks", func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs = nil
				for i := range 101 {
					in.CallbackURLs = append(in.CallbackURLs, fmt.Sprintf("https://app.example.com/cb%d", i))
				}
				in.DefaultRedirectURI = nil
			}, "InvalidParameterException"},
			{"a default redirect that is not a callback", func(in *cip.CreateUserPoolClientInput) {
				in.DefaultRedirectURI = aws.String("https://other.example.com/cb")
			}, "InvalidParameterException"},
			{"client_credentials without a secret", func(in *cip.CreateUserPoolClientInput) {
				in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials}
				in.AllowedOAuthScopes = []string{"orders/read"}
			}, "InvalidOAuthFlowException"},
			{"client_credentials with code", func(in *cip.CreateUserPoolClientInput) {
				in.GenerateSecret = true
				in.AllowedOAuthFlows = []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials, types.OAuthFlowTypeCode}
			}, "InvalidOAuthFlowException"},
			{"OAuth on without flows", func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthFlows = nil }, "InvalidParameterException"},
			{"OAuth on without scopes", func(in *cip.CreateUserPoolClientInput) { in.AllowedOAuthScopes = nil }, "InvalidParameterException"},
			{"the code flow without callbacks", func(in *cip.CreateUserPoolClientInput) {
				in.CallbackURLs, in.DefaultRedirectURI = nil, nil
			}, "InvalidParameterException"},
			{"an identity provider the pool lacks", func(in *cip.CreateUserPoolClientInput) { in.SupportedIdentityProviders = []string{"COGNITO", "Google"} }, "InvalidParameterException"},
		}
		for _, tc := range cases {
			_, err := c.CreateUserPoolClient(ctx(t), web(tc.edit))
			t.Run(tc.why, func(t *testing.T) { wantAPIError(t, err, tc.want) })
		}
		_, err := c.CreateUserPoolClient(ctx(t), web(func(in *cip.CreateUserPoolClientInput) { in.SupportedIdentityProviders = []string{"Google"} }))
		if err == nil || !strings.Contains(err.Error(), "The provider Google does not exist for User Pool "+poolID) {
			t.Fatalf("unknown provider: %v", err)
		}

		machine := must(c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("machine"), GenerateSecret: true,
			AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"orders/read"}}))(t).UserPoolClient
		if fmt.Sprint(machine.AllowedOAuthFlows) != "[client_credentials]" {
			t.Fatalf("machine client: %+v", machine)
		}

		// UpdateUserPoolClient applies the same rules, knowing whether the client has a secret.
		_, err = c.UpdateUserPoolClient(ctx(t), &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: created.ClientId,
			AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"orders/read"}})
		wantAPIError(t, err, "InvalidOAuthFlowException")
		_, err = c.UpdateUserPoolClient(ctx(t), &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: machine.ClientId,
			AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"orders/write"}})
		wantAPIError(t, err, "ScopeDoesNotExistException")
		must(c.UpdateResourceServer(ctx(t), &cip.UpdateResourceServerInput{UserPoolId: &poolID, Identifier: aws.String("orders"),
			Name: aws.String("Orders"), Scopes: scopes("read", "Read orders", "write", "Write orders")}))(t)
		must(c.UpdateUserPoolClient(ctx(t), &cip.UpdateUserPoolClientInput{UserPoolId: &poolID, ClientId: machine.ClientId,
			AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: []types.OAuthFlowType{types.OAuthFlowTypeClientCredentials},
			AllowedOAuthScopes: []string{"orders/write"}}))(t)
	})
}

func testImage(t *testing.T, format string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUICustomization(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		web := must(c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("web")}))(t).UserPoolClient.ClientId
		mobile := must(c.CreateUserPoolClient(ctx(t), &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("mobile")}))(t).UserPoolClient.ClientId
		logo := testImage(t, "png")
		poolCSS := ".banner-customizable { background-color: #123456; }"

		set := must(c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, CSS: &poolCSS, ImageFile: logo}))(t).UICustomization
		wantURL := p.URL + "/" + poolID + "/_ui/image?client_id=ALL&v=" + aws.ToString(set.CSSVersion)
		if aws.ToString(set.ClientId) != "ALL" || aws.ToString(set.CSS) != poolCSS || aws.ToString(set.CSSVersion) == "" ||
			aws.ToString(set.ImageUrl) != wantURL || set.CreationDate == nil || set.LastModifiedDate == nil || aws.ToString(set.UserPoolId) != poolID {
			t.Fatalf("set at the pool level: %+v (want image URL %s)", set, wantURL)
		}
		for _, client := range []*string{nil, aws.String("ALL"), web} {
			got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: client}))(t).UICustomization
			if aws.ToString(got.ClientId) != "ALL" || aws.ToString(got.CSS) != poolCSS || aws.ToString(got.ImageUrl) != wantURL {
				t.Fatalf("get for %v falls back to the pool level: %+v", aws.ToString(client), got)
			}
		}

		webCSS := ".submitButton-customizable { color: white; }"
		jpg := testImage(t, "jpeg")
		own := must(c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ClientId: web, CSS: &webCSS, ImageFile: jpg}))(t).UICustomization
		if aws.ToString(own.ClientId) != aws.ToString(web) || !strings.Contains(aws.ToString(own.ImageUrl), "client_id="+aws.ToString(web)) {
			t.Fatalf("set at the client level: %+v", own)
		}
		if got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: web}))(t).UICustomization; aws.ToString(got.CSS) != webCSS {
			t.Fatalf("a client with its own customization: %+v", got)
		}
		if got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: mobile}))(t).UICustomization; aws.ToString(got.CSS) != poolCSS {
			t.Fatalf("another client still falls back: %+v", got)
		}

		svc := p.Server.Service
		assets, err := svc.UICustomizationFor(ctx(t), poolID, aws.ToString(web))
		if err != nil || assets.CSS != webCSS || assets.ImageType != "image/jpeg" || !bytes.Equal(assets.Image, jpg) || assets.Version != aws.ToString(own.CSSVersion) {
			t.Fatalf("UICustomizationFor the client: %+v %v", assets.CSS, err)
		}
		assets, err = svc.UICustomizationFor(ctx(t), poolID, aws.ToString(mobile))
		if err != nil || assets.CSS != poolCSS || assets.ImageType != "image/png" || !bytes.Equal(assets.Image, logo) {
			t.Fatalf("UICustomizationFor a client without its own: %+v %v", assets.CSS, err)
		}
		bare := newPool(t, c)
		if assets, err := svc.UICustomizationFor(ctx(t), bare, "anyclient"); err != nil || assets.Version != "" || assets.Image != nil {
			t.Fatalf("UICustomizationFor a pool without any: %+v %v", assets, err)
		}
		if got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &bare}))(t).UICustomization; got.CSS != nil || got.ImageUrl != nil {
			t.Fatalf("GetUICustomization of a pool without any: %+v", got)
		}

		// Changing the CSS changes the version that cache-busts the pages' URLs.
		newCSS := poolCSS + " .logo-customizable { max-width: 60%; }"
		again := must(c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ClientId: aws.String("ALL"), CSS: &newCSS, ImageFile: logo}))(t).UICustomization
		if aws.ToString(again.CSSVersion) == aws.ToString(set.CSSVersion) || !again.CreationDate.Equal(*set.CreationDate) {
			t.Fatalf("a second set: version %s after %s, created %v after %v", aws.ToString(again.CSSVersion), aws.ToString(set.CSSVersion), again.CreationDate, set.CreationDate)
		}

		for _, bad := range []struct{ why, css string }{
			{"a closing style tag", "a{color:red}</style><script>alert(1)</script>"},
			{"an import", "@import url(https://evil.example.com/x.css);"},
			{"an escaped import", `@\69mport url(https://evil.example.com/x.css);`},
			{"an import split by a comment", "@im/**/port url(x.css);"},
			{"a script URL", "a{background:url(javascript:alert(1))}"},
			{"an expression", "a{width:expression(alert(1))}"},
			{"too long", "/*" + strings.Repeat("a", 131072) + "*/"},
		} {
			_, err := c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, CSS: aws.String(bad.css)})
			t.Run(bad.why, func(t *testing.T) { wantAPIError(t, err, "InvalidParameterException") })
		}
		big := append(slices.Clone(logo), make([]byte, 100<<10)...)
		for _, bad := range []struct {
			why  string
			file []byte
		}{{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}, {"text", []byte("not an image")}, {"an image over 100 KiB", big}} {
			_, err := c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ImageFile: bad.file})
			t.Run(bad.why, func(t *testing.T) { wantAPIError(t, err, "InvalidParameterException") })
		}
		_, err = c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ClientId: aws.String("nosuchclient"), CSS: &webCSS})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: aws.String("nosuchclient")})
		wantAPIError(t, err, "ResourceNotFoundException")
		// The refused requests changed nothing.
		if got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID}))(t).UICustomization; aws.ToString(got.CSS) != newCSS {
			t.Fatalf("after refused requests: %+v", got)
		}

		// A set without CSS or image removes the client's own, and it falls back again.
		must(c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ClientId: web}))(t)
		if got := must(c.GetUICustomization(ctx(t), &cip.GetUICustomizationInput{UserPoolId: &poolID, ClientId: web}))(t).UICustomization; aws.ToString(got.ClientId) != "ALL" {
			t.Fatalf("after removing the client's own: %+v", got)
		}
		// Deleting a client drops its customization with it.
		must(c.SetUICustomization(ctx(t), &cip.SetUICustomizationInput{UserPoolId: &poolID, ClientId: mobile, CSS: &webCSS}))(t)
		must(c.DeleteUserPoolClient(ctx(t), &cip.DeleteUserPoolClientInput{UserPoolId: &poolID, ClientId: mobile}))(t)
		if assets, err := svc.UICustomizationFor(ctx(t), poolID, aws.ToString(mobile)); err != nil || assets.CSS != newCSS {
			t.Fatalf("a deleted client's customization: %q %v", assets.CSS, err)
		}
	})
}
