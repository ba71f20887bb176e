package storeauth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/storeauth/store"
)

var adminRoutes = []struct{ method, path string }{
	{"GET", "/admin/customers"},
	{"GET", "/admin/customers?email=a@example.com"},
	{"POST", "/admin/customers/cus_x/disable"},
	{"POST", "/admin/customers/cus_x/enable"},
	{"DELETE", "/admin/customers/cus_x/sessions"},
	{"DELETE", "/admin/customers/cus_x"},
}

func TestAdminOffWithoutToken(t *testing.T) {
	e := newEnv(t, withHandler(func(h *HandlerConfig) { h.AdminToken = "" }))
	for _, rt := range adminRoutes {
		e.do(rt.method, rt.path, nil).expect(403, TypeNotAllowed)
		e.do(rt.method, rt.path, nil, bearer("")).expect(403, TypeNotAllowed)
		e.do(rt.method, rt.path, nil, bearer("anything")).expect(403, TypeNotAllowed)
	}
}

func TestAdminNeedsTheToken(t *testing.T) {
	e := newEnv(t)
	id := e.register("adm@example.com", goodPassword)
	tok := e.token("adm@example.com", goodPassword)
	for _, rt := range adminRoutes {
		for _, opts := range [][]reqOpt{
			nil,
			{bearer(testAdminToken + "x")},
			{bearer(testAdminToken[:len(testAdminToken)-1])},
			{bearer(tok)}, // a customer's session is not an admin token
			{header("Authorization", "Basic "+testAdminToken)},
			{header("X-Admin-Token", testAdminToken)},
		} {
			e.do(rt.method, rt.path, nil, opts...).expect(401, TypeUnauthorized)
		}
	}
	// Nothing happened.
	c, _ := e.store.GetCustomer(context.Background(), id)
	if c.Disabled || c.State != store.StateActive {
		t.Fatalf("customer %+v", c)
	}
}

func TestAdminList(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.register(fmt.Sprintf("List%d@Example.com", i), goodPassword))
	}
	// A pending row is not listed.
	now := e.clock.Now()
	if err := e.store.CreateCustomer(context.Background(), store.Customer{ID: newID("cus_", now), Email: "pending@example.com",
		HasAccount: true, State: store.StatePending, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	r := e.admin("GET", "/admin/customers").expect(200, "")
	m := r.json()
	if cs := m["customers"].([]any); len(cs) != 5 || m["next"] != nil {
		t.Fatalf("list %s", r.Body)
	}
	r = e.admin("GET", "/admin/customers?email=LIST3@example.COM").expect(200, "")
	cs := r.json()["customers"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["id"] != ids[3] {
		t.Fatalf("by e-mail %s", r.Body)
	}
	r = e.admin("GET", "/admin/customers?email=nobody@example.com").expect(200, "")
	if cs := r.json()["customers"].([]any); len(cs) != 0 {
		t.Fatalf("unknown e-mail %s", r.Body)
	}
	r = e.admin("GET", "/admin/customers?email=pending@example.com").expect(200, "")
	if cs := r.json()["customers"].([]any); len(cs) != 0 {
		t.Fatalf("pending listed %s", r.Body)
	}
	// Paging.
	var seen []string
	after := ""
	for range 10 {
		r := e.admin("GET", "/admin/customers?limit=2&after="+after).expect(200, "")
		page := r.json()
		for _, c := range page["customers"].([]any) {
			seen = append(seen, c.(map[string]any)["id"].(string))
		}
		next, _ := page["next"].(string)
		if next == "" {
			break
		}
		after = next
	}
	slices.Sort(ids) // listed in ID order
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("paged %v, want %v", seen, ids)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "limit=-1", "email=" + strings.Repeat("a", 300), "after=" + fmt.Sprintf("%0100d", 1)} {
		e.admin("GET", "/admin/customers?"+q).expect(400, TypeInvalidData)
	}
	// SQL in a query parameter is just an e-mail nobody has.
	e.admin("GET", "/admin/customers?email=%27%20OR%201%3D1%20--").expect(200, "")
}

func TestAdminUnknownCustomer(t *testing.T) {
	e := newEnv(t)
	for _, rt := range adminRoutes[2:] {
		e.admin(rt.method, rt.path).expect(404, TypeNotFound)
	}
	e.admin("POST", "/admin/customers/%27%3B%20DROP%20TABLE%20customers%3B--/disable").expect(404, TypeNotFound)
}

func TestAdminDisablePoolDown(t *testing.T) {
	e := newEnv(t)
	id := e.register("pd@example.com", goodPassword)
	tok := e.token("pd@example.com", goodPassword)
	e.pool.failWith(mSetEnabled, unavailable())
	e.do5xx("POST", "/admin/customers/"+id+"/disable", nil, bearer(testAdminToken)).expect(503, TypeUnavailable)
	// Nothing half-done: the row is not disabled, the session lives.
	c, _ := e.store.GetCustomer(context.Background(), id)
	if c.Disabled {
		t.Fatal("row disabled although the pool user is not")
	}
	e.do("GET", "/store/auth", nil, bearer(tok)).expect(200, "")
	e.pool.heal()
	e.admin("POST", "/admin/customers/"+id+"/disable").expect(200, "")
	// Disabling twice and enabling twice are fine.
	e.admin("POST", "/admin/customers/"+id+"/disable").expect(200, "")
	e.admin("POST", "/admin/customers/"+id+"/enable").expect(200, "")
	e.admin("POST", "/admin/customers/"+id+"/enable").expect(200, "")
	e.token("pd@example.com", goodPassword)
}

func TestAdminDeletePoolDown(t *testing.T) {
	e := newEnv(t)
	id := e.register("dpd@example.com", goodPassword)
	e.pool.failWith(mDeleteUser, unavailable())
	e.do5xx("DELETE", "/admin/customers/"+id, nil, bearer(testAdminToken)).expect(503, TypeUnavailable)
	// The row is marked deleting: it holds the address and cannot sign in.
	c, _ := e.store.GetCustomer(context.Background(), id)
	if c.State != store.StateDeleting {
		t.Fatalf("state %s", c.State)
	}
	e.do("POST", "/store/auth", map[string]any{"email": "dpd@example.com", "password": goodPassword}).expect(401, TypeUnauthorized)
	e.do("POST", "/store/customers", map[string]any{"email": "dpd@example.com", "password": goodPassword}).expect(409, TypeDuplicate)
	e.pool.heal()
	e.clock.Advance(e.svc.sagaLease() + time.Second)
	if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
		t.Fatalf("Reconcile %d, %v", n, err)
	}
	e.consistent(true)
	e.register("dpd@example.com", goodPassword)
}
