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
