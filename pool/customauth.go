package pool

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
	"github.com/hashless/hashless/srp"
)

// CUSTOM_AUTH: the pool's DefineAuthChallenge webhook decides, from the challenges answered
// so far, whether to issue tokens, fail, or ask a CUSTOM_CHALLENGE; CreateAuthChallenge
// makes each challenge and VerifyAuthChallengeResponse judges each answer. The challenges
// answered so far and the current challenge's private parameters stay on the server, in an
// ephemeral record named by the session, so the client sees only the public parameters.
// The steps are CUSTOM_CHALLENGE and, for an authentication begun with SRP_A (as the
// official clients begin it), PASSWORD_VERIFIER, whose proof the define webhook then sees as
// a PASSWORD_VERIFIER result; a define answer naming anything else (an MFA challenge) is
// refused as an invalid answer.

const (
	ChallengeCustom = "CUSTOM_CHALLENGE"

	nsCustomAuth = "custom-auth"
	// maxCustomRounds bounds a custom authentication, so that a define webhook that never
	// decides cannot keep a session alive forever.
	maxCustomRounds = 16
)

// customAuthState is what a custom authentication keeps between its calls.
type customAuthState struct {
	Session  triggers.Session  `json:"session"`
	Private  map[string]string `json:"private,omitempty"`
	Metadata string            `json:"metadata,omitempty"`
	// SRPA is the client's A when the authentication began with SRP_A, for a
	// PASSWORD_VERIFIER step.
	SRPA string `json:"srp_a,omitempty"`
}

func customAuthNotConfigured() *Error {
	return invalidParameter("Custom auth lambda trigger is not configured for the user pool.")
}

func customAuthFailed() *Error { return incorrectPassword() }

// customInitiate is InitiateAuth with CUSTOM_AUTH.
func (s *Service) customInitiate(ctx context.Context, req authRequest, params map[string]string) (*AuthOutput, error) {
	if !req.pool.hasTrigger(triggers.TriggerDefineAuthChallenge) || !req.pool.hasTrigger(triggers.TriggerCreateAuthChallenge) ||
		!req.pool.hasTrigger(triggers.TriggerVerifyAuthChallengeResponse) {
		return nil, customAuthNotConfigured()
	}
	username := params["USERNAME"]
	if username == "" {
		return nil, invalidParameter("Missing required parameter USERNAME")
	}
	var st customAuthState
	if params["SRP_A"] != "" {
		// The official clients start a custom authentication with SRP (CHALLENGE_NAME
		// SRP_A): the define webhook may then ask for the password's proof first.
		if !s.srpEnabled(req.pool) {
			return nil, invalidParameter("SRP_A is given but SRP is disabled for this user pool (pool tag %s)", TagSRP)
		}
		pubA, err := srp.ParseHex(params["SRP_A"])
		if err != nil || new(big.Int).Mod(pubA, srp.N()).Sign() == 0 {
			return nil, invalidParameter("SRP_A is not a valid SRP public value")
		}
		st.SRPA = srp.Hex(pubA)
		st.Session = triggers.Session{{ChallengeName: "SRP_A", ChallengeResult: true}}
	}
	var u userView
	err := s.store.View(ctx, func(tx store.ReadTx) (err error) {
		u, err = resolveUser(ctx, tx, req.pool, username)
		return err
	})
	if errors.Is(err, ErrUserNotFound) {
		if err := s.checkSecretHash(req.client, params["SECRET_HASH"], username); err != nil {
			return nil, err
		}
		if req.pool.hidesUsers(req.client) {
			return nil, incorrectPassword()
		}
		return nil, userNotFound()
	}
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	if err := s.checkSecretHash(req.client, params["SECRET_HASH"], username, u.rec.Username); err != nil {
		return nil, err
	}
	if !u.rec.Enabled {
		return nil, newError(ExNotAuthorized, "User is disabled.")
	}
	if err := s.preAuthentication(ctx, req, u); err != nil {
		return nil, err
	}
	return s.customStep(ctx, req, u, st)
}

