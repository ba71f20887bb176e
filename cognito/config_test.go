package cognito_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
)

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	ok := cognito.Config{UserPoolID: "eu-central-1_AbC123", ClientID: "abc"}
	c, err := cognito.New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-central-1" || c.UserPoolID() != ok.UserPoolID || c.ClientID() != "abc" || c.SDK() == nil {
		t.Fatalf("client %s %s %s", c.Region(), c.UserPoolID(), c.ClientID())
	}

	_, err = cognito.New(cognito.Config{})
	if err == nil || !strings.Contains(err.Error(), "UserPoolID is required") || !strings.Contains(err.Error(), "ClientID is required") {
		t.Fatalf("an empty config: %v (every problem should be reported at once)", err)
	}
	bad := map[string]func(*cognito.Config){
		"pool ID of the form":    func(c *cognito.Config) { c.UserPoolID = "nounderscore" },
		"does not match":         func(c *cognito.Config) { c.Region = "us-west-2" },
		"is not an app client":   func(c *cognito.Config) { c.ClientID = "has space" },
		"not an http":            func(c *cognito.Config) { c.Endpoint = "ftp://x" },
		"go together":            func(c *cognito.Config) { c.AccessKeyID = "AKID" },
		"not both":               func(c *cognito.Config) { c.HTTPClient = http.DefaultClient; c.Transport = http.DefaultTransport },
		"LoginFlow":              func(c *cognito.Config) { c.LoginFlow = "CUSTOM_AUTH" },
		"must not be negative":   func(c *cognito.Config) { c.MaxAttempts = -1 },
		"is not an app client s": func(c *cognito.Config) { c.ClientSecret = strings.Repeat("s", 65) },
	}
	for want, edit := range bad {
		cfg := ok
		edit(&cfg)
		if _, err := cognito.New(cfg); err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(want, " s")) {
			t.Errorf("%s: %v", want, err)
		}
	}
	if cognito.RegionOf("ap-southeast-2_x") != "ap-southeast-2" || cognito.RegionOf("nope") != "" {
		t.Fatal("RegionOf")
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, k := range []string{"COGNITO_REGION", "COGNITO_ENDPOINT", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
	}
	t.Setenv("COGNITO_USER_POOL_ID", "eu-west-3_Pool1")
	t.Setenv("COGNITO_CLIENT_ID", "client1")
	t.Setenv("COGNITO_CLIENT_SECRET", "sec")
	t.Setenv("COGNITO_ACCESS_KEY_ID", "AKID")
	t.Setenv("COGNITO_SECRET_ACCESS_KEY", "shh")
	t.Setenv("AWS_ENDPOINT_URL", "http://generic:1")
	cfg := cognito.ConfigFromEnv()
	if cfg.UserPoolID != "eu-west-3_Pool1" || cfg.ClientID != "client1" || cfg.ClientSecret != "sec" ||
		cfg.AccessKeyID != "AKID" || cfg.SecretAccessKey != "shh" || cfg.Endpoint != "http://generic:1" {
		t.Fatalf("config %+v", cfg)
	}
	t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://service:1")
	if got := cognito.ConfigFromEnv().Endpoint; got != "http://service:1" {
		t.Fatalf("service endpoint not preferred: %s", got)
	}
	t.Setenv("COGNITO_ENDPOINT", "http://cognito:1")
	if got := cognito.ConfigFromEnv().Endpoint; got != "http://cognito:1" {
		t.Fatalf("COGNITO_ENDPOINT not preferred: %s", got)
	}
	t.Setenv("COGNITO_ENDPOINT", "")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if got := cognito.ConfigFromEnv().Endpoint; got != "" {
		t.Fatalf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS not honoured: %s", got)
	}
	c, err := cognito.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-west-3" {
		t.Fatalf("region %s", c.Region())
	}
	t.Setenv("COGNITO_REGION", "us-east-2")
	if _, err := cognito.FromEnv(); err == nil {
		t.Fatal("a region that contradicts the pool ID was accepted")
	}
}

