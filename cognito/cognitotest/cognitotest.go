package cognitotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/pool/server"
)

// Kinds of outbox message, for Pool.Code.
const (
	KindSignUp                = "SIGNUP"
	KindForgotPassword        = "FORGOT_PASSWORD"
	KindAttributeVerification = "ATTRIBUTE_VERIFICATION"
	KindInvitation            = "INVITATION"
)

// CheapKDF makes password hashing nearly free. It is only for throwaway pools.
const CheapKDF = "argon2id:m=64,t=1,p=1"

// Options adjust the pool and app client Start creates.
type Options struct {
	// ClientSecret gives the app client a secret.
	ClientSecret bool
	// EditPool and EditClient change the CreateUserPool and CreateUserPoolClient requests
	// before they are sent.
	EditPool   func(*cip.CreateUserPoolInput)
	EditClient func(*cip.CreateUserPoolClientInput)
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
}

// Pool is a running pool server with one user pool and one app client.
type Pool struct {
	// URL is the server's base URL, the Endpoint of a cognito.Config.
	URL          string
	Region       string
	UserPoolID   string
	ClientID     string
	ClientSecret string

	srv *server.Server
	hs  *httptest.Server
}

// Start runs a pool server on a loopback port, in memory, in development mode (any AWS
// signature is accepted), and creates a user pool in it whose users sign in by username
// or verified e-mail, with e-mail auto-verified on sign-up, Cognito's default password
// policy, and an app client that allows USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and
// refresh. Close stops it.
func Start(ctx context.Context, opts Options) (*Pool, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	publicURL := "http://" + ln.Addr().String()
	srv, err := server.Open(ctx, server.Config{
		Addr: ln.Addr().String(), DB: "memory", KDF: CheapKDF, PublicURL: publicURL, Logger: logger,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("cognitotest: starting the pool server: %w", err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	p := &Pool{URL: hs.URL, Region: server.DefaultRegion, srv: srv, hs: hs}
	if err := p.create(ctx, opts); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Pool) create(ctx context.Context, opts Options) error {
	api := cip.New(cip.Options{
		Region: p.Region, BaseEndpoint: aws.String(p.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  &http.Client{Transport: cognito.HandlerTransport(p.srv.Handler())},
	})
	poolIn := &cip.CreateUserPoolInput{
		PoolName:               aws.String("cognitotest"),
		AliasAttributes:        []types.AliasAttributeType{types.AliasAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
	}
	if opts.EditPool != nil {
		opts.EditPool(poolIn)
	}
	pool, err := api.CreateUserPool(ctx, poolIn)
	if err != nil {
		return fmt.Errorf("cognitotest: creating the user pool: %w", err)
	}
	p.UserPoolID = aws.ToString(pool.UserPool.Id)
	clientIn := &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(p.UserPoolID), ClientName: aws.String("cognitotest"), GenerateSecret: opts.ClientSecret,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	}
	if opts.EditClient != nil {
		opts.EditClient(clientIn)
	}
	client, err := api.CreateUserPoolClient(ctx, clientIn)
	if err != nil {
		return fmt.Errorf("cognitotest: creating the app client: %w", err)
	}
	p.ClientID = aws.ToString(client.UserPoolClient.ClientId)
	p.ClientSecret = aws.ToString(client.UserPoolClient.ClientSecret)
	return nil
}

// Config is a cognito.Config for the pool's app client, with credentials for the admin
// operations.
func (p *Pool) Config() cognito.Config {
	return cognito.Config{
		Region: p.Region, UserPoolID: p.UserPoolID, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
		Endpoint: p.URL, AccessKeyID: "local", SecretAccessKey: "local",
	}
}

// Issuer is the iss claim of the pool's tokens; its keys are at Issuer +
// "/.well-known/jwks.json".
func (p *Pool) Issuer() string { return p.URL + "/" + p.UserPoolID }

// Handler is the server's whole HTTP surface, for cognito.HandlerTransport.
func (p *Pool) Handler() http.Handler { return p.srv.Handler() }

// Code returns the code of the newest message of kind (KindSignUp, …) the pool would
// have sent to username, as read from the server's outbox.
func (p *Pool) Code(ctx context.Context, username, kind string) (string, error) {
	q := url.Values{"pool": {p.UserPoolID}, "username": {username}, "kind": {kind}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/_local/messages?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := p.hs.Client().Do(req)
	if err != nil {
		return "", fmt.Errorf("cognitotest: reading the outbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("cognitotest: reading the outbox: %s", resp.Status)
	}
	var msgs []struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&msgs); err != nil {
		return "", fmt.Errorf("cognitotest: reading the outbox: %w", err)
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Code != "" {
			return msgs[i].Code, nil
		}
	}
	return "", errors.New("cognitotest: no " + kind + " message for " + username)
}

// Close stops the server; its data is gone.
func (p *Pool) Close() {
	p.hs.Close()
	p.srv.Close()
}
