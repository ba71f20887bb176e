package pool

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashless/hashless/internal/coregate"
	"github.com/hashless/hashless/internal/kdf"
	"github.com/hashless/hashless/internal/seal"
	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// Clock tells the time. Every timed rule reads it, so tests can stand at a boundary.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// SystemClock is the wall clock.
var SystemClock Clock = systemClock{}

// Config is what a Service needs besides its store.
type Config struct {
	Store  store.Store
	Sealer *seal.Sealer
	KDF    kdf.Params
	Clock  Clock
	Logger *slog.Logger
	// AccountID appears in ARNs.
	AccountID string
	// PublicURL is the base of links the pool hands out (import upload URLs, issuers).
	PublicURL string
	// Deliver, if set, receives every message the pool sends once the change that caused it
	// is committed (the outbox has it either way). It must not block.
	Deliver func(Outbound)
	// IssuerStyle is IssuerLocal (tokens name PublicURL/<pool>) or IssuerAWS (tokens name
	// Cognito's own issuer, for apps that hard-code it).
	IssuerStyle string
	// Registerer, when set, receives the engine's own metrics (KDF runs).
	Registerer prometheus.Registerer
	// SRPDefault says whether pools without the hashless:srp tag sign in with SRP (and so
	// keep an SRP verifier for every password).
	SRPDefault bool
	// Triggers calls the pools' trigger webhooks (LambdaConfig). Nil means the defaults of
	// package triggers: a 5 s limit per call, no redirects, the pool's logger.
	Triggers *triggers.Invoker
}

// Service is the pool engine: every operation of the Cognito Identity Provider API that the
// server implements, as a method taking the caller and a typed input.
type Service struct {
	store       store.Store
	sealer      *seal.Sealer
	kdf         kdf.Params
	clock       Clock
	log         *slog.Logger
	accountID   string
	publicURL   string
	issuerStyle string
	onDeliver   func(Outbound)
	importer    *importRunner
	kdfRuns     *prometheus.CounterVec
	// decodedPools holds decoded pools by ID (see decodePool).
	decodedPools sync.Map
	kdfGate      coregate.Gate
	srpDefault   bool
	triggers     *triggers.Invoker
}

// New builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("pool: a store and a sealer are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	s := &Service{
		store:       cfg.Store,
		sealer:      cfg.Sealer,
		srpDefault:  cfg.SRPDefault,
		kdf:         cfg.KDF,
		clock:       cfg.Clock,
		log:         cfg.Logger,
		accountID:   cfg.AccountID,
		publicURL:   strings.TrimRight(cfg.PublicURL, "/"),
		issuerStyle: cfg.IssuerStyle,
		onDeliver:   cfg.Deliver,
	}
	s.kdfGate = coregate.New()
	s.kdfRuns = newKDFCounter(cfg.Registerer)
	s.triggers = newInvoker(cfg.Triggers, cfg.Logger, newTriggerCounter(cfg.Registerer))
	s.importer = newImportRunner(s)
	return s, nil
}

// SetPublicURL changes the base of the links the pool hands out. It is for the moment between
// binding a listener and serving the first request, when a port chosen by the system becomes
// known; it is not safe while requests are served.
func (s *Service) SetPublicURL(u string) { s.publicURL = strings.TrimRight(u, "/") }

// Close waits for background work (import jobs) to stop.
func (s *Service) Close() { s.importer.stop() }

// Caller is who sent a request, as the wire layer established it.
type Caller struct {
	// Region is the SigV4 credential scope's region, or the server's default for unsigned calls.
	Region string
	// AccessKeyID is set for signed calls.
	AccessKeyID string
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const lowerAlnum = "0123456789abcdefghijklmnopqrstuvwxyz"

// randomString draws n characters from alphabet without modulo bias.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n*2)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err))
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out[i] = alphabet[int(b)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return formatUUID(b)
}

// formatUUID writes 16 bytes as a version 4 UUID (random, or from a MAC where it must be
// stable).
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// storeError turns a store failure the caller did not anticipate into an internal error,
// logging the cause (which the client never sees).
func (s *Service) storeError(ctx context.Context, op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return newError(ExInternalError, "The request was cancelled or timed out.")
	}
	if errors.Is(err, store.ErrConflict) {
		return newError(ExConcurrentModification, "The resource was modified concurrently; retry the request.")
	}
	s.log.ErrorContext(ctx, "store failure", "op", op, "err", err)
	return newError(ExInternalError, "Internal error.")
}

// Outbound is a message to deliver for real, beside the outbox.
type Outbound struct {
	ID          int64
	Pool        string
	Username    string
	Destination string
	Medium      string
	Kind        string
	Code        string
	Subject     string
	Body        string
	Time        time.Time
}

// outboxTx is the transaction the engine's write functions see: the store's, plus the
// messages it has put in the outbox, to be delivered only once it commits.
type outboxTx struct {
	store.Tx
	outbound []Outbound
	// custom is the CustomMessage webhook's answer for the message this transaction sends.
	custom *customMessage
}

// update runs fn in a store transaction and then hands the messages it wrote to delivery.
// Every engine write goes through here rather than straight to the store, so no message is
// delivered for a change that rolled back, and none twice when fn is retried.
func (s *Service) update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.updateWithMessage(ctx, nil, fn)
}

// updateWithMessage is update for a transaction whose message the CustomMessage webhook
// composed beforehand (see custommessage.go).
func (s *Service) updateWithMessage(ctx context.Context, custom *customMessage, fn func(tx store.Tx) error) error {
	var sent []Outbound
	err := s.store.Update(ctx, func(tx store.Tx) error {
		otx := &outboxTx{Tx: tx, custom: custom}
		if err := fn(otx); err != nil {
			return err
		}
		sent = otx.outbound
		return nil
	})
	if err == nil && s.onDeliver != nil {
		for _, m := range sent {
			s.onDeliver(m)
		}
	}
	return err
}
