package apitest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/srp"
)

// srpSetup is a pool with an e-mail alias and an app client allowing SRP and passwords.
type srpSetup struct {
	signInSetup
}

func newSRPSetup(t *testing.T, p *pooltest.Pool, edit ...func(*cip.CreateUserPoolClientInput)) srpSetup {
	t.Helper()
	edit = append([]func(*cip.CreateUserPoolClientInput){func(in *cip.CreateUserPoolClientInput) {
		in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowUserSrpAuth)
	}}, edit...)
	return srpSetup{newSignInSetup(t, p, edit...)}
}

func (s srpSetup) cognito(t *testing.T, flow cognito.LoginFlow) *cognito.Client {
	t.Helper()
	c, err := cognito.New(cognito.Config{UserPoolID: s.poolID, ClientID: s.clientID, ClientSecret: s.secret, Endpoint: s.p.URL,
		AccessKeyID: pooltest.AccessKey, SecretAccessKey: pooltest.SecretKey, LoginFlow: flow, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// srpExchange is one SRP sign-in done by hand, so tests can bend each step.
type srpExchange struct {
	s      srpSetup
	client *srp.Client
	out    *cip.InitiateAuthOutput
}

func (s srpSetup) srpStart(t *testing.T, c *cip.Client, username string) (*srpExchange, error) {
	t.Helper()
	client, err := srp.NewClient(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]string{"USERNAME": username, "SRP_A": client.PublicKey().Text(16)}
	if s.secret != "" {
		params["SECRET_HASH"] = s.secretHash(username)
	}
	out, err := c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: params})
	if err != nil {
		return nil, err
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || out.Session != nil {
		t.Fatalf("USER_SRP_AUTH answered %s with session %v", out.ChallengeName, out.Session)
	}
	for _, k := range []string{"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"} {
		if out.ChallengeParameters[k] == "" {
			t.Fatalf("PASSWORD_VERIFIER without %s: %v", k, out.ChallengeParameters)
		}
	}
	return &srpExchange{s: s, client: client, out: out}, nil
}

// responses computes the answer for password at ts.
func (e *srpExchange) responses(t *testing.T, password string, ts time.Time) map[string]string {
	t.Helper()
	return e.signedAt(t, password, srp.FormatTimestamp(ts))
}

// signedAt computes the answer with stamp as TIMESTAMP, signed as it is.
func (e *srpExchange) signedAt(t *testing.T, password, stamp string) map[string]string {
	t.Helper()
	p := e.out.ChallengeParameters
	userID := p["USER_ID_FOR_SRP"]
	salt, _ := srp.ParseHex(p["SALT"])
	pubB, _ := srp.ParseHex(p["SRP_B"])
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		t.Fatalf("SECRET_BLOCK is not base64: %v", err)
	}
	key, err := e.client.Key(pubB, salt, srp.PoolName(e.s.poolID), userID, password)
	if err != nil {
		t.Fatal(err)
	}
	r := map[string]string{"USERNAME": userID, "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"], "TIMESTAMP": stamp,
		"PASSWORD_CLAIM_SIGNATURE": srp.SignatureBase64(key, srp.PoolName(e.s.poolID), userID, block, stamp)}
	if e.s.secret != "" {
		r["SECRET_HASH"] = e.s.secretHash(userID)
	}
	return r
}

func (e *srpExchange) answer(t *testing.T, c *cip.Client, r map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &e.s.clientID,
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: r})
}

func wantTokens(t *testing.T, r *types.AuthenticationResultType) {
	t.Helper()
	if r == nil || aws.ToString(r.AccessToken) == "" || aws.ToString(r.IdToken) == "" || aws.ToString(r.RefreshToken) == "" {
		t.Fatalf("no tokens: %+v", r)
	}
}

