package cognito_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hashless/hashless/cognito"
)

func TestSignUpConfirmLogin(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		for _, secret := range []bool{false, true} {
			f := newFixture(t, b, poolOptions{secret: secret})
			c := f.c
			res, err := c.SignUp(ctx(t), "alice", pw1, map[string]string{"email": "alice@example.com", "name": "Alice"})
			if err != nil {
				t.Fatalf("SignUp: %v", err)
			}
			if res.UserSub == "" || res.Confirmed {
				t.Fatalf("SignUp result %+v", res)
			}
			if res.Delivery == nil || res.Delivery.Medium != "EMAIL" || res.Delivery.AttributeName != "email" {
				t.Fatalf("SignUp delivery %+v", res.Delivery)
			}

			_, err = c.Login(ctx(t), "alice", pw1)
			wantErr(t, err, cognito.ErrUserNotConfirmed, "UserNotConfirmedException")

			if !b.moto() { // moto checks no sign-up code at all
				err = c.ConfirmSignUp(ctx(t), "alice", "000000")
				wantErr(t, err, cognito.ErrCodeMismatch, "CodeMismatchException")
			}
			if err := c.ConfirmSignUp(ctx(t), "alice", b.code(t, f.poolID, "alice", "SIGNUP")); err != nil {
				t.Fatalf("ConfirmSignUp: %v", err)
			}

			before := time.Now()
			tok := f.login(t, c, "alice", pw1)
			if tok.ID == "" || tok.Access == "" || tok.Refresh == "" || tok.TokenType != "Bearer" {
				t.Fatalf("tokens %+v", tok)
			}
			if tok.ExpiresAt.Before(before.Add(59*time.Minute)) || tok.ExpiresAt.After(time.Now().Add(61*time.Minute)) {
				t.Fatalf("ExpiresAt %v is not an hour from now", tok.ExpiresAt)
			}

			prof, err := c.Profile(ctx(t), tok.Access)
			if err != nil {
				t.Fatalf("Profile: %v", err)
			}
			if prof.Username != "alice" || prof.Attributes["email"] != "alice@example.com" || prof.Attributes["name"] != "Alice" ||
				prof.Attributes["sub"] != res.UserSub {
				t.Fatalf("profile %+v", prof)
			}
			// Confirming with the code sent to the e-mail verifies it; moto leaves it unverified.
			if want := map[bool]string{false: "true", true: ""}[b.moto()]; prof.Attributes["email_verified"] != want {
				t.Fatalf("email_verified after confirmation is %q", prof.Attributes["email_verified"])
			}

			refreshed, err := c.Refresh(ctx(t), tok.Refresh, "alice")
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if refreshed.Access == "" || refreshed.ID == "" || refreshed.Refresh != tok.Refresh {
				t.Fatalf("refreshed tokens %+v", refreshed)
			}
			if _, err := c.Profile(ctx(t), refreshed.Access); err != nil {
				t.Fatalf("Profile with a refreshed token: %v", err)
			}
		}
	})
}

func TestSignUpRefusals(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "bob")

		_, err := f.c.SignUp(ctx(t), "bob", pw2, nil)
		wantErr(t, err, cognito.ErrUsernameExists, "UsernameExistsException")

		_, err = f.c.SignUp(ctx(t), "weak", "short1", nil)
		wantErr(t, err, cognito.ErrPasswordPolicy, "InvalidPasswordException")
		_, err = f.c.SignUp(ctx(t), "weak", "nodigitshere", nil)
		wantErr(t, err, cognito.ErrPasswordPolicy, "InvalidPasswordException")

		_, err = f.c.Login(ctx(t), "bob", pw2)
		wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")

		// With PreventUserExistenceErrors LEGACY (the default), Cognito tells.
		_, err = f.c.Login(ctx(t), "nobody", pw1)
		wantErr(t, err, cognito.ErrUserNotFound, "UserNotFoundException")
	})
}

func TestPreventUserExistenceErrors(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{preventExistence: true})
		_, err := f.c.Login(ctx(t), "nobody", pw1)
		if b.moto() {
			// moto ignores the client setting and always answers UserNotFoundException.
			wantErr(t, err, cognito.ErrUserNotFound, "UserNotFoundException")
			return
		}
		wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
	})
}

func TestResendConfirmationCode(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.skipOnMoto(t, "ResendConfirmationCode is not implemented")
		f := newFixture(t, b, poolOptions{secret: true})
		if _, err := f.c.SignUp(ctx(t), "carol", pw1, map[string]string{"email": "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		first := b.code(t, f.poolID, "carol", "SIGNUP")
		d, err := f.c.ResendConfirmationCode(ctx(t), "carol")
		if err != nil {
			t.Fatalf("ResendConfirmationCode: %v", err)
		}
		if d == nil || d.Medium != "EMAIL" {
			t.Fatalf("delivery %+v", d)
		}
		second := b.code(t, f.poolID, "carol", "SIGNUP")
		if second == first {
			t.Log("the resent code equals the first one (possible, if unlikely)")
		}
		if err := f.c.ConfirmSignUp(ctx(t), "carol", second); err != nil {
			t.Fatalf("ConfirmSignUp with the resent code: %v", err)
		}
		f.login(t, f.c, "carol", pw1)
	})
}

