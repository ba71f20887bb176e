package pool

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
	"github.com/hashless/hashless/srp"
)

// SRP sign-in (USER_SRP_AUTH, then PASSWORD_VERIFIER) as Cognito's clients speak it; the
// arithmetic is package srp's.
//
// The verifier v = g^x is a password equivalent at the cost of two SHA-256 calls, far
// cheaper to attack than the argon2id hash beside it. So it exists only in pools that use
// SRP (the pool tag hashless:srp, defaulting to Config.SRPDefault), it is sealed with the
// server's secret key (bound to the pool and user, so a sealed verifier cannot be moved to
// another user), and the password flows keep using the slow hash.
//
// Cognito's PASSWORD_VERIFIER challenge carries no Session, so the server's half of the
// exchange travels in SECRET_BLOCK: b and the exchange's identity, sealed. A and B, which are
// public, wait in an ephemeral record keyed by the block's ID; taking that record is what
// makes a block single-use on every node.

const (
	ChallengePasswordVerifier = "PASSWORD_VERIFIER"

	// TagSRP turns SRP on or off for one pool: "enabled" or "disabled".
	TagSRP = "hashless:srp"

	nsSRP              = "srp"
	srpVerifierPurpose = "srp-verifier"
	srpBlockPurpose    = "srp-secret-block"
	srpFakePurpose     = "srp-unknown-user"
	// srpClockSkew is how far a client's TIMESTAMP may be from the server's clock. Cognito
	// does not document it; clients more than about five minutes off are reported to fail.
	srpClockSkew = 5 * time.Minute
)

// srpEnabled says whether the pool signs in with SRP.
func (s *Service) srpEnabled(p poolView) bool {
	switch p.UserPoolTags[TagSRP] {
	case "enabled":
		return true
	case "disabled":
		return false
	}
	return s.srpDefault
}

func checkSRPTag(v *validator, tags map[string]string) {
	if val, ok := tags[TagSRP]; ok && val != "enabled" && val != "disabled" {
		v.add("Value '%s' at 'userPoolTags.%s' failed to satisfy constraint: Member must be enabled or disabled", val, TagSRP)
	}
}

// sealedVerifier is a user's SRP verifier at rest.
type sealedVerifier struct {
	Salt     string `json:"s"`
	Verifier string `json:"v"`
}

func verifierPurpose(poolID, usernameKey string) string {
	return srpVerifierPurpose + "|" + poolID + "|" + usernameKey
}

// setPassword gives u a new password: the KDF hash (made by the caller, before its
// transaction) and, in a pool that uses SRP, a fresh verifier. A pool without SRP drops any
// verifier, which would otherwise still open the old password.
func (s *Service) setPassword(p poolView, u *userView, hash, password string) error {
	u.rec.PasswordHash = hash
	u.SRP = ""
	if hash == "" || !s.srpEnabled(p) {
		return nil
	}
	sealed, err := s.sealVerifier(p, u.rec, password)
	if err != nil {
		return err
	}
	u.SRP = sealed
	return nil
}

func (s *Service) sealVerifier(p poolView, u store.User, password string) (string, error) {
	salt, err := srp.NewSalt(rand.Reader)
	if err != nil {
		return "", err
	}
	v := srp.Verifier(salt, srp.PoolName(p.rec.ID), u.Username, password)
	b, err := json.Marshal(sealedVerifier{Salt: fmt.Sprintf("%032x", salt), Verifier: srp.Hex(v)})
	if err != nil {
		return "", err
	}
	return s.sealer.Seal(verifierPurpose(p.rec.ID, u.UsernameKey), b), nil
}

// openVerifier returns u's salt and verifier; ok is false when u has none.
func (s *Service) openVerifier(u userView) (salt, v *big.Int, ok bool) {
	if u.SRP == "" {
		return nil, nil, false
	}
	b, err := s.sealer.Open(verifierPurpose(u.rec.PoolID, u.rec.UsernameKey), u.SRP)
	var sv sealedVerifier
	if err != nil || json.Unmarshal(b, &sv) != nil {
		s.log.Error("stored SRP verifier does not open", "pool", u.rec.PoolID, "sub", u.rec.Sub)
		return nil, nil, false
	}
	salt, err1 := srp.ParseHex(sv.Salt)
	v, err2 := srp.ParseHex(sv.Verifier)
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return salt, v, true
}