func TestSRPSignIn(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSRPSetup(t, p)
		// Through the cognito package, by the alias and in another case: the challenge names
		// the canonical username, and the tokens are quinn's.
		c := s.cognito(t, cognito.UserSRPAuth)
		res, err := c.Login(ctx(t), "QUINN@example.com", password)
		if err != nil || res.Tokens == nil {
			t.Fatalf("SRP Login: %+v %v", res, err)
		}
		if got := claims(t, p, s.poolID, res.Tokens.ID)["cognito:username"]; got != "quinn" {
			t.Fatalf("signed in as %v", got)
		}
		must(s.c.GetUser(ctx(t), &cip.GetUserInput{AccessToken: &res.Tokens.Access}))(t)

		// By hand: the challenge's shape.
		e := must(s.srpStart(t, s.c, "Quinn"))(t)
		cp := e.out.ChallengeParameters
		if cp["USERNAME"] != "quinn" || cp["USER_ID_FOR_SRP"] != "quinn" || len(cp["SALT"]) != 32 {
			t.Fatalf("challenge parameters %v", cp)
		}
		// Each sign-in draws a new B; the salt is the user's.
		e2 := must(s.srpStart(t, s.c, "quinn"))(t)
		if e2.out.ChallengeParameters["SRP_B"] == cp["SRP_B"] || e2.out.ChallengeParameters["SALT"] != cp["SALT"] {
			t.Fatal("B repeated or the salt changed")
		}
		out := must(e.answer(t, s.c, e.responses(t, password, time.Now())))(t)
		wantTokens(t, out.AuthenticationResult)

		// A block is single-use: the same answer again is refused, on success as on failure.
		wantAPIError(t, second(e.answer(t, s.c, e.responses(t, password, time.Now()))), "NotAuthorizedException")
		wrong := must(s.srpStart(t, s.c, "quinn"))(t)
		wantAPIError(t, second(wrong.answer(t, s.c, wrong.responses(t, "wrong password 1", time.Now()))), "NotAuthorizedException")
		wantAPIError(t, second(wrong.answer(t, s.c, wrong.responses(t, password, time.Now()))), "NotAuthorizedException")

		// The admin pair of operations runs the same exchange.
		client, _ := srp.NewClient(rand.Reader)
		ai := must(s.c.AdminInitiateAuth(ctx(t), &cip.AdminInitiateAuthInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "quinn", "SRP_A": client.PublicKey().Text(16)}}))(t)
		ae := &srpExchange{s: s, client: client, out: &cip.InitiateAuthOutput{ChallengeName: ai.ChallengeName, ChallengeParameters: ai.ChallengeParameters}}
		ar := must(s.c.AdminRespondToAuthChallenge(ctx(t), &cip.AdminRespondToAuthChallengeInput{UserPoolId: &s.poolID, ClientId: &s.clientID,
			ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: ae.responses(t, password, time.Now())}))(t)
		wantTokens(t, ar.AuthenticationResult)
	})
}

func second[T any](_ T, err error) error { return err }

