package apitest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// newSelfSetup makes a pool that verifies e-mail addresses automatically and a client that
// allows password sign-in, with access tokens good for a day so tests can wait out hourly
// limits on one token.
func newSelfSetup(t *testing.T, p *pooltest.Pool, poolEdit func(*cip.CreateUserPoolInput), clientEdit ...func(*cip.CreateUserPoolClientInput)) signInSetup {
	t.Helper()
	c := p.Admin()
	poolID := newPool(t, c, func(in *cip.CreateUserPoolInput) {
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}
		if poolEdit != nil {
			poolEdit(in)
		}
	})
	in := &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"), AccessTokenValidity: aws.Int32(24),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}
	for _, e := range clientEdit {
		e(in)
	}
	client := must(c.CreateUserPoolClient(ctx(t), in))(t).UserPoolClient
	return signInSetup{p: p, c: c, poolID: poolID, clientID: aws.ToString(client.ClientId), secret: aws.ToString(client.ClientSecret)}
}

// eachClocked is each with a settable clock on every backend.
func eachClocked(t *testing.T, fn func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock)) {
	t.Helper()
	for _, b := range pooltest.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			clock := pooltest.NewClock()
			fn(t, pooltest.Start(t, pooltest.DSN(t, b), pooltest.WithClock(clock)), clock)
		})
	}
}

func (s signInSetup) hash(username string) *string {
	if s.secret == "" {
		return nil
	}
	return aws.String(s.secretHash(username))
}

func (s signInSetup) signUp(t *testing.T, username, pw string, kv ...string) (*cip.SignUpOutput, error) {
	return s.c.SignUp(ctx(t), &cip.SignUpInput{ClientId: &s.clientID, Username: &username, Password: &pw,
		UserAttributes: attrs(kv...), SecretHash: s.hash(username)})
}

func (s signInSetup) confirmSignUp(t *testing.T, username, code string, force bool) error {
	_, err := s.c.ConfirmSignUp(ctx(t), &cip.ConfirmSignUpInput{ClientId: &s.clientID, Username: &username, ConfirmationCode: &code,
		ForceAliasCreation: force, SecretHash: s.hash(username)})
	return err
}

func (s signInSetup) resend(t *testing.T, username string) (*cip.ResendConfirmationCodeOutput, error) {
	return s.c.ResendConfirmationCode(ctx(t), &cip.ResendConfirmationCodeInput{ClientId: &s.clientID, Username: &username, SecretHash: s.hash(username)})
}

func (s signInSetup) forgot(t *testing.T, username string) (*cip.ForgotPasswordOutput, error) {
	return s.c.ForgotPassword(ctx(t), &cip.ForgotPasswordInput{ClientId: &s.clientID, Username: &username, SecretHash: s.hash(username)})
}

func (s signInSetup) confirmForgot(t *testing.T, username, code, pw string) error {
	_, err := s.c.ConfirmForgotPassword(ctx(t), &cip.ConfirmForgotPasswordInput{ClientId: &s.clientID, Username: &username,
		ConfirmationCode: &code, Password: &pw, SecretHash: s.hash(username)})
	return err
}

// confirmedUser creates a user with a verified e-mail address and a permanent password.
func (s signInSetup) confirmedUser(t *testing.T, username string, kv ...string) {
	t.Helper()
	createUser(t, s.c, s.poolID, username, append([]string{"email", username + "@example.com", "email_verified", "true"}, kv...)...)
	must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: &username, Password: aws.String(password), Permanent: true}))(t)
}

func (s signInSetup) accessToken(t *testing.T, username, pw string) *string {
	t.Helper()
	return must(s.login(t, username, pw))(t).AuthenticationResult.AccessToken
}

func (s signInSetup) user(t *testing.T, username string) *cip.AdminGetUserOutput {
	t.Helper()
	return must(s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: &username}))(t)
}

// lastCode is the code of the newest outbox message of a kind for a user.
func (s signInSetup) lastCode(t *testing.T, kind, username string) string {
	t.Helper()
	msgs := outbox(t, s.p, url.Values{"pool": {s.poolID}, "kind": {kind}, "username": {username}})
	if len(msgs) == 0 {
		t.Fatalf("no %s message for %s", kind, username)
	}
	m := msgs[len(msgs)-1]
	if len(m.Code) != 6 || !strings.Contains(m.Message, m.Code) {
		t.Fatalf("%s message %+v", kind, m)
	}
	return m.Code
}

// wrongCode is a code that is certainly not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func wantMessage(t *testing.T, err error, code, message string) {
	t.Helper()
	wantAPIError(t, err, code)
	if apiMessage(err) != message {
		t.Fatalf("%s message %q, want %q", code, apiMessage(err), message)
	}
}

func wantDelivery(t *testing.T, d *types.CodeDeliveryDetailsType, medium types.DeliveryMediumType, attr, dest string) {
	t.Helper()
	if d == nil || d.DeliveryMedium != medium || aws.ToString(d.AttributeName) != attr || aws.ToString(d.Destination) != dest {
		t.Fatalf("code delivery %+v, want %s to %s (%s)", d, medium, dest, attr)
	}
}

