package servetest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestFailedLoginsDoTheSameWork: an unknown e-mail, a wrong password and a disabled customer
// get the same 401 and the same body, and cost the pool the same: one password KDF run
// (a verify, or a dummy for a user that does not exist) and the same pool requests.
func TestFailedLoginsDoTheSameWork(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, dsn string) {
		s := startServe(t, serveOpts{db: dsn})
		a := newAPI(t, s.URL)
		const pw = "Same-Work-Passw0rd"
		a.register("known@example.com", pw)
		disabled := a.register("disabled@example.com", pw)
		a.admin("POST", "/admin/customers/"+disabled.ID+"/disable", nil).expect(t, http.StatusOK)
		a.login("known@example.com", pw) // the pool user has signed in before, as most have

		paths := []struct{ name, email, password string }{
			{"unknown e-mail", "nobody@example.com", "Wrong-Passw0rd"},
			{"wrong password", "known@example.com", "Wrong-Passw0rd"},
			{"disabled customer", "disabled@example.com", pw},
			{"unknown e-mail, other case", "NOBODY-ELSE@Example.com", pw},
			{"wrong password, other case", "KNOWN@example.COM", "Wrong-Passw0rd-2"},
		}
		type outcome struct {
			status   int
			body     string
			requests map[string]float64
		}
		var first *outcome
		for _, p := range paths {
			for _, route := range []string{"/store/auth", "/store/auth/token"} {
				before := metrics(t, s.URL)
				r := a.do("POST", route, map[string]any{"email": p.email, "password": p.password})
				after := metrics(t, s.URL)

				kdf := delta(before, after, "hashless_pool_kdf_runs_total")
				runs := kdf[`hashless_pool_kdf_runs_total{kind="verify"}`] + kdf[`hashless_pool_kdf_runs_total{kind="dummy"}`]
				if runs != 1 || kdf[`hashless_pool_kdf_runs_total{kind="hash"}`] != 0 {
					t.Errorf("%s on %s: KDF runs %v, want exactly one verify or dummy", p.name, route, kdf)
				}
				got := outcome{status: r.status, body: string(r.body), requests: delta(before, after, "hashless_pool_requests_total")}
				if got.status != http.StatusUnauthorized {
					t.Errorf("%s on %s: status %d %s", p.name, route, r.status, r.body)
				}
				if first == nil {
					first = &got
					if len(got.requests) == 0 {
						t.Fatalf("%s: the pool was not asked at all", p.name)
					}
					t.Logf("pool work of a failed sign-in: %s; KDF %s", show(got.requests), show(kdf))
					continue
				}
				if got.status != first.status || got.body != first.body {
					t.Errorf("%s on %s: %d %s, but %s got %d %s", p.name, route, got.status, got.body, paths[0].name, first.status, first.body)
				}
				if !maps.Equal(got.requests, first.requests) {
					t.Errorf("%s on %s: pool requests %s, but %s made %s", p.name, route, show(got.requests), paths[0].name, show(first.requests))
				}
			}
		}
	})
}

func show(m map[string]float64) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s=%g", k, m[k]))
	}
	return strings.Join(out, " ")
}
