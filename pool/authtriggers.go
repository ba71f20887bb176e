package pool

import (
	"context"
	"slices"
	"strings"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// The triggers of a sign-in: pre authentication (the user is known, the password not yet
// checked), post authentication (every factor proved, no token made yet) and pre token
// generation (the ID token's claims and both tokens' groups).

// preAuthentication lets the pool's webhook refuse a sign-in before the password is checked.
// Its validationData is InitiateAuth's ClientMetadata, as on Cognito.
func (s *Service) preAuthentication(ctx context.Context, req authRequest, u userView) error {
	if !req.pool.hasTrigger(triggers.TriggerPreAuthentication) {
		return nil
	}
	ev := triggers.Event{TriggerSource: triggers.SourcePreAuthentication, UserName: u.rec.Username,
		Request: &triggers.PreAuthenticationRequest{UserAttributes: eventAttributes(u.rec),
			ValidationData: req.clientMetadata},
		Response: &triggers.PreAuthenticationResponse{}}
	_, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev)
	return err
}

// postAuthentication runs once every factor is proved and before any token exists, so a
// webhook that fails it leaves the user without tokens (Cognito answers the failure and
// issues none).
func (s *Service) postAuthentication(ctx context.Context, req authRequest, u store.User, newDevice bool) error {
	if !req.pool.hasTrigger(triggers.TriggerPostAuthentication) {
		return nil
	}
	ev := triggers.Event{TriggerSource: triggers.SourcePostAuthentication, UserName: u.Username,
		Request: &triggers.PostAuthenticationRequest{UserAttributes: eventAttributes(u),
			NewDeviceUsed: newDevice, ClientMetadata: req.clientMetadata},
		Response: &triggers.PostAuthenticationResponse{}}
	_, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev)
	return err
}

// protectedClaims are the ID token claims a pre token generation answer can neither add,
// override nor suppress: the ones that say who issued the token, to whom, for whom, for what
// and until when. Cognito's guide lists these as the claims the trigger cannot change;
// cognito:groups changes only through groupOverrideDetails, and the other cognito: claims
// not at all. An answer that names one is taken without that part, rather than failing the
// sign-in.
var protectedClaims = []string{
	"acr", "amr", "at_hash", "aud", "auth_time", "azp", "event_id", "exp", "iat", "identities",
	"iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use",
}

func claimProtected(name string) bool {
	return slices.Contains(protectedClaims, name) || strings.HasPrefix(name, "cognito:")
}

// preTokenGeneration asks the webhook (V1_0 event) how to change the tokens about to be
// minted for u. A nil answer leaves them as they are.
func (s *Service) preTokenGeneration(ctx context.Context, req authRequest, u store.User, groups []string) (*triggers.ClaimsOverrideDetails, error) {
	if !req.pool.hasTrigger(triggers.TriggerPreTokenGeneration) {
		return nil, nil
	}
	source := req.tokenSource
	if source == "" {
		source = triggers.SourceTokenGenerationAuthentication
	}
	var resp triggers.PreTokenGenerationResponse
	ev := triggers.Event{TriggerSource: source, UserName: u.Username,
		Request: &triggers.PreTokenGenerationRequest{UserAttributes: eventAttributes(u),
			GroupConfiguration: triggers.GroupConfiguration{GroupsToOverride: slices.Clone(groups), IAMRolesToOverride: []string{}},
			ClientMetadata:     req.clientMetadata},
		Response: &resp}
	if _, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev); err != nil {
		return nil, err
	}
	return resp.ClaimsOverrideDetails, nil
}

// overrideGroups is the groups the tokens name after the webhook's answer.
func overrideGroups(groups []string, o *triggers.ClaimsOverrideDetails) []string {
	if o == nil || o.GroupOverrideDetails == nil || o.GroupOverrideDetails.GroupsToOverride == nil {
		return groups
	}
	return slices.Clone(o.GroupOverrideDetails.GroupsToOverride)
}

// applyClaimOverrides changes the ID token's claims as the webhook answered: suppressions
// first, then additions, as Cognito applies them, leaving the protected claims alone.
func applyClaimOverrides(claims map[string]any, o *triggers.ClaimsOverrideDetails) {
	if o == nil {
		return
	}
	for _, name := range o.ClaimsToSuppress {
		if !claimProtected(name) {
			delete(claims, name)
		}
	}
	for name, value := range o.ClaimsToAddOrOverride {
		if name != "" && !claimProtected(name) {
			claims[name] = value
		}
	}
}