func TestSignUpAndConfirm(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		out := must(s.signUp(t, "sam", password, "email", "sam@example.com", "given_name", "Sam"))(t)
		if out.UserConfirmed || len(aws.ToString(out.UserSub)) != 36 {
			t.Fatalf("sign-up output %+v", out)
		}
		wantDelivery(t, out.CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "s***@e***.com")
		msgs := outbox(t, p, url.Values{"pool": {s.poolID}, "kind": {"SIGNUP"}})
		if len(msgs) != 1 || msgs[0].Destination != "sam@example.com" || msgs[0].Username != "sam" {
			t.Fatalf("sign-up messages %+v", msgs)
		}
		code := s.lastCode(t, "SIGNUP", "sam")
		sam := s.user(t, "sam")
		if sam.UserStatus != types.UserStatusTypeUnconfirmed || !sam.Enabled {
			t.Fatalf("new user status %s", sam.UserStatus)
		}
		if sub, _ := attrValue(sam.UserAttributes, "sub"); sub != aws.ToString(out.UserSub) {
			t.Fatalf("UserSub %s, user's sub %s", aws.ToString(out.UserSub), sub)
		}
		if _, ok := attrValue(sam.UserAttributes, "email_verified"); ok {
			t.Fatal("a signed-up e-mail address is verified before its code")
		}
		_, err := s.login(t, "sam", password)
		wantAPIError(t, err, "UserNotConfirmedException")

		// SignUp's refusals.
		_, err = s.signUp(t, "SAM", password)
		wantMessage(t, err, "UsernameExistsException", "User already exists")
		_, err = s.signUp(t, "walt", "short")
		wantAPIError(t, err, "InvalidPasswordException")
		_, err = s.signUp(t, "walt", "no digits here")
		wantAPIError(t, err, "InvalidPasswordException")
		_, err = s.signUp(t, "walt", " padded 1 ")
		wantAPIError(t, err, "InvalidParameterException")
		_, err = s.signUp(t, "walt@example.com", password) // e-mail is an alias here, so not a username
		wantAPIError(t, err, "InvalidParameterException")
		_, err = s.signUp(t, "walt", password, "email", "walt@example.com", "email_verified", "true")
		wantMessage(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
		_, err = s.signUp(t, "walt", password, "custom:unknown", "x")
		wantAPIError(t, err, "InvalidParameterException")
		_, err = s.signUp(t, "walt", password, "email", "not-an-address")
		wantAPIError(t, err, "InvalidParameterException")

		// ConfirmSignUp.
		wantMessage(t, s.confirmSignUp(t, "sam", wrongCode(code), false), "CodeMismatchException", "Invalid verification code provided, please try again.")
		if err := s.confirmSignUp(t, "Sam", code, false); err != nil {
			t.Fatal(err)
		}
		sam = s.user(t, "sam")
		if v, _ := attrValue(sam.UserAttributes, "email_verified"); sam.UserStatus != types.UserStatusTypeConfirmed || v != "true" {
			t.Fatalf("after confirmation: status %s, email_verified %q", sam.UserStatus, v)
		}
		must(s.login(t, "sam@example.com", password))(t) // the verified address is now an alias
		wantMessage(t, s.confirmSignUp(t, "sam", code, false), "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
		_, err = s.resend(t, "sam")
		wantMessage(t, err, "InvalidParameterException", "User is already confirmed.")
		wantAPIError(t, s.confirmSignUp(t, "nobody", code, false), "UserNotFoundException")
		_, err = s.resend(t, "nobody")
		wantAPIError(t, err, "UserNotFoundException")
		wantAPIError(t, s.confirmSignUp(t, "sam", " ", false), "InvalidParameterException")

		// An administrator-created user is not confirmed by a code.
		s.confirmedUser(t, "ada")
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("ada"), Password: aws.String("temporary1")}))(t)
		wantMessage(t, s.confirmSignUp(t, "ada", code, false), "NotAuthorizedException", "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD")
	})
}

func TestSignUpWithoutCodesAndAdminOnly(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, func(in *cip.CreateUserPoolInput) { in.AutoVerifiedAttributes = nil })
		out := must(s.signUp(t, "nell", password, "email", "nell@example.com"))(t)
		if out.UserConfirmed || out.CodeDeliveryDetails != nil {
			t.Fatalf("a pool that verifies nothing sent a code: %+v", out)
		}
		if msgs := outbox(t, p, url.Values{"pool": {s.poolID}}); len(msgs) != 0 {
			t.Fatalf("messages %+v", msgs)
		}
		wantMessage(t, s.confirmSignUp(t, "nell", "123456", false), "ExpiredCodeException", "Invalid code provided, please request a code again.")
		_, err := s.resend(t, "nell")
		wantAPIError(t, err, "InvalidParameterException")
		must(s.c.AdminConfirmSignUp(ctx(t), &cip.AdminConfirmSignUpInput{UserPoolId: &s.poolID, Username: aws.String("nell")}))(t)
		must(s.login(t, "nell", password))(t)

		closed := newSelfSetup(t, p, func(in *cip.CreateUserPoolInput) {
			in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}
		})
		_, err = closed.signUp(t, "olly", password)
		wantMessage(t, err, "NotAuthorizedException", "SignUp is not permitted for this user pool")
	})
}

