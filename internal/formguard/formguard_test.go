package formguard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCSRFRoundTrip(t *testing.T) {
	rec := httptest.NewRecorder()
	token := CSRFToken(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.Cookie{Name: "c", Path: "/p/"})
	set := rec.Result().Cookies()
	if len(token) != tokenLength || len(set) != 1 || set[0].Value != token || !set[0].HttpOnly || set[0].Path != "/p/" {
		t.Fatalf("token %q, cookies %+v", token, set)
	}
	again := httptest.NewRequest(http.MethodGet, "/", nil)
	again.AddCookie(set[0])
	rec = httptest.NewRecorder()
	if CSRFToken(rec, again, http.Cookie{Name: "c"}) != token || len(rec.Result().Cookies()) != 0 {
		t.Fatal("a browser with the cookie must keep its token")
	}
	post := func(field string, cookie *http.Cookie) bool {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{Field: {field}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != nil {
			r.AddCookie(cookie)
		}
		if _, _, ok := ParseForm(httptest.NewRecorder(), r, 1024); !ok {
			t.Fatal("parse")
		}
		return CSRFValid(r, "c")
	}
	if !post(token, set[0]) {
		t.Fatal("the echoed token must pass")
	}
	if post(token[:42]+"x", set[0]) || post("", set[0]) || post(token, nil) {
		t.Fatal("a wrong, empty or cookieless token must fail")
	}
}

func TestParseFormLimit(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("a="+strings.Repeat("x", 2000)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, _, ok := ParseForm(httptest.NewRecorder(), r, 1024); ok || status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d ok %v", status, ok)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("a=%zz"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, _, ok := ParseForm(httptest.NewRecorder(), r, 1024); ok || status != http.StatusBadRequest {
		t.Fatalf("status %d ok %v", status, ok)
	}
}

func TestFromThisMachine(t *testing.T) {
	for _, tc := range []struct {
		remote, host, header string
		want                 bool
	}{
		{"127.0.0.1:5000", "127.0.0.1:9229", "", true},
		{"[::1]:5000", "localhost:9229", "", true},
		{"[::1]:5000", "[::1]:9229", "", true},
		{"127.0.0.1:5000", "evil.example:9229", "", false}, // a rebound name
		{"127.0.0.1:5000", "127.0.0.1:9229", "X-Forwarded-For", false},
		{"10.1.2.3:5000", "127.0.0.1:9229", "", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr, r.Host = tc.remote, tc.host
		if tc.header != "" {
			r.Header.Set(tc.header, "1.2.3.4")
		}
		if got := FromThisMachine(r); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}
