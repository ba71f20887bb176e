package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fakeSender records messages; fail, when set, decides each attempt's error.
type fakeSender struct {
	mu       sync.Mutex
	attempts int
	sent     []Message
	fail     func(attempt int, m Message) error
	started  chan Message  // if set, told of each attempt
	release  chan struct{} // if set, each attempt waits for it or its context
	skipSMS  bool
}

func (f *fakeSender) Send(ctx context.Context, m Message) error {
	f.mu.Lock()
	f.attempts++
	attempt := f.attempts
	f.mu.Unlock()
	if f.started != nil {
		f.started <- m
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(attempt, m); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
	return nil
}

func (f *fakeSender) handles(m Message) bool { return !f.skipSMS || m.Medium != "SMS" }

func (f *fakeSender) counts() (attempts int, sent []Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts, slices.Clone(f.sent)
}

// plainSender hides fakeSender's handles method, as a sender from elsewhere would.
type plainSender struct{ f *fakeSender }

func (p plainSender) Send(ctx context.Context, m Message) error { return p.f.Send(ctx, m) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	d   *Dispatcher
	reg *prometheus.Registry
	log *syncBuffer
}

func newHarness(t *testing.T, cfg DispatcherConfig) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), log: &syncBuffer{}}
	cfg.Registry = h.reg
	cfg.Logger = slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.backoff = time.Millisecond
	h.d = NewDispatcher(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.d.Close(ctx)
	})
	return h
}

func (h *harness) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := h.d.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// counter reads one series from the registry; 0 when it does not exist.
func (h *harness) counter(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetName(), l.GetValue())
			}
			if slices.Equal(got, labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func numbered(n int) []Message {
	var out []Message
	for i := range n {
		m := testEmail()
		m.ID = int64(i + 1)
		out = append(out, m)
	}
	return out
}

func ids(ms []Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	slices.Sort(out)
	return out
}

func TestDispatcherDelivers(t *testing.T) {
	a, b := &fakeSender{}, &fakeSender{}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{a, b}, Workers: 3, QueueSize: 64})
	msgs := numbered(20)
	for _, m := range msgs {
		h.d.Enqueue(m)
	}
	h.close(t)
	for _, s := range []*fakeSender{a, b} {
		if _, sent := s.counts(); !slices.Equal(ids(sent), ids(msgs)) {
			t.Errorf("sender got %v, want %v", ids(sent), ids(msgs))
		}
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "sent"); n != 40 {
		t.Errorf("sent counter %v, want 40", n)
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "failed"); n != 0 {
		t.Errorf("failed counter %v, want 0", n)
	}
}

func TestDispatcherRetriesThenGivesUp(t *testing.T) {
	failing := &fakeSender{fail: func(int, Message) error { return errors.New("connection refused") }}
	flaky := &fakeSender{fail: func(attempt int, _ Message) error {
		if attempt < 3 {
			return errors.New("try again")
		}
		return nil
	}}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{failing, flaky}, Workers: 1})
	m := testEmail()
	h.d.Enqueue(m)
	h.close(t)

	if n, sent := failing.counts(); n != maxAttempts || len(sent) != 0 {
		t.Errorf("failing sender: %d attempts, %d sent; want %d, 0", n, len(sent), maxAttempts)
	}
	if n, sent := flaky.counts(); n != 3 || len(sent) != 1 {
		t.Errorf("flaky sender: %d attempts, %d sent; want 3, 1", n, len(sent))
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "failed"); n != 1 {
		t.Errorf("failed counter %v, want 1", n)
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "sent"); n != 1 {
		t.Errorf("sent counter %v, want 1", n)
	}
	logs := h.log.String()
	for _, want := range []string{"giving up", "will retry", "connection refused", "b***@e***.com", "pool=us-east-1_AbCdEfGhI", "kind=SIGNUP", "medium=EMAIL", "attempts=3"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	assertNoSecrets(t, logs, m)
}

func assertNoSecrets(t *testing.T, logs string, m Message) {
	t.Helper()
	for _, secret := range []string{m.Code, m.Destination, "verification code is"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log reveals %q:\n%s", secret, logs)
		}
	}
}

func TestDispatcherPermanentErrorNotRetried(t *testing.T) {
	s := &fakeSender{fail: func(int, Message) error { return permanent(errors.New("550 no such user")) }}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{s}})
	h.d.Enqueue(testEmail())
	h.close(t)
	if n, _ := s.counts(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestDispatcherSkipsWhatASenderDoesNotHandle(t *testing.T) {
	email := &fakeSender{skipSMS: true}
	all := plainSender{&fakeSender{skipSMS: true}}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{email, all}})
	m := testEmail()
	m.Medium, m.Destination = "SMS", "+15555550100"
	h.d.Enqueue(m)
	h.close(t)
	if n, _ := email.counts(); n != 0 {
		t.Errorf("e-mail-only sender was called %d times for an SMS", n)
	}
	if n, _ := all.f.counts(); n != 1 {
		t.Errorf("a sender that cannot say what it handles was called %d times, want 1", n)
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "SMS", "outcome", "sent"); n != 1 {
		t.Errorf("SMS sent counter %v, want 1", n)
	}
}

