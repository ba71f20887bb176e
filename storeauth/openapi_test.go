package storeauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store/memory"
)

// The OpenAPI document (openapi.json) is checked three ways: it is well-formed, it names
// exactly the routes the handler serves, and every documented operation, called over real
// HTTP, answers with a status the document lists and a body that matches its schema.

const (
	openapiAdminToken = "openapi-admin-token"
	// openapiPassword and openapiCode are the values the document's examples use.
	openapiPassword = "Correct-Horse-9"
	openapiCode     = "123456"
)

var openapiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openapiDoc is the parsed document, kept as generic JSON so $refs can be followed anywhere.
type openapiDoc struct {
	root map[string]any
}

func loadOpenAPI(t *testing.T) openapiDoc {
	t.Helper()
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(storeauth.OpenAPI))
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has data after its object")
	}
	return openapiDoc{root: root}
}

// resolve follows a {"$ref": "#/..."} (and chains of them) to what it points at.
func (d openapiDoc) resolve(v any) (any, error) {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		r, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		if !strings.HasPrefix(r, "#/") {
			return nil, fmt.Errorf("$ref %q is not local", r)
		}
		var cur any = d.root
		for _, part := range strings.Split(r[2:], "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("$ref %q: %q is not inside an object", r, part)
			}
			if cur, ok = obj[part]; !ok {
				return nil, fmt.Errorf("$ref %q does not resolve", r)
			}
		}
		v = cur
	}
	return nil, fmt.Errorf("$ref chain too long")
}

func (d openapiDoc) obj(v any) map[string]any {
	r, err := d.resolve(v)
	if err != nil {
		return nil
	}
	m, _ := r.(map[string]any)
	return m
}

type openapiOp struct {
	method, path string
	op           map[string]any
}