// Every bent answer is the generic NotAuthorizedException, and burns the block.
func TestSRPRefusals(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSRPSetup(t, p)
		now := time.Now().UTC()
		bends := map[string]func(r map[string]string){
			"wrong signature": func(r map[string]string) {
				r["PASSWORD_CLAIM_SIGNATURE"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
			},
			"signature not b64": func(r map[string]string) { r["PASSWORD_CLAIM_SIGNATURE"] = "%%%" },
			"timestamp changed": func(r map[string]string) { r["TIMESTAMP"] = srp.FormatTimestamp(now.Add(time.Second)) },
			"other username":    func(r map[string]string) { r["USERNAME"] = "quinn@example.com" },
			"tampered block": func(r map[string]string) {
				r["PASSWORD_CLAIM_SECRET_BLOCK"] = flipLastChar(r["PASSWORD_CLAIM_SECRET_BLOCK"])
			},
			"block not b64":       func(r map[string]string) { r["PASSWORD_CLAIM_SECRET_BLOCK"] = "not-base64!" },
			"timestamp not valid": func(r map[string]string) { r["TIMESTAMP"] = now.Format(time.RFC3339) },
		}
		// Within five minutes of the server's clock is fine (the refusals below lock the
		// user out soon after).
		e := must(s.srpStart(t, s.c, "quinn"))(t)
		wantTokens(t, must(e.answer(t, s.c, e.responses(t, password, now.Add(-4*time.Minute))))(t).AuthenticationResult)
		for name, bend := range bends {
			e := must(s.srpStart(t, s.c, "quinn"))(t)
			r := e.responses(t, password, now)
			bend(r)
			_, err := e.answer(t, s.c, r)
			if err == nil {
				t.Fatalf("%s: accepted", name)
			}
			wantAPIError(t, err, "NotAuthorizedException")
		}
		// A client clock more than five minutes off is refused.
		for _, skew := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
			e := must(s.srpStart(t, s.c, "quinn"))(t)
			wantAPIError(t, second(e.answer(t, s.c, e.responses(t, password, now.Add(skew)))), "NotAuthorizedException")
		}
		// Missing answers are parameter errors.
		e = must(s.srpStart(t, s.c, "quinn"))(t)
		for _, k := range []string{"PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP", "PASSWORD_CLAIM_SECRET_BLOCK", "USERNAME"} {
			r := e.responses(t, password, now)
			delete(r, k)
			wantAPIError(t, second(e.answer(t, s.c, r)), "InvalidParameterException")
		}

		// SRP_A: A ≡ 0 mod N is refused before anything else, as is a value that is no hex.
		n := srp.N()
		for _, a := range []string{"0", n.Text(16), new(big.Int).Lsh(n, 1).Text(16), "xyz", "-1", strings.Repeat("f", srp.MaxHexLen+1), ""} {
			_, err := s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
				AuthParameters: map[string]string{"USERNAME": "quinn", "SRP_A": a}})
			wantAPIError(t, err, "InvalidParameterException")
		}
	})
}

// The TIMESTAMP must be exactly as the clients write it, even when signed as sent: a
// zero- or space-padded day or a wrong weekday is refused, as on Cognito. The pool's clock
// stands on a day with one digit, where the padding shows.
func TestSRPTimestampFormat(t *testing.T) {
	clock := pooltest.NewClock()
	for clock.Now().Day() != 5 {
		clock.Advance(24 * time.Hour)
	}
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory), pooltest.WithClock(clock))
	s := newSRPSetup(t, p)
	now := clock.Now()
	good := srp.FormatTimestamp(now)
	for _, stamp := range []string{
		now.Format("Mon Jan 02 15:04:05 UTC 2006"),
		now.Format("Mon Jan _2 15:04:05 UTC 2006"),
		strings.Replace(good, now.Format("Mon"), now.Add(24*time.Hour).Format("Mon"), 1),
		strings.Replace(good, "UTC", "GMT", 1),
	} {
		e := must(s.srpStart(t, s.c, "quinn"))(t)
		_, err := e.answer(t, s.c, e.signedAt(t, password, stamp))
		if !isSDKCode(err, "NotAuthorizedException", "Incorrect username or password.") {
			t.Fatalf("TIMESTAMP %q: %v", stamp, err)
		}
	}
	e := must(s.srpStart(t, s.c, "quinn"))(t)
	wantTokens(t, must(e.answer(t, s.c, e.signedAt(t, password, good)))(t).AuthenticationResult)
}

func flipLastChar(s string) string {
	b := []byte(strings.TrimRight(s, "="))
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	return string(b) + s[len(strings.TrimRight(s, "=")):]
}

// A wrong password through SRP counts toward the lockout, and a locked-out user is refused
// with Cognito's message even with the right password.
func TestSRPLockout(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSRPSetup(t, p)
		c := s.cognito(t, cognito.UserSRPAuth)
		for range 5 {
			_, err := c.Login(ctx(t), "quinn", "wrong password 1")
			if !isCode(err, "NotAuthorizedException", "Incorrect username or password.") {
				t.Fatalf("wrong password: %v", err)
			}
		}
		_, err := c.Login(ctx(t), "quinn", "wrong password 1")
		if !isCode(err, "NotAuthorizedException", "Password attempts exceeded") {
			t.Fatalf("sixth failure: %v", err)
		}
		_, err = c.Login(ctx(t), "quinn", password)
		if !isCode(err, "NotAuthorizedException", "Password attempts exceeded") {
			t.Fatalf("right password during the lockout: %v", err)
		}
		// The password flow sees the same count.
		_, err = s.login(t, "quinn", password)
		wantAPIError(t, err, "NotAuthorizedException")
	})
}

