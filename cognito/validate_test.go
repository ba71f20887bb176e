package cognito_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashless/hashless/cognito"
)

// noNetwork fails any request that reaches it.
type noNetwork struct{ n atomic.Int64 }

func (t *noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	t.n.Add(1)
	return nil, errors.New("no request should have been sent")
}

func TestBadArgumentsNeverSent(t *testing.T) {
	t.Parallel()
	rt := &noNetwork{}
	c, err := cognito.New(cognito.Config{UserPoolID: "eu-west-1_Abc", ClientID: "client", ClientSecret: "s3cret",
		AccessKeyID: "AKID", SecretAccessKey: "x", Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	long := func(n int) string { return strings.Repeat("a", n) }
	tok := "eyJ.eyJ.sig"
	session := long(40)
	ch := &cognito.Challenge{Name: cognito.ChallengeNewPasswordRequired, Session: session, Username: "alice"}
	cases := []struct {
		name string
		arg  string
		call func(context.Context) error
	}{
		{"SignUp empty username", "username", func(x context.Context) error { _, err := c.SignUp(x, "", "Passw0rd!", nil); return err }},
		{"SignUp long username", "username", func(x context.Context) error { _, err := c.SignUp(x, long(129), "Passw0rd!", nil); return err }},
		{"SignUp username with space", "username", func(x context.Context) error { _, err := c.SignUp(x, "a b", "Passw0rd!", nil); return err }},
		{"SignUp username not UTF-8", "username", func(x context.Context) error { _, err := c.SignUp(x, "a\xff", "Passw0rd!", nil); return err }},
		{"SignUp empty password", "password", func(x context.Context) error { _, err := c.SignUp(x, "alice", "", nil); return err }},
		{"SignUp long password", "password", func(x context.Context) error { _, err := c.SignUp(x, "alice", long(257), nil); return err }},
		// Cognito counts UTF-16 code units: 129 emoji are 258 of them.
		{"SignUp long password in UTF-16", "password", func(x context.Context) error {
			_, err := c.SignUp(x, "alice", strings.Repeat("😀", 129), nil)
			return err
		}},
		{"SignUp long attribute name", "attribute name", func(x context.Context) error {
			_, err := c.SignUp(x, "alice", "Passw0rd!", map[string]string{long(33): "v"})
			return err
		}},
		{"SignUp long attribute value", "attribute[email]", func(x context.Context) error {
			_, err := c.SignUp(x, "alice", "Passw0rd!", map[string]string{"email": long(2049)})
			return err
		}},
		{"ConfirmSignUp empty code", "code", func(x context.Context) error { return c.ConfirmSignUp(x, "alice", "") }},
		{"ConfirmSignUp long code", "code", func(x context.Context) error { return c.ConfirmSignUp(x, "alice", long(2049)) }},
		{"ConfirmSignUp code with space", "code", func(x context.Context) error { return c.ConfirmSignUp(x, "alice", "12 34") }},
		{"ResendConfirmationCode", "username", func(x context.Context) error { _, err := c.ResendConfirmationCode(x, ""); return err }},
		{"Login empty username", "username", func(x context.Context) error { _, err := c.Login(x, "", "Passw0rd!"); return err }},
		{"Login empty password", "password", func(x context.Context) error { _, err := c.Login(x, "alice", ""); return err }},
		{"Login long password", "password", func(x context.Context) error { _, err := c.Login(x, "alice", long(300)); return err }},
		{"Respond nil", "challenge", func(x context.Context) error { _, err := c.Respond(x, nil, nil); return err }},
		{"Respond short session", "challenge session", func(x context.Context) error {
			_, err := c.Respond(x, &cognito.Challenge{Name: "SMS_MFA", Session: "short", Username: "alice"}, nil)
			return err
		}},
		{"Respond no username", "username", func(x context.Context) error {
			_, err := c.Respond(x, &cognito.Challenge{Name: "SMS_MFA", Session: session}, nil)
			return err
		}},
		{"RespondNewPassword wrong challenge", "challenge", func(x context.Context) error {
			_, err := c.RespondNewPassword(x, &cognito.Challenge{Name: "SMS_MFA", Session: session, Username: "a"}, "Passw0rd!", nil)
			return err
		}},
		{"RespondNewPassword empty password", "new password", func(x context.Context) error {
			_, err := c.RespondNewPassword(x, ch, "", nil)
			return err
		}},
		{"RespondMFA empty code", "code", func(x context.Context) error {
			_, err := c.RespondMFA(x, &cognito.Challenge{Name: "SMS_MFA", Session: session, Username: "a"}, "")
			return err
		}},
		{"Refresh empty", "refresh token", func(x context.Context) error { _, err := c.Refresh(x, "", "alice"); return err }},
		{"Refresh oversized", "refresh token", func(x context.Context) error { _, err := c.Refresh(x, long(16<<10+1), "alice"); return err }},
		{"Refresh bad characters", "refresh token", func(x context.Context) error { _, err := c.Refresh(x, "a b", "alice"); return err }},
		{"Refresh no username with a secret", "username", func(x context.Context) error { _, err := c.Refresh(x, tok, ""); return err }},
		{"GlobalLogout", "access token", func(x context.Context) error { return c.GlobalLogout(x, "") }},
		{"RevokeRefreshToken", "refresh token", func(x context.Context) error { return c.RevokeRefreshToken(x, long(20000)) }},
		{"Profile", "access token", func(x context.Context) error { _, err := c.Profile(x, "not a token"); return err }},
		{"UpdateProfile empty", "attributes", func(x context.Context) error { _, err := c.UpdateProfile(x, tok, nil); return err }},
		{"UpdateProfile token", "access token", func(x context.Context) error {
			_, err := c.UpdateProfile(x, "", map[string]string{"name": "x"})
			return err
		}},
		{"SetPhoneNumber", "phone", func(x context.Context) error { _, err := c.SetPhoneNumber(x, tok, "555-0100"); return err }},
		{"GetAttributeVerificationCode", "attribute", func(x context.Context) error {
			_, err := c.GetAttributeVerificationCode(x, tok, "")
			return err
		}},
		{"VerifyAttribute", "code", func(x context.Context) error { return c.VerifyAttribute(x, tok, "email", "") }},
		{"ChangePassword old", "old password", func(x context.Context) error { return c.ChangePassword(x, tok, "", "Passw0rd!") }},
		{"ChangePassword new", "new password", func(x context.Context) error { return c.ChangePassword(x, tok, "Passw0rd!", long(257)) }},
		{"ForgotPassword", "username", func(x context.Context) error { _, err := c.ForgotPassword(x, long(200)); return err }},
		{"ConfirmForgotPassword", "new password", func(x context.Context) error {
			return c.ConfirmForgotPassword(x, "alice", "123456", "")
		}},
		{"AdminCreateUser", "username", func(x context.Context) error { _, err := c.AdminCreateUser(x, cognito.NewUser{}); return err }},
		{"AdminCreateUser medium", "delivery medium", func(x context.Context) error {
			_, err := c.AdminCreateUser(x, cognito.NewUser{Username: "a", DeliveryMediums: []string{"PIGEON"}})
			return err
		}},
		{"AdminCreateUser both actions", "message action", func(x context.Context) error {
			_, err := c.AdminCreateUser(x, cognito.NewUser{Username: "a", SuppressMessage: true, ResendInvitation: true})
			return err
		}},
		{"AdminGetUser", "username", func(x context.Context) error { _, err := c.AdminGetUser(x, ""); return err }},
		{"AdminDeleteUser", "username", func(x context.Context) error { return c.AdminDeleteUser(x, "") }},
		{"AdminSetPassword", "password", func(x context.Context) error { return c.AdminSetPassword(x, "a", "", true) }},
		{"AdminUpdateAttributes", "attributes", func(x context.Context) error { return c.AdminUpdateAttributes(x, "a", nil) }},
		{"AdminDisable", "username", func(x context.Context) error { return c.AdminDisable(x, "") }},
		{"AdminEnable", "username", func(x context.Context) error { return c.AdminEnable(x, "") }},
		{"AdminGlobalSignOut", "username", func(x context.Context) error { return c.AdminGlobalSignOut(x, "") }},
		{"ListUsers filter", "filter", func(x context.Context) error {
			_, err := c.ListUsers(x, cognito.ListUsersOptions{Filter: long(257)}, "")
			return err
		}},
		{"ListUsers page size", "page size", func(x context.Context) error {
			_, err := c.ListUsers(x, cognito.ListUsersOptions{PageSize: 61}, "")
			return err
		}},
		{"CreateGroup", "group", func(x context.Context) error { _, err := c.CreateGroup(x, cognito.Group{}); return err }},
		{"CreateGroup precedence", "precedence", func(x context.Context) error {
			p := int32(-1)
			_, err := c.CreateGroup(x, cognito.Group{Name: "g", Precedence: &p})
			return err
		}},
		{"AdminAddUserToGroup", "group", func(x context.Context) error { return c.AdminAddUserToGroup(x, "a", long(129)) }},
		{"AdminRemoveUserFromGroup", "username", func(x context.Context) error { return c.AdminRemoveUserFromGroup(x, "", "g") }},
		{"AdminListGroupsForUser", "username", func(x context.Context) error { _, err := c.AdminListGroupsForUser(x, ""); return err }},
	}
	for _, tc := range cases {
		err := tc.call(context.Background())
		var ae *cognito.ArgumentError
		if !errors.As(err, &ae) {
			t.Errorf("%s: %v is not an *ArgumentError", tc.name, err)
			continue
		}
		if ae.Arg != tc.arg || ae.Op == "" || !strings.Contains(err.Error(), tc.arg) {
			t.Errorf("%s: refused %q (%v), want %q", tc.name, ae.Arg, err, tc.arg)
		}
		if !errors.Is(err, cognito.ErrInvalidParameter) {
			t.Errorf("%s: does not match ErrInvalidParameter", tc.name)
		}
	}
	if rt.n.Load() != 0 {
		t.Fatalf("%d requests were sent", rt.n.Load())
	}
}
