package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Token uses, as Cognito's token_use claim names them.
const (
	UseID     = "id"
	UseAccess = "access"
)

// Key is one RSA signing key. It signs tokens from SignFrom until SignUntil (zero: no end)
// and is published in the JWKS until PublishUntil (zero: no end).
type Key struct {
	ID           string
	Use          string
	Private      *rsa.PrivateKey
	CreatedAt    time.Time
	SignFrom     time.Time
	SignUntil    time.Time
	PublishUntil time.Time
}

// Generate makes a fresh RSA-2048 key that signs from signFrom on.
func Generate(use string, now, signFrom time.Time) (Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Key{}, err
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Key{}, err
	}
	return Key{ID: fmt.Sprintf("%x", id), Use: use, Private: priv, CreatedAt: now, SignFrom: signFrom}, nil
}

// Signs reports whether k signs tokens at now.
func (k Key) Signs(now time.Time) bool {
	return !now.Before(k.SignFrom) && (k.SignUntil.IsZero() || now.Before(k.SignUntil))
}

// Published reports whether k is in the JWKS at now.
func (k Key) Published(now time.Time) bool {
	return k.PublishUntil.IsZero() || now.Before(k.PublishUntil)
}

// Signer picks the key for use at now: the one that signs, newest first.
func Signer(keys []Key, use string, now time.Time) (Key, bool) {
	var best Key
	found := false
	for _, k := range keys {
		if k.Use == use && k.Signs(now) && (!found || k.SignFrom.After(best.SignFrom)) {
			best, found = k, true
		}
	}
	return best, found
}

// MarshalPrivate encodes the private key as PKCS #8 DER, for sealing at rest.
func MarshalPrivate(k *rsa.PrivateKey) ([]byte, error) { return x509.MarshalPKCS8PrivateKey(k) }

// parsed caches decoded private keys by their DER, because a pool's keys are read on every
// sign-in and parsing RSA keys is slow; keys never change once made.
var parsed sync.Map

// ParsePrivate decodes a PKCS #8 RSA key.
func ParsePrivate(der []byte) (*rsa.PrivateKey, error) {
	if k, ok := parsed.Load(string(der)); ok {
		return k.(*rsa.PrivateKey), nil
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("tokens: not an RSA key")
	}
	parsed.Store(string(der), rk)
	return rk, nil
}

// signers caches go-jose signers per key ID.
var signers sync.Map

// Sign makes a compact RS256 JWT of claims with k; the header carries kid and alg only, as
// Cognito's do.
func Sign(k Key, claims any) (string, error) {
	s, ok := signers.Load(k.ID)
	if !ok {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}}, nil)
		if err != nil {
			return "", err
		}
		s, _ = signers.LoadOrStore(k.ID, signer)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := s.(jose.Signer).Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// ErrInvalid is any token that is malformed, not RS256, signed by an unknown key or with a
// bad signature.
var ErrInvalid = errors.New("tokens: invalid token")

// maxTokenBytes refuses absurd input before any parsing.
const maxTokenBytes = 16 << 10

// Verify checks the signature of token against the published keys of one use and returns
// its claims. Expiry and the meaning of claims are the caller's.
func Verify(token string, keys []Key, use string, now time.Time, claims any) error {
	if len(token) > maxTokenBytes {
		return ErrInvalid
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return ErrInvalid
	}
	kid := jws.Signatures[0].Header.KeyID
	for _, k := range keys {
		if k.ID != kid || k.Use != use || !k.Published(now) {
			continue
		}
		payload, err := jws.Verify(&k.Private.PublicKey)
		if err != nil {
			return ErrInvalid
		}
		if err := json.Unmarshal(payload, claims); err != nil {
			return ErrInvalid
		}
		return nil
	}
	return ErrInvalid
}

// JWKS is the public key set of every published key.
func JWKS(keys []Key, now time.Time) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		if k.Published(now) {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.ID, Algorithm: string(jose.RS256), Use: "sig"})
		}
	}
	return json.Marshal(set)
}

// Discovery is the OpenID provider metadata of an issuer whose endpoints all live under
// base (the issuer itself, unless the issuer names another host).
func Discovery(issuer, base string, scopes []string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              base + "/.well-known/jwks.json",
		"authorization_endpoint":                base + "/oauth2/authorize",
		"token_endpoint":                        base + "/oauth2/token",
		"userinfo_endpoint":                     base + "/oauth2/userInfo",
		"revocation_endpoint":                   base + "/oauth2/revoke",
		"end_session_endpoint":                  base + "/logout",
		"response_types_supported":              []string{"code", "token"},
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      scopes,
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"cognito:username", "cognito:groups", "email", "email_verified", "phone_number", "phone_number_verified"},
	}
}
