package pool

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"slices"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/totp"
	"github.com/hashless/hashless/pool/triggers"
)

// Multi-factor sign-in: the pool's MFA configuration (OFF, ON, OPTIONAL and which factors),
// each user's factors and preference, the challenges a proved password leads to
// (SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, MFA_SETUP), and the operations
// that set them up.
//
// Every challenge session is single-use: a wrong code ends it (CodeMismatchException) and
// counts toward the same lockout as a wrong password, so a session cannot be used to guess
// codes. A TOTP code is refused once its step (or a later one) has signed in, so a code
// seen over a shoulder is worth nothing within its own window.

const (
	ChallengeSMSMFA           = "SMS_MFA"
	ChallengeEmailOTP         = "EMAIL_OTP"
	ChallengeSoftwareTokenMFA = "SOFTWARE_TOKEN_MFA"
	ChallengeSelectMFAType    = "SELECT_MFA_TYPE"
	ChallengeMFASetup         = "MFA_SETUP"

	nsMFACode      = "mfa-code"
	totpPurpose    = "totp-secret"
	defaultSMSAuth = "Your authentication code is {####}. "
)

type SoftwareTokenMfaConfigType struct {
	Enabled bool `json:"Enabled"`
}

type SmsMfaConfigType struct {
	SmsAuthenticationMessage string           `json:"SmsAuthenticationMessage,omitempty"`
	SmsConfiguration         *json.RawMessage `json:"SmsConfiguration,omitempty"`
}

type EmailMfaConfigType struct {
	Message string `json:"Message,omitempty"`
	Subject string `json:"Subject,omitempty"`
}

// userMFA is a user's factors. The TOTP secrets are sealed to the user.
type userMFA struct {
	TOTP         string `json:"totp,omitempty"`
	TOTPPending  string `json:"totp_pending,omitempty"`
	TOTPLastStep int64  `json:"totp_step,omitempty"`
	SMS          bool   `json:"sms,omitempty"`
	Email        bool   `json:"email,omitempty"`
	Software     bool   `json:"software,omitempty"`
	Preferred    string `json:"preferred,omitempty"`
}

// Which factors the pool offers. A pool made with MfaConfiguration ON or OPTIONAL and no
// factor configured offers SMS, as Cognito's pools did before the other factors existed.
func (p poolView) offersSMS() bool {
	if p.MfaConfiguration == "OFF" || p.MfaConfiguration == "" {
		return false
	}
	return p.SmsMfa != nil || (p.SoftwareTokenMfa == nil && p.EmailMfa == nil)
}
func (p poolView) offersSoftwareToken() bool {
	return p.MfaConfiguration != "OFF" && p.MfaConfiguration != "" && p.SoftwareTokenMfa != nil && p.SoftwareTokenMfa.Enabled
}
func (p poolView) offersEmail() bool {
	return p.MfaConfiguration != "OFF" && p.MfaConfiguration != "" && p.EmailMfa != nil
}

// factors are the user's usable factors in this pool, in Cognito's order.
func (u userView) factors(p poolView) []string {
	var out []string
	phone, _ := u.rec.Attribute("phone_number")
	email, _ := u.rec.Attribute("email")
	if u.MFA.SMS && p.offersSMS() && phone != "" {
		out = append(out, ChallengeSMSMFA)
	}
	if u.MFA.Software && u.MFA.TOTP != "" && p.offersSoftwareToken() {
		out = append(out, ChallengeSoftwareTokenMFA)
	}
	if u.MFA.Email && p.offersEmail() && email != "" {
		out = append(out, ChallengeEmailOTP)
	}
	return out
}

// UserMFAFields are the MFA members GetUser and AdminGetUser answer with.
type UserMFAFields struct {
	MFAOptions          []MFAOption `json:"MFAOptions,omitempty"`
	PreferredMfaSetting string      `json:"PreferredMfaSetting,omitempty"`
	UserMFASettingList  []string    `json:"UserMFASettingList,omitempty"`
}

