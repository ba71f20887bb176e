package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Defaults of Config.
const (
	DefaultRefreshInterval = 30 * time.Second
	DefaultMaxKeyAge       = time.Hour
	// MaxLeeway bounds Config.Leeway: more would accept tokens long expired.
	MaxLeeway = 5 * time.Minute
	// MaxTokenBytes is the longest token looked at; Cognito's are a few kilobytes.
	MaxTokenBytes = 16 << 10
)

// Config says whose tokens a Verifier accepts.
type Config struct {
	// Issuer is the exact iss claim of the pool's tokens: AWSIssuer(region, poolID) for
	// Cognito, or "<public URL>/<pool ID>" for `hashless pool` (unless it runs with
	// --issuer-style aws). Required; no prefix or pattern matching is done.
	Issuer string
	// ClientIDs are the app clients whose tokens are accepted: the aud of ID tokens, the
	// client_id of access tokens. At least one is required.
	ClientIDs []string
	// JWKSURL is where the keys are; empty means Issuer + "/.well-known/jwks.json".
	JWKSURL string
	// HTTPClient fetches the keys; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
	// Leeway tolerates clock skew on exp, nbf and iat; at most MaxLeeway, default 0.
	Leeway time.Duration
	// RefreshInterval is the least time between two fetches of the key set caused by
	// unknown key IDs; 0 means DefaultRefreshInterval.
	RefreshInterval time.Duration
	// MaxKeyAge is how long fetched keys are used before the set is fetched again in the
	// background; 0 means DefaultMaxKeyAge.
	MaxKeyAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// AWSIssuer is the issuer of a Cognito user pool's tokens.
func AWSIssuer(region, userPoolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// Verifier checks Cognito ID and access tokens offline, against the pool's published keys.
// It is safe for concurrent use; make one per pool and keep it, as it caches the keys.
type Verifier struct {
	issuer  string
	clients map[string]bool
	leeway  time.Duration
	now     func() time.Time
	keys    *keySet
}

// New checks cfg and returns a Verifier. It fetches nothing until the first token.
func New(cfg Config) (*Verifier, error) {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("Issuer is required"))
	} else if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("Issuer %q is not an http(s) URL", cfg.Issuer))
	}
	if len(cfg.ClientIDs) == 0 {
		errs = append(errs, errors.New("at least one ClientID is required"))
	}
	clients := map[string]bool{}
	for _, id := range cfg.ClientIDs {
		if id == "" {
			errs = append(errs, errors.New("ClientIDs has an empty ID"))
		}
		clients[id] = true
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		errs = append(errs, fmt.Errorf("Leeway must be between 0 and %s", MaxLeeway))
	}
	if cfg.RefreshInterval < 0 || cfg.MaxKeyAge < 0 {
		errs = append(errs, errors.New("RefreshInterval and MaxKeyAge must not be negative"))
	}
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		jwksURL = strings.TrimRight(cfg.Issuer, "/") + "/.well-known/jwks.json"
	} else if u, err := url.Parse(jwksURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("JWKSURL %q is not an http(s) URL", jwksURL))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("verify: invalid config: %w", errors.Join(errs...))
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	interval := cfg.RefreshInterval
	if interval == 0 {
		interval = DefaultRefreshInterval
	}
	maxAge := cfg.MaxKeyAge
	if maxAge == 0 {
		maxAge = DefaultMaxKeyAge
	}
	return &Verifier{
		issuer: cfg.Issuer, clients: clients, leeway: cfg.Leeway, now: now,
		keys: &keySet{url: jwksURL, client: client, now: now, interval: interval, maxAge: maxAge},
	}, nil
}

// Token uses, as in Claims.TokenUse.
const (
	UseAccess = "access"
	UseID     = "id"
)

// VerifyAccessToken checks an access token: what an API should accept as a Bearer token.
func (v *Verifier) VerifyAccessToken(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, UseAccess)
}

// VerifyIDToken checks an ID token: proof of who signed in, for the app client it was
// issued to.
func (v *Verifier) VerifyIDToken(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, UseID)
}

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// parse reads a compact JWS with an RS256 header and returns it with its key ID; the
// signature is not checked yet. The header is looked at before go-jose parses the token
// only to tell a wrong algorithm (alg none, HS256 with the public key as secret…) from a
// malformed token; header names are matched exactly, as go-jose matches them.
func parse(token string) (*jose.JSONWebSignature, string, error) {
	if len(token) > MaxTokenBytes {
		return nil, "", malformed("longer than %d bytes", MaxTokenBytes)
	}
	head, rest, ok := strings.Cut(token, ".")
	if !ok || strings.Count(rest, ".") != 1 {
		return nil, "", malformed("not three dot-separated parts")
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return nil, "", malformed("header is not base64url")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil || h == nil {
		return nil, "", malformed("header is not a JSON object")
	}
	var alg string
	if json.Unmarshal(h["alg"], &alg) != nil || alg != string(jose.RS256) {
		return nil, "", fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, h["alg"])
	}
	if _, ok := h["crit"]; ok {
		return nil, "", malformed("critical header extensions are not supported")
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", malformed("not a compact JWS")
	}
	kid := jws.Signatures[0].Header.KeyID
	if kid == "" {
		return nil, "", malformed("no key ID")
	}
	return jws, kid, nil
}

