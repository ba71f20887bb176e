package pool

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/tokens"
	"github.com/hashless/hashless/pool/triggers"
)

// refreshRecord is what the store keeps for a refresh token, under the token's SHA-256: a
// stolen database holds no usable refresh token.
type refreshRecord struct {
	PoolID      string    `json:"pool"`
	ClientID    string    `json:"client"`
	UsernameKey string    `json:"user"`
	Sub         string    `json:"sub"`
	OriginJTI   string    `json:"origin_jti"`
	AuthTime    time.Time `json:"auth_time"`
	IssuedAt    time.Time `json:"iat"`
	// Scopes are the OAuth scopes granted at sign-in, which refreshed tokens keep; nil for
	// API sign-ins.
	Scopes []string `json:"scopes,omitempty"`
}

// userState additions live in users.go; these namespaces hold token state.
const (
	nsRefresh       = "refresh"
	nsRevokedOrigin = "revoked-origin"
	refreshPrefix   = "hlr1."
)

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func newRefreshToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return refreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// idClaims and accessClaims are shaped like Cognito's.
type accessClaims struct {
	Sub       string   `json:"sub"`
	Groups    []string `json:"cognito:groups,omitempty"`
	Iss       string   `json:"iss"`
	ClientID  string   `json:"client_id"`
	OriginJTI string   `json:"origin_jti"`
	EventID   string   `json:"event_id"`
	TokenUse  string   `json:"token_use"`
	Scope     string   `json:"scope"`
	AuthTime  int64    `json:"auth_time"`
	Exp       int64    `json:"exp"`
	Iat       int64    `json:"iat"`
	JTI       string   `json:"jti"`
	Username  string   `json:"username"`
	DeviceKey string   `json:"device_key,omitempty"`
}

// idClaims builds the ID token: fixed claims plus the user's readable attributes, with the
// *_verified ones as booleans and everything else (custom attributes too) as strings.
func (s *Service) idClaims(p poolView, c clientView, u store.User, groups []string, iss, originJTI, eventID string, authTime, now time.Time) map[string]any {
	claims := map[string]any{}
	for _, a := range u.Attributes {
		if len(c.ReadAttributes) > 0 && !containsString(c.ReadAttributes, a.Name) {
			continue
		}
		if strings.HasPrefix(a.Name, "dev:") {
			continue
		}
		if strings.HasSuffix(a.Name, "_verified") {
			claims[a.Name] = a.Value == "true"
		} else {
			claims[a.Name] = a.Value
		}
	}
	if len(groups) > 0 {
		claims["cognito:groups"] = groups
	}
	claims["sub"] = u.Sub
	claims["iss"] = iss
	claims["cognito:username"] = u.Username
	claims["origin_jti"] = originJTI
	claims["aud"] = c.rec.ClientID
	claims["event_id"] = eventID
	claims["token_use"] = tokens.UseID
	claims["auth_time"] = authTime.Unix()
	claims["exp"] = now.Add(c.validity("id")).Unix()
	claims["iat"] = now.Unix()
	claims["jti"] = newUUID()
	return claims
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *Service) userGroups(ctx context.Context, poolID, usernameKey string) ([]string, error) {
	var names []string
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		groups, _, err := tx.ListGroupsForUser(ctx, poolID, usernameKey, store.Page{Limit: maxGroupsPerUser})
		for _, g := range groups {
			names = append(names, g.Name)
		}
		return err
	})
	return names, err
}

