package oauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// authServer is a small authorization server for the tests, shaped like `hashless pool`:
// every endpoint lives under the issuer. It signs in "alice" at once on authorize and is
// strict about what a Cognito token endpoint checks: client authentication, redirect_uri,
// PKCE S256 and single-use codes.
type authServer struct {
	t      *testing.T
	srv    *httptest.Server
	key    *rsa.PrivateKey
	issuer string

	clientID     string
	clientSecret string // empty: a public client

	mu          sync.Mutex
	redirectURI string
	codes       map[string]*grant
	refresh     map[string]*grant
	access      map[string]*grant

	// Knobs a test sets to make the server misbehave or vary.
	rotate          bool                  // issue a new refresh token on refresh
	discoveryIssuer string                // issuer named by discovery, if not empty
	authorizeError  string                // answer authorize with this error code
	idNonce         func(string) string   // replaces the nonce put in ID tokens
	badAtHash       bool                  // put a wrong at_hash in ID tokens
	tokenStatus     int                   // answer the token endpoint with this status and an HTML page
	extraClaims     map[string]any        // added to ID tokens
	sawAuthorize    func(q url.Values)    // called with each authorize request's query
	sawToken        func(r *http.Request) // called with each token request, form parsed
	tokenRequests   int
}

type grant struct {
	redirectURI, challenge, nonce string
	used                          bool
}

const poolID = "local_Test123"

func newAuthServer(t *testing.T, secret string) *authServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	as := &authServer{
		t: t, key: key, clientID: "client123", clientSecret: secret,
		codes: map[string]*grant{}, refresh: map[string]*grant{}, access: map[string]*grant{},
	}
	mux := http.NewServeMux()
	p := "/" + poolID
	mux.HandleFunc("GET "+p+"/.well-known/openid-configuration", as.discovery)
	mux.HandleFunc("GET "+p+"/.well-known/jwks.json", as.jwks)
	mux.HandleFunc("GET "+p+"/oauth2/authorize", as.authorize)
	mux.HandleFunc("POST "+p+"/oauth2/token", as.token)
	mux.HandleFunc("GET "+p+"/oauth2/userInfo", as.userInfo)
	mux.HandleFunc("POST "+p+"/oauth2/revoke", as.revoke)
	as.srv = httptest.NewServer(mux)
	t.Cleanup(as.srv.Close)
	as.issuer = as.srv.URL + p
	return as
}

func (as *authServer) setRedirectURI(u string) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.redirectURI = u
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (as *authServer) discovery(w http.ResponseWriter, r *http.Request) {
	iss := as.issuer
	if as.discoveryIssuer != "" {
		iss = as.discoveryIssuer
	}
	writeJSON(w, 200, map[string]any{
		"issuer":                 iss,
		"jwks_uri":               as.issuer + "/.well-known/jwks.json",
		"authorization_endpoint": as.issuer + "/oauth2/authorize",
		"token_endpoint":         as.issuer + "/oauth2/token",
		"userinfo_endpoint":      as.issuer + "/oauth2/userInfo",
		"revocation_endpoint":    as.issuer + "/oauth2/revoke",
		"end_session_endpoint":   as.issuer + "/logout",
	})
}

func (as *authServer) jwks(w http.ResponseWriter, r *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &as.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	writeJSON(w, 200, set)
}

func (as *authServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if as.sawAuthorize != nil {
		as.sawAuthorize(q)
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	// Like Cognito: a bad client or redirect URI is shown, not redirected to.
	if q.Get("client_id") != as.clientID || q.Get("redirect_uri") != as.redirectURI {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(as.redirectURI)
	v := url.Values{"state": {q.Get("state")}}
	switch {
	case as.authorizeError != "":
		v.Set("error", as.authorizeError)
		v.Set("error_description", "the user said no")
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" ||
		!strings.Contains(" "+q.Get("scope")+" ", " openid "):
		v.Set("error", "invalid_request")
	default:
		code := rand.Text()
		as.codes[code] = &grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// clientOK checks client authentication as Cognito does: HTTP Basic for a client with a
// secret, client_id in the body for a public one.
func (as *authServer) clientOK(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if as.clientSecret != "" {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return basic && id == as.clientID && secret == as.clientSecret && r.PostForm.Get("client_secret") == ""
	}
	return !basic && r.PostForm.Get("client_id") == as.clientID && r.PostForm.Get("client_secret") == ""
}

func (as *authServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "bad form")
		return
	}
	if as.sawToken != nil {
		as.sawToken(r)
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	as.tokenRequests++
	if as.tokenStatus != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(as.tokenStatus)
		w.Write([]byte("<html><body>Internal error</body></html>"))
		return
	}
	if !as.clientOK(r) {
		oauthError(w, 401, "invalid_client", "bad client credentials")
		return
	}
	var g *grant
	newRefresh := false
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g = as.codes[r.PostForm.Get("code")]
		if g == nil || g.used {
			oauthError(w, 400, "invalid_grant", "unknown or used code")
			return
		}
		g.used = true
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("redirect_uri") != g.redirectURI ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, 400, "invalid_grant", "redirect_uri or code_verifier mismatch")
			return
		}
		newRefresh = true
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		g = as.refresh[old]
		if g == nil {
			oauthError(w, 400, "invalid_grant", "Invalid Refresh Token")
			return
		}
		g = &grant{} // no nonce in refreshed ID tokens
		if as.rotate {
			delete(as.refresh, old)
			newRefresh = true
		}
	default:
		oauthError(w, 400, "unsupported_grant_type", "")
		return
	}
	now := time.Now()
	accessToken := as.sign(map[string]any{
		"iss": as.issuer, "sub": "sub-alice", "token_use": "access", "client_id": as.clientID,
		"username": "alice", "scope": "openid email", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": rand.Text(),
	})
	as.access[accessToken] = g
	sum := sha256.Sum256([]byte(accessToken))
	atHash := base64.RawURLEncoding.EncodeToString(sum[:16])
	if as.badAtHash {
		atHash = base64.RawURLEncoding.EncodeToString(sum[16:])
	}
	id := map[string]any{
		"iss": as.issuer, "sub": "sub-alice", "token_use": "id", "aud": as.clientID,
		"cognito:username": "alice", "email": "alice@example.com", "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix(), "at_hash": atHash,
	}
	nonce := g.nonce
	if as.idNonce != nil {
		nonce = as.idNonce(nonce)
	}
	if nonce != "" {
		id["nonce"] = nonce
	}
	for k, v := range as.extraClaims {
		id[k] = v
	}
	res := map[string]any{
		"access_token": accessToken, "id_token": as.sign(id), "token_type": "Bearer", "expires_in": 3600,
	}
	if newRefresh {
		rt := "rt-" + rand.Text()
		as.refresh[rt] = g
		res["refresh_token"] = rt
	}
	writeJSON(w, 200, res)
}

func (as *authServer) sign(claims map[string]any) string {
	as.t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: as.key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		as.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		as.t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		as.t.Fatal(err)
	}
	return s
}

func (as *authServer) userInfo(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	as.mu.Lock()
	_, ok := as.access[token]
	as.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Access token is \"expired\""`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, 200, map[string]any{"sub": "sub-alice", "username": "alice", "email": "alice@example.com", "email_verified": "true"})
}

func (as *authServer) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, 400, "invalid_request", "bad form")
		return
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	if !as.clientOK(r) {
		oauthError(w, 401, "invalid_client", "bad client credentials")
		return
	}
	delete(as.refresh, r.PostForm.Get("token"))
	w.WriteHeader(http.StatusOK)
}