func (u userView) mfaFields() UserMFAFields {
	return UserMFAFields{MFAOptions: u.mfaOptions(), PreferredMfaSetting: u.MFA.Preferred, UserMFASettingList: u.mfaSettingList()}
}

// mfaSettingList is UserMFASettingList: the factors the user turned on, whether or not the
// pool offers them now.
func (u userView) mfaSettingList() []string {
	var out []string
	if u.MFA.SMS {
		out = append(out, ChallengeSMSMFA)
	}
	if u.MFA.Software && u.MFA.TOTP != "" {
		out = append(out, ChallengeSoftwareTokenMFA)
	}
	if u.MFA.Email {
		out = append(out, ChallengeEmailOTP)
	}
	return out
}

func (u userView) mfaOptions() []MFAOption {
	if !u.MFA.SMS {
		return nil
	}
	return []MFAOption{{DeliveryMedium: "SMS", AttributeName: "phone_number"}}
}

// secondFactor decides what a sign-in whose password was proved needs next: nothing (ok is
// false), or a challenge.
func (s *Service) secondFactor(ctx context.Context, req authRequest, u userView) (*AuthOutput, bool, error) {
	p := req.pool
	if p.MfaConfiguration != "ON" && p.MfaConfiguration != "OPTIONAL" {
		return nil, false, nil
	}
	factors := u.factors(p)
	if len(factors) == 0 {
		if p.MfaConfiguration != "ON" {
			return nil, false, nil
		}
		// MFA is required and the user has none: SMS or e-mail where the user has the
		// address (Cognito sends to it without asking), else set up a software token.
		phone, _ := u.rec.Attribute("phone_number")
		email, _ := u.rec.Attribute("email")
		switch {
		case p.offersSMS() && phone != "":
			factors = []string{ChallengeSMSMFA}
		case p.offersEmail() && email != "":
			factors = []string{ChallengeEmailOTP}
		case p.offersSoftwareToken():
			out, err := s.challenge(ctx, req, u, ChallengeMFASetup, map[string]string{"MFAS_CAN_SETUP": `["SOFTWARE_TOKEN_MFA"]`})
			return out, true, err
		default:
			return nil, true, newError(ExMFAMethodNotFound, "No MFA mechanism registered in the account.")
		}
	}
	if len(factors) > 1 && !slices.Contains(factors, u.MFA.Preferred) {
		list, _ := json.Marshal(factors)
		out, err := s.challenge(ctx, req, u, ChallengeSelectMFAType, map[string]string{"MFAS_CAN_CHOOSE": string(list)})
		return out, true, err
	}
	factor := factors[0]
	if slices.Contains(factors, u.MFA.Preferred) {
		factor = u.MFA.Preferred
	}
	out, err := s.factorChallenge(ctx, req, u, factor)
	return out, true, err
}

