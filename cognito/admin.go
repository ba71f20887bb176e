package cognito

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// The admin operations are signed with AWS credentials (Config.AccessKeyID, or the
// credential chain) and act on any user of the pool by username.

// User statuses, as in User.Status.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
	StatusExternalProvider    = "EXTERNAL_PROVIDER"
	StatusArchived            = "ARCHIVED"
	StatusCompromised         = "COMPROMISED"
	StatusUnknown             = "UNKNOWN"
)

// User is a user as an administrator sees it.
type User struct {
	Username   string
	Attributes map[string]string
	// Status is one of the Status* constants.
	Status   string
	Enabled  bool
	Created  time.Time
	Modified time.Time
}

// Sub is the user's permanent ID.
func (u *User) Sub() string { return u.Attributes["sub"] }

func userOf(u types.UserType) User {
	return User{Username: aws.ToString(u.Username), Attributes: attrMap(u.Attributes), Status: string(u.UserStatus),
		Enabled: u.Enabled, Created: aws.ToTime(u.UserCreateDate), Modified: aws.ToTime(u.UserLastModifiedDate)}
}

// NewUser is a user for AdminCreateUser.
type NewUser struct {
	Username string
	// TemporaryPassword is the password of the first sign-in, which must then be changed
	// (NEW_PASSWORD_REQUIRED); empty lets Cognito generate one and send it in the
	// invitation.
	TemporaryPassword string
	Attributes        map[string]string
	// SuppressMessage sends no invitation (MessageAction SUPPRESS), e.g. when migrating
	// users who keep their passwords (see AdminSetPassword).
	SuppressMessage bool
	// ResendInvitation sends the invitation again to an existing user who has not yet
	// signed in (MessageAction RESEND), resetting its temporary password.
	ResendInvitation bool
	// DeliveryMediums are "EMAIL" and/or "SMS"; empty means SMS, as on Cognito.
	DeliveryMediums []string
	// ForceAliasCreation moves a verified e-mail or phone alias from its current holder to
	// this user instead of failing with AliasExistsException.
	ForceAliasCreation bool
}

// AdminCreateUser creates a confirmed user who must set a password at first sign-in.
func (c *Client) AdminCreateUser(ctx context.Context, u NewUser) (*User, error) {
	ch := checker{op: "AdminCreateUser"}
	ch.username(u.Username)
	ch.str("temporary password", u.TemporaryPassword, 0, maxPasswordLength, nil)
	ch.attrs("attribute", u.Attributes)
	if u.SuppressMessage && u.ResendInvitation {
		ch.fail("message action", "cannot both suppress and resend the invitation")
	}
	for _, m := range u.DeliveryMediums {
		if m != string(types.DeliveryMediumTypeEmail) && m != string(types.DeliveryMediumTypeSms) {
			ch.fail("delivery medium", "must be EMAIL or SMS, not %q", m)
		}
	}
	if ch.err != nil {
		return nil, ch.err
	}
	in := &cip.AdminCreateUserInput{
		UserPoolId: aws.String(c.poolID), Username: aws.String(u.Username),
		UserAttributes: attrList(u.Attributes), ForceAliasCreation: u.ForceAliasCreation,
	}
	if len(u.Attributes) == 0 {
		in.UserAttributes = nil
	}
	if u.TemporaryPassword != "" {
		in.TemporaryPassword = aws.String(u.TemporaryPassword)
	}
	switch {
	case u.SuppressMessage:
		in.MessageAction = types.MessageActionTypeSuppress
	case u.ResendInvitation:
		in.MessageAction = types.MessageActionTypeResend
	}
	for _, m := range u.DeliveryMediums {
		in.DesiredDeliveryMediums = append(in.DesiredDeliveryMediums, types.DeliveryMediumType(m))
	}
	out, err := c.api.AdminCreateUser(ctx, in)
	if err != nil {
		return nil, wrap("AdminCreateUser", err)
	}
	if out.User == nil {
		return nil, &Error{Op: "AdminCreateUser", Err: ErrUnexpectedResponse}
	}
	user := userOf(*out.User)
	return &user, nil
}

