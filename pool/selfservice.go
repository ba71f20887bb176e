package pool

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// The self-service operations: the ones an end user calls, unsigned, naming an app client
// (sign-up, confirmation, password recovery) or presenting an access token (password change,
// attribute upkeep, account deletion).

var (
	reSecretHash = anchored(`[\w+=/]+`)
	reCode       = anchored(`[\S]+`)
)

func checkSecretHashShape(v *validator, hash string) {
	if hash != "" && v.length("secretHash", hash, 1, 128) {
		v.pattern("secretHash", hash, reSecretHash)
	}
}

func checkCodeShape(v *validator, field, code string) {
	if v.required(field, code) && v.length(field, code, 1, 2048) {
		v.pattern(field, code, reCode)
	}
}

func checkAttributeName(v *validator, field, name string) {
	if v.required(field, name) && v.length(field, name, 1, 32) {
		v.pattern(field, name, reAttrName)
	}
}

// verifiable are the attributes a code can verify, in the order a sign-up code prefers them.
var verifiable = []string{"phone_number", "email"}

func mediumOf(attr string) string {
	if attr == "phone_number" {
		return "SMS"
	}
	return "EMAIL"
}

func codeMismatch() *Error {
	return newError(ExCodeMismatch, "Invalid verification code provided, please try again.")
}

func expiredCode() *Error {
	return newError(ExExpiredCode, "Invalid code provided, please request a code again.")
}

var (
	errCodeMismatch = &Error{Type: ExCodeMismatch}
	errExpiredCode  = &Error{Type: ExExpiredCode}
)

func unauthorizedAttribute() *Error {
	return newError(ExNotAuthorized, "A client attempted to write unauthorized attribute")
}

