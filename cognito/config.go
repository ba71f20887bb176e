package cognito

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// LoginFlow is how Login signs users in, named as Cognito names its auth flows.
type LoginFlow string

const (
	// UserPasswordAuth is InitiateAuth with USER_PASSWORD_AUTH: a public call, no AWS
	// credentials needed. The app client must allow ALLOW_USER_PASSWORD_AUTH.
	UserPasswordAuth LoginFlow = "USER_PASSWORD_AUTH"
	// AdminUserPasswordAuth is AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH: signed
	// with AWS credentials, for servers that keep sign-in behind IAM. The app client must
	// allow ALLOW_ADMIN_USER_PASSWORD_AUTH.
	AdminUserPasswordAuth LoginFlow = "ADMIN_USER_PASSWORD_AUTH"
	// UserSRPAuth is InitiateAuth with USER_SRP_AUTH, answered with PASSWORD_VERIFIER: the
	// password never leaves the process, only a proof of it. The app client must allow
	// ALLOW_USER_SRP_AUTH.
	UserSRPAuth LoginFlow = "USER_SRP_AUTH"
)

// Config says which pool and app client a Client talks to, and how.
type Config struct {
	// Region is the pool's AWS region; empty means the prefix of UserPoolID.
	Region string
	// UserPoolID is "<region>_<id>", e.g. "eu-west-1_AbCdEfGhI".
	UserPoolID string
	// ClientID is the app client's ID. Required.
	ClientID string
	// ClientSecret is the app client's secret, for clients that have one; every call that
	// needs a SECRET_HASH gets it computed from this.
	ClientSecret string
	// Endpoint replaces AWS's endpoint, e.g. "http://127.0.0.1:9229" for `hashless pool`.
	Endpoint string

	// AccessKeyID and SecretAccessKey sign the admin operations (and AdminUserPasswordAuth).
	// When both are empty the standard AWS credential chain is used (environment, shared
	// files, SSO, web identity, containers, and EC2 instance metadata unless
	// AWS_EC2_METADATA_DISABLED=true). Public operations never need credentials.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// HTTPClient sends the requests; its timeouts and transport are kept, and its transport
	// is wrapped against an SDK race (see plainBodies). Nil means a client with
	// DefaultTimeout on a copy of http.DefaultTransport.
	HTTPClient *http.Client
	// Transport replaces the network, e.g. HandlerTransport(server.Handler()) for a pool
	// in the same process. At most one of HTTPClient and Transport may be set.
	Transport http.RoundTripper

	// LoginFlow is Login's auth flow. Empty means UserSRPAuth where the pool and app client
	// allow it, else UserPasswordAuth: the first Login tries SRP, and a pool that refuses the
	// flow (InvalidParameterException) makes this client use passwords from then on.
	LoginFlow LoginFlow

	// MaxAttempts bounds attempts of a throttled request (TooManyRequestsException,
	// ThrottlingException) and of one whose connection could not be made; 0 means 3, 1
	// means no retry. Nothing else is ever retried: see standardRetryer.
	MaxAttempts int
	// MaxBackoff caps the jittered exponential wait between attempts; 0 means the SDK's
	// 20 s.
	MaxBackoff time.Duration
	// Retryer, when set, replaces this retry policy (and MaxAttempts and MaxBackoff) whole.
	Retryer aws.Retryer
}

// RegionOf returns the region prefix of a pool ID ("eu-west-1" for "eu-west-1_AbC"), or
// "" when the ID has none.
func RegionOf(userPoolID string) string {
	region, _, ok := strings.Cut(userPoolID, "_")
	if !ok {
		return ""
	}
	return region
}

