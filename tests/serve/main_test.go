package servetest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the hashless binary built once for the package.
var binary string

// secretKey is the sealing key every serve process on PostgreSQL shares.
var secretKey = func() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}()

const (
	adminToken = "test-admin-token"
	// cheapKDF keeps the pool's password hashing fast in tests.
	cheapKDF = "pbkdf2-sha256:i=1000"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests mostly wait on subprocesses (sagas are settled after a lease of seconds), so
	// more of them may run at once than there are cores, unless -parallel says otherwise.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", fmt.Sprint(max(runtime.GOMAXPROCS(0), 8)))
	}
	dir, err := os.MkdirTemp("", "hashless-servetest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hashless")
	root, err := moduleRoot()
	if err == nil {
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/hashless")
		cmd.Dir = root
		var out []byte
		out, err = cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building hashless:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the directory of the module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err == nil {
		if mod := strings.TrimSpace(string(out)); mod != "" && mod != os.DevNull {
			return filepath.Dir(mod), nil
		}
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the module root")
	}
	return filepath.Join(filepath.Dir(file), "..", ".."), nil
}

// proc is a running hashless subprocess.
type proc struct {
	name string
	cmd  *exec.Cmd
	// URL is http://<the address it logged>.
	URL  string
	done chan struct{}

	mu     sync.Mutex
	stderr bytes.Buffer
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// baseEnv is the environment every subprocess starts from: this process's, without anything
// that would change what hashless does, and never letting the AWS SDK look for instance
// metadata.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HASHLESS_") || strings.HasPrefix(kv, "COGNITO_") || strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_EC2_METADATA_DISABLED=true")
}

// launch starts the binary with args and extra environment. It does not wait for anything;
// the process is killed when the test ends.
func launch(t testing.TB, name string, args, env []string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.cmd.Env = append(baseEnv(), env...)
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.Write(sc.Bytes())
			p.stderr.WriteByte('\n')
			p.mu.Unlock()
		}
		io.Copy(io.Discard, pipe)
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() || testing.Verbose() {
			t.Logf("--- stderr of %s:\n%s", p.name, p.Stderr())
		}
	})
	return p
}

// start launches the binary and waits for its `listening addr=…` line.
func start(t testing.TB, name string, args, env []string) *proc {
	t.Helper()
	return awaitListening(t, launch(t, name, args, env))
}

// awaitListening waits for a launched process's `listening addr=…` line and sets its URL.
func awaitListening(t testing.TB, p *proc) *proc {
	t.Helper()
	name := p.name
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := listeningRE.FindStringSubmatch(p.Stderr()); m != nil {
			p.URL = "http://" + m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening (%v):\n%s", name, p.cmd.ProcessState, p.Stderr())
		case <-deadline:
			t.Fatalf("%s did not log its address within a minute:\n%s", name, p.Stderr())
		case <-tick.C:
		}
	}
}

// Stderr is everything the process has logged so far.
func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// wait waits for the process to exit by itself and returns its state.
func (p *proc) wait(t testing.TB, within time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState
	case <-time.After(within):
		t.Fatalf("%s still runs after %v:\n%s", p.name, within, p.Stderr())
		return nil
	}
}

// killedBySIGKILL reports whether the process ended by SIGKILL.
func killedBySIGKILL(ps *os.ProcessState) bool {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// serveOpts says how to start `hashless serve`.
type serveOpts struct {
	db   string
	args []string
	env  []string
}

func serveArgs(o serveOpts) []string {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--db", o.db, "--kdf", cheapKDF}
	if isPostgres(o.db) {
		args = append(args, "--secret-key", secretKey)
	}
	return append(args, o.args...)
}

// startServe runs `hashless serve` and waits until it listens.
func startServe(t testing.TB, o serveOpts) *proc {
	t.Helper()
	return start(t, "serve", serveArgs(o), append([]string{"HASHLESS_ADMIN_TOKEN=" + adminToken}, o.env...))
}

// launchServe runs `hashless serve` without waiting (for runs expected to fail).
func launchServe(t testing.TB, o serveOpts) *proc {
	t.Helper()
	return launch(t, "serve", serveArgs(o), append([]string{"HASHLESS_ADMIN_TOKEN=" + adminToken}, o.env...))
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
