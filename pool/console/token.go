package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/hashless/hashless/pool"
)

// maxTokenBytes is the longest token the decoder reads, as the pool itself.
const maxTokenBytes = 16 << 10

type keysView struct {
	JWKS       string
	Discovery  string
	JWKSURL    string
	Discovered string
	Issuer     string
	Report     *tokenReport
}

// check is one verdict of the token decoder.
type check struct {
	Name   string
	OK     bool
	Detail string
}

type tokenReport struct {
	Valid  bool
	Checks []check
	Header []setting
	Claims []setting
}

func (h *Handler) keysView(r *http.Request, poolID string) (keysView, error) {
	ctx := r.Context()
	jwks, err := h.svc.JWKS(ctx, poolID)
	if err != nil {
		return keysView{}, err
	}
	disc, err := h.svc.Discovery(ctx, poolID)
	if err != nil {
		return keysView{}, err
	}
	var d struct {
		Issuer string `json:"issuer"`
	}
	_ = json.Unmarshal(disc, &d)
	base := "/" + url.PathEscape(poolID) + "/.well-known/"
	return keysView{JWKS: indent(jwks), Discovery: indent(disc), Issuer: d.Issuer,
		JWKSURL: base + "jwks.json", Discovered: base + "openid-configuration"}, nil
}

func indent(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	v, err := h.keysView(r, poolID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "keys", page{Title: "Keys and tokens", Section: "pools", Pool: poolID, Data: v})
}

