package delivery

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhookPostsJSON(t *testing.T) {
	type request struct {
		method, contentType string
		body                []byte
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- request{r.Method, r.Header.Get("Content-Type"), body}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, err := NewWebhook(srv.URL+"/hook?token=abc", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := testEmail()
	m.Medium, m.Destination, m.Subject = "SMS", "+15555550100", ""
	if err := sendNow(t, s, m); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.method != http.MethodPost || r.contentType != "application/json" {
		t.Errorf("%s with Content-Type %q", r.method, r.contentType)
	}
	var fields map[string]any
	if err := json.Unmarshal(r.body, &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": float64(7), "pool": "us-east-1_AbCdEfGhI", "username": "bob", "destination": "+15555550100",
		"medium": "SMS", "kind": "SIGNUP", "code": "482913", "subject": "", "message": m.Body,
		"time": "2026-03-04T04:06:07Z",
	}
	if len(fields) != len(want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s = %#v, want %#v", k, fields[k], v)
		}
	}
}

func TestWebhookStatus(t *testing.T) {
	var redirected atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { redirected.Store(true) })
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("code") {
		case "200":
		case "204":
			w.WriteHeader(http.StatusNoContent)
		case "307":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "400":
			http.Error(w, "bad", http.StatusBadRequest)
		case "429":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, c := range []struct {
		code      string
		ok        bool
		permanent bool
	}{
		{"200", true, false}, {"204", true, false},
		{"307", false, true}, {"400", false, true},
		{"429", false, false}, {"500", false, false},
	} {
		s, err := NewWebhook(srv.URL+"/status/"+c.code, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = sendNow(t, s, testEmail())
		if (err == nil) != c.ok || (err != nil && isPermanent(err) != c.permanent) {
			t.Errorf("status %s: Send = %v (permanent %v)", c.code, err, isPermanent(err))
		}
	}
	if redirected.Load() {
		t.Error("a redirect was followed")
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	s, err := NewWebhook(srv.URL+"/hook?token=s3cr3t", &http.Client{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = sendNow(t, s, testEmail())
	if err == nil {
		t.Fatal("Send succeeded against a server that never answers")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v with a 100ms timeout", d)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error reveals the URL's query: %v", err)
	}

	// The context bounds a send too, whatever the client's timeout.
	s, _ = NewWebhook(srv.URL, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, testEmail()); err == nil {
		t.Fatal("Send succeeded after its context ended")
	}
}

func TestNewWebhook(t *testing.T) {
	for _, bad := range []string{"", "ftp://host/x", "file:///etc/passwd", "http://", "/relative", "mailto:a@b.c", "http://h/%zz?token=secretpw"} {
		if _, err := NewWebhook(bad, nil); err == nil {
			t.Errorf("NewWebhook(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("NewWebhook(%q) error reveals the URL: %v", bad, err)
		}
	}
	timeout := func(c *http.Client) time.Duration {
		s, err := NewWebhook("https://hooks.example/x", c)
		if err != nil {
			t.Fatal(err)
		}
		return s.(*webhookSender).client.Timeout
	}
	given := &http.Client{}
	if d := timeout(nil); d != 5*time.Second {
		t.Errorf("nil client: timeout %v", d)
	}
	if d := timeout(given); d != 5*time.Second || given.Timeout != 0 || given.CheckRedirect != nil {
		t.Errorf("client without timeout: %v; given client changed to %v", d, given.Timeout)
	}
	if d := timeout(&http.Client{Timeout: time.Second}); d != time.Second {
		t.Errorf("client with a timeout: %v", d)
	}
	s, _ := NewWebhook("https://user:pw@hooks.example/x?token=secret", nil)
	if str := s.(*webhookSender).String(); str != "webhook https://hooks.example/x" {
		t.Errorf("String() = %q", str)
	}
}