func isCode(err error, code, message string) bool {
	var e *cognito.Error
	if err == nil || !asCognitoError(err, &e) {
		return false
	}
	return e.Code == code && (message == "" || e.Message == message)
}

// A temporary password signs in through SRP too and meets NEW_PASSWORD_REQUIRED; the new
// password then signs in through SRP.
func TestSRPNewPasswordRequired(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSRPSetup(t, p, func(in *cip.CreateUserPoolClientInput) { in.GenerateSecret = true })
		must(s.c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &s.poolID, Username: aws.String("rae"),
			TemporaryPassword: aws.String("Temp-pass1"), MessageAction: types.MessageActionTypeSuppress,
			UserAttributes: attrs("email", "rae@example.com", "email_verified", "true")}))(t)
		c := s.cognito(t, cognito.UserSRPAuth)
		res := must(c.Login(ctx(t), "rae@example.com", "Temp-pass1"))(t)
		if res.Challenge == nil || res.Challenge.Name != cognito.ChallengeNewPasswordRequired || res.Challenge.Username != "rae" {
			t.Fatalf("SRP with a temporary password: %+v", res)
		}
		done := must(c.RespondNewPassword(ctx(t), res.Challenge, "Perm-pass2", nil))(t)
		if done.Tokens == nil {
			t.Fatalf("after the new password: %+v", done)
		}
		if res, err := c.Login(ctx(t), "rae", "Perm-pass2"); err != nil || res.Tokens == nil {
			t.Fatalf("SRP with the new password: %+v %v", res, err)
		}
		if _, err := c.Login(ctx(t), "rae", "Temp-pass1"); !isCode(err, "NotAuthorizedException", "") {
			t.Fatalf("the temporary password still works: %v", err)
		}
	})
}

// Unknown users: with PreventUserExistenceErrors a challenge that looks real (the same salt
// every time) and then the wrong-password answer; without it, UserNotFoundException.
func TestSRPUnknownUser(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		hidden := newSRPSetup(t, p, func(in *cip.CreateUserPoolClientInput) {
			in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesEnabled
		})
		e1 := must(hidden.srpStart(t, hidden.c, "nobody"))(t)
		e2 := must(hidden.srpStart(t, hidden.c, "NOBODY"))(t)
		real := must(hidden.srpStart(t, hidden.c, "quinn"))(t)
		if e1.out.ChallengeParameters["SALT"] != e2.out.ChallengeParameters["SALT"] || len(e1.out.ChallengeParameters["SALT"]) != 32 {
			t.Fatal("an unknown user's salt is not stable")
		}
		if e1.out.ChallengeParameters["SALT"] == real.out.ChallengeParameters["SALT"] || len(e1.out.ChallengeParameters["SRP_B"]) < 700 {
			t.Fatalf("the simulated challenge does not look real: %v", e1.out.ChallengeParameters)
		}
		_, err := e1.answer(t, hidden.c, e1.responses(t, password, time.Now()))
		if !isSDKCode(err, "NotAuthorizedException", "Incorrect username or password.") {
			t.Fatalf("unknown user's answer: %v", err)
		}
		legacy := newSRPSetup(t, p, func(in *cip.CreateUserPoolClientInput) {
			in.PreventUserExistenceErrors = types.PreventUserExistenceErrorTypesLegacy
		})
		wantAPIError(t, second(legacy.srpStart(t, legacy.c, "nobody")), "UserNotFoundException")
	})
}

