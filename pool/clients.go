package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashless/hashless/pool/store"
)

type TokenValidityUnits struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	IdToken      string `json:"IdToken,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
}

// clientConfig is what CreateUserPoolClient and UpdateUserPoolClient both accept, and what a
// client's record keeps.
type clientConfig struct {
	RefreshTokenValidity                     *int32              `json:"RefreshTokenValidity,omitempty"`
	AccessTokenValidity                      *int32              `json:"AccessTokenValidity,omitempty"`
	IdTokenValidity                          *int32              `json:"IdTokenValidity,omitempty"`
	TokenValidityUnits                       *TokenValidityUnits `json:"TokenValidityUnits,omitempty"`
	ReadAttributes                           []string            `json:"ReadAttributes,omitempty"`
	WriteAttributes                          []string            `json:"WriteAttributes,omitempty"`
	ExplicitAuthFlows                        []string            `json:"ExplicitAuthFlows,omitempty"`
	SupportedIdentityProviders               []string            `json:"SupportedIdentityProviders,omitempty"`
	CallbackURLs                             []string            `json:"CallbackURLs,omitempty"`
	LogoutURLs                               []string            `json:"LogoutURLs,omitempty"`
	DefaultRedirectURI                       string              `json:"DefaultRedirectURI,omitempty"`
	AllowedOAuthFlows                        []string            `json:"AllowedOAuthFlows,omitempty"`
	AllowedOAuthScopes                       []string            `json:"AllowedOAuthScopes,omitempty"`
	AllowedOAuthFlowsUserPoolClient          *bool               `json:"AllowedOAuthFlowsUserPoolClient,omitempty"`
	AnalyticsConfiguration                   *json.RawMessage    `json:"AnalyticsConfiguration,omitempty"`
	PreventUserExistenceErrors               string              `json:"PreventUserExistenceErrors,omitempty"`
	EnableTokenRevocation                    *bool               `json:"EnableTokenRevocation,omitempty"`
	EnablePropagateAdditionalUserContextData *bool               `json:"EnablePropagateAdditionalUserContextData,omitempty"`
	AuthSessionValidity                      *int32              `json:"AuthSessionValidity,omitempty"`
	RefreshTokenRotation                     *json.RawMessage    `json:"RefreshTokenRotation,omitempty"`
}

// clientSettings is the stored form: the configuration plus the sealed secret.
type clientSettings struct {
	clientConfig
	SealedSecret string `json:"SealedSecret,omitempty"`
}

type CreateUserPoolClientInput struct {
	UserPoolId     string `json:"UserPoolId"`
	ClientName     string `json:"ClientName"`
	GenerateSecret bool   `json:"GenerateSecret"`
	clientConfig
}

type UpdateUserPoolClientInput struct {
	UserPoolId string `json:"UserPoolId"`
	ClientId   string `json:"ClientId"`
	ClientName string `json:"ClientName"`
	clientConfig
}

// UserPoolClient is Cognito's UserPoolClientType.
type UserPoolClient struct {
	UserPoolId       string     `json:"UserPoolId"`
	ClientName       string     `json:"ClientName"`
	ClientId         string     `json:"ClientId"`
	ClientSecret     string     `json:"ClientSecret,omitempty"`
	LastModifiedDate *Timestamp `json:"LastModifiedDate,omitempty"`
	CreationDate     *Timestamp `json:"CreationDate,omitempty"`
	clientConfig
}

type UserPoolClientOutput struct {
	UserPoolClient UserPoolClient `json:"UserPoolClient"`
}

var (
	legacyAuthFlows = []string{"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}
	allowAuthFlows  = []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH"}
	// defaultAuthFlows is what a client without ExplicitAuthFlows allows, as on AWS.
	defaultAuthFlows = []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH"}
)

var unitDurations = map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}

func validityDuration(value *int32, unit, defaultUnit string) time.Duration {
	if unit == "" {
		unit = defaultUnit
	}
	return time.Duration(*value) * unitDurations[unit]
}

// checkValidity enforces Cognito's token lifetime ranges, which depend on the unit chosen.
func checkValidity(v *validator, field string, value *int32, unit, defaultUnit string, min, max time.Duration) {
	if value == nil {
		return
	}
	if *value <= 0 {
		v.add("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 1", *value, field)
		return
	}
	d := validityDuration(value, unit, defaultUnit)
	if d < min || d > max {
		v.add("Invalid range for token validity: %s must be between %s and %s.", field, humanDuration(min), humanDuration(max))
	}
}

func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
}

// normalizeClientConfig validates c against the pool and fills Cognito's defaults, so that
// Describe shows what is in force.
func normalizeClientConfig(v *validator, p poolView, c *clientConfig) {
	units := TokenValidityUnits{}
	if c.TokenValidityUnits != nil {
		units = *c.TokenValidityUnits
	}
	for field, u := range map[string]string{"tokenValidityUnits.accessToken": units.AccessToken, "tokenValidityUnits.idToken": units.IdToken, "tokenValidityUnits.refreshToken": units.RefreshToken} {
		v.oneOf(field, u, "seconds", "minutes", "hours", "days")
	}
	checkValidity(v, "AccessTokenValidity", c.AccessTokenValidity, units.AccessToken, "hours", 5*time.Minute, 24*time.Hour)
	checkValidity(v, "IdTokenValidity", c.IdTokenValidity, units.IdToken, "hours", 5*time.Minute, 24*time.Hour)
	checkValidity(v, "RefreshTokenValidity", c.RefreshTokenValidity, units.RefreshToken, "days", time.Hour, 3650*24*time.Hour)
	v.intRange("authSessionValidity", c.AuthSessionValidity, 3, 15)
	checkRotation(v, c.RefreshTokenRotation)
	v.oneOf("preventUserExistenceErrors", c.PreventUserExistenceErrors, "LEGACY", "ENABLED")
	legacy, allow := false, false
	for _, f := range c.ExplicitAuthFlows {
		switch {
		case slices.Contains(legacyAuthFlows, f):
			legacy = true
		case slices.Contains(allowAuthFlows, f):
			allow = true
		default:
			v.oneOf("explicitAuthFlows.member", f, append(slices.Clone(legacyAuthFlows), allowAuthFlows...)...)
		}
	}
	if legacy && allow {
		v.add("Prefixed auth flows (ALLOW_*) cannot be combined with legacy auth flows (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH).")
	}
	for _, f := range c.AllowedOAuthFlows {
		v.oneOf("allowedOAuthFlows.member", f, "code", "implicit", "client_credentials")
	}
	checkClientOAuthFields(v, c)
	for _, list := range []struct {
		field string
		names []string
	}{{"readAttributes", c.ReadAttributes}, {"writeAttributes", c.WriteAttributes}} {
		for _, n := range list.names {
			if _, ok := findSchema(p.SchemaAttributes, n); !ok {
				v.add("Invalid %s: %s is not an attribute of the user pool schema.", list.field, n)
			}
		}
	}
	if len(c.ExplicitAuthFlows) == 0 {
		c.ExplicitAuthFlows = slices.Clone(defaultAuthFlows)
	}
	if c.RefreshTokenValidity == nil {
		c.RefreshTokenValidity = ptr(int32(30))
	}
	if c.AccessTokenValidity == nil {
		c.AccessTokenValidity = ptr(int32(60))
		units.AccessToken = orDefault(units.AccessToken, "minutes")
	}
	if c.IdTokenValidity == nil {
		c.IdTokenValidity = ptr(int32(60))
		units.IdToken = orDefault(units.IdToken, "minutes")
	}
	units.AccessToken = orDefault(units.AccessToken, "hours")
	units.IdToken = orDefault(units.IdToken, "hours")
	units.RefreshToken = orDefault(units.RefreshToken, "days")
	c.TokenValidityUnits = &units
	c.PreventUserExistenceErrors = orDefault(c.PreventUserExistenceErrors, "LEGACY")
	if c.EnableTokenRevocation == nil {
		c.EnableTokenRevocation = ptr(true)
	}
	if c.EnablePropagateAdditionalUserContextData == nil {
		c.EnablePropagateAdditionalUserContextData = ptr(false)
	}
	if c.AllowedOAuthFlowsUserPoolClient == nil {
		c.AllowedOAuthFlowsUserPoolClient = ptr(false)
	}
	if c.AuthSessionValidity == nil {
		c.AuthSessionValidity = ptr(int32(3))
	}
}

func checkClientName(v *validator, name string) {
	if v.required("clientName", name) && v.length("clientName", name, 1, 128) {
		v.pattern("clientName", name, reClientName)
	}
}

func checkClientID(v *validator, id string) {
	if v.required("clientId", id) && v.length("clientId", id, 1, 128) {
		v.pattern("clientId", id, reClientID)
	}
}

func (s *Service) clientOutput(rec store.Client) (UserPoolClient, error) {
	var cs clientSettings
	if err := json.Unmarshal(rec.Settings, &cs); err != nil {
		return UserPoolClient{}, fmt.Errorf("client %s settings: %w", rec.ClientID, err)
	}
	out := UserPoolClient{UserPoolId: rec.PoolID, ClientName: rec.Name, ClientId: rec.ClientID,
		LastModifiedDate: ts(rec.UpdatedAt), CreationDate: ts(rec.CreatedAt), clientConfig: cs.clientConfig}
	if cs.SealedSecret != "" {
		secret, err := s.sealer.Open("client-secret:"+rec.ClientID, cs.SealedSecret)
		if err != nil {
			return UserPoolClient{}, fmt.Errorf("client %s secret: %w", rec.ClientID, err)
		}
		out.ClientSecret = string(secret)
	}
	return out, nil
}

func (s *Service) CreateUserPoolClient(ctx context.Context, _ Caller, in *CreateUserPoolClientInput) (*UserPoolClientOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkClientName(&v, in.ClientName)
	if err := v.err(); err != nil {
		return nil, err
	}
	now := s.now()
	rec := store.Client{PoolID: in.UserPoolId, ClientID: randomString(lowerAlnum, 26), Name: in.ClientName, CreatedAt: now, UpdatedAt: now}
	cs := clientSettings{clientConfig: in.clientConfig}
	if in.GenerateSecret {
		cs.SealedSecret = s.sealer.Seal("client-secret:"+rec.ClientID, []byte(randomString(lowerAlnum, 52)))
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		var v validator
		normalizeClientConfig(&v, p, &cs.clientConfig)
		if err := v.err(); err != nil {
			return err
		}
		if err := checkClientOAuth(p, &cs.clientConfig, cs.SealedSecret != ""); err != nil {
			return err
		}
		if rec.Settings, err = json.Marshal(cs); err != nil {
			return err
		}
		return tx.CreateClient(ctx, rec)
	})
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserPoolClient", err)
	}
	out, err := s.clientOutput(rec)
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserPoolClient", err)
	}
	return &UserPoolClientOutput{UserPoolClient: out}, nil
}

type ClientIDInput struct {
	UserPoolId string `json:"UserPoolId"`
	ClientId   string `json:"ClientId"`
}

func (s *Service) loadClient(ctx context.Context, tx store.ReadTx, poolID, clientID string) (store.Client, error) {
	if _, err := tx.GetPool(ctx, poolID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Client{}, poolNotFound(poolID)
		}
		return store.Client{}, err
	}
	c, err := tx.GetClient(ctx, poolID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Client{}, clientNotFound(clientID)
	}
	return c, err
}

func (s *Service) DescribeUserPoolClient(ctx context.Context, _ Caller, in *ClientIDInput) (*UserPoolClientOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkClientID(&v, in.ClientId)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out UserPoolClientOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		rec, err := s.loadClient(ctx, tx, in.UserPoolId, in.ClientId)
		if err != nil {
			return err
		}
		out.UserPoolClient, err = s.clientOutput(rec)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "DescribeUserPoolClient", err)
	}
	return &out, nil
}

// UpdateUserPoolClient replaces the client's configuration; as on AWS, settings left out of
// the request return to their defaults. The secret is kept.
func (s *Service) UpdateUserPoolClient(ctx context.Context, _ Caller, in *UpdateUserPoolClientInput) (*UserPoolClientOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkClientID(&v, in.ClientId)
	if in.ClientName != "" {
		checkClientName(&v, in.ClientName)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var rec store.Client
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if rec, err = s.loadClient(ctx, tx, in.UserPoolId, in.ClientId); err != nil {
			return err
		}
		var old clientSettings
		if err := json.Unmarshal(rec.Settings, &old); err != nil {
			return err
		}
		cs := clientSettings{clientConfig: in.clientConfig, SealedSecret: old.SealedSecret}
		var v validator
		normalizeClientConfig(&v, p, &cs.clientConfig)
		if err := v.err(); err != nil {
			return err
		}
		if err := checkClientOAuth(p, &cs.clientConfig, cs.SealedSecret != ""); err != nil {
			return err
		}
		if in.ClientName != "" {
			rec.Name = in.ClientName
		}
		rec.UpdatedAt = s.now()
		if rec.Settings, err = json.Marshal(cs); err != nil {
			return err
		}
		if err := tx.UpdateClient(ctx, rec); err != nil {
			return err
		}
		rec.Version++
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "UpdateUserPoolClient", err)
	}
	out, err := s.clientOutput(rec)
	if err != nil {
		return nil, s.storeError(ctx, "UpdateUserPoolClient", err)
	}
	return &UserPoolClientOutput{UserPoolClient: out}, nil
}

func (s *Service) DeleteUserPoolClient(ctx context.Context, _ Caller, in *ClientIDInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkClientID(&v, in.ClientId)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := s.loadClient(ctx, tx, in.UserPoolId, in.ClientId); err != nil {
			return err
		}
		if err := s.forgetClientCustomization(ctx, tx, in.UserPoolId, in.ClientId); err != nil {
			return err
		}
		return tx.DeleteClient(ctx, in.UserPoolId, in.ClientId)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteUserPoolClient", err)
	}
	return &Empty{}, nil
}

type ListUserPoolClientsInput struct {
	UserPoolId string `json:"UserPoolId"`
	MaxResults *int32 `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type UserPoolClientDescription struct {
	ClientId   string `json:"ClientId"`
	UserPoolId string `json:"UserPoolId"`
	ClientName string `json:"ClientName"`
}

