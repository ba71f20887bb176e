package pooltest

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/internal/seal"
	"github.com/hashless/hashless/internal/testenv"
	"github.com/hashless/hashless/pool/server"
)

// Test credentials. The secret is not a secret: these servers live for one test.
const (
	AccessKey = "AKIDTESTPOOL"
	SecretKey = "test-secret-key"
	// CheapKDF keeps tests fast; production uses server.DefaultKDF.
	CheapKDF = "argon2id:m=64,t=1,p=1"
)

// Backend names a storage backend for a test server.
type Backend string

const (
	Memory   Backend = "memory"
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends is every backend a test should run on.
var Backends = []Backend{Memory, SQLite, Postgres}

// DSN returns a fresh database for backend b, owned by t.
func DSN(t testing.TB, b Backend) string {
	switch b {
	case SQLite:
		return testenv.SQLitePath(t)
	case Postgres:
		return testenv.PostgresDSN(t)
	default:
		return "memory"
	}
}

// Pool is a running test server.
type Pool struct {
	Server *server.Server
	HTTP   *httptest.Server
	URL    string
}

// Option adjusts a test server's configuration.
type Option func(*server.Config)

// Start runs a pool on dsn behind a loopback listener, with credentials AccessKey:SecretKey.
func Start(t testing.TB, dsn string, opts ...Option) *Pool {
	t.Helper()
	cfg := server.Config{
		Addr:        "127.0.0.1:0",
		DB:          dsn,
		Credentials: []string{AccessKey + ":" + SecretKey},
		SecretKey:   SharedKey,
		KDF:         CheapKDF,
		Outbox:      true,
		Logger:      Logger(t),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.Open(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("starting pool on %s: %v", dsn, err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &Pool{Server: srv, HTTP: hs, URL: hs.URL}
}

// SharedKey is the sealing key test servers share, so two nodes on one database agree.
var SharedKey = base64.StdEncoding.EncodeToString(seal.GenerateKey())

// Logger writes server logs to the test log when -v is given, and nowhere otherwise.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Client returns an SDK client for p signed with the given credentials and region.
func (p *Pool) Client(key, secret, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:           region,
		BaseEndpoint:     aws.String(p.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: plainBodies{&http.Transport{}}},
	})
}

// Admin returns a client with the server's credentials in us-east-1.
func (p *Pool) Admin() *cip.Client { return p.Client(AccessKey, SecretKey, "us-east-1") }

func init() {
	// The SDK must never look for instance credentials in tests.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// plainBodies hides the WriterTo of the SDK's request bodies. The SDK closes a request body
// as soon as the response arrives; when the server answers before the transport has finished
// its final read of that body, the closed body's WriteTo reports io.EOF as an error, the
// transport takes it for a failed write and closes the connection under the response being
// read ("use of closed network connection", aws-sdk-go-v2 issues 1825 and 2737). Plain reads
// of a closed body end cleanly instead. Fast local servers hit this often, so every client
// the tests make goes through here.
type plainBodies struct{ next http.RoundTripper }

func (p plainBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return p.next.RoundTrip(r)
}

// Clock is a settable clock for tests that stand at time boundaries.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at now, truncated to the second so boundaries are exact.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// WithClock runs the server on c.
func WithClock(c *Clock) Option { return func(cfg *server.Config) { cfg.Clock = c } }