// customStep asks the define webhook what comes next after the challenges in st.
func (s *Service) customStep(ctx context.Context, req authRequest, u userView, st customAuthState) (*AuthOutput, error) {
	if len(st.Session) >= maxCustomRounds {
		return nil, customAuthFailed()
	}
	var def triggers.DefineAuthChallengeResponse
	ev := triggers.Event{TriggerSource: triggers.SourceDefineAuthChallenge, UserName: u.rec.Username,
		Request: &triggers.DefineAuthChallengeRequest{UserAttributes: eventAttributes(u.rec), Session: st.Session,
			ClientMetadata: req.clientMetadata},
		Response: &def}
	if _, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev); err != nil {
		return nil, err
	}
	switch {
	case def.FailAuthentication:
		return nil, customAuthFailed()
	case def.IssueTokens:
		if u.rec.Status != StatusConfirmed {
			return nil, newError(ExNotAuthorized, "User is not confirmed.")
		}
		return s.signIn(ctx, req, u.rec, s.now())
	case def.ChallengeName == ChallengePasswordVerifier && st.SRPA != "" && !st.passwordProved():
		return s.customPasswordVerifier(ctx, req, u, st)
	case def.ChallengeName != ChallengeCustom:
		return nil, newError(ExInvalidLambdaResponse, "Unrecognizable lambda output")
	}
	var created triggers.CreateAuthChallengeResponse
	ev = triggers.Event{TriggerSource: triggers.SourceCreateAuthChallenge, UserName: u.rec.Username,
		Request: &triggers.CreateAuthChallengeRequest{UserAttributes: eventAttributes(u.rec), ChallengeName: ChallengeCustom,
			Session: st.Session, ClientMetadata: req.clientMetadata},
		Response: &created}
	if _, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev); err != nil {
		return nil, err
	}
	st.Private, st.Metadata = created.PrivateChallengeParameters, created.ChallengeMetadata
	state, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	var session string
	err = s.update(ctx, func(tx store.Tx) error {
		sealed, cs, err := s.newSessionWithID(ctx, tx, req.pool, req.client, u.rec, ChallengeCustom, req.deviceKey)
		if err != nil {
			return err
		}
		session = sealed
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: cs.PoolID, Namespace: nsCustomAuth, Key: cs.ID, Value: state, ExpiresAt: cs.Expires})
	})
	if err != nil {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	params := map[string]string{}
	for k, v := range created.PublicChallengeParameters {
		params[k] = v
	}
	params["USERNAME"] = u.rec.Username
	return &AuthOutput{ChallengeName: ChallengeCustom, Session: session, ChallengeParameters: params}, nil
}

// respondCustom answers a CUSTOM_CHALLENGE: the verify webhook judges ANSWER, and the define
// webhook decides what comes next.
func (s *Service) respondCustom(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	cs, err := s.openSession(in.Session, req.client.rec.ClientID, ChallengeCustom)
	if err != nil {
		return nil, err
	}
	if cs.PoolID != req.pool.rec.ID {
		return nil, newError(ExNotAuthorized, "Invalid session for the user.")
	}
	r := in.ChallengeResponses
	if _, ok := r["ANSWER"]; !ok {
		return nil, invalidParameter("Missing required parameter ANSWER")
	}
	var st customAuthState
	var u userView
	err = s.update(ctx, func(tx store.Tx) error {
		if err := consumeSession(ctx, tx, cs, s.now()); err != nil {
			return err
		}
		e, err := tx.TakeEphemeral(ctx, nsCustomAuth, cs.ID, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return newError(ExNotAuthorized, "Invalid session for the user, session is expired.")
		}
		if err != nil {
			return err
		}
		if json.Unmarshal(e.Value, &st) != nil {
			return newError(ExNotAuthorized, "Invalid session for the user.")
		}
		u, err = sessionUser(ctx, tx, cs.PoolID, cs.UsernameKey, userNotFound())
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if err := s.checkSecretHash(req.client, r["SECRET_HASH"], r["USERNAME"], u.rec.Username); err != nil {
		return nil, err
	}
	if !u.rec.Enabled {
		return nil, newError(ExNotAuthorized, "User is disabled.")
	}
	var verdict triggers.VerifyAuthChallengeResponse
	ev := triggers.Event{TriggerSource: triggers.SourceVerifyAuthChallengeResponse, UserName: u.rec.Username,
		Request: &triggers.VerifyAuthChallengeRequest{UserAttributes: eventAttributes(u.rec), PrivateChallengeParameters: st.Private,
			ChallengeAnswer: r["ANSWER"], ClientMetadata: req.clientMetadata},
		Response: &verdict}
	if _, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev); err != nil {
		return nil, err
	}
	st.Session = append(st.Session, triggers.ChallengeResult{ChallengeName: ChallengeCustom,
		ChallengeResult: verdict.AnswerCorrect, ChallengeMetadata: st.Metadata})
	st.Private, st.Metadata = nil, ""
	return s.customStep(ctx, req, u, st)
}

func (st customAuthState) passwordProved() bool {
	for _, c := range st.Session {
		if c.ChallengeName == ChallengePasswordVerifier && c.ChallengeResult {
			return true
		}
	}
	return false
}

// customPasswordVerifier is the PASSWORD_VERIFIER step of a custom authentication begun with
// SRP_A; its answer goes through srpVerify, which hands the result back to the define
// webhook.
func (s *Service) customPasswordVerifier(ctx context.Context, req authRequest, u userView, st customAuthState) (*AuthOutput, error) {
	salt, v, ok := s.openVerifier(u)
	if !ok {
		return nil, newError(ExNotAuthorized, "The user has no SRP verifier yet; it gets one at its next sign-in with a password auth flow.")
	}
	pubA, err := srp.ParseHex(st.SRPA)
	if err != nil {
		return nil, customAuthFailed()
	}
	st.Private, st.Metadata = nil, ""
	block := srpBlock{ID: randomString(alnum, 32), PoolID: req.pool.rec.ID, ClientID: req.client.rec.ClientID,
		UsernameKey: u.rec.UsernameKey, UserID: u.rec.Username, Expires: s.now().Add(req.client.authSessionValidity()), Custom: &st}
	return s.passwordVerifierChallenge(ctx, block, salt, v, pubA)
}
