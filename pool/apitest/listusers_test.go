package apitest

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestListUsersFilters(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		createUser(t, c, poolID, "ann", "email", "ann@example.com", "phone_number", "+15550001", "name", "Ann Lee",
			"given_name", "Ann", "family_name", "Lee", "preferred_username", "annie")
		createUser(t, c, poolID, "andy", "email", "andy@example.org", "given_name", "Andy", "family_name", "Lee")
		createUser(t, c, poolID, "bea", "email", "bea@example.com", "phone_number", "+15550002")
		must(c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("bea")}))(t)
		must(c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("andy"), Password: aws.String("password1"), Permanent: true}))(t)
		annSub, _ := attrValue(must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ann")}))(t).UserAttributes, "sub")

		cases := []struct{ filter, want string }{
			{``, "andy,ann,bea"},
			{`email = "ann@example.com"`, "ann"},
			{`email ^= "an"`, "andy,ann"},
			{`email = "nobody@example.com"`, ""},
			{`username = "ANN"`, "ann"},
			{`username ^= "a"`, "andy,ann"},
			{`phone_number = "+15550002"`, "bea"},
			{`phone_number ^= "+1555"`, "ann,bea"},
			{`name = "Ann Lee"`, "ann"},
			{`given_name ^= "An"`, "andy,ann"},
			{`family_name = "Lee"`, "andy,ann"},
			{`preferred_username = "annie"`, "ann"},
			{`cognito:user_status = "CONFIRMED"`, "andy"},
			{`cognito:user_status = "FORCE_CHANGE_PASSWORD"`, "ann,bea"},
			{`status = "Disabled"`, "bea"},
			{`status = "Enabled"`, "andy,ann"},
			{fmt.Sprintf(`sub = "%s"`, annSub), "ann"},
			{`email^="bea"`, "bea"},
		}
		for _, tc := range cases {
			out := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(tc.filter)}))(t)
			names := []string{}
			for _, u := range out.Users {
				names = append(names, aws.ToString(u.Username))
			}
			sort.Strings(names)
			if got := fmt.Sprint(names); got != fmt.Sprint(splitNames(tc.want)) {
				t.Errorf("filter %q: got %v want %v", tc.filter, got, tc.want)
			}
		}

		only := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`username = "ann"`), AttributesToGet: []string{"email"}}))(t)
		if len(only.Users) != 1 || len(only.Users[0].Attributes) != 1 || aws.ToString(only.Users[0].Attributes[0].Name) != "email" {
			t.Fatalf("AttributesToGet: %+v", only.Users)
		}
		for _, bad := range []string{`custom:tier = "x"`, `email == "x"`, `email = x`, `nosuch = "x"`, `email = "unterminated`} {
			_, err := c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(bad)})
			wantAPIError(t, err, "InvalidParameterException")
		}
		_, err := c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, AttributesToGet: []string{"custom:nope"}})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, PaginationToken: aws.String("bm90IGEgdG9rZW4")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: aws.String("us-east-1_nonexist0")})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}

func splitNames(s string) []string {
	if s == "" {
		return []string{}
	}
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestListUsersPaginatesEveryUserOnce(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		const n = 23
		for i := range n {
			createUser(t, c, poolID, fmt.Sprintf("user%02d", i), "email", fmt.Sprintf("u%02d@example.com", i%5))
		}
		for _, filter := range []string{"", `email ^= "u00"`} {
			seen := map[string]int{}
			var token *string
			pages := 0
			for {
				out := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(4), PaginationToken: token, Filter: aws.String(filter)}))(t)
				pages++
				if len(out.Users) > 4 {
					t.Fatalf("page of %d", len(out.Users))
				}
				for _, u := range out.Users {
					seen[aws.ToString(u.Username)]++
				}
				if token = out.PaginationToken; token == nil {
					break
				}
				if pages > n {
					t.Fatal("paging does not end")
				}
			}
			want := n
			if filter != "" {
				want = 5 // u00@…: user00, user05, user10, user15, user20
			}
			if len(seen) != want {
				t.Fatalf("filter %q: saw %d distinct users, want %d", filter, len(seen), want)
			}
			for name, count := range seen {
				if count != 1 {
					t.Fatalf("%s listed %d times", name, count)
				}
			}
			// A token from one filter is refused under another.
			if filter == "" {
				first := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(2)}))(t)
				_, err := c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(2), PaginationToken: first.PaginationToken, Filter: aws.String(`email ^= "u"`)})
				wantAPIError(t, err, "InvalidParameterException")
			}
		}
		paginator := cip.NewListUsersPaginator(c, &cip.ListUsersInput{UserPoolId: &poolID, Limit: aws.Int32(10)})
		total := 0
		for paginator.HasMorePages() {
			page := must(paginator.NextPage(ctx(t)))(t)
			total += len(page.Users)
		}
		if total != n {
			t.Fatalf("SDK paginator saw %d users", total)
		}
	})
}
