package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
)

// Env is where an example runs.
type Env struct {
	Client *cognito.Client
	// Local is the pool started in the process, or nil for a pool named by the environment.
	Local *cognitotest.Pool
	in    *bufio.Reader
	out   io.Writer
}

// Setup returns the example's Env; Close it when done.
func Setup(ctx context.Context, in io.Reader, out io.Writer) (*Env, error) {
	e := &Env{in: bufio.NewReader(in), out: out}
	if os.Getenv(cognito.EnvUserPoolID) != "" {
		c, err := cognito.FromEnv()
		if err != nil {
			return nil, err
		}
		e.Client = c
		fmt.Fprintf(out, "using pool %s from the environment\n", c.UserPoolID())
		return e, nil
	}
	p, err := cognitotest.Start(ctx, cognitotest.Options{ClientSecret: true})
	if err != nil {
		return nil, err
	}
	c, err := cognito.New(p.Config())
	if err != nil {
		p.Close()
		return nil, err
	}
	e.Client, e.Local = c, p
	fmt.Fprintf(out, "no %s set: started a local pool at %s\n", cognito.EnvUserPoolID, p.URL)
	return e, nil
}

// Code returns the code of kind (cognitotest.KindSignUp, …) sent to username.
func (e *Env) Code(ctx context.Context, username, kind string, d *cognito.CodeDelivery) (string, error) {
	if e.Local != nil {
		code, err := e.Local.Code(ctx, username, kind)
		if err == nil {
			fmt.Fprintf(e.out, "(read code %s from the local pool's outbox)\n", code)
		}
		return code, err
	}
	where := "you"
	if d != nil {
		where = d.Destination
	}
	fmt.Fprintf(e.out, "enter the code sent to %s: ", where)
	line, err := e.in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the code: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// Close stops the local pool, if any.
func (e *Env) Close() {
	if e.Local != nil {
		e.Local.Close()
	}
}
