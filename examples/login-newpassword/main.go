package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/examples/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "login-newpassword:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("login-newpassword", flag.ContinueOnError)
	username := fs.String("username", "bob", "username")
	temporary := fs.String("temporary-password", "Temporary-Pass-1", "temporary password")
	newPassword := fs.String("new-password", "Bobs-Own-Password-2", "the password the user chooses")
	create := fs.Bool("create", true, "create the user first (AdminCreateUser, no invitation sent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := demo.Setup(ctx, in, out)
	if err != nil {
		return err
	}
	defer env.Close()
	c := env.Client

	if *create {
		u, err := c.AdminCreateUser(ctx, cognito.NewUser{Username: *username, TemporaryPassword: *temporary, SuppressMessage: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created %s, status %s\n", u.Username, u.Status)
	}

	res, err := c.Login(ctx, *username, *temporary)
	if err != nil {
		return err
	}
	// A loop, so that a pool that asks for more (an MFA step, say) is reported rather
	// than mistaken for success.
	for res.Challenge != nil {
		ch := res.Challenge
		fmt.Fprintf(out, "challenge %s\n", ch.Name)
		switch ch.Name {
		case cognito.ChallengeNewPasswordRequired:
			attrs := map[string]string{}
			for _, name := range ch.RequiredAttributes() {
				attrs[name] = "example " + name // a real app asks the user
			}
			if res, err = c.RespondNewPassword(ctx, ch, *newPassword, attrs); err != nil {
				return err
			}
		default:
			return fmt.Errorf("this example does not answer %s", ch.Name)
		}
	}
	fmt.Fprintln(out, "signed in with the new password")

	again, err := c.Login(ctx, *username, *newPassword)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "next sign-in gives tokens at once: %v\n", again.Tokens != nil)
	return nil
}
