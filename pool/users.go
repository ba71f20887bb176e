package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// User statuses, as Cognito names them.
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
	StatusExternalProvider    = "EXTERNAL_PROVIDER"
)

// userState is the engine-owned part of a user record (store.User.State).
type userState struct {
	TemporaryPasswordExpiresAt time.Time `json:"tmp_exp,omitzero"`
	// SignedOutAt ends every token issued before it (global sign-out, disabling).
	SignedOutAt time.Time `json:"signed_out,omitzero"`
	// SRP is the sealed SRP verifier (see srp.go); empty when the user has none.
	SRP string `json:"srp,omitempty"`
	// MFA is the user's second factors (see mfa.go).
	MFA userMFA `json:"mfa,omitzero"`
	// Devices are the user's confirmed devices (see devices.go).
	Devices []userDevice `json:"devices,omitempty"`
}

type userView struct {
	rec store.User
	userState
}

func decodeUser(rec store.User) (userView, error) {
	u := userView{rec: rec}
	if len(rec.State) > 0 {
		if err := json.Unmarshal(rec.State, &u.userState); err != nil {
			return userView{}, fmt.Errorf("user state: %w", err)
		}
	}
	return u, nil
}

func (u *userView) encode() error {
	b, err := json.Marshal(u.userState)
	if err != nil {
		return err
	}
	u.rec.State = b
	return nil
}

var (
	reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	rePhone = regexp.MustCompile(`^\+[0-9]{4,15}$`)
)

func (p poolView) usernameKey(name string) string {
	if p.caseSensitive() {
		return name
	}
	return strings.ToLower(name)
}

func (p poolView) aliasKey(kind, value string) string {
	if kind == "phone_number" || p.caseSensitive() {
		return value
	}
	return strings.ToLower(value)
}

// aliasesFor is the set of sign-in names u holds beyond its username. A verified e-mail or
// phone becomes an alias when the pool names it in AliasAttributes; preferred_username is an
// alias as soon as it is set; with UsernameAttributes the value is unique even unverified.
func (p poolView) aliasesFor(u store.User) []store.Alias {
	var out []store.Alias
	for _, kind := range []string{"email", "phone_number", "preferred_username"} {
		value, ok := u.Attribute(kind)
		if !ok || value == "" {
			continue
		}
		active := false
		switch {
		case slices.Contains(p.UsernameAttributes, kind):
			active = true
		case slices.Contains(p.AliasAttributes, kind):
			verified, _ := u.Attribute(kind + "_verified")
			active = kind == "preferred_username" || verified == "true"
		}
		if active {
			out = append(out, store.Alias{Kind: kind, Key: p.aliasKey(kind, value)})
		}
	}
	return out
}