func TestSignUpCodeChannelsAndResend(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		must(s.signUp(t, "rex", password, "email", "rex@example.com"))(t)
		first := s.lastCode(t, "SIGNUP", "rex")
		again := must(s.resend(t, "rex"))(t)
		wantDelivery(t, again.CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "r***@e***.com")
		second := s.lastCode(t, "SIGNUP", "rex")
		if first == second {
			t.Skip("the resent code happens to equal the first") // one chance in a million
		}
		wantAPIError(t, s.confirmSignUp(t, "rex", first, false), "CodeMismatchException") // replaced
		if err := s.confirmSignUp(t, "rex", second, false); err != nil {
			t.Fatal(err)
		}

		// A pool that verifies both: the code goes by SMS and verifies the phone.
		both := newSelfSetup(t, p, func(in *cip.CreateUserPoolInput) {
			in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail, types.VerifiedAttributeTypePhoneNumber}
		})
		out := must(both.signUp(t, "pia", password, "email", "pia@example.com", "phone_number", "+15550001234"))(t)
		wantDelivery(t, out.CodeDeliveryDetails, types.DeliveryMediumTypeSms, "phone_number", "+*******1234")
		msgs := outbox(t, p, url.Values{"pool": {both.poolID}, "kind": {"SIGNUP"}})
		if len(msgs) != 1 || msgs[0].Medium != "SMS" || msgs[0].Destination != "+15550001234" {
			t.Fatalf("messages %+v", msgs)
		}
		if err := both.confirmSignUp(t, "pia", msgs[0].Code, false); err != nil {
			t.Fatal(err)
		}
		pia := both.user(t, "pia")
		phone, _ := attrValue(pia.UserAttributes, "phone_number_verified")
		_, emailVerified := attrValue(pia.UserAttributes, "email_verified")
		if phone != "true" || emailVerified {
			t.Fatalf("phone_number_verified %q, email_verified set %v", phone, emailVerified)
		}
	})
}

func TestSignUpWithEmailUsernames(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, func(in *cip.CreateUserPoolInput) {
			in.AliasAttributes = nil
			in.UsernameAttributes = []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
		})
		out := must(s.signUp(t, "gina@example.com", password))(t)
		gina := s.user(t, "gina@example.com")
		if aws.ToString(gina.Username) != aws.ToString(out.UserSub) {
			t.Fatalf("username %s, sub %s", aws.ToString(gina.Username), aws.ToString(out.UserSub))
		}
		// Unique from the start, confirmed or not, whatever the case.
		_, err := s.signUp(t, "Gina@example.com", password)
		wantMessage(t, err, "UsernameExistsException", "An account with the given email already exists.")
		_, err = s.signUp(t, "gina", password)
		wantAPIError(t, err, "InvalidParameterException")
		if err := s.confirmSignUp(t, "gina@example.com", s.lastCode(t, "SIGNUP", "gina@example.com"), false); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "gina@example.com", password))(t)
	})
}

// With e-mail as an alias, SignUp does not tell whether an address is taken; confirming a
// second account with it is where the collision shows.
func TestConfirmSignUpAliasConflict(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		must(s.signUp(t, "jie", password, "email", "jie@example.com"))(t)
		if err := s.confirmSignUp(t, "jie", s.lastCode(t, "SIGNUP", "jie"), false); err != nil {
			t.Fatal(err)
		}
		must(s.signUp(t, "shirley", password, "email", "jie@example.com"))(t)
		code := s.lastCode(t, "SIGNUP", "shirley")
		wantMessage(t, s.confirmSignUp(t, "shirley", code, false), "AliasExistsException", "An account with the given email already exists.")
		if st := s.user(t, "shirley").UserStatus; st != types.UserStatusTypeUnconfirmed {
			t.Fatalf("a refused confirmation left status %s", st)
		}
		if got := s.user(t, "jie@example.com"); aws.ToString(got.Username) != "jie" {
			t.Fatalf("the alias moved to %s without ForceAliasCreation", aws.ToString(got.Username))
		}
		// The refused attempt did not use up the code; with ForceAliasCreation it moves the alias.
		if err := s.confirmSignUp(t, "shirley", code, true); err != nil {
			t.Fatal(err)
		}
		if got := s.user(t, "jie@example.com"); aws.ToString(got.Username) != "shirley" {
			t.Fatalf("alias resolves to %s", aws.ToString(got.Username))
		}
		if v, _ := attrValue(s.user(t, "jie").UserAttributes, "email_verified"); v != "false" {
			t.Fatalf("the previous holder's email_verified is %q", v)
		}
	})
}

func TestForgotPassword(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		s.confirmedUser(t, "quinn")
		out := must(s.forgot(t, "quinn"))(t)
		wantDelivery(t, out.CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "q***@e***.com")
		code := s.lastCode(t, "FORGOT_PASSWORD", "quinn")
		if st := s.user(t, "quinn").UserStatus; st != types.UserStatusTypeConfirmed {
			t.Fatalf("ForgotPassword changed the status to %s", st)
		}
		must(s.login(t, "quinn", password))(t) // and the old password still works

		wantMessage(t, s.confirmForgot(t, "quinn", wrongCode(code), "a new password 2"), "CodeMismatchException", "Invalid verification code provided, please try again.")
		wantAPIError(t, s.confirmForgot(t, "quinn", code, "short"), "InvalidPasswordException")
		if err := s.confirmForgot(t, "quinn@example.com", code, "a new password 2"); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "quinn", "a new password 2"))(t)
		_, err := s.login(t, "quinn", password)
		wantAPIError(t, err, "NotAuthorizedException")
		wantMessage(t, s.confirmForgot(t, "quinn", code, "a third password 3"), "ExpiredCodeException", "Invalid code provided, please request a code again.")
		wantAPIError(t, s.confirmForgot(t, "nobody", code, "a third password 3"), "UserNotFoundException")

		s.confirmedUser(t, "rosa")
		wantAPIError(t, s.confirmForgot(t, "rosa", "123456", "a new password 2"), "ExpiredCodeException") // never asked

		// A reset by an administrator, and a temporary password, both end in CONFIRMED.
		must(s.c.AdminResetUserPassword(ctx(t), &cip.AdminResetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("rosa")}))(t)
		if err := s.confirmForgot(t, "rosa", s.lastCode(t, "FORGOT_PASSWORD", "rosa"), "a new password 2"); err != nil {
			t.Fatal(err)
		}
		if st := s.user(t, "rosa").UserStatus; st != types.UserStatusTypeConfirmed {
			t.Fatalf("from RESET_REQUIRED to %s", st)
		}
		must(s.login(t, "rosa", "a new password 2"))(t)
		must(s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("tina"), TemporaryPassword: aws.String("temporary1"),
			MessageAction: types.MessageActionTypeSuppress, UserAttributes: attrs("email", "tina@example.com", "email_verified", "true")}))(t)
		must(s.forgot(t, "tina"))(t)
		if err := s.confirmForgot(t, "tina", s.lastCode(t, "FORGOT_PASSWORD", "tina"), "a new password 2"); err != nil {
			t.Fatal(err)
		}
		if st := s.user(t, "tina").UserStatus; st != types.UserStatusTypeConfirmed {
			t.Fatalf("from FORCE_CHANGE_PASSWORD to %s", st)
		}
		if r := must(s.login(t, "tina", "a new password 2"))(t); r.AuthenticationResult == nil {
			t.Fatalf("still challenged: %+v", r)
		}

		// LEGACY refusals.
		s.confirmedUser(t, "uma")
		must(s.c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: aws.String("uma")}))(t)
		_, err = s.forgot(t, "uma")
		wantMessage(t, err, "NotAuthorizedException", "User is disabled.")
		createUser(t, s.c, s.poolID, "vic", "email", "vic@example.com")
		_, err = s.forgot(t, "vic")
		wantMessage(t, err, "InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number")
		_, err = s.forgot(t, "nobody")
		wantAPIError(t, err, "UserNotFoundException")
	})
}

