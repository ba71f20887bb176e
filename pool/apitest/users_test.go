package apitest

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

func TestAdminUserLifecycle(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		created := must(c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{
			UserPoolId: &poolID, Username: aws.String("Alice"),
			UserAttributes:         attrs("email", "alice@example.com", "email_verified", "true", "given_name", "Alice"),
			DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		}))(t).User
		if created.UserStatus != types.UserStatusTypeForceChangePassword || !created.Enabled {
			t.Fatalf("new user: status %s enabled %v", created.UserStatus, created.Enabled)
		}
		sub, _ := attrValue(created.Attributes, "sub")
		if len(sub) != 36 {
			t.Fatalf("sub %q", sub)
		}
		invites := outbox(t, p, url.Values{"pool": {poolID}, "kind": {"INVITATION"}})
		if len(invites) != 1 || invites[0].Destination != "alice@example.com" || invites[0].Medium != "EMAIL" || len(invites[0].Code) < 8 ||
			!strings.Contains(invites[0].Message, invites[0].Code) || !strings.Contains(invites[0].Message, "Alice") {
			t.Fatalf("invitation: %+v", invites)
		}
		if _, err := time.Parse(time.RFC3339, invites[0].Time); err != nil || !strings.HasSuffix(invites[0].Time, "Z") {
			t.Fatalf("time %q is not RFC 3339 UTC", invites[0].Time)
		}
		for _, name := range []string{"Alice", sub, "alice@example.com"} {
			if got := outbox(t, p, url.Values{"username": {name}}); len(got) != 1 {
				t.Fatalf("outbox filter username=%s found %d", name, len(got))
			}
		}
		if got := outbox(t, p, url.Values{"username": {"someone-else"}}); len(got) != 0 {
			t.Fatalf("outbox filter matched another user: %+v", got)
		}

		// Case-insensitive usernames, the e-mail alias and sub all find the user.
		for _, name := range []string{"alice", "ALICE", "alice@example.com", "Alice@Example.com", sub} {
			got := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String(name)}))(t)
			if aws.ToString(got.Username) != "Alice" {
				t.Fatalf("AdminGetUser(%s) = %s", name, aws.ToString(got.Username))
			}
		}
		_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("aLiCe"), MessageAction: types.MessageActionTypeSuppress})
		wantAPIError(t, err, "UsernameExistsException")
		_, err = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("bob"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: attrs("email", "ALICE@example.com", "email_verified", "true")})
		wantAPIError(t, err, "AliasExistsException")
		_, err = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("carol@example.com"), MessageAction: types.MessageActionTypeSuppress})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("dave"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: attrs("custom:unknown", "x")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("erin"), MessageAction: types.MessageActionTypeSuppress,
			TemporaryPassword: aws.String("short")})
		wantAPIError(t, err, "InvalidPasswordException")

		// ForceAliasCreation moves the alias and unverifies it on the old holder.
		bob := must(c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("bob"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: attrs("email", "alice@example.com", "email_verified", "true"), ForceAliasCreation: true}))(t).User
		if aws.ToString(bob.Username) != "bob" {
			t.Fatal("bob not created")
		}
		byAlias := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice@example.com")}))(t)
		if aws.ToString(byAlias.Username) != "bob" {
			t.Fatalf("alias still resolves to %s", aws.ToString(byAlias.Username))
		}
		alice := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if v, _ := attrValue(alice.UserAttributes, "email_verified"); v != "false" {
			t.Fatalf("old alias holder email_verified=%q", v)
		}

		must(c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"),
			UserAttributes: attrs("family_name", "Smith", "given_name", "")}))(t)
		alice = must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if v, _ := attrValue(alice.UserAttributes, "family_name"); v != "Smith" {
			t.Fatalf("family_name %q", v)
		}
		if _, ok := attrValue(alice.UserAttributes, "given_name"); ok {
			t.Fatal("an empty value should remove given_name")
		}
		_, err = c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributes: attrs("sub", "x")})
		wantAPIError(t, err, "InvalidParameterException")
		_, err = c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"),
			UserAttributes: attrs("email", "alice@example.com", "email_verified", "true")})
		wantAPIError(t, err, "AliasExistsException")
		_, err = c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributes: attrs("email", "not-an-email")})
		wantAPIError(t, err, "InvalidParameterException")

		must(c.AdminDeleteUserAttributes(ctx(t), &cip.AdminDeleteUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributeNames: []string{"family_name"}}))(t)
		alice = must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if _, ok := attrValue(alice.UserAttributes, "family_name"); ok {
			t.Fatal("family_name not deleted")
		}
		_, err = c.AdminDeleteUserAttributes(ctx(t), &cip.AdminDeleteUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributeNames: []string{"sub"}})
		wantAPIError(t, err, "InvalidParameterException")

		_, err = c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("alice"), Password: aws.String("nodigits"), Permanent: true})
		wantAPIError(t, err, "InvalidPasswordException")
		must(c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("alice"), Password: aws.String("correct horse 1"), Permanent: true}))(t)
		alice = must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if alice.UserStatus != types.UserStatusTypeConfirmed {
			t.Fatalf("status after permanent password: %s", alice.UserStatus)
		}
		_, err = c.AdminConfirmSignUp(ctx(t), &cip.AdminConfirmSignUpInput{UserPoolId: &poolID, Username: aws.String("alice")})
		wantAPIError(t, err, "NotAuthorizedException")

		// Reset sends a forgot-password code to the verified address.
		_, err = c.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("alice")})
		wantAPIError(t, err, "InvalidParameterException") // alice's e-mail is no longer verified
		must(c.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("bob")}))(t)
		codes := outbox(t, p, url.Values{"pool": {poolID}, "kind": {"FORGOT_PASSWORD"}, "username": {"bob"}})
		if len(codes) != 1 || len(codes[0].Code) != 6 || codes[0].Destination != "alice@example.com" {
			t.Fatalf("forgot-password code: %+v", codes)
		}
		bobNow := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("bob")}))(t)
		if bobNow.UserStatus != types.UserStatusTypeResetRequired {
			t.Fatalf("bob status %s", bobNow.UserStatus)
		}
		after := outbox(t, p, url.Values{"after": {"0"}})
		if len(after) < 2 || after[0].ID >= after[len(after)-1].ID {
			t.Fatalf("outbox is not oldest first with increasing ids: %+v", after)
		}

		must(c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if got := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t); got.Enabled {
			t.Fatal("still enabled")
		}
		must(c.AdminEnableUser(ctx(t), &cip.AdminEnableUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t)
		if got := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")}))(t); !got.Enabled {
			t.Fatal("still disabled")
		}

		must(c.AdminDeleteUser(ctx(t), &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: aws.String("ALICE")}))(t)
		for _, call := range []func() error{
			func() error {
				_, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminDeleteUser(ctx(t), &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminEnableUser(ctx(t), &cip.AdminEnableUserInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminConfirmSignUp(ctx(t), &cip.AdminConfirmSignUpInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("alice")})
				return err
			},
			func() error {
				_, err := c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String("alice"), Password: aws.String("abcdefg1")})
				return err
			},
			func() error {
				_, err := c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributes: attrs("name", "x")})
				return err
			},
			func() error {
				_, err := c.AdminDeleteUserAttributes(ctx(t), &cip.AdminDeleteUserAttributesInput{UserPoolId: &poolID, Username: aws.String("alice"), UserAttributeNames: []string{"name"}})
				return err
			},
		} {
			wantAPIError(t, call(), "UserNotFoundException")
		}
		_, err = c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: aws.String("us-east-1_nonexist0"), Username: aws.String("alice")})
		wantAPIError(t, err, "ResourceNotFoundException")
	})
}