// AdminGetUser reads a user by username (or alias).
func (c *Client) AdminGetUser(ctx context.Context, username string) (*User, error) {
	if err := c.checkUser("AdminGetUser", username); err != nil {
		return nil, err
	}
	out, err := c.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	if err != nil {
		return nil, wrap("AdminGetUser", err)
	}
	if aws.ToString(out.Username) == "" {
		return nil, &Error{Op: "AdminGetUser", Err: ErrUnexpectedResponse}
	}
	return &User{Username: aws.ToString(out.Username), Attributes: attrMap(out.UserAttributes), Status: string(out.UserStatus),
		Enabled: out.Enabled, Created: aws.ToTime(out.UserCreateDate), Modified: aws.ToTime(out.UserLastModifiedDate)}, nil
}

func (c *Client) checkUser(op, username string) error {
	ch := checker{op: op}
	ch.username(username)
	return ch.err
}

// AdminDeleteUser deletes a user.
func (c *Client) AdminDeleteUser(ctx context.Context, username string) error {
	if err := c.checkUser("AdminDeleteUser", username); err != nil {
		return err
	}
	_, err := c.api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminDeleteUser", err)
}

// AdminConfirmSignUp confirms a signed-up user without a code.
func (c *Client) AdminConfirmSignUp(ctx context.Context, username string) error {
	if err := c.checkUser("AdminConfirmSignUp", username); err != nil {
		return err
	}
	_, err := c.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminConfirmSignUp", err)
}

// AdminSetPassword sets a user's password. A permanent password confirms the user and
// needs no change at sign-in; a temporary one puts the user in FORCE_CHANGE_PASSWORD.
func (c *Client) AdminSetPassword(ctx context.Context, username, password string, permanent bool) error {
	ch := checker{op: "AdminSetPassword"}
	ch.username(username)
	ch.password("password", password)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(c.poolID), Username: aws.String(username), Password: aws.String(password), Permanent: permanent,
	})
	return wrap("AdminSetUserPassword", err)
}

// AdminResetPassword makes a user reset its password at next sign-in
// (PasswordResetRequiredException) and, when it has a verified address, sends it a
// ForgotPassword code.
func (c *Client) AdminResetPassword(ctx context.Context, username string) error {
	if err := c.checkUser("AdminResetPassword", username); err != nil {
		return err
	}
	_, err := c.api.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminResetUserPassword", err)
}

// AdminUpdateAttributes sets a user's attributes; an empty value deletes that attribute.
// Like UpdateProfile, it makes up to two calls (update, then delete).
func (c *Client) AdminUpdateAttributes(ctx context.Context, username string, attrs map[string]string) error {
	ch := checker{op: "AdminUpdateAttributes"}
	ch.username(username)
	if len(attrs) == 0 {
		ch.fail("attributes", "is empty")
	}
	ch.attrs("attribute", attrs)
	if ch.err != nil {
		return ch.err
	}
	set, del := splitAttrs(attrs)
	if len(set) > 0 {
		_, err := c.api.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
			UserPoolId: aws.String(c.poolID), Username: aws.String(username), UserAttributes: attrList(set),
		})
		if err != nil {
			return wrap("AdminUpdateUserAttributes", err)
		}
	}
	if len(del) > 0 {
		_, err := c.api.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{
			UserPoolId: aws.String(c.poolID), Username: aws.String(username), UserAttributeNames: del,
		})
		if err != nil {
			return wrap("AdminDeleteUserAttributes", err)
		}
	}
	return nil
}

// AdminDisable disables a user: sign-in fails and its refresh tokens stop working.
func (c *Client) AdminDisable(ctx context.Context, username string) error {
	if err := c.checkUser("AdminDisable", username); err != nil {
		return err
	}
	_, err := c.api.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminDisableUser", err)
}

