package triggers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lockedBuffer lets a log handler and the test share a buffer across goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestInvokeRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	type seen struct {
		method, contentType, userAgent, path string
		event                                map[string]any
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Error(err)
		}
		sent, _ := json.Marshal(ev)
		var copied map[string]any
		json.Unmarshal(sent, &copied)
		got <- seen{r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.URL.RequestURI(), copied}
		// Everything but the response is changed too; none of it may come back.
		ev["userName"] = "someone-else"
		ev["triggerSource"] = "PreSignUp_SignUp"
		ev["request"].(map[string]any)["password"] = "changed"
		ev["response"] = map[string]any{
			"userAttributes":         map[string]any{"email": "testuser@example.com", "email_verified": "true"},
			"finalUserStatus":        "CONFIRMED",
			"messageAction":          "SUPPRESS",
			"desiredDeliveryMediums": []string{"EMAIL"},
			"forceAliasCreation":     true,
			"unknownMember":          1,
		}
		json.NewEncoder(w).Encode(ev)
	}))
	defer srv.Close()

	var logs lockedBuffer
	var results []Result
	inv := &Invoker{
		Logger:  slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observe: func(r Result) { results = append(results, r) },
	}
	req := &UserMigrationRequest{Password: pw, ValidationData: map[string]string{"k": "v"}}
	resp := &UserMigrationResponse{MessageAction: "stale", EnableSMSMFA: true}
	ev := header(SourceUserMigrationAuthentication)
	ev.Version = ""
	ev.Request, ev.Response = req, resp
	target := srv.URL + "/hooks/secret-path?token=s3cret"
	if err := inv.Invoke(context.Background(), target, &ev); err != nil {
		t.Fatal(err)
	}

	s := <-got
	if s.method != http.MethodPost || s.contentType != "application/json" || !strings.Contains(s.userAgent, "hashless") {
		t.Errorf("%s, Content-Type %q, User-Agent %q", s.method, s.contentType, s.userAgent)
	}
	if s.path != "/hooks/secret-path?token=s3cret" {
		t.Errorf("posted to %s", s.path)
	}
	if s.event["version"] != "1" || s.event["triggerSource"] != SourceUserMigrationAuthentication {
		t.Errorf("sent %v", s.event)
	}
	if p := s.event["request"].(map[string]any)["password"]; p != pw {
		t.Errorf("webhook got password %v", p)
	}

	want := &UserMigrationResponse{
		UserAttributes:  map[string]string{"email": "testuser@example.com", "email_verified": "true"},
		FinalUserStatus: "CONFIRMED", MessageAction: "SUPPRESS", DesiredDeliveryMediums: []string{"EMAIL"},
		ForceAliasCreation: true,
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("response %+v, want %+v", resp, want)
	}
	if ev.Response != resp {
		t.Error("Invoke replaced the Response pointer instead of filling it")
	}
	if ev.UserName != "testuser" || ev.TriggerSource != SourceUserMigrationAuthentication || req.Password != pw || ev.Version != "" {
		t.Errorf("Invoke changed more than the response: %+v %+v", ev, req)
	}

	out := logs.String()
	for _, secret := range []string{pw, "s3cret", "secret-path", "changed", "testuser"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if rec["trigger"] != TriggerUserMigration || rec["host"] != host || rec["outcome"] != "ok" || rec["status"] != float64(200) {
		t.Errorf("log record %v", rec)
	}
	for k := range rec {
		switch k {
		case "time", "level", "msg", "trigger", "host", "duration", "outcome", "status":
		default:
			t.Errorf("log record has %q", k)
		}
	}
	if len(results) != 1 || results[0].Trigger != TriggerUserMigration || results[0].Host != host ||
		results[0].Status != 200 || results[0].Outcome != 0 || results[0].Duration <= 0 {
		t.Errorf("observed %+v", results)
	}
}

