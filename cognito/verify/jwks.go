package verify

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	maxJWKSBytes   = 1 << 20
	fetchTimeout   = 10 * time.Second
	minRSAKeyBits  = 2048
	coldRetryAfter = 5 * time.Second
)

// keySet caches a JWKS. A fetch happens on first use; on a kid it does not know, at most
// once per interval (so a flood of tokens with made-up kids costs one fetch per interval,
// never one per call); and in the background once the keys are older than maxAge, so a
// key withdrawn from the set stops verifying. While no key set has ever been fetched,
// failed fetches are retried after coldRetryAfter instead, so that a verifier started
// while the pool was briefly unreachable does not refuse everyone for a whole interval.
type keySet struct {
	url      string
	client   *http.Client
	now      func() time.Time
	interval time.Duration
	maxAge   time.Duration

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey // nil until the first successful fetch
	fetchedAt   time.Time
	lastAttempt time.Time
	lastErr     error
	inflight    chan struct{} // closed when the running fetch ends; nil when none runs
	fetches     int           // attempts, for tests
}

// key returns the key with id kid.
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	now := s.now()
	if k, ok := s.keys[kid]; ok {
		if now.Sub(s.fetchedAt) >= s.maxAge && s.mayFetch(now) {
			s.startFetch(now)
		}
		s.mu.Unlock()
		return k, nil
	}
	wait := s.inflight
	if wait == nil {
		if !s.mayFetch(now) {
			err := s.refusal()
			s.mu.Unlock()
			return nil, err
		}
		wait = s.startFetch(now)
	}
	s.mu.Unlock()

	select {
	case <-wait:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrKeySetUnavailable, ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, s.refusal()
}

// refusal explains a kid that is not in the set: the set itself could not be had, or the
// key is not in it.
func (s *keySet) refusal() error {
	if s.keys == nil {
		if s.lastErr != nil {
			return fmt.Errorf("%w: %w", ErrKeySetUnavailable, s.lastErr)
		}
		return ErrKeySetUnavailable
	}
	return ErrUnknownKey
}

// mayFetch applies the rate limit; s.mu is held.
func (s *keySet) mayFetch(now time.Time) bool {
	if s.inflight != nil {
		return false
	}
	if s.lastAttempt.IsZero() {
		return true
	}
	wait := s.interval
	if s.keys == nil && coldRetryAfter < wait {
		wait = coldRetryAfter
	}
	return now.Sub(s.lastAttempt) >= wait
}

// startFetch runs a fetch apart from any caller's context, so that a caller that gives up
// does not spoil the fetch for the others waiting on it; s.mu is held.
func (s *keySet) startFetch(now time.Time) chan struct{} {
	done := make(chan struct{})
	s.inflight = done
	s.lastAttempt = now
	s.fetches++
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
		defer cancel()
		keys, err := s.fetch(ctx)
		s.mu.Lock()
		if err != nil {
			s.lastErr = err
		} else {
			s.keys, s.fetchedAt, s.lastErr = keys, s.now(), nil
		}
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	return done
}

func (s *keySet) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", s.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: key set larger than %d bytes", s.url, maxJWKSBytes)
	}
	return parseJWKS(body)
}

// parseJWKS keeps the set's RSA signing keys that are fit for RS256. Other keys are
// skipped one by one rather than failing the set, so a pool that publishes a key type this
// package does not use still works; a set with no usable key at all is an error, and the
// keys already held are kept.
func parseJWKS(body []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set is not JSON: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if jwk.UnmarshalJSON(raw) != nil {
			continue
		}
		// A published private key is a leaked one: never trust it.
		pub, ok := jwk.Key.(*rsa.PublicKey)
		if !ok || jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") ||
			(jwk.Algorithm != "" && jwk.Algorithm != string(jose.RS256)) || pub.N.BitLen() < minRSAKeyBits {
			continue
		}
		keys[jwk.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("key set has no usable RS256 key")
	}
	return keys, nil
}

// stats reports fetch attempts, for tests.
func (s *keySet) stats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}