func TestSelfServiceSecretHash(t *testing.T) {
	p := pooltest.Start(t, "memory")
	s := newSelfSetup(t, p, nil, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
	bare := s
	bare.secret = "" // sends no SecretHash
	_, err := bare.signUp(t, "sam", password, "email", "sam@example.com")
	wantAPIError(t, err, "NotAuthorizedException")
	must(s.signUp(t, "sam", password, "email", "sam@example.com"))(t)
	code := s.lastCode(t, "SIGNUP", "sam")
	_, err = bare.resend(t, "sam")
	wantAPIError(t, err, "NotAuthorizedException")
	wantAPIError(t, bare.confirmSignUp(t, "sam", code, false), "NotAuthorizedException")
	if err := s.confirmSignUp(t, "sam", code, false); err != nil {
		t.Fatal(err)
	}
	_, err = bare.forgot(t, "sam")
	wantAPIError(t, err, "NotAuthorizedException")
	must(s.forgot(t, "sam@example.com"))(t) // the hash of the name used, here the alias
	code = s.lastCode(t, "FORGOT_PASSWORD", "sam")
	wantAPIError(t, bare.confirmForgot(t, "sam", code, "a new password 2"), "NotAuthorizedException")
	if err := s.confirmForgot(t, "sam", code, "a new password 2"); err != nil {
		t.Fatal(err)
	}
	// An unknown user is refused for its hash first, as a known one would be.
	_, err = bare.forgot(t, "nobody")
	wantAPIError(t, err, "NotAuthorizedException")
}

// With PreventUserExistenceErrors, answers about unknown, disabled and unreachable users look
// like answers about ordinary ones, and nothing is sent; LEGACY says what is wrong.
func TestSelfServiceUserExistenceErrors(t *testing.T) {
	for _, mode := range []types.PreventUserExistenceErrorTypes{types.PreventUserExistenceErrorTypesLegacy, types.PreventUserExistenceErrorTypesEnabled} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			p := pooltest.Start(t, "memory")
			s := newSelfSetup(t, p, nil, func(in *cip.CreateUserPoolClientInput) { in.PreventUserExistenceErrors = mode })
			hidden := mode == types.PreventUserExistenceErrorTypesEnabled
			s.confirmedUser(t, "dis")
			must(s.c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: aws.String("dis")}))(t)
			createUser(t, s.c, s.poolID, "nochan", "email", "nochan@example.com") // unverified
			must(s.signUp(t, "dana", password, "email", "dana@example.com"))(t)
			must(s.c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: aws.String("dana")}))(t)
			sent := len(outbox(t, p, url.Values{"pool": {s.poolID}}))

			plausible := func(d *types.CodeDeliveryDetailsType) {
				t.Helper()
				if d == nil || (d.DeliveryMedium != types.DeliveryMediumTypeEmail && d.DeliveryMedium != types.DeliveryMediumTypeSms) ||
					aws.ToString(d.AttributeName) == "" || !strings.Contains(aws.ToString(d.Destination), "***") {
					t.Fatalf("simulated delivery %+v", d)
				}
			}
			for name, legacy := range map[string]string{"nobody": "UserNotFoundException", "dis": "NotAuthorizedException", "nochan": "InvalidParameterException"} {
				out, err := s.forgot(t, name)
				if hidden {
					if err != nil {
						t.Fatalf("ForgotPassword(%s): %v", name, err)
					}
					plausible(out.CodeDeliveryDetails)
				} else {
					wantAPIError(t, err, legacy)
				}
			}
			for name, legacy := range map[string]string{"nobody": "UserNotFoundException", "dana": "NotAuthorizedException"} {
				out, err := s.resend(t, name)
				if hidden {
					if err != nil {
						t.Fatalf("ResendConfirmationCode(%s): %v", name, err)
					}
					plausible(out.CodeDeliveryDetails)
				} else {
					wantAPIError(t, err, legacy)
				}
			}
			if hidden {
				// The same name gets the same answer; an address-shaped name is masked as itself.
				a := must(s.forgot(t, "nobody"))(t).CodeDeliveryDetails
				b := must(s.forgot(t, "nobody"))(t).CodeDeliveryDetails
				if aws.ToString(a.Destination) != aws.ToString(b.Destination) {
					t.Fatalf("two answers for one name: %s, %s", aws.ToString(a.Destination), aws.ToString(b.Destination))
				}
				if a.DeliveryMedium != types.DeliveryMediumTypeEmail { // the channel this pool's users have verified
					t.Fatalf("simulated recovery by %s in a pool that verifies e-mail", a.DeliveryMedium)
				}
				wantDelivery(t, must(s.forgot(t, "ghost@example.com"))(t).CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "g***@e***.com")
				wantDelivery(t, must(s.resend(t, "ghost@example.com"))(t).CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "g***@e***.com")
			}
			if got := len(outbox(t, p, url.Values{"pool": {s.poolID}})); got != sent {
				t.Fatalf("%d messages were sent for users that cannot receive them", got-sent)
			}

			confirmWant := map[bool]string{false: "UserNotFoundException", true: "CodeMismatchException"}[hidden]
			wantAPIError(t, s.confirmSignUp(t, "nobody", "123456", false), confirmWant)
			wantAPIError(t, s.confirmForgot(t, "nobody", "123456", "a new password 2"), confirmWant)
			wantAPIError(t, s.confirmForgot(t, "dis", "123456", "a new password 2"),
				map[bool]string{false: "NotAuthorizedException", true: "CodeMismatchException"}[hidden])
			if hidden { // as for a real user, the policy is checked before the code
				wantAPIError(t, s.confirmForgot(t, "nobody", "123456", "short"), "InvalidPasswordException")
			}
			_, err := s.signUp(t, "dis", password)
			wantMessage(t, err, "UsernameExistsException", "User already exists") // SignUp always says so

			if hidden {
				// Invented names run into the same limits as real ones.
				for range 4 { // one ForgotPassword for ghost@example.com already counted
					must(s.forgot(t, "ghost@example.com"))(t)
				}
				_, err := s.forgot(t, "ghost@example.com")
				wantAPIError(t, err, "LimitExceededException")
				for range 9 { // one already counted above
					wantAPIError(t, s.confirmForgot(t, "nobody", "123456", "a new password 2"), "CodeMismatchException")
				}
				wantAPIError(t, s.confirmForgot(t, "nobody", "123456", "a new password 2"), "LimitExceededException")
			}
		})
	}
}