func TestInvokeNullResponseIsZero(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"version":"1","response":null}`)
	}))
	defer srv.Close()
	resp := &PreSignUpResponse{AutoConfirmUser: true}
	ev := header(SourcePreSignUpSignUp)
	ev.Request, ev.Response = &PreSignUpRequest{}, resp
	if err := (&Invoker{}).Invoke(context.Background(), srv.URL, &ev); err != nil {
		t.Fatal(err)
	}
	if *resp != (PreSignUpResponse{}) {
		t.Errorf("response %+v, want zero", resp)
	}
}

func TestInvokeNilRequestAndResponse(t *testing.T) {
	var sent map[string]json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&sent)
		io.WriteString(w, `{"response":{"answerCorrect":true}}`)
	}))
	defer srv.Close()
	ev := header(SourceVerifyAuthChallengeResponse)
	// A nil *Invoker is usable and has the defaults.
	var inv *Invoker
	if err := inv.Invoke(context.Background(), srv.URL, &ev); err != nil {
		t.Fatal(err)
	}
	if string(sent["request"]) != "{}" || string(sent["response"]) != "{}" {
		t.Errorf("sent request %s, response %s", sent["request"], sent["response"])
	}
	raw, ok := ev.Response.(json.RawMessage)
	if !ok || string(raw) != `{"answerCorrect":true}` {
		t.Errorf("Response = %#v", ev.Response)
	}
}

func TestInvokeFailures(t *testing.T) {
	type answer struct {
		status int
		header map[string]string
		body   string
	}
	long := `{"response":{},"padding":"` + strings.Repeat("x", 200) + `"}`
	cases := []struct {
		name    string
		answer  answer
		kind    Kind
		message string
		status  int
	}{
		{"error body with 400", answer{400, nil, `{"errorMessage":"Registration from this domain is not allowed.","errorType":"Error","stackTrace":[]}`},
			KindRejected, "PreSignUp failed with error Registration from this domain is not allowed..", 400},
		{"error body with 500", answer{500, nil, `{"errorType":"Error","errorMessage":"boom"}`},
			KindRejected, "PreSignUp failed with error boom.", 500},
		{"empty error message", answer{400, nil, `{"errorMessage":""}`},
			KindRejected, "PreSignUp failed with error .", 400},
		{"error body with 200", answer{200, nil, `{"errorMessage":"crashed","errorType":"Runtime.ExitError"}`},
			KindRejected, "PreSignUp failed with error crashed.", 200},
		{"function error header", answer{200, map[string]string{"X-Amz-Function-Error": "Unhandled"}, `{"errorMessage":"thrown"}`},
			KindRejected, "PreSignUp failed with error thrown.", 200},
		{"function error header alone", answer{200, map[string]string{"X-Amz-Function-Error": "Unhandled"}, ``},
			KindRejected, "PreSignUp failed with error Unhandled.", 200},
		{"500 without error body", answer{500, nil, `oops`},
			KindFailed, "PreSignUp invocation failed due to error HTTP 500.", 500},
		{"404 with non-string errorMessage", answer{404, nil, `{"errorMessage":5}`},
			KindFailed, "PreSignUp invocation failed due to error HTTP 404.", 404},
		{"redirect", answer{307, map[string]string{"Location": "/elsewhere"}, ``},
			KindFailed, "PreSignUp invocation failed due to error HTTP 307.", 307},
		{"not JSON", answer{200, nil, `hello`},
			KindInvalidResponse, "Invalid lambda function output : Invalid JSON", 200},
		{"empty", answer{204, nil, ``},
			KindInvalidResponse, "Invalid lambda function output : Invalid JSON", 204},
		{"trailing data", answer{200, nil, `{"response":{}} {}`},
			KindInvalidResponse, "Invalid lambda function output : Invalid JSON", 200},
		{"null", answer{200, nil, `null`},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
		{"array", answer{200, nil, `[{"response":{}}]`},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
		{"response alone", answer{200, nil, `{"autoConfirmUser":true}`},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
		{"response of the wrong shape", answer{200, nil, `{"response":{"autoVerifyEmail":true,"autoConfirmUser":"yes"}}`},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
		{"response not an object", answer{200, nil, `{"response":[]}`},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
		{"over the limit", answer{200, nil, long},
			KindInvalidResponse, "Unrecognizable lambda output", 200},
	}
	var elsewhere atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Store(true)
		io.WriteString(w, `{"response":{}}`)
	})
	for i, c := range cases {
		mux.HandleFunc("/case/"+string(rune('a'+i)), func(w http.ResponseWriter, r *http.Request) {
			for k, v := range c.answer.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(c.answer.status)
			io.WriteString(w, c.answer.body)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs lockedBuffer
			var observed Result
			inv := &Invoker{
				MaxResponseBytes: 128,
				Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
				Observe:          func(r Result) { observed = r },
			}
			resp := &PreSignUpResponse{AutoConfirmUser: true}
			ev := header(SourcePreSignUpSignUp)
			ev.Request, ev.Response = &PreSignUpRequest{UserAttributes: email}, resp
			err := inv.Invoke(context.Background(), srv.URL+"/case/"+string(rune('a'+i))+"?token=s3cret", &ev)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Kind != c.kind || e.Message != c.message || e.Status != c.status || e.Trigger != TriggerPreSignUp {
				t.Errorf("got %v %q status %d trigger %s, want %v %q status %d", e.Kind, e.Message, e.Status, e.Trigger, c.kind, c.message, c.status)
			}
			if e.Exception() != c.kind.Exception() || e.Exception() == "" {
				t.Errorf("exception %q", e.Exception())
			}
			if *resp != (PreSignUpResponse{}) {
				t.Errorf("a failed call left %+v in the response", resp)
			}
			if c.kind == KindRejected && strings.Contains(e.Error(), "failed with error") {
				t.Errorf("Error() carries the webhook's message: %s", e.Error())
			}
			if observed.Outcome != c.kind || observed.Status != c.status {
				t.Errorf("observed %+v", observed)
			}
			out := logs.String()
			if !strings.Contains(out, "outcome="+c.kind.String()) || strings.Contains(out, "s3cret") || strings.Contains(out, "testuser") {
				t.Errorf("log:\n%s", out)
			}
			if strings.Contains(e.Error(), "s3cret") {
				t.Errorf("error holds the token: %v", e)
			}
		})
	}
	if elsewhere.Load() {
		t.Error("a redirect was followed")
	}
}

func TestInvokeExceptionNames(t *testing.T) {
	for k, want := range map[Kind]string{
		0:                   "",
		KindRejected:        "UserLambdaValidationException",
		KindTimeout:         "UnexpectedLambdaException",
		KindFailed:          "UnexpectedLambdaException",
		KindInvalidResponse: "InvalidLambdaResponseException",
	} {
		if got := k.Exception(); got != want {
			t.Errorf("%v.Exception() = %q, want %q", k, got, want)
		}
	}
}

func TestInvokeTimeout(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	// Handlers read the body first: until they do, the server does not watch the
	// connection and would not notice the client give up.
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// Headers arrive in time but the body never does: the limit is on the whole exchange.
	mux.HandleFunc("/dribble", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"response":`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)

	for _, path := range []string{"/silent", "/dribble"} {
		t.Run(path, func(t *testing.T) {
			inv := &Invoker{Timeout: 50 * time.Millisecond}
			ev := header(SourcePostAuthentication)
			resp := &DefineAuthChallengeResponse{IssueTokens: true}
			ev.Request, ev.Response = &PostAuthenticationRequest{}, resp
			start := time.Now()
			err := inv.Invoke(context.Background(), srv.URL+path, &ev)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindTimeout {
				t.Fatalf("error %v, want a timeout", err)
			}
			if want := "PostAuthentication invocation failed due to error Socket timeout while invoking Lambda function."; e.Message != want {
				t.Errorf("message %q, want %q", e.Message, want)
			}
			if e.Exception() != ExUnexpectedLambda {
				t.Errorf("exception %s", e.Exception())
			}
			if *resp != (DefineAuthChallengeResponse{}) {
				t.Errorf("a timed-out call left %+v in the response", resp)
			}
		})
	}
}

