package oauth

import (
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/hashless/hashless/cognito/verify"
)

// Defaults and limits.
const (
	// DefaultHTTPTimeout bounds each request of the default HTTP client.
	DefaultHTTPTimeout = 30 * time.Second
	// LoginLifetime is how long a sign-in started by LoginHandler may take: the life of
	// its pre-login cookie.
	LoginLifetime = 10 * time.Minute
	// CookieKeySize is the length of Config.CookieKey.
	CookieKeySize = 32
	// maxBody bounds what is read of an endpoint's answer.
	maxBody = 1 << 20
)

// Paths of Cognito's hosted-UI endpoints, under the domain.
const (
	PathAuthorize = "/oauth2/authorize"
	PathToken     = "/oauth2/token"
	PathUserInfo  = "/oauth2/userInfo"
	PathRevoke    = "/oauth2/revoke"
	PathLogout    = "/logout"
)

// Config says which pool and app client to sign in with.
type Config struct {
	// Issuer is the exact iss of the pool's tokens:
	// "https://cognito-idp.<region>.amazonaws.com/<pool ID>" (verify.AWSIssuer) for AWS,
	// "<public URL>/<pool ID>" for `hashless pool`. Required.
	Issuer string
	// Domain is the base URL of the hosted UI, whose endpoints are Domain + PathAuthorize,
	// PathToken… For AWS: "https://<prefix>.auth.<region>.amazoncognito.com" or the
	// pool's custom domain. For `hashless pool`, which serves them under the issuer, it
	// may be the Issuer. Empty means reading the endpoints from the issuer's discovery
	// document, <Issuer>/.well-known/openid-configuration, when New is called.
	Domain string
	// ClientID is the app client; required. ClientSecret is its secret, empty for a
	// public client. With a secret, the client authenticates with HTTP Basic
	// (client_secret_basic); without, it sends client_id in the body.
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback URL, exactly as listed in the app client's callback
	// URLs; required.
	RedirectURL string
	// Scopes asked for; nil means openid and email. It must include openid, since the
	// sign-in is proven by the ID token.
	Scopes []string
	// HTTPClient makes every request (discovery, token, userInfo, revoke and, when
	// Verifier is nil, the key set); nil means a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Verifier checks ID tokens; nil means one made with verify.New for Issuer and
	// ClientID, reading the keys from the discovered jwks_uri or
	// <Issuer>/.well-known/jwks.json. Give one to share its key cache or set its leeway.
	Verifier *verify.Verifier
	// CookieKey seals the pre-login cookie of LoginHandler and CallbackHandler (AES-256-GCM);
	// CookieKeySize random bytes. Every instance that may receive a callback must have the
	// same key. Nil means a random key for this Client only: right for one process, but a
	// sign-in then fails if its callback reaches another instance or a restarted one.
	CookieKey []byte
	// CookieSecure marks the pre-login cookie Secure; set it whenever the app is served
	// over HTTPS.
	CookieSecure bool
	// CookieName is the prefix of the pre-login cookies' names; empty means
	// "__Host-oauth_login" when CookieSecure is set, else "oauth_login".
	CookieName string
	// Now is the clock; nil means time.Now. It is given to the default Verifier too.
	Now func() time.Time
}

// Endpoints are where the pool's OAuth 2.0 endpoints are. An empty one is not offered.
type Endpoints struct {
	Authorization string
	Token         string
	UserInfo      string
	Revocation    string
	Logout        string
	// JWKS is the key set's URL from discovery; empty in Domain mode, where the
	// Verifier uses <Issuer>/.well-known/jwks.json.
	JWKS string
}

// DomainEndpoints are the endpoints of a Cognito hosted domain (or of any server that
// serves them at the same paths under domain).
func DomainEndpoints(domain string) Endpoints {
	d := strings.TrimRight(domain, "/")
	return Endpoints{
		Authorization: d + PathAuthorize,
		Token:         d + PathToken,
		UserInfo:      d + PathUserInfo,
		Revocation:    d + PathRevoke,
		Logout:        d + PathLogout,
	}
}

// Client signs users in through the pool's hosted UI with the authorization-code flow,
// PKCE (S256), state and nonce. It is safe for concurrent use; make one per app client
// and keep it.
type Client struct {
	issuer       string
	clientID     string
	clientSecret string
	endpoints    Endpoints
	oauth        oauth2.Config
	http         *http.Client
	verifier     *verify.Verifier
	aead         cipher.AEAD
	cookieSecure bool
	cookieName   string
	now          func() time.Time
}

// New checks cfg and returns a Client. With Config.Domain set it makes no request;
// otherwise it fetches the issuer's discovery document, whose issuer must equal
// Config.Issuer exactly.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("oauth: invalid config: %w", err)
	}
	c := &Client{
		issuer:       cfg.Issuer,
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		http:         cfg.HTTPClient,
		verifier:     cfg.Verifier,
		cookieSecure: cfg.CookieSecure,
		cookieName:   cfg.CookieName,
		now:          cfg.Now,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.cookieName == "" {
		c.cookieName = "oauth_login"
		if c.cookieSecure {
			c.cookieName = "__Host-oauth_login"
		}
	}
	key := cfg.CookieKey
	if key == nil {
		key = make([]byte, CookieKeySize)
		rand.Read(key)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("oauth: cookie key: %w", err)
	}
	if c.aead, err = cipher.NewGCMWithRandomNonce(block); err != nil {
		return nil, fmt.Errorf("oauth: cookie key: %w", err)
	}

	if cfg.Domain != "" {
		c.endpoints = DomainEndpoints(cfg.Domain)
	} else if c.endpoints, err = c.discover(ctx); err != nil {
		return nil, err
	}

	if c.verifier == nil {
		c.verifier, err = verify.New(verify.Config{
			Issuer:     cfg.Issuer,
			ClientIDs:  []string{cfg.ClientID},
			JWKSURL:    c.endpoints.JWKS,
			HTTPClient: c.http,
			Now:        c.now,
		})
		if err != nil {
			return nil, fmt.Errorf("oauth: %w", err)
		}
	}

	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"openid", "email"}
	}
	style := oauth2.AuthStyleInParams
	if cfg.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	c.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       slices.Clone(scopes),
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.endpoints.Authorization,
			TokenURL:  c.endpoints.Token,
			AuthStyle: style,
		},
	}
	return c, nil
}

