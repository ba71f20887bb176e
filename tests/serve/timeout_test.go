package servetest

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stallingPool is a pool endpoint under the test's control: it answers serve's start-up
// checks as a well set-up pool would, then, once stalled, accepts every connection and
// request and never answers.
type stallingPool struct {
	URL     string
	stalled atomic.Bool
	calls   atomic.Int64
	stop    chan struct{}
}

func startStallingPool(t *testing.T) *stallingPool {
	t.Helper()
	p := &stallingPool{stop: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.URL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		if p.stalled.Load() {
			select {
			case <-r.Context().Done():
			case <-p.stop:
			}
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService."); op {
		case "DescribeUserPool":
			json.NewEncoder(w).Encode(map[string]any{"UserPool": map[string]any{
				"Id": "us-east-1_Stalling1", "UsernameConfiguration": map[string]any{"CaseSensitive": false}}})
		case "DescribeUserPoolClient":
			json.NewEncoder(w).Encode(map[string]any{"UserPoolClient": map[string]any{
				"UserPoolId": "us-east-1_Stalling1", "ClientId": "stallingclient",
				"ExplicitAuthFlows": []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}})
		default:
			w.Header().Set("x-amzn-ErrorType", "InternalErrorException")
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"__type": "InternalErrorException", "message": op + " is not expected before the stall"})
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(p.stop)
		srv.Close()
	})
	return p
}

// TestStalledPoolAnswers503: when the pool takes the connection but never answers, every
// request that needs it ends with 503 {"type":"unavailable"} after the call timeout, never
// a 500 or a hang, and /readyz says not ready.
func TestStalledPoolAnswers503(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		pool := startStallingPool(t)
		env := []string{
			"COGNITO_REGION=us-east-1", "COGNITO_USER_POOL_ID=us-east-1_Stalling1", "COGNITO_CLIENT_ID=stallingclient",
			"COGNITO_ACCESS_KEY_ID=AKIDTEST", "COGNITO_SECRET_ACCESS_KEY=secret", "COGNITO_ENDPOINT=" + pool.URL,
		}
		s := startServe(t, serveOpts{db: dsn, env: env, args: []string{"--call-timeout", "1s"}})
		pool.stalled.Store(true)
		a := newAPI(t, s.URL)
		a.hc.Timeout = 20 * time.Second // far beyond the call timeout: a hang fails the request

		asked := pool.calls.Load()
		a.do("POST", "/store/auth", map[string]any{"email": "someone@example.com", "password": "Some-Passw0rd"}).
			expectError(t, http.StatusServiceUnavailable, "unavailable")
		a.do("POST", "/store/auth/token", map[string]any{"email": "someone@example.com", "password": "Some-Passw0rd"}).
			expectError(t, http.StatusServiceUnavailable, "unavailable")
		if pool.calls.Load() == asked {
			t.Fatal("sign-in did not ask the pool")
		}
		a.do("GET", "/readyz", nil).expect(t, http.StatusServiceUnavailable)
		a.do("GET", "/healthz", nil).expect(t, http.StatusOK)
		// A registration cannot finish: 503, and the address is not lost for good.
		a.do("POST", "/store/customers", map[string]any{"email": "new@example.com", "password": "New-Passw0rd-1"}).
			expectError(t, http.StatusServiceUnavailable, "unavailable")
		if found := a.findByEmail("new@example.com"); len(found) != 0 {
			t.Fatalf("a registration the pool never confirmed is live: %+v", found)
		}
		// Forgot-password answers as always; it must not hang either.
		a.do("POST", "/store/customers/password-token", map[string]any{"email": "someone@example.com"}).expect(t, http.StatusNoContent)
		if strings.Contains(s.Stderr(), "panic") {
			t.Fatalf("serve panicked:\n%s", s.Stderr())
		}
	})
}

// TestSilentPoolAtStart: a pool that takes connections and never answers stops serve from
// starting (with a message), after a bounded wait rather than never.
func TestSilentPoolAtStart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	env := []string{
		"COGNITO_REGION=us-east-1", "COGNITO_USER_POOL_ID=us-east-1_Silent123", "COGNITO_CLIENT_ID=silentclient",
		"COGNITO_ACCESS_KEY_ID=AKIDTEST", "COGNITO_SECRET_ACCESS_KEY=secret", "COGNITO_ENDPOINT=http://" + ln.Addr().String(),
	}
	p := launchServe(t, serveOpts{db: backends[0].dsn(t), env: env, args: []string{"--call-timeout", "1s"}})
	ps := p.wait(t, 30*time.Second)
	if ps.Success() || strings.Contains(p.Stderr(), "msg=listening") || !strings.Contains(p.Stderr(), "us-east-1_Silent123") {
		t.Fatalf("serve against a silent pool: %v\n%s", ps, p.Stderr())
	}
}

// TestFirstSignInWithAShortCallTimeout: the first sign-in of a fresh pool makes its signing
// keys, which can take longer than a short call timeout. That attempt may answer 503, but the
// keys must be kept, so sign-in works soon after instead of every attempt starting over.
func TestFirstSignInWithAShortCallTimeout(t *testing.T) {
	t.Parallel()
	dsn := backends[0].dsn(t)
	first := startServe(t, serveOpts{db: dsn})
	a := newAPI(t, first.URL)
	a.register("first.signin@example.com", "First-Passw0rd-1")
	first.kill()

	s := startServe(t, serveOpts{db: dsn, args: []string{"--call-timeout", "30ms"}})
	a = newAPI(t, s.URL)
	a.whoami(a.loginPatiently("first.signin@example.com", "First-Passw0rd-1"))
}
