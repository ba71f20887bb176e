package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	defaultQueueSize = 1024
	defaultWorkers   = 4
	maxAttempts      = 3
	defaultBackoff   = time.Second
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	// Senders each receive every message, in order.
	Senders []Sender
	// Logger receives delivery failures and drops; nil discards them.
	Logger *slog.Logger
	// Registry receives the dispatcher's metrics; nil means none are kept.
	Registry prometheus.Registerer
	// QueueSize bounds the messages waiting for a worker (1024 by default).
	QueueSize int
	// Workers is the number of concurrent deliveries (4 by default).
	Workers int

	// backoff is the wait before the first retry, doubled before each later one; tests
	// shorten it.
	backoff time.Duration
}

// Dispatcher delivers messages in the background so that a request never waits on a mail
// server. Its queue is bounded: when senders fall behind, new messages are dropped (logged
// and counted) rather than held in memory without limit, because the outbox still has them.
type Dispatcher struct {
	senders []Sender
	log     *slog.Logger
	backoff time.Duration

	mu     sync.RWMutex // guards closed, so Enqueue never sends on a closed queue
	closed bool
	queue  chan Message

	// ctx is cancelled when Close gives up waiting, aborting sends in flight.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	deliveries *prometheus.CounterVec
	dropped    prometheus.Counter
}

// NewDispatcher starts the workers. Close stops them.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = defaultQueueSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers
	}
	if cfg.backoff <= 0 {
		cfg.backoff = defaultBackoff
	}
	d := &Dispatcher{
		senders: append([]Sender(nil), cfg.Senders...),
		log:     cfg.Logger,
		backoff: cfg.backoff,
		queue:   make(chan Message, cfg.QueueSize),
		done:    make(chan struct{}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_pool_deliveries_total",
			Help: "Message deliveries by medium and outcome (sent, or failed after retries), counted per sender.",
		}, []string{"medium", "outcome"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hashless_pool_delivery_queue_dropped_total",
			Help: "Messages never attempted: the delivery queue was full or the dispatcher had shut down.",
		}),
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if cfg.Registry != nil {
		var err error
		if d.deliveries, err = register(cfg.Registry, d.deliveries); err != nil {
			d.log.Warn("delivery metrics not registered", "error", err)
		}
		if d.dropped, err = register(cfg.Registry, d.dropped); err != nil {
			d.log.Warn("delivery metrics not registered", "error", err)
		}
	}
	for _, medium := range []string{mediumEmail, mediumSMS} {
		for _, outcome := range []string{"sent", "failed"} {
			d.deliveries.WithLabelValues(medium, outcome)
		}
	}
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(d.work)
	}
	go func() {
		wg.Wait()
		close(d.done)
	}()
	return d
}

// register shares the collectors of an earlier dispatcher on the same registry (a server
// restarted in one process) instead of failing.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// Enqueue hands m to the workers without waiting. A full queue or a closed dispatcher drops
// it.
func (d *Dispatcher) Enqueue(m Message) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.drop(m, "dispatcher closed")
		return
	}
	select {
	case d.queue <- m:
	default:
		d.drop(m, "delivery queue full")
	}
}

// Close stops accepting messages and waits until those already queued have been delivered
// or given up on. If ctx ends first, sends in flight are aborted, what remains in the queue
// is dropped, and ctx's error is returned.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.queue)
	}
	d.mu.Unlock()
	select {
	case <-d.done:
		d.cancel()
		return nil
	default:
	}
	select {
	case <-d.done:
		d.cancel()
		return nil
	case <-ctx.Done():
		d.cancel()
		return fmt.Errorf("delivery: queue not drained: %w", ctx.Err())
	}
}

func (d *Dispatcher) work() {
	for m := range d.queue {
		if d.ctx.Err() != nil {
			d.drop(m, "dispatcher closed before delivery")
			continue
		}
		for _, s := range d.senders {
			if sel, ok := s.(selective); ok && !sel.handles(m) {
				continue
			}
			d.deliver(s, m)
		}
	}
}

// deliver tries s up to maxAttempts times, doubling the wait between attempts, and stops
// early on a permanent error or shutdown.
func (d *Dispatcher) deliver(s Sender, m Message) {
	var err error
	attempt := 1
	for ; ; attempt++ {
		if err = send(d.ctx, s, m); err == nil {
			d.deliveries.WithLabelValues(mediumLabel(m.Medium), "sent").Inc()
			d.log.Debug("message delivered", logAttrs(s, m, "attempts", attempt)...)
			return
		}
		if attempt == maxAttempts || isPermanent(err) || d.ctx.Err() != nil {
			break
		}
		d.log.Warn("message delivery failed, will retry", logAttrs(s, m, "attempt", attempt, "error", err)...)
		if !sleep(d.ctx, d.backoff<<(attempt-1)) {
			break
		}
	}
	d.deliveries.WithLabelValues(mediumLabel(m.Medium), "failed").Inc()
	d.log.Error("message delivery failed, giving up", logAttrs(s, m, "attempts", attempt, "error", err)...)
}

// send turns a panicking sender into an error, so one bad message cannot take the server
// down with it.
func send(ctx context.Context, s Sender, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sender panicked: %v", r)
		}
	}()
	return s.Send(ctx, m)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (d *Dispatcher) drop(m Message, reason string) {
	d.dropped.Inc()
	d.log.Warn("message dropped", logAttrs(nil, m, "reason", reason)...)
}

// logAttrs describes a message without its code or body, which are secrets, and with its
// destination masked.
func logAttrs(s Sender, m Message, extra ...any) []any {
	attrs := []any{
		"pool", m.Pool, "kind", m.Kind, "medium", m.Medium,
		"destination", maskDestination(m.Medium, m.Destination), "outbox_id", m.ID,
	}
	if s != nil {
		name := fmt.Sprintf("%T", s)
		if st, ok := s.(fmt.Stringer); ok {
			name = st.String()
		}
		attrs = append(attrs, "sender", name)
	}
	return append(attrs, extra...)
}

// mediumLabel keeps the metric's label set fixed whatever a message claims.
func mediumLabel(medium string) string {
	if medium == mediumEmail || medium == mediumSMS {
		return medium
	}
	return "OTHER"
}