// mintTokens signs an ID and an access token for u.
func (s *Service) mintTokens(ctx context.Context, req authRequest, u store.User, originJTI string, authTime time.Time) (*AuthenticationResult, error) {
	keys, err := s.signingKeys(ctx, req.pool)
	if err != nil {
		return nil, err
	}
	now := s.now()
	// Sign-out revokes by whole seconds of iat (the only issue time a Cognito token carries),
	// so a token made in the same second as a sign-out is dated into the next second: it
	// must survive the sign-out it follows.
	if uv, err := decodeUser(u); err == nil && !uv.SignedOutAt.IsZero() && now.Unix() <= uv.SignedOutAt.Unix() {
		now = time.Unix(uv.SignedOutAt.Unix()+1, 0).UTC()
	}
	idKey, ok1 := tokens.Signer(keys, tokens.UseID, now)
	accessKey, ok2 := tokens.Signer(keys, tokens.UseAccess, now)
	if !ok1 || !ok2 {
		return nil, errors.New("pool: no key signs now")
	}
	groups, err := s.userGroups(ctx, req.pool.rec.ID, u.UsernameKey)
	if err != nil {
		return nil, err
	}
	override, err := s.preTokenGeneration(ctx, req, u, groups)
	if err != nil {
		return nil, err
	}
	groups = overrideGroups(groups, override)
	iss := s.Issuer(req.pool)
	eventID := newUUID()
	access := accessClaims{Sub: u.Sub, Groups: groups, Iss: iss, ClientID: req.client.rec.ClientID, OriginJTI: originJTI,
		EventID: eventID, TokenUse: tokens.UseAccess, Scope: req.scopeClaim(), AuthTime: authTime.Unix(),
		Exp: now.Add(req.client.validity("access")).Unix(), Iat: now.Unix(), JTI: newUUID(), Username: u.Username,
		DeviceKey: req.deviceKey}
	accessToken, err := tokens.Sign(accessKey, access)
	if err != nil {
		return nil, err
	}
	result := &AuthenticationResult{AccessToken: accessToken, TokenType: "Bearer",
		ExpiresIn: int32(req.client.validity("access") / time.Second)}
	if req.scopes != nil && !slices.Contains(req.scopes, ScopeOpenID) {
		// An OAuth grant without openid gets no ID token, as OpenID Connect asks.
		return result, nil
	}
	idClaims := s.idClaims(req.pool, req.client, u, groups, iss, originJTI, eventID, authTime, now)
	applyClaimOverrides(idClaims, override)
	if req.scopes != nil {
		idClaims["at_hash"] = accessTokenHash(accessToken)
		if req.nonce != "" {
			idClaims["nonce"] = req.nonce
		}
	}
	if result.IdToken, err = tokens.Sign(idKey, idClaims); err != nil {
		return nil, err
	}
	return result, nil
}

// scopeClaim is the access token's scope claim: the granted OAuth scopes, or for API
// sign-ins the one scope that lets the token call the user's own operations.
func (r authRequest) scopeClaim() string {
	if r.scopes == nil {
		return ScopeAdmin
	}
	return strings.Join(r.scopes, " ")
}

// accessTokenHash is an ID token's at_hash: the left half of the access token's SHA-256.
func accessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// signIn completes an authentication: tokens plus a new refresh token. A hosted sign-in
// ends with the proved user instead; its tokens come from the grant that follows.
func (s *Service) signIn(ctx context.Context, req authRequest, u store.User, authTime time.Time) (*AuthOutput, error) {
	newDevice := !req.hosted && req.deviceKey == "" && req.pool.deviceConfig() != nil
	if err := s.postAuthentication(ctx, req, u, newDevice); err != nil {
		return nil, err
	}
	if req.hosted {
		return &AuthOutput{ChallengeParameters: map[string]string{},
			proved: &SignedInUser{PoolID: u.PoolID, Username: u.Username, Sub: u.Sub, AuthTime: authTime}}, nil
	}
	var device *NewDeviceMetadata
	if newDevice {
		var err error
		if device, err = s.newDeviceMetadata(ctx, req.pool, u); err != nil {
			return nil, s.storeError(ctx, "InitiateAuth", err)
		}
		req.deviceKey = device.DeviceKey
	}
	result, err := s.issueTokens(ctx, req, u, authTime, true)
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	result.NewDeviceMetadata = device
	return &AuthOutput{ChallengeParameters: map[string]string{}, AuthenticationResult: result}, nil
}

// issueTokens mints the tokens of a new sign-in and, when withRefresh, stores a refresh
// token for them that remembers the granted scopes.
func (s *Service) issueTokens(ctx context.Context, req authRequest, u store.User, authTime time.Time, withRefresh bool) (*AuthenticationResult, error) {
	originJTI := newUUID()
	result, err := s.mintTokens(ctx, req, u, originJTI, authTime)
	if err != nil || !withRefresh {
		return result, err
	}
	refresh := newRefreshToken()
	now := s.now()
	rec, _ := json.Marshal(refreshRecord{PoolID: req.pool.rec.ID, ClientID: req.client.rec.ClientID, UsernameKey: u.UsernameKey,
		Sub: u.Sub, OriginJTI: originJTI, AuthTime: authTime, IssuedAt: now, Scopes: req.scopes})
	err = s.update(ctx, func(tx store.Tx) error {
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: req.pool.rec.ID, Namespace: nsRefresh, Key: tokenHash(refresh),
			Value: rec, ExpiresAt: now.Add(req.client.validity("refresh"))})
	})
	if err != nil {
		return nil, err
	}
	result.RefreshToken = refresh
	return result, nil
}

func invalidRefreshToken() *Error { return newError(ExNotAuthorized, "Invalid Refresh Token") }

