package pool

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/tokens"
)

// The engine half of the hosted UI and the OAuth 2.0 endpoints (package hosted is the HTTP
// half): a hosted sign-in proves a user through the same challenge code the API uses, a
// hosted-UI session remembers that proof for an hour, an authorization code stands for one
// proof for five minutes and is good once, and the grants mint tokens the way API sign-ins
// do, with the granted scopes in the access token and the nonce in the ID token.

// Scopes Cognito defines itself; resource servers add "identifier/name" ones.
const (
	ScopeOpenID  = "openid"
	ScopeEmail   = "email"
	ScopePhone   = "phone"
	ScopeProfile = "profile"
	ScopeAdmin   = "aws.cognito.signin.user.admin"
)

// OAuth flows of a client's AllowedOAuthFlows.
const (
	OAuthFlowCode              = "code"
	OAuthFlowImplicit          = "implicit"
	OAuthFlowClientCredentials = "client_credentials"
)

const (
	nsOAuthCode     = "oauth-code"
	nsHostedSession = "hosted-session"
	// authorizationCodeLifetime is how long a code may wait for its exchange, as on Cognito.
	authorizationCodeLifetime = 5 * time.Minute
	// HostedSessionLifetime is how long a hosted-UI sign-in makes later authorizations
	// silent, as Cognito's session cookie does.
	HostedSessionLifetime = time.Hour
	hostedSessionPrefix   = "hls1."
	authorizationPrefix   = "hlc1."
)