func TestForgotPassword(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		for _, secret := range []bool{false, true} {
			f := newFixture(t, b, poolOptions{secret: secret})
			f.confirmedUser(t, "dave")
			d, err := f.c.ForgotPassword(ctx(t), "dave")
			if err != nil {
				t.Fatalf("ForgotPassword: %v", err)
			}
			if d == nil || d.Medium != "EMAIL" || d.Destination == "" {
				t.Fatalf("delivery %+v", d)
			}
			if !b.moto() {
				err = f.c.ConfirmForgotPassword(ctx(t), "dave", "000000", pw2)
				wantErr(t, err, cognito.ErrCodeMismatch, "CodeMismatchException")
			}
			code := b.code(t, f.poolID, "dave", "FORGOT_PASSWORD")
			err = f.c.ConfirmForgotPassword(ctx(t), "dave", code, "weak")
			if !b.moto() { // moto checks no password policy here
				wantErr(t, err, cognito.ErrPasswordPolicy, "InvalidPasswordException")
			}
			if err := f.c.ConfirmForgotPassword(ctx(t), "dave", code, pw2); err != nil {
				t.Fatalf("ConfirmForgotPassword: %v", err)
			}
			_, err = f.c.Login(ctx(t), "dave", pw1)
			wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
			f.login(t, f.c, "dave", pw2)
		}
	})
}

func TestChangePassword(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "erin")
		tok := f.login(t, f.c, "erin", pw1)
		err := f.c.ChangePassword(ctx(t), tok.Access, pw3, pw2)
		wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
		err = f.c.ChangePassword(ctx(t), tok.Access, pw1, "weak")
		wantErr(t, err, cognito.ErrPasswordPolicy, "InvalidPasswordException")
		if err := f.c.ChangePassword(ctx(t), tok.Access, pw1, pw2); err != nil {
			t.Fatalf("ChangePassword: %v", err)
		}
		f.login(t, f.c, "erin", pw2)
	})
}

func TestGlobalLogout(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "frank")
		tok := f.login(t, f.c, "frank", pw1)
		if err := f.c.GlobalLogout(ctx(t), tok.Access); err != nil {
			t.Fatalf("GlobalLogout: %v", err)
		}
		_, err := f.c.Refresh(ctx(t), tok.Refresh, "frank")
		wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
		_, err = f.c.Profile(ctx(t), tok.Access)
		wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
		// Signing in again works.
		f.login(t, f.c, "frank", pw1)
	})
}

func TestRevokeRefreshToken(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.skipOnMoto(t, "RevokeToken is not implemented")
		for _, secret := range []bool{false, true} {
			f := newFixture(t, b, poolOptions{secret: secret})
			f.confirmedUser(t, "gina")
			one := f.login(t, f.c, "gina", pw1)
			two := f.login(t, f.c, "gina", pw1)
			if err := f.c.RevokeRefreshToken(ctx(t), one.Refresh); err != nil {
				t.Fatalf("RevokeRefreshToken: %v", err)
			}
			_, err := f.c.Refresh(ctx(t), one.Refresh, "gina")
			wantErr(t, err, cognito.ErrNotAuthorized, "NotAuthorizedException")
			// The other session is untouched.
			if _, err := f.c.Refresh(ctx(t), two.Refresh, "gina"); err != nil {
				t.Fatalf("Refresh of another session: %v", err)
			}
		}
	})
}

func TestUpdateProfile(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "hana")
		tok := f.login(t, f.c, "hana", pw1)
		if _, err := f.c.UpdateProfile(ctx(t), tok.Access, map[string]string{"name": "Hana", "family_name": "Ito"}); err != nil {
			t.Fatalf("UpdateProfile: %v", err)
		}
		prof, err := f.c.Profile(ctx(t), tok.Access)
		if err != nil {
			t.Fatal(err)
		}
		if prof.Attributes["name"] != "Hana" || prof.Attributes["family_name"] != "Ito" {
			t.Fatalf("attributes %v", prof.Attributes)
		}
		if b.moto() {
			t.Skip("moto: DeleteUserAttributes is not implemented")
		}
		if _, err := f.c.UpdateProfile(ctx(t), tok.Access, map[string]string{"name": "H. Ito", "family_name": ""}); err != nil {
			t.Fatalf("UpdateProfile with a deletion: %v", err)
		}
		prof, err = f.c.Profile(ctx(t), tok.Access)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := prof.Attributes["family_name"]; ok || prof.Attributes["name"] != "H. Ito" {
			t.Fatalf("attributes after delete %v", prof.Attributes)
		}
		_, err = f.c.UpdateProfile(ctx(t), tok.Access, map[string]string{"custom:nope": "x"})
		wantErr(t, err, cognito.ErrInvalidParameter, "InvalidParameterException")
	})
}