func (d openapiDoc) operations() []openapiOp {
	var out []openapiOp
	paths := d.obj(d.root["paths"])
	for path, item := range paths {
		pi := d.obj(item)
		for _, m := range openapiMethods {
			if op, ok := pi[m].(map[string]any); ok {
				out = append(out, openapiOp{method: strings.ToUpper(m), path: path, op: op})
			}
		}
	}
	slices.SortFunc(out, func(a, b openapiOp) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return out
}

func (o openapiOp) name() string { return o.method + " " + o.path }

// security returns the names of the schemes an operation accepts ("" for none).
func (o openapiOp) security() []string {
	var out []string
	list, _ := o.op["security"].([]any)
	for _, req := range list {
		m, _ := req.(map[string]any)
		if len(m) == 0 {
			out = append(out, "")
		}
		for k := range m {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// validate checks v against a JSON Schema, for the keywords the document uses.
func (d openapiDoc) validate(schema, v any, at string) error {
	s, err := d.resolve(schema)
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	if b, ok := s.(bool); ok {
		if !b {
			return fmt.Errorf("%s: no value is allowed", at)
		}
		return nil
	}
	sm, ok := s.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema is a %T", at, s)
	}
	if _, ok := sm["$ref"]; ok {
		return d.validate(sm["$ref"], v, at)
	}
	for i, sub := range openapiList(sm["allOf"]) {
		if err := d.validate(sub, v, at); err != nil {
			return fmt.Errorf("allOf[%d]: %w", i, err)
		}
	}
	if alts := openapiList(sm["anyOf"]); len(alts) > 0 {
		var errs []string
		for _, sub := range alts {
			err := d.validate(sub, v, at)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err.Error())
		}
		if errs != nil {
			return fmt.Errorf("%s: matches no anyOf: %s", at, strings.Join(errs, "; "))
		}
	}
	if c, ok := sm["const"]; ok && !reflect.DeepEqual(c, v) {
		return fmt.Errorf("%s: %v is not %v", at, v, c)
	}
	if enum, ok := sm["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, enum)
	}
	if typ, ok := sm["type"]; ok {
		types := openapiList(typ)
		if s, ok := typ.(string); ok {
			types = []any{s}
		}
		if !slices.ContainsFunc(types, func(t any) bool { return openapiIsType(v, t.(string)) }) {
			return fmt.Errorf("%s: %s is not of type %v", at, openapiShort(v), typ)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, r := range openapiList(sm["required"]) {
			if _, ok := v[r.(string)]; !ok {
				return fmt.Errorf("%s: %q is required", at, r)
			}
		}
		if maxP, ok := sm["maxProperties"].(float64); ok && float64(len(v)) > maxP {
			return fmt.Errorf("%s: more than %v properties", at, maxP)
		}
		props, _ := sm["properties"].(map[string]any)
		for k, val := range v {
			if ps, ok := props[k]; ok {
				if err := d.validate(ps, val, at+"."+k); err != nil {
					return err
				}
				continue
			}
			if ap, ok := sm["additionalProperties"]; ok {
				if err := d.validate(ap, val, at+"."+k); err != nil {
					return fmt.Errorf("%s: property %q is not documented (%w)", at, k, err)
				}
			}
		}
	case []any:
		if items, ok := sm["items"]; ok {
			for i, it := range v {
				if err := d.validate(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	case string:
		n := float64(utf8.RuneCountInString(v))
		if minL, ok := sm["minLength"].(float64); ok && n < minL {
			return fmt.Errorf("%s: %q is shorter than %v", at, v, minL)
		}
		if maxL, ok := sm["maxLength"].(float64); ok && n > maxL {
			return fmt.Errorf("%s: %q is longer than %v", at, v, maxL)
		}
		if p, ok := sm["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				return fmt.Errorf("%s: pattern %q: %w", at, p, err)
			}
			if !re.MatchString(v) {
				return fmt.Errorf("%s: %q does not match %s", at, v, p)
			}
		}
		switch sm["format"] {
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, v)
			}
		case "email":
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
				return fmt.Errorf("%s: %q is not an e-mail address", at, v)
			}
		}
	case float64:
		if minV, ok := sm["minimum"].(float64); ok && v < minV {
			return fmt.Errorf("%s: %v is below %v", at, v, minV)
		}
		if maxV, ok := sm["maximum"].(float64); ok && v > maxV {
			return fmt.Errorf("%s: %v is above %v", at, v, maxV)
		}
	}
	return nil
}

func openapiList(v any) []any {
	l, _ := v.([]any)
	return l
}

func openapiIsType(v any, typ string) bool {
	switch typ {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func openapiShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		b = append(b[:120], "…"...)
	}
	return string(b)
}

// walkRefs calls fn with every $ref in v.
func openapiWalkRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				fn(s)
			} else {
				openapiWalkRefs(x, fn)
			}
		}
	case []any:
		for _, x := range v {
			openapiWalkRefs(x, fn)
		}
	}
}

var openapiPathParam = regexp.MustCompile(`\{([^}]*)\}`)

// routeKey turns a ServeMux pattern's wildcards ({id}, {rest...}) into OpenAPI's ({id}).
func openapiRouteKey(method, pattern string) string {
	pattern = strings.TrimSuffix(pattern, "{$}")
	pattern = openapiPathParam.ReplaceAllStringFunc(pattern, func(m string) string {
		return "{" + strings.TrimSuffix(m[1:len(m)-1], "...") + "}"
	})
	return method + " " + pattern
}

