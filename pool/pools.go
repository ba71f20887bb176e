package pool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashless/hashless/pool/store"
)

// PasswordPolicy is Cognito's PasswordPolicyType.
type PasswordPolicy struct {
	MinimumLength                 *int32 `json:"MinimumLength,omitempty"`
	RequireUppercase              bool   `json:"RequireUppercase"`
	RequireLowercase              bool   `json:"RequireLowercase"`
	RequireNumbers                bool   `json:"RequireNumbers"`
	RequireSymbols                bool   `json:"RequireSymbols"`
	PasswordHistorySize           *int32 `json:"PasswordHistorySize,omitempty"`
	TemporaryPasswordValidityDays *int32 `json:"TemporaryPasswordValidityDays,omitempty"`
}

type Policies struct {
	PasswordPolicy *PasswordPolicy  `json:"PasswordPolicy,omitempty"`
	SignInPolicy   *json.RawMessage `json:"SignInPolicy,omitempty"`
}

type VerificationMessageTemplate struct {
	SmsMessage         string `json:"SmsMessage,omitempty"`
	EmailMessage       string `json:"EmailMessage,omitempty"`
	EmailSubject       string `json:"EmailSubject,omitempty"`
	EmailMessageByLink string `json:"EmailMessageByLink,omitempty"`
	EmailSubjectByLink string `json:"EmailSubjectByLink,omitempty"`
	DefaultEmailOption string `json:"DefaultEmailOption,omitempty"`
}

type MessageTemplate struct {
	SMSMessage   string `json:"SMSMessage,omitempty"`
	EmailMessage string `json:"EmailMessage,omitempty"`
	EmailSubject string `json:"EmailSubject,omitempty"`
}

type AdminCreateUserConfig struct {
	AllowAdminCreateUserOnly  bool             `json:"AllowAdminCreateUserOnly"`
	UnusedAccountValidityDays *int32           `json:"UnusedAccountValidityDays,omitempty"`
	InviteMessageTemplate     *MessageTemplate `json:"InviteMessageTemplate,omitempty"`
}

type UsernameConfiguration struct {
	CaseSensitive *bool `json:"CaseSensitive,omitempty"`
}