// The pool tag turns SRP off (InvalidParameterException, and the cognito package's default
// falls back to passwords) and on; a user whose password was set while it was off has no
// verifier until the next password sign-in gives it one.
func TestSRPPoolTag(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		s := newSRPSetup(t, p)
		arn := must(s.c.DescribeUserPool(ctx(t), &cip.DescribeUserPoolInput{UserPoolId: &s.poolID}))(t).UserPool.Arn
		tag := func(v string) {
			must(s.c.TagResource(ctx(t), &cip.TagResourceInput{ResourceArn: arn, Tags: map[string]string{pool.TagSRP: v}}))(t)
		}
		wantAPIError(t, second(s.c.TagResource(ctx(t), &cip.TagResourceInput{ResourceArn: arn, Tags: map[string]string{pool.TagSRP: "yes"}})), "InvalidParameterException")
		tag("disabled")
		_, err := s.srpStart(t, s.c, "quinn")
		wantAPIError(t, err, "InvalidParameterException")
		auto := s.cognito(t, "")
		if res, err := auto.Login(ctx(t), "quinn", password); err != nil || res.Tokens == nil {
			t.Fatalf("the default flow did not fall back to passwords: %v", err)
		}
		// Set while SRP is off: no verifier.
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"),
			Password: aws.String("another pass 2"), Permanent: true}))(t)
		tag("enabled")
		srpOnly := s.cognito(t, cognito.UserSRPAuth)
		if _, err := srpOnly.Login(ctx(t), "quinn", "another pass 2"); !isCode(err, "NotAuthorizedException", "") {
			t.Fatalf("SRP without a verifier: %v", err)
		}
		if _, err := s.login(t, "quinn", "another pass 2"); err != nil {
			t.Fatal(err)
		}
		if res, err := srpOnly.Login(ctx(t), "quinn", "another pass 2"); err != nil || res.Tokens == nil {
			t.Fatalf("SRP after a password sign-in gave a verifier: %v", err)
		}
		// A client that does not allow the flow.
		noSRP := newSignInSetup(t, p)
		client, _ := srp.NewClient(rand.Reader)
		_, err = noSRP.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &noSRP.clientID, AuthFlow: types.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": "quinn", "SRP_A": client.PublicKey().Text(16)}})
		wantAPIError(t, err, "InvalidParameterException")
	})
}

// A challenge waits the client's AuthSessionValidity and no longer.
func TestSRPBlockExpires(t *testing.T) {
	clock := pooltest.NewClock()
	p := pooltest.Start(t, pooltest.DSN(t, pooltest.Memory), pooltest.WithClock(clock))
	s := newSRPSetup(t, p)
	e := must(s.srpStart(t, s.c, "quinn"))(t)
	clock.Advance(3*time.Minute + time.Second)
	_, err := e.answer(t, s.c, e.responses(t, password, clock.Now()))
	if !isSDKCode(err, "NotAuthorizedException", "Invalid session for the user, session is expired.") {
		t.Fatalf("an expired block: %v", err)
	}
}

// Two nodes on one database: SRP step 1 on A and step 2 on B, and the lockout counted
// across both.
func TestSRPTwoNodes(t *testing.T) {
	dsn := pooltest.DSN(t, pooltest.Postgres)
	a := pooltest.Start(t, dsn)
	b := pooltest.Start(t, dsn)
	s := newSRPSetup(t, a)
	cb := b.Admin()
	e := must(s.srpStart(t, s.c, "quinn"))(t)
	wantTokens(t, must(e.answer(t, cb, e.responses(t, password, time.Now())))(t).AuthenticationResult)
	// The block was used on B: A refuses it.
	wantAPIError(t, second(e.answer(t, s.c, e.responses(t, password, time.Now()))), "NotAuthorizedException")
	for i := range 5 {
		node := []*cip.Client{s.c, cb}[i%2]
		w := must(s.srpStart(t, node, "quinn"))(t)
		wantAPIError(t, second(w.answer(t, []*cip.Client{cb, s.c}[i%2], w.responses(t, "wrong password 1", time.Now()))), "NotAuthorizedException")
	}
	w := must(s.srpStart(t, cb, "quinn"))(t)
	_, err := w.answer(t, cb, w.responses(t, password, time.Now()))
	if !isSDKCode(err, "NotAuthorizedException", "Password attempts exceeded") {
		t.Fatalf("after five failures split over two nodes: %v", err)
	}
}

func asCognitoError(err error, target **cognito.Error) bool { return errors.As(err, target) }

// isSDKCode reports whether err is the named exception with the given message.
func isSDKCode(err error, code, message string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code && apiErr.ErrorMessage() == message
}
