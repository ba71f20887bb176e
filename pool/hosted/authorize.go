package hosted

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hashless/hashless/pool"
)

// authzParams are the parameters of an authorization request that travel with the user
// through the pages.
var authzParams = []string{"client_id", "redirect_uri", "response_type", "state", "scope", "nonce",
	"code_challenge", "code_challenge_method", "identity_provider", "idp_identifier", "prompt", "lang"}

// authz is a checked authorization request.
type authz struct {
	client   pool.OAuthClient
	values   url.Values
	redirect string
	// implicit answers in the fragment (response_type=token) instead of the query.
	implicit bool
	scopes   []string
}

// carried keeps only the authorization parameters of a query or form.
func carried(from url.Values) url.Values {
	out := url.Values{}
	for _, k := range authzParams {
		if v := from.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// authzError is a refusal of an authorization request: fatal ones are shown on an error
// page (the redirect URI is not trustworthy), the others go back to the client.
type authzError struct {
	fatal       bool
	status      int
	code        string
	description string
}

// checkAuthz validates an authorization request completely. Until the client and its exact
// redirect URI are known nothing is redirected; after that, errors go back to the client.
func (h *Handler) checkAuthz(r *http.Request, values url.Values) (authz, *authzError) {
	a := authz{values: carried(values)}
	clientID := values.Get("client_id")
	if clientID == "" {
		return a, &authzError{fatal: true, status: http.StatusBadRequest, description: "client_id is required."}
	}
	client, err := h.svc.OAuthClient(r.Context(), r.PathValue("pool"), clientID)
	var pe *pool.Error
	if errors.As(err, &pe) && pe.Type == pool.ExResourceNotFound {
		return a, &authzError{fatal: true, status: http.StatusBadRequest, description: "The client_id is not a client of this user pool."}
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "authorize: reading the client", "pool", r.PathValue("pool"), "err", err)
		return a, &authzError{fatal: true, status: http.StatusServiceUnavailable, description: "The sign-in service is temporarily unavailable."}
	}
	a.client = client
	redirect := values.Get("redirect_uri")
	if redirect == "" || !slices.Contains(client.CallbackURLs, redirect) {
		// Exact string match only: no prefix, path, port, case or encoding leeway.
		return a, &authzError{fatal: true, status: http.StatusBadRequest, description: "redirect_uri is not one of the client's callback URLs."}
	}
	a.redirect = redirect
	responseType := values.Get("response_type")
	a.implicit = responseType == "token"
	switch {
	case responseType != "code" && responseType != "token":
		return a, &authzError{code: "unsupported_response_type", description: "response_type must be code or token."}
	case !client.OAuthEnabled:
		return a, &authzError{code: "unauthorized_client", description: "The client is not enabled for OAuth flows."}
	case responseType == "code" && !client.AllowsFlow(pool.OAuthFlowCode),
		responseType == "token" && !client.AllowsFlow(pool.OAuthFlowImplicit):
		return a, &authzError{code: "unauthorized_client", description: "The client may not use this response_type."}
	}
	if idp := values.Get("identity_provider"); idp != "" && idp != "COGNITO" {
		return a, &authzError{code: "invalid_request", description: "identity_provider is not a provider of this client."}
	}
	if len(client.IdentityProviders) > 0 && !slices.Contains(client.IdentityProviders, "COGNITO") {
		return a, &authzError{code: "unauthorized_client", description: "The client does not sign users in with the user pool."}
	}
	if scope := values.Get("scope"); scope != "" {
		for _, sc := range strings.Fields(scope) {
			if !slices.Contains(client.AllowedScopes, sc) {
				return a, &authzError{code: "invalid_scope", description: "A requested scope is not allowed for the client."}
			}
			if !slices.Contains(a.scopes, sc) {
				a.scopes = append(a.scopes, sc)
			}
		}
	} else {
		a.scopes = slices.Clone(client.AllowedScopes)
	}
	if len(a.scopes) == 0 {
		return a, &authzError{code: "invalid_scope", description: "No scope is allowed for the client."}
	}
	challenge, method := values.Get("code_challenge"), values.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return a, &authzError{code: "invalid_request", description: "code_challenge_method without code_challenge."}
	case challenge != "" && method != "S256":
		return a, &authzError{code: "invalid_request", description: "code_challenge_method must be S256."}
	case challenge != "" && !pkceShaped(challenge):
		return a, &authzError{code: "invalid_request", description: "code_challenge is malformed."}
	case challenge != "" && a.implicit:
		return a, &authzError{code: "invalid_request", description: "PKCE applies to the code flow only."}
	}
	switch values.Get("prompt") {
	case "", "none", "login", "consent", "select_account":
	default:
		return a, &authzError{code: "invalid_request", description: "prompt must be none, login, consent or select_account."}
	}
	return a, nil
}