// Codes stop working exactly when their lifetime ends: 24 hours for sign-up, 1 hour for a
// forgotten password. The clock stands still between requests.
func TestCodeExpiryBoundaries(t *testing.T) {
	eachClocked(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSelfSetup(t, p, nil)
		names := []string{"early", "edge", "late"}
		codes := map[string]string{}
		for _, n := range names {
			must(s.signUp(t, n, password, "email", n+"@example.com"))(t)
			codes[n] = s.lastCode(t, "SIGNUP", n)
		}
		clock.Advance(24*time.Hour - time.Second)
		if err := s.confirmSignUp(t, "early", codes["early"], false); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		clock.Advance(time.Second)
		wantAPIError(t, s.confirmSignUp(t, "edge", codes["edge"], false), "ExpiredCodeException")
		clock.Advance(time.Second)
		wantAPIError(t, s.confirmSignUp(t, "late", codes["late"], false), "ExpiredCodeException")
		// A new code starts a new day.
		must(s.resend(t, "late"))(t)
		if err := s.confirmSignUp(t, "late", s.lastCode(t, "SIGNUP", "late"), false); err != nil {
			t.Fatal(err)
		}

		for _, n := range names {
			s.confirmedUser(t, "f"+n)
			must(s.forgot(t, "f"+n))(t)
			codes["f"+n] = s.lastCode(t, "FORGOT_PASSWORD", "f"+n)
		}
		clock.Advance(time.Hour - time.Second)
		if err := s.confirmForgot(t, "fearly", codes["fearly"], "a new password 2"); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		clock.Advance(time.Second)
		wantAPIError(t, s.confirmForgot(t, "fedge", codes["fedge"], "a new password 2"), "ExpiredCodeException")
		clock.Advance(time.Second)
		wantAPIError(t, s.confirmForgot(t, "flate", codes["flate"], "a new password 2"), "ExpiredCodeException")
		if got := outbox(t, p, url.Values{"pool": {s.poolID}, "username": {"fedge"}}); len(got) != 0 {
			t.Fatalf("an expired code is still in the outbox: %+v", got)
		}

		// A confirmed reset lifts a sign-in lockout at once.
		for range 5 {
			_, err := s.login(t, "flate", "wrong password 1")
			wantAPIError(t, err, "NotAuthorizedException")
		}
		_, err := s.login(t, "flate", password)
		wantMessage(t, err, "NotAuthorizedException", "Password attempts exceeded")
		must(s.forgot(t, "flate"))(t)
		if err := s.confirmForgot(t, "flate", s.lastCode(t, "FORGOT_PASSWORD", "flate"), "a new password 2"); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "flate", "a new password 2"))(t)
	})
}

