package storeauth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// validMethod reports whether m is an HTTP token a server would pass on to a handler.
func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// FuzzAPIRequest sends arbitrary requests to the API: whatever comes in, the answer is a
// success, a redirect of an unclean path, or an error in the API's JSON shape, and never a
// 5xx (the pool and the database are healthy here).
//
// auth picks the credentials: 0 none, 1 a live bearer session, 2 a live session cookie,
// 3 the admin token.
func FuzzAPIRequest(f *testing.F) {
	seeds := []struct {
		method, path, ct, body string
		auth                   uint8
	}{
		{"POST", "/store/customers", "application/json", `{"email":"fuzz@example.com","password":"Correct-Horse-9","first_name":"F","metadata":{"a":1}}`, 0},
		{"POST", "/store/auth", "application/json", `{"email":"seed@example.com","password":"Correct-Horse-9"}`, 0},
		{"POST", "/store/auth/token", "application/json; charset=utf-8", `{"email":"SEED@example.com","password":"wrong"}`, 0},
		{"GET", "/store/auth", "", ``, 1},
		{"GET", "/store/auth/sessions", "", ``, 2},
		{"DELETE", "/store/auth/sessions", "", ``, 1},
		{"DELETE", "/store/auth/sessions/sess_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", ``, 1},
		{"POST", "/store/customers/me", "application/json", `{"metadata":{"a":null,"b":[1,{"c":"d"}]},"phone":"+1"}`, 2},
		{"POST", "/store/customers/me", "application/json", `{"email":"new@example.com","password":"Correct-Horse-9"}`, 1},
		{"POST", "/store/customers/me/password", "application/json", `{"old_password":"x","new_password":"Correct-Horse-10"}`, 1},
		{"POST", "/store/customers/password-token", "application/json", `{"email":"seed@example.com"}`, 0},
		{"POST", "/store/customers/password-reset", "application/json", `{"email":"seed@example.com","code":"123","password":"Correct-Horse-9"}`, 0},
		{"GET", "/store/auth/verify", "", ``, 1},
		{"GET", "/admin/customers?email=seed@example.com&limit=5", "", ``, 3},
		{"POST", "/admin/customers/cus_x/disable", "", ``, 3},
		{"GET", "/readyz", "", ``, 0},
		{"PUT", "/healthz", "text/plain", `x`, 0},
		{"OPTIONS", "/store/auth", "", ``, 0},
		{"POST", "/store/auth", "text/plain", `{}`, 0},
		{"POST", "/store/auth", "application/json", `{"email":1}`, 0},
		{"POST", "/store/../store/auth", "application/json", `{}`, 0},
		{"GET", "/nothing/here", "", ``, 0},
		{"POST", "/store/customers", "application/json", "{\"email\":\"\xff@example.com\",\"password\":\"\x00\x00\x00\x00\x00\x00\x00\x00\"}", 0},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ct, []byte(s.body), s.auth)
	}

	e := newEnv(f)
	id := e.register("seed@example.com", goodPassword)

	f.Fuzz(func(t *testing.T, method, path, ct string, body []byte, auth uint8) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || len(path) > 4096 {
			t.Skip()
		}
		var rawReq bytes.Buffer
		fmt.Fprintf(&rawReq, "%s %s HTTP/1.1\r\nHost: example.com\r\n", method, path)
		if ct != "" {
			fmt.Fprintf(&rawReq, "Content-Type: %s\r\n", ct)
		}
		switch auth % 4 {
		case 1, 2:
			_, tok, err := e.svc.openSession(context.Background(), id, Client{}, KindBearer)
			if err != nil {
				t.Fatal(err)
			}
			if auth%4 == 1 {
				fmt.Fprintf(&rawReq, "Authorization: Bearer %s\r\n", tok)
			} else {
				fmt.Fprintf(&rawReq, "Cookie: %s=%s\r\n", CookieName, tok)
			}
		case 3:
			fmt.Fprintf(&rawReq, "Authorization: Bearer %s\r\n", testAdminToken)
		}
		fmt.Fprintf(&rawReq, "Content-Length: %d\r\n\r\n", len(body))
		rawReq.Write(body)
		req, err := http.ReadRequest(bufio.NewReader(&rawReq))
		if err != nil {
			t.Skip() // the server would refuse it before any handler
		}
		req.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		checkAnswer(t, req, rec)
	})
}

// checkAnswer is the fuzz target's invariant on one answer.
func checkAnswer(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	code, b := rec.Code, rec.Body.Bytes()
	switch {
	case code >= 500:
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, code, b)
	case code >= 400:
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: %d with Content-Type %q: %q", req.Method, req.URL, code, ct, b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d, body not JSON: %q", req.Method, req.URL, code, b)
		}
		typ, _ := m["type"].(string)
		msg, _ := m["message"].(string)
		if len(m) != 2 || typ == "" || msg == "" {
			t.Fatalf("%s %s: %d, not an error body: %s", req.Method, req.URL, code, b)
		}
		if want := statusOf(typ); want != code && !(code == 405 && typ == TypeNotAllowed) {
			t.Fatalf("%s %s: %d with type %q", req.Method, req.URL, code, typ)
		}
	case code >= 300:
		if rec.Header().Get("Location") == "" {
			t.Fatalf("%s %s: %d without Location", req.Method, req.URL, code)
		}
	case code == 204:
		if len(b) != 0 {
			t.Fatalf("%s %s: 204 with a body %q", req.Method, req.URL, b)
		}
	case code >= 200:
		if !json.Valid(b) {
			t.Fatalf("%s %s: %d, body not JSON: %q", req.Method, req.URL, code, b)
		}
	default:
		t.Fatalf("%s %s: status %d", req.Method, req.URL, code)
	}
}
