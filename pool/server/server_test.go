package server

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/seal"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(db string) Config {
	return Config{Addr: "127.0.0.1:0", DB: db, KDF: "argon2id:m=64,t=1,p=1", Logger: quiet()}
}

func TestDevelopmentModeIsRefusedOffLoopback(t *testing.T) {
	cfg := testConfig("memory")
	cfg.Addr = "0.0.0.0:0"
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("development mode off loopback: %v", err)
	}
	cfg.Credentials = []string{"AKID:secret"}
	srv, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	srv.Close()
	cfg.Credentials = []string{"no-colon"}
	if _, err := Open(context.Background(), cfg); err == nil {
		t.Fatal("malformed credentials accepted")
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:9229": true, "[::1]:1": true, "localhost:80": true, "0.0.0.0:1": false, ":9229": false, "10.0.0.1:1": false, "garbage": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) != %v", addr, want)
		}
	}
}

func TestSecretKeyFileBesideFileDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pool.db")
	srv, err := Open(context.Background(), testConfig(db))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	info, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatalf("no key file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", info.Mode().Perm())
	}
	first, _ := os.ReadFile(db + ".key")
	srv, err = Open(context.Background(), testConfig(db))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	second, _ := os.ReadFile(db + ".key")
	if string(first) != string(second) {
		t.Fatal("the key changed between starts")
	}

	cfg := testConfig("postgres://nobody@127.0.0.1:1/none")
	if _, err := Open(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "secret-key") {
		t.Fatalf("PostgreSQL without --secret-key: %v", err)
	}
	cfg = testConfig("memory")
	cfg.SecretKey = base64.StdEncoding.EncodeToString([]byte("short"))
	if _, err := Open(context.Background(), cfg); err == nil {
		t.Fatal("a short secret key was accepted")
	}
	cfg.SecretKey = base64.StdEncoding.EncodeToString(seal.GenerateKey())
	srv, err = Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
}

func get(t *testing.T, h http.Handler, path, remote string, edit func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = remote
	if edit != nil {
		edit(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestOutboxAccess(t *testing.T) {
	dev, err := Open(context.Background(), testConfig("memory"))
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if rec := get(t, dev.Handler(), "/_local/messages", "127.0.0.1:5000", nil); rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("development mode outbox: %d %q", rec.Code, rec.Body)
	}
	if rec := get(t, dev.Handler(), "/_local/messages?after=x", "127.0.0.1:5000", nil); rec.Code != 400 {
		t.Fatalf("bad after: %d", rec.Code)
	}

	cfg := testConfig("memory")
	cfg.Credentials = []string{"AKID:secret"}
	closed, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	if rec := get(t, closed.Handler(), "/_local/messages", "127.0.0.1:5000", nil); rec.Code != 404 {
		t.Fatalf("outbox without --outbox outside development mode: %d", rec.Code)
	}

	cfg.Outbox = true
	open, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	h := open.Handler()
	if rec := get(t, h, "/_local/messages", "127.0.0.1:5000", nil); rec.Code != 200 {
		t.Fatalf("loopback caller: %d", rec.Code)
	}
	if rec := get(t, h, "/_local/messages", "192.0.2.7:5000", nil); rec.Code != 401 {
		t.Fatalf("remote caller without credentials: %d", rec.Code)
	}
	if rec := get(t, h, "/_local/messages", "192.0.2.7:5000", func(r *http.Request) { r.SetBasicAuth("AKID", "wrong") }); rec.Code != 401 {
		t.Fatalf("remote caller with a wrong secret: %d", rec.Code)
	}
	if rec := get(t, h, "/_local/messages", "192.0.2.7:5000", func(r *http.Request) { r.SetBasicAuth("AKID", "secret") }); rec.Code != 200 {
		t.Fatalf("remote caller with credentials: %d", rec.Code)
	}
}

func TestHealthMetricsAndDrain(t *testing.T) {
	srv, err := Open(context.Background(), testConfig("memory"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(addr string) { addrs <- addr }) }()
	addr := <-addrs
	base := "http://" + addr
	for _, path := range []string{"/_local/health", "/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	// One API call so that the request metrics have a sample.
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(`{"MaxResults":1}`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ListUserPools")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `hashless_pool_requests_total{operation="ListUserPools",outcome="ok"} 1`) {
		t.Fatalf("metrics lack the request count:\n%s", body)
	}
	if got := srv.Service; got == nil {
		t.Fatal("no service")
	}
	if srv.cfg.PublicURL != base {
		t.Fatalf("public URL %q should follow the bound address %q", srv.cfg.PublicURL, base)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("drain: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after drain")
	}
}
