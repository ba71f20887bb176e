package servetest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

// embeddedAdmin is an admin client of serve's embedded pool, signed with the credential serve
// keeps in its database (never exposed over HTTP), and the pool's ID.
func embeddedAdmin(t *testing.T, dsn, serveURL string) (*cip.Client, string) {
	t.Helper()
	st, err := sqlstore.Open(ctx(t), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cred, err := st.Setting(ctx(t), "embedded_pool.credential")
	if err != nil {
		t.Fatal(err)
	}
	key, secret, _ := strings.Cut(cred, ":")
	var info poolInfo
	newAPI(t, serveURL).do("GET", "/_local/pool", nil).expect(t, http.StatusOK, &info)
	return sdk(serveURL, key, secret, info.Region), info.PoolID
}

// restartArgs: the lease of a saga is 3×call-timeout+5 s, so with 1 s a half-done saga is
// settled within about 8 s (at start, and then every lease).
var restartArgs = []string{"--call-timeout", "1s"}

const faultPassword = "Fault-Passw0rd-1"

// poolUsers lists the usernames in serve's pool (serveURL is where serve listens).
type poolUsers func(t *testing.T, serveURL string) []string

// faultVariant is one way of running serve in the fault tests: a customer database, and a
// pool with a way to list its users from outside.
type faultVariant struct {
	name  string
	dsn   func(testing.TB) string
	setup func(t *testing.T, dsn string) (env []string, users poolUsers)
}

// TestSagasSurviveSIGKILL kills serve with a real SIGKILL at each step of the registration
// and deletion sagas, restarts it on the same database and proves that nothing is left
// half done: a customer either exists and can sign in or does not exist and the address can
// register again (never a customer who cannot sign in, never a 409 that stays), a deleted
// customer is gone and the address free, and the pool holds exactly the live customers.
// It runs with a separate pool process (a user pool each) and with the embedded pool, on
// SQLite and on PostgreSQL.
func TestSagasSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	pool := startPool(t)
	variants := faultVariants(pool)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			for _, point := range []string{"register.after_row", "register.after_pool_create", "register.after_pool_user"} {
				t.Run(point, func(t *testing.T) {
					t.Parallel()
					dsn := v.dsn(t)
					env, users := v.setup(t, dsn)
					killedRegistration(t, dsn, env, users, point)
				})
			}
			for _, point := range []string{"delete.after_mark", "delete.after_pool_user"} {
				t.Run(point, func(t *testing.T) {
					t.Parallel()
					dsn := v.dsn(t)
					env, users := v.setup(t, dsn)
					killedDeletion(t, dsn, env, users, point)
				})
			}
		})
	}
}

// dies sends a request that must reach the fault point: the request fails and serve dies of
// SIGKILL.
func dies(t *testing.T, p *proc, point, method, path string, body any, hdr ...string) {
	t.Helper()
	r, err := newAPI(t, p.URL).try(method, path, body, hdr...)
	if err == nil {
		t.Fatalf("%s %s answered %d %s although serve was to die at %s", method, path, r.status, r.body, point)
	}
	ps := p.wait(t, 30*time.Second)
	if !killedBySIGKILL(ps) {
		t.Fatalf("serve ended with %v, not by SIGKILL at %s", ps, point)
	}
	if !strings.Contains(p.Stderr(), "point="+point) {
		t.Fatalf("serve did not log reaching %s:\n%s", point, p.Stderr())
	}
}

// poolMatchesCustomers waits until the pool's users are exactly the live customers (by ID).
func poolMatchesCustomers(t *testing.T, a *api, users poolUsers) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ids []string
		for _, c := range a.allCustomers() {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		names := users(t, a.base)
		if slices.Equal(ids, names) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pool's users %v are not the live customers %v", names, ids)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func killedRegistration(t *testing.T, dsn string, env []string, users poolUsers, point string) {
	const email = "Killed.Register@Example.com"
	first := startServe(t, serveOpts{db: dsn, env: append([]string{"HASHLESS_TEST_KILL_AT=" + point}, env...)})
	dies(t, first, point, "POST", "/store/customers", map[string]any{"email": email, "password": faultPassword})

	s := startServe(t, serveOpts{db: dsn, env: env, args: restartArgs})
	a := newAPI(t, s.URL)
	outcome := ""
	eventually(t, 45*time.Second, "the registration is finished or undone", func() bool {
		if found := a.findByEmail(email); len(found) > 0 {
			// A live customer must be able to sign in, at once.
			if a.whoami(a.loginPatiently(email, faultPassword)) != found[0].ID {
				t.Fatal("the customer's token signs in as someone else")
			}
			outcome = "finished by the reconciler"
			return true
		}
		r := a.do("POST", "/store/customers", map[string]any{"email": strings.ToLower(email), "password": faultPassword})
		switch r.status {
		case http.StatusCreated:
			outcome = "undone; the address registered again"
			return true
		case http.StatusConflict:
			r.expectError(t, http.StatusConflict, "duplicate_error")
			return false // held by the pending registration until its lease ends
		case http.StatusServiceUnavailable:
			r.expectError(t, http.StatusServiceUnavailable, "unavailable")
			return false // the pool was slower than the 1 s call timeout: try again
		}
		t.Fatalf("registering again: %d %s", r.status, r.body)
		return false
	})
	t.Logf("after a SIGKILL at %s: %s", point, outcome)
	found := a.findByEmail(email)
	if len(found) != 1 {
		t.Fatalf("%d live customers with the address", len(found))
	}
	if a.whoami(a.loginPatiently(email, faultPassword)) != found[0].ID {
		t.Fatal("the customer cannot sign in")
	}
	poolMatchesCustomers(t, a, users)
}