// factorChallenge issues one factor's challenge; SMS and e-mail codes are sent with it.
func (s *Service) factorChallenge(ctx context.Context, req authRequest, u userView, factor string) (*AuthOutput, error) {
	if factor == ChallengeSoftwareTokenMFA {
		return s.challenge(ctx, req, u, factor, map[string]string{"FRIENDLY_DEVICE_NAME": "TOTP device"})
	}
	// The CustomMessage webhook composes the code's message before the transaction opens.
	custom, err := s.composeCustomMessage(ctx, req.pool, req.client.rec.ClientID, triggers.SourceCustomMessageAuthentication,
		u.rec, req.clientMetadata)
	if err != nil {
		return nil, err
	}
	var out *AuthOutput
	err = s.update(ctx, func(tx store.Tx) error {
		session, cs, err := s.newSessionWithID(ctx, tx, req.pool, req.client, u.rec, factor, req.deviceKey)
		if err != nil {
			return err
		}
		code := newCode()
		if err := tx.PutEphemeral(ctx, store.Ephemeral{PoolID: req.pool.rec.ID, Namespace: nsMFACode, Key: cs.ID,
			Value: codeHash(code), ExpiresAt: cs.Expires}); err != nil {
			return err
		}
		medium, subject, body := "SMS", "", defaultSMSAuth
		if req.pool.SmsMfa != nil && req.pool.SmsMfa.SmsAuthenticationMessage != "" {
			body = req.pool.SmsMfa.SmsAuthenticationMessage
		} else if req.pool.SmsAuthenticationMessage != "" {
			body = req.pool.SmsAuthenticationMessage
		}
		if factor == ChallengeEmailOTP {
			medium, subject, body = "EMAIL", "Your sign-in code", "Your sign-in code is {####}. "
			if m := req.pool.EmailMfa; m != nil {
				subject, body = orDefault(m.Subject, subject), orDefault(m.Message, body)
			}
		}
		subject, body = custom.apply(medium, subject, body)
		d, err := s.deliver(ctx, tx, req.pool, u.rec, medium, KindMFA, code, subject, fill(body, u.rec.Username, code), cs.Expires)
		if err != nil {
			return err
		}
		out = &AuthOutput{ChallengeName: factor, Session: session, ChallengeParameters: map[string]string{
			"CODE_DELIVERY_DELIVERY_MEDIUM": d.DeliveryMedium, "CODE_DELIVERY_DESTINATION": d.Destination,
			"USER_ID_FOR_SRP": u.rec.Username,
		}}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	return out, nil
}

// challenge issues a challenge that sends nothing.
func (s *Service) challenge(ctx context.Context, req authRequest, u userView, name string, params map[string]string) (*AuthOutput, error) {
	var session string
	err := s.update(ctx, func(tx store.Tx) (err error) {
		session, _, err = s.newSessionWithID(ctx, tx, req.pool, req.client, u.rec, name, req.deviceKey)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	params["USER_ID_FOR_SRP"] = u.rec.Username
	return &AuthOutput{ChallengeName: name, Session: session, ChallengeParameters: params}, nil
}

// respondMFA answers SMS_MFA, EMAIL_OTP and SOFTWARE_TOKEN_MFA.
func (s *Service) respondMFA(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	codeName := map[string]string{ChallengeSMSMFA: "SMS_MFA_CODE", ChallengeEmailOTP: "EMAIL_OTP_CODE",
		ChallengeSoftwareTokenMFA: "SOFTWARE_TOKEN_MFA_CODE"}[in.ChallengeName]
	code := in.ChallengeResponses[codeName]
	if code == "" {
		return nil, invalidParameter("Missing required parameter %s", codeName)
	}
	cs, u, err := s.takeChallenge(ctx, &req, in)
	if err != nil {
		return nil, err
	}
	var failures lockout
	err = s.store.View(ctx, func(tx store.ReadTx) (err error) {
		failures, err = readLockout(ctx, tx, cs.PoolID, cs.UsernameKey, s.now())
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if s.now().Before(failures.LockedUntil) {
		return nil, newError(ExNotAuthorized, "Password attempts exceeded")
	}
	ok := false
	err = s.update(ctx, func(tx store.Tx) error {
		ok = false
		if in.ChallengeName != ChallengeSoftwareTokenMFA {
			e, err := tx.TakeEphemeral(ctx, nsMFACode, cs.ID, s.now())
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			ok = subtle.ConstantTimeCompare(e.Value, codeHash(code)) == 1
			return nil
		}
		p, cur, err := s.reloadUser(ctx, tx, cs.PoolID, u)
		if err != nil {
			return err
		}
		secret, found := s.openTOTP(cur, cur.MFA.TOTP)
		if !found {
			return nil
		}
		step, good := totp.Verify(secret, code, s.now(), cur.MFA.TOTPLastStep)
		if !good {
			return nil
		}
		ok = true
		cur.MFA.TOTPLastStep = step
		u = cur
		return s.saveUser(ctx, tx, p, &cur)
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if !ok {
		if err := s.recordFailure(ctx, cs.PoolID, cs.UsernameKey); err != nil {
			return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
		}
		return nil, newError(ExCodeMismatch, "Invalid code received for user")
	}
	if failures.Failures > 0 {
		if err := s.clearFailures(ctx, cs.PoolID, cs.UsernameKey); err != nil {
			return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
		}
	}
	return s.signIn(ctx, req, u.rec, s.now())
}

// respondSelectMFA answers SELECT_MFA_TYPE with the factor the user picked.
func (s *Service) respondSelectMFA(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	answer := in.ChallengeResponses["ANSWER"]
	if answer == "" {
		return nil, invalidParameter("Missing required parameter ANSWER")
	}
	_, u, err := s.takeChallenge(ctx, &req, in)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(u.factors(req.pool), answer) {
		return nil, invalidParameter("The MFA type %s is not enabled for the user.", answer)
	}
	return s.factorChallenge(ctx, req, u, answer)
}

// respondMFASetup ends MFA_SETUP, whose session VerifySoftwareToken renewed once the new
// token proved itself.
func (s *Service) respondMFASetup(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	_, u, err := s.takeChallenge(ctx, &req, in)
	if err != nil {
		return nil, err
	}
	if !u.MFA.Software || u.MFA.TOTP == "" {
		return nil, invalidParameter("The software token has not been verified; call VerifySoftwareToken with the session first.")
	}
	return s.signIn(ctx, req, u.rec, s.now())
}

// takeChallenge opens and uses up a challenge's session and loads its user; req takes on
// the device the sign-in proved.
func (s *Service) takeChallenge(ctx context.Context, req *authRequest, in *RespondToAuthChallengeInput) (challengeSession, userView, error) {
	cs, err := s.openSession(in.Session, req.client.rec.ClientID, in.ChallengeName)
	if err != nil {
		return cs, userView{}, err
	}
	if cs.PoolID != req.pool.rec.ID {
		return cs, userView{}, newError(ExNotAuthorized, "Invalid session for the user.")
	}
	var u userView
	err = s.update(ctx, func(tx store.Tx) error {
		var err error
		if u, err = sessionUser(ctx, tx, cs.PoolID, cs.UsernameKey, newError(ExNotAuthorized, "Invalid session for the user.")); err != nil {
			return err
		}
		if err := s.checkSecretHash(req.client, in.ChallengeResponses["SECRET_HASH"], in.ChallengeResponses["USERNAME"], u.rec.Username); err != nil {
			return err
		}
		return consumeSession(ctx, tx, cs, s.now())
	})
	if err != nil {
		return cs, userView{}, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if !u.rec.Enabled {
		return cs, userView{}, newError(ExNotAuthorized, "User is disabled.")
	}
	req.deviceKey = cs.DeviceKey
	return cs, u, nil
}

func totpSealPurpose(u store.User) string { return totpPurpose + "|" + u.PoolID + "|" + u.UsernameKey }

func (s *Service) openTOTP(u userView, sealed string) (string, bool) {
	if sealed == "" {
		return "", false
	}
	b, err := s.sealer.Open(totpSealPurpose(u.rec), sealed)
	if err != nil {
		s.log.Error("stored TOTP secret does not open", "pool", u.rec.PoolID, "sub", u.rec.Sub)
		return "", false
	}
	return string(b), true
}

// --- the MFA settings operations --------------------------------------------------------------

type SetUserPoolMfaConfigInput struct {
	UserPoolId                    string                      `json:"UserPoolId"`
	MfaConfiguration              string                      `json:"MfaConfiguration,omitempty"`
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfigType `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfaConfiguration           *SmsMfaConfigType           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfigType         `json:"EmailMfaConfiguration,omitempty"`
	WebAuthnConfiguration         *json.RawMessage            `json:"WebAuthnConfiguration,omitempty"`
}

type UserPoolMfaConfigOutput struct {
	MfaConfiguration              string                      `json:"MfaConfiguration"`
	SoftwareTokenMfaConfiguration *SoftwareTokenMfaConfigType `json:"SoftwareTokenMfaConfiguration,omitempty"`
	SmsMfaConfiguration           *SmsMfaConfigType           `json:"SmsMfaConfiguration,omitempty"`
	EmailMfaConfiguration         *EmailMfaConfigType         `json:"EmailMfaConfiguration,omitempty"`
}

func mfaConfigOf(p poolView) *UserPoolMfaConfigOutput {
	return &UserPoolMfaConfigOutput{MfaConfiguration: orDefault(p.MfaConfiguration, "OFF"),
		SoftwareTokenMfaConfiguration: p.SoftwareTokenMfa, SmsMfaConfiguration: p.SmsMfa, EmailMfaConfiguration: p.EmailMfa}
}

func (s *Service) SetUserPoolMfaConfig(ctx context.Context, _ Caller, in *SetUserPoolMfaConfigInput) (*UserPoolMfaConfigOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	v.oneOf("mfaConfiguration", in.MfaConfiguration, "OFF", "ON", "OPTIONAL")
	if m := in.SmsMfaConfiguration; m != nil && m.SmsAuthenticationMessage != "" {
		v.length("smsMfaConfiguration.smsAuthenticationMessage", m.SmsAuthenticationMessage, 6, 140)
	}
	if m := in.EmailMfaConfiguration; m != nil {
		if m.Message != "" {
			v.length("emailMfaConfiguration.message", m.Message, 6, 20000)
		}
		if m.Subject != "" {
			v.length("emailMfaConfiguration.subject", m.Subject, 1, 140)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	for _, tmpl := range []string{msgOf(in.SmsMfaConfiguration), emailMsgOf(in.EmailMfaConfiguration)} {
		if tmpl != "" && !containsCode(tmpl) {
			return nil, invalidParameter("The message must contain the {####} placeholder.")
		}
	}
	var out *UserPoolMfaConfigOutput
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if in.SoftwareTokenMfaConfiguration != nil {
			p.SoftwareTokenMfa = in.SoftwareTokenMfaConfiguration
		}
		if in.SmsMfaConfiguration != nil {
			p.SmsMfa = in.SmsMfaConfiguration
		}
		if in.EmailMfaConfiguration != nil {
			p.EmailMfa = in.EmailMfaConfiguration
		}
		if in.MfaConfiguration != "" {
			p.MfaConfiguration = in.MfaConfiguration
		}
		if p.MfaConfiguration != "OFF" && !p.offersSMS() && !p.offersSoftwareToken() && !p.offersEmail() {
			return invalidParameter("At least one MFA method must be enabled to turn MFA %s.", p.MfaConfiguration)
		}
		p.rec.UpdatedAt = s.now()
		out = mfaConfigOf(p)
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "SetUserPoolMfaConfig", err)
	}
	return out, nil
}

func msgOf(m *SmsMfaConfigType) string {
	if m == nil {
		return ""
	}
	return m.SmsAuthenticationMessage
}

func emailMsgOf(m *EmailMfaConfigType) string {
	if m == nil {
		return ""
	}
	return m.Message
}

func containsCode(tmpl string) bool { return fill(tmpl, "", "\x00") != tmpl }

func (s *Service) GetUserPoolMfaConfig(ctx context.Context, _ Caller, in *UserPoolIDInput) (*UserPoolMfaConfigOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out *UserPoolMfaConfigOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		out = mfaConfigOf(p)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "GetUserPoolMfaConfig", err)
	}
	return out, nil
}

type MFASettings struct {
	Enabled      bool `json:"Enabled"`
	PreferredMfa bool `json:"PreferredMfa"`
}

type SetUserMFAPreferenceInput struct {
	AccessToken              string       `json:"AccessToken"`
	SMSMfaSettings           *MFASettings `json:"SMSMfaSettings,omitempty"`
	SoftwareTokenMfaSettings *MFASettings `json:"SoftwareTokenMfaSettings,omitempty"`
	EmailMfaSettings         *MFASettings `json:"EmailMfaSettings,omitempty"`
}

type AdminSetUserMFAPreferenceInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
	SetUserMFAPreferenceInput
}

// applyMFAPreference changes u's factors as SetUserMFAPreference asks. A factor can be
// turned on only where it can work: a verified software token, a phone number, an address.
func applyMFAPreference(u *userView, in *SetUserMFAPreferenceInput) error {
	type setting struct {
		s       *MFASettings
		factor  string
		enabled *bool
	}
	for _, st := range []setting{
		{in.SMSMfaSettings, ChallengeSMSMFA, &u.MFA.SMS},
		{in.SoftwareTokenMfaSettings, ChallengeSoftwareTokenMFA, &u.MFA.Software},
		{in.EmailMfaSettings, ChallengeEmailOTP, &u.MFA.Email},
	} {
		if st.s == nil {
			continue
		}
		if st.s.Enabled || st.s.PreferredMfa {
			switch st.factor {
			case ChallengeSoftwareTokenMFA:
				if u.MFA.TOTP == "" {
					return invalidParameter("User has not verified software token mfa")
				}
			case ChallengeSMSMFA:
				if v, _ := u.rec.Attribute("phone_number"); v == "" {
					return invalidParameter("User does not have a phone number for SMS MFA.")
				}
			case ChallengeEmailOTP:
				if v, _ := u.rec.Attribute("email"); v == "" {
					return invalidParameter("User does not have an email address for email MFA.")
				}
			}
		}
		*st.enabled = st.s.Enabled || st.s.PreferredMfa
		switch {
		case st.s.PreferredMfa:
			u.MFA.Preferred = st.factor
		case u.MFA.Preferred == st.factor:
			u.MFA.Preferred = ""
		}
	}
	return nil
}

func (s *Service) SetUserMFAPreference(ctx context.Context, _ Caller, in *SetUserMFAPreferenceInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		if err := applyMFAPreference(&u, in); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "SetUserMFAPreference", err)
	}
	return &Empty{}, nil
}

func (s *Service) AdminSetUserMFAPreference(ctx context.Context, _ Caller, in *AdminSetUserMFAPreferenceInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.updateUser(ctx, "AdminSetUserMFAPreference", in.UserPoolId, in.Username, func(_ store.Tx, _ poolView, u *userView) error {
		return applyMFAPreference(u, &in.SetUserMFAPreferenceInput)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type SetUserSettingsInput struct {
	AccessToken string      `json:"AccessToken"`
	MFAOptions  []MFAOption `json:"MFAOptions"`
}

type AdminSetUserSettingsInput struct {
	UserPoolId string      `json:"UserPoolId"`
	Username   string      `json:"Username"`
	MFAOptions []MFAOption `json:"MFAOptions"`
}

// applyMFAOptions is the older way to turn SMS MFA on (an SMS option) or off (none).
func applyMFAOptions(u *userView, opts []MFAOption) error {
	sms := false
	for _, o := range opts {
		if o.DeliveryMedium != "SMS" && o.DeliveryMedium != "EMAIL" {
			return invalidParameter("1 validation error detected: Value '%s' at 'mFAOptions.member.deliveryMedium' failed to satisfy constraint: Member must satisfy enum value set: [SMS, EMAIL]", o.DeliveryMedium)
		}
		if o.DeliveryMedium == "EMAIL" {
			return invalidParameter("Only phone_number is supported as an attribute for SMS MFA.")
		}
		sms = true
	}
	return applyMFAPreference(u, &SetUserMFAPreferenceInput{SMSMfaSettings: &MFASettings{Enabled: sms}})
}

func (s *Service) SetUserSettings(ctx context.Context, _ Caller, in *SetUserSettingsInput) (*Empty, error) {
	a, err := s.authenticateAccess(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.MFAOptions == nil {
		return nil, invalidParameter("Missing required parameter MFAOptions")
	}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, a.pool.rec.ID, a.user)
		if err != nil {
			return err
		}
		if err := applyMFAOptions(&u, in.MFAOptions); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "SetUserSettings", err)
	}
	return &Empty{}, nil
}

func (s *Service) AdminSetUserSettings(ctx context.Context, _ Caller, in *AdminSetUserSettingsInput) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	if err := v.err(); err != nil {
		return nil, err
	}
	if in.MFAOptions == nil {
		return nil, invalidParameter("Missing required parameter MFAOptions")
	}
	err := s.updateUser(ctx, "AdminSetUserSettings", in.UserPoolId, in.Username, func(_ store.Tx, _ poolView, u *userView) error {
		return applyMFAOptions(u, in.MFAOptions)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

type AssociateSoftwareTokenInput struct {
	AccessToken string `json:"AccessToken,omitempty"`
	Session     string `json:"Session,omitempty"`
}

type AssociateSoftwareTokenOutput struct {
	SecretCode string `json:"SecretCode"`
	Session    string `json:"Session,omitempty"`
}

// tokenSubject is the user a software-token call acts on: by access token, or by the
// session of an MFA_SETUP challenge (which it renews, since sessions are single-use).
type tokenSubject struct {
	pool    poolView
	user    userView
	session challengeSession
	client  clientView
}

func (s *Service) softwareTokenSubject(ctx context.Context, accessToken, session string) (tokenSubject, error) {
	switch {
	case accessToken != "" && session != "":
		return tokenSubject{}, invalidParameter("Give either AccessToken or Session, not both.")
	case accessToken != "":
		a, err := s.authenticateAccess(ctx, accessToken)
		return tokenSubject{pool: a.pool, user: a.user}, err
	case session == "":
		return tokenSubject{}, invalidParameter("Missing required parameter AccessToken or Session")
	}
	cs, err := s.openSession(session, "", ChallengeMFASetup)
	if err != nil {
		return tokenSubject{}, err
	}
	var sub tokenSubject
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, cs.PoolID)
		if err != nil {
			return err
		}
		u, err := sessionUser(ctx, tx, cs.PoolID, cs.UsernameKey, newError(ExNotAuthorized, "Invalid session for the user."))
		if err != nil {
			return err
		}
		c, err := s.loadClient(ctx, tx, cs.PoolID, cs.ClientID)
		if err != nil {
			return err
		}
		cv, err := decodeClient(c)
		sub = tokenSubject{pool: p, user: u, session: cs, client: cv}
		return err
	})
	if err != nil {
		return tokenSubject{}, s.storeError(ctx, "AssociateSoftwareToken", err)
	}
	return sub, nil
}

func (s *Service) AssociateSoftwareToken(ctx context.Context, _ Caller, in *AssociateSoftwareTokenInput) (*AssociateSoftwareTokenOutput, error) {
	sub, err := s.softwareTokenSubject(ctx, in.AccessToken, in.Session)
	if err != nil {
		return nil, err
	}
	if m := sub.pool.SoftwareTokenMfa; m != nil && !m.Enabled {
		return nil, newError(ExSoftwareTokenMFANotFound, "Software token MFA is not enabled for the user pool.")
	}
	secret, err := totp.NewSecret(rand.Reader)
	if err != nil {
		return nil, err
	}
	out := &AssociateSoftwareTokenOutput{SecretCode: secret}
	err = s.update(ctx, func(tx store.Tx) error {
		p, u, err := s.reloadUser(ctx, tx, sub.pool.rec.ID, sub.user)
		if err != nil {
			return err
		}
		u.MFA.TOTPPending = s.sealer.Seal(totpSealPurpose(u.rec), []byte(secret))
		if out.Session, err = s.renewSetupSession(ctx, tx, sub, p, u); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "AssociateSoftwareToken", err)
	}
	return out, nil
}

type VerifySoftwareTokenInput struct {
	AccessToken        string `json:"AccessToken,omitempty"`
	Session            string `json:"Session,omitempty"`
	UserCode           string `json:"UserCode"`
	FriendlyDeviceName string `json:"FriendlyDeviceName,omitempty"`
}

type VerifySoftwareTokenOutput struct {
	Status  string `json:"Status"`
	Session string `json:"Session,omitempty"`
}

// VerifySoftwareToken proves an associated secret with a code from the app. Through an
// access token it marks the token verified (SetUserMFAPreference turns it on); through an
// MFA_SETUP session it also turns it on, since the pool requires MFA.
func (s *Service) VerifySoftwareToken(ctx context.Context, _ Caller, in *VerifySoftwareTokenInput) (*VerifySoftwareTokenOutput, error) {
	var v validator
	if v.required("userCode", in.UserCode) {
		v.length("userCode", in.UserCode, 6, 6)
	}
	if len(in.FriendlyDeviceName) > 131072 {
		v.add("Value at 'friendlyDeviceName' failed to satisfy constraint: Member must have length less than or equal to 131072")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	sub, err := s.softwareTokenSubject(ctx, in.AccessToken, in.Session)
	if err != nil {
		return nil, err
	}
	if sub.user.MFA.TOTPPending == "" {
		return nil, newError(ExEnableSoftwareTokenMFA, "No software token has been associated with the user; call AssociateSoftwareToken first.")
	}
	out := &VerifySoftwareTokenOutput{Status: "SUCCESS"}
	mismatch := false
	err = s.update(ctx, func(tx store.Tx) error {
		mismatch = false
		p, u, err := s.reloadUser(ctx, tx, sub.pool.rec.ID, sub.user)
		if err != nil {
			return err
		}
		secret, ok := s.openTOTP(u, u.MFA.TOTPPending)
		if !ok {
			return newError(ExEnableSoftwareTokenMFA, "No software token has been associated with the user; call AssociateSoftwareToken first.")
		}
		step, good := totp.Verify(secret, in.UserCode, s.now(), -1)
		if !good {
			mismatch = true
			return nil
		}
		u.MFA.TOTP, u.MFA.TOTPPending, u.MFA.TOTPLastStep = u.MFA.TOTPPending, "", step
		if sub.session.ID != "" {
			u.MFA.Software = true
		}
		if out.Session, err = s.renewSetupSession(ctx, tx, sub, p, u); err != nil {
			return err
		}
		return s.saveUser(ctx, tx, p, &u)
	})
	if err != nil {
		return nil, s.storeError(ctx, "VerifySoftwareToken", err)
	}
	if mismatch {
		if err := s.recordFailure(ctx, sub.pool.rec.ID, sub.user.rec.UsernameKey); err != nil {
			return nil, s.storeError(ctx, "VerifySoftwareToken", err)
		}
		return nil, newError(ExEnableSoftwareTokenMFA, "Code mismatch")
	}
	return out, nil
}

// renewSetupSession uses up the MFA_SETUP session a software-token call came with and
// issues the next one ("" when the call came with an access token).
func (s *Service) renewSetupSession(ctx context.Context, tx store.Tx, sub tokenSubject, p poolView, u userView) (string, error) {
	if sub.session.ID == "" {
		return "", nil
	}
	if err := consumeSession(ctx, tx, sub.session, s.now()); err != nil {
		return "", err
	}
	return s.newSession(ctx, tx, p, sub.client, u.rec, ChallengeMFASetup)
}

// newSessionWithID is newSession that also returns the session, for challenges that key
// state (a code) to it.
func (s *Service) newSessionWithID(ctx context.Context, tx store.Tx, p poolView, c clientView, u store.User, challenge, device string) (string, challengeSession, error) {
	cs := challengeSession{ID: randomString(alnum, 32), PoolID: p.rec.ID, ClientID: c.rec.ClientID, UsernameKey: u.UsernameKey,
		Challenge: challenge, Expires: s.now().Add(c.authSessionValidity()), DeviceKey: device}
	sealed, err := s.registerSession(ctx, tx, cs)
	return sealed, cs, err
}
