package apitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/internal/pooltest"
)

// raw sends a request by hand, signed with the test credentials unless sign is false, and
// returns the status, the x-amzn-ErrorType header and the decoded body.
func raw(t *testing.T, p *pooltest.Pool, target, contentType string, body []byte, sign bool, edit func(*http.Request)) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+target)
	}
	if sign {
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: pooltest.AccessKey, SecretAccessKey: pooltest.SecretKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("response is not JSON (%d): %q", resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), out
}

func wantRawError(t *testing.T, status int, header string, body map[string]any, want string) {
	t.Helper()
	if status != http.StatusBadRequest || header != want || body["__type"] != want {
		t.Fatalf("want 400 %s, got %d header=%q body=%v", want, status, header, body)
	}
	if msg, _ := body["message"].(string); msg == "" {
		t.Fatalf("%s without a message", want)
	}
}

func TestMalformedRequests(t *testing.T) {
	p := pooltest.Start(t, "memory")
	const ct = "application/x-amz-json-1.1"
	cases := []struct {
		name, target, ct string
		body             string
		want             string
	}{
		{"unknown operation", "NoSuchOperation", ct, `{}`, "UnknownOperationException"},
		{"no target", "", ct, `{}`, "UnknownOperationException"},
		{"malformed JSON", "DescribeUserPool", ct, `{"UserPoolId":`, "SerializationException"},
		{"not an object", "DescribeUserPool", ct, `["x"]`, "SerializationException"},
		{"wrong type", "ListUsers", ct, `{"UserPoolId":"us-east-1_abc","Limit":"ten"}`, "SerializationException"},
		{"wrong nested type", "AdminCreateUser", ct, `{"UserPoolId":"us-east-1_abc","Username":"x","UserAttributes":{"Name":"x"}}`, "SerializationException"},
		{"trailing data", "DescribeUserPool", ct, `{"UserPoolId":"us-east-1_abc"} {}`, "SerializationException"},
		{"missing field", "DescribeUserPool", ct, `{}`, "InvalidParameterException"},
		{"bad pool id", "DescribeUserPool", ct, `{"UserPoolId":"no-underscore"}`, "InvalidParameterException"},
		{"oversized field", "AdminGetUser", ct, `{"UserPoolId":"us-east-1_abc","Username":"` + strings.Repeat("a", 200) + `"}`, "InvalidParameterException"},
		{"wrong content type", "DescribeUserPool", "text/plain", `{}`, "SerializationException"},
		{"empty body", "ListUserPools", ct, ``, "InvalidParameterException"},
		{"NUL in a value", "AdminCreateUser", ct, `{"UserPoolId":"us-east-1_abc","Username":"x","UserAttributes":[{"Name":"name","Value":"a\u0000b"}]}`, "InvalidParameterException"},
		{"huge limit", "ListUsers", ct, `{"UserPoolId":"us-east-1_abc","Limit":99999999999}`, "SerializationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := raw(t, p, tc.target, tc.ct, []byte(tc.body), true, nil)
			wantRawError(t, status, header, body, tc.want)
		})
	}
	t.Run("oversized body", func(t *testing.T) {
		big := `{"UserPoolId":"us-east-1_abc","x":"` + strings.Repeat("a", 2<<20) + `"}`
		status, header, body := raw(t, p, "DescribeUserPool", ct, []byte(big), true, nil)
		wantRawError(t, status, header, body, "InvalidParameterException")
	})
}

