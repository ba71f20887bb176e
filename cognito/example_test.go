package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
)

// startPool runs a throwaway pool for an example. Against AWS, the client would come from
// cognito.New with the pool's real IDs, or cognito.FromEnv.
func startPool() (*cognitotest.Pool, *cognito.Client) {
	p, err := cognitotest.Start(context.Background(), cognitotest.Options{ClientSecret: true})
	if err != nil {
		log.Fatal(err)
	}
	c, err := cognito.New(p.Config())
	if err != nil {
		log.Fatal(err)
	}
	return p, c
}

// A user signs up, receives a code by e-mail and confirms the account with it.
func ExampleClient_SignUp() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()

	res, err := client.SignUp(ctx, "alice", "Correct-Horse-42", map[string]string{"email": "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("confirmed:", res.Confirmed, "code sent by", res.Delivery.Medium, "to", res.Delivery.AttributeName)

	// The user types in the code from the e-mail; here it is read from the pool's outbox.
	code, err := pool.Code(ctx, "alice", cognitotest.KindSignUp)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.ConfirmSignUp(ctx, "alice", "000000"); errors.Is(err, cognito.ErrCodeMismatch) {
		fmt.Println("wrong code:", err.(*cognito.Error).Message)
	}
	if err := client.ConfirmSignUp(ctx, "alice", code); err != nil {
		log.Fatal(err)
	}
	fmt.Println("confirmed")
	// Output:
	// confirmed: false code sent by EMAIL to email
	// wrong code: Invalid verification code provided, please try again.
	// confirmed
}

// Login gives tokens, or a challenge when another step is needed.
func ExampleClient_Login() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()
	signUpAndConfirm(ctx, pool, client, "bob", "Correct-Horse-42")

	if _, err := client.Login(ctx, "bob", "wrong-Password-1"); errors.Is(err, cognito.ErrNotAuthorized) {
		fmt.Println("refused:", err.(*cognito.Error).Message)
	}
	res, err := client.Login(ctx, "bob@example.com", "Correct-Horse-42") // any alias works
	if err != nil {
		log.Fatal(err)
	}
	switch {
	case res.Tokens != nil:
		fmt.Println("signed in; token type", res.Tokens.TokenType)
	case res.Challenge != nil:
		fmt.Println("next step:", res.Challenge.Name)
	}
	// Output:
	// refused: Incorrect username or password.
	// signed in; token type Bearer
}

// A user created by an administrator signs in with the temporary password and must choose
// a new one.
func ExampleClient_RespondNewPassword() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()

	_, err := client.AdminCreateUser(ctx, cognito.NewUser{
		Username: "carol", TemporaryPassword: "Temporary-Pass-1",
		Attributes: map[string]string{"email": "carol@example.com", "email_verified": "true"},
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Login(ctx, "carol", "Temporary-Pass-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("challenge:", res.Challenge.Name)

	res, err = client.RespondNewPassword(ctx, res.Challenge, "Her-Own-Password-2", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in:", res.Tokens != nil)
	// Output:
	// challenge: NEW_PASSWORD_REQUIRED
	// signed in: true
}

// Refresh trades a refresh token for new ID and access tokens.
func ExampleClient_Refresh() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()
	signUpAndConfirm(ctx, pool, client, "dave", "Correct-Horse-42")
	res, err := client.Login(ctx, "dave", "Correct-Horse-42")
	if err != nil {
		log.Fatal(err)
	}

	// With an app client secret, the username is part of SECRET_HASH.
	fresh, err := client.Refresh(ctx, res.Tokens.Refresh, "dave")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new access token:", fresh.Access != "", "same refresh token:", fresh.Refresh == res.Tokens.Refresh)

	if err := client.GlobalLogout(ctx, fresh.Access); err != nil {
		log.Fatal(err)
	}
	_, err = client.Refresh(ctx, res.Tokens.Refresh, "dave")
	fmt.Println("after global logout:", errors.Is(err, cognito.ErrNotAuthorized))
	// Output:
	// new access token: true same refresh token: true
	// after global logout: true
}

// Profile reads the signed-in user's attributes; UpdateProfile changes them, and an empty
// value deletes one.
func ExampleClient_Profile() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()
	signUpAndConfirm(ctx, pool, client, "erin", "Correct-Horse-42")
	res, err := client.Login(ctx, "erin", "Correct-Horse-42")
	if err != nil {
		log.Fatal(err)
	}
	access := res.Tokens.Access

	if _, err := client.UpdateProfile(ctx, access, map[string]string{"name": "Erin", "locale": "fr"}); err != nil {
		log.Fatal(err)
	}
	if _, err := client.UpdateProfile(ctx, access, map[string]string{"locale": ""}); err != nil {
		log.Fatal(err)
	}
	profile, err := client.Profile(ctx, access)
	if err != nil {
		log.Fatal(err)
	}
	_, hasLocale := profile.Attributes["locale"]
	fmt.Println(profile.Username, profile.Attributes["name"], profile.Attributes["email"], profile.Attributes["email_verified"], hasLocale)
	// Output:
	// erin Erin erin@example.com true false
}

// Users walks every user matching a filter, page by page.
func ExampleClient_Users() {
	ctx := context.Background()
	pool, client := startPool()
	defer pool.Close()
	for _, name := range []string{"fay", "gus", "hal"} {
		_, err := client.AdminCreateUser(ctx, cognito.NewUser{Username: name, SuppressMessage: true,
			Attributes: map[string]string{"email": name + "@example.com"}})
		if err != nil {
			log.Fatal(err)
		}
	}
	opts := cognito.ListUsersOptions{Filter: cognito.FilterEquals("email", "gus@example.com")}
	for u, err := range client.Users(ctx, opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.Username, u.Status)
	}
	// Output:
	// gus FORCE_CHANGE_PASSWORD
}

// signUpAndConfirm makes a confirmed user with an e-mail, for the examples that start
// signed up.
func signUpAndConfirm(ctx context.Context, pool *cognitotest.Pool, client *cognito.Client, username, password string) {
	if _, err := client.SignUp(ctx, username, password, map[string]string{"email": username + "@example.com"}); err != nil {
		log.Fatal(err)
	}
	code, err := pool.Code(ctx, username, cognitotest.KindSignUp)
	if err != nil {
		log.Fatal(err)
	}
	if err := client.ConfirmSignUp(ctx, username, code); err != nil {
		log.Fatal(err)
	}
}
