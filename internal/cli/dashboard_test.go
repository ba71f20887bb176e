package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashless/hashless/storeauth/dashboard"
)

// Who may use the console follows --dashboard, the address and the admin token.
func TestDashboardAccess(t *testing.T) {
	for _, c := range []struct {
		mode, addr, token string
		want              dashboard.Access
		err               string
	}{
		{"auto", "127.0.0.1:8080", "", dashboard.AccessLoopback, ""},
		{"auto", "[::1]:8080", "", dashboard.AccessLoopback, ""},
		{"auto", "localhost:0", "tok", dashboard.AccessToken, ""},
		{"auto", "0.0.0.0:8080", "", dashboard.AccessOff, ""},
		{"auto", ":8080", "tok", dashboard.AccessOff, ""},
		{"on", "0.0.0.0:8080", "tok", dashboard.AccessToken, ""},
		{"on", "127.0.0.1:8080", "", dashboard.AccessLoopback, ""},
		{"on", "0.0.0.0:8080", "", dashboard.AccessOff, "needs HASHLESS_ADMIN_TOKEN"},
		{"off", "127.0.0.1:8080", "", dashboard.AccessOff, ""},
		{"off", "127.0.0.1:8080", "tok", dashboard.AccessOff, ""},
		{"yes", "127.0.0.1:8080", "", dashboard.AccessOff, "must be auto, on or off"},
	} {
		got, err := dashboardAccess(c.mode, c.addr, c.token)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s %s token=%q: error %v, want %q", c.mode, c.addr, c.token, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s %s token=%q: %v, %v; want %v", c.mode, c.addr, c.token, got, err, c.want)
		}
	}
}

// serve refuses to start with the console on off loopback and no token to sign in with.
func TestServeRefusesOpenDashboardOffLoopback(t *testing.T) {
	t.Setenv("HASHLESS_ADMIN_TOKEN", "")
	var out, errOut bytes.Buffer
	code := serve([]string{"--addr", "0.0.0.0:0", "--db", t.TempDir() + "/x.db", "--dashboard", "on"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "--dashboard=on on a non-loopback address needs HASHLESS_ADMIN_TOKEN") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