// takeCode consumes the code stored under (ns, key) if code is it. The comparison takes the
// same time however much of the code is right; a wrong code leaves the stored one in place,
// so a typo does not cost the user their code.
func takeCode(ctx context.Context, tx store.Tx, ns, key, code string, now time.Time) error {
	e, err := tx.GetEphemeral(ctx, ns, key, now)
	if errors.Is(err, store.ErrNotFound) {
		return expiredCode()
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(e.Value, codeHash(code)) != 1 {
		return codeMismatch()
	}
	// Taking it is what makes it single-use across nodes: of two requests that both matched,
	// only one finds it still there.
	if _, err := tx.TakeEphemeral(ctx, ns, key, now); errors.Is(err, store.ErrNotFound) {
		return expiredCode()
	} else if err != nil {
		return err
	}
	return nil
}

// takeSignUpCode consumes the sign-up code of a user, wherever it was sent, and reports which
// attribute it went to (the one the user has thereby proved they own).
func takeSignUpCode(ctx context.Context, tx store.Tx, poolID, usernameKey, code string, now time.Time) (string, error) {
	result := error(expiredCode())
	for _, attr := range verifiable {
		err := takeCode(ctx, tx, nsSignUpCode, codeKey(poolID, usernameKey, attr), code, now)
		switch {
		case err == nil:
			return attr, nil
		case errors.Is(err, errExpiredCode):
		case errors.Is(err, errCodeMismatch):
			result = err
		default:
			return "", err
		}
	}
	return "", result
}

// dropCodes withdraws the sign-up and verification codes pending for attrs, so that a code
// sent to an address the user no longer has cannot verify the one they have now.
func dropCodes(ctx context.Context, tx store.Tx, poolID, usernameKey string, attrs ...string) error {
	for _, attr := range attrs {
		for _, ns := range []string{nsSignUpCode, nsAttributeCode} {
			if err := tx.DeleteEphemeral(ctx, ns, codeKey(poolID, usernameKey, attr)); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// dropAllCodes withdraws every code a user has pending: a later user of the same name must
// not inherit them.
func dropAllCodes(ctx context.Context, tx store.Tx, poolID, usernameKey string) error {
	if err := dropCodes(ctx, tx, poolID, usernameKey, verifiable...); err != nil {
		return err
	}
	if err := tx.DeleteEphemeral(ctx, nsForgotCode, codeKey(poolID, usernameKey, "password")); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func clearLockout(ctx context.Context, tx store.Tx, poolID, usernameKey string) error {
	if err := tx.DeleteEphemeral(ctx, nsLockout, lockoutKey(poolID, usernameKey)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// signUpAttribute is where a sign-up code goes: an attribute the pool verifies automatically
// and the user has, a phone before an e-mail address as on Cognito.
func (p poolView) signUpAttribute(u store.User) (string, bool) {
	for _, attr := range verifiable {
		if v, ok := u.Attribute(attr); ok && v != "" && slices.Contains(p.AutoVerifiedAttributes, attr) {
			return attr, true
		}
	}
	return "", false
}

func (p poolView) autoVerifies() bool {
	return slices.Contains(p.AutoVerifiedAttributes, "email") || slices.Contains(p.AutoVerifiedAttributes, "phone_number")
}

// sendSignUpCode sends a fresh sign-up code to attr and withdraws any sent earlier to the
// other channel: only the latest code confirms.
func (s *Service) sendSignUpCode(ctx context.Context, tx store.Tx, p poolView, u store.User, attr string) (CodeDeliveryDetails, error) {
	for _, other := range verifiable {
		if other == attr {
			continue
		}
		if err := tx.DeleteEphemeral(ctx, nsSignUpCode, codeKey(p.rec.ID, u.UsernameKey, other)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return CodeDeliveryDetails{}, err
		}
	}
	return s.sendCode(ctx, tx, p, u, mediumOf(attr), KindSignUp, nsSignUpCode, attr, SignUpCodeValidity)
}

// publicCall is a self-service call that names a client and a user, after the client has been
// found and SECRET_HASH checked. found is false when no user has the name.
type publicCall struct {
	authRequest
	user  userView
	found bool
}

func (pc publicCall) hides() bool { return pc.pool.hidesUsers(pc.client) }

// userKey is what the call's limits are counted under: the user's key, or for a name that
// belongs to nobody the key it would have, so that a client hiding users counts (and
// refuses) invented names exactly as real ones.
func (pc publicCall) userKey(name string) string {
	if pc.found {
		return pc.user.rec.UsernameKey
	}
	return pc.pool.usernameKey(name)
}

// openPublic starts a public call. SECRET_HASH is checked whether or not the user exists,
// before anything about the user is told, so a caller without the secret learns nothing.
func (s *Service) openPublic(ctx context.Context, op, clientID, secretHash, username string) (publicCall, error) {
	req, err := s.findClient(ctx, "", clientID)
	if err != nil {
		return publicCall{}, s.storeError(ctx, op, err)
	}
	pc := publicCall{authRequest: req}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		u, err := resolveUser(ctx, tx, req.pool, username)
		if errors.Is(err, ErrUserNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		pc.user, pc.found = u, true
		return nil
	})
	if err != nil {
		return publicCall{}, s.storeError(ctx, op, err)
	}
	names := []string{username}
	if pc.found {
		names = append(names, pc.user.rec.Username)
	}
	if err := s.checkSecretHash(req.client, secretHash, names...); err != nil {
		return publicCall{}, s.storeError(ctx, op, err)
	}
	return pc, nil
}

// reloadUser reads a user found earlier again inside tx, with its pool: it may have been
// deleted, or deleted and its name given to someone else, in between.
func (s *Service) reloadUser(ctx context.Context, tx store.ReadTx, poolID string, found userView) (poolView, userView, error) {
	p, err := s.loadPool(ctx, tx, poolID)
	if err != nil {
		return poolView{}, userView{}, err
	}
	rec, err := tx.GetUser(ctx, poolID, found.rec.UsernameKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Sub != found.rec.Sub) {
		return poolView{}, userView{}, userNotFound()
	}
	if err != nil {
		return poolView{}, userView{}, err
	}
	u, err := decodeUser(rec)
	return p, u, err
}

// saveUser writes u back after a change, with the aliases its attributes now give it.
func (s *Service) saveUser(ctx context.Context, tx store.Tx, p poolView, u *userView) error {
	u.rec.UpdatedAt = s.now()
	u.rec.Aliases = p.aliasesFor(u.rec)
	if err := u.encode(); err != nil {
		return err
	}
	if err := tx.UpdateUser(ctx, u.rec); err != nil {
		if errors.Is(err, store.ErrAliasExists) {
			return newError(ExAliasExists, "An account with the given email already exists.")
		}
		return err
	}
	return nil
}

// simulatedDelivery is what a client that hides users answers for one it will not admit to:
// a masked destination of the kind a real user would have. It is the same for the same name
// every time, so asking again does not tell an invented user from a real one. A name that is
// an address is masked as itself; otherwise medium (the pool's usual channel) decides.
func simulatedDelivery(p poolView, name, medium string) CodeDeliveryDetails {
	var dest string
	switch {
	case reEmail.MatchString(name):
		medium, dest = "EMAIL", name
	case rePhone.MatchString(name):
		medium, dest = "SMS", name
	default:
		h := sha256.Sum256([]byte(p.rec.ID + "|" + p.usernameKey(name)))
		if medium == "SMS" {
			dest = fmt.Sprintf("+1555%07d", (int(h[0])<<16|int(h[1])<<8|int(h[2]))%10000000)
		} else {
			dest = string(rune('a'+h[0]%26)) + "@" + string(rune('a'+h[1]%26)) + ".com"
		}
	}
	attr := "email"
	if medium == "SMS" {
		attr = "phone_number"
	}
	return CodeDeliveryDetails{Destination: maskDestination(medium, dest), DeliveryMedium: medium, AttributeName: attr}
}

// simulateSend answers a send for a user a hiding client will not admit to. It counts the
// attempt as a real send would be counted, so the limit cannot tell the two apart either.
func (s *Service) simulateSend(ctx context.Context, op string, pc publicCall, name, medium string, l limit) (*CodeDeliveryOutput, error) {
	err := s.update(ctx, func(tx store.Tx) error {
		return countLimit(ctx, tx, pc.pool.rec.ID, pc.userKey(name), l, s.now())
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	d := simulatedDelivery(pc.pool, name, medium)
	return &CodeDeliveryOutput{CodeDeliveryDetails: &d}, nil
}

// CodeDeliveryOutput is the output of the operations that send one code.
type CodeDeliveryOutput struct {
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
}

type SignUpInput struct {
	ClientId       string            `json:"ClientId"`
	SecretHash     string            `json:"SecretHash"`
	Username       string            `json:"Username"`
	Password       string            `json:"Password"`
	UserAttributes []AttributeType   `json:"UserAttributes"`
	ValidationData []AttributeType   `json:"ValidationData"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type SignUpOutput struct {
	UserConfirmed       bool                 `json:"UserConfirmed"`
	CodeDeliveryDetails *CodeDeliveryDetails `json:"CodeDeliveryDetails,omitempty"`
	UserSub             string               `json:"UserSub"`
}

// checkWritable enforces what a user may write about themselves: never whether an address is
// verified (only a code proves that), and only the client's WriteAttributes when it lists any.
func checkWritable(c clientView, names []string) error {
	for _, n := range names {
		if n == "email_verified" || n == "phone_number_verified" {
			return unauthorizedAttribute()
		}
		if len(c.WriteAttributes) > 0 && !slices.Contains(c.WriteAttributes, n) {
			return unauthorizedAttribute()
		}
	}
	return nil
}

func attributeNames(attrs []AttributeType) []string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	return names
}

// signUpUser builds the record SignUp creates. It is pure, so SignUp can run it once before
// the slow password hash (to refuse bad input cheaply) and again inside the transaction.
func signUpUser(p poolView, in *SignUpInput, sub, hash string, now time.Time) (userView, error) {
	if err := checkAttributes(p, in.UserAttributes, true); err != nil {
		return userView{}, err
	}
	username, attrs, err := placeUsername(p, in.Username, sub, setAttributes(nil, in.UserAttributes))
	if err != nil {
		return userView{}, err
	}
	u := userView{rec: store.User{
		PoolID: p.rec.ID, Username: username, UsernameKey: p.usernameKey(username), Sub: sub,
		Status: StatusUnconfirmed, Enabled: true, Attributes: attrs, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now,
	}}
	if err := checkRequired(p, u.rec); err != nil {
		return userView{}, err
	}
	return u, nil
}

// signUpAliasError turns a taken alias into what SignUp answers. Where the e-mail address or
// phone number is the username, it must be unique from the start and a taken one is a taken
// username; aliases proper only collide at confirmation.
func signUpAliasError(p poolView, name string, err error) error {
	if len(p.UsernameAttributes) == 0 {
		return err
	}
	var e *Error
	if errors.As(err, &e) && e.Type == ExAliasExists {
		return &Error{Type: ExUsernameExists, Message: e.Message}
	}
	if errors.Is(err, store.ErrAliasExists) {
		word := "email"
		if rePhone.MatchString(name) {
			word = aliasWord("phone_number")
		}
		return newError(ExUsernameExists, "An account with the given %s already exists.", word)
	}
	return err
}

func (s *Service) SignUp(ctx context.Context, _ Caller, in *SignUpInput) (*SignUpOutput, error) {
	var v validator
	checkClientID(&v, in.ClientId)
	checkSecretHashShape(&v, in.SecretHash)
	checkUsername(&v, in.Username)
	checkPasswordShape(&v, "password", in.Password)
	for _, a := range in.UserAttributes {
		attributeName(&v, "userAttributes", a)
	}
	for _, a := range in.ValidationData {
		attributeName(&v, "validationData", a)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, "", in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "SignUp", err)
	}
	if err := s.checkSecretHash(req.client, in.SecretHash, in.Username); err != nil {
		return nil, s.storeError(ctx, "SignUp", err)
	}
	if req.pool.AdminCreateUserConfig != nil && req.pool.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		return nil, newError(ExNotAuthorized, "SignUp is not permitted for this user pool")
	}
	if err := checkWritable(req.client, attributeNames(in.UserAttributes)); err != nil {
		return nil, err
	}
	draft, err := signUpUser(req.pool, in, "", "", s.now())
	if err != nil {
		return nil, err
	}
	if err := checkPasswordPolicy(req.pool.passwordPolicy(), in.Password); err != nil {
		return nil, err
	}
	pre, err := s.preSignUp(ctx, req.pool, req.client.rec.ClientID, triggers.SourcePreSignUpSignUp, in.Username,
		in.UserAttributes, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	sub := newUUID()
	var custom *customMessage
	if _, sends := req.pool.signUpAttribute(draft.rec); sends && !pre.AutoConfirmUser {
		draft.rec.Sub = sub
		if draft.rec.Username == "" {
			draft.rec.Username = sub // the username is the sub where an address is the sign-in name
		}
		if custom, err = s.composeCustomMessage(ctx, req.pool, req.client.rec.ClientID, triggers.SourceCustomMessageSignUp,
			draft.rec, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, s.storeError(ctx, "SignUp", err)
	}
	var out SignUpOutput
	err = s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		out = SignUpOutput{UserSub: sub}
		p, err := s.loadPool(ctx, tx, req.pool.rec.ID)
		if err != nil {
			return err
		}
		u, err := signUpUser(p, in, sub, hash, s.now())
		if err != nil {
			return err
		}
		applyAutoConfirm(&u, pre)
		out.UserConfirmed = u.rec.Status == StatusConfirmed
		if err := s.setPassword(p, &u, hash, in.Password); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, p.rec.ID, u.rec.UsernameKey); err == nil {
			return newError(ExUsernameExists, "User already exists")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.claimAliases(ctx, tx, p, &u.rec, false); err != nil {
			return signUpAliasError(p, in.Username, err)
		}
		if err := u.encode(); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u.rec); err != nil {
			switch {
			case errors.Is(err, store.ErrAlreadyExists):
				return newError(ExUsernameExists, "User already exists")
			case errors.Is(err, store.ErrAliasExists) && len(p.UsernameAttributes) > 0:
				return signUpAliasError(p, in.Username, err)
			case errors.Is(err, store.ErrAliasExists):
				return newError(ExAliasExists, "An account with the given email already exists.")
			}
			return err
		}
		if attr, ok := p.signUpAttribute(u.rec); ok && !out.UserConfirmed {
			d, err := s.sendSignUpCode(ctx, tx, p, u.rec, attr)
			if err != nil {
				return err
			}
			out.CodeDeliveryDetails = &d
		}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "SignUp", err)
	}
	s.log.InfoContext(ctx, "user signed up", "pool", req.pool.rec.ID, "sub", sub)
	return &out, nil
}

type ConfirmSignUpInput struct {
	ClientId           string            `json:"ClientId"`
	SecretHash         string            `json:"SecretHash"`
	Username           string            `json:"Username"`
	ConfirmationCode   string            `json:"ConfirmationCode"`
	ForceAliasCreation bool              `json:"ForceAliasCreation"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
}

// failHidden answers a code check for a user a hiding client will not admit to: the wrong
// code it would be for a real user, counted as a real failure would be.
func (s *Service) failHidden(ctx context.Context, op string, pc publicCall, name string, l limit) error {
	err := s.update(ctx, func(tx store.Tx) error {
		return countLimit(ctx, tx, pc.pool.rec.ID, pc.userKey(name), l, s.now())
	})
	if err != nil {
		return s.storeError(ctx, op, err)
	}
	return codeMismatch()
}

func (s *Service) ConfirmSignUp(ctx context.Context, _ Caller, in *ConfirmSignUpInput) (*Empty, error) {
	var v validator
	checkClientID(&v, in.ClientId)
	checkSecretHashShape(&v, in.SecretHash)
	checkUsername(&v, in.Username)
	checkCodeShape(&v, "confirmationCode", in.ConfirmationCode)
	if err := v.err(); err != nil {
		return nil, err
	}
	pc, err := s.openPublic(ctx, "ConfirmSignUp", in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if !pc.found {
		if !pc.hides() {
			return nil, userNotFound()
		}
		return nil, s.failHidden(ctx, "ConfirmSignUp", pc, in.Username, limitConfirmSignUp)
	}
	var mismatch bool
	var confirmed store.User
	err = s.update(ctx, func(tx store.Tx) error {
		mismatch = false
		p, u, err := s.reloadUser(ctx, tx, pc.pool.rec.ID, pc.user)
		if err != nil {
			return err
		}
		if u.rec.Status != StatusUnconfirmed {
			return newError(ExNotAuthorized, "User cannot be confirmed. Current status is %s", u.rec.Status)
		}
		now := s.now()
		if err := checkLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitConfirmSignUp, now); err != nil {
			return err
		}
		attr, err := takeSignUpCode(ctx, tx, p.rec.ID, u.rec.UsernameKey, in.ConfirmationCode, now)
		if errors.Is(err, errCodeMismatch) {
			// Committed rather than returned, so that the failure is counted.
			mismatch = true
			return countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitConfirmSignUp, now)
		}
		if err != nil {
			return err
		}
		u.rec.Status = StatusConfirmed
		if value, _ := u.rec.Attribute(attr); value != "" {
			u.rec.Attributes = setAttributes(u.rec.Attributes, []AttributeType{{Name: attr + "_verified", Value: "true"}})
		}
		// Only now, with the address proved, does it become an alias, and only now can it
		// collide with someone else's.
		if err := s.claimAliases(ctx, tx, p, &u.rec, in.ForceAliasCreation); err != nil {
			return err
		}
		confirmed = u.rec
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "ConfirmSignUp", err)
	}
	if mismatch {
		return nil, codeMismatch()
	}
	if err := s.postConfirmation(ctx, pc.pool, pc.client.rec.ClientID, triggers.SourcePostConfirmationConfirmSignUp, confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type ResendConfirmationCodeInput struct {
	ClientId       string            `json:"ClientId"`
	SecretHash     string            `json:"SecretHash"`
	Username       string            `json:"Username"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

func (s *Service) ResendConfirmationCode(ctx context.Context, _ Caller, in *ResendConfirmationCodeInput) (*CodeDeliveryOutput, error) {
	const op = "ResendConfirmationCode"
	var v validator
	checkClientID(&v, in.ClientId)
	checkSecretHashShape(&v, in.SecretHash)
	checkUsername(&v, in.Username)
	if err := v.err(); err != nil {
		return nil, err
	}
	pc, err := s.openPublic(ctx, op, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	// A setting of the pool, not of the user, so it is said whoever asks.
	if !pc.pool.autoVerifies() {
		return nil, invalidParameter("Cannot resend codes. Auto verification not turned on.")
	}
	medium := "EMAIL"
	if slices.Contains(pc.pool.AutoVerifiedAttributes, "phone_number") {
		medium = "SMS"
	}
	switch {
	case !pc.found && pc.hides(), pc.found && !pc.user.rec.Enabled && pc.hides():
		return s.simulateSend(ctx, op, pc, in.Username, medium, limitResendCode)
	case !pc.found:
		return nil, userNotFound()
	case !pc.user.rec.Enabled:
		return nil, newError(ExNotAuthorized, "User is disabled.")
	case pc.user.rec.Status != StatusUnconfirmed:
		return nil, invalidParameter("User is already confirmed.")
	}
	if _, ok := pc.pool.signUpAttribute(pc.user.rec); !ok {
		if pc.hides() {
			return s.simulateSend(ctx, op, pc, in.Username, medium, limitResendCode)
		}
		return nil, invalidParameter("Cannot resend codes. The user has no email or phone_number that the user pool verifies.")
	}
	custom, err := s.composeCustomMessage(ctx, pc.pool, pc.client.rec.ClientID, triggers.SourceCustomMessageResendCode,
		pc.user.rec, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	var out CodeDeliveryOutput
	err = s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, pc.pool.rec.ID, pc.user)
		if err != nil {
			return err
		}
		if u.rec.Status != StatusUnconfirmed {
			return invalidParameter("User is already confirmed.")
		}
		attr, ok := p.signUpAttribute(u.rec)
		if !ok {
			return invalidParameter("Cannot resend codes. The user has no email or phone_number that the user pool verifies.")
		}
		if err := countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitResendCode, s.now()); err != nil {
			return err
		}
		d, err := s.sendSignUpCode(ctx, tx, p, u.rec, attr)
		out.CodeDeliveryDetails = &d
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &out, nil
}

type ForgotPasswordInput struct {
	ClientId       string            `json:"ClientId"`
	SecretHash     string            `json:"SecretHash"`
	Username       string            `json:"Username"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// recoveryPreference is the channel a simulated recovery answer names: the first in the pool's
// recovery order among those it verifies automatically (the ones its users are likely to have
// verified), else the first in that order.
func (p poolView) recoveryPreference() string {
	var likely store.User
	for _, attr := range verifiable {
		if slices.Contains(p.AutoVerifiedAttributes, attr) {
			likely.Attributes = append(likely.Attributes, AttributeType{Name: attr + "_verified", Value: "true"})
		}
	}
	both := store.User{Attributes: []AttributeType{{Name: "email_verified", Value: "true"}, {Name: "phone_number_verified", Value: "true"}}}
	for _, u := range []store.User{likely, both} {
		if medium, ok := p.recoveryMedium(u); ok {
			return medium
		}
	}
	return "EMAIL"
}

func (s *Service) ForgotPassword(ctx context.Context, _ Caller, in *ForgotPasswordInput) (*CodeDeliveryOutput, error) {
	const op = "ForgotPassword"
	var v validator
	checkClientID(&v, in.ClientId)
	checkSecretHashShape(&v, in.SecretHash)
	checkUsername(&v, in.Username)
	if err := v.err(); err != nil {
		return nil, err
	}
	pc, err := s.openPublic(ctx, op, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if !pc.found && pc.pool.hasTrigger(triggers.TriggerUserMigration) {
		// An unknown name may be a user still in the old directory (see migrate.go).
		u, found, err := s.migrateUser(ctx, pc.authRequest, triggers.SourceUserMigrationForgotPassword, in.Username, "", nil, in.ClientMetadata)
		switch {
		case errors.Is(err, errMigratedMeanwhile):
			if pc, err = s.openPublic(ctx, op, in.ClientId, in.SecretHash, in.Username); err != nil {
				return nil, err
			}
		case err != nil && pc.hides() && hiddenMigrationFailure(err):
			s.log.InfoContext(ctx, "user migration refused", "pool", pc.pool.rec.ID, "err", err)
		case err != nil:
			return nil, err
		case found:
			pc.user, pc.found = u, true
		}
	}
	var refusal error
	switch {
	case !pc.found:
		refusal = userNotFound()
	case !pc.user.rec.Enabled:
		refusal = newError(ExNotAuthorized, "User is disabled.")
	default:
		if _, ok := pc.pool.recoveryMedium(pc.user.rec); !ok {
			refusal = invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
		}
	}
	if refusal != nil {
		if pc.hides() {
			return s.simulateSend(ctx, op, pc, in.Username, pc.pool.recoveryPreference(), limitForgotPassword)
		}
		return nil, refusal
	}
	custom, err := s.composeCustomMessage(ctx, pc.pool, pc.client.rec.ClientID, triggers.SourceCustomMessageForgotPassword,
		pc.user.rec, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	var out CodeDeliveryOutput
	err = s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, pc.pool.rec.ID, pc.user)
		if err != nil {
			return err
		}
		if err := countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitForgotPassword, s.now()); err != nil {
			return err
		}
		d, err := s.sendForgotPasswordCode(ctx, tx, p, u.rec)
		out.CodeDeliveryDetails = &d
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &out, nil
}

type ConfirmForgotPasswordInput struct {
	ClientId         string            `json:"ClientId"`
	SecretHash       string            `json:"SecretHash"`
	Username         string            `json:"Username"`
	ConfirmationCode string            `json:"ConfirmationCode"`
	Password         string            `json:"Password"`
	ClientMetadata   map[string]string `json:"ClientMetadata"`
}

func (s *Service) ConfirmForgotPassword(ctx context.Context, _ Caller, in *ConfirmForgotPasswordInput) (*Empty, error) {
	const op = "ConfirmForgotPassword"
	var v validator
	checkClientID(&v, in.ClientId)
	checkSecretHashShape(&v, in.SecretHash)
	checkUsername(&v, in.Username)
	checkCodeShape(&v, "confirmationCode", in.ConfirmationCode)
	checkPasswordShape(&v, "password", in.Password)
	if err := v.err(); err != nil {
		return nil, err
	}
	pc, err := s.openPublic(ctx, op, in.ClientId, in.SecretHash, in.Username)
	if err != nil {
		return nil, err
	}
	if !pc.found || !pc.user.rec.Enabled {
		switch {
		case !pc.hides() && !pc.found:
			return nil, userNotFound()
		case !pc.hides():
			return nil, newError(ExNotAuthorized, "User is disabled.")
		}
	}
	if err := checkPasswordPolicy(pc.pool.passwordPolicy(), in.Password); err != nil {
		return nil, err
	}
	// The limit is checked before the slow hash, so guessing costs the server no more than
	// the limit allows.
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		return checkLimit(ctx, tx, pc.pool.rec.ID, pc.userKey(in.Username), limitConfirmForgot, s.now())
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	if !pc.found || !pc.user.rec.Enabled {
		s.dummyVerify(ctx, in.Password) // the time a real user's new hash takes, so timing tells nothing
		return nil, s.failHidden(ctx, op, pc, in.Username, limitConfirmForgot)
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	var mismatch bool
	var confirmed store.User
	err = s.update(ctx, func(tx store.Tx) error {
		mismatch = false
		p, u, err := s.reloadUser(ctx, tx, pc.pool.rec.ID, pc.user)
		if err != nil {
			return err
		}
		now := s.now()
		if err := checkLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitConfirmForgot, now); err != nil {
			return err
		}
		err = takeCode(ctx, tx, nsForgotCode, codeKey(p.rec.ID, u.rec.UsernameKey, "password"), in.ConfirmationCode, now)
		if errors.Is(err, errCodeMismatch) {
			mismatch = true
			return countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitConfirmForgot, now)
		}
		if err != nil {
			return err
		}
		if err := s.setPassword(p, &u, hash, in.Password); err != nil {
			return err
		}
		u.rec.Status = StatusConfirmed
		u.TemporaryPasswordExpiresAt = time.Time{}
		// Whoever proved they own the recovery address may sign in at once, whatever someone
		// guessing at the password has done to the lockout.
		if err := clearLockout(ctx, tx, p.rec.ID, u.rec.UsernameKey); err != nil {
			return err
		}
		confirmed = u.rec
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	if mismatch {
		return nil, codeMismatch()
	}
	if err := s.postConfirmation(ctx, pc.pool, pc.client.rec.ClientID, triggers.SourcePostConfirmationConfirmForgotPassword, confirmed, in.ClientMetadata); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type ChangePasswordInput struct {
	PreviousPassword string `json:"PreviousPassword"`
	ProposedPassword string `json:"ProposedPassword"`
	AccessToken      string `json:"AccessToken"`
}

func (s *Service) ChangePassword(ctx context.Context, _ Caller, in *ChangePasswordInput) (*Empty, error) {
	const op = "ChangePassword"
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	checkPasswordShape(&v, "previousPassword", in.PreviousPassword)
	checkPasswordShape(&v, "proposedPassword", in.ProposedPassword)
	if err := v.err(); err != nil {
		return nil, err
	}
	poolID, userKey := a.pool.rec.ID, a.user.rec.UsernameKey
	var locked lockout
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		now := s.now()
		if err := checkLimit(ctx, tx, poolID, userKey, limitChangePassword, now); err != nil {
			return err
		}
		locked, err = readLockout(ctx, tx, poolID, userKey, now)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	if s.now().Before(locked.LockedUntil) {
		return nil, newError(ExNotAuthorized, "Password attempts exceeded")
	}
	if err := checkPasswordPolicy(a.pool.passwordPolicy(), in.ProposedPassword); err != nil {
		return nil, err
	}
	ok := false
	if a.user.rec.PasswordHash == "" {
		s.dummyVerify(ctx, in.PreviousPassword)
	} else if ok, err = s.verifyPassword(ctx, in.PreviousPassword, a.user.rec.PasswordHash); err != nil {
		if ctx.Err() != nil {
			return nil, s.storeError(ctx, op, err) // no attempt was made (see passwordAuth)
		}
		s.log.ErrorContext(ctx, "stored password hash is malformed", "pool", poolID, "sub", a.user.rec.Sub)
		ok = false
	}
	if !ok {
		// A stolen access token must not become a way around the sign-in lockout.
		if err := s.recordFailure(ctx, poolID, userKey); err != nil {
			return nil, s.storeError(ctx, op, err)
		}
		if err := s.countFailure(ctx, poolID, userKey, limitChangePassword); err != nil {
			return nil, s.storeError(ctx, op, err)
		}
		return nil, incorrectPassword()
	}
	hash, err := s.hashPassword(ctx, in.ProposedPassword)
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, poolID, a.user)
		if err != nil {
			return err
		}
		// The previous password was checked against the hash read before; if it has changed
		// since, that check proved nothing.
		if u.rec.PasswordHash != a.user.rec.PasswordHash {
			return incorrectPassword()
		}
		if err := s.setPassword(p, &u, hash, in.ProposedPassword); err != nil {
			return err
		}
		if err := clearLockout(ctx, tx, poolID, userKey); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &Empty{}, nil
}

// tokenClient is the app client an access token was issued to, whose WriteAttributes bound
// what its holder may change.
func (s *Service) tokenClient(ctx context.Context, op string, a accessUser) (clientView, error) {
	var c clientView
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		rec, err := tx.GetClient(ctx, a.pool.rec.ID, a.claims.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			return invalidAccessToken()
		}
		if err != nil {
			return err
		}
		c, err = decodeClient(rec)
		return err
	})
	if err != nil {
		return clientView{}, s.storeError(ctx, op, err)
	}
	return c, nil
}

// changeAttributes applies attribute changes to u for AdminUpdateUserAttributes and
// UpdateUserAttributes alike, and sends a code for each changed e-mail address or phone number
// the pool verifies automatically, reporting where they went. A changed address is unverified
// unless the same call says otherwise (only an administrator may), and loses any code sent to
// it before.
func (s *Service) changeAttributes(ctx context.Context, tx store.Tx, p poolView, u *userView, attrs []AttributeType) ([]CodeDeliveryDetails, error) {
	if err := checkAttributes(p, attrs, false); err != nil {
		return nil, err
	}
	changes := slices.Clone(attrs)
	var toVerify []string
	for _, kind := range []string{"email", "phone_number"} {
		i := slices.IndexFunc(changes, func(a AttributeType) bool { return a.Name == kind })
		if i < 0 {
			continue
		}
		old, _ := u.rec.Attribute(kind)
		if changes[i].Value == old {
			continue
		}
		if err := dropCodes(ctx, tx, p.rec.ID, u.rec.UsernameKey, kind); err != nil {
			return nil, err
		}
		if slices.IndexFunc(changes, func(a AttributeType) bool { return a.Name == kind+"_verified" }) < 0 {
			changes = append(changes, AttributeType{Name: kind + "_verified", Value: "false"})
			if changes[i].Value != "" && slices.Contains(p.AutoVerifiedAttributes, kind) {
				toVerify = append(toVerify, kind)
			}
		}
	}
	u.rec.Attributes = setAttributes(u.rec.Attributes, changes)
	if err := checkRequired(p, u.rec); err != nil {
		return nil, err
	}
	if err := s.claimAliases(ctx, tx, p, &u.rec, false); err != nil {
		return nil, err
	}
	var sent []CodeDeliveryDetails
	for _, kind := range toVerify {
		d, err := s.sendAttributeCode(ctx, tx, p, u.rec, kind)
		if err != nil {
			return nil, err
		}
		sent = append(sent, d)
	}
	return sent, nil
}

// sendsAttributeCode says whether changing u's attributes to attrs sends a verification
// code (see changeAttributes), so that the CustomMessage webhook is asked only then.
func (p poolView) sendsAttributeCode(u store.User, attrs []AttributeType) bool {
	for _, a := range attrs {
		if a.Name != "email" && a.Name != "phone_number" || a.Value == "" || !slices.Contains(p.AutoVerifiedAttributes, a.Name) {
			continue
		}
		if old, _ := u.Attribute(a.Name); old != a.Value {
			return true
		}
	}
	return false
}

// removeAttributes deletes attributes from u for AdminDeleteUserAttributes and
// DeleteUserAttributes alike. An address goes with its verified flag and pending codes.
func removeAttributes(ctx context.Context, tx store.Tx, p poolView, u *userView, names []string) error {
	var changes []AttributeType
	for _, name := range names {
		changes = append(changes, AttributeType{Name: name})
		if name == "email" || name == "phone_number" {
			changes = append(changes, AttributeType{Name: name + "_verified"})
			if err := dropCodes(ctx, tx, p.rec.ID, u.rec.UsernameKey, name); err != nil {
				return err
			}
		}
	}
	if err := checkAttributes(p, changes, false); err != nil {
		return err
	}
	u.rec.Attributes = setAttributes(u.rec.Attributes, changes)
	if err := checkRequired(p, u.rec); err != nil {
		return err
	}
	u.rec.Aliases = p.aliasesFor(u.rec)
	return nil
}

type UpdateUserAttributesInput struct {
	UserAttributes []AttributeType   `json:"UserAttributes"`
	AccessToken    string            `json:"AccessToken"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type UpdateUserAttributesOutput struct {
	CodeDeliveryDetailsList []CodeDeliveryDetails `json:"CodeDeliveryDetailsList,omitempty"`
}

func (s *Service) UpdateUserAttributes(ctx context.Context, _ Caller, in *UpdateUserAttributesInput) (*UpdateUserAttributesOutput, error) {
	const op = "UpdateUserAttributes"
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	if in.UserAttributes == nil {
		v.add("Value null at 'userAttributes' failed to satisfy constraint: Member must not be null")
	}
	for _, attr := range in.UserAttributes {
		attributeName(&v, "userAttributes", attr)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	c, err := s.tokenClient(ctx, op, a)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(c, attributeNames(in.UserAttributes)); err != nil {
		return nil, err
	}
	var custom *customMessage
	if a.pool.sendsAttributeCode(a.user.rec, in.UserAttributes) {
		draft := a.user.rec
		draft.Attributes = setAttributes(draft.Attributes, in.UserAttributes)
		if custom, err = s.composeCustomMessage(ctx, a.pool, c.rec.ClientID, triggers.SourceCustomMessageUpdateUserAttribute,
			draft, in.ClientMetadata); err != nil {
			return nil, err
		}
	}
	var out UpdateUserAttributesOutput
	err = s.updateUserWithMessage(ctx, op, a.pool.rec.ID, a.user.rec.Username, custom, func(tx store.Tx, p poolView, u *userView) error {
		if u.rec.Sub != a.user.rec.Sub {
			return userNotFound()
		}
		var err error
		out.CodeDeliveryDetailsList, err = s.changeAttributes(ctx, tx, p, u, in.UserAttributes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type DeleteUserAttributesInput struct {
	UserAttributeNames []string `json:"UserAttributeNames"`
	AccessToken        string   `json:"AccessToken"`
}

func (s *Service) DeleteUserAttributes(ctx context.Context, _ Caller, in *DeleteUserAttributesInput) (*Empty, error) {
	const op = "DeleteUserAttributes"
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	if in.UserAttributeNames == nil {
		v.add("Value null at 'userAttributeNames' failed to satisfy constraint: Member must not be null")
	}
	for _, name := range in.UserAttributeNames {
		checkAttributeName(&v, "userAttributeNames.member", name)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if len(in.UserAttributeNames) == 0 {
		return &Empty{}, nil
	}
	c, err := s.tokenClient(ctx, op, a)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(c, in.UserAttributeNames); err != nil {
		return nil, err
	}
	err = s.updateUser(ctx, op, a.pool.rec.ID, a.user.rec.Username, func(tx store.Tx, p poolView, u *userView) error {
		if u.rec.Sub != a.user.rec.Sub {
			return userNotFound()
		}
		return removeAttributes(ctx, tx, p, u, in.UserAttributeNames)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

func (s *Service) DeleteUser(ctx context.Context, _ Caller, in *AccessTokenInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, p.rec.ID, u.rec.UsernameKey); err != nil {
			return err
		}
		return dropAllCodes(ctx, tx, p.rec.ID, u.rec.UsernameKey)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteUser", err)
	}
	s.log.InfoContext(ctx, "user deleted itself", "pool", a.pool.rec.ID, "sub", a.user.rec.Sub)
	return &Empty{}, nil
}

type GetUserAttributeVerificationCodeInput struct {
	AccessToken    string            `json:"AccessToken"`
	AttributeName  string            `json:"AttributeName"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// verifiableValue is the value of attr that a code would verify, refusing attributes no code
// can verify and ones the user does not have.
func verifiableValue(u store.User, attr string) (string, error) {
	if !slices.Contains(verifiable, attr) {
		return "", invalidParameter("Only email and phone_number can be verified; %s cannot.", attr)
	}
	value, _ := u.Attribute(attr)
	if value == "" {
		return "", invalidParameter("The user has no %s to verify.", attr)
	}
	return value, nil
}

func (s *Service) GetUserAttributeVerificationCode(ctx context.Context, _ Caller, in *GetUserAttributeVerificationCodeInput) (*CodeDeliveryOutput, error) {
	const op = "GetUserAttributeVerificationCode"
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	checkAttributeName(&v, "attributeName", in.AttributeName)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := verifiableValue(a.user.rec, in.AttributeName); err != nil {
		return nil, err
	}
	custom, err := s.composeCustomMessage(ctx, a.pool, a.claims.ClientID, triggers.SourceCustomMessageVerifyUserAttribute,
		a.user.rec, in.ClientMetadata)
	if err != nil {
		return nil, err
	}
	var out CodeDeliveryOutput
	err = s.updateWithMessage(ctx, custom, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		if _, err := verifiableValue(u.rec, in.AttributeName); err != nil {
			return err
		}
		if err := countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitAttributeCode, s.now()); err != nil {
			return err
		}
		d, err := s.sendAttributeCode(ctx, tx, p, u.rec, in.AttributeName)
		out.CodeDeliveryDetails = &d
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &out, nil
}

type VerifyUserAttributeInput struct {
	AccessToken   string `json:"AccessToken"`
	AttributeName string `json:"AttributeName"`
	Code          string `json:"Code"`
}

func (s *Service) VerifyUserAttribute(ctx context.Context, _ Caller, in *VerifyUserAttributeInput) (*Empty, error) {
	const op = "VerifyUserAttribute"
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	var v validator
	checkAttributeName(&v, "attributeName", in.AttributeName)
	checkCodeShape(&v, "code", in.Code)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := verifiableValue(a.user.rec, in.AttributeName); err != nil {
		return nil, err
	}
	var mismatch bool
	err = s.update(ctx, func(tx store.Tx) error {
		mismatch = false
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		if _, err := verifiableValue(u.rec, in.AttributeName); err != nil {
			return err
		}
		now := s.now()
		if err := checkLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitVerifyAttribute, now); err != nil {
			return err
		}
		err = takeCode(ctx, tx, nsAttributeCode, codeKey(p.rec.ID, u.rec.UsernameKey, in.AttributeName), in.Code, now)
		if errors.Is(err, errCodeMismatch) {
			mismatch = true
			return countLimit(ctx, tx, p.rec.ID, u.rec.UsernameKey, limitVerifyAttribute, now)
		}
		if err != nil {
			return err
		}
		u.rec.Attributes = setAttributes(u.rec.Attributes, []AttributeType{{Name: in.AttributeName + "_verified", Value: "true"}})
		if err := s.claimAliases(ctx, tx, p, &u.rec, false); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	if mismatch {
		return nil, codeMismatch()
	}
	return &Empty{}, nil
}