// With no keys, the credential chain is used, and instance metadata is never asked when
// AWS_EC2_METADATA_DISABLED=true.
func TestCredentialChain(t *testing.T) {
	var imds atomic.Int64
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imds.Add(1)
		w.WriteHeader(500)
	}))
	defer meta.Close()
	var signed, unsigned atomic.Int64
	var lastAuth atomic.Value
	pool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if a := r.Header.Get("Authorization"); a != "" {
			signed.Add(1)
			lastAuth.Store(a)
		} else {
			unsigned.Add(1)
		}
		io.WriteString(w, `{"UserSub":"s","Username":"u","UserAttributes":[]}`)
	}))
	defer pool.Close()

	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", meta.URL)

	c, err := cognito.New(cognito.Config{UserPoolID: "us-east-1_X", ClientID: "c", Endpoint: pool.URL})
	if err != nil {
		t.Fatal(err)
	}
	// Public operations need no credentials and are sent unsigned.
	if _, err := c.SignUp(ctx(t), "u", "Passw0rd!", nil); err != nil {
		t.Fatalf("SignUp without credentials: %v", err)
	}
	_, err = c.AdminGetUser(ctx(t), "u")
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != "" {
		t.Fatalf("AdminGetUser without credentials: %v", err)
	}
	if imds.Load() != 0 {
		t.Fatalf("instance metadata was asked %d times", imds.Load())
	}
	if signed.Load() != 0 || unsigned.Load() != 1 {
		t.Fatalf("%d signed and %d unsigned requests", signed.Load(), unsigned.Load())
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	c, err = cognito.New(cognito.Config{UserPoolID: "us-east-1_X", ClientID: "c", Endpoint: pool.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminGetUser(ctx(t), "u"); err != nil {
		t.Fatalf("AdminGetUser with environment credentials: %v", err)
	}
	if a, _ := lastAuth.Load().(string); !strings.Contains(a, "Credential=AKIDFROMENV/") {
		t.Fatalf("signed with %q", a)
	}
}

func TestHandlerTransport(t *testing.T) {
	t.Parallel()
	p := pooltest.Start(t, string(pooltest.Memory))
	f := newFixture(t, &backend{name: "hashless", url: p.URL, admin: p.Admin()}, poolOptions{})
	c, err := cognito.New(cognito.Config{UserPoolID: f.poolID, ClientID: f.clientID, Endpoint: "http://in-process",
		AccessKeyID: pooltest.AccessKey, SecretAccessKey: pooltest.SecretKey, Transport: cognito.HandlerTransport(p.Server.Handler())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminCreateUser(ctx(t), cognito.NewUser{Username: "rin", TemporaryPassword: pw1, SuppressMessage: true}); err != nil {
		t.Fatalf("AdminCreateUser in process: %v", err)
	}
	if err := c.AdminSetPassword(ctx(t), "rin", pw2, true); err != nil {
		t.Fatal(err)
	}
	res, err := c.Login(ctx(t), "rin", pw2)
	if err != nil || res.Tokens == nil {
		t.Fatalf("Login in process: %+v %v", res, err)
	}
	if prof, err := c.Profile(ctx(t), res.Tokens.Access); err != nil || prof.Username != "rin" {
		t.Fatalf("Profile in process: %+v %v", prof, err)
	}
	// A wrong signature is still refused: the adapter bypasses the network, not the checks.
	bad, _ := cognito.New(cognito.Config{UserPoolID: f.poolID, ClientID: f.clientID, Endpoint: "http://in-process",
		AccessKeyID: pooltest.AccessKey, SecretAccessKey: "wrong", Transport: cognito.HandlerTransport(p.Server.Handler())})
	_, err = bad.AdminGetUser(ctx(t), "rin")
	wantErr(t, err, nil, "InvalidSignatureException")
}