// PoolSettings is everything about a pool that callers set; it is stored as the pool record's
// Settings JSON. Fields the engine does not act on yet are kept verbatim (RawMessage) so
// Describe returns what was configured.
type PoolSettings struct {
	poolConfigInput
	SchemaAttributes      []SchemaAttribute      `json:"SchemaAttributes,omitempty"`
	AliasAttributes       []string               `json:"AliasAttributes,omitempty"`
	UsernameAttributes    []string               `json:"UsernameAttributes,omitempty"`
	UsernameConfiguration *UsernameConfiguration `json:"UsernameConfiguration,omitempty"`
	Region                string                 `json:"Region"`
	// The factors SetUserPoolMfaConfig configures (see mfa.go).
	SoftwareTokenMfa *SoftwareTokenMfaConfigType `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfa           *SmsMfaConfigType           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfa         *EmailMfaConfigType         `json:"EmailMfaConfiguration,omitempty"`
}

// poolView is a decoded pool: the record plus its settings, signing keys and the
// configuration of its hosted UI and authorization server.
type poolView struct {
	rec store.Pool
	PoolSettings
	keys []storedKey
	// domain is the pool's one domain, nil when it has none (domains.go).
	domain *poolDomain
	// resourceServers are ordered by identifier (resourceservers.go).
	resourceServers []ResourceServer
	// uiCustomizations holds the hosted UI's CSS and logo by client ID, "ALL" for the pool's
	// default (uicustomization.go).
	uiCustomizations map[string]uiCustomization
	// targets are the trigger webhooks of LambdaConfig by trigger, decoded once per pool
	// version (see triggerTargets).
	targets map[string]string
}

// storedPool is the Settings JSON: what callers set, beside what the pool keeps for itself.
// The domain, resource servers and UI customizations live here rather than in records of
// their own because a pool has few of them and they are read with the pool anyway; it also
// means deleting a pool deletes them. The price is that each logo (at most 100 KiB per
// client or pool) is read with every read of the pool record.
type storedPool struct {
	PoolSettings
	SigningKeys      []storedKey                `json:"SigningKeys,omitempty"`
	UserPoolDomain   *poolDomain                `json:"UserPoolDomain,omitempty"`
	ResourceServers  []ResourceServer           `json:"ResourceServers,omitempty"`
	UICustomizations map[string]uiCustomization `json:"UICustomizations,omitempty"`
}

// decodePool decodes a pool record, from s.decodedPools when the record is unchanged:
// decoding the settings JSON was the largest cost of a typical request, and a pool changes
// rarely. A cached view is shared, so code that changes a pool must replace fields rather
// than write into them (slices are clipped so an append copies; tags are cloned before they
// change).
func (s *Service) decodePool(rec store.Pool) (poolView, error) {
	if v, ok := s.decodedPools.Load(rec.ID); ok {
		if p := v.(poolView); p.rec.Version == rec.Version && bytes.Equal(p.rec.Settings, rec.Settings) {
			p.rec = rec
			return p, nil
		}
	}
	var sp storedPool
	if err := json.Unmarshal(rec.Settings, &sp); err != nil {
		return poolView{}, fmt.Errorf("pool %s settings: %w", rec.ID, err)
	}
	p := poolView{rec: rec, PoolSettings: sp.PoolSettings, keys: slices.Clip(sp.SigningKeys),
		domain: sp.UserPoolDomain, resourceServers: slices.Clip(sp.ResourceServers), uiCustomizations: sp.UICustomizations}
	p.SchemaAttributes = slices.Clip(p.SchemaAttributes)
	p.AliasAttributes = slices.Clip(p.AliasAttributes)
	p.UsernameAttributes = slices.Clip(p.UsernameAttributes)
	p.AutoVerifiedAttributes = slices.Clip(p.AutoVerifiedAttributes)
	p.targets = p.triggerTargets()
	s.decodedPools.Store(rec.ID, p)
	return p, nil
}

func (p poolView) encode() (store.Pool, error) {
	b, err := json.Marshal(storedPool{PoolSettings: p.PoolSettings, SigningKeys: p.keys, UserPoolDomain: p.domain,
		ResourceServers: p.resourceServers, UICustomizations: p.uiCustomizations})
	if err != nil {
		return store.Pool{}, err
	}
	rec := p.rec
	rec.Settings = b
	return rec, nil
}

func (p poolView) caseSensitive() bool {
	return p.UsernameConfiguration == nil || p.UsernameConfiguration.CaseSensitive == nil || *p.UsernameConfiguration.CaseSensitive
}

func (p poolView) passwordPolicy() PasswordPolicy {
	if p.Policies != nil && p.Policies.PasswordPolicy != nil {
		pp := *p.Policies.PasswordPolicy
		if pp.MinimumLength == nil {
			pp.MinimumLength = ptr(int32(8))
		}
		if pp.TemporaryPasswordValidityDays == nil || *pp.TemporaryPasswordValidityDays == 0 {
			pp.TemporaryPasswordValidityDays = ptr(int32(7))
		}
		return pp
	}
	return defaultPasswordPolicy()
}

func defaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinimumLength: ptr(int32(8)), RequireUppercase: true, RequireLowercase: true,
		RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: ptr(int32(7))}
}

// UserPoolDescription is Cognito's UserPoolType as DescribeUserPool returns it.
type UserPoolDescription struct {
	Id   string `json:"Id"`
	Name string `json:"Name"`
	Arn  string `json:"Arn"`
	PoolSettings
	Status                 string     `json:"Status,omitempty"`
	CreationDate           *Timestamp `json:"CreationDate,omitempty"`
	LastModifiedDate       *Timestamp `json:"LastModifiedDate,omitempty"`
	EstimatedNumberOfUsers int64      `json:"EstimatedNumberOfUsers"`
	Domain                 string     `json:"Domain,omitempty"`
	CustomDomain           string     `json:"CustomDomain,omitempty"`
	// Region is internal; hide the embedded field.
	Region *struct{} `json:"Region,omitempty"`
}

func (s *Service) describe(p poolView, users int64) UserPoolDescription {
	settings := p.PoolSettings
	d := UserPoolDescription{
		Id: p.rec.ID, Name: p.rec.Name, Arn: s.arnFor(p),
		PoolSettings: settings, Status: "Enabled",
		CreationDate: ts(p.rec.CreatedAt), LastModifiedDate: ts(p.rec.UpdatedAt),
		EstimatedNumberOfUsers: users,
	}
	if p.domain != nil {
		d.Domain = p.domain.Name
		if p.domain.custom() {
			d.CustomDomain = p.domain.Name
		}
	}
	return d
}

func (s *Service) arnFor(p poolView) string {
	return fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", p.Region, s.accountID, p.rec.ID)
}

// poolConfigInput is the part of a pool that CreateUserPool and UpdateUserPool both set.
type poolConfigInput struct {
	Policies                    *Policies                    `json:"Policies,omitempty"`
	DeletionProtection          string                       `json:"DeletionProtection,omitempty"`
	LambdaConfig                *json.RawMessage             `json:"LambdaConfig,omitempty"`
	AutoVerifiedAttributes      []string                     `json:"AutoVerifiedAttributes,omitempty"`
	SmsVerificationMessage      string                       `json:"SmsVerificationMessage,omitempty"`
	EmailVerificationMessage    string                       `json:"EmailVerificationMessage,omitempty"`
	EmailVerificationSubject    string                       `json:"EmailVerificationSubject,omitempty"`
	VerificationMessageTemplate *VerificationMessageTemplate `json:"VerificationMessageTemplate,omitempty"`
	SmsAuthenticationMessage    string                       `json:"SmsAuthenticationMessage,omitempty"`
	UserAttributeUpdateSettings *json.RawMessage             `json:"UserAttributeUpdateSettings,omitempty"`
	MfaConfiguration            string                       `json:"MfaConfiguration,omitempty"`
	DeviceConfiguration         *json.RawMessage             `json:"DeviceConfiguration,omitempty"`
	EmailConfiguration          *json.RawMessage             `json:"EmailConfiguration,omitempty"`
	SmsConfiguration            *json.RawMessage             `json:"SmsConfiguration,omitempty"`
	UserPoolTags                map[string]string            `json:"UserPoolTags,omitempty"`
	AdminCreateUserConfig       *AdminCreateUserConfig       `json:"AdminCreateUserConfig,omitempty"`
	UserPoolAddOns              *json.RawMessage             `json:"UserPoolAddOns,omitempty"`
	AccountRecoverySetting      *json.RawMessage             `json:"AccountRecoverySetting,omitempty"`
	UserPoolTier                string                       `json:"UserPoolTier,omitempty"`
}

type CreateUserPoolInput struct {
	PoolName string `json:"PoolName"`
	poolConfigInput
	Schema                []SchemaAttribute      `json:"Schema"`
	AliasAttributes       []string               `json:"AliasAttributes"`
	UsernameAttributes    []string               `json:"UsernameAttributes"`
	UsernameConfiguration *UsernameConfiguration `json:"UsernameConfiguration"`
}

type CreateUserPoolOutput struct {
	UserPool UserPoolDescription `json:"UserPool"`
}

// applyConfig validates the shared settings and writes them into p, replacing what was
// there: like Cognito, UpdateUserPool resets every setting the request leaves out.
func applyConfig(v *validator, p *PoolSettings, in poolConfigInput) {
	if in.Policies != nil && in.Policies.PasswordPolicy != nil {
		pp := in.Policies.PasswordPolicy
		v.intRange("policies.passwordPolicy.minimumLength", pp.MinimumLength, 6, 99)
		v.intRange("policies.passwordPolicy.temporaryPasswordValidityDays", pp.TemporaryPasswordValidityDays, 0, 365)
		v.intRange("policies.passwordPolicy.passwordHistorySize", pp.PasswordHistorySize, 0, 24)
	}
	v.oneOf("deletionProtection", in.DeletionProtection, "ACTIVE", "INACTIVE")
	v.oneOf("mfaConfiguration", in.MfaConfiguration, "OFF", "ON", "OPTIONAL")
	v.oneOf("userPoolTier", in.UserPoolTier, "LITE", "ESSENTIALS", "PLUS")
	for _, a := range in.AutoVerifiedAttributes {
		v.oneOf("autoVerifiedAttributes.member", a, "phone_number", "email")
	}
	checkTags(v, in.UserPoolTags)
	checkLambdaConfig(v, in.LambdaConfig)
	for _, m := range []string{in.SmsVerificationMessage, in.EmailVerificationMessage} {
		if m != "" && !strings.Contains(m, "{####}") {
			v.add("Value '%s' failed to satisfy constraint: the verification message must contain the placeholder {####}", m)
		}
	}
	if t := in.VerificationMessageTemplate; t != nil {
		v.oneOf("verificationMessageTemplate.defaultEmailOption", t.DefaultEmailOption, "CONFIRM_WITH_LINK", "CONFIRM_WITH_CODE")
		for _, m := range []string{t.SmsMessage, t.EmailMessage} {
			if m != "" && !strings.Contains(m, "{####}") {
				v.add("Value '%s' failed to satisfy constraint: the verification message must contain the placeholder {####}", m)
			}
		}
	}
	p.poolConfigInput = in
	if p.Policies == nil {
		p.Policies = &Policies{}
	}
	if p.Policies.PasswordPolicy == nil {
		pp := defaultPasswordPolicy()
		p.Policies.PasswordPolicy = &pp
	}
	if p.Policies.PasswordPolicy.MinimumLength == nil {
		p.Policies.PasswordPolicy.MinimumLength = ptr(int32(8))
	}
	if days := p.Policies.PasswordPolicy.TemporaryPasswordValidityDays; days == nil || *days == 0 {
		p.Policies.PasswordPolicy.TemporaryPasswordValidityDays = ptr(int32(7))
	}
	p.DeletionProtection = orDefault(in.DeletionProtection, "INACTIVE")
	p.AutoVerifiedAttributes = slices.Compact(slices.Sorted(slices.Values(in.AutoVerifiedAttributes)))
	if p.VerificationMessageTemplate == nil {
		p.VerificationMessageTemplate = &VerificationMessageTemplate{}
	}
	p.VerificationMessageTemplate.DefaultEmailOption = orDefault(p.VerificationMessageTemplate.DefaultEmailOption, "CONFIRM_WITH_CODE")
	p.MfaConfiguration = orDefault(in.MfaConfiguration, "OFF")
	if p.AdminCreateUserConfig == nil {
		p.AdminCreateUserConfig = &AdminCreateUserConfig{}
	}
	if p.AdminCreateUserConfig.UnusedAccountValidityDays == nil {
		p.AdminCreateUserConfig.UnusedAccountValidityDays = ptr(int32(7))
	}
	p.UserPoolTier = orDefault(in.UserPoolTier, "ESSENTIALS")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func checkTags(v *validator, tags map[string]string) {
	if len(tags) > 50 {
		v.add("Value at 'userPoolTags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for k, val := range tags {
		if len(k) < 1 || len(k) > 128 {
			v.add("Value '%s' at 'userPoolTags' failed to satisfy constraint: Map keys must have length between 1 and 128", k)
		}
		if len(val) > 256 {
			v.add("Value at 'userPoolTags.%s' failed to satisfy constraint: Member must have length less than or equal to 256", k)
		}
	}
	checkSRPTag(v, tags)
}

func (s *Service) CreateUserPool(ctx context.Context, caller Caller, in *CreateUserPoolInput) (*CreateUserPoolOutput, error) {
	var v validator
	if v.required("poolName", in.PoolName) && v.length("poolName", in.PoolName, 1, 128) {
		v.pattern("poolName", in.PoolName, rePoolName)
	}
	var settings PoolSettings
	applyConfig(&v, &settings, in.poolConfigInput)
	for _, a := range in.AliasAttributes {
		v.oneOf("aliasAttributes.member", a, "phone_number", "email", "preferred_username")
	}
	for _, a := range in.UsernameAttributes {
		v.oneOf("usernameAttributes.member", a, "phone_number", "email")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if len(in.AliasAttributes) > 0 && len(in.UsernameAttributes) > 0 {
		return nil, invalidParameter("Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
	}
	schema, err := mergeSchema(in.Schema)
	if err != nil {
		return nil, err
	}
	settings.SchemaAttributes = schema
	settings.AliasAttributes = slices.Compact(slices.Sorted(slices.Values(in.AliasAttributes)))
	settings.UsernameAttributes = slices.Compact(slices.Sorted(slices.Values(in.UsernameAttributes)))
	settings.UsernameConfiguration = in.UsernameConfiguration
	if settings.UsernameConfiguration == nil {
		settings.UsernameConfiguration = &UsernameConfiguration{CaseSensitive: ptr(true)}
	} else if settings.UsernameConfiguration.CaseSensitive == nil {
		return nil, invalidParameter("1 validation error detected: Value null at 'usernameConfiguration.caseSensitive' failed to satisfy constraint: Member must not be null")
	}
	settings.Region = caller.Region
	now := s.now()
	p := poolView{rec: store.Pool{ID: caller.Region + "_" + randomString(alnum, 9), Name: in.PoolName, CreatedAt: now, UpdatedAt: now}, PoolSettings: settings}
	rec, err := p.encode()
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserPool", err)
	}
	err = s.update(ctx, func(tx store.Tx) error { return tx.CreatePool(ctx, rec) })
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserPool", err)
	}
	p.rec = rec
	s.log.InfoContext(ctx, "user pool created", "pool", rec.ID)
	return &CreateUserPoolOutput{UserPool: s.describe(p, 0)}, nil
}

// loadPool reads and decodes a pool in a transaction.
func (s *Service) loadPool(ctx context.Context, tx store.ReadTx, id string) (poolView, error) {
	rec, err := tx.GetPool(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return poolView{}, poolNotFound(id)
	}
	if err != nil {
		return poolView{}, err
	}
	return s.decodePool(rec)
}

func savePool(ctx context.Context, tx store.Tx, p poolView) error {
	rec, err := p.encode()
	if err != nil {
		return err
	}
	return tx.UpdatePool(ctx, rec)
}

type UserPoolIDInput struct {
	UserPoolId string `json:"UserPoolId"`
}

type DescribeUserPoolOutput struct {
	UserPool UserPoolDescription `json:"UserPool"`
}

func (s *Service) DescribeUserPool(ctx context.Context, _ Caller, in *UserPoolIDInput) (*DescribeUserPoolOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out DescribeUserPoolOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		n, err := tx.CountUsers(ctx, p.rec.ID)
		if err != nil {
			return err
		}
		out.UserPool = s.describe(p, n)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "DescribeUserPool", err)
	}
	return &out, nil
}

type UpdateUserPoolInput struct {
	UserPoolId string `json:"UserPoolId"`
	poolConfigInput
}

type Empty struct{}

func (s *Service) UpdateUserPool(ctx context.Context, _ Caller, in *UpdateUserPoolInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		var v validator
		applyConfig(&v, &p.PoolSettings, in.poolConfigInput)
		if err := v.err(); err != nil {
			return err
		}
		p.rec.UpdatedAt = s.now()
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "UpdateUserPool", err)
	}
	return &Empty{}, nil
}

func (s *Service) DeleteUserPool(ctx context.Context, _ Caller, in *UserPoolIDInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if p.DeletionProtection == "ACTIVE" {
			return invalidParameter("The user pool %s cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.", p.rec.ID)
		}
		return tx.DeletePool(ctx, p.rec.ID)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteUserPool", err)
	}
	s.log.InfoContext(ctx, "user pool deleted", "pool", in.UserPoolId)
	return &Empty{}, nil
}

type ListUserPoolsInput struct {
	NextToken  string `json:"NextToken"`
	MaxResults *int32 `json:"MaxResults"`
}

type UserPoolSummary struct {
	Id               string           `json:"Id"`
	Name             string           `json:"Name"`
	LambdaConfig     *json.RawMessage `json:"LambdaConfig,omitempty"`
	Status           string           `json:"Status,omitempty"`
	LastModifiedDate *Timestamp       `json:"LastModifiedDate,omitempty"`
	CreationDate     *Timestamp       `json:"CreationDate,omitempty"`
}

type ListUserPoolsOutput struct {
	UserPools []UserPoolSummary `json:"UserPools"`
	NextToken string            `json:"NextToken,omitempty"`
}

func (s *Service) ListUserPools(ctx context.Context, _ Caller, in *ListUserPoolsInput) (*ListUserPoolsOutput, error) {
	var v validator
	if in.MaxResults == nil {
		v.add("Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
	}
	v.intRange("maxResults", in.MaxResults, 1, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := s.openPageToken("pools", "", in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListUserPoolsOutput{UserPools: []UserPoolSummary{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		recs, next, err := tx.ListPools(ctx, store.Page{After: after, Limit: int(*in.MaxResults)})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			p, err := s.decodePool(rec)
			if err != nil {
				return err
			}
			out.UserPools = append(out.UserPools, UserPoolSummary{Id: rec.ID, Name: rec.Name, LambdaConfig: p.LambdaConfig,
				Status: "Enabled", LastModifiedDate: ts(rec.UpdatedAt), CreationDate: ts(rec.CreatedAt)})
		}
		out.NextToken = s.sealPageToken("pools", "", next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListUserPools", err)
	}
	return out, nil
}

type AddCustomAttributesInput struct {
	UserPoolId       string            `json:"UserPoolId"`
	CustomAttributes []SchemaAttribute `json:"CustomAttributes"`
}

func (s *Service) AddCustomAttributes(ctx context.Context, _ Caller, in *AddCustomAttributesInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if len(in.CustomAttributes) == 0 {
		v.add("Value at 'customAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1")
	} else if len(in.CustomAttributes) > 25 {
		v.add("Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 25")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	var added []SchemaAttribute
	for _, a := range in.CustomAttributes {
		c, err := customAttribute(a)
		if err != nil {
			return nil, err
		}
		added = append(added, c)
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		custom := 0
		for _, a := range p.SchemaAttributes {
			if strings.Contains(a.Name, "custom:") {
				custom++
			}
		}
		for _, a := range added {
			if _, exists := findSchema(p.SchemaAttributes, a.Name); exists {
				return invalidParameter("Existing attribute already has name %s.", a.Name)
			}
			p.SchemaAttributes = append(p.SchemaAttributes, a)
			custom++
		}
		if custom > maxCustomAttributes {
			return newError(ExLimitExceeded, "The user pool has reached its limit of %d custom attributes.", maxCustomAttributes)
		}
		p.rec.UpdatedAt = s.now()
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "AddCustomAttributes", err)
	}
	return &Empty{}, nil
}
