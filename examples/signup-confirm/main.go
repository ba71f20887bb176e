package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/examples/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "signup-confirm:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("signup-confirm", flag.ContinueOnError)
	username := fs.String("username", "alice", "username to sign up")
	password := fs.String("password", "Correct-Horse-42", "password")
	email := fs.String("email", "alice@example.com", "e-mail address the code is sent to")
	resend := fs.Bool("resend", false, "ask for a second code before confirming")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := demo.Setup(ctx, in, out)
	if err != nil {
		return err
	}
	defer env.Close()
	c := env.Client

	res, err := c.SignUp(ctx, *username, *password, map[string]string{"email": *email})
	switch {
	case errors.Is(err, cognito.ErrUsernameExists):
		return fmt.Errorf("%s is taken", *username)
	case errors.Is(err, cognito.ErrPasswordPolicy):
		return fmt.Errorf("the password is too weak: %w", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "signed up %s (sub %s)\n", *username, res.UserSub)
	delivery := res.Delivery
	if !res.Confirmed {
		if *resend {
			if delivery, err = c.ResendConfirmationCode(ctx, *username); err != nil {
				return err
			}
			fmt.Fprintln(out, "sent a new code")
		}
		code, err := env.Code(ctx, *username, cognitotest.KindSignUp, delivery)
		if err != nil {
			return err
		}
		if err := c.ConfirmSignUp(ctx, *username, code); err != nil {
			return err
		}
		fmt.Fprintln(out, "confirmed")
	}

	login, err := c.Login(ctx, *username, *password)
	if err != nil {
		return err
	}
	if login.Challenge != nil {
		return fmt.Errorf("sign-in needs another step: %s", login.Challenge.Name)
	}
	fmt.Fprintf(out, "signed in; tokens valid for %s\n", time.Until(login.Tokens.ExpiresAt).Round(time.Minute))
	return nil
}
