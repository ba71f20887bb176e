package servetest

import (
	"net/http"
	"sync"
	"testing"

	"github.com/hashless/hashless/internal/testenv"
)

// TestTwoNodesOnePostgres: two serve processes on one PostgreSQL database (one secret key,
// one embedded pool kept in that database) are one service: a customer registered on one
// signs in on the other, sessions made anywhere are seen everywhere, and ending a session
// (or disabling the customer) on one node takes effect on the very next request at the other.
func TestTwoNodesOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDSN(t)
	// Both start at once: they must agree on one embedded pool, app client and credential.
	var nodes [2]*proc
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i] = launchServe(t, serveOpts{db: dsn}) })
	}
	wg.Wait()
	for i, p := range nodes {
		nodes[i] = awaitListening(t, p)
	}
	a, b := newAPI(t, nodes[0].URL), newAPI(t, nodes[1].URL)
	var infoA, infoB poolInfo
	a.do("GET", "/_local/pool", nil).expect(t, http.StatusOK, &infoA)
	b.do("GET", "/_local/pool", nil).expect(t, http.StatusOK, &infoB)
	if infoA.PoolID != infoB.PoolID || infoA.ClientID != infoB.ClientID {
		t.Fatalf("the nodes use different embedded pools: %+v and %+v", infoA, infoB)
	}

	const email, pw = "two.nodes@example.com", "Two-Nodes-Passw0rd"
	c := a.register(email, pw)
	b.do("POST", "/store/customers", map[string]any{"email": "TWO.NODES@example.com", "password": pw}).expectError(t, http.StatusConflict, "duplicate_error")
	onB := b.login(email, pw)
	if a.whoami(onB) != c.ID {
		t.Fatal("a session made on B does not sign in on A")
	}
	var list struct{ Sessions []session }
	onA := a.login(email, pw)
	b.do("GET", "/store/auth/sessions", nil, bearer(onA)...).expect(t, http.StatusOK, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("B lists %d sessions, want the ones made on A and B", len(list.Sessions))
	}
	a.do("GET", "/store/auth/sessions", nil, bearer(onB)...).expect(t, http.StatusOK, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("A lists %d sessions, want the ones made on A and B", len(list.Sessions))
	}

	// Ending B's session on A: the very next request on B with it is refused.
	if b.whoami(onB) != c.ID {
		t.Fatal("B does not know its own session")
	}
	a.do("DELETE", "/store/auth", nil, bearer(onB)...).expect(t, http.StatusOK)
	if b.whoami(onB) != "" {
		t.Fatal("a session ended on A still signs in on B")
	}
	b.do("GET", "/store/auth/verify", nil, bearer(onB)...).expectError(t, http.StatusUnauthorized, "unauthorized")

	// Disabling on B ends the sessions checked on A.
	onA2 := b.login(email, pw)
	if a.whoami(onA) != c.ID || a.whoami(onA2) != c.ID {
		t.Fatal("sessions do not sign in on A")
	}
	b.admin("POST", "/admin/customers/"+c.ID+"/disable", nil).expect(t, http.StatusOK)
	if a.whoami(onA) != "" || a.whoami(onA2) != "" {
		t.Fatal("a session of a customer disabled on B still signs in on A")
	}
	a.loginRefused(email, pw)
	a.admin("POST", "/admin/customers/"+c.ID+"/enable", nil).expect(t, http.StatusOK)
	b.login(email, pw)

	// A password reset asked for on A is completed on B with the code from the shared outbox.
	mark := lastMessageID(t, nodes[1].URL)
	a.do("POST", "/store/customers/password-token", map[string]any{"email": email}).expect(t, http.StatusNoContent)
	m := latestCode(t, nodes[1].URL, infoB.PoolID, "FORGOT_PASSWORD", c.ID, mark)
	b.do("POST", "/store/customers/password-reset", map[string]any{"email": email, "code": m.Code, "password": "Two-Nodes-Passw0rd-2"}).expect(t, http.StatusOK)
	a.login(email, "Two-Nodes-Passw0rd-2")
}