func TestInvokeDefaults(t *testing.T) {
	var inv *Invoker
	if inv.timeout() != 5*time.Second || inv.maxResponseBytes() != 256<<10 {
		t.Errorf("defaults %v %d", inv.timeout(), inv.maxResponseBytes())
	}
	inv = &Invoker{Timeout: time.Second, MaxResponseBytes: 10}
	if inv.timeout() != time.Second || inv.maxResponseBytes() != 10 {
		t.Errorf("settings %v %d", inv.timeout(), inv.maxResponseBytes())
	}
	// A client of the caller's is used without following redirects, and not modified.
	own := &http.Client{}
	inv.Client = own
	if c := inv.client(); c == own || c.CheckRedirect == nil || own.CheckRedirect != nil {
		t.Error("the caller's client was not copied with redirects off")
	}
	// One that says how to redirect is used as it is.
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
	if inv.client() != own {
		t.Error("a client with its own redirect policy was replaced")
	}
}

func TestInvokeConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/hook?token=s3cret"
	srv.Close()
	ev := header(SourcePreAuthentication)
	ev.Request, ev.Response = &PreAuthenticationRequest{}, &PreAuthenticationResponse{}
	err := (&Invoker{}).Invoke(context.Background(), target, &ev)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindFailed {
		t.Fatalf("error %v, want a failed invocation", err)
	}
	if want := "PreAuthentication invocation failed due to error connection failure."; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if strings.Contains(e.Error(), "s3cret") || strings.Contains(e.Error(), "/hook") {
		t.Errorf("error repeats the URL: %v", e)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Error("the cause is still a *url.Error")
	}
}

