package cognito

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultTimeout bounds a whole request (all its reads and writes) of the HTTP client New
// builds when Config gives none, so that a pool that accepts a connection and then says
// nothing cannot hold a caller without a context deadline forever.
const DefaultTimeout = 30 * time.Second

// httpClient is the client the SDK sends through: cfg's own, or one on cfg.Transport, or a
// fresh one; in every case behind plainBodies.
func httpClient(cfg Config) *http.Client {
	switch {
	case cfg.HTTPClient != nil:
		c := *cfg.HTTPClient
		next := c.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		c.Transport = plainBodies{next}
		return &c
	case cfg.Transport != nil:
		return &http.Client{Transport: plainBodies{cfg.Transport}, Timeout: DefaultTimeout}
	default:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		return &http.Client{Transport: plainBodies{t}, Timeout: DefaultTimeout}
	}
}

// plainBodies hides the WriterTo of the SDK's request bodies. The SDK closes a request body
// as soon as the response arrives; when the pool answers before the transport has finished
// its final read of that body, the closed body's WriteTo reports io.EOF as an error, and the
// transport takes it for a failed write and closes the connection under the response being
// read ("use of closed network connection", aws-sdk-go-v2 issues 1825 and 2737). A plain
// Read of a closed body ends cleanly instead. Fast pools (a local one, or one in-process)
// hit this often; it is harmless for slow ones, so every client this package builds has it.
type plainBodies struct{ next http.RoundTripper }

func (p plainBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return p.next.RoundTrip(r)
}

// HandlerTransport sends requests straight to h in this process, without a network: for a
// pool server embedded in the same program (see pool/server's Handler), or for tests.
// Requests appear to come from loopback, since whoever holds h is as local as can be.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	ctx := r.Context()
	req := r.Clone(ctx)
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.RequestURI = r.URL.RequestURI()
	if req.Host == "" {
		req.Host = r.URL.Host
	}
	rec := &recorder{header: http.Header{}}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		t.h.ServeHTTP(rec, req)
	}()
	select {
	case p := <-done:
		if r.Body != nil {
			r.Body.Close()
		}
		if p != nil {
			return nil, fmt.Errorf("cognito: in-process handler panicked: %v", p)
		}
	case <-ctx.Done():
		// The handler goes on alone; its recorder is never read again.
		return nil, ctx.Err()
	}
	code := rec.code
	if code == 0 {
		code = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       r,
	}, nil
}

// recorder is the least of an http.ResponseWriter that a JSON API needs.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
