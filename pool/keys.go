package pool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/tokens"
)

// storedKey is a signing key as the pool record keeps it: the private key sealed with the
// server key, so a copy of the database signs nothing.
type storedKey struct {
	ID           string    `json:"id"`
	Use          string    `json:"use"`
	Sealed       string    `json:"sealed"`
	CreatedAt    time.Time `json:"created"`
	SignFrom     time.Time `json:"sign_from"`
	SignUntil    time.Time `json:"sign_until,omitzero"`
	PublishUntil time.Time `json:"publish_until,omitzero"`
}

// maxTokenLifetime is the longest an ID or access token can live (a client may set up to a
// day), so a key stays published that long after it stops signing.
const maxTokenLifetime = 24 * time.Hour

func keyPurpose(poolID, keyID string) string { return "signing-key:" + poolID + ":" + keyID }

func (s *Service) sealKey(poolID string, k tokens.Key) (storedKey, error) {
	der, err := tokens.MarshalPrivate(k.Private)
	if err != nil {
		return storedKey{}, err
	}
	return storedKey{ID: k.ID, Use: k.Use, Sealed: s.sealer.Seal(keyPurpose(poolID, k.ID), der), CreatedAt: k.CreatedAt,
		SignFrom: k.SignFrom, SignUntil: k.SignUntil, PublishUntil: k.PublishUntil}, nil
}

func (s *Service) openKeys(p poolView) ([]tokens.Key, error) {
	out := make([]tokens.Key, 0, len(p.keys))
	for _, sk := range p.keys {
		der, err := s.sealer.Open(keyPurpose(p.rec.ID, sk.ID), sk.Sealed)
		if err != nil {
			return nil, fmt.Errorf("pool %s key %s: cannot unseal (is this the server key the pool was made with?): %w", p.rec.ID, sk.ID, err)
		}
		priv, err := tokens.ParsePrivate(der)
		if err != nil {
			return nil, err
		}
		out = append(out, tokens.Key{ID: sk.ID, Use: sk.Use, Private: priv, CreatedAt: sk.CreatedAt,
			SignFrom: sk.SignFrom, SignUntil: sk.SignUntil, PublishUntil: sk.PublishUntil})
	}
	return out, nil
}

// signingKeys returns the pool's keys, making the first ones on first use. Key generation
// is slow, so it runs outside the transaction that stores the keys; if another node stored
// keys meanwhile, its keys win and these are dropped.
func (s *Service) signingKeys(ctx context.Context, p poolView) ([]tokens.Key, error) {
	now := s.now()
	keys, err := s.openKeys(p)
	if err != nil {
		return nil, err
	}
	_, hasID := tokens.Signer(keys, tokens.UseID, now)
	_, hasAccess := tokens.Signer(keys, tokens.UseAccess, now)
	if hasID && hasAccess {
		return keys, nil
	}
	var fresh []storedKey
	for _, use := range []string{tokens.UseID, tokens.UseAccess} {
		k, err := tokens.Generate(use, now, now)
		if err != nil {
			return nil, err
		}
		sk, err := s.sealKey(p.rec.ID, k)
		if err != nil {
			return nil, err
		}
		fresh = append(fresh, sk)
	}
	// Making the keys takes a while (longer than a caller's deadline on a busy machine); store
	// them even if the caller has given up meanwhile, or every next call would start over
	// and a short deadline would never see a token.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var saved poolView
	err = s.update(ctx, func(tx store.Tx) error {
		cur, err := s.loadPool(ctx, tx, p.rec.ID)
		if err != nil {
			return err
		}
		saved = cur
		if len(cur.keys) > 0 {
			return nil
		}
		cur.keys = fresh
		if err := savePool(ctx, tx, cur); err != nil {
			return err
		}
		saved = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "signing keys created", "pool", p.rec.ID)
	return s.openKeys(saved)
}

// RotateKeys adds a new key of each use that starts signing after lead, so verifiers can
// fetch it first; the current keys stop signing then and stay published until their last
// token has expired. Keys past that are dropped.
func (s *Service) RotateKeys(ctx context.Context, poolID string, lead time.Duration) ([]string, error) {
	now := s.now()
	start := now.Add(lead)
	var fresh []storedKey
	for _, use := range []string{tokens.UseID, tokens.UseAccess} {
		k, err := tokens.Generate(use, now, start)
		if err != nil {
			return nil, err
		}
		sk, err := s.sealKey(poolID, k)
		if err != nil {
			return nil, err
		}
		fresh = append(fresh, sk)
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		var kept []storedKey
		for _, k := range p.keys {
			if !k.PublishUntil.IsZero() && !now.Before(k.PublishUntil) {
				continue
			}
			if k.SignUntil.IsZero() || k.SignUntil.After(start) {
				k.SignUntil = start
				k.PublishUntil = start.Add(maxTokenLifetime)
			}
			kept = append(kept, k)
		}
		p.keys = append(kept, fresh...)
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "RotateKeys", err)
	}
	s.log.InfoContext(ctx, "signing keys rotated", "pool", poolID, "signs_from", start)
	return []string{fresh[0].ID, fresh[1].ID}, nil
}

// Issuer is the iss claim of the pool's tokens.
func (s *Service) Issuer(p poolView) string {
	if s.issuerStyle == IssuerAWS {
		return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", p.Region, p.rec.ID)
	}
	return s.publicURL + "/" + p.rec.ID
}

// Issuer styles.
const (
	IssuerLocal = "local"
	IssuerAWS   = "aws"
)

// JWKS returns the pool's published public keys.
func (s *Service) JWKS(ctx context.Context, poolID string) ([]byte, error) {
	p, err := s.readPool(ctx, "JWKS", poolID)
	if err != nil {
		return nil, err
	}
	keys, err := s.signingKeys(ctx, p)
	if err != nil {
		return nil, s.storeError(ctx, "JWKS", err)
	}
	return tokens.JWKS(keys, s.now())
}

// Discovery returns the pool's OpenID provider metadata.
func (s *Service) Discovery(ctx context.Context, poolID string) ([]byte, error) {
	p, err := s.readPool(ctx, "Discovery", poolID)
	if err != nil {
		return nil, err
	}
	scopes := append(slices.Clone(standardScopes), p.customScopes()...)
	// With Cognito-style issuers the issuer names AWS, but the keys and endpoints are here.
	return json.Marshal(tokens.Discovery(s.Issuer(p), s.endpointBase(p), scopes))
}

// readPool loads a pool outside any transaction.
func (s *Service) readPool(ctx context.Context, op, poolID string) (poolView, error) {
	var p poolView
	if err := s.store.View(ctx, func(tx store.ReadTx) (err error) { p, err = s.loadPool(ctx, tx, poolID); return }); err != nil {
		return poolView{}, s.storeError(ctx, op, err)
	}
	return p, nil
}