func TestInvokeCanceled(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	ev := header(SourcePreSignUpSignUp)
	ev.Request, ev.Response = &PreSignUpRequest{}, &PreSignUpResponse{}
	err := (&Invoker{}).Invoke(ctx, srv.URL, &ev)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindFailed || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want a failed invocation wrapping context.Canceled", err)
	}
}

func TestInvokeRefusesBadTargets(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	ev := header(SourcePreSignUpSignUp)
	ev.Request, ev.Response = &PreSignUpRequest{}, &PreSignUpResponse{}

	err := (&Invoker{}).Invoke(context.Background(), "arn:aws:lambda:us-east-1:123456789012:function:presignup", &ev)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindFailed || !errors.Is(err, ErrLambdaARN) {
		t.Errorf("ARN target: %v", err)
	}

	// Mistakes in the event are the caller's, not the webhook's: a plain error, no call.
	noSource := ev
	noSource.TriggerSource = ""
	notPointer := ev
	notPointer.Response = PreSignUpResponse{}
	nilPointer := ev
	nilPointer.Response = (*PreSignUpResponse)(nil)
	unencodable := ev
	unencodable.Request = map[string]any{"f": func() {}}
	for name, bad := range map[string]Event{"no source": noSource, "not a pointer": notPointer, "nil pointer": nilPointer, "unencodable": unencodable} {
		err := (&Invoker{}).Invoke(context.Background(), srv.URL, &bad)
		if err == nil || errors.As(err, &e) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d calls made", hits.Load())
	}
}

func TestValidateTarget(t *testing.T) {
	for _, ok := range []string{
		"http://localhost:9000/2015-03-31/functions/function/invocations",
		"https://hooks.example.com/cognito/pre-sign-up?token=abc",
		"HTTPS://hooks.example.com",
		"http://[::1]:8080/x",
	} {
		if err := ValidateTarget(ok); err != nil {
			t.Errorf("ValidateTarget(%q) = %v", ok, err)
		}
	}
	for _, c := range []struct{ target, says string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:presignup", "ARN"},
		{"ARN:aws:lambda:us-east-1:123456789012:function:presignup", "ARN"},
		{"", "empty"},
		{"hooks.example.com/x", "http"},
		{"/relative/path", "http"},
		{"ftp://hooks.example.com/x", "http"},
		{"http:opaque", "host"},
		{"https://:443/x", "host"},
		{"https:///x", "host"},
		{"https://user:s3cret@hooks.example.com/x", "user information"},
		{"https://hooks.example.com/x#frag", "fragment"},
		{"https://hooks.example.com/x#", "fragment"},
		{"https://hooks.example.com/\x7f?token=s3cret", "valid URL"},
		{"https://hooks.example.com/" + strings.Repeat("a", 2048), "2048"},
	} {
		err := ValidateTarget(c.target)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ValidateTarget(%q) = %v, want an error saying %q", c.target, err, c.says)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ValidateTarget(%q) repeats the secret: %v", c.target, err)
		}
	}
	if !errors.Is(ValidateTarget("arn:aws:lambda:us-east-1:123456789012:function:f"), ErrLambdaARN) {
		t.Error("an ARN is not ErrLambdaARN")
	}
	if s := ErrLambdaARN.Error(); !strings.Contains(s, "Lambda function ARN") || !strings.Contains(s, "webhook") || !strings.Contains(s, "https://") {
		t.Errorf("ErrLambdaARN does not explain itself: %s", s)
	}
}

func TestRejectedMessageIsBounded(t *testing.T) {
	// The odd leading byte puts the cut in the middle of a two-byte rune.
	msg := "a" + strings.Repeat("é", maxErrorMessage)
	_, e := decodeReply("PreSignUp", 400, "", []byte(`{"errorMessage":"`+msg+`"}`), 1<<20, nil)
	if e == nil || e.Kind != KindRejected {
		t.Fatalf("%v", e)
	}
	body := strings.TrimSuffix(strings.TrimPrefix(e.Message, "PreSignUp failed with error "), ".")
	if len(body) > maxErrorMessage || !strings.HasPrefix(msg, body) || len(body) < maxErrorMessage-1 {
		t.Errorf("kept %d bytes", len(body))
	}
}