func TestChangePassword(t *testing.T) {
	eachClocked(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSelfSetup(t, p, nil)
		s.confirmedUser(t, "quinn")
		token := s.accessToken(t, "quinn", password)
		change := func(prev, proposed string) error {
			_, err := s.c.ChangePassword(ctx(t), &cip.ChangePasswordInput{AccessToken: token, PreviousPassword: &prev, ProposedPassword: &proposed})
			return err
		}
		if err := change(password, "a new password 2"); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "quinn", "a new password 2"))(t)
		wantAPIError(t, change("a new password 2", "short"), "InvalidPasswordException")
		wantAPIError(t, change("a new password 2", " padded 1 "), "InvalidParameterException")

		// Wrong previous passwords: each is refused, all count toward the sign-in lockout, and
		// after five even the right one is refused for an hour.
		for range 5 {
			wantMessage(t, change("wrong password 1", "a third password 3"), "NotAuthorizedException", "Incorrect username or password.")
		}
		_, err := s.login(t, "quinn", "a new password 2")
		wantMessage(t, err, "NotAuthorizedException", "Password attempts exceeded")
		wantMessage(t, change("a new password 2", "a third password 3"), "LimitExceededException", "Attempt limit exceeded, please try after some time.")
		clock.Advance(time.Hour - time.Second)
		wantAPIError(t, change("a new password 2", "a third password 3"), "LimitExceededException")
		clock.Advance(time.Second)
		if err := change("a new password 2", "a third password 3"); err != nil {
			t.Fatal(err)
		}
		must(s.login(t, "quinn", "a third password 3"))(t)
	})
}

func TestUpdateAndVerifyAttributes(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		s.confirmedUser(t, "quinn", "given_name", "Quinn")
		token := s.accessToken(t, "quinn", password)
		update := func(kv ...string) (*cip.UpdateUserAttributesOutput, error) {
			return s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: attrs(kv...)})
		}
		verify := func(attr, code string) error {
			_, err := s.c.VerifyUserAttribute(ctx(t), &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: &attr, Code: &code})
			return err
		}
		getCode := func(attr string) (*cip.GetUserAttributeVerificationCodeOutput, error) {
			return s.c.GetUserAttributeVerificationCode(ctx(t), &cip.GetUserAttributeVerificationCodeInput{AccessToken: token, AttributeName: &attr})
		}
		me := func() []types.AttributeType {
			return must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: token}))(t).UserAttributes
		}

		out := must(update("given_name", "Q", "family_name", "Smith"))(t)
		if len(out.CodeDeliveryDetailsList) != 0 {
			t.Fatalf("codes for attributes that need none: %+v", out.CodeDeliveryDetailsList)
		}
		if v, _ := attrValue(me(), "given_name"); v != "Q" {
			t.Fatalf("given_name %q", v)
		}

		// A new address: unverified, not yet an alias, and a code on its way.
		out = must(update("email", "quinn2@example.com"))(t)
		if len(out.CodeDeliveryDetailsList) != 1 {
			t.Fatalf("CodeDeliveryDetailsList %+v", out.CodeDeliveryDetailsList)
		}
		wantDelivery(t, &out.CodeDeliveryDetailsList[0], types.DeliveryMediumTypeEmail, "email", "q***@e***.com")
		codes := outbox(t, p, url.Values{"pool": {s.poolID}, "kind": {"ATTRIBUTE_VERIFICATION"}, "destination": {"quinn2@example.com"}})
		if len(codes) != 1 {
			t.Fatalf("attribute codes %+v", codes)
		}
		if v, _ := attrValue(me(), "email_verified"); v != "false" {
			t.Fatalf("changed address email_verified %q", v)
		}
		_, err := s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn2@example.com")})
		wantAPIError(t, err, "UserNotFoundException")
		wantMessage(t, verify("email", wrongCode(codes[0].Code)), "CodeMismatchException", "Invalid verification code provided, please try again.")
		if err := verify("email", codes[0].Code); err != nil {
			t.Fatal(err)
		}
		if v, _ := attrValue(me(), "email_verified"); v != "true" {
			t.Fatalf("verified address email_verified %q", v)
		}
		if got := s.user(t, "quinn2@example.com"); aws.ToString(got.Username) != "quinn" {
			t.Fatal("the verified address is not an alias")
		}
		wantMessage(t, verify("email", codes[0].Code), "ExpiredCodeException", "Invalid code provided, please request a code again.")

		// What a user may not write.
		_, err = update("email_verified", "true")
		wantMessage(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
		_, err = update("sub", "x")
		wantAPIError(t, err, "InvalidParameterException")
		_, err = update("custom:unknown", "x")
		wantAPIError(t, err, "InvalidParameterException")

		// Asking for a code.
		sentCode := must(getCode("email"))(t)
		wantDelivery(t, sentCode.CodeDeliveryDetails, types.DeliveryMediumTypeEmail, "email", "q***@e***.com")
		if err := verify("email", s.lastCode(t, "ATTRIBUTE_VERIFICATION", "quinn")); err != nil {
			t.Fatal(err)
		}
		_, err = getCode("given_name")
		wantAPIError(t, err, "InvalidParameterException")
		_, err = getCode("phone_number") // not set
		wantAPIError(t, err, "InvalidParameterException")
		wantAPIError(t, verify("phone_number", "123456"), "InvalidParameterException")
		wantAPIError(t, verify("email", "123456"), "ExpiredCodeException") // none pending

		// Verifying an address someone else holds as an alias.
		s.confirmedUser(t, "ann")
		must(update("email", "ann@example.com"))(t)
		wantMessage(t, verify("email", s.lastCode(t, "ATTRIBUTE_VERIFICATION", "quinn")), "AliasExistsException", "An account with the given email already exists.")
		if v, _ := attrValue(me(), "email_verified"); v != "false" {
			t.Fatalf("after a refused verification email_verified %q", v)
		}

		// Deleting attributes.
		must(s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{}}))(t)
		must(s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"family_name"}}))(t)
		if _, ok := attrValue(me(), "family_name"); ok {
			t.Fatal("family_name not deleted")
		}
		_, err = s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"email_verified"}})
		wantMessage(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
		_, err = s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"sub"}})
		wantAPIError(t, err, "InvalidParameterException")
		must(s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"email"}}))(t)
		left := me()
		_, hasEmail := attrValue(left, "email")
		_, hasVerified := attrValue(left, "email_verified")
		if hasEmail || hasVerified {
			t.Fatalf("after deleting email: %v", left)
		}
	})
}

