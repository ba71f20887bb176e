package cognito_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/internal/mototest"
	"github.com/hashless/hashless/internal/pooltest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	mototest.Stop()
	os.Exit(code)
}

// backend is one implementation of the Cognito API the tests run against.
type backend struct {
	name  string
	url   string
	admin *cip.Client
	key   string
	secr  string
	// code returns the code the pool sent username for kind (SIGNUP, FORGOT_PASSWORD,
	// ATTRIBUTE_VERIFICATION).
	code func(t *testing.T, poolID, username, kind string) string
}

func (b *backend) moto() bool { return b.name == "moto" }

// skipOnMoto skips what moto does not implement.
func (b *backend) skipOnMoto(t *testing.T, why string) {
	t.Helper()
	if b.moto() {
		t.Skipf("moto: %s", why)
	}
}

// each runs fn against a fresh `hashless pool` and against moto, in parallel with each
// other and with other tests.
func each(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Parallel()
	t.Run("hashless", func(t *testing.T) {
		t.Parallel()
		fn(t, hashless(t))
	})
	t.Run("moto", func(t *testing.T) {
		t.Parallel()
		fn(t, moto(t))
	})
}

func hashless(t *testing.T) *backend {
	p := pooltest.Start(t, string(pooltest.Memory))
	return &backend{
		name: "hashless", url: p.URL, admin: p.Admin(), key: pooltest.AccessKey, secr: pooltest.SecretKey,
		code: func(t *testing.T, poolID, username, kind string) string {
			t.Helper()
			return outboxCode(t, p.URL, poolID, username, kind)
		},
	}
}

func moto(t *testing.T) *backend {
	u := mototest.Require(t)
	return &backend{
		name: "moto", url: u, admin: mototest.Admin(u), key: "AKIDMOTO", secr: "moto",
		// moto checks no sign-up code, and checks forgot-password codes only when they
		// start with its own prefix; any other code is accepted.
		code: func(*testing.T, string, string, string) string { return "123456" },
	}
}

func outboxCode(t *testing.T, base, poolID, username, kind string) string {
	t.Helper()
	q := url.Values{"pool": {poolID}, "username": {username}, "kind": {kind}}
	resp, err := http.Get(base + "/_local/messages?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []struct{ Code string }
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatalf("no %s message for %s", kind, username)
	}
	return msgs[len(msgs)-1].Code
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

var poolCounter atomic.Int64

// poolOptions shape a test pool.
type poolOptions struct {
	secret bool
	// preventExistence sets PreventUserExistenceErrors ENABLED on the client.
	preventExistence bool
	editPool         func(*cip.CreateUserPoolInput)
}

// fixture is a pool and app client on a backend.
type fixture struct {
	b        *backend
	poolID   string
	clientID string
	secret   string
	c        *cognito.Client
}

// Passwords of test users. Test pools ask for 8 characters with lower case and digits;
// these also have upper case and a symbol, since moto reads Require* flags left out of a
// policy as true where Cognito reads them as false.
const (
	pw1 = "Correct-Horse-1"
	pw2 = "Battery-Staple-2"
	pw3 = "Tr0ub4dor-and-3"
)

func newFixture(t *testing.T, b *backend, o poolOptions) *fixture {
	t.Helper()
	in := &cip.CreateUserPoolInput{
		PoolName:               aws.String(fmt.Sprintf("pool-%d", poolCounter.Add(1))),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(8), RequireLowercase: true, RequireNumbers: true,
		}},
	}
	if o.editPool != nil {
		o.editPool(in)
	}
	pool, err := b.admin.CreateUserPool(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	cin := &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("app"), GenerateSecret: o.secret,
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{
			types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	}
	if o.preventExistence {
		cin.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
	}
	client, err := b.admin.CreateUserPoolClient(ctx(t), cin)
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	f := &fixture{b: b, poolID: aws.ToString(pool.UserPool.Id), clientID: aws.ToString(client.UserPoolClient.ClientId),
		secret: aws.ToString(client.UserPoolClient.ClientSecret)}
	f.c = f.client(t, nil)
	return f
}

// config is the fixture's cognito.Config, with credentials for the admin operations.
func (f *fixture) config() cognito.Config {
	cfg := cognito.Config{UserPoolID: f.poolID, ClientID: f.clientID, ClientSecret: f.secret, Endpoint: f.b.url,
		AccessKeyID: f.b.key, SecretAccessKey: f.b.secr, MaxAttempts: 1}
	if f.b.moto() {
		// moto's USER_SRP_AUTH is no SRP: its PASSWORD_VERIFIER has a random SRP_B and a UUID
		// (not base64) as SECRET_BLOCK, and no signature is checked, so Login's default (SRP
		// where offered) cannot run there.
		cfg.LoginFlow = cognito.UserPasswordAuth
	}
	return cfg
}

func (f *fixture) client(t *testing.T, edit func(*cognito.Config)) *cognito.Client {
	t.Helper()
	cfg := f.config()
	if edit != nil {
		edit(&cfg)
	}
	c, err := cognito.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// confirmedUser signs a user up with pw1 and an e-mail, and confirms it with its code.
func (f *fixture) confirmedUser(t *testing.T, username string) {
	t.Helper()
	if _, err := f.c.SignUp(ctx(t), username, pw1, map[string]string{"email": username + "@example.com"}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if err := f.c.ConfirmSignUp(ctx(t), username, f.b.code(t, f.poolID, username, "SIGNUP")); err != nil {
		t.Fatalf("ConfirmSignUp: %v", err)
	}
}

// login signs in and fails unless tokens come back.
func (f *fixture) login(t *testing.T, c *cognito.Client, username, password string) *cognito.Tokens {
	t.Helper()
	res, err := c.Login(ctx(t), username, password)
	if err != nil {
		t.Fatalf("Login(%s): %v", username, err)
	}
	if res.Tokens == nil {
		t.Fatalf("Login(%s): challenge %s instead of tokens", username, res.Challenge.Name)
	}
	return res.Tokens
}

// wantErr fails unless err is a *cognito.Error matching sentinel and with Cognito's
// exception name code.
func wantErr(t *testing.T, err error, sentinel error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	var ce *cognito.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *cognito.Error %s, got %T %v", code, err, err)
	}
	if ce.Code != code {
		t.Fatalf("want %s, got %s: %s", code, ce.Code, ce.Message)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("%v does not match %v", err, sentinel)
	}
}
