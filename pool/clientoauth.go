package pool

import (
	"net/url"
	"slices"
	"strings"
)

// An app client's OAuth settings decide where the authorization server may send a browser
// and what it may grant, so they are checked when they are set, not when a sign-in trips on
// them: redirect URLs are absolute, carry no fragment (the server appends the response) and
// use https unless they stay on the user's machine; scopes exist; flows fit the client.

const (
	maxClientURLs   = 100
	maxClientScopes = 50
)

// loopbackHosts may be redirected to over plain http: the traffic never leaves the machine.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

// checkRedirectURL validates one callback or logout URL.
func checkRedirectURL(v *validator, field, raw string) {
	if !v.length(field, raw, 1, 1024) {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme == "":
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must be an absolute URL", raw, field)
	case strings.Contains(raw, "#"):
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must not contain a fragment", raw, field)
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must name a host", raw, field)
	case u.Scheme == "http" && !slices.Contains(loopbackHosts, strings.ToLower(u.Hostname())):
		v.add("Value '%s' at '%s' failed to satisfy constraint: Member must use https unless its host is localhost, 127.0.0.1 or [::1]", raw, field)
	}
}

// checkClientOAuthFields validates the shape of each OAuth setting; normalizeClientConfig
// calls it with the other field checks.
func checkClientOAuthFields(v *validator, c *clientConfig) {
	for _, list := range []struct {
		field string
		urls  []string
	}{{"callbackURLs", c.CallbackURLs}, {"logoutURLs", c.LogoutURLs}} {
		if len(list.urls) > maxClientURLs {
			v.add("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", list.field, maxClientURLs)
		}
		for _, u := range list.urls {
			checkRedirectURL(v, list.field+".member", u)
		}
	}
	if c.DefaultRedirectURI != "" {
		checkRedirectURL(v, "defaultRedirectURI", c.DefaultRedirectURI)
	}
	if len(c.AllowedOAuthScopes) > maxClientScopes {
		v.add("Value at 'allowedOAuthScopes' failed to satisfy constraint: Member must have length less than or equal to %d", maxClientScopes)
	}
	for _, sc := range c.AllowedOAuthScopes {
		if v.length("allowedOAuthScopes.member", sc, 1, 256) {
			v.pattern("allowedOAuthScopes.member", sc, reScope)
		}
	}
	for _, idp := range c.SupportedIdentityProviders {
		v.length("supportedIdentityProviders.member", idp, 1, 32)
	}
}

// checkClientOAuth applies the rules that relate the OAuth settings to each other and to the
// pool, which Cognito answers with exceptions of their own rather than validation errors.
func checkClientOAuth(p poolView, c *clientConfig, hasSecret bool) error {
	// Federation is not implemented: the pool's own directory is the only provider.
	for _, idp := range c.SupportedIdentityProviders {
		if idp != "COGNITO" {
			return invalidParameter("The provider %s does not exist for User Pool %s", idp, p.rec.ID)
		}
	}
	custom := p.customScopes()
	for _, sc := range c.AllowedOAuthScopes {
		if !slices.Contains(standardScopes, sc) && !slices.Contains(custom, sc) {
			return newError(ExScopeDoesNotExist, "Invalid scope requested: %s", sc)
		}
	}
	flows := c.AllowedOAuthFlows
	browserFlow := slices.Contains(flows, "code") || slices.Contains(flows, "implicit")
	if slices.Contains(flows, "client_credentials") {
		// A machine client authenticates with its secret alone; a browser flow would let the
		// same client act for users too.
		if browserFlow {
			return newError(ExInvalidOAuthFlow, "client_credentials flow can not be selected along with code flow or implicit flow.")
		}
		if !hasSecret {
			return newError(ExInvalidOAuthFlow, "client_credentials flow can not be selected if client does not have a client secret.")
		}
	}
	if c.DefaultRedirectURI != "" && !slices.Contains(c.CallbackURLs, c.DefaultRedirectURI) {
		return invalidParameter("The DefaultRedirectURI %s must be one of the client's CallbackURLs.", c.DefaultRedirectURI)
	}
	if boolValue(c.AllowedOAuthFlowsUserPoolClient) {
		if len(flows) == 0 {
			return invalidParameter("AllowedOAuthFlows must not be empty when AllowedOAuthFlowsUserPoolClient is true.")
		}
		if len(c.AllowedOAuthScopes) == 0 {
			return invalidParameter("AllowedOAuthScopes must not be empty when AllowedOAuthFlowsUserPoolClient is true.")
		}
		if browserFlow && len(c.CallbackURLs) == 0 {
			return invalidParameter("The code and implicit flows need at least one CallbackURL.")
		}
	}
	return nil
}