func TestAttributeWritesFollowTheClient(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, func(in *cip.CreateUserPoolInput) { in.AutoVerifiedAttributes = nil },
			func(in *cip.CreateUserPoolClientInput) { in.WriteAttributes = []string{"given_name", "email"} })
		s.confirmedUser(t, "quinn", "family_name", "Smith")
		token := s.accessToken(t, "quinn", password)
		_, err := s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: attrs("family_name", "Jones")})
		wantMessage(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")
		_, err = s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: token, UserAttributeNames: []string{"family_name"}})
		wantAPIError(t, err, "NotAuthorizedException")
		must(s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: attrs("given_name", "Q")}))(t)

		// Without automatic verification a changed address gets no code, and a code asked for
		// the old address no longer verifies anything.
		must(s.c.GetUserAttributeVerificationCode(ctx(t), &cip.GetUserAttributeVerificationCodeInput{AccessToken: token, AttributeName: aws.String("email")}))(t)
		old := s.lastCode(t, "ATTRIBUTE_VERIFICATION", "quinn")
		out := must(s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: token, UserAttributes: attrs("email", "quinn2@example.com")}))(t)
		if len(out.CodeDeliveryDetailsList) != 0 {
			t.Fatalf("a pool that verifies nothing sent %+v", out.CodeDeliveryDetailsList)
		}
		_, err = s.c.VerifyUserAttribute(ctx(t), &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: &old})
		wantAPIError(t, err, "ExpiredCodeException")
	})
}

func TestDeleteUserTakesItsCodes(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		s.confirmedUser(t, "quinn")
		must(s.forgot(t, "quinn"))(t)
		code := s.lastCode(t, "FORGOT_PASSWORD", "quinn")
		must(s.c.DeleteUser(ctx(t), &cip.DeleteUserInput{AccessToken: s.accessToken(t, "quinn", password)}))(t)
		_, err := s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: aws.String("quinn")})
		wantAPIError(t, err, "UserNotFoundException")
		// A new user of the same name does not inherit the old one's code.
		s.confirmedUser(t, "quinn")
		wantAPIError(t, s.confirmForgot(t, "quinn", code, "a new password 2"), "ExpiredCodeException")
	})
}

// Every operation that takes an access token refuses one whose session has ended.
func TestAccessTokenOperationsRefuseEndedSessions(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSelfSetup(t, p, nil)
		ops := map[string]func(token *string) error{
			"GetUser": func(tok *string) error {
				_, err := s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: tok})
				return err
			},
			"GlobalSignOut": func(tok *string) error {
				_, err := s.c.GlobalSignOut(ctx(t), &cip.GlobalSignOutInput{AccessToken: tok})
				return err
			},
			"ChangePassword": func(tok *string) error {
				_, err := s.c.ChangePassword(ctx(t), &cip.ChangePasswordInput{AccessToken: tok, PreviousPassword: aws.String(password), ProposedPassword: aws.String("a new password 2")})
				return err
			},
			"UpdateUserAttributes": func(tok *string) error {
				_, err := s.c.UpdateUserAttributes(ctx(t), &cip.UpdateUserAttributesInput{AccessToken: tok, UserAttributes: attrs("given_name", "X")})
				return err
			},
			"DeleteUserAttributes": func(tok *string) error {
				_, err := s.c.DeleteUserAttributes(ctx(t), &cip.DeleteUserAttributesInput{AccessToken: tok, UserAttributeNames: []string{"given_name"}})
				return err
			},
			"DeleteUser": func(tok *string) error {
				_, err := s.c.DeleteUser(ctx(t), &cip.DeleteUserInput{AccessToken: tok})
				return err
			},
			"GetUserAttributeVerificationCode": func(tok *string) error {
				_, err := s.c.GetUserAttributeVerificationCode(ctx(t), &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok, AttributeName: aws.String("email")})
				return err
			},
			"VerifyUserAttribute": func(tok *string) error {
				_, err := s.c.VerifyUserAttribute(ctx(t), &cip.VerifyUserAttributeInput{AccessToken: tok, AttributeName: aws.String("email"), Code: aws.String("123456")})
				return err
			},
		}
		ends := []struct {
			name string
			want string
			end  func(username string, tokens *types.AuthenticationResultType)
		}{
			{"GlobalSignOut", "NotAuthorizedException", func(_ string, r *types.AuthenticationResultType) {
				must(s.c.GlobalSignOut(ctx(t), &cip.GlobalSignOutInput{AccessToken: r.AccessToken}))(t)
			}},
			{"RevokeToken", "NotAuthorizedException", func(_ string, r *types.AuthenticationResultType) {
				must(s.c.RevokeToken(ctx(t), &cip.RevokeTokenInput{ClientId: &s.clientID, Token: r.RefreshToken}))(t)
			}},
			{"disabled", "NotAuthorizedException", func(u string, _ *types.AuthenticationResultType) {
				must(s.c.AdminDisableUser(ctx(t), &cip.AdminDisableUserInput{UserPoolId: &s.poolID, Username: &u}))(t)
			}},
			// A deleted user's token is answered as GetUser has always answered it: the user
			// does not exist.
			{"deleted", "UserNotFoundException", func(u string, _ *types.AuthenticationResultType) {
				must(s.c.AdminDeleteUser(ctx(t), &cip.AdminDeleteUserInput{UserPoolId: &s.poolID, Username: &u}))(t)
			}},
		}
		i := 0
		for _, end := range ends {
			for op, call := range ops {
				i++
				name := fmt.Sprintf("user%d", i)
				s.confirmedUser(t, name, "given_name", "G")
				tokens := must(s.login(t, name, password))(t).AuthenticationResult
				end.end(name, tokens)
				if err := call(tokens.AccessToken); err == nil {
					t.Errorf("%s after %s succeeded", op, end.name)
				} else {
					wantAPIError(t, err, end.want)
				}
			}
		}
	})
}