// pkceShaped: an S256 challenge is 43 base64url characters.
func pkceShaped(s string) bool {
	if len(s) != 43 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// redirectWith sends the browser to the client's redirect URI with params in the query
// (code flow) or the fragment (implicit flow), keeping any query the registered URI has.
func redirectWith(w http.ResponseWriter, r *http.Request, a authz, params url.Values) {
	if s := a.values.Get("state"); s != "" {
		params.Set("state", s)
	}
	u, err := url.Parse(a.redirect)
	if err != nil {
		http.Error(w, "The redirect URI is unusable.", http.StatusBadRequest)
		return
	}
	if a.implicit {
		u.Fragment = ""
		u.RawFragment = params.Encode()
		target := u.String()
		if !strings.Contains(target, "#") {
			target += "#" + params.Encode()
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// refuse answers an authorization error: a page when it is fatal, else a redirect back.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, a authz, e *authzError) {
	outcome := e.code
	if e.fatal {
		outcome = "refused_page"
	}
	h.grants.WithLabelValues("authorize", outcome).Inc()
	if e.fatal {
		h.errorPage(w, r, e.status, e.description)
		return
	}
	redirectWith(w, r, a, url.Values{"error": {e.code}, "error_description": {e.description}})
}

// authorize is GET /oauth2/authorize: a live hosted-UI session answers at once, otherwise
// the sign-in page takes over with the same parameters.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	a, e := h.checkAuthz(r, r.URL.Query())
	if e != nil {
		h.refuse(w, r, a, e)
		return
	}
	prompt := a.values.Get("prompt")
	if prompt != "login" {
		if u, ok := h.hostedUser(r); ok {
			h.complete(w, r, a, u)
			return
		}
	}
	if prompt == "none" {
		h.refuse(w, r, a, &authzError{code: "login_required", description: "The user is not signed in."})
		return
	}
	http.Redirect(w, r, poolPath(r)+"login?"+a.values.Encode(), http.StatusFound)
}

// complete ends an authorization for a signed-in user: a code, or tokens in the fragment.
func (h *Handler) complete(w http.ResponseWriter, r *http.Request, a authz, u pool.SignedInUser) {
	grant := pool.AuthorizationGrant{ClientID: a.client.ClientID, RedirectURI: a.redirect, Scopes: a.scopes,
		Nonce: a.values.Get("nonce"), CodeChallenge: a.values.Get("code_challenge"), User: u}
	if a.implicit {
		t, err := h.svc.ImplicitTokens(r.Context(), grant)
		if err != nil {
			h.grantFailed(w, r, a, "implicit", err)
			return
		}
		h.grants.WithLabelValues("implicit", "issued").Inc()
		params := url.Values{"access_token": {t.AccessToken}, "token_type": {t.TokenType},
			"expires_in": {itoa(t.ExpiresIn)}}
		if t.IDToken != "" {
			params.Set("id_token", t.IDToken)
		}
		redirectWith(w, r, a, params)
		return
	}
	code, err := h.svc.IssueAuthorizationCode(r.Context(), grant)
	if err != nil {
		h.grantFailed(w, r, a, "authorization_code", err)
		return
	}
	h.grants.WithLabelValues("authorize", "code_issued").Inc()
	redirectWith(w, r, a, url.Values{"code": {code}})
}

// grantFailed: a session whose user can no longer sign in is forgotten and the user signs
// in again; anything else is the server's trouble.
func (h *Handler) grantFailed(w http.ResponseWriter, r *http.Request, a authz, grant string, err error) {
	var oe *pool.OAuthError
	if errors.Is(err, pool.ErrNoHostedSession) || errors.As(err, &oe) {
		h.grants.WithLabelValues(grant, "session_gone").Inc()
		h.endSession(w, r)
		http.Redirect(w, r, poolPath(r)+"login?"+a.values.Encode(), http.StatusFound)
		return
	}
	h.grants.WithLabelValues(grant, "error").Inc()
	h.log.ErrorContext(r.Context(), "authorize: issuing", "pool", r.PathValue("pool"), "grant", grant, "err", err)
	h.errorPage(w, r, http.StatusServiceUnavailable, "The sign-in service is temporarily unavailable.")
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := h.svc.EndHostedSession(r.Context(), r.PathValue("pool"), c.Value); err != nil {
			h.log.WarnContext(r.Context(), "ending a hosted session", "pool", r.PathValue("pool"), "err", err)
		}
	}
	h.setCookie(w, r, sessionCookie, "", -1)
}

// logout is GET /logout: the hosted-UI session ends, then the browser goes to a registered
// logout_uri, or (redirect_uri plus response_type) back to the sign-in page.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	if clientID == "" {
		h.errorPage(w, r, http.StatusBadRequest, "client_id is required.")
		return
	}
	client, err := h.svc.OAuthClient(r.Context(), r.PathValue("pool"), clientID)
	if err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The client_id is not a client of this user pool.")
		return
	}
	logoutURI := q.Get("logout_uri")
	switch {
	case logoutURI != "":
		if !slices.Contains(client.LogoutURLs, logoutURI) {
			h.errorPage(w, r, http.StatusBadRequest, "logout_uri is not one of the client's sign-out URLs.")
			return
		}
		h.endSession(w, r)
		h.grants.WithLabelValues("logout", "redirected").Inc()
		http.Redirect(w, r, logoutURI, http.StatusFound)
	case q.Get("redirect_uri") != "":
		a, e := h.checkAuthz(r, q)
		if e != nil {
			h.refuse(w, r, a, e)
			return
		}
		h.endSession(w, r)
		h.grants.WithLabelValues("logout", "sign_in_again").Inc()
		http.Redirect(w, r, poolPath(r)+"login?"+a.values.Encode(), http.StatusFound)
	default:
		h.endSession(w, r)
		h.grants.WithLabelValues("logout", "signed_out").Inc()
		h.render(w, r, "signedout", view{Title: "Signed out", Client: client})
	}
}
