package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// client sends Cognito JSON-protocol requests to one endpoint over a keep-alive transport
// sized to the benchmark's concurrency.
type client struct {
	base   string
	http   *http.Client
	signer *v4.Signer
	creds  aws.Credentials
}

func newClient(base string, concurrency int, timeout time.Duration, accessKey, secretKey string) *client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; never a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		base:   strings.TrimRight(base, "/"),
		http:   &http.Client{Transport: tr, Timeout: timeout},
		signer: v4.NewSigner(),
		creds:  aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey, Source: "hashless-bench"},
	}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// apiError is a non-200 answer, or a 200 whose body the scenario found wrong.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string {
	if e.Status == 0 {
		return e.Message
	}
	if e.Type == "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Type, e.Message)
}

// key is what identical errors share, for counting them.
func (e *apiError) key() string {
	if e.Type != "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Type)
	}
	return e.Error()
}

// post sends one operation and returns the response body of a 200. signed requests get a
// fresh SigV4 signature (the payload hash included), as an SDK would compute it.
func (c *client) post(ctx context.Context, op string, body []byte, signed bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	if signed {
		sum := sha256.Sum256(body)
		if err := c.signer.SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "cognito-idp", region, time.Now()); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp.StatusCode, b)
	}
	return b, nil
}

func decodeError(status int, b []byte) *apiError {
	var e struct {
		Type     string `json:"__type"`
		Type2    string `json:"type"` // hashless serve's {"type","message"}
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(b, &e)
	t := e.Type
	if t == "" {
		t = e.Type2
	}
	if i := strings.LastIndexAny(t, "#:"); i >= 0 {
		t = t[i+1:]
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	if msg == "" && t == "" {
		msg = strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
	}
	return &apiError{Status: status, Type: t, Message: msg}
}

// send makes one load request: a Cognito operation, or a plain HTTP request when the
// request names a method (the serve scenarios).
func (c *client) send(ctx context.Context, r request) ([]byte, error) {
	if r.method == "" {
		return c.post(ctx, r.op, r.body, r.signed)
	}
	b, _, err := c.do(ctx, r.method, r.path, r.header, r.body)
	return b, err
}

// do sends a plain HTTP request to a path of the base URL and returns the body and headers
// of a 2xx answer.
func (c *client) do(ctx context.Context, method, path string, header [][2]string, body []byte) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range header {
		req.Header.Set(h[0], h[1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, nil, decodeError(resp.StatusCode, b)
	}
	return b, resp.Header, nil
}

// call is post with JSON in and out, for setup.
func (c *client) call(ctx context.Context, op string, in any, signed bool, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	b, err := c.post(ctx, op, body, signed)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s: decoding the answer: %w", op, err)
		}
	}
	return nil
}

// put uploads a body to a URL (an import job's PreSignedUrl).
func (c *client) put(ctx context.Context, u string, body []byte, contentType string) error {
	if err := checkLoopback(u); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("PUT %s: %w", u[:strings.IndexByte(u+"?", '?')], decodeError(resp.StatusCode, b))
	}
	return nil
}

// checkLoopback refuses every URL that is not plain HTTP(S) to 127.0.0.1 (or localhost):
// the benchmark never talks to anything else.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s: only http and https URLs", raw)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost":
		return nil
	}
	return fmt.Errorf("%s: only 127.0.0.1 targets are allowed", raw)
}