// giveVerifier stores a verifier for a user who signed in with a password but has none: a
// user created before the pool used SRP, or imported.
func (s *Service) giveVerifier(ctx context.Context, p poolView, u userView, password string) {
	if !s.srpEnabled(p) || u.SRP != "" {
		return
	}
	// The sign-in stands if this fails; the next one tries again.
	s.updateBestEffort(ctx, u, "could not store an SRP verifier", func(p poolView, cur *userView) (bool, error) {
		if cur.SRP != "" || cur.rec.PasswordHash != u.rec.PasswordHash {
			return false, nil // another sign-in did it, or the password changed meanwhile
		}
		var err error
		cur.SRP, err = s.sealVerifier(p, cur.rec, password)
		return err == nil, err
	})
}

// updateBestEffort applies change to a fresh copy of u and saves it when change says so;
// a failure is logged with why, never returned, for updates a sign-in does not depend on.
func (s *Service) updateBestEffort(ctx context.Context, u userView, why string, change func(p poolView, cur *userView) (bool, error)) {
	err := s.update(ctx, func(tx store.Tx) error {
		p, cur, err := s.reloadUser(ctx, tx, u.rec.PoolID, u)
		if err != nil {
			return err
		}
		save, err := change(p, &cur)
		if err != nil || !save {
			return err
		}
		return s.saveUser(ctx, tx, p, &cur)
	})
	if err != nil {
		s.log.WarnContext(ctx, why, "pool", u.rec.PoolID, "sub", u.rec.Sub, "err", err)
	}
}

// srpBlock is the state SECRET_BLOCK carries from InitiateAuth to the PASSWORD_VERIFIER
// answer. An unknown user's block has Fake set, so that the answer fails as a wrong
// password would, after the same work.
type srpBlock struct {
	ID          string    `json:"id"`
	PoolID      string    `json:"pool"`
	ClientID    string    `json:"client"`
	UsernameKey string    `json:"key,omitempty"`
	UserID      string    `json:"user"` // USER_ID_FOR_SRP
	B           []byte    `json:"b"`    // the server's secret exponent
	Expires     time.Time `json:"exp"`
	Fake        bool      `json:"fake,omitempty"`
	// Custom is the custom authentication this exchange is a step of (CUSTOM_AUTH with
	// SRP_A): the challenges so far, which the define webhook sees next.
	Custom *customAuthState `json:"custom,omitempty"`
}

// srpPublic are the exchange's public values, kept server-side until the answer.
type srpPublic struct {
	A string `json:"A"`
	B string `json:"B"`
}

// srpInitiate is USER_SRP_AUTH: it answers PASSWORD_VERIFIER with the user's salt and B, or,
// for an unknown user in a pool that hides users, with a simulated challenge.
func (s *Service) srpInitiate(ctx context.Context, req authRequest, params map[string]string) (*AuthOutput, error) {
	if !s.srpEnabled(req.pool) {
		return nil, invalidParameter("USER_SRP_AUTH is disabled for this user pool (pool tag %s); use a password auth flow", TagSRP)
	}
	username := params["USERNAME"]
	if username == "" {
		return nil, invalidParameter("Missing required parameter USERNAME")
	}
	if params["SRP_A"] == "" {
		return nil, invalidParameter("Missing required parameter SRP_A")
	}
	pubA, err := srp.ParseHex(params["SRP_A"])
	if err != nil {
		return nil, invalidParameter("SRP_A must be a hexadecimal number of at most %d digits", srp.MaxHexLen)
	}
	if new(big.Int).Mod(pubA, srp.N()).Sign() == 0 {
		return nil, invalidParameter("SRP_A is not a valid SRP public value")
	}
	var u userView
	err = s.store.View(ctx, func(tx store.ReadTx) (err error) {
		u, err = resolveUser(ctx, tx, req.pool, username)
		return err
	})
	found := err == nil
	if err != nil && !errors.Is(err, ErrUserNotFound) {
		return nil, s.storeError(ctx, "InitiateAuth", err)
	}
	names := []string{username}
	if found {
		names = append(names, u.rec.Username)
	}
	if err := s.checkSecretHash(req.client, params["SECRET_HASH"], names...); err != nil {
		return nil, err
	}
	if found {
		if err := s.preAuthentication(ctx, req, u); err != nil {
			return nil, err
		}
	}
	var salt, v *big.Int
	hasVerifier := false
	if found {
		salt, v, hasVerifier = s.openVerifier(u)
	}
	if !hasVerifier && !req.pool.hidesUsers(req.client) {
		if !found {
			return nil, userNotFound()
		}
		return nil, newError(ExNotAuthorized, "The user has no SRP verifier yet; it gets one at its next sign-in with a password auth flow.")
	}
	block := srpBlock{ID: randomString(alnum, 32), PoolID: req.pool.rec.ID, ClientID: req.client.rec.ClientID,
		Expires: s.now().Add(req.client.authSessionValidity())}
	if hasVerifier {
		block.UsernameKey, block.UserID = u.rec.UsernameKey, u.rec.Username
	} else {
		// Unknown, or known without a verifier, in a pool that hides users: a challenge that
		// looks like a real one, stable per username, and then fails.
		salt, v, block.UserID = s.fakeSRPUser(req.pool, username)
		block.Fake = true
	}
	return s.passwordVerifierChallenge(ctx, block, salt, v, pubA)
}