// check reports every problem of cfg at once.
func (cfg *Config) check() error {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("Issuer is required"))
	} else if err := checkURL(cfg.Issuer, false); err != nil {
		errs = append(errs, fmt.Errorf("Issuer: %w", err))
	}
	if cfg.Domain != "" {
		if err := checkURL(cfg.Domain, false); err != nil {
			errs = append(errs, fmt.Errorf("Domain (the hosted UI's base URL, e.g. https://<prefix>.auth.<region>.amazoncognito.com): %w", err))
		}
	}
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	if cfg.RedirectURL == "" {
		errs = append(errs, errors.New("RedirectURL is required"))
	} else if err := checkURL(cfg.RedirectURL, true); err != nil {
		errs = append(errs, fmt.Errorf("RedirectURL: %w", err))
	}
	if cfg.Scopes != nil {
		if !slices.Contains(cfg.Scopes, "openid") {
			errs = append(errs, errors.New("Scopes must include openid"))
		}
		for _, s := range cfg.Scopes {
			if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
				errs = append(errs, fmt.Errorf("Scopes: %q is not a scope", s))
			}
		}
	}
	if cfg.CookieKey != nil && len(cfg.CookieKey) != CookieKeySize {
		errs = append(errs, fmt.Errorf("CookieKey must be %d bytes, not %d", CookieKeySize, len(cfg.CookieKey)))
	}
	if cfg.CookieName != "" {
		if !isToken(cfg.CookieName) {
			errs = append(errs, fmt.Errorf("CookieName %q is not a cookie name", cfg.CookieName))
		}
		if !cfg.CookieSecure && (strings.HasPrefix(cfg.CookieName, "__Host-") || strings.HasPrefix(cfg.CookieName, "__Secure-")) {
			errs = append(errs, errors.New("CookieName with a __Host- or __Secure- prefix needs CookieSecure"))
		}
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute http(s) URL without fragment or user info, and without
// query unless query is set.
func checkURL(s string, query bool) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q is not an http(s) URL", s)
	case u.Host == "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil || u.Fragment != "":
		return fmt.Errorf("%q must have no user info or fragment", s)
	case u.RawQuery != "" && !query:
		return fmt.Errorf("%q must have no query", s)
	}
	return nil
}

// isToken reports whether s is an RFC 7230 token, as a cookie name must be.
func isToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return s != ""
}

// discovery is the part of the OpenID provider metadata this package reads.
type discovery struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserInfoEndpoint      string `json:"userinfo_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
}

// discover reads the endpoints from the issuer's discovery document.
func (c *Client) discover(ctx context.Context) (Endpoints, error) {
	where := strings.TrimSuffix(c.issuer, "/") + "/.well-known/openid-configuration"
	fail := func(format string, a ...any) (Endpoints, error) {
		return Endpoints{}, fmt.Errorf("oauth: discovery at %s: %s", where, fmt.Sprintf(format, a...))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return fail("%v", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return Endpoints{}, fmt.Errorf("oauth: discovery: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return fail("%v", err)
	}
	if res.StatusCode != http.StatusOK {
		return fail("status %d", res.StatusCode)
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return fail("not a JSON object: %v", err)
	}
	if d.Issuer != c.issuer {
		return Endpoints{}, fmt.Errorf("%w: discovery at %s names issuer %q, not %q", ErrIssuerMismatch, where, d.Issuer, c.issuer)
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" {
		return fail("no authorization_endpoint or token_endpoint: is a domain set up for the pool?")
	}
	e := Endpoints{
		Authorization: d.AuthorizationEndpoint,
		Token:         d.TokenEndpoint,
		UserInfo:      d.UserInfoEndpoint,
		Revocation:    d.RevocationEndpoint,
		Logout:        d.EndSessionEndpoint,
		JWKS:          d.JWKSURI,
	}
	// A document that leaves some out still has them at Cognito's paths, next to the
	// authorization endpoint.
	if base, ok := strings.CutSuffix(e.Authorization, PathAuthorize); ok {
		dom := DomainEndpoints(base)
		e.UserInfo = cmp.Or(e.UserInfo, dom.UserInfo)
		e.Revocation = cmp.Or(e.Revocation, dom.Revocation)
		e.Logout = cmp.Or(e.Logout, dom.Logout)
	}
	secure := strings.HasPrefix(c.issuer, "https:")
	for _, u := range []string{e.Authorization, e.Token, e.UserInfo, e.Revocation, e.Logout, e.JWKS} {
		if u == "" {
			continue
		}
		if err := checkURL(u, true); err != nil {
			return fail("endpoint %v", err)
		}
		if secure && !strings.HasPrefix(u, "https:") {
			return fail("endpoint %q is not HTTPS while the issuer is", u)
		}
	}
	return e, nil
}

// Endpoints returns where the Client sends its requests.
func (c *Client) Endpoints() Endpoints { return c.endpoints }

// Verifier returns the Verifier that checks the ID tokens; it checks the pool's access
// tokens too (VerifyAccessToken).
func (c *Client) Verifier() *verify.Verifier { return c.verifier }
