package mototest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// Region is the region test pools are created in.
const Region = "us-east-1"

var (
	mu      sync.Mutex
	cmd     *exec.Cmd
	url     string
	started bool
	failure error
)

// Start launches moto_server on a free loopback port, once; it does nothing when
// moto_server is not on PATH (Require then reports why).
func Start() {
	mu.Lock()
	defer mu.Unlock()
	if started {
		return
	}
	started = true
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		failure = errors.New("moto_server is not on PATH")
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		failure = err
		return
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		failure = fmt.Errorf("starting moto_server: %w", err)
		return
	}
	cmd = c
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			url = base
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	failure = errors.New("moto_server did not answer within 30 s")
	stopLocked()
}

// Stop ends the server Start launched.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	stopLocked()
}

func stopLocked() {
	if cmd == nil {
		return
	}
	// The shim that runs moto may leave the interpreter as a child: end the whole group
	// this package started.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	cmd = nil
}

// Require returns the server's URL, or skips (fails under CI=true) the test when there is
// none.
func Require(t testing.TB) string {
	t.Helper()
	Start()
	mu.Lock()
	u, err := url, failure
	mu.Unlock()
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("moto: %v; with CI=true the moto tests must run (pip install 'moto[server]')", err)
	}
	t.Skipf("moto: %v; skipping the moto run of this test (pip install 'moto[server]' to run it)", err)
	return ""
}

// Admin returns an SDK client for the server; moto accepts any credentials.
func Admin(baseURL string) *cip.Client {
	return cip.New(cip.Options{
		Region: Region, BaseEndpoint: aws.String(baseURL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDMOTO", "moto", ""),
		HTTPClient:  &http.Client{Transport: plainBodies{http.DefaultTransport}},
	})
}

// plainBodies hides the WriterTo of request bodies, against the SDK race described in
// package cognito's transport.go.
type plainBodies struct{ next http.RoundTripper }

func (p plainBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return p.next.RoundTrip(r)
}