func killedDeletion(t *testing.T, dsn string, env []string, users poolUsers, point string) {
	const email = "killed.delete@example.com"
	first := startServe(t, serveOpts{db: dsn, env: append([]string{"HASHLESS_TEST_KILL_AT=" + point}, env...)})
	a := newAPI(t, first.URL)
	c := a.register(email, faultPassword)
	token := a.login(email, faultPassword)
	bystander := a.register("bystander@example.com", faultPassword)
	dies(t, first, point, "DELETE", "/admin/customers/"+c.ID, nil, bearer(adminToken)...)

	s := startServe(t, serveOpts{db: dsn, env: env, args: restartArgs})
	a = newAPI(t, s.URL)
	// The deletion was under way: the customer is not live any more and has no session.
	if found := a.findByEmail(email); len(found) != 0 {
		t.Fatalf("a customer whose deletion began is listed: %+v", found)
	}
	if a.whoami(token) != "" {
		t.Fatal("a session of a customer whose deletion began still signs in")
	}
	a.loginRefused(email, faultPassword)
	var again customer
	eventually(t, 45*time.Second, "the deletion is finished and the address free", func() bool {
		if found := a.findByEmail(email); len(found) != 0 {
			t.Fatalf("the deleted customer came back: %+v", found)
		}
		r := a.do("POST", "/store/customers", map[string]any{"email": email, "password": "Fault-Passw0rd-2"})
		switch r.status {
		case http.StatusCreated:
			var out customerBody
			r.expect(t, http.StatusCreated, &out)
			again = out.Customer
			return true
		case http.StatusConflict:
			r.expectError(t, http.StatusConflict, "duplicate_error")
			return false
		case http.StatusServiceUnavailable:
			r.expectError(t, http.StatusServiceUnavailable, "unavailable")
			return false
		}
		t.Fatalf("registering the deleted address: %d %s", r.status, r.body)
		return false
	})
	if again.ID == c.ID {
		t.Fatal("the new customer has the deleted one's ID")
	}
	if a.whoami(a.loginPatiently(email, "Fault-Passw0rd-2")) != again.ID {
		t.Fatal("the new customer at the address cannot sign in")
	}
	if a.whoami(a.loginPatiently("bystander@example.com", faultPassword)) != bystander.ID {
		t.Fatal("another customer was hurt by the deletion")
	}
	poolMatchesCustomers(t, a, users)
}

// faultVariants is every combination of pool (a separate process, or embedded in serve)
// and database that the SIGKILL tests run, each with how to list the pool's users.
func faultVariants(pool *poolProc) []faultVariant {
	separate := func(t *testing.T, dsn string) ([]string, poolUsers) {
		poolID := pool.newUserPool(t)
		clientID := pool.newClient(t, poolID)
		return pool.cognitoEnv(poolID, clientID), func(t *testing.T, _ string) []string {
			return poolUsernames(t, pool.sdk, poolID)
		}
	}
	embedded := func(t *testing.T, dsn string) ([]string, poolUsers) {
		return nil, func(t *testing.T, serveURL string) []string {
			c, poolID := embeddedAdmin(t, dsn, serveURL)
			return poolUsernames(t, c, poolID)
		}
	}
	var variants []faultVariant
	for _, b := range backends {
		variants = append(variants, faultVariant{"separate-pool/" + b.name, b.dsn, separate},
			faultVariant{"embedded/" + b.name, b.dsn, embedded})
	}
	return variants
}
