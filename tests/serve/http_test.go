package servetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// api is an HTTP client of one serve process; with a cookie jar it is a browser.
type api struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newAPI(t testing.TB, base string) *api {
	return &api{t: t, base: base, hc: &http.Client{Timeout: 30 * time.Second}}
}

// newBrowser is an api that keeps cookies.
func newBrowser(t testing.TB, base string) *api {
	jar, _ := cookiejar.New(nil)
	return &api{t: t, base: base, hc: &http.Client{Timeout: 30 * time.Second, Jar: jar}}
}

// response is an answer read in full.
type response struct {
	method, path string
	status       int
	body         []byte
	header       http.Header
	cookies      []*http.Cookie
}

// bearer is an Authorization header for a session token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// try sends a request: body nil (none), a string (sent as is) or anything JSON-encodable;
// hdr are header name/value pairs.
func (a *api) try(method, path string, body any, hdr ...string) (*response, error) {
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				return nil, err
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{method: method, path: path, status: resp.StatusCode, body: b, header: resp.Header, cookies: resp.Cookies()}, nil
}

// do is try that fails the test on a transport error.
func (a *api) do(method, path string, body any, hdr ...string) *response {
	a.t.Helper()
	r, err := a.try(method, path, body, hdr...)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// expect fails the test unless r has the status and then decodes its body into v (if any).
func (r *response) expect(t testing.TB, status int, v ...any) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
	for _, x := range v {
		if err := json.Unmarshal(r.body, x); err != nil {
			t.Fatalf("%s %s: body %s: %v", r.method, r.path, r.body, err)
		}
	}
	return r
}

// expectError fails the test unless r is the error {"type": typ, ...} with the status.
func (r *response) expectError(t testing.TB, status int, typ string) *response {
	t.Helper()
	var e struct{ Type, Message string }
	r.expect(t, status, &e)
	if e.Type != typ || e.Message == "" {
		t.Fatalf("%s %s: error %s, want type %q with a message", r.method, r.path, r.body, typ)
	}
	return r
}

