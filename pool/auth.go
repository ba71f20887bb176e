package pool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// Auth flows and challenges.
const (
	FlowUserPassword      = "USER_PASSWORD_AUTH"
	FlowAdminUserPassword = "ADMIN_USER_PASSWORD_AUTH"
	FlowAdminNoSRP        = "ADMIN_NO_SRP_AUTH"
	FlowRefreshToken      = "REFRESH_TOKEN_AUTH"
	FlowRefresh           = "REFRESH_TOKEN"
	FlowUserSRP           = "USER_SRP_AUTH"
	FlowCustom            = "CUSTOM_AUTH"
	FlowUserAuth          = "USER_AUTH"

	ChallengeNewPasswordRequired = "NEW_PASSWORD_REQUIRED"
)

type AuthenticationResult struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	ExpiresIn    int32  `json:"ExpiresIn,omitempty"`
	TokenType    string `json:"TokenType,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IdToken      string `json:"IdToken,omitempty"`
	// NewDeviceMetadata names a new device, in pools that track devices.
	NewDeviceMetadata *NewDeviceMetadata `json:"NewDeviceMetadata,omitempty"`
}

// AuthOutput is the shape shared by the four sign-in operations' outputs.
type AuthOutput struct {
	ChallengeName        string                `json:"ChallengeName,omitempty"`
	Session              string                `json:"Session,omitempty"`
	ChallengeParameters  map[string]string     `json:"ChallengeParameters"`
	AuthenticationResult *AuthenticationResult `json:"AuthenticationResult,omitempty"`
	// proved is the user a hosted sign-in proved, in place of tokens.
	proved *SignedInUser
}

type InitiateAuthInput struct {
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
	ClientId       string            `json:"ClientId"`
}

type AdminInitiateAuthInput struct {
	UserPoolId string `json:"UserPoolId"`
	InitiateAuthInput
}

type RespondToAuthChallengeInput struct {
	ClientId           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
}

type AdminRespondToAuthChallengeInput struct {
	UserPoolId string `json:"UserPoolId"`
	RespondToAuthChallengeInput
}

// authRequest is a sign-in call after its client has been found.
type authRequest struct {
	admin  bool
	pool   poolView
	client clientView
	// requestedDevice is the DEVICE_KEY the client named; deviceKey the device this sign-in
	// is bound to (proved, or just issued), which the access token names.
	requestedDevice string
	deviceKey       string
	deviceProved    bool
	// clientMetadata is the call's ClientMetadata. InitiateAuth's reaches the pre
	// authentication and migration triggers as their validationData, as on Cognito.
	clientMetadata map[string]string
	// tokenSource is the pre token generation triggerSource of the tokens this call mints;
	// empty means TokenGeneration_Authentication.
	tokenSource string
	// noMigration is set once a sign-in has asked the migration trigger about its user.
	noMigration bool
	// hosted marks a sign-in through the hosted pages: it proves who the user is and mints
	// nothing (the authorization code or implicit grant that follows does), and the pages,
	// being the server itself, need no SECRET_HASH.
	hosted bool
	// scopes are the OAuth scopes the tokens carry; nil for API sign-ins, whose access
	// tokens carry aws.cognito.signin.user.admin. nonce goes into an OAuth ID token.
	scopes []string
	nonce  string
}

func checkAuthParameters(v *validator, params map[string]string) {
	for k, val := range params {
		if len(k) > 128 || len(val) > 4096 {
			v.add("Value at 'authParameters' failed to satisfy constraint: keys must be at most 128 and values at most 4096 characters")
			return
		}
	}
}

// findClient resolves the client of a sign-in call; poolID is empty for the public
// operations, which name only the client.
func (s *Service) findClient(ctx context.Context, poolID, clientID string) (authRequest, error) {
	var req authRequest
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		var rec store.Client
		var err error
		if poolID == "" {
			rec, err = tx.FindClient(ctx, clientID)
		} else {
			rec, err = s.loadClient(ctx, tx, poolID, clientID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return clientNotFound(clientID)
		}
		if err != nil {
			return err
		}
		if req.client, err = decodeClient(rec); err != nil {
			return err
		}
		req.pool, err = s.loadPool(ctx, tx, rec.PoolID)
		return err
	})
	return req, err
}

// checkSecretHash enforces SECRET_HASH for clients with a secret: Base64(HMAC-SHA256(secret,
// username + clientId)), compared in constant time. Any of names may be the username the
// caller used (the username, an alias, or for refresh the sub).
func (s *Service) checkSecretHash(c clientView, given string, names ...string) error {
	if c.trusted {
		return nil
	}
	secret, err := s.clientSecret(c)
	if err != nil {
		return err
	}
	if secret == "" {
		return nil
	}
	if given == "" {
		return newError(ExNotAuthorized, "Client %s is configured with secret but SECRET_HASH was not received", c.rec.ClientID)
	}
	ok := 0
	for _, name := range names {
		if name == "" {
			continue
		}
		ok |= subtle.ConstantTimeCompare([]byte(computeSecretHash(secret, name, c.rec.ClientID)), []byte(given))
	}
	if ok != 1 {
		return newError(ExNotAuthorized, "Unable to verify secret hash for client %s", c.rec.ClientID)
	}
	return nil
}

// computeSecretHash is Cognito's SECRET_HASH: Base64(HMAC-SHA256(secret, username + clientId)).
func computeSecretHash(secret, username, clientID string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Service) InitiateAuth(ctx context.Context, _ Caller, in *InitiateAuthInput) (*AuthOutput, error) {
	var v validator
	if v.required("authFlow", in.AuthFlow) {
		v.oneOf("authFlow", in.AuthFlow, FlowUserSRP, FlowRefreshToken, FlowRefresh, FlowCustom, FlowAdminNoSRP, FlowUserPassword, FlowAdminUserPassword, FlowUserAuth)
	}
	checkClientID(&v, in.ClientId)
	checkAuthParameters(&v, in.AuthParameters)
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, "", in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	switch in.AuthFlow {
	case FlowAdminNoSRP, FlowAdminUserPassword:
		return nil, invalidParameter("Initiate Auth method not supported.")
	}
	return s.initiate(ctx, req, in)
}

func (s *Service) AdminInitiateAuth(ctx context.Context, _ Caller, in *AdminInitiateAuthInput) (*AuthOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if v.required("authFlow", in.AuthFlow) {
		v.oneOf("authFlow", in.AuthFlow, FlowUserSRP, FlowRefreshToken, FlowRefresh, FlowCustom, FlowAdminNoSRP, FlowUserPassword, FlowAdminUserPassword, FlowUserAuth)
	}
	checkClientID(&v, in.ClientId)
	checkAuthParameters(&v, in.AuthParameters)
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "AdminInitiateAuth", err)
	}
	req.admin = true
	if in.AuthFlow == FlowUserPassword {
		return nil, invalidParameter("Initiate Auth method not supported.")
	}
	return s.initiate(ctx, req, &in.InitiateAuthInput)
}

func (s *Service) initiate(ctx context.Context, req authRequest, in *InitiateAuthInput) (*AuthOutput, error) {
	params := in.AuthParameters
	req.requestedDevice = params["DEVICE_KEY"]
	req.clientMetadata = in.ClientMetadata
	switch in.AuthFlow {
	case FlowUserPassword:
		if !req.client.allows("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH") {
			return nil, invalidParameter("USER_PASSWORD_AUTH flow not enabled for this client")
		}
		return s.passwordAuth(ctx, req, params["USERNAME"], params["PASSWORD"], params["SECRET_HASH"])
	case FlowAdminUserPassword, FlowAdminNoSRP:
		if !req.client.allows("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH") {
			return nil, invalidParameter("Auth flow not enabled for this client")
		}
		return s.passwordAuth(ctx, req, params["USERNAME"], params["PASSWORD"], params["SECRET_HASH"])
	case FlowUserSRP:
		if !req.client.allows("ALLOW_USER_SRP_AUTH") && !req.client.usesLegacyFlows() {
			return nil, invalidParameter("USER_SRP_AUTH is not enabled for the client.")
		}
		return s.srpInitiate(ctx, req, params)
	case FlowCustom:
		if !req.client.allows("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY") {
			return nil, invalidParameter("CUSTOM_AUTH is not enabled for the client.")
		}
		return s.customInitiate(ctx, req, params)
	case FlowRefreshToken, FlowRefresh:
		if !req.client.allows("ALLOW_REFRESH_TOKEN_AUTH") {
			return nil, invalidParameter("Refresh Token auth flow not enabled for this client")
		}
		return s.refreshAuth(ctx, req, params["REFRESH_TOKEN"], params["SECRET_HASH"], params["USERNAME"])
	default:
		return nil, invalidParameter("The %s flow is not supported by this server yet.", in.AuthFlow)
	}
}

// lockout is the failed-attempt state of one user, kept as an ephemeral record so every node
// counts the same attempts.
type lockout struct {
	Failures    int       `json:"n"`
	LastFailure time.Time `json:"last"`
	LockedUntil time.Time `json:"until,omitzero"`
}

const (
	nsLockout = "lockout"
	// lockoutFreeFailures may fail before the first lockout; each further failure doubles it.
	lockoutFreeFailures = 5
	lockoutMax          = 15 * time.Minute
	// lockoutReset clears the count after this long without attempts, as on Cognito.
	lockoutReset = 15 * time.Minute
)

func lockoutKey(poolID, usernameKey string) string { return poolID + "|" + usernameKey }

func readLockout(ctx context.Context, tx store.ReadTx, poolID, usernameKey string, now time.Time) (lockout, error) {
	e, err := tx.GetEphemeral(ctx, nsLockout, lockoutKey(poolID, usernameKey), now)
	if errors.Is(err, store.ErrNotFound) {
		return lockout{}, nil
	}
	if err != nil {
		return lockout{}, err
	}
	var l lockout
	if json.Unmarshal(e.Value, &l) != nil {
		return lockout{}, nil
	}
	return l, nil
}

// lockoutDuration is 2^(n−5) seconds after the n-th consecutive failure, capped at about 15
// minutes.
func lockoutDuration(failures int) time.Duration {
	if failures < lockoutFreeFailures {
		return 0
	}
	exp := failures - lockoutFreeFailures
	if exp >= 10 {
		return lockoutMax
	}
	return min(time.Duration(math.Pow(2, float64(exp)))*time.Second, lockoutMax)
}

// recordFailure counts one failed attempt and starts a lockout when the count calls for it.
func (s *Service) recordFailure(ctx context.Context, poolID, usernameKey string) error {
	return s.update(ctx, func(tx store.Tx) error {
		now := s.now()
		l, err := readLockout(ctx, tx, poolID, usernameKey, now)
		if err != nil {
			return err
		}
		if now.Before(l.LockedUntil) {
			return nil // attempts during a lockout do not extend it
		}
		if !l.LastFailure.IsZero() && now.Sub(l.LastFailure) >= lockoutReset {
			l = lockout{}
		}
		l.Failures++
		l.LastFailure = now
		if d := lockoutDuration(l.Failures); d > 0 {
			l.LockedUntil = now.Add(d)
		}
		b, _ := json.Marshal(l)
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: poolID, Namespace: nsLockout, Key: lockoutKey(poolID, usernameKey),
			Value: b, ExpiresAt: now.Add(lockoutReset + lockoutMax)})
	})
}

func (s *Service) clearFailures(ctx context.Context, poolID, usernameKey string) error {
	return s.update(ctx, func(tx store.Tx) error {
		err := tx.DeleteEphemeral(ctx, nsLockout, lockoutKey(poolID, usernameKey))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
}

func (p poolView) hidesUsers(c clientView) bool { return c.PreventUserExistenceErrors == "ENABLED" }

func incorrectPassword() *Error { return newError(ExNotAuthorized, "Incorrect username or password.") }

// passwordAuth is USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH. Unknown users cost the
// same KDF work as known ones, and with PreventUserExistenceErrors the same error.
func (s *Service) passwordAuth(ctx context.Context, req authRequest, username, password, secretHash string) (*AuthOutput, error) {
	if username == "" {
		return nil, invalidParameter("Missing required parameter USERNAME")
	}
	if password == "" {
		return nil, invalidParameter("Missing required parameter PASSWORD")
	}
	var u userView
	var failures lockout
	err := s.store.View(ctx, func(tx store.ReadTx) (err error) {
		if u, err = resolveUser(ctx, tx, req.pool, username); err != nil {
			return err
		}
		failures, err = readLockout(ctx, tx, req.pool.rec.ID, u.rec.UsernameKey, s.now())
		return err
	})
	if errors.Is(err, ErrUserNotFound) {
		if err := s.checkSecretHash(req.client, secretHash, username); err != nil {
			return nil, err
		}
		if req.pool.hasTrigger(triggers.TriggerUserMigration) && !req.noMigration {
			return s.migrateAndSignIn(ctx, req, username, password, secretHash)
		}
		s.dummyVerify(ctx, password)
		if req.pool.hidesUsers(req.client) {
			return nil, incorrectPassword()
		}
		return nil, userNotFound()
	}
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	if err := s.checkSecretHash(req.client, secretHash, username, u.rec.Username); err != nil {
		return nil, err
	}
	if s.now().Before(failures.LockedUntil) {
		return nil, newError(ExNotAuthorized, "Password attempts exceeded")
	}
	if err := s.preAuthentication(ctx, req, u); err != nil {
		return nil, err
	}
	ok := false
	if u.rec.PasswordHash == "" {
		s.dummyVerify(ctx, password)
	} else if ok, err = s.verifyPassword(ctx, password, u.rec.PasswordHash); err != nil {
		if ctx.Err() != nil {
			// The request gave up waiting for a free core: no attempt was made, so none
			// counts toward the lockout.
			return nil, s.storeError(ctx, "InitiateAuth", err)
		}
		s.log.ErrorContext(ctx, "stored password hash is malformed", "pool", req.pool.rec.ID, "sub", u.rec.Sub)
		ok = false
	}
	if !ok {
		if u.rec.Status == StatusResetRequired && !req.pool.hidesUsers(req.client) {
			return nil, newError(ExPasswordResetRequired, "Password reset required for the user")
		}
		if err := s.recordFailure(ctx, req.pool.rec.ID, u.rec.UsernameKey); err != nil {
			return nil, s.storeError(ctx, "InitiateAuth", err)
		}
		return nil, incorrectPassword()
	}
	s.giveVerifier(ctx, req.pool, u, password)
	return s.passwordProved(ctx, req, u, failures)
}

// passwordProved goes on with a sign-in whose password was right (by the KDF hash or by
// SRP): the user's state decides between tokens, a challenge and an error. The lockout count
// is cleared only once nothing but a new password stands between the user and the tokens:
// with a second factor pending, a password known to an attacker must not wipe the count of
// the codes they guessed.
func (s *Service) passwordProved(ctx context.Context, req authRequest, u userView, failures lockout) (*AuthOutput, error) {
	if !u.rec.Enabled {
		return nil, newError(ExNotAuthorized, "User is disabled.")
	}
	switch u.rec.Status {
	case StatusUnconfirmed:
		return nil, newError(ExUserNotConfirmed, "User is not confirmed.")
	case StatusResetRequired:
		if req.pool.hidesUsers(req.client) {
			return nil, incorrectPassword()
		}
		return nil, newError(ExPasswordResetRequired, "Password reset required for the user")
	case StatusForceChangePassword:
		if !u.TemporaryPasswordExpiresAt.IsZero() && !s.now().Before(u.TemporaryPasswordExpiresAt) {
			return nil, newError(ExNotAuthorized, "Temporary password has expired and must be reset by an administrator.")
		}
		if err := s.clearLockoutCount(ctx, u, failures); err != nil {
			return nil, err
		}
		return s.newPasswordChallenge(ctx, req, u)
	}
	return s.afterFirstFactor(ctx, req, u, failures)
}

// afterFirstFactor signs in a user whose password is proved and whose account may sign in,
// or asks for the second factor the pool and user call for.
func (s *Service) afterFirstFactor(ctx context.Context, req authRequest, u userView, failures lockout) (*AuthOutput, error) {
	if !req.deviceProved && req.requestedDevice != "" && req.pool.deviceConfig() != nil {
		if _, _, known := u.device(req.requestedDevice); known {
			// A device the user confirmed: it proves itself before anything else.
			if err := s.clearLockoutCount(ctx, u, failures); err != nil {
				return nil, err
			}
			req.deviceKey = req.requestedDevice
			return s.deviceChallenge(ctx, req, u)
		}
	}
	out, needed, err := s.secondFactor(ctx, req, u)
	if err != nil || needed {
		return out, err
	}
	if err := s.clearLockoutCount(ctx, u, failures); err != nil {
		return nil, err
	}
	return s.signIn(ctx, req, u.rec, s.now())
}

func (s *Service) clearLockoutCount(ctx context.Context, u userView, failures lockout) error {
	if failures.Failures == 0 {
		return nil
	}
	if err := s.clearFailures(ctx, u.rec.PoolID, u.rec.UsernameKey); err != nil {
		return s.storeError(ctx, "InitiateAuth", err)
	}
	return nil
}

func (s *Service) newPasswordChallenge(ctx context.Context, req authRequest, u userView) (*AuthOutput, error) {
	var session string
	err := s.update(ctx, func(tx store.Tx) (err error) {
		session, err = s.newSession(ctx, tx, req.pool, req.client, u.rec, ChallengeNewPasswordRequired)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	// Clients parse these two as JSON strings: the user's current attributes (without the
	// ones it may not write) and the required ones it lacks.
	attrs := map[string]string{}
	for _, a := range u.rec.Attributes {
		if a.Name != "email_verified" && a.Name != "phone_number_verified" {
			attrs[a.Name] = a.Value
		}
	}
	var required []string
	for _, a := range req.pool.SchemaAttributes {
		if boolValue(a.Required) && a.Name != "sub" {
			if v, ok := u.rec.Attribute(a.Name); !ok || v == "" {
				required = append(required, "userAttributes."+a.Name)
			}
		}
	}
	attrJSON, _ := json.Marshal(attrs)
	reqJSON, _ := json.Marshal(append([]string{}, required...))
	return &AuthOutput{ChallengeName: ChallengeNewPasswordRequired, Session: session, ChallengeParameters: map[string]string{
		"USER_ID_FOR_SRP": u.rec.Username, "userAttributes": string(attrJSON), "requiredAttributes": string(reqJSON),
	}}, nil
}

func (s *Service) RespondToAuthChallenge(ctx context.Context, _ Caller, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	var v validator
	checkClientID(&v, in.ClientId)
	v.required("challengeName", in.ChallengeName)
	checkAuthParameters(&v, in.ChallengeResponses)
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, "", in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	return s.respond(ctx, req, in)
}

func (s *Service) AdminRespondToAuthChallenge(ctx context.Context, _ Caller, in *AdminRespondToAuthChallengeInput) (*AuthOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkClientID(&v, in.ClientId)
	v.required("challengeName", in.ChallengeName)
	checkAuthParameters(&v, in.ChallengeResponses)
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "AdminRespondToAuthChallenge", err)
	}
	req.admin = true
	return s.respond(ctx, req, &in.RespondToAuthChallengeInput)
}

func (s *Service) respond(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	req.clientMetadata = in.ClientMetadata
	switch in.ChallengeName {
	case ChallengePasswordVerifier:
		return s.srpVerify(ctx, req, in)
	case ChallengeSMSMFA, ChallengeEmailOTP, ChallengeSoftwareTokenMFA:
		return s.respondMFA(ctx, req, in)
	case ChallengeSelectMFAType:
		return s.respondSelectMFA(ctx, req, in)
	case ChallengeDeviceSRPAuth:
		return s.respondDeviceSRP(ctx, req, in)
	case ChallengeDevicePasswordVerifier:
		return s.respondDevicePasswordVerifier(ctx, req, in)
	case ChallengeMFASetup:
		return s.respondMFASetup(ctx, req, in)
	case ChallengeNewPasswordRequired:
		return s.respondNewPassword(ctx, req, in)
	case ChallengeCustom:
		return s.respondCustom(ctx, req, in)
	default:
		return nil, invalidParameter("The %s challenge is not supported by this server yet.", in.ChallengeName)
	}
}

func (s *Service) respondNewPassword(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	cs, err := s.openSession(in.Session, req.client.rec.ClientID, in.ChallengeName)
	if err != nil {
		return nil, err
	}
	if cs.PoolID != req.pool.rec.ID {
		return nil, newError(ExNotAuthorized, "Invalid session for the user.")
	}
	responses := in.ChallengeResponses
	password := responses["NEW_PASSWORD"]
	if password == "" {
		return nil, invalidParameter("Missing required parameter NEW_PASSWORD")
	}
	var v validator
	checkPasswordShape(&v, "NEW_PASSWORD", password)
	if err := v.err(); err != nil {
		return nil, err
	}
	var changes []AttributeType
	for k, val := range responses {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			changes = append(changes, AttributeType{Name: name, Value: val})
		}
	}
	slices.SortFunc(changes, func(a, b AttributeType) int { return strings.Compare(a.Name, b.Name) })
	if err := checkAttributes(req.pool, changes, false); err != nil {
		return nil, err
	}
	if err := checkPasswordPolicy(req.pool.passwordPolicy(), password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	var user store.User
	err = s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, cs.PoolID)
		if err != nil {
			return err
		}
		u, err := sessionUser(ctx, tx, p.rec.ID, cs.UsernameKey, userNotFound())
		if err != nil {
			return err
		}
		if err := s.checkSecretHash(req.client, responses["SECRET_HASH"], responses["USERNAME"], u.rec.Username); err != nil {
			return err
		}
		if err := consumeSession(ctx, tx, cs, s.now()); err != nil {
			return err
		}
		if u.rec.Status != StatusForceChangePassword {
			return newError(ExNotAuthorized, "Invalid session for the user.")
		}
		u.rec.Attributes = setAttributes(u.rec.Attributes, changes)
		if err := checkRequired(p, u.rec); err != nil {
			return err
		}
		if err := s.setPassword(p, &u, hash, password); err != nil {
			return err
		}
		u.rec.Status = StatusConfirmed
		u.TemporaryPasswordExpiresAt = time.Time{}
		u.rec.UpdatedAt = s.now()
		if err := s.claimAliases(ctx, tx, p, &u.rec, false); err != nil {
			return err
		}
		if err := u.encode(); err != nil {
			return err
		}
		user = u.rec
		return tx.UpdateUser(ctx, u.rec)
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	u, err := decodeUser(user)
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	req.tokenSource = triggers.SourceTokenGenerationNewPasswordChallenge
	return s.afterFirstFactor(ctx, req, u, lockout{})
}