// resolveUser finds a user by the name a caller gave: the username, then an alias, then sub,
// as Cognito's admin operations accept.
func resolveUser(ctx context.Context, tx store.ReadTx, p poolView, name string) (userView, error) {
	rec, err := tx.GetUser(ctx, p.rec.ID, p.usernameKey(name))
	if errors.Is(err, store.ErrNotFound) {
		for _, kind := range aliasKindsFor(p, name) {
			rec, err = tx.GetUserByAlias(ctx, p.rec.ID, store.Alias{Kind: kind, Key: p.aliasKey(kind, name)})
			if !errors.Is(err, store.ErrNotFound) {
				break
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		rec, err = tx.GetUserBySub(ctx, p.rec.ID, name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return userView{}, userNotFound()
	}
	if err != nil {
		return userView{}, err
	}
	return decodeUser(rec)
}

func aliasKindsFor(p poolView, name string) []string {
	var kinds []string
	all := append(slices.Clone(p.UsernameAttributes), p.AliasAttributes...)
	for _, kind := range all {
		switch {
		case kind == "email" && reEmail.MatchString(name), kind == "phone_number" && rePhone.MatchString(name), kind == "preferred_username":
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

// AttributeType is a name/value pair on the wire.
type AttributeType = store.Attribute

func attributeName(v *validator, field string, a AttributeType) {
	if v.required(field+".member.name", a.Name) {
		v.length(field+".member.name", a.Name, 1, 32)
	}
	if len(a.Value) > 2048 {
		v.add("Value at '%s.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048", field)
	}
}

// checkAttributes enforces the schema on attributes a caller sets. creating allows immutable
// attributes to be set once.
func checkAttributes(p poolView, attrs []AttributeType, creating bool) error {
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a.Name] {
			return invalidParameter("Duplicate attribute name: %s", a.Name)
		}
		seen[a.Name] = true
		if a.Name == "sub" {
			return invalidParameter("Cannot modify the non-mutable attribute sub")
		}
		def, ok := findSchema(p.SchemaAttributes, a.Name)
		if !ok {
			if !strings.HasPrefix(a.Name, "custom:") && !strings.HasPrefix(a.Name, "dev:custom:") {
				return invalidParameter("Attributes did not conform to the schema: Type for attribute {%s} could not be determined", a.Name)
			}
			return invalidParameter("Attribute does not exist in the schema: %s", a.Name)
		}
		if !creating && def.Mutable != nil && !*def.Mutable {
			return invalidParameter("Cannot modify the non-mutable attribute %s", a.Name)
		}
		if a.Value == "" {
			continue
		}
		switch a.Name {
		case "email":
			if !reEmail.MatchString(a.Value) {
				return invalidParameter("Invalid email address format.")
			}
		case "phone_number":
			if !rePhone.MatchString(a.Value) {
				return invalidParameter("Invalid phone number format.")
			}
		}
		if err := checkAttributeValue(def, a.Value); err != nil {
			return err
		}
	}
	return nil
}

func checkRequired(p poolView, u store.User) error {
	var missing []string
	for _, a := range p.SchemaAttributes {
		if a.Name == "sub" || !boolValue(a.Required) {
			continue
		}
		if v, ok := u.Attribute(a.Name); !ok || v == "" {
			missing = append(missing, a.Name+": The attribute "+a.Name+" is required")
		}
	}
	if len(missing) > 0 {
		return invalidParameter("Attributes did not conform to the schema: %s", strings.Join(missing, ", "))
	}
	return nil
}

// setAttributes merges changes into attrs; an empty value removes the attribute.
func setAttributes(attrs []AttributeType, changes []AttributeType) []AttributeType {
	out := slices.Clone(attrs)
	for _, c := range changes {
		i := slices.IndexFunc(out, func(a AttributeType) bool { return a.Name == c.Name })
		switch {
		case c.Value == "" && i >= 0:
			out = slices.Delete(out, i, i+1)
		case c.Value == "":
		case i >= 0:
			out[i].Value = c.Value
		default:
			out = append(out, c)
		}
	}
	return out
}

// claimAliases makes u's aliases its own. A collision is AliasExistsException unless force is
// set, in which case the other holder loses the alias and its attribute becomes unverified, as
// ForceAliasCreation does on Cognito.
func (s *Service) claimAliases(ctx context.Context, tx store.Tx, p poolView, u *store.User, force bool) error {
	u.Aliases = p.aliasesFor(*u)
	for _, a := range u.Aliases {
		other, err := tx.GetUserByAlias(ctx, p.rec.ID, a)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if other.UsernameKey == u.UsernameKey {
			continue
		}
		if !force || a.Kind == "preferred_username" || slices.Contains(p.UsernameAttributes, a.Kind) {
			return newError(ExAliasExists, "An account with the given %s already exists.", aliasWord(a.Kind))
		}
		other.Attributes = setAttributes(other.Attributes, []AttributeType{{Name: a.Kind + "_verified", Value: "false"}})
		other.Aliases = p.aliasesFor(other)
		other.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, other); err != nil {
			return err
		}
	}
	return nil
}

func aliasWord(kind string) string {
	if kind == "phone_number" {
		return "phone number"
	}
	return kind
}

// UserType is Cognito's UserType (ListUsers, AdminCreateUser).
type UserType struct {
	Username             string          `json:"Username"`
	Attributes           []AttributeType `json:"Attributes"`
	UserCreateDate       *Timestamp      `json:"UserCreateDate,omitempty"`
	UserLastModifiedDate *Timestamp      `json:"UserLastModifiedDate,omitempty"`
	Enabled              bool            `json:"Enabled"`
	UserStatus           string          `json:"UserStatus"`
	MFAOptions           []MFAOption     `json:"MFAOptions,omitempty"`
}

type MFAOption struct {
	DeliveryMedium string `json:"DeliveryMedium,omitempty"`
	AttributeName  string `json:"AttributeName,omitempty"`
}

// visibleAttributes lists a user's attributes with sub first, as Cognito does, keeping only
// names in only (all when only is nil).
func visibleAttributes(u store.User, only []string) []AttributeType {
	out := []AttributeType{}
	if only == nil || slices.Contains(only, "sub") {
		out = append(out, AttributeType{Name: "sub", Value: u.Sub})
	}
	for _, a := range u.Attributes {
		if only == nil || slices.Contains(only, a.Name) {
			out = append(out, a)
		}
	}
	return out
}

func userType(u store.User, only []string) UserType {
	return UserType{Username: u.Username, Attributes: visibleAttributes(u, only), UserCreateDate: ts(u.CreatedAt),
		UserLastModifiedDate: ts(u.UpdatedAt), Enabled: u.Enabled, UserStatus: u.Status}
}

type AdminCreateUserInput struct {
	UserPoolId             string            `json:"UserPoolId"`
	Username               string            `json:"Username"`
	UserAttributes         []AttributeType   `json:"UserAttributes"`
	ValidationData         []AttributeType   `json:"ValidationData"`
	TemporaryPassword      string            `json:"TemporaryPassword"`
	ForceAliasCreation     bool              `json:"ForceAliasCreation"`
	MessageAction          string            `json:"MessageAction"`
	DesiredDeliveryMediums []string          `json:"DesiredDeliveryMediums"`
	ClientMetadata         map[string]string `json:"ClientMetadata"`
}

type AdminCreateUserOutput struct {
	User UserType `json:"User"`
}

// placeUsername decides the stored username and any attribute the name implies: with
// UsernameAttributes an e-mail or phone username becomes that attribute and the user is
// named by its sub, as on Cognito.
func placeUsername(p poolView, name, sub string, attrs []AttributeType) (string, []AttributeType, error) {
	if len(p.UsernameAttributes) > 0 {
		var kind string
		switch {
		case slices.Contains(p.UsernameAttributes, "email") && reEmail.MatchString(name):
			kind = "email"
		case slices.Contains(p.UsernameAttributes, "phone_number") && rePhone.MatchString(name):
			kind = "phone_number"
		case len(p.UsernameAttributes) == 2:
			return "", nil, invalidParameter("Username should be either an email or a phone number.")
		case p.UsernameAttributes[0] == "email":
			return "", nil, invalidParameter("Username should be an email.")
		default:
			return "", nil, invalidParameter("Username should be a phone number.")
		}
		if v, ok := (store.User{Attributes: attrs}).Attribute(kind); ok && v != name {
			return "", nil, invalidParameter("The %s attribute must match the username.", kind)
		}
		return sub, setAttributes(attrs, []AttributeType{{Name: kind, Value: name}}), nil
	}
	if slices.Contains(p.AliasAttributes, "email") && reEmail.MatchString(name) {
		return "", nil, invalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
	}
	if slices.Contains(p.AliasAttributes, "phone_number") && rePhone.MatchString(name) {
		return "", nil, invalidParameter("Username cannot be of phone number format, since user pool is configured for phone_number alias.")
	}
	return name, attrs, nil
}

func (s *Service) AdminCreateUser(ctx context.Context, _ Caller, in *AdminCreateUserInput) (*AdminCreateUserOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	for _, a := range in.UserAttributes {
		attributeName(&v, "userAttributes", a)
	}
	v.oneOf("messageAction", in.MessageAction, "RESEND", "SUPPRESS")
	for _, m := range in.DesiredDeliveryMediums {
		v.oneOf("desiredDeliveryMediums.member", m, "SMS", "EMAIL")
	}
	if in.TemporaryPassword != "" {
		checkPasswordShape(&v, "temporaryPassword", in.TemporaryPassword)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// The triggers are asked before anything is hashed or stored: a refusal leaves nothing
	// behind, and a webhook is never called from inside a transaction.
	p, err := s.readPool(ctx, "AdminCreateUser", in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := checkAttributes(p, in.UserAttributes, true); err != nil {
		return nil, err
	}
	if in.MessageAction != "RESEND" {
		// Cognito ignores the answer's flags for an administrator's user: it is created in
		// FORCE_CHANGE_PASSWORD whatever the webhook says. Only a refusal counts.
		if _, err := s.preSignUp(ctx, p, "", triggers.SourcePreSignUpAdminCreateUser, in.Username,
			in.UserAttributes, in.ValidationData, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	var custom *customMessage
	if in.MessageAction != "SUPPRESS" {
		draft := store.User{Username: in.Username, Attributes: setAttributes(nil, in.UserAttributes), Status: StatusForceChangePassword}
		if custom, err = s.composeCustomMessage(ctx, p, "", triggers.SourceCustomMessageAdminCreateUser, draft, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	// A temporary password generated and never sent (SUPPRESS) is known to no one and can
	// never be used; hashing it would cost a KDF run for nothing (one in three of every
	// migration's), so such a user gets no password at all, which signs in the same: never.
	var password, hash string
	if in.TemporaryPassword != "" || in.MessageAction != "SUPPRESS" {
		password, hash, err = s.hashForPool(ctx, "AdminCreateUser", in.UserPoolId, in.TemporaryPassword, true)
		if err != nil {
			return nil, err
		}
	}
	if in.MessageAction == "RESEND" {
		return s.resendInvitation(ctx, in, password, hash, custom)
	}
	var out AdminCreateUserOutput
	err = s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if err := checkAttributes(p, in.UserAttributes, true); err != nil {
			return err
		}
		sub := newUUID()
		username, attrs, err := placeUsername(p, in.Username, sub, setAttributes(nil, in.UserAttributes))
		if err != nil {
			return err
		}
		now := s.now()
		u := userView{rec: store.User{
			PoolID: p.rec.ID, Username: username, UsernameKey: p.usernameKey(username), Sub: sub,
			Status: StatusForceChangePassword, Enabled: true, Attributes: attrs, PasswordHash: hash,
			CreatedAt: now, UpdatedAt: now,
		}}
		u.TemporaryPasswordExpiresAt = now.Add(time.Duration(*p.passwordPolicy().TemporaryPasswordValidityDays) * 24 * time.Hour)
		if err := s.setPassword(p, &u, hash, password); err != nil {
			return err
		}
		if err := checkRequired(p, u.rec); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, p.rec.ID, u.rec.UsernameKey); err == nil {
			return newError(ExUsernameExists, "User account already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.claimAliases(ctx, tx, p, &u.rec, in.ForceAliasCreation); err != nil {
			return err
		}
		if err := u.encode(); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u.rec); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return newError(ExUsernameExists, "User account already exists")
			}
			if errors.Is(err, store.ErrAliasExists) {
				return newError(ExAliasExists, "An account with the given email already exists.")
			}
			return err
		}
		if in.MessageAction != "SUPPRESS" {
			if err := s.sendInvitation(ctx, tx, p, u.rec, password, in.DesiredDeliveryMediums, u.TemporaryPasswordExpiresAt); err != nil {
				return err
			}
		}
		out.User = userType(u.rec, nil)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminCreateUser", err)
	}
	s.log.InfoContext(ctx, "user created", "pool", in.UserPoolId, "sub", out.User.Attributes[0].Value)
	return &out, nil
}

// hashForPool checks password against the pool's policy and hashes it. The KDF is slow, so
// this happens before any transaction opens (transactions may be retried and should be
// short). With generate, an empty password is replaced by a random one that fits the policy.
func (s *Service) hashForPool(ctx context.Context, op, poolID, password string, generate bool) (string, string, error) {
	p, err := s.readPool(ctx, op, poolID)
	if err != nil {
		return "", "", err
	}
	policy := p.passwordPolicy()
	if password == "" && generate {
		password = temporaryPassword(policy)
	} else if err := checkPasswordPolicy(policy, password); err != nil {
		return "", "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return "", "", s.storeError(ctx, op, err)
	}
	return password, hash, nil
}

// resendInvitation is AdminCreateUser with MessageAction RESEND: a new temporary password for
// a user who has not yet signed in.
func (s *Service) resendInvitation(ctx context.Context, in *AdminCreateUserInput, password, hash string, custom *customMessage) (*AdminCreateUserOutput, error) {
	var out AdminCreateUserOutput
	err := s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, in.Username)
		if err != nil {
			return err
		}
		if u.rec.Status != StatusForceChangePassword {
			return newError(ExUnsupportedUserState, "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.rec.Username)
		}
		now := s.now()
		if err := s.setPassword(p, &u, hash, password); err != nil {
			return err
		}
		u.rec.UpdatedAt = now
		u.TemporaryPasswordExpiresAt = now.Add(time.Duration(*p.passwordPolicy().TemporaryPasswordValidityDays) * 24 * time.Hour)
		if err := u.encode(); err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, u.rec); err != nil {
			return err
		}
		if err := s.sendInvitation(ctx, tx, p, u.rec, password, in.DesiredDeliveryMediums, u.TemporaryPasswordExpiresAt); err != nil {
			return err
		}
		out.User = userType(u.rec, nil)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminCreateUser", err)
	}
	return &out, nil
}

type AdminUserInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
}

func (in *AdminUserInput) validate() error {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	return v.err()
}

type AdminGetUserOutput struct {
	Username             string          `json:"Username"`
	UserAttributes       []AttributeType `json:"UserAttributes"`
	UserCreateDate       *Timestamp      `json:"UserCreateDate,omitempty"`
	UserLastModifiedDate *Timestamp      `json:"UserLastModifiedDate,omitempty"`
	Enabled              bool            `json:"Enabled"`
	UserStatus           string          `json:"UserStatus"`
	UserMFAFields
}

func (s *Service) AdminGetUser(ctx context.Context, _ Caller, in *AdminUserInput) (*AdminGetUserOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out AdminGetUserOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, in.Username)
		if err != nil {
			return err
		}
		out = AdminGetUserOutput{Username: u.rec.Username, UserAttributes: visibleAttributes(u.rec, nil),
			UserCreateDate: ts(u.rec.CreatedAt), UserLastModifiedDate: ts(u.rec.UpdatedAt),
			Enabled: u.rec.Enabled, UserStatus: u.rec.Status,
			UserMFAFields: u.mfaFields()}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminGetUser", err)
	}
	return &out, nil
}