// passwordVerifierChallenge draws the server's half of an exchange and answers with
// PASSWORD_VERIFIER; block says whose exchange it is.
func (s *Service) passwordVerifierChallenge(ctx context.Context, block srpBlock, salt, v, pubA *big.Int) (*AuthOutput, error) {
	server, err := srp.NewServer(rand.Reader, v)
	if err != nil {
		return nil, err
	}
	block.B = server.Secret().Bytes()
	sealed, err := s.startExchange(ctx, "InitiateAuth", srpBlockPurpose, block, block, pubA, server)
	if err != nil {
		return nil, err
	}
	return &AuthOutput{ChallengeName: ChallengePasswordVerifier, ChallengeParameters: map[string]string{
		"SALT": fmt.Sprintf("%032x", salt), "SRP_B": srp.Hex(server.PublicKey()), "SECRET_BLOCK": sealed,
		"USERNAME": block.UserID, "USER_ID_FOR_SRP": block.UserID,
	}}, nil
}

// fakeSRPUser makes the salt, verifier and USER_ID_FOR_SRP of a user who does not exist:
// derived from the server's key, so the same name always gets the same salt, and shaped as
// a real user's (in pools where users sign in with an e-mail address or phone number, the
// real USER_ID_FOR_SRP is a generated UUID).
func (s *Service) fakeSRPUser(p poolView, username string) (salt, v *big.Int, userID string) {
	tag := s.sealer.Tag(srpFakePurpose, []byte(p.rec.ID+"|"+p.usernameKey(username)))
	salt = new(big.Int).SetBytes(tag[:16])
	userID = username
	if len(p.UsernameAttributes) > 0 {
		userID = formatUUID([16]byte(tag[16:32]))
	}
	return salt, srp.Verifier(salt, srp.PoolName(p.rec.ID), userID, string(tag)), userID
}

// startExchange keeps an exchange's public values until its answer (taking them is what
// makes the block single-use) and seals the server's state into the SECRET_BLOCK; sealed
// is the whole block (a user's or a device's), b its common part.
func (s *Service) startExchange(ctx context.Context, op, purpose string, sealed any, b srpBlock, pubA *big.Int, server *srp.Server) (string, error) {
	pub, _ := json.Marshal(srpPublic{A: srp.Hex(pubA), B: srp.Hex(server.PublicKey())})
	err := s.update(ctx, func(tx store.Tx) error {
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: b.PoolID, Namespace: nsSRP, Key: b.ID, Value: pub, ExpiresAt: b.Expires})
	})
	if err != nil {
		return "", s.storeError(ctx, op, err)
	}
	return s.sealBlock(purpose, sealed)
}