// refreshAuth is REFRESH_TOKEN_AUTH: new ID and access tokens with the original auth_time and
// origin_jti, and no new refresh token, as on Cognito.
func (s *Service) refreshAuth(ctx context.Context, req authRequest, token, secretHash, username string) (*AuthOutput, error) {
	if token == "" {
		return nil, invalidParameter("Missing required parameter REFRESH_TOKEN")
	}
	if req.client.rotatesRefreshTokens() {
		return nil, invalidParameter("Refresh token rotation is enabled for this app client; refresh with GetTokensFromRefreshToken.")
	}
	rec, u, err := s.readRefresh(ctx, req, token)
	if err != nil {
		return nil, err
	}
	if err := s.checkSecretHash(req.client, secretHash, username, u.rec.Username, u.rec.Sub); err != nil {
		return nil, err
	}
	if err := s.refreshAllowed(u, rec); err != nil {
		return nil, err
	}
	req.tokenSource = triggers.SourceTokenGenerationRefreshTokens
	req.scopes = rec.Scopes
	result, err := s.mintTokens(ctx, req, u.rec, rec.OriginJTI, rec.AuthTime)
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	return &AuthOutput{ChallengeParameters: map[string]string{}, AuthenticationResult: result}, nil
}

func (s *Service) refreshAllowed(u userView, rec refreshRecord) error {
	if !u.rec.Enabled {
		return newError(ExNotAuthorized, "User is disabled.")
	}
	if !u.SignedOutAt.IsZero() && !rec.IssuedAt.After(u.SignedOutAt) {
		return newError(ExNotAuthorized, "Refresh Token has been revoked")
	}
	return nil
}

// readRefresh finds a live refresh token of this client and its user.
func (s *Service) readRefresh(ctx context.Context, req authRequest, token string) (refreshRecord, userView, error) {
	if !strings.HasPrefix(token, refreshPrefix) || len(token) > 512 {
		return refreshRecord{}, userView{}, invalidRefreshToken()
	}
	var rec refreshRecord
	var u userView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		e, err := tx.GetEphemeral(ctx, nsRefresh, tokenHash(token), s.now())
		if errors.Is(err, store.ErrNotFound) {
			return invalidRefreshToken()
		}
		if err != nil {
			return err
		}
		if json.Unmarshal(e.Value, &rec) != nil || rec.ClientID != req.client.rec.ClientID || rec.PoolID != req.pool.rec.ID {
			return invalidRefreshToken()
		}
		user, err := tx.GetUser(ctx, rec.PoolID, rec.UsernameKey)
		if errors.Is(err, store.ErrNotFound) || (err == nil && user.Sub != rec.Sub) {
			return invalidRefreshToken()
		}
		if err != nil {
			return err
		}
		u, err = decodeUser(user)
		return err
	})
	if err != nil {
		return refreshRecord{}, userView{}, s.storeError(ctx, "InitiateAuth", err)
	}
	return rec, u, nil
}

// accessUser is the caller of an operation authorised by an access token.
type accessUser struct {
	pool   poolView
	user   userView
	claims accessClaims
}

func invalidAccessToken() *Error { return newError(ExNotAuthorized, "Invalid Access Token") }

// poolOfToken reads the pool ID out of an unverified token's issuer; the signature is
// checked against that pool's keys right after.
func poolOfToken(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(token) > 16<<10 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", false
	}
	i := strings.LastIndexByte(c.Iss, '/')
	if i < 0 || !rePoolID.MatchString(c.Iss[i+1:]) {
		return "", false
	}
	return c.Iss[i+1:], true
}

// authenticateAccess verifies an access token the pool issued and that it is still good:
// signature, issuer, expiry, token_use, not revoked, user not signed out everywhere since.
func (s *Service) authenticateAccess(ctx context.Context, token string) (accessUser, error) {
	if token == "" {
		return accessUser{}, invalidParameter("Missing required parameter AccessToken")
	}
	poolID, ok := poolOfToken(token)
	if !ok {
		return accessUser{}, invalidAccessToken()
	}
	var out accessUser
	var err error
	if out.pool, err = s.readPool(ctx, "AccessToken", poolID); err != nil {
		if errors.Is(err, ErrResourceNotFound) {
			return accessUser{}, invalidAccessToken()
		}
		return accessUser{}, err
	}
	keys, err := s.signingKeys(ctx, out.pool)
	if err != nil {
		return accessUser{}, s.storeError(ctx, "AccessToken", err)
	}
	now := s.now()
	if tokens.Verify(token, keys, tokens.UseAccess, now, &out.claims) != nil ||
		out.claims.TokenUse != tokens.UseAccess || out.claims.Iss != s.Issuer(out.pool) {
		return accessUser{}, invalidAccessToken()
	}
	if now.Unix() >= out.claims.Exp {
		return accessUser{}, newError(ExNotAuthorized, "Access Token has expired")
	}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		if _, err := tx.GetEphemeral(ctx, nsRevokedOrigin, out.claims.OriginJTI, now); err == nil {
			return newError(ExNotAuthorized, "Access Token has been revoked")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		rec, err := tx.GetUser(ctx, poolID, out.pool.usernameKey(out.claims.Username))
		if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Sub != out.claims.Sub) {
			return userNotFound()
		}
		if err != nil {
			return err
		}
		out.user, err = decodeUser(rec)
		return err
	})
	if err != nil {
		return accessUser{}, s.storeError(ctx, "AccessToken", err)
	}
	if !out.user.SignedOutAt.IsZero() && out.claims.Iat <= out.user.SignedOutAt.Unix() {
		return accessUser{}, newError(ExNotAuthorized, "Access Token has been revoked")
	}
	if !out.user.rec.Enabled {
		return accessUser{}, newError(ExNotAuthorized, "User is disabled.")
	}
	return out, nil
}

