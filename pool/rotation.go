package pool

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// Refresh-token rotation (an app client's RefreshTokenRotation): GetTokensFromRefreshToken
// answers with a new refresh token beside the ID and access tokens, and the one it was given
// stops working after the client's grace period (0–60 s, so that a client whose answer was
// lost can try again). With a grace period of 0 the old token is taken in the same step that
// checks it, so of two racing refreshes only one succeeds. With rotation on, the older
// REFRESH_TOKEN_AUTH flow is refused, as on Cognito.

type RefreshTokenRotationType struct {
	Feature                 string `json:"Feature"`
	RetryGracePeriodSeconds *int32 `json:"RetryGracePeriodSeconds,omitempty"`
}

func (c clientView) rotation() (RefreshTokenRotationType, bool) {
	if c.RefreshTokenRotation == nil {
		return RefreshTokenRotationType{}, false
	}
	var r RefreshTokenRotationType
	if json.Unmarshal(*c.RefreshTokenRotation, &r) != nil {
		return RefreshTokenRotationType{}, false
	}
	return r, true
}

func (c clientView) rotatesRefreshTokens() bool {
	r, ok := c.rotation()
	return ok && r.Feature == "ENABLED"
}

func (c clientView) rotationGrace() time.Duration {
	r, _ := c.rotation()
	if r.RetryGracePeriodSeconds == nil {
		return 0
	}
	return time.Duration(*r.RetryGracePeriodSeconds) * time.Second
}

// checkRotation validates a RefreshTokenRotation setting of CreateUserPoolClient and
// UpdateUserPoolClient.
func checkRotation(v *validator, raw *json.RawMessage) {
	if raw == nil {
		return
	}
	var r RefreshTokenRotationType
	if json.Unmarshal(*raw, &r) != nil {
		v.add("Value at 'refreshTokenRotation' failed to satisfy constraint: Member must be an object with Feature and RetryGracePeriodSeconds")
		return
	}
	if v.required("refreshTokenRotation.feature", r.Feature) {
		v.oneOf("refreshTokenRotation.feature", r.Feature, "ENABLED", "DISABLED")
	}
	v.intRange("refreshTokenRotation.retryGracePeriodSeconds", r.RetryGracePeriodSeconds, 0, 60)
}

type GetTokensFromRefreshTokenInput struct {
	RefreshToken   string            `json:"RefreshToken"`
	ClientId       string            `json:"ClientId"`
	ClientSecret   string            `json:"ClientSecret,omitempty"`
	DeviceKey      string            `json:"DeviceKey,omitempty"`
	ClientMetadata map[string]string `json:"ClientMetadata,omitempty"`
}

type GetTokensFromRefreshTokenOutput struct {
	AuthenticationResult *AuthenticationResult `json:"AuthenticationResult"`
}

func (s *Service) GetTokensFromRefreshToken(ctx context.Context, _ Caller, in *GetTokensFromRefreshTokenInput) (*GetTokensFromRefreshTokenOutput, error) {
	var v validator
	checkClientID(&v, in.ClientId)
	v.required("refreshToken", in.RefreshToken)
	if len(in.ClientSecret) > 64 {
		v.add("Value at 'clientSecret' failed to satisfy constraint: Member must have length less than or equal to 64")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	req, err := s.findClient(ctx, "", in.ClientId)
	if err != nil {
		return nil, s.storeError(ctx, "GetTokensFromRefreshToken", err)
	}
	secret, err := s.clientSecret(req.client)
	if err != nil {
		return nil, err
	}
	if secret != "" && !constantTimeEqual(secret, in.ClientSecret) {
		return nil, newError(ExNotAuthorized, "Client secret is not valid for client %s", in.ClientId)
	}
	if !req.client.allows("ALLOW_REFRESH_TOKEN_AUTH") {
		return nil, invalidParameter("Refresh Token auth flow not enabled for this client")
	}
	rec, u, err := s.readRefresh(ctx, req, in.RefreshToken)
	if err != nil {
		return nil, err
	}
	if err := s.refreshAllowed(u, rec); err != nil {
		return nil, err
	}
	if _, _, known := u.device(in.DeviceKey); known {
		req.deviceKey = in.DeviceKey
	}
	req.tokenSource = triggers.SourceTokenGenerationRefreshTokens
	req.clientMetadata = in.ClientMetadata
	req.scopes = rec.Scopes
	if !req.client.rotatesRefreshTokens() {
		result, err := s.mintTokens(ctx, req, u.rec, rec.OriginJTI, rec.AuthTime)
		if err != nil {
			return nil, s.storeError(ctx, "GetTokensFromRefreshToken", err)
		}
		return &GetTokensFromRefreshTokenOutput{AuthenticationResult: result}, nil
	}

	// The tokens are minted first: the pre token generation trigger may fail the refresh,
	// and then the old refresh token must still work.
	result, err := s.mintTokens(ctx, req, u.rec, rec.OriginJTI, rec.AuthTime)
	if err != nil {
		return nil, s.storeError(ctx, "GetTokensFromRefreshToken", err)
	}
	// Rotate: retire the old token (now, or at the end of the grace period) and store the
	// new one in the same transaction, so a failure leaves the old one working.
	grace := req.client.rotationGrace()
	now := s.now()
	next := newRefreshToken()
	nextRec := rec
	nextRec.IssuedAt = now
	nextVal, _ := json.Marshal(nextRec)
	err = s.update(ctx, func(tx store.Tx) error {
		old, err := tx.TakeEphemeral(ctx, nsRefresh, tokenHash(in.RefreshToken), now)
		if errors.Is(err, store.ErrNotFound) {
			return invalidRefreshToken() // retired by a concurrent refresh
		}
		if err != nil {
			return err
		}
		if grace > 0 {
			old.ExpiresAt = minTime(old.ExpiresAt, now.Add(grace))
			if err := tx.PutEphemeral(ctx, old); err != nil {
				return err
			}
		}
		return tx.PutEphemeral(ctx, store.Ephemeral{PoolID: req.pool.rec.ID, Namespace: nsRefresh, Key: tokenHash(next),
			Value: nextVal, ExpiresAt: now.Add(req.client.validity("refresh"))})
	})
	if err != nil {
		return nil, s.storeError(ctx, "GetTokensFromRefreshToken", err)
	}
	result.RefreshToken = next
	return &GetTokensFromRefreshTokenOutput{AuthenticationResult: result}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