// OAuthError is an RFC 6749 error: Code is the "error" value, Description the
// "error_description".
type OAuthError struct {
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthError(code, format string, a ...any) *OAuthError {
	return &OAuthError{Code: code, Description: fmt.Sprintf(format, a...)}
}

// ErrNoHostedSession: the hosted-UI session is unknown, expired, ended, or its user can no
// longer sign in.
var ErrNoHostedSession = errors.New("pool: no hosted-UI session")

// OAuthClient is an app client as the OAuth endpoints and the hosted pages see it, with the
// pool settings the pages need.
type OAuthClient struct {
	PoolID, ClientID, ClientName string
	CallbackURLs, LogoutURLs     []string
	AllowedFlows, AllowedScopes  []string
	// OAuthEnabled is AllowedOAuthFlowsUserPoolClient.
	OAuthEnabled       bool
	IdentityProviders  []string
	UsernameAttributes []string
	// SignUpAllowed is false where only administrators create users.
	SignUpAllowed bool
	// RequiredAttributes are the schema attributes a sign-up must give (sub excluded).
	RequiredAttributes []string
	PasswordPolicy     PasswordPolicy
	// CustomScopes are every resource-server scope of the pool.
	CustomScopes []string
}

// AllowsFlow reports whether the client may use an OAuth flow at all.
func (c OAuthClient) AllowsFlow(flow string) bool {
	return c.OAuthEnabled && slices.Contains(c.AllowedFlows, flow)
}

func oauthClient(req authRequest) OAuthClient {
	p, c := req.pool, req.client
	out := OAuthClient{PoolID: p.rec.ID, ClientID: c.rec.ClientID, ClientName: c.rec.Name,
		CallbackURLs: c.CallbackURLs, LogoutURLs: c.LogoutURLs, AllowedFlows: c.AllowedOAuthFlows,
		AllowedScopes: c.AllowedOAuthScopes, OAuthEnabled: boolValue(c.AllowedOAuthFlowsUserPoolClient),
		IdentityProviders: c.SupportedIdentityProviders, UsernameAttributes: p.UsernameAttributes,
		PasswordPolicy: p.passwordPolicy(), CustomScopes: p.customScopes(),
		SignUpAllowed: p.AdminCreateUserConfig == nil || !p.AdminCreateUserConfig.AllowAdminCreateUserOnly}
	for _, a := range p.SchemaAttributes {
		if boolValue(a.Required) && a.Name != "sub" {
			out.RequiredAttributes = append(out.RequiredAttributes, a.Name)
		}
	}
	return out
}

// hostedRequest finds a client of a pool for the hosted pages and OAuth endpoints: a client
// of another pool is as unknown as a missing one.
func (s *Service) hostedRequest(ctx context.Context, poolID, clientID string) (authRequest, error) {
	if poolID == "" || clientID == "" || len(clientID) > 128 || len(poolID) > 55 {
		return authRequest{}, clientNotFound(clientID)
	}
	req, err := s.findClient(ctx, poolID, clientID)
	if err != nil {
		return authRequest{}, err
	}
	req.client.trusted = true
	req.hosted = true
	return req, nil
}

// OAuthClient returns a pool's app client; a *Error ResourceNotFoundException when the
// pool has no such client.
func (s *Service) OAuthClient(ctx context.Context, poolID, clientID string) (OAuthClient, error) {
	req, err := s.hostedRequest(ctx, poolID, clientID)
	if err != nil {
		return OAuthClient{}, err
	}
	return oauthClient(req), nil
}

// AuthenticateClient checks a token-endpoint caller: a client with a secret must present it
// (compared in constant time), and a public client must not present one.
func (s *Service) AuthenticateClient(ctx context.Context, poolID, clientID, secret string, secretGiven bool) (OAuthClient, error) {
	req, err := s.hostedRequest(ctx, poolID, clientID)
	var pe *Error
	if errors.As(err, &pe) && pe.Type == ExResourceNotFound {
		return OAuthClient{}, oauthError("invalid_client", "Client authentication failed.")
	}
	if err != nil {
		return OAuthClient{}, err
	}
	want, err := s.clientSecret(req.client)
	if err != nil {
		return OAuthClient{}, err
	}
	if want != "" && (!secretGiven || !constantTimeEqual(want, secret)) || want == "" && secretGiven {
		return OAuthClient{}, oauthError("invalid_client", "Client authentication failed.")
	}
	return oauthClient(req), nil
}

// SecretHash is the SECRET_HASH the client would send for username ("" for a public
// client), for the hosted pages that call the self-service operations on a user's behalf.
func (s *Service) SecretHash(ctx context.Context, poolID, clientID, username string) (string, error) {
	req, err := s.hostedRequest(ctx, poolID, clientID)
	if err != nil {
		return "", err
	}
	secret, err := s.clientSecret(req.client)
	if err != nil || secret == "" {
		return "", err
	}
	return computeSecretHash(secret, username, clientID), nil
}

// SignedInUser is a user a hosted sign-in proved.
type SignedInUser struct {
	PoolID   string    `json:"pool"`
	Username string    `json:"user"`
	Sub      string    `json:"sub"`
	AuthTime time.Time `json:"auth_time"`
}

// HostedStep is where a hosted sign-in stands: a challenge to answer (with its Session and
// parameters, as RespondToAuthChallenge would take them), or the proved User.
type HostedStep struct {
	Challenge  string
	Session    string
	Parameters map[string]string
	User       *SignedInUser
}

func hostedStep(out *AuthOutput) HostedStep {
	if out.proved != nil {
		return HostedStep{User: out.proved}
	}
	return HostedStep{Challenge: out.ChallengeName, Session: out.Session, Parameters: out.ChallengeParameters}
}

// HostedSignIn checks a username (or alias) and password as USER_PASSWORD_AUTH does,
// whatever auth flows the client allows for API calls (the hosted UI is not one of them),
// and answers with the first challenge or the proved user. Errors are the API's.
func (s *Service) HostedSignIn(ctx context.Context, poolID, clientID, username, password string) (HostedStep, error) {
	req, err := s.hostedRequest(ctx, poolID, clientID)
	if err != nil {
		return HostedStep{}, err
	}
	var v validator
	checkAuthParameters(&v, map[string]string{"USERNAME": username, "PASSWORD": password})
	if err := v.err(); err != nil {
		return HostedStep{}, err
	}
	out, err := s.passwordAuth(ctx, req, username, password, "")
	if err != nil {
		return HostedStep{}, err
	}
	return hostedStep(out), nil
}

// HostedRespond answers a challenge of a hosted sign-in through the API's own challenge
// code.
func (s *Service) HostedRespond(ctx context.Context, poolID, clientID, challenge, session string, responses map[string]string) (HostedStep, error) {
	req, err := s.hostedRequest(ctx, poolID, clientID)
	if err != nil {
		return HostedStep{}, err
	}
	var v validator
	checkAuthParameters(&v, responses)
	if err := v.err(); err != nil {
		return HostedStep{}, err
	}
	out, err := s.respond(ctx, req, &RespondToAuthChallengeInput{ClientId: clientID, ChallengeName: challenge,
		Session: session, ChallengeResponses: responses})
	if err != nil {
		return HostedStep{}, err
	}
	return hostedStep(out), nil
}

func randomToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// liveUser reloads a proved user and checks they may still get tokens: same sub, enabled,
// confirmed, and not signed out everywhere since they proved themselves.
func (s *Service) liveUser(ctx context.Context, p poolView, u SignedInUser) (userView, error) {
	var out userView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		rec, err := tx.GetUser(ctx, p.rec.ID, p.usernameKey(u.Username))
		if err != nil {
			return err
		}
		out, err = decodeUser(rec)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return userView{}, ErrNoHostedSession
	}
	if err != nil {
		return userView{}, err
	}
	if out.rec.Sub != u.Sub || !out.rec.Enabled || out.rec.Status != StatusConfirmed && out.rec.Status != StatusExternalProvider ||
		!out.SignedOutAt.IsZero() && !u.AuthTime.After(out.SignedOutAt) {
		return userView{}, ErrNoHostedSession
	}
	return out, nil
}

