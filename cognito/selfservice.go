package cognito

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// SignUpResult is a new user.
type SignUpResult struct {
	// UserSub is the user's permanent ID (the sub claim of its tokens).
	UserSub string
	// Confirmed is true when the pool confirmed the user at once (e.g. a pre-sign-up
	// trigger); otherwise ConfirmSignUp must follow with the code sent to Delivery.
	Confirmed bool
	Delivery  *CodeDelivery
}

// SignUp registers a user with a password and attributes (e.g. "email").
func (c *Client) SignUp(ctx context.Context, username, password string, attrs map[string]string) (*SignUpResult, error) {
	ch := checker{op: "SignUp"}
	ch.username(username)
	ch.password("password", password)
	ch.attrs("attribute", attrs)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(c.clientID), Username: aws.String(username), Password: aws.String(password),
		SecretHash: c.secretHash(username), UserAttributes: attrList(attrs),
	})
	if err != nil {
		return nil, wrap("SignUp", err)
	}
	if aws.ToString(out.UserSub) == "" {
		return nil, &Error{Op: "SignUp", Err: ErrUnexpectedResponse}
	}
	return &SignUpResult{UserSub: aws.ToString(out.UserSub), Confirmed: out.UserConfirmed, Delivery: codeDelivery(out.CodeDeliveryDetails)}, nil
}

// ConfirmSignUp confirms a user with the code SignUp sent.
func (c *Client) ConfirmSignUp(ctx context.Context, username, code string) error {
	ch := checker{op: "ConfirmSignUp"}
	ch.username(username)
	ch.code("code", code)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
		ClientId: aws.String(c.clientID), Username: aws.String(username), ConfirmationCode: aws.String(code),
		SecretHash: c.secretHash(username),
	})
	return wrap("ConfirmSignUp", err)
}

// ResendConfirmationCode sends an unconfirmed user a new sign-up code.
func (c *Client) ResendConfirmationCode(ctx context.Context, username string) (*CodeDelivery, error) {
	ch := checker{op: "ResendConfirmationCode"}
	ch.username(username)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{
		ClientId: aws.String(c.clientID), Username: aws.String(username), SecretHash: c.secretHash(username),
	})
	if err != nil {
		return nil, wrap("ResendConfirmationCode", err)
	}
	return codeDelivery(out.CodeDeliveryDetails), nil
}

// ForgotPassword starts a password reset: Cognito sends a code to the user's verified
// e-mail or phone, to be given to ConfirmForgotPassword.
func (c *Client) ForgotPassword(ctx context.Context, username string) (*CodeDelivery, error) {
	ch := checker{op: "ForgotPassword"}
	ch.username(username)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{
		ClientId: aws.String(c.clientID), Username: aws.String(username), SecretHash: c.secretHash(username),
	})
	if err != nil {
		return nil, wrap("ForgotPassword", err)
	}
	return codeDelivery(out.CodeDeliveryDetails), nil
}

// ConfirmForgotPassword sets a new password with the code ForgotPassword sent.
func (c *Client) ConfirmForgotPassword(ctx context.Context, username, code, newPassword string) error {
	ch := checker{op: "ConfirmForgotPassword"}
	ch.username(username)
	ch.code("code", code)
	ch.password("new password", newPassword)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{
		ClientId: aws.String(c.clientID), Username: aws.String(username), ConfirmationCode: aws.String(code),
		Password: aws.String(newPassword), SecretHash: c.secretHash(username),
	})
	return wrap("ConfirmForgotPassword", err)
}

// ChangePassword changes a signed-in user's password.
func (c *Client) ChangePassword(ctx context.Context, accessToken, oldPassword, newPassword string) error {
	ch := checker{op: "ChangePassword"}
	ch.token("access token", accessToken)
	ch.password("old password", oldPassword)
	ch.password("new password", newPassword)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.ChangePassword(ctx, &cip.ChangePasswordInput{
		AccessToken: aws.String(accessToken), PreviousPassword: aws.String(oldPassword), ProposedPassword: aws.String(newPassword),
	})
	return wrap("ChangePassword", err)
}

