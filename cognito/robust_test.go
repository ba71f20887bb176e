package cognito_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashless/hashless/cognito"
)

// fakePool answers every request with fn(operation, body).
func fakePool(t *testing.T, fn func(w http.ResponseWriter, op string, body string)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, _ := io.ReadAll(r.Body)
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
		fn(w, op, string(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fakeClient(t *testing.T, endpoint string, edit func(*cognito.Config)) *cognito.Client {
	t.Helper()
	cfg := cognito.Config{UserPoolID: "us-east-1_Fake1", ClientID: "fakeclient", Endpoint: endpoint,
		AccessKeyID: "AKID", SecretAccessKey: "secret", MaxBackoff: 5 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	c, err := cognito.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	io.WriteString(w, `{"__type":"`+code+`","message":"`+msg+`"}`)
}

// calls exercise one method of each shape: a public call, a token call, an admin call, a
// listing and a sign-in.
func calls(c *cognito.Client) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"SignUp":  func(ctx context.Context) error { _, err := c.SignUp(ctx, "u", "Passw0rd!", nil); return err },
		"Login":   func(ctx context.Context) error { _, err := c.Login(ctx, "u", "Passw0rd!"); return err },
		"Refresh": func(ctx context.Context) error { _, err := c.Refresh(ctx, "tok", ""); return err },
		"Profile": func(ctx context.Context) error { _, err := c.Profile(ctx, "tok"); return err },
		"AdminGetUser": func(ctx context.Context) error {
			_, err := c.AdminGetUser(ctx, "u")
			return err
		},
		"ListUsers": func(ctx context.Context) error {
			for _, err := range c.Users(ctx, cognito.ListUsersOptions{}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"AdminCreateUser": func(ctx context.Context) error {
			_, err := c.AdminCreateUser(ctx, cognito.NewUser{Username: "u"})
			return err
		},
		"CreateGroup": func(ctx context.Context) error { _, err := c.CreateGroup(ctx, cognito.Group{Name: "g"}); return err },
	}
}

func TestGarbageAnswers(t *testing.T) {
	t.Parallel()
	answers := map[string]func(w http.ResponseWriter){
		"200 junk":  func(w http.ResponseWriter) { io.WriteString(w, "\x00\xffnot json{{{") },
		"200 empty": func(w http.ResponseWriter) {},
		"200 wrong shape": func(w http.ResponseWriter) {
			io.WriteString(w, `{"AuthenticationResult":"nope","User":[1,2],"Users":{}}`)
		},
		"200 null": func(w http.ResponseWriter) { io.WriteString(w, `null`) },
		"200 empty object": func(w http.ResponseWriter) {
			io.WriteString(w, `{}`)
		},
		"200 half tokens": func(w http.ResponseWriter) {
			io.WriteString(w, `{"AuthenticationResult":{"AccessToken":"a"},"UserSub":"s"}`)
		},
		"500 html":      func(w http.ResponseWriter) { w.WriteHeader(500); io.WriteString(w, "<html>oops</html>") },
		"400 no type":   func(w http.ResponseWriter) { w.WriteHeader(400); io.WriteString(w, `{"message":"?"}`) },
		"302 elsewhere": func(w http.ResponseWriter) { w.Header().Set("Location", "http://127.0.0.1:1/"); w.WriteHeader(302) },
		"truncated": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, `{"AuthenticationResult":{`)
		},
		"hang up": func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, _ := fakePool(t, func(w http.ResponseWriter, _, _ string) { answer(w) })
			for op, call := range calls(fakeClient(t, srv.URL, nil)) {
				err := call(ctx(t))
				if err == nil {
					// An answer without Users is a valid empty listing; a SignUp answer
					// needs only its UserSub.
					if op == "ListUsers" && strings.HasPrefix(name, "200") && name != "200 junk" && name != "200 wrong shape" ||
						op == "SignUp" && name == "200 half tokens" {
						continue
					}
					t.Errorf("%s: no error", op)
					continue
				}
				var ce *cognito.Error
				if !errors.As(err, &ce) || ce.Op == "" {
					t.Errorf("%s: %T %v is not a *cognito.Error", op, err, err)
				}
			}
		})
	}
}

func TestContextDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := fakePool(t, func(w http.ResponseWriter, _, _ string) {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
	})
	defer close(release)
	for op, call := range calls(fakeClient(t, srv.URL, nil)) {
		c, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		start := time.Now()
		err := call(c)
		cancel()
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: returned after %v", op, took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v is not context.DeadlineExceeded", op, err)
		}
	}
	// A cancelled context is honoured before anything is sent.
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fakeClient(t, srv.URL, nil).Login(c, "u", "Passw0rd!"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Login with a cancelled context: %v", err)
	}
}