// tokenSubmit verifies a pasted token against the pool and shows what it says. The token
// itself is never written back into the page.
func (h *Handler) tokenSubmit(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	v, err := h.keysView(r, poolID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := page{Title: "Keys and tokens", Section: "pools", Pool: poolID}
	token := strings.TrimSpace(r.PostFormValue("token"))
	token = strings.TrimPrefix(token, "Bearer ")
	switch {
	case token == "":
		p.Status, p.Error = http.StatusBadRequest, "Paste a token to verify."
	case len(token) > maxTokenBytes:
		p.Status, p.Error = http.StatusBadRequest, "That is longer than any token the pool issues."
	case strings.Count(token, ".") != 2:
		p.Status, p.Error = http.StatusBadRequest, "That is not a JSON Web Token (three parts separated by dots). Refresh tokens are opaque and cannot be decoded."
	default:
		v.Report = h.inspect(r, poolID, v.Issuer, token)
		if v.Report == nil {
			p.Status, p.Error = http.StatusBadRequest, "That is not a JSON Web Token: its parts could not be decoded."
		}
	}
	p.Data = v
	h.render(w, r, "keys", p)
}

// inspect checks a token as a verifier would (signature by a published key of the pool,
// issuer, use, expiry, client) and, for access tokens, asks the pool whether it still
// accepts it (revocation, sign-out, a disabled user). It returns nil when the token is not
// a decodable JWT.
func (h *Handler) inspect(r *http.Request, poolID, issuer, token string) *tokenReport {
	parts := strings.Split(token, ".")
	header, err1 := decodeSegment(parts[0])
	claims, err2 := decodeSegment(parts[1])
	if err1 != nil || err2 != nil {
		return nil
	}
	rep := &tokenReport{Header: settingsOf(header), Claims: settingsOf(claims)}
	add := func(name string, ok bool, format string, args ...any) {
		rep.Checks = append(rep.Checks, check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	ctx := r.Context()

	signed := false
	jwks, err := h.svc.JWKS(ctx, poolID)
	var set jose.JSONWebKeySet
	if err == nil {
		err = json.Unmarshal(jwks, &set)
	}
	jws, perr := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	switch {
	case err != nil:
		add("Signature", false, "The pool's keys could not be read.")
	case perr != nil || len(jws.Signatures) != 1:
		add("Signature", false, "The token is not signed with RS256, as the pool's tokens are.")
	default:
		kid := jws.Signatures[0].Header.KeyID
		keys := set.Key(kid)
		if len(keys) == 0 {
			add("Signature", false, "Key %q is not one of this pool's published keys.", kid)
			break
		}
		if _, err := jws.Verify(keys[0].Key); err != nil {
			add("Signature", false, "The signature does not match key %q.", kid)
			break
		}
		signed = true
		add("Signature", true, "Signed by the pool's key %q.", kid)
	}

	iss, _ := claims["iss"].(string)
	add("Issuer", iss == issuer, "%s", describeMatch(iss, issuer, "the pool's issuer"))

	use, _ := claims["token_use"].(string)
	switch use {
	case "access", "id":
		add("Token use", true, "An %s token.", map[string]string{"access": "access", "id": "ID"}[use])
	default:
		add("Token use", false, "token_use is %q, not \"access\" or \"id\".", use)
	}

	now := h.now()
	if exp, ok := claims["exp"].(float64); ok {
		t := time.Unix(int64(exp), 0)
		if now.Before(t) {
			add("Expiry", true, "Expires %s (in %s).", when(t), t.Sub(now).Round(time.Second))
		} else {
			add("Expiry", false, "Expired %s (%s ago).", when(t), now.Sub(t).Round(time.Second))
		}
	} else {
		add("Expiry", false, "The token has no exp claim.")
	}

	clientID, _ := claims["client_id"].(string)
	if use == "id" {
		clientID, _ = claims["aud"].(string)
	}
	if clientID == "" {
		add("Client", false, "The token names no client.")
	} else if c, err := h.svc.DescribeUserPoolClient(ctx, h.caller, &pool.ClientIDInput{UserPoolId: poolID, ClientId: clientID}); err != nil {
		add("Client", false, "Client %s is not a client of this pool.", clientID)
	} else {
		add("Client", true, "App client %q (%s).", c.UserPoolClient.ClientName, clientID)
	}

	if use == "access" && signed && iss == issuer {
		if _, err := h.svc.GetUser(ctx, h.caller, &pool.AccessTokenInput{AccessToken: token}); err != nil {
			_, msg := h.failure(r, err)
			add("Accepted by the pool", false, "%s", msg)
		} else {
			add("Accepted by the pool", true, "The pool answers GetUser with it: it is not revoked, the user is enabled and not signed out.")
		}
	}
	rep.Valid = !slices.ContainsFunc(rep.Checks, func(c check) bool { return !c.OK })
	return rep
}

func describeMatch(got, want, what string) string {
	if got == want {
		return "Matches " + what + " (" + want + ")."
	}
	if got == "" {
		return "The token names no issuer; " + what + " is " + want + "."
	}
	return fmt.Sprintf("%q is not %s (%s).", got, what, want)
}

func decodeSegment(s string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	// Numbers as float64 for the checks; UseNumber keeps them exact for display below.
	return normalize(m), nil
}

// normalize turns json.Number values into float64 (exact for the seconds the pool writes).
func normalize(m map[string]any) map[string]any {
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				m[k] = f
			}
		}
	}
	return m
}

// timeClaims are the claims that hold seconds since the epoch.
var timeClaims = map[string]bool{"exp": true, "iat": true, "auth_time": true, "nbf": true}

// settingsOf lists claims in name order, times also shown as dates.
func settingsOf(m map[string]any) []setting {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]setting, 0, len(names))
	for _, k := range names {
		var s string
		switch v := m[k].(type) {
		case string:
			s = v
		case float64:
			s = fmt.Sprintf("%.0f", v)
			if v != float64(int64(v)) {
				s = fmt.Sprint(v)
			}
			if timeClaims[k] {
				s += " (" + when(time.Unix(int64(v), 0)) + ")"
			}
		default:
			b, _ := json.Marshal(v)
			s = string(b)
		}
		out = append(out, setting{Name: k, Value: s})
	}
	return out
}