func (v *Verifier) verify(ctx context.Context, token, use string) (*Claims, error) {
	jws, kid, err := parse(token)
	if err != nil {
		return nil, err
	}
	key, err := v.keys.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, ErrSignature
	}
	return v.claims(payload, use)
}

// claims checks the claims of a token whose signature is good.
func (v *Verifier) claims(payload []byte, use string) (*Claims, error) {
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := v.checkTimes(c); err != nil {
		return nil, err
	}
	if c.Issuer != v.issuer {
		return nil, fmt.Errorf("%w: %q", ErrIssuer, c.Issuer)
	}
	if c.TokenUse != use {
		return nil, fmt.Errorf("%w: %q where %q was expected", ErrTokenUse, c.TokenUse, use)
	}
	switch use {
	case UseID:
		if !v.audienceOK(c.Raw["aud"]) {
			return nil, ErrAudience
		}
	case UseAccess:
		// Cognito's access tokens carry no aud; the client is in client_id.
		if id, ok := c.Raw["client_id"].(string); !ok || !v.clients[id] {
			return nil, ErrAudience
		}
	}
	return c, nil
}

func (v *Verifier) audienceOK(aud any) bool {
	switch a := aud.(type) {
	case string:
		return v.clients[a]
	case []any:
		// Several audiences: each must be one of ours, so a token meant also for someone
		// else is not taken.
		if len(a) == 0 {
			return false
		}
		for _, x := range a {
			s, ok := x.(string)
			if !ok || !v.clients[s] {
				return false
			}
		}
		return true
	}
	return false
}

func (v *Verifier) checkTimes(c *Claims) error {
	now := v.now()
	if !now.Before(c.Expiry.Add(v.leeway)) {
		return fmt.Errorf("%w: at %s", ErrExpired, c.Expiry.UTC().Format(time.RFC3339))
	}
	if now.Add(v.leeway).Before(c.IssuedAt) {
		return fmt.Errorf("%w: issued in the future, at %s", ErrNotYetValid, c.IssuedAt.UTC().Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return fmt.Errorf("%w: not before %s", ErrNotYetValid, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if c.Expiry.Before(c.IssuedAt) {
		return malformed("expires before it was issued")
	}
	return nil
}

// Claims are a verified token's claims.
type Claims struct {
	// Subject is the user's permanent ID (sub).
	Subject string
	// Username is the user's username: username in access tokens, cognito:username in ID
	// tokens. For pools that sign in by e-mail or phone it is the sub, not the address.
	Username string
	// Groups are cognito:groups, in precedence order.
	Groups []string
	// Scopes are the access token's scope, split.
	Scopes []string
	// TokenUse is UseAccess or UseID.
	TokenUse string
	// ClientID is the app client: client_id of access tokens, aud of ID tokens.
	ClientID  string
	Issuer    string
	AuthTime  time.Time
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time
	// ID is jti; OriginJTI ties tokens of one sign-in together.
	ID        string
	OriginJTI string
	// Raw holds every claim as decoded JSON (numbers as json.Number).
	Raw map[string]any
}

// HasScope reports whether the access token was granted scope.
func (c *Claims) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// InGroup reports whether the user was in group when the token was issued.
func (c *Claims) InGroup(group string) bool {
	for _, g := range c.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// decodeClaims reads and type-checks the claims this package relies on. Any claim of the
// wrong JSON type makes the token malformed rather than being read as empty.
func decodeClaims(payload []byte) (*Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, malformed("claims are not a JSON object")
	}
	if dec.More() {
		return nil, malformed("trailing data after the claims")
	}
	c := &Claims{Raw: raw}
	var err error
	str := func(name string, required bool) string {
		v, present := raw[name]
		s, ok := v.(string)
		if err == nil && ((present && !ok) || (required && s == "")) {
			err = malformed("claim %s missing or not a string", name)
		}
		return s
	}
	date := func(name string, required bool) time.Time {
		v, present := raw[name]
		if !present {
			if required && err == nil {
				err = malformed("claim %s missing", name)
			}
			return time.Time{}
		}
		n, ok := v.(json.Number)
		f, ferr := n.Float64()
		if !ok || ferr != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
			if err == nil {
				err = malformed("claim %s is not a date", name)
			}
			return time.Time{}
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	c.Issuer = str("iss", true)
	c.Subject = str("sub", true)
	c.TokenUse = str("token_use", true)
	c.Expiry = date("exp", true)
	c.IssuedAt = date("iat", true)
	c.NotBefore = date("nbf", false)
	c.AuthTime = date("auth_time", false)
	c.ID = str("jti", false)
	c.OriginJTI = str("origin_jti", false)
	switch c.TokenUse {
	case UseAccess:
		c.Username = str("username", false)
		c.ClientID = str("client_id", false)
		if s := str("scope", false); s != "" {
			c.Scopes = strings.Fields(s)
		}
	case UseID:
		c.Username = str("cognito:username", false)
		if aud, ok := raw["aud"].(string); ok {
			c.ClientID = aud
		}
	}
	if g, present := raw["cognito:groups"]; present {
		list, ok := g.([]any)
		for _, x := range list {
			s, isStr := x.(string)
			if !isStr {
				ok = false
				break
			}
			c.Groups = append(c.Groups, s)
		}
		if !ok && err == nil {
			err = malformed("claim cognito:groups is not a list of strings")
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}