func TestAdminCreateUserResendAndAutoVerify(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c, func(in *cip.CreateUserPoolInput) {
			in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}
			in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{InviteMessageTemplate: &types.MessageTemplateType{
				EmailMessage: aws.String("Welcome {username}, your code is {####}"), EmailSubject: aws.String("Welcome")}}
		})
		_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("nobody"), MessageAction: types.MessageActionTypeResend})
		wantAPIError(t, err, "UserNotFoundException")
		for range 2 {
			must(c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("frank"),
				UserAttributes: attrs("email", "frank@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
				MessageAction: map[bool]types.MessageActionType{true: types.MessageActionTypeResend}[len(outbox(t, p, url.Values{"pool": {poolID}})) > 0]}))(t)
		}
		invites := outbox(t, p, url.Values{"pool": {poolID}, "kind": {"INVITATION"}})
		if len(invites) != 2 || invites[0].Code == invites[1].Code || !strings.HasPrefix(invites[1].Message, "Welcome frank, your code is ") {
			t.Fatalf("resend: %+v", invites)
		}
		must(c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("frank"),
			UserAttributes: attrs("email", "frank2@example.com")}))(t)
		codes := outbox(t, p, url.Values{"pool": {poolID}, "kind": {"ATTRIBUTE_VERIFICATION"}, "destination": {"frank2@example.com"}})
		if len(codes) != 1 || len(codes[0].Code) != 6 {
			t.Fatalf("attribute code: %+v", codes)
		}
		frank := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("frank")}))(t)
		if v, _ := attrValue(frank.UserAttributes, "email_verified"); v != "false" {
			t.Fatalf("changed e-mail should be unverified, got %q", v)
		}
	})
}

