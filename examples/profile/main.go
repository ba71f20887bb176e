package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/examples/internal/demo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	username := fs.String("username", "dave", "username")
	password := fs.String("password", "Correct-Horse-42", "password")
	newEmail := fs.String("new-email", "dave@example.org", "e-mail address to change to and verify")
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
			Attributes: map[string]string{"email": *username + "@example.com", "email_verified": "true", "locale": "en"}})
		if err != nil {
			return err
		}
		if err := c.AdminSetPassword(ctx, *username, *password, true); err != nil {
			return err
		}
	}
	res, err := c.Login(ctx, *username, *password)
	if err != nil {
		return err
	}
	if res.Tokens == nil {
		return fmt.Errorf("sign-in needs another step: %s", res.Challenge.Name)
	}
	access := res.Tokens.Access
	show := func(when string) error {
		p, err := c.Profile(ctx, access)
		if err != nil {
			return err
		}
		var kv []string
		for _, name := range slices.Sorted(maps.Keys(p.Attributes)) {
			if name != "sub" {
				kv = append(kv, name+"="+p.Attributes[name])
			}
		}
		fmt.Fprintf(out, "%s: %s %s\n", when, p.Username, strings.Join(kv, " "))
		return nil
	}
	if err := show("profile"); err != nil {
		return err
	}

	if _, err := c.UpdateProfile(ctx, access, map[string]string{"name": "Dave", "locale": ""}); err != nil {
		return err
	}
	if _, err := c.SetPhoneNumber(ctx, access, "+14155550100"); err != nil {
		return err
	}
	if err := show("edited"); err != nil {
		return err
	}

	deliveries, err := c.UpdateProfile(ctx, access, map[string]string{"email": *newEmail})
	if err != nil {
		return err
	}
	var d *cognito.CodeDelivery
	if len(deliveries) > 0 {
		d = &deliveries[0]
	}
	code, err := env.Code(ctx, *username, cognitotest.KindAttributeVerification, d)
	if err != nil {
		return err
	}
	if err := c.VerifyAttribute(ctx, access, "email", code); err != nil {
		return err
	}
	if err := show("verified"); err != nil {
		return err
	}

	if err := c.ChangePassword(ctx, access, *password, *password+"-changed"); err != nil {
		return err
	}
	fmt.Fprintln(out, "password changed")
	if err := c.GlobalLogout(ctx, access); err != nil {
		return err
	}
	_, err = c.Profile(ctx, access)
	fmt.Fprintf(out, "signed out everywhere; the old access token is refused: %v\n", err != nil)
	return nil
}
