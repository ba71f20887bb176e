package apitest

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestGroups(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		g := must(c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"),
			Description: aws.String("staff"), Precedence: aws.Int32(1), RoleArn: aws.String("arn:aws:iam::123456789012:role/admins")}))(t).Group
		if aws.ToString(g.Description) != "staff" || aws.ToInt32(g.Precedence) != 1 {
			t.Fatalf("group %+v", g)
		}
		_, err := c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
		wantAPIError(t, err, "GroupExistsException")
		_, err = c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String("x"), RoleArn: aws.String("not-an-arn-at-all-xx")})
		wantAPIError(t, err, "InvalidParameterException")
		for i := range 4 {
			must(c.CreateGroup(ctx(t), &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String(fmt.Sprintf("g%d", i))}))(t)
		}
		upd := must(c.UpdateGroup(ctx(t), &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Description: aws.String("all staff")}))(t).Group
		if aws.ToString(upd.Description) != "all staff" || aws.ToInt32(upd.Precedence) != 1 {
			t.Fatalf("update should keep fields it does not name: %+v", upd)
		}
		got := must(c.GetGroup(ctx(t), &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")}))(t).Group
		if aws.ToString(got.Description) != "all staff" {
			t.Fatal("get after update")
		}
		var all []string
		var token *string
		for {
			out := must(c.ListGroups(ctx(t), &cip.ListGroupsInput{UserPoolId: &poolID, Limit: aws.Int32(2), NextToken: token}))(t)
			for _, g := range out.Groups {
				all = append(all, aws.ToString(g.GroupName))
			}
			if token = out.NextToken; token == nil {
				break
			}
		}
		if fmt.Sprint(all) != "[admins g0 g1 g2 g3]" {
			t.Fatalf("ListGroups: %v", all)
		}

		createUser(t, c, poolID, "joe", "email", "joe@example.com", "email_verified", "true")
		createUser(t, c, poolID, "kim")
		for _, m := range []struct{ user, group string }{{"joe", "admins"}, {"joe", "g1"}, {"kim", "admins"}, {"joe@example.com", "g2"}} {
			must(c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String(m.user), GroupName: aws.String(m.group)}))(t)
		}
		must(c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("joe"), GroupName: aws.String("admins")}))(t)
		joeGroups := must(c.AdminListGroupsForUser(ctx(t), &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("JOE")}))(t)
		if len(joeGroups.Groups) != 3 {
			t.Fatalf("joe is in %d groups", len(joeGroups.Groups))
		}
		members := must(c.ListUsersInGroup(ctx(t), &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Limit: aws.Int32(1)}))(t)
		if len(members.Users) != 1 || members.NextToken == nil {
			t.Fatalf("first page of members: %s", usernames(members.Users))
		}
		rest := must(c.ListUsersInGroup(ctx(t), &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins"), Limit: aws.Int32(1), NextToken: members.NextToken}))(t)
		if len(rest.Users) != 1 || usernames(rest.Users) == usernames(members.Users) {
			t.Fatalf("second page of members: %s", usernames(rest.Users))
		}
		must(c.AdminRemoveUserFromGroup(ctx(t), &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("joe"), GroupName: aws.String("g1")}))(t)
		if n := len(must(c.AdminListGroupsForUser(ctx(t), &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("joe")}))(t).Groups); n != 2 {
			t.Fatalf("after removal joe is in %d groups", n)
		}
		_, err = c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("nobody"), GroupName: aws.String("admins")})
		wantAPIError(t, err, "UserNotFoundException")
		_, err = c.AdminAddUserToGroup(ctx(t), &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String("joe"), GroupName: aws.String("nosuch")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.ListUsersInGroup(ctx(t), &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("nosuch")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.AdminListGroupsForUser(ctx(t), &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("nobody")})
		wantAPIError(t, err, "UserNotFoundException")
		_, err = c.AdminRemoveUserFromGroup(ctx(t), &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("joe"), GroupName: aws.String("nosuch")})
		wantAPIError(t, err, "ResourceNotFoundException")

		// Deleting a user or a group removes its memberships.
		must(c.AdminDeleteUser(ctx(t), &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: aws.String("kim")}))(t)
		if n := len(must(c.ListUsersInGroup(ctx(t), &cip.ListUsersInGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")}))(t).Users); n != 1 {
			t.Fatalf("admins has %d members after kim's deletion", n)
		}
		must(c.DeleteGroup(ctx(t), &cip.DeleteGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")}))(t)
		if n := len(must(c.AdminListGroupsForUser(ctx(t), &cip.AdminListGroupsForUserInput{UserPoolId: &poolID, Username: aws.String("joe")}))(t).Groups); n != 1 {
			t.Fatalf("joe is in %d groups after admins was deleted", n)
		}
		_, err = c.GetGroup(ctx(t), &cip.GetGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.DeleteGroup(ctx(t), &cip.DeleteGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.UpdateGroup(ctx(t), &cip.UpdateGroupInput{UserPoolId: &poolID, GroupName: aws.String("admins")})
		wantAPIError(t, err, "ResourceNotFoundException")
		_, err = c.ListGroups(ctx(t), &cip.ListGroupsInput{UserPoolId: aws.String("us-east-1_nonexist0")})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}
