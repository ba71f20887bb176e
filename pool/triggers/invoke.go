package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// DefaultTimeout is Cognito's own limit on a trigger, which cannot be changed there
	// either.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxResponseBytes bounds what one webhook can make the pool buffer. An event
	// echoed back with its response filled in is a few KiB.
	DefaultMaxResponseBytes = 256 << 10
	// UserAgent is sent with every call so that a webhook's access log can tell the pool's
	// calls from anything else reaching the same URL.
	UserAgent = "hashless-pool"

	// maxTargetLength is the longest value a LambdaConfig member accepts.
	maxTargetLength = 2048
	// maxErrorMessage bounds the webhook-chosen text that reaches a client.
	maxErrorMessage = 2048
)

// Exception names Cognito answers with when a trigger fails.
const (
	ExUserLambdaValidation  = "UserLambdaValidationException"
	ExUnexpectedLambda      = "UnexpectedLambdaException"
	ExInvalidLambdaResponse = "InvalidLambdaResponseException"
)

// Messages of InvalidLambdaResponseException as Cognito words them.
const (
	msgInvalidJSON      = "Invalid lambda function output : Invalid JSON"
	msgUnrecognizable   = "Unrecognizable lambda output"
	timeoutReason       = "Socket timeout while invoking Lambda function"
	functionErrorHeader = "X-Amz-Function-Error"
)

// Kind says how an invocation ended. The zero Kind is success; it appears only in Result.
type Kind int

const (
	// KindRejected: the webhook reported an error of its own, as a Lambda function does by
	// throwing. This is how a trigger refuses (a sign-up, a sign-in), so it is an answer,
	// not a fault.
	KindRejected Kind = iota + 1
	// KindTimeout: no complete answer within the timeout.
	KindTimeout
	// KindFailed: the webhook could not be reached or answered with a non-2xx status and no
	// error of its own.
	KindFailed
	// KindInvalidResponse: a 2xx answer that is not an event with a usable response.
	KindInvalidResponse
)