func TestEmailAsUsername(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c, func(in *cip.CreateUserPoolInput) {
			in.AliasAttributes = nil
			in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
		})
		u := createUser(t, c, poolID, "grace@example.com")
		sub, _ := attrValue(u.Attributes, "sub")
		if aws.ToString(u.Username) != sub {
			t.Fatalf("with e-mail usernames the username is the sub: %s vs %s", aws.ToString(u.Username), sub)
		}
		if email, _ := attrValue(u.Attributes, "email"); email != "grace@example.com" {
			t.Fatalf("email attribute %q", email)
		}
		got := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("Grace@example.com")}))(t)
		if aws.ToString(got.Username) != sub {
			t.Fatal("lookup by e-mail failed")
		}
		_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("grace@example.com"), MessageAction: types.MessageActionTypeSuppress})
		wantAPIError(t, err, "AliasExistsException")
		_, err = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("plainname"), MessageAction: types.MessageActionTypeSuppress})
		wantAPIError(t, err, "InvalidParameterException")
	})
}

func TestConcurrentWritesToOneUser(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		c := p.Admin()
		poolID := newPool(t, c)
		// Two creates of one name: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("henry"), MessageAction: types.MessageActionTypeSuppress})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				wantAPIError(t, err, "UsernameExistsException")
			}
		}
		if wins != 1 {
			t.Fatalf("%d creates succeeded", wins)
		}
		// Concurrent attribute updates all land, each on a consistent record.
		names := []string{"name", "given_name", "family_name", "nickname", "locale", "zoneinfo", "website", "profile"}
		for i := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("henry"),
					UserAttributes: attrs(names[i], "v")})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent update failed: %v", err)
			}
		}
		got := must(c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("henry")}))(t)
		if len(got.UserAttributes) != 9 {
			t.Fatalf("after 8 concurrent updates the user has %d attributes: %v", len(got.UserAttributes), got.UserAttributes)
		}
		// An update racing a delete either lands before it or finds no user; never a half record.
		createUser(t, c, poolID, "ivy")
		var updErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, updErr = c.AdminUpdateUserAttributes(ctx(t), &cip.AdminUpdateUserAttributesInput{UserPoolId: &poolID, Username: aws.String("ivy"), UserAttributes: attrs("name", "Ivy")})
		}()
		go func() {
			defer wg.Done()
			_, delErr = c.AdminDeleteUser(ctx(t), &cip.AdminDeleteUserInput{UserPoolId: &poolID, Username: aws.String("ivy")})
		}()
		wg.Wait()
		if delErr != nil {
			t.Fatalf("delete failed: %v", delErr)
		}
		if updErr != nil {
			wantAPIError(t, updErr, "UserNotFoundException")
		}
		_, err := c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String("ivy")})
		wantAPIError(t, err, "UserNotFoundException")
		list := must(c.ListUsers(ctx(t), &cip.ListUsersInput{UserPoolId: &poolID, Filter: aws.String(`username = "ivy"`)}))(t)
		if len(list.Users) != 0 {
			t.Fatal("deleted user still listed")
		}
	})
}