type AccessTokenInput struct {
	AccessToken string `json:"AccessToken"`
}

type GetUserOutput struct {
	Username       string          `json:"Username"`
	UserAttributes []AttributeType `json:"UserAttributes"`
	UserMFAFields
}

func (s *Service) GetUser(ctx context.Context, _ Caller, in *AccessTokenInput) (*GetUserOutput, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{Username: a.user.rec.Username, UserAttributes: visibleAttributes(a.user.rec, nil),
		UserMFAFields: a.user.mfaFields()}, nil
}

// signOut ends every session of a user: refresh tokens issued until now stop working and
// access tokens issued until now are refused by every operation.
func (s *Service) signOut(ctx context.Context, op, poolID, name string) error {
	return s.updateUser(ctx, op, poolID, name, func(tx store.Tx, p poolView, u *userView) error {
		// Tokens made after the previous sign-out may be dated up to a second ahead (see
		// mintTokens); this sign-out must cover them too.
		now := s.now()
		if !u.SignedOutAt.IsZero() && !now.After(u.SignedOutAt.Add(time.Second)) {
			now = u.SignedOutAt.Add(time.Second)
		}
		u.SignedOutAt = now
		return nil
	})
}

func (s *Service) GlobalSignOut(ctx context.Context, _ Caller, in *AccessTokenInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if err := s.signOut(ctx, "GlobalSignOut", a.pool.rec.ID, a.user.rec.Username); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) AdminUserGlobalSignOut(ctx context.Context, _ Caller, in *AdminUserInput) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if err := s.signOut(ctx, "AdminUserGlobalSignOut", in.UserPoolId, in.Username); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type RevokeTokenInput struct {
	Token        string `json:"Token"`
	ClientId     string `json:"ClientId"`
	ClientSecret string `json:"ClientSecret"`
}

// RevokeToken revokes a refresh token and every access token minted from it.
func (s *Service) RevokeToken(ctx context.Context, _ Caller, in *RevokeTokenInput) (*Empty, error) {
	var v validator
	v.required("token", in.Token)
	checkClientID(&v, in.ClientId)
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, "", in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "RevokeToken", err)
	}
	if req.client.EnableTokenRevocation != nil && !*req.client.EnableTokenRevocation {
		return nil, newError(ExUnsupportedOperation, "Token revocation is not enabled for client %s.", in.ClientId)
	}
	if secret, err := s.clientSecret(req.client); err != nil {
		return nil, s.storeError(ctx, "RevokeToken", err)
	} else if secret != "" && !constantTimeEqual(secret, in.ClientSecret) {
		return nil, newError(ExUnauthorized, "Client authentication failed.")
	}
	if !strings.HasPrefix(in.Token, refreshPrefix) {
		return nil, newError(ExUnsupportedTokenType, "The token type is not supported; only refresh tokens can be revoked.")
	}
	err = s.update(ctx, func(tx store.Tx) error {
		e, err := tx.TakeEphemeral(ctx, nsRefresh, tokenHash(in.Token), s.now())
		if errors.Is(err, store.ErrNotFound) {
			return nil // revoking an unknown or already revoked token succeeds, as RFC 7009 asks
		}
		if err != nil {
			return err
		}
		var rec refreshRecord
		if json.Unmarshal(e.Value, &rec) != nil || rec.ClientID != in.ClientId {
			return tx.PutEphemeral(ctx, e) // not this client's token: put it back untouched
		}
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: rec.PoolID, Namespace: nsRevokedOrigin, Key: rec.OriginJTI,
			ExpiresAt: s.now().Add(maxTokenLifetime)})
	})
	if err != nil {
		return nil, s.storeError(ctx, "RevokeToken", err)
	}
	return &Empty{}, nil
}