func TestSignatureChecks(t *testing.T) {
	p := pooltest.Start(t, "memory")
	const ct = "application/x-amz-json-1.1"
	body := []byte(`{"MaxResults":10}`)
	if status, _, out := raw(t, p, "ListUserPools", ct, body, true, nil); status != http.StatusOK {
		t.Fatalf("a correctly signed call failed: %d %v", status, out)
	}
	cases := []struct {
		name string
		edit func(*http.Request)
		want string
	}{
		{"unsigned admin call", func(r *http.Request) { r.Header.Del("Authorization") }, "MissingAuthenticationTokenException"},
		{"changed body", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader(`{"MaxResults":11}`))
			r.ContentLength = 17
		}, "InvalidSignatureException"},
		{"unknown key", func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), pooltest.AccessKey, "AKIDUNKNOWN", 1))
		}, "UnrecognizedClientException"},
		{"garbage header", func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense") }, "IncompleteSignatureException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, header, out := raw(t, p, "ListUserPools", ct, body, true, tc.edit)
			wantRawError(t, status, header, out, tc.want)
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		_, err := p.Client(pooltest.AccessKey, "wrong-secret", "us-east-1").ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
		wantAPIError(t, err, "InvalidSignatureException")
	})
	t.Run("stale date", func(t *testing.T) {
		stale := pooltest.Start(t, "memory", func(cfg *serverConfig) { cfg.SignatureClock = fixedClock(time.Now().Add(16 * time.Minute)) })
		_, err := stale.Admin().ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)})
		wantAPIError(t, err, "InvalidSignatureException")
		fresh := pooltest.Start(t, "memory", func(cfg *serverConfig) { cfg.SignatureClock = fixedClock(time.Now().Add(14 * time.Minute)) })
		must(fresh.Admin().ListUserPools(ctx(t), &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)}))(t)
	})
}

func TestCORSPreflight(t *testing.T) {
	p := pooltest.Start(t, "memory")
	req, _ := http.NewRequest(http.MethodOptions, p.URL+"/", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,x-amz-user-agent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") == "" ||
		!strings.Contains(allowed, "x-amz-target") || !strings.Contains(allowed, "x-amz-user-agent") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// The operations the pool server must implement at this stage, as the issue lists them.
var requiredOperations = []string{
	"CreateUserPool", "DescribeUserPool", "UpdateUserPool", "DeleteUserPool", "ListUserPools",
	"CreateUserPoolClient", "DescribeUserPoolClient", "UpdateUserPoolClient", "DeleteUserPoolClient",
	"ListUserPoolClients", "AddCustomAttributes", "TagResource", "UntagResource", "ListTagsForResource",
	"AdminCreateUser", "AdminGetUser", "AdminDeleteUser", "AdminUpdateUserAttributes", "AdminDeleteUserAttributes",
	"AdminSetUserPassword", "AdminResetUserPassword", "AdminConfirmSignUp", "AdminDisableUser", "AdminEnableUser",
	"ListUsers",
	"CreateGroup", "GetGroup", "UpdateGroup", "DeleteGroup", "ListGroups", "AdminAddUserToGroup",
	"AdminRemoveUserFromGroup", "AdminListGroupsForUser", "ListUsersInGroup",
	"CreateUserImportJob", "StartUserImportJob", "DescribeUserImportJob", "ListUserImportJobs", "GetCSVHeader",
	// Sign-in, tokens and self-service.
	"InitiateAuth", "AdminInitiateAuth", "RespondToAuthChallenge", "AdminRespondToAuthChallenge",
	"SignUp", "ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword", "ConfirmForgotPassword", "ChangePassword",
	"GetUser", "UpdateUserAttributes", "DeleteUserAttributes", "DeleteUser", "GetUserAttributeVerificationCode",
	"VerifyUserAttribute", "GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken",
}

func TestOperationTable(t *testing.T) {
	p := pooltest.Start(t, "memory")
	have := p.Server.Operations()
	for _, op := range requiredOperations {
		if !slices.Contains(have, op) {
			t.Errorf("operation %s is not implemented", op)
		}
	}
	// Every implemented operation answers a request without a body with a Cognito error or a
	// result, never an unknown-operation error or a 500.
	for _, op := range have {
		status, header, body := raw(t, p, op, "application/x-amz-json-1.1", []byte(`{}`), true, nil)
		if status >= 500 || header == "UnknownOperationException" {
			t.Errorf("%s with an empty body: %d %s %v", op, status, header, body)
		}
	}
}