// validate reports every problem of cfg at once and fills in the region.
func (cfg *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch {
	case cfg.UserPoolID == "":
		bad("UserPoolID is required")
	case len(cfg.UserPoolID) > maxPoolIDLength || !rePoolID.MatchString(cfg.UserPoolID):
		bad("UserPoolID %q is not a pool ID of the form <region>_<id>", cfg.UserPoolID)
	default:
		prefix := RegionOf(cfg.UserPoolID)
		if cfg.Region == "" {
			cfg.Region = prefix
		} else if cfg.Region != prefix {
			bad("Region %q does not match the region of UserPoolID %q", cfg.Region, cfg.UserPoolID)
		}
	}
	switch {
	case cfg.ClientID == "":
		bad("ClientID is required")
	case len(cfg.ClientID) > maxClientIDLength || !reClientID.MatchString(cfg.ClientID):
		bad("ClientID is not an app client ID (letters, digits, _ and +, at most %d)", maxClientIDLength)
	}
	if len(cfg.ClientSecret) > maxClientSecretLen || (cfg.ClientSecret != "" && !reNoSpace.MatchString(cfg.ClientSecret)) {
		bad("ClientSecret is not an app client secret (at most %d characters, no spaces)", maxClientSecretLen)
	}
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("Endpoint %q is not an http:// or https:// URL", cfg.Endpoint)
		}
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		bad("AccessKeyID and SecretAccessKey go together: give both or neither")
	}
	if cfg.HTTPClient != nil && cfg.Transport != nil {
		bad("give HTTPClient or Transport, not both")
	}
	switch cfg.LoginFlow {
	case "", UserPasswordAuth, AdminUserPasswordAuth, UserSRPAuth:
	default:
		bad("LoginFlow %q is not %s, %s or %s", cfg.LoginFlow, UserPasswordAuth, AdminUserPasswordAuth, UserSRPAuth)
	}
	if cfg.MaxAttempts < 0 || cfg.MaxBackoff < 0 {
		bad("MaxAttempts and MaxBackoff must not be negative")
	}
	if len(errs) > 0 {
		return fmt.Errorf("cognito: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// New checks cfg and returns a client. It sends nothing; the credential chain, when used,
// is only consulted by the first signed call.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	hc := httpClient(cfg)
	var creds aws.CredentialsProvider
	if cfg.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	} else {
		// Only the credential chain is taken from the shared configuration: region,
		// endpoint, retries and HTTP client stay as cfg says, so a client behaves the same
		// with either kind of credentials. The chain's own calls (STS, SSO, containers) keep
		// the SDK's HTTP client, which is the one that honours AWS_CA_BUNDLE.
		awsCfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(cfg.Region))
		if err != nil {
			return nil, fmt.Errorf("cognito: loading AWS credentials: %w", err)
		}
		creds = awsCfg.Credentials
	}
	retryer := cfg.Retryer
	if retryer == nil {
		retryer = standardRetryer(cfg)
	}
	opts := cip.Options{
		Region:      cfg.Region,
		Credentials: creds,
		HTTPClient:  hc,
		Retryer:     retryer,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
	}
	return &Client{
		api:      cip.New(opts),
		region:   cfg.Region,
		poolID:   cfg.UserPoolID,
		clientID: cfg.ClientID,
		secret:   cfg.ClientSecret,
		flow:     cfg.LoginFlow,
		now:      time.Now,
	}, nil
}

// Environment variables read by FromEnv.
const (
	EnvRegion          = "COGNITO_REGION"
	EnvUserPoolID      = "COGNITO_USER_POOL_ID"
	EnvClientID        = "COGNITO_CLIENT_ID"
	EnvClientSecret    = "COGNITO_CLIENT_SECRET"
	EnvAccessKeyID     = "COGNITO_ACCESS_KEY_ID"
	EnvSecretAccessKey = "COGNITO_SECRET_ACCESS_KEY"
	EnvEndpoint        = "COGNITO_ENDPOINT"
)

// ConfigFromEnv reads a Config from the environment: COGNITO_REGION (else the pool ID's
// prefix), COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_CLIENT_SECRET,
// COGNITO_ACCESS_KEY_ID, COGNITO_SECRET_ACCESS_KEY, and the endpoint from COGNITO_ENDPOINT,
// else AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, else AWS_ENDPOINT_URL (unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, as the SDK does).
func ConfigFromEnv() Config {
	cfg := Config{
		Region:          os.Getenv(EnvRegion),
		UserPoolID:      os.Getenv(EnvUserPoolID),
		ClientID:        os.Getenv(EnvClientID),
		ClientSecret:    os.Getenv(EnvClientSecret),
		AccessKeyID:     os.Getenv(EnvAccessKeyID),
		SecretAccessKey: os.Getenv(EnvSecretAccessKey),
		Endpoint:        os.Getenv(EnvEndpoint),
	}
	if cfg.Endpoint == "" && os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		cfg.Endpoint = os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
		if cfg.Endpoint == "" {
			cfg.Endpoint = os.Getenv("AWS_ENDPOINT_URL")
		}
	}
	return cfg
}

// FromEnv is New(ConfigFromEnv()).
func FromEnv() (*Client, error) { return New(ConfigFromEnv()) }