// AdminEnable enables a disabled user.
func (c *Client) AdminEnable(ctx context.Context, username string) error {
	if err := c.checkUser("AdminEnable", username); err != nil {
		return err
	}
	_, err := c.api.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminEnableUser", err)
}

// AdminGlobalSignOut signs a user out everywhere, as GlobalLogout does for itself.
func (c *Client) AdminGlobalSignOut(ctx context.Context, username string) error {
	if err := c.checkUser("AdminGlobalSignOut", username); err != nil {
		return err
	}
	_, err := c.api.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(c.poolID), Username: aws.String(username)})
	return wrap("AdminUserGlobalSignOut", err)
}

// ListUsersOptions selects users for ListUsers and Users.
type ListUsersOptions struct {
	// Filter is Cognito's filter expression, e.g. FilterEquals("email", addr); empty
	// lists everyone.
	Filter string
	// PageSize is the number of users per call, 1 to 60; 0 means 60.
	PageSize int
	// Attributes limits the attributes returned; empty returns all.
	Attributes []string
}

// UserPage is one page of ListUsers.
type UserPage struct {
	Users []User
	// NextToken continues the listing; empty on the last page.
	NextToken string
}

// ListUsers returns one page of users; pass the previous page's NextToken (or "" for the
// first page).
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions, pageToken string) (*UserPage, error) {
	ch := checker{op: "ListUsers"}
	ch.str("filter", opts.Filter, 0, maxFilterLength, nil)
	if opts.PageSize < 0 || opts.PageSize > maxListUsersLimit {
		ch.fail("page size", "must be between 1 and %d", maxListUsersLimit)
	}
	for _, a := range opts.Attributes {
		ch.attrName("attribute", a)
	}
	ch.str("page token", pageToken, 0, maxTokenLength, nil)
	if ch.err != nil {
		return nil, ch.err
	}
	size := opts.PageSize
	if size == 0 {
		size = maxListUsersLimit
	}
	in := &cip.ListUsersInput{UserPoolId: aws.String(c.poolID), Limit: aws.Int32(int32(size)), AttributesToGet: opts.Attributes}
	if opts.Filter != "" {
		in.Filter = aws.String(opts.Filter)
	}
	if pageToken != "" {
		in.PaginationToken = aws.String(pageToken)
	}
	out, err := c.api.ListUsers(ctx, in)
	if err != nil {
		return nil, wrap("ListUsers", err)
	}
	page := &UserPage{Users: make([]User, 0, len(out.Users)), NextToken: aws.ToString(out.PaginationToken)}
	for _, u := range out.Users {
		page.Users = append(page.Users, userOf(u))
	}
	return page, nil
}

// Users iterates over every user matching opts, fetching pages as the loop goes. An error
// is yielded once, with a zero User, and ends the iteration.
//
//	for u, err := range client.Users(ctx, cognito.ListUsersOptions{}) {
//		if err != nil { return err }
//		…
//	}
func (c *Client) Users(ctx context.Context, opts ListUsersOptions) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		token := ""
		seen := map[string]bool{}
		for {
			page, err := c.ListUsers(ctx, opts, token)
			if err != nil {
				yield(User{}, err)
				return
			}
			for _, u := range page.Users {
				if !yield(u, nil) {
					return
				}
			}
			if page.NextToken == "" {
				return
			}
			// A pool that hands back a token it gave before would loop forever.
			if seen[page.NextToken] {
				yield(User{}, &Error{Op: "ListUsers", Err: ErrUnexpectedResponse})
				return
			}
			seen[page.NextToken] = true
			token = page.NextToken
		}
	}
}

// FilterEquals is a ListUsers filter matching attribute exactly, with value quoted so
// that any input is safe to pass.
func FilterEquals(attribute, value string) string {
	return attribute + ` = "` + quoteFilter(value) + `"`
}

// FilterPrefix is a ListUsers filter matching attribute values that start with value.
func FilterPrefix(attribute, value string) string {
	return attribute + ` ^= "` + quoteFilter(value) + `"`
}