// SECRET_BLOCK is standard base64 (the clients decode it so and sign the bytes) of the
// sealed block's bytes. purpose keeps a user's and a device's blocks apart.
func (s *Service) sealBlock(purpose string, block any) (string, error) {
	plain, err := json.Marshal(block)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(s.sealer.Seal(purpose, plain))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// openBlock decodes a SECRET_BLOCK into block and returns the bytes the client signed.
func (s *Service) openBlock(purpose, secretBlock string, block any) ([]byte, bool) {
	if secretBlock == "" || len(secretBlock) > 4096 {
		return nil, false
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(secretBlock)
	if err != nil {
		return nil, false
	}
	plain, err := s.sealer.Open(purpose, base64.RawURLEncoding.EncodeToString(raw))
	if err != nil || json.Unmarshal(plain, block) != nil {
		return nil, false
	}
	return raw, true
}

// srpVerify answers PASSWORD_VERIFIER. Every failure of the proof is the same
// NotAuthorizedException a wrong password gets, and counts toward the user's lockout.
func (s *Service) srpVerify(ctx context.Context, req authRequest, in *RespondToAuthChallengeInput) (*AuthOutput, error) {
	r := in.ChallengeResponses
	for _, name := range []string{"USERNAME", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if r[name] == "" {
			return nil, invalidParameter("Missing required parameter %s", name)
		}
	}
	var block srpBlock
	signed, ok := s.openBlock(srpBlockPurpose, r["PASSWORD_CLAIM_SECRET_BLOCK"], &block)
	if !ok || block.ClientID != req.client.rec.ClientID || block.PoolID != req.pool.rec.ID {
		return nil, incorrectPassword()
	}
	if r["USERNAME"] != block.UserID {
		return nil, incorrectPassword()
	}
	if err := s.checkSecretHash(req.client, r["SECRET_HASH"], block.UserID); err != nil {
		return nil, err
	}
	if !s.now().Before(block.Expires) {
		return nil, newError(ExNotAuthorized, "Invalid session for the user, session is expired.")
	}
	// The block is used up now, whatever the outcome.
	var pub srpPublic
	var u userView
	var failures lockout
	err := s.update(ctx, func(tx store.Tx) error {
		e, err := tx.TakeEphemeral(ctx, nsSRP, block.ID, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return newError(ExNotAuthorized, "Invalid session for the user, session can only be used once.")
		}
		if err != nil {
			return err
		}
		if json.Unmarshal(e.Value, &pub) != nil {
			return incorrectPassword()
		}
		if block.Fake {
			return nil
		}
		rec, err := tx.GetUser(ctx, block.PoolID, block.UsernameKey)
		if errors.Is(err, store.ErrNotFound) {
			block.Fake = true // deleted meanwhile
			return nil
		}
		if err != nil {
			return err
		}
		if u, err = decodeUser(rec); err != nil {
			return err
		}
		failures, err = readLockout(ctx, tx, block.PoolID, block.UsernameKey, s.now())
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
	}
	if !block.Fake && s.now().Before(failures.LockedUntil) {
		return nil, newError(ExNotAuthorized, "Password attempts exceeded")
	}
	var v *big.Int
	hasVerifier := false
	if !block.Fake {
		_, v, hasVerifier = s.openVerifier(u)
	}
	if !hasVerifier {
		_, v, _ = s.fakeSRPUser(req.pool, block.UserID)
	}
	proved := s.srpProof(block, pub, v, srp.PoolName(block.PoolID), block.UserID, signed, r["TIMESTAMP"], r["PASSWORD_CLAIM_SIGNATURE"])
	if block.Fake {
		return nil, incorrectPassword()
	}
	if !proved || !hasVerifier {
		if err := s.recordFailure(ctx, block.PoolID, block.UsernameKey); err != nil {
			return nil, s.storeError(ctx, "RespondToAuthChallenge", err)
		}
		return nil, incorrectPassword()
	}
	req.requestedDevice = r["DEVICE_KEY"]
	if block.Custom != nil {
		// A step of CUSTOM_AUTH: the define webhook decides what follows the password.
		if err := s.clearLockoutCount(ctx, u, failures); err != nil {
			return nil, err
		}
		st := *block.Custom
		st.Session = append(st.Session, triggers.ChallengeResult{ChallengeName: ChallengePasswordVerifier, ChallengeResult: true})
		return s.customStep(ctx, req, u, st)
	}
	return s.passwordProved(ctx, req, u, failures)
}

// srpProof checks the client's signature. The key is derived even when the TIMESTAMP is
// refused, so that a bad timestamp costs what a wrong password does.
// group and user are what the signature names: the pool name and USER_ID_FOR_SRP for a
// user, the group key and the device key for a device.
func (s *Service) srpProof(block srpBlock, pub srpPublic, v *big.Int, group, user string, signed []byte, timestamp, signature string) bool {
	pubA, errA := srp.ParseHex(pub.A)
	pubB, errB := srp.ParseHex(pub.B)
	if errA != nil || errB != nil {
		return false
	}
	key, err := srp.RestoreServer(v, new(big.Int).SetBytes(block.B), pubB).Key(pubA)
	if err != nil {
		return false
	}
	sigOK := srp.CheckSignature(key, group, user, signed, timestamp, signature)
	when, err := srp.ParseTimestamp(timestamp)
	if err != nil {
		return false
	}
	if d := s.now().Sub(when); d > srpClockSkew || d < -srpClockSkew {
		return false
	}
	return sigOK
}