func TestRetriesOnlyThrottling(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code     string
		status   int
		attempts int64
		sentinel error
	}{
		{"TooManyRequestsException", 429, 3, cognito.ErrTooManyRequests},
		{"ThrottlingException", 400, 3, cognito.ErrTooManyRequests},
		// The SDK's default would retry these; here each is one request.
		{"LimitExceededException", 400, 1, cognito.ErrLimitExceeded},
		{"InternalErrorException", 500, 1, nil},
		{"ServiceUnavailable", 503, 1, nil},
		{"NotAuthorizedException", 400, 1, cognito.ErrNotAuthorized},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			srv, n := fakePool(t, func(w http.ResponseWriter, _, _ string) { apiError(w, tc.status, tc.code, "nope") })
			c := fakeClient(t, srv.URL, nil)
			_, err := c.SignUp(ctx(t), "u", "Passw0rd!", nil)
			wantErr(t, err, tc.sentinel, tc.code)
			if got := n.Load(); got != tc.attempts {
				t.Fatalf("%d requests, want %d", got, tc.attempts)
			}
		})
	}

	t.Run("throttled then served", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int64
		srv, _ := fakePool(t, func(w http.ResponseWriter, _, _ string) {
			if calls.Add(1) < 3 {
				apiError(w, 400, "TooManyRequestsException", "slow down")
				return
			}
			io.WriteString(w, `{"UserSub":"abc","UserConfirmed":false}`)
		})
		res, err := fakeClient(t, srv.URL, nil).SignUp(ctx(t), "u", "Passw0rd!", nil)
		if err != nil || res.UserSub != "abc" {
			t.Fatalf("SignUp after throttling: %+v %v", res, err)
		}
	})

	t.Run("MaxAttempts 1", func(t *testing.T) {
		t.Parallel()
		srv, n := fakePool(t, func(w http.ResponseWriter, _, _ string) { apiError(w, 429, "TooManyRequestsException", "x") })
		_, err := fakeClient(t, srv.URL, func(c *cognito.Config) { c.MaxAttempts = 1 }).SignUp(ctx(t), "u", "Passw0rd!", nil)
		wantErr(t, err, cognito.ErrTooManyRequests, "TooManyRequestsException")
		if n.Load() != 1 {
			t.Fatalf("%d requests with MaxAttempts 1", n.Load())
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		start := time.Now()
		_, err = fakeClient(t, "http://"+addr, nil).SignUp(ctx(t), "u", "Passw0rd!", nil)
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != "" || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("SignUp on a closed port: %v", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("took %v", time.Since(start))
		}
	})

	t.Run("reset after the request was read", func(t *testing.T) {
		t.Parallel()
		srv, n := fakePool(t, func(w http.ResponseWriter, _, _ string) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		})
		_, err := fakeClient(t, srv.URL, nil).SignUp(ctx(t), "u", "Passw0rd!", nil)
		if err == nil {
			t.Fatal("no error")
		}
		// The request reached the pool, which may have acted on it: not repeated.
		if n.Load() != 1 {
			t.Fatalf("%d requests", n.Load())
		}
	})
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	cases := map[string]error{
		"NotAuthorizedException":         cognito.ErrNotAuthorized,
		"UserNotFoundException":          cognito.ErrUserNotFound,
		"UsernameExistsException":        cognito.ErrUsernameExists,
		"CodeMismatchException":          cognito.ErrCodeMismatch,
		"ExpiredCodeException":           cognito.ErrExpiredCode,
		"InvalidPasswordException":       cognito.ErrPasswordPolicy,
		"LimitExceededException":         cognito.ErrLimitExceeded,
		"UserNotConfirmedException":      cognito.ErrUserNotConfirmed,
		"PasswordResetRequiredException": cognito.ErrPasswordResetRequired,
		"AliasExistsException":           cognito.ErrAliasExists,
		"InvalidParameterException":      cognito.ErrInvalidParameter,
		"ResourceNotFoundException":      cognito.ErrResourceNotFound,
		"GroupExistsException":           cognito.ErrGroupExists,
		"SomethingNewException":          nil,
	}
	all := []error{cognito.ErrNotAuthorized, cognito.ErrUserNotFound, cognito.ErrUsernameExists, cognito.ErrCodeMismatch,
		cognito.ErrExpiredCode, cognito.ErrPasswordPolicy, cognito.ErrLimitExceeded, cognito.ErrTooManyRequests,
		cognito.ErrUserNotConfirmed, cognito.ErrPasswordResetRequired, cognito.ErrAliasExists, cognito.ErrInvalidParameter,
		cognito.ErrResourceNotFound, cognito.ErrGroupExists}
	for code, sentinel := range cases {
		srv, _ := fakePool(t, func(w http.ResponseWriter, _, _ string) { apiError(w, 400, code, "the message") })
		err := fakeClient(t, srv.URL, nil).ConfirmSignUp(ctx(t), "u", "123456")
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != code || ce.Message != "the message" || ce.Op != "ConfirmSignUp" {
			t.Fatalf("%s: %#v", code, err)
		}
		want := "cognito: ConfirmSignUp: " + code + ": the message"
		if err.Error() != want {
			t.Fatalf("message %q, want %q", err.Error(), want)
		}
		for _, s := range all {
			if errors.Is(err, s) != (s == sentinel) {
				t.Fatalf("%s: errors.Is(err, %v) = %v", code, s, errors.Is(err, s))
			}
		}
	}
}

