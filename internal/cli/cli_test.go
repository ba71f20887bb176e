package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/server"
)

// The test binary doubles as the hashless command when this variable is set, so tests can
// run it as a real process and signal it.
const asCommand = "HASHLESS_CLI_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	return cmd
}

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "hashless ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := Main(nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "hashless pool") {
		t.Fatalf("no arguments: %d", code)
	}
	if code := Main([]string{"bogus"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
	errOut.Reset()
	if code := Main([]string{"pool", "--addr", "0.0.0.0:0", "--db", "memory"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "loopback") {
		t.Fatalf("development mode off loopback: %d %q", code, errOut.String())
	}
	if code := Main([]string{"pool", "--kdf", "md5"}, &out, &errOut); code != 1 {
		t.Fatalf("bad --kdf: %d", code)
	}
	if code := Main([]string{"pool", "--tls-cert", "x.pem"}, &out, &errOut); code != 2 {
		t.Fatalf("--tls-cert without --tls-key: %d", code)
	}
}

func TestEnvironmentSetsFlags(t *testing.T) {
	t.Setenv("HASHLESS_POOL_ADDR", "0.0.0.0:0")
	t.Setenv("HASHLESS_POOL_DB", "memory")
	var out, errOut bytes.Buffer
	if code := Main([]string{"pool"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "0.0.0.0:0") {
		t.Fatalf("HASHLESS_POOL_ADDR was not used: %d %q", code, errOut.String())
	}
	errOut.Reset()
	// A flag on the command line wins over the environment.
	if code := Main([]string{"pool", "--addr", "0.0.0.0:1", "--credentials", "x"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "KEY:SECRET") {
		t.Fatalf("flag did not win: %d %q", code, errOut.String())
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// The real process logs its address, serves, and drains on SIGTERM with exit status 0.
func TestPoolProcessDrainsOnSIGTERM(t *testing.T) {
	cmd := command(t, "pool", "--addr", "127.0.0.1:0", "--db", "memory")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	var addr string
	var log strings.Builder
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		t.Fatalf("no listening line in:\n%s", log.String())
	}
	resp, err := http.Get("http://" + addr + "/_local/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", err, resp)
	}
	resp.Body.Close()
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if tail := <-rest; !strings.Contains(tail, "msg=draining") || !strings.Contains(tail, "msg=stopped") {
		t.Fatalf("no drain in the log:\n%s", tail)
	}
}

func TestImportCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pool.db")
	srv, err := server.Open(context.Background(), server.Config{DB: db, KDF: "argon2id:m=64,t=1,p=1", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := srv.Service.CreateUserPool(context.Background(), pool.Caller{Region: "us-east-1"}, &pool.CreateUserPoolInput{PoolName: "import"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	poolID := created.UserPool.Id

	var csv strings.Builder
	csv.WriteString("cognito:username,email,email_verified,cognito:mfa_enabled\n")
	const n = 1200
	for i := range n {
		fmt.Fprintf(&csv, "user%04d,user%04d@example.com,true,false\n", i, i)
	}
	csv.WriteString("user0001,dup@example.com,true,false\n")
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Main([]string{"pool", "import", "--db", db, "--kdf", "argon2id:m=64,t=1,p=1", "--pool", poolID, file}, &out, &errOut)
	if code != 0 {
		t.Fatalf("import exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("imported=%d failed=1 rows=%d", n, n+1)) {
		t.Fatalf("summary %q", out.String())
	}
	if !strings.Contains(errOut.String(), "imported 500 of 500 rows") {
		t.Fatalf("no progress shown: %q", errOut.String())
	}
	errOut.Reset()
	if code := Main([]string{"pool", "import", "--db", db, "--pool", "us-east-1_missing00", file}, &out, &errOut); code != 1 {
		t.Fatalf("import into a missing pool: %d", code)
	}
	if code := Main([]string{"pool", "import", "--db", db, file}, &out, &errOut); code != 2 {
		t.Fatalf("import without --pool: %d", code)
	}
}

func TestKeysRotateCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pool.db")
	srv, err := server.Open(context.Background(), server.Config{DB: db, KDF: "argon2id:m=64,t=1,p=1", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := srv.Service.CreateUserPool(context.Background(), pool.Caller{Region: "us-east-1"}, &pool.CreateUserPoolInput{PoolName: "keys"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := srv.Service.JWKS(context.Background(), created.UserPool.Id)
	srv.Close()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"pool", "keys", "rotate", "--db", db, "--pool", created.UserPool.Id, "--lead", "5m"}, &out, &errOut); code != 0 {
		t.Fatalf("rotate: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "new keys") {
		t.Fatalf("output %q", out.String())
	}
	srv, err = server.Open(context.Background(), server.Config{DB: db, KDF: "argon2id:m=64,t=1,p=1", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	after, err := srv.Service.JWKS(context.Background(), created.UserPool.Id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(after), `"kid"`) != 4 || strings.Count(string(before), `"kid"`) != 2 {
		t.Fatalf("JWKS before %s\nafter %s", before, after)
	}
	if code := Main([]string{"pool", "keys", "rotate", "--db", db, "--pool", "us-east-1_missing00"}, &out, &errOut); code != 1 {
		t.Fatalf("rotating a missing pool: %d", code)
	}
}