func TestOpenAPIDocument(t *testing.T) {
	d := loadOpenAPI(t)
	if v := d.root["openapi"]; v != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", v)
	}
	info := d.obj(d.root["info"])
	if info["title"] == nil || info["version"] == nil {
		t.Fatal("info needs title and version")
	}
	openapiWalkRefs(d.root, func(r string) {
		if _, err := d.resolve(map[string]any{"$ref": r}); err != nil {
			t.Error(err)
		}
	})
	schemes := d.obj(d.obj(d.root["components"])["securitySchemes"])
	for _, name := range []string{"sessionCookie", "bearerSession", "adminToken"} {
		if schemes[name] == nil {
			t.Errorf("security scheme %s is missing", name)
		}
	}
	if c := d.obj(schemes["sessionCookie"]); c["in"] != "cookie" || c["name"] != storeauth.CookieName {
		t.Errorf("sessionCookie scheme: %v", c)
	}

	ids := map[string]string{}
	for _, o := range d.operations() {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", o.name())
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %s is used by %s and %s", id, prev, o.name())
		}
		ids[id] = o.name()
		for _, name := range o.security() {
			if name != "" && schemes[name] == nil {
				t.Errorf("%s: unknown security scheme %q", o.name(), name)
			}
		}
		// Every path placeholder is a declared path parameter.
		declared := map[string]bool{}
		for _, p := range openapiList(o.op["parameters"]) {
			pm := d.obj(p)
			if pm["in"] == "path" {
				if pm["required"] != true {
					t.Errorf("%s: path parameter %v must be required", o.name(), pm["name"])
				}
				declared[pm["name"].(string)] = true
			}
		}
		for _, m := range openapiPathParam.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", o.name(), m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: declares path parameter %s that the path lacks", o.name(), name)
		}
		// Every response has a description; every example matches its schema.
		responses := d.obj(o.op["responses"])
		if len(responses) == 0 {
			t.Errorf("%s has no responses", o.name())
		}
		for code, r := range responses {
			rm := d.obj(r)
			if _, ok := rm["description"].(string); !ok {
				t.Errorf("%s %s: no description", o.name(), code)
			}
			for _, media := range d.obj(rm["content"]) {
				mm := d.obj(media)
				if ex, ok := mm["example"]; ok {
					if err := d.validate(mm["schema"], ex, "example"); err != nil {
						t.Errorf("%s %s: %v", o.name(), code, err)
					}
				}
			}
		}
		if rb := d.obj(o.op["requestBody"]); rb != nil {
			media := d.obj(d.obj(rb["content"])["application/json"])
			if media == nil {
				// A body that is not JSON (the customer import) has an example per media type.
				content := d.obj(rb["content"])
				if len(content) == 0 {
					t.Errorf("%s: the request body has no media type", o.name())
				}
				for mt, m := range content {
					mm := d.obj(m)
					if ex, ok := mm["example"].(string); !ok || ex == "" || d.obj(mm["schema"]) == nil {
						t.Errorf("%s: request media %s needs a schema and a string example", o.name(), mt)
					}
				}
				continue
			}
			schema := d.obj(media["schema"])
			if schema["additionalProperties"] != false {
				t.Errorf("%s: the handler refuses unknown fields; the request schema must say additionalProperties: false", o.name())
			}
			exs := openapiList(schema["examples"])
			if len(exs) == 0 {
				t.Errorf("%s: the request schema has no example", o.name())
			}
			for _, ex := range exs {
				if err := d.validate(schema, ex, "request example"); err != nil {
					t.Errorf("%s: %v", o.name(), err)
				}
			}
		}
	}

	// The error responses are the Medusa types, one status each.
	wantErrors := map[string]string{
		"400": "invalid_data", "401": "unauthorized", "403": "not_allowed", "404": "not_found",
		"409": "duplicate_error", "413": "payload_too_large", "415": "unsupported_media_type",
		"429": "too_many_requests", "503": "unavailable",
	}
	responses := d.obj(d.obj(d.root["components"])["responses"])
	seen := map[string]bool{}
	for name, r := range responses {
		media := d.obj(d.obj(d.obj(r)["content"])["application/json"])
		ex, _ := media["example"].(map[string]any)
		typ, _ := ex["type"].(string)
		seen[typ] = true
		for code, want := range wantErrors {
			if want == typ {
				if err := d.validate(media["schema"], map[string]any{"type": typ, "message": "m"}, name); err != nil {
					t.Errorf("response %s (%s): %v", name, code, err)
				}
			}
		}
		if typ == "too_many_requests" && d.obj(d.obj(d.obj(r)["headers"])["Retry-After"]) == nil {
			t.Errorf("response %s does not document Retry-After", name)
		}
	}
	for _, typ := range wantErrors {
		if !seen[typ] {
			t.Errorf("no error response of type %s", typ)
		}
	}
}

func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPI(t)
	routes := map[string]storeauth.Route{}
	for _, r := range storeauth.Routes() {
		methods := []string{r.Method}
		if r.Method == "" {
			// Any method: documented as the ones proxies use.
			methods = []string{"GET", "POST", "HEAD"}
		}
		for _, m := range methods {
			routes[openapiRouteKey(m, r.Pattern)] = r
		}
	}
	documented := map[string]openapiOp{}
	for _, o := range d.operations() {
		documented[o.name()] = o
	}
	for key, r := range routes {
		o, ok := documented[key]
		if !ok {
			t.Errorf("route %s is not documented in openapi.json", key)
			continue
		}
		sec := o.security()
		switch {
		case r.Admin && !slices.Equal(sec, []string{"adminToken"}):
			t.Errorf("%s is an admin route but its security is %v", key, sec)
		case !r.Admin && slices.Contains(sec, "adminToken"):
			t.Errorf("%s is not an admin route but its security is %v", key, sec)
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json documents %s, which is not a route", key)
		}
	}
}

