package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
	"github.com/hashless/hashless/storeauth/store/memory"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "storeauth:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("storeauth", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address (port 0 picks a free one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, local, err := openPool(ctx, out)
	if err != nil {
		return err
	}
	if local != nil {
		defer local.Close()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	app, err := newApp(ctx, newCustomerTable(), pool, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(out, "listening on http://%s (POST /store/customers, POST /store/auth, GET /hello)\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openPool connects to the pool in COGNITO_*, or starts a local one (returned, to Close).
// storeauth signs customers in with AdminInitiateAuth, so the app client must allow
// ALLOW_ADMIN_USER_PASSWORD_AUTH, and the keys in COGNITO_ACCESS_KEY_ID and
// COGNITO_SECRET_ACCESS_KEY must be allowed the admin operations (see README).
func openPool(ctx context.Context, out io.Writer) (storeauth.Pool, *cognitotest.Pool, error) {
	cfg := cognito.ConfigFromEnv()
	var local *cognitotest.Pool
	if cfg.UserPoolID == "" {
		p, err := cognitotest.Start(ctx, cognitotest.Options{ClientSecret: true})
		if err != nil {
			return nil, nil, err
		}
		local, cfg = p, p.Config()
		fmt.Fprintf(out, "no %s set: started a local pool at %s\n", cognito.EnvUserPoolID, p.URL)
	} else {
		fmt.Fprintf(out, "using pool %s from the environment\n", cfg.UserPoolID)
	}
	cfg.LoginFlow = cognito.AdminUserPasswordAuth
	client, err := cognito.New(cfg)
	if err != nil {
		if local != nil {
			local.Close()
		}
		return nil, nil, err
	}
	return storeauth.CognitoPool{Client: client}, local, nil
}

// newApp is the app: storeauth's routes under /store/, and the app's own routes, guarded
// by RequireCustomer where they need a signed-in customer. It also runs, until ctx ends,
// the two chores a storeauth app owes: settling registrations a crash left half done, and
// deleting expired sessions.
func newApp(ctx context.Context, customers store.Customers, pool storeauth.Pool, publicURL string) (http.Handler, error) {
	sessions := memory.New() // or sqlstore.Open(ctx, dsn, …) for sessions that survive restarts
	svc, err := storeauth.New(storeauth.Config{
		Customers: customers, Sessions: sessions, Pool: pool,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	api, err := svc.Handler(storeauth.HandlerConfig{PublicURL: publicURL})
	if err != nil {
		return nil, err
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			svc.Reconcile(ctx)
			svc.CleanupSessions(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("/store/", api)
	mux.Handle("GET /hello", api.RequireCustomer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := storeauth.CustomerID(r.Context())
		c, err := customers.GetCustomer(r.Context(), id)
		if err != nil {
			http.Error(w, "no such customer", http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, "hello %s <%s>\n", id, c.Email)
	})))
	return mux, nil
}

// customerTable is the app's own customers table, here a map. Any table will do that keeps
// what store.Customers documents: e-mails unique in any letter case among rows that are
// not deleted (in SQL, a unique index on lower(email) where state <> 'deleted'), and
// updates and deletes that compare the version (UPDATE … WHERE id = ? AND version = ?).
type customerTable struct {
	mu   sync.Mutex
	rows map[string]store.Customer
}

var _ store.Customers = (*customerTable)(nil)

func newCustomerTable() *customerTable {
	return &customerTable{rows: map[string]store.Customer{}}
}

func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// emailTaken reports whether a live row other than except holds email.
func (t *customerTable) emailTaken(email, except string) bool {
	for id, c := range t.rows {
		if id != except && c.State != store.StateDeleted && emailKey(c.Email) == emailKey(email) {
			return true
		}
	}
	return false
}

// copyOf is c with its own Metadata and its times in UTC, so callers and the table never
// share memory.
func copyOf(c store.Customer) store.Customer {
	c.Metadata = slices.Clone(c.Metadata)
	for _, tm := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.DeletedAt, &c.MigratedAt, &c.CredentialLeaseUntil} {
		if !tm.IsZero() {
			*tm = tm.UTC()
		}
	}
	return c
}

func (t *customerTable) CreateCustomer(ctx context.Context, c store.Customer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.rows[c.ID]; ok {
		return store.ErrDuplicateID
	}
	if c.State != store.StateDeleted && t.emailTaken(c.Email, "") {
		return store.ErrDuplicateEmail
	}
	c.Version = 1
	t.rows[c.ID] = copyOf(c)
	return nil
}

func (t *customerTable) GetCustomer(ctx context.Context, id string) (store.Customer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.rows[id]
	if !ok {
		return store.Customer{}, store.ErrNotFound
	}
	return copyOf(c), nil
}

func (t *customerTable) CustomerByEmail(ctx context.Context, email string) (store.Customer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.rows {
		if c.State != store.StateDeleted && emailKey(c.Email) == emailKey(email) {
			return copyOf(c), nil
		}
	}
	return store.Customer{}, store.ErrNotFound
}

func (t *customerTable) UpdateCustomer(ctx context.Context, c store.Customer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.rows[c.ID]
	switch {
	case !ok:
		return store.ErrNotFound
	case old.Version != c.Version:
		return store.ErrConflict
	case c.State != store.StateDeleted && t.emailTaken(c.Email, c.ID):
		return store.ErrDuplicateEmail
	}
	c.Version++
	t.rows[c.ID] = copyOf(c)
	return nil
}

func (t *customerTable) DeleteCustomer(ctx context.Context, id string, version int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.rows[id]
	switch {
	case !ok:
		return store.ErrNotFound
	case old.Version != version:
		return store.ErrConflict
	}
	delete(t.rows, id)
	return nil
}

func (t *customerTable) ListCustomers(ctx context.Context, f store.CustomerFilter, after string, limit int) ([]store.Customer, error) {
	state := f.State
	if state == "" {
		state = store.StateActive
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []store.Customer
	for id, c := range t.rows {
		if c.State == state && id > after &&
			(f.Email == "" || emailKey(c.Email) == emailKey(f.Email)) &&
			(f.UpdatedBefore.IsZero() || c.UpdatedAt.Before(f.UpdatedBefore)) &&
			(!f.Legacy || c.PasswordHash != "") {
			out = append(out, copyOf(c))
		}
	}
	slices.SortFunc(out, func(a, b store.Customer) int { return strings.Compare(a.ID, b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// CountCustomers reports the lazy migration's progress over the active rows (in SQL, one
// SELECT of COUNT(*) FILTER (WHERE …) per figure, WHERE state = 'active').
func (t *customerTable) CountCustomers(ctx context.Context, migratedSince time.Time) (store.CustomerCounts, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n store.CustomerCounts
	for _, c := range t.rows {
		if c.State != store.StateActive {
			continue
		}
		legacy := c.HasAccount && c.PasswordHash != ""
		n.Total++
		if legacy {
			n.Legacy++
		}
		if legacy && c.PasswordChangeRequired {
			n.BlockedByPolicy++
		}
		if !c.HasAccount {
			n.Guests++
		}
		if !c.MigratedAt.IsZero() {
			n.Migrated++
			if !c.MigratedAt.Before(migratedSince) {
				n.MigratedSince++
			}
		}
	}
	return n, nil
}