func TestDispatcherDropsWhenFull(t *testing.T) {
	s := &fakeSender{started: make(chan Message, 10), release: make(chan struct{})}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{s}, Workers: 1, QueueSize: 2})
	msgs := numbered(4)
	h.d.Enqueue(msgs[0])
	<-s.started // the only worker is now busy
	h.d.Enqueue(msgs[1])
	h.d.Enqueue(msgs[2])
	h.d.Enqueue(msgs[3]) // the queue holds two
	if n := h.counter(t, "hashless_pool_delivery_queue_dropped_total"); n != 1 {
		t.Errorf("dropped counter %v, want 1", n)
	}
	close(s.release)
	h.close(t)
	if _, sent := s.counts(); !slices.Equal(ids(sent), []int64{1, 2, 3}) {
		t.Errorf("delivered %v, want [1 2 3]", ids(sent))
	}
	logs := h.log.String()
	if !strings.Contains(logs, "message dropped") || !strings.Contains(logs, "queue full") || !strings.Contains(logs, "outbox_id=4") {
		t.Errorf("drop not logged:\n%s", logs)
	}
	assertNoSecrets(t, logs, msgs[3])
}

func TestDispatcherCloseDrains(t *testing.T) {
	s := &fakeSender{fail: func(int, Message) error {
		time.Sleep(2 * time.Millisecond)
		return nil
	}}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{s}, Workers: 2, QueueSize: 100})
	msgs := numbered(50)
	for _, m := range msgs {
		h.d.Enqueue(m)
	}
	h.close(t)
	if _, sent := s.counts(); !slices.Equal(ids(sent), ids(msgs)) {
		t.Errorf("Close returned with %d of %d delivered", len(sent), len(msgs))
	}
	// Closed: later messages are dropped, not sent and not a panic.
	h.d.Enqueue(testEmail())
	if n := h.counter(t, "hashless_pool_delivery_queue_dropped_total"); n != 1 {
		t.Errorf("dropped counter %v after Enqueue on a closed dispatcher, want 1", n)
	}
	h.close(t) // a second Close is harmless
}

func TestDispatcherCloseDeadline(t *testing.T) {
	s := &fakeSender{started: make(chan Message, 10), release: make(chan struct{})}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{s}, Workers: 1})
	for _, m := range numbered(3) {
		h.d.Enqueue(m)
	}
	<-s.started
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.d.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v past a 50ms deadline", d)
	}
	// The send in flight is aborted and the two queued messages are dropped.
	waitFor(t, "the queue to be discarded", func() bool {
		return h.counter(t, "hashless_pool_delivery_queue_dropped_total") == 2
	})
	waitFor(t, "the aborted send to count", func() bool {
		return h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "failed") == 1
	})
	if n, _ := s.counts(); n != 1 {
		t.Errorf("%d attempts after Close gave up, want 1", n)
	}
}

func TestDispatcherSurvivesPanickingSender(t *testing.T) {
	bad := &fakeSender{fail: func(int, Message) error { panic("boom") }}
	good := &fakeSender{}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{bad, good}, Workers: 1})
	for _, m := range numbered(2) {
		h.d.Enqueue(m)
	}
	h.close(t)
	if _, sent := good.counts(); len(sent) != 2 {
		t.Errorf("good sender got %d messages after a panic, want 2", len(sent))
	}
	if !strings.Contains(h.log.String(), "sender panicked: boom") {
		t.Errorf("panic not logged:\n%s", h.log.String())
	}
}

func TestDispatcherSharesRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := &fakeSender{}
	for range 2 {
		d := NewDispatcher(DispatcherConfig{Senders: []Sender{s}, Registry: reg, Logger: logger})
		d.Enqueue(testEmail())
		if err := d.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{reg: reg}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "sent"); n != 2 {
		t.Errorf("shared sent counter %v, want 2", n)
	}
	if strings.Contains(logs.String(), "not registered") {
		t.Errorf("second dispatcher failed to register:\n%s", logs.String())
	}
	// Without a registry or logger it still works.
	d := NewDispatcher(DispatcherConfig{Senders: []Sender{s}})
	d.Enqueue(testEmail())
	if err := d.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, sent := s.counts(); len(sent) != 3 {
		t.Errorf("%d delivered, want 3", len(sent))
	}
}

// TestDispatcherEndToEnd runs real senders: SMTP gets the e-mail, the webhook gets both.
func TestDispatcherEndToEnd(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{auth: true})
	mailer := newTestSMTP(t, "smtp://mailer:pw@"+srv.Addr)
	var mu sync.Mutex
	var hooked []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhookPayload
		_ = json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		hooked = append(hooked, p.Medium+" "+p.Code)
		mu.Unlock()
	}))
	defer hook.Close()
	webhook, err := NewWebhook(hook.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, DispatcherConfig{Senders: []Sender{mailer, webhook}})
	email := testEmail()
	sms := testEmail()
	sms.Medium, sms.Destination, sms.Code = "SMS", "+15555550100", "111222"
	h.d.Enqueue(email)
	h.d.Enqueue(sms)
	h.close(t)

	sessions := srv.Sessions()
	if len(sessions) != 1 || !strings.Contains(sessions[0].Data, email.Code) {
		t.Errorf("SMTP sessions %+v, want one carrying the e-mail", sessions)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(hooked)
	if want := []string{"EMAIL " + email.Code, "SMS 111222"}; !slices.Equal(hooked, want) {
		t.Errorf("webhook got %q, want %q", hooked, want)
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "EMAIL", "outcome", "sent"); n != 2 {
		t.Errorf("EMAIL sent %v, want 2 (SMTP and webhook)", n)
	}
	if n := h.counter(t, "hashless_pool_deliveries_total", "medium", "SMS", "outcome", "sent"); n != 1 {
		t.Errorf("SMS sent %v, want 1 (webhook only)", n)
	}
	logs := h.log.String()
	assertNoSecrets(t, logs, email)
	assertNoSecrets(t, logs, sms)
	if !strings.Contains(logs, "sender=\"smtp 127.0.0.1:") {
		t.Errorf("deliveries not logged with their sender:\n%s", logs)
	}
}