func hostedSessionKey(poolID, token string) string { return poolID + "|" + tokenHash(token) }

// StartHostedSession remembers a proved user for HostedSessionLifetime and returns the
// cookie value; the store keeps only its hash.
func (s *Service) StartHostedSession(ctx context.Context, u SignedInUser) (string, error) {
	token := randomToken(hostedSessionPrefix)
	val, _ := json.Marshal(u)
	err := s.update(ctx, func(tx store.Tx) error {
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: u.PoolID, Namespace: nsHostedSession,
			Key: hostedSessionKey(u.PoolID, token), Value: val, ExpiresAt: s.now().Add(HostedSessionLifetime)})
	})
	if err != nil {
		return "", s.storeError(ctx, "HostedSignIn", err)
	}
	return token, nil
}

// HostedSession returns the user of a live hosted-UI session of the pool, or
// ErrNoHostedSession.
func (s *Service) HostedSession(ctx context.Context, poolID, token string) (SignedInUser, error) {
	if !strings.HasPrefix(token, hostedSessionPrefix) || len(token) > 128 {
		return SignedInUser{}, ErrNoHostedSession
	}
	var u SignedInUser
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		e, err := tx.GetEphemeral(ctx, nsHostedSession, hostedSessionKey(poolID, token), s.now())
		if err != nil {
			return err
		}
		return json.Unmarshal(e.Value, &u)
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && u.PoolID != poolID {
		return SignedInUser{}, ErrNoHostedSession
	}
	if err != nil {
		return SignedInUser{}, s.storeError(ctx, "HostedSession", err)
	}
	p, err := s.readPool(ctx, "HostedSession", poolID)
	if err != nil {
		return SignedInUser{}, err
	}
	if _, err := s.liveUser(ctx, p, u); err != nil {
		if errors.Is(err, ErrNoHostedSession) {
			// Gone for good: re-enabling the user later must not revive it.
			_ = s.EndHostedSession(ctx, poolID, token)
		}
		return SignedInUser{}, err
	}
	return u, nil
}