// Each hourly limit: the count that fills it passes, the next is refused even when right, up to
// the last second of the hour, and the hour after its first count a new one begins.
func TestSelfServiceLimits(t *testing.T) {
	eachClocked(t, func(t *testing.T, p *pooltest.Pool, clock *pooltest.Clock) {
		s := newSelfSetup(t, p, nil)
		limited := func(err error) {
			t.Helper()
			wantMessage(t, err, "LimitExceededException", "Attempt limit exceeded, please try after some time.")
		}
		must(s.signUp(t, "rex", password, "email", "rex@example.com"))(t)
		must(s.signUp(t, "roy", password, "email", "roy@example.com"))(t)
		s.confirmedUser(t, "fay")
		s.confirmedUser(t, "gus")
		token := s.accessToken(t, "gus", password)
		getCode := func() error {
			_, err := s.c.GetUserAttributeVerificationCode(ctx(t), &cip.GetUserAttributeVerificationCodeInput{AccessToken: token, AttributeName: aws.String("email")})
			return err
		}
		verify := func(code string) error {
			_, err := s.c.VerifyUserAttribute(ctx(t), &cip.VerifyUserAttributeInput{AccessToken: token, AttributeName: aws.String("email"), Code: &code})
			return err
		}

		// Sends: five an hour.
		for range 5 {
			must(s.resend(t, "rex"))(t)
			must(s.forgot(t, "fay"))(t)
			if err := getCode(); err != nil {
				t.Fatal(err)
			}
		}
		_, err := s.resend(t, "rex")
		limited(err)
		_, err = s.forgot(t, "fay")
		limited(err)
		limited(getCode())
		must(s.resend(t, "roy"))(t) // limits are per user

		// Failed code checks: 15, 10 and 15 an hour, then even the right code is refused.
		signUpCode := s.lastCode(t, "SIGNUP", "rex")
		forgotCode := s.lastCode(t, "FORGOT_PASSWORD", "fay")
		attrCode := s.lastCode(t, "ATTRIBUTE_VERIFICATION", "gus")
		for range 15 {
			wantAPIError(t, s.confirmSignUp(t, "rex", wrongCode(signUpCode), false), "CodeMismatchException")
			wantAPIError(t, verify(wrongCode(attrCode)), "CodeMismatchException")
		}
		for range 10 {
			wantAPIError(t, s.confirmForgot(t, "fay", wrongCode(forgotCode), "a new password 2"), "CodeMismatchException")
		}
		limited(s.confirmSignUp(t, "rex", signUpCode, false))
		limited(verify(attrCode))
		limited(s.confirmForgot(t, "fay", forgotCode, "a new password 2"))

		clock.Advance(time.Hour - time.Second)
		_, err = s.resend(t, "rex")
		limited(err)
		_, err = s.forgot(t, "fay")
		limited(err)
		limited(getCode())
		limited(s.confirmSignUp(t, "rex", signUpCode, false))
		limited(verify(attrCode))
		limited(s.confirmForgot(t, "fay", forgotCode, "a new password 2"))

		clock.Advance(time.Second)
		if err := verify(attrCode); err != nil {
			t.Fatalf("an hour on: %v", err)
		}
		must(s.resend(t, "rex"))(t)
		if err := s.confirmSignUp(t, "rex", s.lastCode(t, "SIGNUP", "rex"), false); err != nil {
			t.Fatal(err)
		}
		must(s.forgot(t, "fay"))(t)
		if err := s.confirmForgot(t, "fay", s.lastCode(t, "FORGOT_PASSWORD", "fay"), "a new password 2"); err != nil {
			t.Fatal(err)
		}
		if err := getCode(); err != nil {
			t.Fatal(err)
		}
	})
}

// Codes and limits live in the database, so nodes sharing one agree on them: a code sent by
// one node is used up on another, two nodes racing with one code let one through, and
// attempts on either node fill the same window.
func TestTwoNodesShareCodesAndLimits(t *testing.T) {
	dsn := pooltest.DSN(t, pooltest.Postgres)
	a := pooltest.Start(t, dsn)
	b := pooltest.Start(t, dsn, func(cfg *serverConfig) { cfg.PublicURL = a.URL })
	s := newSelfSetup(t, a, nil)
	onB := s
	onB.c = b.Admin()
	s.confirmedUser(t, "olga")

	must(s.forgot(t, "olga"))(t)
	code := s.lastCode(t, "FORGOT_PASSWORD", "olga")
	errs := make(chan error, 2)
	for _, node := range []signInSetup{s, onB} {
		go func() { errs <- node.confirmForgot(t, "olga", code, "a new password 2") }()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("one code used on two nodes at once: %v / %v", e1, e2)
	}
	if e1 == nil {
		e1 = e2
	}
	wantAPIError(t, e1, "ExpiredCodeException")

	for i := range 4 { // the first ForgotPassword counted one
		node := s
		if i%2 == 0 {
			node = onB
		}
		must(node.forgot(t, "olga"))(t)
	}
	_, err := s.forgot(t, "olga")
	wantAPIError(t, err, "LimitExceededException")
	_, err = onB.forgot(t, "olga")
	wantAPIError(t, err, "LimitExceededException")
}
