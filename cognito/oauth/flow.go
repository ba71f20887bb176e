package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
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

// Flow holds the secrets of one sign-in: the state that ties the callback to the browser
// that started it, the nonce that ties the ID token to it, and the PKCE code verifier that
// ties the code to this client. Keep them where only that browser's callback finds them,
// for one use (LoginHandler and CallbackHandler do).
type Flow struct {
	State    string
	Nonce    string
	Verifier string
}

// NewFlow makes a Flow from fresh random values: 130 bits for state and nonce, 256 for
// the verifier.
func NewFlow() Flow {
	return Flow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier()}
}

// AuthCodeURL is where to send the browser to sign in: the authorization endpoint with
// response_type=code, the client, redirect URI, scopes, state, nonce and the S256 code
// challenge of verifier. opts add parameters, such as
// oauth2.SetAuthURLParam("identity_provider", "Google") to skip the hosted UI's choice of
// provider, or ("lang", "fr"); they cannot replace the parameters of the flow.
//
// It panics if state, nonce or verifier is empty.
func (c *Client) AuthCodeURL(state, nonce, verifier string, opts ...oauth2.AuthCodeOption) string {
	if state == "" || nonce == "" || verifier == "" {
		panic("oauth: AuthCodeURL needs a state, a nonce and a verifier (see NewFlow)")
	}
	all := append(slices.Clip(opts),
		oauth2.SetAuthURLParam("response_type", "code"),
		oauth2.SetAuthURLParam("client_id", c.clientID),
		oauth2.SetAuthURLParam("redirect_uri", c.oauth.RedirectURL),
		oauth2.SetAuthURLParam("scope", strings.Join(c.oauth.Scopes, " ")),
		oauth2.SetAuthURLParam("state", state),
		oauth2.SetAuthURLParam("nonce", nonce),
		oauth2.S256ChallengeOption(verifier))
	return c.oauth.AuthCodeURL(state, all...)
}

// Tokens are the pool's answer to a sign-in or a refresh.
type Tokens struct {
	IDToken      string
	AccessToken  string
	RefreshToken string
	// Expiry is when the access and ID tokens expire, by the Client's clock; zero if the
	// pool did not say.
	Expiry time.Time
	// Claims are the verified ID token's claims: Claims.Username, Claims.Subject,
	// Claims.Raw["email"]…
	Claims *verify.Claims
}

// Exchange redeems the authorization code of a callback, with the verifier and nonce of
// the Flow that started it, and verifies the ID token: signature, issuer, audience,
// expiry, nonce, and at_hash when present. Errors of the token endpoint are *Error.
func (c *Client) Exchange(ctx context.Context, code, verifier, nonce string) (*Tokens, error) {
	if code == "" {
		return nil, ErrMissingCode
	}
	if verifier == "" || nonce == "" {
		return nil, errors.New("oauth: Exchange needs the verifier and nonce of the sign-in")
	}
	tok, err := c.oauth.Exchange(c.context(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, tokenError(err)
	}
	t, err := c.tokens(ctx, tok)
	if err != nil {
		return nil, err
	}
	got, _ := t.Claims.Raw["nonce"].(string)
	if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return nil, ErrNonceMismatch
	}
	return t, nil
}

// Refresh gets new access and ID tokens with a refresh token. Cognito sends a new refresh
// token only when the app client rotates them; otherwise the returned Tokens keep
// refreshToken. A refresh token that is expired or revoked gives an error matching
// ErrInvalidGrant: the user must sign in again.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, errors.New("oauth: Refresh needs a refresh token")
	}
	tok, err := c.oauth.TokenSource(c.context(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, tokenError(err)
	}
	t, err := c.tokens(ctx, tok)
	if err != nil {
		return nil, err
	}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// context carries the Client's HTTP client to x/oauth2.
func (c *Client) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// tokens verifies the ID token of a token response.
func (c *Client) tokens(ctx context.Context, tok *oauth2.Token) (*Tokens, error) {
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		return nil, ErrNoIDToken
	}
	claims, err := c.verifier.VerifyIDToken(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("oauth: ID token refused: %w", err)
	}
	if h, present := claims.Raw["at_hash"]; present {
		s, _ := h.(string)
		sum := sha256.Sum256([]byte(tok.AccessToken))
		if s != base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) {
			return nil, ErrAccessTokenHash
		}
	}
	t := &Tokens{IDToken: id, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Claims: claims}
	if tok.ExpiresIn > 0 {
		t.Expiry = c.now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	return t, nil
}