// updateUser runs change on the named user inside a transaction and saves the result.
func (s *Service) updateUser(ctx context.Context, op, poolID, name string, change func(tx store.Tx, p poolView, u *userView) error) error {
	return s.updateUserWithMessage(ctx, op, poolID, name, nil, change)
}

// updateUserWithMessage is updateUser for a change whose message the CustomMessage webhook
// composed beforehand.
func (s *Service) updateUserWithMessage(ctx context.Context, op, poolID, name string, custom *customMessage,
	change func(tx store.Tx, p poolView, u *userView) error) error {
	err := s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, name)
		if err != nil {
			return err
		}
		if err := change(tx, p, &u); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return s.storeError(ctx, op, err)
	}
	return nil
}

func (s *Service) AdminDeleteUser(ctx context.Context, _ Caller, in *AdminUserInput) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, in.Username)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, p.rec.ID, u.rec.UsernameKey); err != nil {
			return err
		}
		// A user created later under the same name must not inherit pending codes.
		return dropAllCodes(ctx, tx, p.rec.ID, u.rec.UsernameKey)
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminDeleteUser", err)
	}
	return &Empty{}, nil
}

type AdminUpdateUserAttributesInput struct {
	UserPoolId     string            `json:"UserPoolId"`
	Username       string            `json:"Username"`
	UserAttributes []AttributeType   `json:"UserAttributes"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type CodeDeliveryDetails struct {
	Destination    string `json:"Destination,omitempty"`
	DeliveryMedium string `json:"DeliveryMedium,omitempty"`
	AttributeName  string `json:"AttributeName,omitempty"`
}

// AdminUpdateUserAttributes returns nothing on the wire (unlike UpdateUserAttributes, which
// reports where codes went), but still sends a code for an auto-verified attribute it changes.
func (s *Service) AdminUpdateUserAttributes(ctx context.Context, _ Caller, in *AdminUpdateUserAttributesInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	if in.UserAttributes == nil {
		v.add("Value null at 'userAttributes' failed to satisfy constraint: Member must not be null")
	}
	for _, a := range in.UserAttributes {
		attributeName(&v, "userAttributes", a)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// A changed address is sent a code; the CustomMessage webhook composes it first.
	var custom *customMessage
	var p poolView
	var u userView
	err := s.store.View(ctx, func(tx store.ReadTx) (err error) {
		if p, err = s.loadPool(ctx, tx, in.UserPoolId); err != nil || !p.hasTrigger(triggers.TriggerCustomMessage) {
			return err
		}
		u, err = resolveUser(ctx, tx, p, in.Username)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminUpdateUserAttributes", err)
	}
	if p.hasTrigger(triggers.TriggerCustomMessage) && p.sendsAttributeCode(u.rec, in.UserAttributes) {
		draft := u.rec
		draft.Attributes = setAttributes(draft.Attributes, in.UserAttributes)
		if custom, err = s.composeCustomMessage(ctx, p, "", triggers.SourceCustomMessageUpdateUserAttribute, draft, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	err = s.updateUserWithMessage(ctx, "AdminUpdateUserAttributes", in.UserPoolId, in.Username, custom, func(tx store.Tx, p poolView, u *userView) error {
		_, err := s.changeAttributes(ctx, tx, p, u, in.UserAttributes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type AdminDeleteUserAttributesInput struct {
	UserPoolId         string   `json:"UserPoolId"`
	Username           string   `json:"Username"`
	UserAttributeNames []string `json:"UserAttributeNames"`
}

func (s *Service) AdminDeleteUserAttributes(ctx context.Context, _ Caller, in *AdminDeleteUserAttributesInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	if in.UserAttributeNames == nil {
		v.add("Value null at 'userAttributeNames' failed to satisfy constraint: Member must not be null")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.updateUser(ctx, "AdminDeleteUserAttributes", in.UserPoolId, in.Username, func(tx store.Tx, p poolView, u *userView) error {
		return removeAttributes(ctx, tx, p, u, in.UserAttributeNames)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type AdminSetUserPasswordInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	Permanent  bool   `json:"Permanent"`
}

func (s *Service) AdminSetUserPassword(ctx context.Context, _ Caller, in *AdminSetUserPasswordInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	checkPasswordShape(&v, "password", in.Password)
	if err := v.err(); err != nil {
		return nil, err
	}
	_, hash, err := s.hashForPool(ctx, "AdminSetUserPassword", in.UserPoolId, in.Password, false)
	if err != nil {
		return nil, err
	}
	err = s.updateUser(ctx, "AdminSetUserPassword", in.UserPoolId, in.Username, func(tx store.Tx, p poolView, u *userView) error {
		if err := s.setPassword(p, u, hash, in.Password); err != nil {
			return err
		}
		if in.Permanent {
			u.rec.Status = StatusConfirmed
			u.TemporaryPasswordExpiresAt = time.Time{}
		} else {
			u.rec.Status = StatusForceChangePassword
			u.TemporaryPasswordExpiresAt = s.now().Add(time.Duration(*p.passwordPolicy().TemporaryPasswordValidityDays) * 24 * time.Hour)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type AdminResetUserPasswordInput struct {
	UserPoolId     string            `json:"UserPoolId"`
	Username       string            `json:"Username"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

func (s *Service) AdminResetUserPassword(ctx context.Context, _ Caller, in *AdminResetUserPasswordInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.updateUser(ctx, "AdminResetUserPassword", in.UserPoolId, in.Username, func(tx store.Tx, p poolView, u *userView) error {
		if !u.rec.Enabled {
			return newError(ExNotAuthorized, "User is disabled.")
		}
		if _, err := s.sendForgotPasswordCode(ctx, tx, p, u.rec); err != nil {
			return err
		}
		u.rec.Status = StatusResetRequired
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) AdminConfirmSignUp(ctx context.Context, _ Caller, in *AdminUserInput) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var pool poolView
	var confirmed store.User
	err := s.updateUser(ctx, "AdminConfirmSignUp", in.UserPoolId, in.Username, func(tx store.Tx, p poolView, u *userView) error {
		if u.rec.Status != StatusUnconfirmed {
			return newError(ExNotAuthorized, "User cannot be confirmed. Current status is %s", u.rec.Status)
		}
		u.rec.Status = StatusConfirmed
		pool, confirmed = p, u.rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.postConfirmation(ctx, pool, "", triggers.SourcePostConfirmationConfirmSignUp, confirmed, nil); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) setEnabled(ctx context.Context, op string, in *AdminUserInput, enabled bool) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := s.updateUser(ctx, op, in.UserPoolId, in.Username, func(tx store.Tx, p poolView, u *userView) error {
		u.rec.Enabled = enabled
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) AdminDisableUser(ctx context.Context, _ Caller, in *AdminUserInput) (*Empty, error) {
	return s.setEnabled(ctx, "AdminDisableUser", in, false)
}

func (s *Service) AdminEnableUser(ctx context.Context, _ Caller, in *AdminUserInput) (*Empty, error) {
	return s.setEnabled(ctx, "AdminEnableUser", in, true)
}