// EndHostedSession forgets a hosted-UI session; ending an unknown one succeeds.
func (s *Service) EndHostedSession(ctx context.Context, poolID, token string) error {
	if !strings.HasPrefix(token, hostedSessionPrefix) || len(token) > 128 {
		return nil
	}
	err := s.update(ctx, func(tx store.Tx) error {
		return tx.DeleteEphemeral(ctx, nsHostedSession, hostedSessionKey(poolID, token))
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.storeError(ctx, "EndHostedSession", err)
	}
	return nil
}

// AuthorizationGrant is what an authorization request granted to a proved user.
type AuthorizationGrant struct {
	ClientID      string       `json:"client"`
	RedirectURI   string       `json:"redirect_uri"`
	Scopes        []string     `json:"scopes"`
	Nonce         string       `json:"nonce,omitempty"`
	CodeChallenge string       `json:"code_challenge,omitempty"`
	User          SignedInUser `json:"user"`
}

// OAuthTokens is a token endpoint answer (or an implicit grant's fragment).
type OAuthTokens struct {
	IDToken      string `json:"id_token,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int32  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

func oauthTokens(r *AuthenticationResult) *OAuthTokens {
	return &OAuthTokens{IDToken: r.IdToken, AccessToken: r.AccessToken, RefreshToken: r.RefreshToken,
		ExpiresIn: r.ExpiresIn, TokenType: "Bearer"}
}

// IssueAuthorizationCode stores g for one exchange within five minutes and returns the code.
// Its caller has just checked the client and proved the user; the exchange checks both again
// (grantTokens), so a user disabled in between gets no tokens.
func (s *Service) IssueAuthorizationCode(ctx context.Context, g AuthorizationGrant) (string, error) {
	code := randomToken(authorizationPrefix)
	val, _ := json.Marshal(g)
	err := s.update(ctx, func(tx store.Tx) error {
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: g.User.PoolID, Namespace: nsOAuthCode, Key: tokenHash(code),
			Value: val, ExpiresAt: s.now().Add(authorizationCodeLifetime)})
	})
	if err != nil {
		return "", s.storeError(ctx, "Authorize", err)
	}
	return code, nil
}

// ImplicitTokens mints the tokens of an implicit grant: no refresh token, as on Cognito.
func (s *Service) ImplicitTokens(ctx context.Context, g AuthorizationGrant) (*OAuthTokens, error) {
	return s.grantTokens(ctx, g, false)
}

func (s *Service) grantTokens(ctx context.Context, g AuthorizationGrant, withRefresh bool) (*OAuthTokens, error) {
	req, err := s.hostedRequest(ctx, g.User.PoolID, g.ClientID)
	if err != nil {
		return nil, err
	}
	u, err := s.liveUser(ctx, req.pool, g.User)
	if errors.Is(err, ErrNoHostedSession) {
		return nil, oauthError("invalid_grant", "The user can no longer sign in.")
	}
	if err != nil {
		return nil, err
	}
	req.hosted = false
	req.scopes = slices.Clip(append([]string{}, g.Scopes...))
	req.nonce = g.Nonce
	result, err := s.issueTokens(ctx, req, u.rec, g.User.AuthTime, withRefresh)
	if err != nil {
		return nil, s.storeError(ctx, "Token", err)
	}
	return oauthTokens(result), nil
}

// ExchangeAuthorizationCode is the authorization_code grant. The code is spent by the first
// attempt, right or wrong, so a stolen code is good for at most one guess.
func (s *Service) ExchangeAuthorizationCode(ctx context.Context, client OAuthClient, code, redirectURI, codeVerifier string) (*OAuthTokens, error) {
	if code == "" {
		return nil, oauthError("invalid_request", "code is required.")
	}
	if !strings.HasPrefix(code, authorizationPrefix) || len(code) > 128 {
		return nil, oauthError("invalid_grant", "The authorization code is invalid or has expired.")
	}
	var g AuthorizationGrant
	err := s.update(ctx, func(tx store.Tx) error {
		e, err := tx.TakeEphemeral(ctx, nsOAuthCode, tokenHash(code), s.now())
		if err != nil {
			return err
		}
		return json.Unmarshal(e.Value, &g)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, oauthError("invalid_grant", "The authorization code is invalid or has expired.")
	}
	if err != nil {
		return nil, s.storeError(ctx, "Token", err)
	}
	if g.ClientID != client.ClientID || g.User.PoolID != client.PoolID {
		return nil, oauthError("invalid_grant", "The authorization code was issued to another client.")
	}
	if !constantTimeEqual(g.RedirectURI, redirectURI) {
		return nil, oauthError("invalid_grant", "redirect_uri does not match the authorization request.")
	}
	switch {
	case g.CodeChallenge != "" && codeVerifier == "":
		return nil, oauthError("invalid_request", "code_verifier is required.")
	case g.CodeChallenge != "" && !constantTimeEqual(g.CodeChallenge, pkceChallenge(codeVerifier)):
		return nil, oauthError("invalid_grant", "code_verifier does not match the code_challenge.")
	case g.CodeChallenge == "" && codeVerifier != "":
		return nil, oauthError("invalid_grant", "code_verifier was sent for an authorization request without a code_challenge.")
	}
	return s.grantTokens(ctx, g, true)
}

// pkceChallenge is the S256 code challenge of a verifier (RFC 7636).
func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RefreshOAuth is the refresh_token grant, through GetTokensFromRefreshToken's rules (a
// rotating client gets a new refresh token; the granted scopes carry over).
func (s *Service) RefreshOAuth(ctx context.Context, client OAuthClient, clientSecret, refreshToken string) (*OAuthTokens, error) {
	if refreshToken == "" {
		return nil, oauthError("invalid_request", "refresh_token is required.")
	}
	out, err := s.GetTokensFromRefreshToken(ctx, Caller{}, &GetTokensFromRefreshTokenInput{RefreshToken: refreshToken,
		ClientId: client.ClientID, ClientSecret: clientSecret})
	var pe *Error
	if errors.As(err, &pe) {
		switch pe.Type {
		case ExNotAuthorized, ExUserNotFound:
			return nil, oauthError("invalid_grant", "%s", pe.Message)
		case ExInvalidParameter:
			return nil, oauthError("unauthorized_client", "%s", pe.Message)
		}
	}
	if err != nil {
		return nil, err
	}
	return oauthTokens(out.AuthenticationResult), nil
}

// clientCredentialsClaims are the claims of a client_credentials access token: the client
// is its own subject.
type clientCredentialsClaims struct {
	Sub      string `json:"sub"`
	TokenUse string `json:"token_use"`
	Scope    string `json:"scope"`
	AuthTime int64  `json:"auth_time"`
	Iss      string `json:"iss"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Version  int    `json:"version"`
	JTI      string `json:"jti"`
	ClientID string `json:"client_id"`
}

// ClientCredentials is the client_credentials grant: an access token for the client itself
// with resource-server scopes (all it is allowed when it asks for none).
func (s *Service) ClientCredentials(ctx context.Context, client OAuthClient, scopes []string) (*OAuthTokens, error) {
	if !client.AllowsFlow(OAuthFlowClientCredentials) {
		return nil, oauthError("unauthorized_client", "The client is not allowed the client_credentials grant.")
	}
	if len(scopes) == 0 {
		for _, sc := range client.AllowedScopes {
			if slices.Contains(client.CustomScopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	if len(scopes) == 0 {
		return nil, oauthError("invalid_scope", "The client has no resource-server scopes.")
	}
	for _, sc := range scopes {
		if !slices.Contains(client.AllowedScopes, sc) || !slices.Contains(client.CustomScopes, sc) {
			return nil, oauthError("invalid_scope", "The scope %q is not allowed for this client.", sc)
		}
	}
	req, err := s.hostedRequest(ctx, client.PoolID, client.ClientID)
	if err != nil {
		return nil, err
	}
	keys, err := s.signingKeys(ctx, req.pool)
	if err != nil {
		return nil, s.storeError(ctx, "Token", err)
	}
	now := s.now()
	key, ok := tokens.Signer(keys, tokens.UseAccess, now)
	if !ok {
		return nil, s.storeError(ctx, "Token", errors.New("pool: no key signs now"))
	}
	lifetime := req.client.validity("access")
	token, err := tokens.Sign(key, clientCredentialsClaims{Sub: client.ClientID, TokenUse: tokens.UseAccess,
		Scope: strings.Join(scopes, " "), AuthTime: now.Unix(), Iss: s.Issuer(req.pool), Exp: now.Add(lifetime).Unix(),
		Iat: now.Unix(), Version: 2, JTI: newUUID(), ClientID: client.ClientID})
	if err != nil {
		return nil, s.storeError(ctx, "Token", err)
	}
	return &OAuthTokens{AccessToken: token, ExpiresIn: int32(lifetime / time.Second), TokenType: "Bearer"}, nil
}

// profileClaims are the attributes the profile scope releases (custom attributes too).
var profileClaims = []string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
	"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at", "address"}

// UserInfo answers the userInfo endpoint for an access token with the openid scope: the
// user's readable attributes within the token's scopes, as strings (Cognito sends
// email_verified as "true"), plus username. Other tokens get an *OAuthError invalid_token.
func (s *Service) UserInfo(ctx context.Context, accessToken string) (map[string]string, error) {
	a, err := s.authenticateAccess(ctx, accessToken)
	var pe *Error
	if errors.As(err, &pe) && pe.Type == ExUserNotFound {
		// A client_credentials token, or a deleted user's: either way there is nobody to describe.
		return nil, oauthError("invalid_token", "The access token belongs to no user of the pool.")
	}
	if errors.As(err, &pe) && pe.Type != ExInternalError {
		return nil, oauthError("invalid_token", "%s", pe.Message)
	}
	if err != nil {
		return nil, err
	}
	scopes := strings.Fields(a.claims.Scope)
	if !slices.Contains(scopes, ScopeOpenID) {
		return nil, oauthError("invalid_token", "The access token lacks the openid scope.")
	}
	var readable []string
	var client clientView
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		rec, err := s.loadClient(ctx, tx, a.pool.rec.ID, a.claims.ClientID)
		if err != nil {
			return err
		}
		client, err = decodeClient(rec)
		return err
	})
	if err == nil {
		readable = client.ReadAttributes
	}
	narrowed := slices.ContainsFunc(scopes, func(sc string) bool {
		return sc == ScopeEmail || sc == ScopePhone || sc == ScopeProfile
	})
	released := func(name string) bool {
		if len(readable) > 0 && !slices.Contains(readable, name) {
			return false
		}
		if !narrowed {
			return true
		}
		switch {
		case name == "email" || name == "email_verified":
			return slices.Contains(scopes, ScopeEmail)
		case name == "phone_number" || name == "phone_number_verified":
			return slices.Contains(scopes, ScopePhone)
		default:
			return slices.Contains(scopes, ScopeProfile) && (slices.Contains(profileClaims, name) || strings.HasPrefix(name, "custom:"))
		}
	}
	out := map[string]string{"sub": a.user.rec.Sub, "username": a.user.rec.Username}
	for _, attr := range a.user.rec.Attributes {
		if attr.Name == "sub" || strings.HasPrefix(attr.Name, "dev:") || !released(attr.Name) {
			continue
		}
		out[attr.Name] = attr.Value
	}
	return out, nil
}

// RevokeOAuth is the revoke endpoint: RevokeToken for a client already authenticated.
func (s *Service) RevokeOAuth(ctx context.Context, client OAuthClient, clientSecret, token string) error {
	if token == "" {
		return oauthError("invalid_request", "token is required.")
	}
	_, err := s.RevokeToken(ctx, Caller{}, &RevokeTokenInput{Token: token, ClientId: client.ClientID, ClientSecret: clientSecret})
	var pe *Error
	if errors.As(err, &pe) {
		switch pe.Type {
		case ExUnsupportedTokenType:
			return oauthError("unsupported_token_type", "%s", pe.Message)
		case ExUnsupportedOperation:
			return oauthError("unauthorized_client", "%s", pe.Message)
		case ExUnauthorized, ExNotAuthorized:
			return oauthError("invalid_client", "%s", pe.Message)
		case ExInvalidParameter:
			return oauthError("invalid_request", "%s", pe.Message)
		}
	}
	return err
}

// endpointBase is where a pool's hosted UI and OAuth endpoints live: its issuer, or with
// Cognito-style issuers (which name AWS) the pool's path on this server.
func (s *Service) endpointBase(p poolView) string {
	if s.issuerStyle == IssuerAWS {
		return s.publicURL + "/" + p.rec.ID
	}
	return s.Issuer(p)
}