// tokenError turns x/oauth2's errors into *Error.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Code: re.ErrorCode, Description: re.ErrorDescription, URI: re.ErrorURI, Endpoint: "token"}
		if re.Response != nil {
			e.StatusCode = re.Response.StatusCode
		}
		return e
	}
	return fmt.Errorf("oauth: token endpoint: %w", err)
}

// UserInfo returns the user's attributes from the userInfo endpoint, as JSON decoded
// (numbers as json.Number; Cognito sends booleans such as email_verified as strings). It
// asks the pool, so it sees a sign-out or a disabled user at once, unlike the offline
// claims. An access token the pool refuses gives an error matching ErrInvalidToken.
func (c *Client) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
	if c.endpoints.UserInfo == "" {
		return nil, ErrNotSupported
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoints.UserInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: userInfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	res, body, err := c.do(req)
	if err != nil {
		return nil, fmt.Errorf("oauth: userInfo: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, endpointError("userInfo", res, body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var info map[string]any
	if err := dec.Decode(&info); err != nil || info == nil {
		return nil, errors.New("oauth: userInfo: the answer is not a JSON object")
	}
	return info, nil
}

// Revoke revokes a refresh token and the access and ID tokens issued with it, as far as
// the pool can: tokens already handed out stay valid for offline verifiers until they
// expire. The app client must have token revocation turned on.
func (c *Client) Revoke(ctx context.Context, refreshToken string) error {
	if c.endpoints.Revocation == "" {
		return ErrNotSupported
	}
	form := url.Values{"token": {refreshToken}}
	if c.clientSecret == "" {
		form.Set("client_id", c.clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoints.Revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("oauth: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.clientSecret != "" {
		// As x/oauth2 does for the token endpoint: RFC 6749 §2.3.1 form-encodes both.
		req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.clientSecret))
	}
	res, body, err := c.do(req)
	if err != nil {
		return fmt.Errorf("oauth: revoke: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return endpointError("revoke", res, body)
	}
	return nil
}

// LogoutURL is where to send the browser to end its hosted-UI session:
// <logout endpoint>?client_id=…&logout_uri=…, after which the pool redirects to
// logoutURI, which must be one of the app client's sign-out URLs. Clear the app's own
// session too; this ends only the pool's. It is "" if the pool has no logout endpoint.
func (c *Client) LogoutURL(logoutURI string) string {
	if c.endpoints.Logout == "" {
		return ""
	}
	u, err := url.Parse(c.endpoints.Logout)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", c.clientID)
	q.Set("logout_uri", logoutURI)
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends req and reads the answer.
func (c *Client) do(req *http.Request) (*http.Response, []byte, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return res, body, nil
}

// endpointError reads an RFC 6749 error from a JSON body, or from an RFC 6750
// WWW-Authenticate header.
func endpointError(endpoint string, res *http.Response, body []byte) *Error {
	e := &Error{Endpoint: endpoint, StatusCode: res.StatusCode}
	var j struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
		URI         string `json:"error_uri"`
	}
	if json.Unmarshal(body, &j) == nil && j.Code != "" {
		e.Code, e.Description, e.URI = j.Code, j.Description, j.URI
		return e
	}
	h := res.Header.Get("WWW-Authenticate")
	e.Code = authParam(h, "error")
	e.Description = authParam(h, "error_description")
	return e
}

// authParam returns the value of name in a WWW-Authenticate challenge such as
// `Bearer error="invalid_token", error_description="…"`.
func authParam(h, name string) string {
	_, params, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	for params != "" {
		params = strings.TrimLeft(params, " ,")
		key, rest, ok := strings.Cut(params, "=")
		if !ok {
			return ""
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			value, params = b.String(), rest[min(i+1, len(rest)):]
		} else {
			value, params, _ = strings.Cut(rest, ",")
			value = strings.TrimSpace(value)
		}
		if strings.EqualFold(strings.TrimSpace(key), name) {
			return value
		}
	}
	return ""
}