type customer struct {
	ID         string          `json:"id"`
	Email      string          `json:"email"`
	FirstName  *string         `json:"first_name"`
	LastName   *string         `json:"last_name"`
	Phone      *string         `json:"phone"`
	Metadata   json.RawMessage `json:"metadata"`
	HasAccount bool            `json:"has_account"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

type customerBody struct {
	Customer customer `json:"customer"`
}

type session struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

// register creates a customer and returns it.
func (a *api) register(email, password string) customer {
	a.t.Helper()
	var out customerBody
	a.do("POST", "/store/customers", map[string]any{"email": email, "password": password}).expect(a.t, http.StatusCreated, &out)
	if out.Customer.ID == "" {
		a.t.Fatalf("registered customer without an id")
	}
	return out.Customer
}

// login signs in for a bearer token.
func (a *api) login(email, password string) string {
	a.t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	a.do("POST", "/store/auth/token", map[string]any{"email": email, "password": password}).expect(a.t, http.StatusOK, &out)
	if out.AccessToken == "" || out.TokenType != "Bearer" || out.ExpiresIn <= 0 {
		a.t.Fatalf("token answer %+v", out)
	}
	return out.AccessToken
}

// loginPatiently is login for a serve whose pool calls have a short timeout on a busy
// machine: a 503 (the pool did not answer in time) is retried for a while; any other
// refusal fails the test.
func (a *api) loginPatiently(email, password string) string {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := a.do("POST", "/store/auth/token", map[string]any{"email": email, "password": password})
		if r.status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
			r.expectError(a.t, http.StatusServiceUnavailable, "unavailable")
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var out struct {
			AccessToken string `json:"access_token"`
		}
		r.expect(a.t, http.StatusOK, &out)
		return out.AccessToken
	}
}

// loginRefused checks that a sign-in fails with the one generic 401 (waiting out 503s,
// see loginPatiently).
func (a *api) loginRefused(email, password string) {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := a.do("POST", "/store/auth/token", map[string]any{"email": email, "password": password})
		if r.status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
			// Only where the pool call timeout is short and the machine busy.
			time.Sleep(200 * time.Millisecond)
			continue
		}
		r.expectError(a.t, http.StatusUnauthorized, "unauthorized")
		return
	}
}

// whoami is the customer a token signs in as; "" when the token is refused with 401.
func (a *api) whoami(token string) string {
	a.t.Helper()
	r := a.do("GET", "/store/auth", nil, bearer(token)...)
	if r.status == http.StatusUnauthorized {
		r.expectError(a.t, http.StatusUnauthorized, "unauthorized")
		return ""
	}
	var out customerBody
	r.expect(a.t, http.StatusOK, &out)
	return out.Customer.ID
}

// admin is an admin API call.
func (a *api) admin(method, path string, body any) *response {
	a.t.Helper()
	return a.do(method, path, body, bearer(adminToken)...)
}

// findByEmail lists the live customers with an e-mail through the admin API.
func (a *api) findByEmail(email string) []customer {
	a.t.Helper()
	var out struct{ Customers []customer }
	a.admin("GET", "/admin/customers?email="+url.QueryEscape(email), nil).expect(a.t, http.StatusOK, &out)
	return out.Customers
}

// allCustomers lists every live customer through the admin API.
func (a *api) allCustomers() []customer {
	a.t.Helper()
	var all []customer
	after := ""
	for {
		var out struct {
			Customers []customer
			Next      *string
		}
		a.admin("GET", "/admin/customers?limit=1000&after="+url.QueryEscape(after), nil).expect(a.t, http.StatusOK, &out)
		all = append(all, out.Customers...)
		if out.Next == nil {
			return all
		}
		after = *out.Next
	}
}

// message is one entry of a pool's outbox.
type message struct {
	ID          int64     `json:"id"`
	Pool        string    `json:"pool"`
	Username    string    `json:"username"`
	Destination string    `json:"destination"`
	Medium      string    `json:"medium"`
	Kind        string    `json:"kind"`
	Code        string    `json:"code"`
	Message     string    `json:"message"`
	Time        time.Time `json:"time"`
}

// outbox reads GET /_local/messages at base with the query.
func outbox(t testing.TB, base string, q url.Values) []message {
	t.Helper()
	resp, err := http.Get(base + "/_local/messages?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("outbox at %s answered %d: %s", base, resp.StatusCode, b)
	}
	var msgs []message
	if err := json.Unmarshal(b, &msgs); err != nil || msgs == nil {
		t.Fatalf("outbox body %s: %v", b, err)
	}
	return msgs
}

// latestCode is the code of the newest message of a kind to a pool user, waiting a little
// for it; after skips messages up to that id.
func latestCode(t testing.TB, base, pool, kind, username string, after int64) message {
	t.Helper()
	q := url.Values{"kind": {kind}, "username": {username}, "after": {strconv.FormatInt(after, 10)}}
	if pool != "" {
		q.Set("pool", pool)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := outbox(t, base, q)
		if len(msgs) > 0 {
			m := msgs[len(msgs)-1]
			if m.Code == "" || m.Username != username || m.Kind != kind {
				t.Fatalf("outbox message %+v", m)
			}
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s message for %s in the outbox at %s", kind, username, base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lastMessageID is the newest outbox id (0 when empty).
func lastMessageID(t testing.TB, base string) int64 {
	t.Helper()
	msgs := outbox(t, base, url.Values{})
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].ID
}

// metrics reads GET /metrics into series name{labels} → value.
func metrics(t testing.TB, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// delta is after-before for the series of one metric, without the series that did not move.
func delta(before, after map[string]float64, metric string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if k == metric || strings.HasPrefix(k, metric+"{") {
			if d := v - before[k]; d != 0 {
				out[k] = d
			}
		}
	}
	return out
}

// sdk is an aws-sdk-go-v2 client of a pool at endpoint with static credentials.
func sdk(endpoint, key, secret, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:           region,
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: plainBodies{&http.Transport{}}, Timeout: 30 * time.Second},
	})
}

// plainBodies hides the WriterTo of the SDK's request bodies: the SDK closes a body as soon
// as the response arrives, and when a fast local server answers before the transport's last
// read of it, the transport takes the closed body's io.EOF for a failed write and drops the
// connection under the response (see internal/pooltest).
type plainBodies struct{ next http.RoundTripper }

func (p plainBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return p.next.RoundTrip(r)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// eventually polls fn until it returns true or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var _ = fmt.Sprint