func TestVerifyAttribute(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		b.skipOnMoto(t, "GetUserAttributeVerificationCode and VerifyUserAttribute are not implemented")
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "ivan")
		tok := f.login(t, f.c, "ivan", pw1)
		deliveries, err := f.c.UpdateProfile(ctx(t), tok.Access, map[string]string{"email": "ivan@example.org"})
		if err != nil {
			t.Fatalf("UpdateProfile: %v", err)
		}
		if len(deliveries) != 1 || deliveries[0].AttributeName != "email" {
			t.Fatalf("deliveries %+v", deliveries)
		}
		prof, _ := f.c.Profile(ctx(t), tok.Access)
		if prof.Attributes["email_verified"] != "false" {
			t.Fatalf("a changed e-mail is verified: %v", prof.Attributes)
		}
		d, err := f.c.GetAttributeVerificationCode(ctx(t), tok.Access, "email")
		if err != nil || d == nil || d.AttributeName != "email" {
			t.Fatalf("GetAttributeVerificationCode: %+v %v", d, err)
		}
		err = f.c.VerifyAttribute(ctx(t), tok.Access, "email", "000000")
		wantErr(t, err, cognito.ErrCodeMismatch, "CodeMismatchException")
		code := b.code(t, f.poolID, "ivan", "ATTRIBUTE_VERIFICATION")
		if err := f.c.VerifyAttribute(ctx(t), tok.Access, "email", code); err != nil {
			t.Fatalf("VerifyAttribute: %v", err)
		}
		prof, _ = f.c.Profile(ctx(t), tok.Access)
		if prof.Attributes["email_verified"] != "true" || prof.Attributes["email"] != "ivan@example.org" {
			t.Fatalf("attributes after verification %v", prof.Attributes)
		}
	})
}

func TestSetPhoneNumber(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{})
		f.confirmedUser(t, "jo")
		tok := f.login(t, f.c, "jo", pw1)
		if _, err := f.c.SetPhoneNumber(ctx(t), tok.Access, "+14155550100"); err != nil {
			t.Fatalf("SetPhoneNumber: %v", err)
		}
		prof, _ := f.c.Profile(ctx(t), tok.Access)
		if prof.Attributes["phone_number"] != "+14155550100" {
			t.Fatalf("attributes %v", prof.Attributes)
		}
		_, err := f.c.SetPhoneNumber(ctx(t), tok.Access, "0155 5501")
		var ae *cognito.ArgumentError
		if !errors.As(err, &ae) || ae.Arg != "phone" {
			t.Fatalf("a malformed number: %v", err)
		}
		if b.moto() {
			t.Skip("moto: DeleteUserAttributes is not implemented")
		}
		if _, err := f.c.SetPhoneNumber(ctx(t), tok.Access, ""); err != nil {
			t.Fatalf("SetPhoneNumber(\"\"): %v", err)
		}
		prof, _ = f.c.Profile(ctx(t), tok.Access)
		if _, ok := prof.Attributes["phone_number"]; ok {
			t.Fatalf("phone number not deleted: %v", prof.Attributes)
		}
	})
}

func TestSecretHashRequired(t *testing.T) {
	each(t, func(t *testing.T, b *backend) {
		f := newFixture(t, b, poolOptions{secret: true})
		f.confirmedUser(t, "kim")
		wrong := f.client(t, func(c *cognito.Config) { c.ClientSecret = "not-the-secret" })
		none := f.client(t, func(c *cognito.Config) { c.ClientSecret = "" })
		_, errWrong := wrong.Login(ctx(t), "kim", pw1)
		_, errNone := none.Login(ctx(t), "kim", pw1)
		_, errSignUp := wrong.SignUp(ctx(t), "lee", pw1, nil)
		if b.moto() {
			// moto checks SECRET_HASH only for SRP and refresh, not for USER_PASSWORD_AUTH
			// or SignUp, where Cognito requires it.
			if errWrong != nil || errNone != nil || errSignUp != nil {
				t.Fatalf("moto now checks SECRET_HASH (%v, %v, %v): drop this exception", errWrong, errNone, errSignUp)
			}
		} else {
			wantErr(t, errWrong, cognito.ErrNotAuthorized, "NotAuthorizedException")
			wantErr(t, errNone, cognito.ErrNotAuthorized, "NotAuthorizedException")
			wantErr(t, errSignUp, cognito.ErrNotAuthorized, "NotAuthorizedException")
		}
		// Refresh of a secret client needs the username for SECRET_HASH.
		tok := f.login(t, f.c, "kim", pw1)
		_, err := f.c.Refresh(ctx(t), tok.Refresh, "")
		if !errors.Is(err, cognito.ErrInvalidParameter) {
			t.Fatalf("Refresh without a username: %v", err)
		}
	})
}