// Profile is a user as the user sees itself.
type Profile struct {
	Username string
	// Attributes holds every attribute, e.g. "sub", "email", "email_verified".
	Attributes map[string]string
}

// Profile reads the signed-in user's attributes.
func (c *Client) Profile(ctx context.Context, accessToken string) (*Profile, error) {
	ch := checker{op: "Profile"}
	ch.token("access token", accessToken)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return nil, wrap("GetUser", err)
	}
	if aws.ToString(out.Username) == "" {
		return nil, &Error{Op: "GetUser", Err: ErrUnexpectedResponse}
	}
	return &Profile{Username: aws.ToString(out.Username), Attributes: attrMap(out.UserAttributes)}, nil
}

// UpdateProfile sets the signed-in user's attributes; an empty value deletes that
// attribute. It makes up to two calls, UpdateUserAttributes and then
// DeleteUserAttributes, so a failure of the second leaves the first done. Changing a
// verified e-mail or phone sends a code to the new address (see VerifyAttribute); the
// deliveries are returned.
func (c *Client) UpdateProfile(ctx context.Context, accessToken string, attrs map[string]string) ([]CodeDelivery, error) {
	ch := checker{op: "UpdateProfile"}
	ch.token("access token", accessToken)
	if len(attrs) == 0 {
		ch.fail("attributes", "is empty")
	}
	ch.attrs("attribute", attrs)
	if ch.err != nil {
		return nil, ch.err
	}
	set, del := splitAttrs(attrs)
	var deliveries []CodeDelivery
	if len(set) > 0 {
		out, err := c.api.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{
			AccessToken: aws.String(accessToken), UserAttributes: attrList(set),
		})
		if err != nil {
			return nil, wrap("UpdateUserAttributes", err)
		}
		for _, d := range out.CodeDeliveryDetailsList {
			deliveries = append(deliveries, *codeDelivery(&d))
		}
	}
	if len(del) > 0 {
		_, err := c.api.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{
			AccessToken: aws.String(accessToken), UserAttributeNames: del,
		})
		if err != nil {
			return deliveries, wrap("DeleteUserAttributes", err)
		}
	}
	return deliveries, nil
}

// SetPhoneNumber sets the signed-in user's phone number (E.164, e.g. "+14155550100"), or
// deletes it when phone is empty. A new number is unverified until VerifyAttribute.
func (c *Client) SetPhoneNumber(ctx context.Context, accessToken, phone string) ([]CodeDelivery, error) {
	ch := checker{op: "SetPhoneNumber"}
	if phone != "" && !rePhone.MatchString(phone) {
		ch.fail("phone", "must be in E.164 form, e.g. +14155550100")
	}
	if ch.err != nil {
		return nil, ch.err
	}
	return c.UpdateProfile(ctx, accessToken, map[string]string{"phone_number": phone})
}

// GetAttributeVerificationCode sends a code to verify an attribute ("email" or
// "phone_number").
func (c *Client) GetAttributeVerificationCode(ctx context.Context, accessToken, attribute string) (*CodeDelivery, error) {
	ch := checker{op: "GetAttributeVerificationCode"}
	ch.token("access token", accessToken)
	ch.attrName("attribute", attribute)
	if ch.err != nil {
		return nil, ch.err
	}
	out, err := c.api.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{
		AccessToken: aws.String(accessToken), AttributeName: aws.String(attribute),
	})
	if err != nil {
		return nil, wrap("GetUserAttributeVerificationCode", err)
	}
	return codeDelivery(out.CodeDeliveryDetails), nil
}

// VerifyAttribute marks an attribute verified with the code Cognito sent to it.
func (c *Client) VerifyAttribute(ctx context.Context, accessToken, attribute, code string) error {
	ch := checker{op: "VerifyAttribute"}
	ch.token("access token", accessToken)
	ch.attrName("attribute", attribute)
	ch.code("code", code)
	if ch.err != nil {
		return ch.err
	}
	_, err := c.api.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{
		AccessToken: aws.String(accessToken), AttributeName: aws.String(attribute), Code: aws.String(code),
	})
	return wrap("VerifyUserAttribute", err)
}