type ListUserPoolClientsOutput struct {
	UserPoolClients []UserPoolClientDescription `json:"UserPoolClients"`
	NextToken       string                      `json:"NextToken,omitempty"`
}

func (s *Service) ListUserPoolClients(ctx context.Context, _ Caller, in *ListUserPoolClientsInput) (*ListUserPoolClientsOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	v.intRange("maxResults", in.MaxResults, 1, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := s.openPageToken("clients", in.UserPoolId, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := 60
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	out := &ListUserPoolClientsOutput{UserPoolClients: []UserPoolClientDescription{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		if _, err := s.loadPool(ctx, tx, in.UserPoolId); err != nil {
			return err
		}
		recs, next, err := tx.ListClients(ctx, in.UserPoolId, store.Page{After: after, Limit: limit})
		if err != nil {
			return err
		}
		for _, c := range recs {
			out.UserPoolClients = append(out.UserPoolClients, UserPoolClientDescription{ClientId: c.ClientID, UserPoolId: c.PoolID, ClientName: c.Name})
		}
		out.NextToken = s.sealPageToken("clients", in.UserPoolId, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListUserPoolClients", err)
	}
	return out, nil
}

// clientView is a decoded client.
type clientView struct {
	rec store.Client
	clientSettings
	// trusted is set for calls the server makes on the client's behalf (the hosted pages),
	// which prove nothing with a SECRET_HASH.
	trusted bool
}

func decodeClient(rec store.Client) (clientView, error) {
	c := clientView{rec: rec}
	if err := json.Unmarshal(rec.Settings, &c.clientSettings); err != nil {
		return clientView{}, fmt.Errorf("client %s settings: %w", rec.ClientID, err)
	}
	return c, nil
}

func (s *Service) clientSecret(c clientView) (string, error) {
	if c.SealedSecret == "" {
		return "", nil
	}
	b, err := s.sealer.Open("client-secret:"+c.rec.ClientID, c.SealedSecret)
	return string(b), err
}

// allows reports whether the client's ExplicitAuthFlows permit a flow, in either the legacy
// or the ALLOW_ spelling. Refresh is always allowed for clients that use legacy names.
func (c clientView) allows(allow string, legacy ...string) bool {
	usesLegacy := false
	for _, f := range c.ExplicitAuthFlows {
		if f == allow || slices.Contains(legacy, f) {
			return true
		}
		usesLegacy = usesLegacy || slices.Contains(legacyAuthFlows, f)
	}
	return allow == "ALLOW_REFRESH_TOKEN_AUTH" && usesLegacy
}

// usesLegacyFlows: a client configured with the legacy flow names (ADMIN_NO_SRP_AUTH, …),
// which always allowed USER_SRP_AUTH.
func (c clientView) usesLegacyFlows() bool {
	for _, f := range c.ExplicitAuthFlows {
		if slices.Contains(legacyAuthFlows, f) {
			return true
		}
	}
	return false
}

// validity returns a token lifetime the client configures.
func (c clientView) validity(use string) time.Duration {
	u := TokenValidityUnits{}
	if c.TokenValidityUnits != nil {
		u = *c.TokenValidityUnits
	}
	switch use {
	case "id":
		return validityDuration(c.IdTokenValidity, u.IdToken, "hours")
	case "access":
		return validityDuration(c.AccessTokenValidity, u.AccessToken, "hours")
	default:
		return validityDuration(c.RefreshTokenValidity, u.RefreshToken, "days")
	}
}