// openapiFakePool is a pool in memory: usernames and passwords, and one code that the
// document's examples use.
type openapiFakePool struct {
	mu    sync.Mutex
	users map[string]string
}

var _ storeauth.Pool = (*openapiFakePool)(nil)

func (p *openapiFakePool) EnsureUser(_ context.Context, username, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; !ok {
		p.users[username] = "unknown to anyone"
	}
	return nil
}

func (p *openapiFakePool) CreateUser(_ context.Context, username, _, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; ok {
		return storeauth.ErrUserExists
	}
	p.users[username] = password
	return nil
}

func (p *openapiFakePool) check(username, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pw, ok := p.users[username]; !ok || pw != password {
		return storeauth.ErrNotAuthorized
	}
	return nil
}

func (p *openapiFakePool) Authenticate(_ context.Context, username, password string) error {
	return p.check(username, password)
}

func (p *openapiFakePool) SetPassword(_ context.Context, username, password string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.users[username]; !ok {
		return storeauth.ErrUserNotFound
	}
	p.users[username] = password
	return nil
}

func (p *openapiFakePool) ForgotPassword(context.Context, string) error { return nil }

func (p *openapiFakePool) ConfirmForgotPassword(ctx context.Context, username, code, password string) error {
	if code != openapiCode {
		return storeauth.ErrBadCode
	}
	if err := p.SetPassword(ctx, username, password); err != nil {
		return storeauth.ErrBadCode
	}
	return nil
}

func (p *openapiFakePool) UpdateEmail(context.Context, string, string) error { return nil }

func (p *openapiFakePool) VerifyEmail(_ context.Context, username, password, code string) error {
	if err := p.check(username, password); err != nil {
		return err
	}
	if code != openapiCode {
		return storeauth.ErrBadCode
	}
	return nil
}

func (p *openapiFakePool) UserConfirmed(_ context.Context, username string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.users[username]
	return ok, nil
}

func (p *openapiFakePool) SetEnabled(context.Context, string, bool) error { return nil }

func (p *openapiFakePool) DeleteUser(_ context.Context, username string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.users, username)
	return nil
}

func (p *openapiFakePool) Check(context.Context) error { return nil }

// openapiFixture is a registered customer signed in with a bearer token.
type openapiFixture struct {
	email, customerID, token, sessionID string
}

type openapiCall struct {
	method, url string
	header      http.Header
	body        []byte
	// contentType of body; empty means application/json.
	contentType string
}

type openapiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func openapiDo(t *testing.T, c openapiCall) openapiAnswer {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, c.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.body != nil {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", c.method, c.url, err)
	}
	return openapiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

func newOpenAPIFixture(t *testing.T, base string, n int) openapiFixture {
	t.Helper()
	f := openapiFixture{email: fmt.Sprintf("fixture%d@example.com", n)}
	reg, _ := json.Marshal(map[string]string{"email": f.email, "password": openapiPassword})
	a := openapiDo(t, openapiCall{method: "POST", url: base + "/store/customers", body: reg})
	var created struct {
		Customer struct{ ID string } `json:"customer"`
	}
	if a.status != http.StatusCreated || json.Unmarshal(a.body, &created) != nil {
		t.Fatalf("registering the fixture: %d %s", a.status, a.body)
	}
	f.customerID = created.Customer.ID
	login, _ := json.Marshal(map[string]string{"email": f.email, "password": openapiPassword})
	a = openapiDo(t, openapiCall{method: "POST", url: base + "/store/auth/token", body: login})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("signing the fixture in: %d %s", a.status, a.body)
	}
	f.token = tok.AccessToken
	a = openapiDo(t, openapiCall{method: "GET", url: base + "/store/auth/sessions",
		header: http.Header{"Authorization": {"Bearer " + f.token}}})
	var list struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &list) != nil {
		t.Fatalf("listing the fixture's sessions: %d %s", a.status, a.body)
	}
	for _, s := range list.Sessions {
		if s.Current {
			f.sessionID = s.ID
		}
	}
	if f.sessionID == "" {
		t.Fatalf("no current session in %s", a.body)
	}
	return f
}

