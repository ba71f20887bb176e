package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/examples/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "forgot-password:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("forgot-password", flag.ContinueOnError)
	username := fs.String("username", "carol", "username")
	newPassword := fs.String("new-password", "Carols-New-Password-3", "new password")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := demo.Setup(ctx, in, out)
	if err != nil {
		return err
	}
	defer env.Close()
	c := env.Client

	if env.Local != nil {
		_, err := c.AdminCreateUser(ctx, cognito.NewUser{Username: *username, SuppressMessage: true,
			Attributes: map[string]string{"email": *username + "@example.com", "email_verified": "true"}})
		if err != nil {
			return err
		}
		if err := c.AdminSetPassword(ctx, *username, "Forgotten-Password-1", true); err != nil {
			return err
		}
	}

	d, err := c.ForgotPassword(ctx, *username)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "code sent by %s to %s\n", d.Medium, d.Destination)
	code, err := env.Code(ctx, *username, cognitotest.KindForgotPassword, d)
	if err != nil {
		return err
	}
	err = c.ConfirmForgotPassword(ctx, *username, code, *newPassword)
	switch {
	case errors.Is(err, cognito.ErrCodeMismatch):
		return errors.New("that code is wrong; run again for a new one")
	case errors.Is(err, cognito.ErrExpiredCode):
		return errors.New("that code has expired; run again for a new one")
	case err != nil:
		return err
	}
	fmt.Fprintln(out, "password reset")

	res, err := c.Login(ctx, *username, *newPassword)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "signed in with the new password: %v\n", res.Tokens != nil)
	return nil
}
