package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/sigv4"
)

const targetPrefix = "AWSCognitoIdentityProviderService."

// MaxBodyBytes caps a request body before anything reads it. The largest legitimate request
// (AdminCreateUser with 50 attributes of 2 KiB) is far below this.
const MaxBodyBytes = 1 << 20

// Config configures the protocol handler.
type Config struct {
	Service *pool.Service
	// Credentials verify SigV4 on administrative operations. Empty means development mode:
	// any signature is accepted.
	Credentials   sigv4.Credentials
	DefaultRegion string
	Logger        *slog.Logger
	// Registry receives the handler's metrics; nil means none are kept.
	Registry prometheus.Registerer
	// Now is the clock used for signature dates; nil means time.Now.
	Now func() time.Time
}

// Handler serves POST / (and its CORS preflight).
type Handler struct {
	cfg      Config
	ops      map[string]operation
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("wire: a service is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "us-east-1"
	}
	h := &Handler{cfg: cfg, ops: operations(cfg.Service)}
	h.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hashless_pool_requests_total", Help: "Cognito API requests by operation and outcome (ok or the exception name).",
	}, []string{"operation", "outcome"})
	h.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hashless_pool_request_duration_seconds", Help: "Cognito API request latency by operation.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	}, []string{"operation"})
	if cfg.Registry != nil {
		for _, c := range []prometheus.Collector{h.requests, h.duration} {
			if err := cfg.Registry.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}

// Operations lists the implemented operation names, sorted (fuzz inputs pick one by index).
func (h *Handler) Operations() []string {
	return slices.Sorted(maps.Keys(h.ops))
}

// DevelopmentMode reports whether signatures go unchecked.
func (h *Handler) DevelopmentMode() bool { return len(h.cfg.Credentials) == 0 }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowCORS(w)
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "content-type, x-amz-target, x-amz-user-agent, x-amz-date, x-amz-security-token, x-amz-content-sha256, authorization, amz-sdk-invocation-id, amz-sdk-request, cache-control")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	start := time.Now()
	w.Header().Set("x-amzn-RequestId", requestID())
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, &pool.Error{Type: pool.ExUnknownOperation, Message: "Only POST is supported."})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	op, known := h.ops[name]
	if !ok || !known {
		h.count("unknown", pool.ExUnknownOperation)
		writeError(w, http.StatusBadRequest, &pool.Error{Type: pool.ExUnknownOperation, Message: fmt.Sprintf("Unknown operation %q.", target)})
		return
	}
	if !jsonContentType(r.Header.Get("Content-Type")) {
		h.finish(w, name, start, &pool.Error{Type: pool.ExSerialization, Message: "Content-Type must be application/x-amz-json-1.1."})
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		h.finish(w, name, start, err)
		return
	}
	caller, err := h.authenticate(r, body, op.admin)
	if err != nil {
		h.finish(w, name, start, err)
		return
	}
	out, err := op.call(r.Context(), caller, body)
	if err != nil {
		h.finish(w, name, start, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.finish(w, name, start, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	h.count(name, "ok")
	h.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
}

// finish writes err and records the outcome. Errors that are not exceptions are internal
// faults: their text is logged, never sent.
func (h *Handler) finish(w http.ResponseWriter, name string, start time.Time, err error) {
	var e *pool.Error
	status := http.StatusBadRequest
	if !errors.As(err, &e) {
		h.cfg.Logger.Error("request failed", "operation", name, "err", err)
		e = &pool.Error{Type: pool.ExInternalError, Message: "Internal error."}
	}
	if e.Type == pool.ExInternalError {
		status = http.StatusInternalServerError
	}
	h.count(name, e.Type)
	h.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	writeError(w, status, e)
}

func (h *Handler) count(name, outcome string) { h.requests.WithLabelValues(name, outcome).Inc() }

func writeError(w http.ResponseWriter, status int, e *pool.Error) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Type, e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", e.Type)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func allowCORS(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date")
}

func jsonContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	switch strings.TrimSpace(strings.ToLower(mt)) {
	case "application/x-amz-json-1.1", "application/x-amz-json-1.0", "application/json", "":
		return true
	}
	return false
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, &pool.Error{Type: pool.ExInvalidParameter, Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &pool.Error{Type: pool.ExInvalidParameter, Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	}
	if err != nil {
		return nil, &pool.Error{Type: pool.ExSerialization, Message: "The request body could not be read."}
	}
	return body, nil
}

// authenticate establishes the caller. Administrative operations need a valid signature
// unless the server is in development mode; public ones never do, but a signed public call
// still takes its region from the signature.
func (h *Handler) authenticate(r *http.Request, body []byte, admin bool) (pool.Caller, error) {
	caller := pool.Caller{Region: h.cfg.DefaultRegion}
	if !admin || h.DevelopmentMode() {
		if key, region, ok := sigv4.ParseScope(r); ok {
			caller.Region, caller.AccessKeyID = region, key
		}
		return caller, nil
	}
	res, err := sigv4.Verify(r, body, h.cfg.Credentials, h.cfg.Now())
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return caller, &pool.Error{Type: se.Code, Message: se.Message}
		}
		return caller, err
	}
	caller.Region, caller.AccessKeyID = res.Region, res.AccessKeyID
	return caller, nil
}

// operation is one entry of the table: whether it needs IAM credentials, and how to call it.
type operation struct {
	admin bool
	call  func(ctx context.Context, caller pool.Caller, body []byte) (any, error)
}

func bind[In, Out any](admin bool, fn func(context.Context, pool.Caller, *In) (*Out, error)) operation {
	return operation{admin: admin, call: func(ctx context.Context, caller pool.Caller, body []byte) (any, error) {
		in := new(In)
		if err := decode(body, in); err != nil {
			return nil, err
		}
		return fn(ctx, caller, in)
	}}
}

func admin[In, Out any](fn func(context.Context, pool.Caller, *In) (*Out, error)) operation {
	return bind(true, fn)
}

// decode reads one JSON object. Unknown fields are ignored, as the AWS front end does, so
// newer SDKs keep working; wrong types and malformed JSON are SerializationException.
func decode(body []byte, into any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(into); err != nil {
		return &pool.Error{Type: pool.ExSerialization, Message: describeJSONError(err)}
	}
	if dec.More() {
		return &pool.Error{Type: pool.ExSerialization, Message: "Unexpected data after the JSON object."}
	}
	if bytes.TrimSpace(body)[0] != '{' {
		return &pool.Error{Type: pool.ExSerialization, Message: "The request body must be a JSON object."}
	}
	// No Cognito field accepts a NUL character, and PostgreSQL cannot store one in text.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return &pool.Error{Type: pool.ExInvalidParameter, Message: "String values must not contain the NUL character."}
	}
	return nil
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the request"
		}
		return fmt.Sprintf("Unexpected %s for field '%s': expected %s.", typeErr.Value, field, jsonKind(typeErr.Type.String()))
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The request body is not valid JSON (it ends early)."
	}
	var tsErr *strconv.NumError
	if errors.As(err, &tsErr) {
		return "A timestamp field is not a number."
	}
	return "The request body is not valid JSON."
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]") || strings.HasPrefix(goType, "*[]"):
		return "a list"
	case strings.Contains(goType, "map"), strings.Contains(goType, "struct"), strings.Contains(goType, "pool."):
		return "an object"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	default:
		return "a string"
	}
}

func requestID() string {
	var b [16]byte
	_, _ = randRead(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