func (k Kind) String() string {
	switch k {
	case 0:
		return "ok"
	case KindRejected:
		return "rejected"
	case KindTimeout:
		return "timeout"
	case KindFailed:
		return "failed"
	case KindInvalidResponse:
		return "invalid_response"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Exception is the Cognito exception a failure of this kind is answered with, or "" for
// success.
func (k Kind) Exception() string {
	switch k {
	case KindRejected:
		return ExUserLambdaValidation
	case KindTimeout, KindFailed:
		return ExUnexpectedLambda
	case KindInvalidResponse:
		return ExInvalidLambdaResponse
	}
	return ""
}

// Error is a failed invocation. Exception() and Message are what the pool answers the
// client with, worded as Cognito words them; Err is the cause for the operator, written
// so that it holds neither the event nor anything the webhook answered, and never the URL's
// path or query, which often carry a token.
type Error struct {
	Kind    Kind
	Trigger string // e.g. "PreSignUp"
	Message string
	Status  int // the webhook's HTTP status, 0 if none arrived
	Err     error
}

// Error leaves out Message, which for KindRejected is webhook-chosen text that may quote
// the user's data, so that logging the error is always safe.
func (e *Error) Error() string {
	s := "triggers: " + e.Trigger + ": " + e.Kind.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Exception is e.Kind.Exception().
func (e *Error) Exception() string { return e.Kind.Exception() }

func rejected(trigger, msg string, status int) *Error {
	if len(msg) > maxErrorMessage {
		n := maxErrorMessage
		for n > 0 && !utf8.RuneStart(msg[n]) {
			n--
		}
		msg = msg[:n]
	}
	return &Error{Kind: KindRejected, Trigger: trigger, Status: status,
		Message: trigger + " failed with error " + msg + ".",
		Err:     errors.New("webhook reported an error")}
}

func failed(trigger, reason string, status int, cause error) *Error {
	return &Error{Kind: KindFailed, Trigger: trigger, Status: status,
		Message: trigger + " invocation failed due to error " + reason + ".", Err: cause}
}

func timedOut(trigger string, cause error) *Error {
	return &Error{Kind: KindTimeout, Trigger: trigger,
		Message: trigger + " invocation failed due to error " + timeoutReason + ".", Err: cause}
}

func invalid(trigger, msg string, status int, cause error) *Error {
	return &Error{Kind: KindInvalidResponse, Trigger: trigger, Status: status, Message: msg, Err: cause}
}

// ErrLambdaARN is what ValidateTarget says of an ARN.
var ErrLambdaARN = errors.New("a Lambda function ARN cannot be a trigger here: this pool does not call AWS Lambda, " +
	"it POSTs each trigger's event to an HTTP webhook; give an http:// or https:// URL instead")

// ValidateTarget accepts what Invoke can call: an absolute http or https URL with a host,
// at most 2048 characters, without user information or a fragment. User information would
// be shown to anyone allowed to describe the pool and written into logs by HTTP libraries;
// a fragment is never sent, so a URL with one does not mean what it says. The errors never
// repeat the URL, whose query may hold a token.
func ValidateTarget(s string) error {
	_, err := parseTarget(s)
	return err
}

func parseTarget(s string) (*url.URL, error) {
	if len(s) >= 4 && strings.EqualFold(s[:4], "arn:") {
		return nil, ErrLambdaARN
	}
	if s == "" {
		return nil, errors.New("trigger URL is empty")
	}
	if len(s) > maxTargetLength {
		return nil, fmt.Errorf("trigger URL is longer than %d characters", maxTargetLength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("trigger URL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("trigger URL is not an http:// or https:// URL")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("trigger URL has no host")
	}
	if u.User != nil {
		return nil, errors.New("trigger URL must not contain user information")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return nil, errors.New("trigger URL must not contain a fragment")
	}
	return u, nil
}

// Result describes a finished invocation for metrics. It carries nothing of the event.
type Result struct {
	Trigger  string
	Host     string
	Status   int
	Duration time.Duration
	Outcome  Kind
}

// Invoker calls trigger webhooks. The zero Invoker, and a nil *Invoker, use the defaults;
// an Invoker is safe for concurrent use.
type Invoker struct {
	// Client makes the calls; nil means one of the package's own. Redirects are not followed
	// unless the client sets CheckRedirect: a redirect would carry the event, password
	// included, to a host nobody configured.
	Client *http.Client
	// Timeout bounds a whole call, reading the answer included. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Logger receives one record per call: trigger, host, duration, outcome, status, and for
	// failures the cause. Nil discards.
	Logger *slog.Logger
	// Observe, if set, is called after every call, for metrics.
	Observe func(Result)
}

var defaultClient = &http.Client{CheckRedirect: noRedirect}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (inv *Invoker) client() *http.Client {
	if inv == nil || inv.Client == nil {
		return defaultClient
	}
	if inv.Client.CheckRedirect != nil {
		return inv.Client
	}
	c := *inv.Client
	c.CheckRedirect = noRedirect
	return &c
}

func (inv *Invoker) timeout() time.Duration {
	if inv == nil || inv.Timeout <= 0 {
		return DefaultTimeout
	}
	return inv.Timeout
}

func (inv *Invoker) maxResponseBytes() int64 {
	if inv == nil || inv.MaxResponseBytes <= 0 {
		return DefaultMaxResponseBytes
	}
	return inv.MaxResponseBytes
}

func (inv *Invoker) logger() *slog.Logger {
	if inv == nil || inv.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return inv.Logger
}

// Invoke POSTs ev to target and, on success, replaces *ev.Response with the response the
// webhook answered; nothing else the webhook changed is taken. On failure *ev.Response is
// left zero, so a pre-filled value can never pass for the webhook's answer. ev.Version
// defaults to Version, and a nil Request or Response is sent as {}. ev.Response must be nil
// or a non-nil pointer; when nil it is set to the answered response as a json.RawMessage.
//
// A failure of the call is an *Error. Any other error is a mistake in the event (no
// triggerSource, a Response that cannot be decoded into, a value JSON cannot encode) and
// nothing was sent.
func (inv *Invoker) Invoke(ctx context.Context, target string, ev *Event) error {
	if ev.TriggerSource == "" {
		return errors.New("triggers: event has no triggerSource")
	}
	if ev.Response != nil {
		if rv := reflect.ValueOf(ev.Response); rv.Kind() != reflect.Pointer || rv.IsNil() {
			return fmt.Errorf("triggers: Event.Response is a %T, not a non-nil pointer", ev.Response)
		}
	}
	trigger := ev.Trigger()
	out := *ev
	if out.Version == "" {
		out.Version = Version
	}
	if out.Request == nil {
		out.Request = struct{}{}
	}
	if out.Response == nil {
		out.Response = struct{}{}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("triggers: %s event: %w", trigger, err)
	}

	u, err := parseTarget(target)
	if err != nil {
		e := failed(trigger, "invalid webhook URL", 0, err)
		zero(ev.Response)
		inv.report(ctx, trigger, "", 0, 0, e)
		return e
	}

	cctx, cancel := context.WithTimeout(ctx, inv.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		e := failed(trigger, "invalid webhook URL", 0, errors.New("cannot build the request"))
		zero(ev.Response)
		inv.report(ctx, trigger, u.Host, 0, 0, e)
		return e
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)

	limit := inv.maxResponseBytes()
	start := time.Now()
	var (
		status  int
		funcErr string
		data    []byte
	)
	resp, err := inv.client().Do(req)
	if err == nil {
		status, funcErr = resp.StatusCode, resp.Header.Get(functionErrorHeader)
		data, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
		resp.Body.Close()
	}
	elapsed := time.Since(start)

	var e *Error
	if err != nil {
		e = transportError(cctx, trigger, err)
		e.Status = status
		zero(ev.Response)
	} else {
		var raw json.RawMessage
		raw, e = decodeReply(trigger, status, funcErr, data, limit, ev.Response)
		if e == nil && ev.Response == nil {
			ev.Response = raw
		}
	}
	inv.report(ctx, trigger, u.Host, status, elapsed, e)
	if e != nil {
		return e
	}
	return nil // not e: a nil *Error in an error is not a nil error
}

func (inv *Invoker) report(ctx context.Context, trigger, host string, status int, d time.Duration, e *Error) {
	var kind Kind
	level := slog.LevelDebug
	if e != nil {
		kind, level = e.Kind, slog.LevelWarn
		if kind == KindRejected {
			level = slog.LevelInfo
		}
	}
	attrs := []slog.Attr{
		slog.String("trigger", trigger),
		slog.String("host", host),
		slog.Duration("duration", d),
		slog.String("outcome", kind.String()),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if e != nil && e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	inv.logger().LogAttrs(ctx, level, "trigger webhook", attrs...)
	if inv != nil && inv.Observe != nil {
		inv.Observe(Result{Trigger: trigger, Host: host, Status: status, Duration: d, Outcome: kind})
	}
}

// transportError classifies a call that produced no complete answer. url.Error is
// unwrapped because its text repeats the URL, query and all.
func transportError(ctx context.Context, trigger string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return timedOut(trigger, err)
	case errors.Is(err, context.Canceled):
		return failed(trigger, "request canceled", 0, err)
	}
	return failed(trigger, "connection failure", 0, err)
}

// decodeReply turns a webhook's answer into the event's response, or into the *Error Cognito
// would have answered for the equivalent Lambda outcome. body may be one byte longer than
// limit, which says the answer was cut short. into is nil or a non-nil pointer; it is zeroed
// first, so that what the pool reads is exactly what the webhook answered and, on failure,
// nothing. It is the one place that reads webhook-controlled bytes, and is fuzzed.
func decodeReply(trigger string, status int, functionError string, body []byte, limit int64, into any) (json.RawMessage, *Error) {
	zero(into)
	over := int64(len(body)) > limit
	success := status >= 200 && status < 300
	if !success || functionError != "" {
		if !over {
			if msg, ok := errorMessageOf(body); ok {
				return nil, rejected(trigger, msg, status)
			}
		}
		if success {
			return nil, rejected(trigger, functionError, status)
		}
		return nil, failed(trigger, "HTTP "+strconv.Itoa(status), status,
			fmt.Errorf("webhook answered HTTP %d", status))
	}
	if over {
		return nil, invalid(trigger, msgUnrecognizable, status,
			fmt.Errorf("answer is longer than %d bytes", limit))
	}
	if !json.Valid(body) {
		return nil, invalid(trigger, msgInvalidJSON, status, errors.New("answer is not valid JSON"))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, invalid(trigger, msgUnrecognizable, status, errors.New("answer is not a JSON object"))
	}
	raw, ok := top["response"]
	if !ok {
		// A Lambda runtime that reports a handler's error in a 2xx body, as the runtime
		// interface emulator does, answers {"errorMessage": ...} and nothing else.
		if msg, ok := errorMessageOf(body); ok {
			return nil, rejected(trigger, msg, status)
		}
		// Most likely the webhook answered with the response alone. Taking that as "no
		// change" would hide the mistake, and for the migration trigger would silently turn
		// every user away.
		return nil, invalid(trigger, msgUnrecognizable, status, errors.New(`answer has no "response" member`))
	}
	if into != nil && string(raw) != "null" {
		if err := json.Unmarshal(raw, into); err != nil {
			// Unmarshal stops at the first mismatch with part of the response filled in.
			zero(into)
			return nil, invalid(trigger, msgUnrecognizable, status, describe(err))
		}
	}
	return raw, nil
}

// zero sets what the non-nil pointer p points to, if any, to its zero value.
func zero(p any) {
	if p != nil {
		reflect.ValueOf(p).Elem().SetZero()
	}
}

// errorMessageOf reads the errorMessage of a Lambda error ({"errorMessage": "...",
// "errorType": "...", "stackTrace": [...]}); ok is false unless body is an object whose
// errorMessage is a string.
func errorMessageOf(body []byte) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "", false
	}
	raw, ok := top["errorMessage"]
	var msg *string
	if !ok || json.Unmarshal(raw, &msg) != nil || msg == nil {
		return "", false
	}
	return *msg, true
}

// describe says why a response did not decode without quoting any of it.
func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		got, _, _ := strings.Cut(te.Value, " ")
		if te.Field == "" {
			return fmt.Errorf("response is a JSON %s, want %s", got, te.Type)
		}
		return fmt.Errorf("response member %s is a JSON %s, want %s", te.Field, got, te.Type)
	}
	return errors.New("response does not decode")
}