func TestSecretHash(t *testing.T) {
	t.Parallel()
	// Computed independently: base64(hmac_sha256(secret, username + client_id)).
	got := cognito.SecretHash("1example2secret3", "alice", "7gd2ouqkrdknq1example")
	if want := "loRk72LovNy1HqrOAtdlgqtYt29wqbRRsWghKhGjGWg="; got != want {
		t.Fatalf("SecretHash = %s, want %s", got, want)
	}
	// Every call that needs it sends it.
	var seen []string
	srv, _ := fakePool(t, func(w http.ResponseWriter, op, body string) {
		if strings.Contains(body, got) {
			seen = append(seen, op)
		}
		apiError(w, 400, "NotAuthorizedException", "x")
	})
	c := fakeClient(t, srv.URL, func(c *cognito.Config) {
		c.ClientID, c.ClientSecret = "7gd2ouqkrdknq1example", "1example2secret3"
	})
	cx := ctx(t)
	c.SignUp(cx, "alice", "Passw0rd!", nil)
	c.ConfirmSignUp(cx, "alice", "123456")
	c.ResendConfirmationCode(cx, "alice")
	c.ForgotPassword(cx, "alice")
	c.ConfirmForgotPassword(cx, "alice", "123456", "Passw0rd!")
	c.Login(cx, "alice", "Passw0rd!")
	c.Refresh(cx, "refresh", "alice")
	c.Respond(cx, &cognito.Challenge{Name: "SMS_MFA", Session: strings.Repeat("s", 30), Username: "alice"}, map[string]string{"SMS_MFA_CODE": "1"})
	want := "SignUp ConfirmSignUp ResendConfirmationCode ForgotPassword ConfirmForgotPassword InitiateAuth InitiateAuth RespondToAuthChallenge"
	if strings.Join(seen, " ") != want {
		t.Fatalf("SECRET_HASH sent with %v, want %s", seen, want)
	}
}

func TestRespondMFA(t *testing.T) {
	t.Parallel()
	var got string
	srv, _ := fakePool(t, func(w http.ResponseWriter, op, body string) {
		got = op + " " + body
		io.WriteString(w, `{"AuthenticationResult":{"AccessToken":"a.b.c","IdToken":"d.e.f","RefreshToken":"r","ExpiresIn":3600,"TokenType":"Bearer"}}`)
	})
	c := fakeClient(t, srv.URL, nil)
	ch := &cognito.Challenge{Name: cognito.ChallengeSoftwareTokenMFA, Session: strings.Repeat("s", 30), Username: "alice"}
	res, err := c.RespondMFA(ctx(t), ch, "123456")
	if err != nil || res.Tokens == nil || res.Tokens.Access != "a.b.c" {
		t.Fatalf("RespondMFA: %+v %v", res, err)
	}
	for _, want := range []string{"RespondToAuthChallenge", `"SOFTWARE_TOKEN_MFA_CODE":"123456"`, `"USERNAME":"alice"`, `"ChallengeName":"SOFTWARE_TOKEN_MFA"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("request %s lacks %s", got, want)
		}
	}
	if _, err := c.RespondMFA(ctx(t), &cognito.Challenge{Name: cognito.ChallengeNewPasswordRequired}, "1"); !errors.Is(err, cognito.ErrInvalidParameter) {
		t.Fatalf("RespondMFA on a password challenge: %v", err)
	}
}
