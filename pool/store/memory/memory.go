package memory

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// maxAttempts bounds how often Update runs a function that keeps returning ErrConflict. With one
// lock there is no concurrent writer to wait out, but the contract lets a function return
// ErrConflict to ask for a fresh run, and the SQL backends allow the same number.
const maxAttempts = 10

// csvRetention is how long an import job's CSV body outlives the job's creation.
const csvRetention = 24 * time.Hour

type key2 struct{ a, b string }

type memberKey struct{ pool, group, user string }

type aliasKey struct{ pool, kind, key string }

type data struct {
	pools    map[string]store.Pool
	clients  map[key2]store.Client
	users    map[key2]store.User
	subs     map[key2]string // (pool, sub) → username key
	aliases  map[aliasKey]string
	groups   map[key2]store.Group
	members  map[memberKey]struct{}
	jobs     map[key2]store.ImportJob
	csv      map[key2][]byte
	messages map[int64]store.Message
	lastID   int64
	eph      map[key2]store.Ephemeral
}

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu sync.RWMutex
	d  data
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{d: data{
		pools:    map[string]store.Pool{},
		clients:  map[key2]store.Client{},
		users:    map[key2]store.User{},
		subs:     map[key2]string{},
		aliases:  map[aliasKey]string{},
		groups:   map[key2]store.Group{},
		members:  map[memberKey]struct{}{},
		jobs:     map[key2]store.ImportJob{},
		csv:      map[key2][]byte{},
		messages: map[int64]store.Message{},
		eph:      map[key2]store.Ephemeral{},
	}}
}

// Update runs fn under the write lock. Nested calls to Update or View from fn deadlock.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	var err error
	for range maxAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		err = s.updateOnce(fn)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return err
}

func (s *Store) updateOnce(fn func(tx store.Tx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{readTx: readTx{d: &s.d}}
	committed := false
	// A deferred rollback also covers a panicking fn, so the maps never keep half a transaction.
	defer func() {
		if !committed {
			t.rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	committed = true
	return nil
}

// View runs fn under the read lock.
func (s *Store) View(ctx context.Context, fn func(tx store.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&readTx{d: &s.d})
}

// Cleanup implements store.Store.
func (s *Store) Cleanup(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.d.eph {
		if !e.ExpiresAt.After(now) {
			delete(s.d.eph, k)
			n++
		}
	}
	for id, m := range s.d.messages {
		if !m.ExpiresAt.After(now) {
			delete(s.d.messages, id)
			n++
		}
	}
	cut := now.Add(-csvRetention)
	for k := range s.d.csv {
		if j, ok := s.d.jobs[k]; ok && j.CreatedAt.Before(cut) {
			delete(s.d.csv, k)
			n++
		}
	}
	return n, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// Close implements store.Store. The data stays readable; there is nothing to release.
func (s *Store) Close() error { return nil }

type readTx struct {
	d *data
}

type tx struct {
	readTx
	undo []func()
}

var _ store.Tx = (*tx)(nil)

func (t *tx) rollback() {
	for _, u := range slices.Backward(t.undo) {
		u()
	}
	t.undo = nil
}

// put and remove change a map and log how to reverse the change.
func put[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

func remove[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	t.undo = append(t.undo, func() { m[k] = old })
	delete(m, k)
}

// Copies. Empty byte slices and lists come back as nil, as the SQL backends return them.

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

func cloneSlice[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func clonePool(p store.Pool) store.Pool {
	p.Settings = cloneBytes(p.Settings)
	return p
}

func cloneClient(c store.Client) store.Client {
	c.Settings = cloneBytes(c.Settings)
	return c
}

func cloneUser(u store.User) store.User {
	u.Attributes = cloneSlice(u.Attributes)
	u.Aliases = cloneSlice(u.Aliases)
	u.State = cloneBytes(u.State)
	return u
}

func cloneGroup(g store.Group) store.Group {
	g.Data = cloneBytes(g.Data)
	return g
}

func cloneJob(j store.ImportJob) store.ImportJob {
	j.Data = cloneBytes(j.Data)
	return j
}

func cloneMessage(m store.Message) store.Message {
	m.UserKeys = cloneSlice(m.UserKeys)
	return m
}

func cloneEphemeral(e store.Ephemeral) store.Ephemeral {
	e.Value = cloneBytes(e.Value)
	return e
}