// checkAnswer requires the answer's status to be documented for o, and its headers and
// body to be as documented.
func (d openapiDoc) checkAnswer(t *testing.T, o openapiOp, what string, a openapiAnswer) {
	t.Helper()
	code := strconv.Itoa(a.status)
	responses := d.obj(o.op["responses"])
	r := d.obj(responses[code])
	if r == nil {
		t.Errorf("%s %s: status %d is not documented (documented: %v); body %s", o.name(), what, a.status, openapiKeys(responses), a.body)
		return
	}
	for name, h := range d.obj(r["headers"]) {
		if d.obj(h)["required"] == true && a.header.Get(name) == "" {
			t.Errorf("%s %s: %d without the documented header %s", o.name(), what, a.status, name)
		}
	}
	if media := d.obj(d.obj(r["content"])["application/x-ndjson"]); media != nil {
		// A stream of JSON lines, each matching the schema.
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") {
			t.Errorf("%s %s: %d has Content-Type %q", o.name(), what, a.status, ct)
		}
		lines := strings.Split(strings.TrimSuffix(string(a.body), "\n"), "\n")
		for i, l := range lines {
			var v any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Errorf("%s %s: %d line %d is not JSON: %q", o.name(), what, a.status, i+1, l)
				continue
			}
			if err := d.validate(media["schema"], v, fmt.Sprintf("line %d", i+1)); err != nil {
				t.Errorf("%s %s: %d line %d %s does not match the document: %v", o.name(), what, a.status, i+1, l, err)
			}
		}
		return
	}
	media := d.obj(d.obj(r["content"])["application/json"])
	if media == nil {
		if len(a.body) != 0 {
			t.Errorf("%s %s: %d documents no body but has %q", o.name(), what, a.status, a.body)
		}
		return
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: %d has Content-Type %q", o.name(), what, a.status, ct)
	}
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Errorf("%s %s: %d body is not JSON: %q", o.name(), what, a.status, a.body)
		return
	}
	if err := d.validate(media["schema"], v, "body"); err != nil {
		t.Errorf("%s %s: %d body %s does not match the document: %v", o.name(), what, a.status, a.body, err)
	}
}

func openapiKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIAnswers(t *testing.T) {
	d := loadOpenAPI(t)
	st := memory.New()
	svc, err := storeauth.New(storeauth.Config{Customers: st, Sessions: st, Pool: &openapiFakePool{users: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	withAdmin, err := svc.Handler(storeauth.HandlerConfig{PublicURL: "http://shop.test", AdminToken: openapiAdminToken})
	if err != nil {
		t.Fatal(err)
	}
	noAdmin, err := svc.Handler(storeauth.HandlerConfig{PublicURL: "http://shop.test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(withAdmin)
	defer srv.Close()
	srvNoAdmin := httptest.NewServer(noAdmin)
	defer srvNoAdmin.Close()

	ops := d.operations()
	if len(ops) == 0 {
		t.Fatal("no operations documented")
	}
	for n, o := range ops {
		t.Run(strings.ReplaceAll(o.name(), "/", "_"), func(t *testing.T) {
			sec := o.security()
			admin := slices.Contains(sec, "adminToken")
			// call is the operation as f would make it, with body (nil: none).
			call := func(f openapiFixture, body map[string]any) openapiCall {
				id := "cus_00000000000000000000000000"
				if strings.HasPrefix(o.path, "/admin/") {
					id = f.customerID
				} else if strings.Contains(o.path, "/sessions/") {
					id = f.sessionID
				}
				c := openapiCall{method: o.method, url: srv.URL + strings.ReplaceAll(o.path, "{id}", id), header: http.Header{}}
				switch {
				case admin:
					c.header.Set("Authorization", "Bearer "+openapiAdminToken)
				case slices.Contains(sec, "bearerSession"):
					c.header.Set("Authorization", "Bearer "+f.token)
				}
				if body != nil {
					body = maps.Clone(body)
					if _, ok := body["email"]; ok {
						switch o.op["operationId"] {
						case "register":
							body["email"] = "new-" + f.email
						case "updateMe":
							body["email"] = "changed-" + f.email
						default:
							body["email"] = f.email
						}
					}
					c.body, _ = json.Marshal(body)
				}
				return c
			}
			var example map[string]any
			var requestSchema map[string]any
			// rawExamples are the examples of a body that is not JSON, by media type.
			rawExamples := map[string]string{}
			if rb := d.obj(o.op["requestBody"]); rb != nil {
				content := d.obj(rb["content"])
				if js := d.obj(content["application/json"]); js != nil {
					requestSchema = d.obj(js["schema"])
					example, _ = openapiList(requestSchema["examples"])[0].(map[string]any)
				}
				for mt, m := range content {
					if ex, ok := d.obj(m)["example"].(string); ok && mt != "application/json" {
						rawExamples[mt] = ex
					}
				}
			}

			// Without credentials nor a body: a documented refusal (or an answer, for
			// public routes without a body).
			f := newOpenAPIFixture(t, srv.URL, 2*n)
			anon := call(f, nil)
			anon.header = nil
			d.checkAnswer(t, o, "anonymous", openapiDo(t, anon))
			if admin {
				off := call(f, nil)
				off.url = srvNoAdmin.URL + strings.TrimPrefix(off.url, srv.URL)
				d.checkAnswer(t, o, "with the admin API off", openapiDo(t, off))
			}

			if example != nil {
				// A property the document does not list is refused as the document says.
				extra := maps.Clone(example)
				extra["undocumented_field"] = true
				a := openapiDo(t, call(f, extra))
				if a.status != http.StatusBadRequest || !bytes.Contains(a.body, []byte("unknown field")) {
					t.Errorf("%s with an undocumented property: %d %s, want 400 unknown field", o.name(), a.status, a.body)
				}
				d.checkAnswer(t, o, "with an undocumented property", a)
			}

			// A body that is not JSON: every documented media type's example succeeds, and
			// a JSON body is refused as the document says.
			for _, mt := range slices.Sorted(maps.Keys(rawExamples)) {
				c := call(f, nil)
				c.body, c.contentType = []byte(rawExamples[mt]), mt
				a := openapiDo(t, c)
				if a.status < 200 || a.status > 299 {
					t.Errorf("%s with credentials and the %s example: %d %s", o.name(), mt, a.status, a.body)
				}
				d.checkAnswer(t, o, "with the "+mt+" example", a)
			}
			if len(rawExamples) > 0 {
				c := call(f, nil)
				c.body = []byte(`{}`)
				d.checkAnswer(t, o, "with a JSON body", openapiDo(t, c))
				return
			}

			// With credentials and the documented example body: a documented success.
			a := openapiDo(t, call(f, example))
			if a.status < 200 || a.status > 299 {
				t.Errorf("%s with credentials and the example body: %d %s", o.name(), a.status, a.body)
			}
			d.checkAnswer(t, o, "with credentials", a)

			if example != nil {
				// Every documented property is one the handler knows (a fresh customer,
				// since the call above may have changed the first).
				all := maps.Clone(example)
				props := d.obj(requestSchema["properties"])
				for _, name := range openapiKeys(props) {
					if _, ok := all[name]; !ok {
						all[name] = openapiSample(d.obj(props[name]))
					}
				}
				g := newOpenAPIFixture(t, srv.URL, 2*n+1)
				a := openapiDo(t, call(g, all))
				if bytes.Contains(a.body, []byte("unknown field")) {
					t.Errorf("%s refuses a documented property: %d %s", o.name(), a.status, a.body)
				}
				d.checkAnswer(t, o, "with every documented property", a)
			}
		})
	}
}

// openapiSample is a value of a property's (first) type.
func openapiSample(schema map[string]any) any {
	typ := schema["type"]
	if l := openapiList(typ); len(l) > 0 {
		typ = l[0]
	}
	switch typ {
	case "object":
		return map[string]any{}
	case "boolean":
		return true
	case "integer", "number":
		return 1
	}
	if schema["format"] == "email" {
		return "sample@example.com"
	}
	return openapiCode
}