func quoteFilter(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// Group is a user group.
type Group struct {
	Name        string
	Description string
	// Precedence orders a user's groups (lower first) for the role in its tokens; nil
	// when the group has none.
	Precedence *int32
	RoleARN    string
	Created    time.Time
	Modified   time.Time
}

func groupOf(g types.GroupType) Group {
	return Group{Name: aws.ToString(g.GroupName), Description: aws.ToString(g.Description), Precedence: g.Precedence,
		RoleARN: aws.ToString(g.RoleArn), Created: aws.ToTime(g.CreationDate), Modified: aws.ToTime(g.LastModifiedDate)}
}

// CreateGroup creates a group; Name is required, the rest optional.
func (c *Client) CreateGroup(ctx context.Context, g Group) (*Group, error) {
	ch := checker{op: "CreateGroup"}
	ch.group(g.Name)
	ch.str("description", g.Description, 0, maxDescriptionLen, nil)
	if g.Precedence != nil && *g.Precedence < 0 {
		ch.fail("precedence", "must not be negative")
	}
	if ch.err != nil {
		return nil, ch.err
	}
	in := &cip.CreateGroupInput{UserPoolId: aws.String(c.poolID), GroupName: aws.String(g.Name), Precedence: g.Precedence}
	if g.Description != "" {
		in.Description = aws.String(g.Description)
	}
	if g.RoleARN != "" {
		in.RoleArn = aws.String(g.RoleARN)
	}
	out, err := c.api.CreateGroup(ctx, in)
	if err != nil {
		return nil, wrap("CreateGroup", err)
	}
	if out.Group == nil {
		return nil, &Error{Op: "CreateGroup", Err: ErrUnexpectedResponse}
	}
	created := groupOf(*out.Group)
	return &created, nil
}

// DeleteGroup deletes a group; its members stay.
func (c *Client) DeleteGroup(ctx context.Context, name string) error {
	ch := checker{op: "DeleteGroup"}
	ch.group(name)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: aws.String(c.poolID), GroupName: aws.String(name)})
	return wrap("DeleteGroup", err)
}

// AdminAddUserToGroup adds a user to a group; tokens issued afterwards list it in
// cognito:groups.
func (c *Client) AdminAddUserToGroup(ctx context.Context, username, group string) error {
	ch := checker{op: "AdminAddUserToGroup"}
	ch.username(username)
	ch.group(group)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: aws.String(c.poolID), Username: aws.String(username), GroupName: aws.String(group),
	})
	return wrap("AdminAddUserToGroup", err)
}

// AdminRemoveUserFromGroup removes a user from a group.
func (c *Client) AdminRemoveUserFromGroup(ctx context.Context, username, group string) error {
	ch := checker{op: "AdminRemoveUserFromGroup"}
	ch.username(username)
	ch.group(group)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{
		UserPoolId: aws.String(c.poolID), Username: aws.String(username), GroupName: aws.String(group),
	})
	return wrap("AdminRemoveUserFromGroup", err)
}

// AdminListGroupsForUser lists every group of a user (all pages).
func (c *Client) AdminListGroupsForUser(ctx context.Context, username string) ([]Group, error) {
	if err := c.checkUser("AdminListGroupsForUser", username); err != nil {
		return nil, err
	}
	groups := []Group{}
	seen := map[string]bool{}
	var token *string
	for {
		out, err := c.api.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{
			UserPoolId: aws.String(c.poolID), Username: aws.String(username), NextToken: token, Limit: aws.Int32(60),
		})
		if err != nil {
			return nil, wrap("AdminListGroupsForUser", err)
		}
		for _, g := range out.Groups {
			groups = append(groups, groupOf(g))
		}
		next := aws.ToString(out.NextToken)
		if next == "" {
			return groups, nil
		}
		if seen[next] {
			return nil, &Error{Op: "AdminListGroupsForUser", Err: ErrUnexpectedResponse}
		}
		seen[next] = true
		token = aws.String(next)
	}
}
