package wire

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashless/hashless/srp"
)

// challengeFixture is a pool in development mode with a user whose sign-in meets SMS MFA,
// and an SRP client: enough to reach every challenge answer with live state.
type challengeFixture struct {
	h        *Handler
	clientID string
}

func (fx *challengeFixture) call(t testing.TB, op string, in any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+op)
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: response is not a JSON object: %q", op, rec.Body)
	}
	return rec.Code, out
}

func (fx *challengeFixture) mustCall(t testing.TB, op string, in any) map[string]any {
	t.Helper()
	code, out := fx.call(t, op, in)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %v", op, code, out)
	}
	return out
}

func newChallengeFixture(t testing.TB) *challengeFixture {
	fx := &challengeFixture{h: newHandler(t)}
	pool := fx.mustCall(t, "CreateUserPool", map[string]any{"PoolName": "fuzz", "MfaConfiguration": "OPTIONAL",
		"UserPoolTags":        map[string]string{"hashless:srp": "enabled"},
		"DeviceConfiguration": map[string]any{"ChallengeRequiredOnNewDevice": true}})
	poolID := pool["UserPool"].(map[string]any)["Id"].(string)
	fx.mustCall(t, "SetUserPoolMfaConfig", map[string]any{"UserPoolId": poolID, "MfaConfiguration": "OPTIONAL",
		"SmsMfaConfiguration": map[string]any{}, "SoftwareTokenMfaConfiguration": map[string]any{"Enabled": true}})
	client := fx.mustCall(t, "CreateUserPoolClient", map[string]any{"UserPoolId": poolID, "ClientName": "c",
		"ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	fx.clientID = client["UserPoolClient"].(map[string]any)["ClientId"].(string)
	fx.mustCall(t, "AdminCreateUser", map[string]any{"UserPoolId": poolID, "Username": "quinn", "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "phone_number", "Value": "+15555550100"}}})
	fx.mustCall(t, "AdminSetUserPassword", map[string]any{"UserPoolId": poolID, "Username": "quinn", "Password": "Passw0rd!", "Permanent": true})
	fx.mustCall(t, "AdminSetUserMFAPreference", map[string]any{"UserPoolId": poolID, "Username": "quinn",
		"SMSMfaSettings": map[string]any{"Enabled": true, "PreferredMfa": true}})
	return fx
}

// liveState starts an SRP sign-in and a password sign-in, for a real SECRET_BLOCK and a
// real SMS_MFA session.
func (fx *challengeFixture) liveState(t testing.TB) (block, session string) {
	client, err := srp.NewClient(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out := fx.mustCall(t, "InitiateAuth", map[string]any{"ClientId": fx.clientID, "AuthFlow": "USER_SRP_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "quinn", "SRP_A": client.PublicKey().Text(16)}})
	block = out["ChallengeParameters"].(map[string]any)["SECRET_BLOCK"].(string)
	out = fx.mustCall(t, "InitiateAuth", map[string]any{"ClientId": fx.clientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": "quinn", "PASSWORD": "Passw0rd!"}})
	session, _ = out["Session"].(string)
	return block, session
}

var fuzzChallenges = []string{"PASSWORD_VERIFIER", "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE",
	"MFA_SETUP", "NEW_PASSWORD_REQUIRED", "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "ADMIN_NO_SRP_AUTH"}

// FuzzChallengeResponses answers every challenge with arbitrary responses, against live
// state (a real SECRET_BLOCK and a real MFA session, when the fuzzed ones are empty): the
// answer is always a typed Cognito error or a success, never a server error, and never the
// generic internal error that would hide a parsing bug.
func FuzzChallengeResponses(f *testing.F) {
	fx := newChallengeFixture(f)
	block, session := fx.liveState(f)
	for i := range fuzzChallenges {
		f.Add(uint8(i), "", "", "Sun Nov 1 00:00:00 UTC 2026", "c2lnbmF0dXJl", "123456", "SMS_MFA", "abc")
	}
	f.Add(uint8(0), "", block[:len(block)/2], "Sun Nov 01 00:00:00 UTC 2026", "%%%", "", "", "0")
	f.Add(uint8(1), session+"x", "", "", "", "12345a", "", "")
	f.Add(uint8(7), "", "", "", "", "", "", srp.N().Text(16))
	f.Fuzz(func(t *testing.T, which uint8, fuzzSession, fuzzBlock, timestamp, signature, code, answer, srpA string) {
		responses := map[string]string{
			"USERNAME": "quinn", "TIMESTAMP": timestamp, "PASSWORD_CLAIM_SIGNATURE": signature,
			"SMS_MFA_CODE": code, "SOFTWARE_TOKEN_MFA_CODE": code, "EMAIL_OTP_CODE": code, "ANSWER": answer,
			"SRP_A": srpA, "DEVICE_KEY": answer, "NEW_PASSWORD": signature,
			"PASSWORD_CLAIM_SECRET_BLOCK": fuzzBlock,
		}
		if fuzzBlock == "" {
			responses["PASSWORD_CLAIM_SECRET_BLOCK"] = block
		}
		sess := fuzzSession
		if sess == "" {
			sess = session
		}
		name := fuzzChallenges[int(which)%len(fuzzChallenges)]
		status, out := fx.call(t, "RespondToAuthChallenge", map[string]any{"ClientId": fx.clientID, "ChallengeName": name,
			"Session": sess, "ChallengeResponses": responses})
		if status >= 500 {
			t.Fatalf("%s: status %d %v", name, status, out)
		}
		if status != http.StatusOK {
			typ, _ := out["__type"].(string)
			if typ == "" || typ == "InternalErrorException" {
				t.Fatalf("%s answered %d %v", name, status, out)
			}
		}
	})
}
