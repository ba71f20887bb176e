package hosted

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashless/hashless/pool"
)

// tokenError answers an RFC 6749 §5.2 error. A client that tried HTTP Basic and failed gets
// 401 with a challenge, as the RFC asks; every other error is a 400.
func (h *Handler) tokenError(w http.ResponseWriter, r *http.Request, grant string, err error) {
	var oe *pool.OAuthError
	if !errors.As(err, &oe) {
		h.grants.WithLabelValues(grant, "error").Inc()
		h.log.ErrorContext(r.Context(), "token endpoint", "pool", r.PathValue("pool"), "grant", grant, "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server_error",
			"error_description": "The service is temporarily unavailable."})
		return
	}
	h.grants.WithLabelValues(grant, oe.Code).Inc()
	status := http.StatusBadRequest
	if oe.Code == "invalid_client" {
		if _, _, basic := r.BasicAuth(); basic {
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
		}
	}
	writeJSON(w, status, map[string]string{"error": oe.Code, "error_description": oe.Description})
}

func formEncoded(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// clientAuth authenticates the caller of the token and revoke endpoints: HTTP Basic
// (client_secret_basic, form-encoded per RFC 6749 §2.3.1) or form fields
// (client_secret_post), never both, and a public client by its client_id alone.
func (h *Handler) clientAuth(r *http.Request) (pool.OAuthClient, string, error) {
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	_, formSecretGiven := r.PostForm["client_secret"]
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || id == "" {
			return pool.OAuthClient{}, "", &pool.OAuthError{Code: "invalid_client", Description: "The Authorization header is malformed."}
		}
		if formSecretGiven || formID != "" && formID != id {
			return pool.OAuthClient{}, "", &pool.OAuthError{Code: "invalid_request", Description: "Authenticate the client one way only."}
		}
		c, err := h.svc.AuthenticateClient(r.Context(), r.PathValue("pool"), id, secret, true)
		return c, secret, err
	}
	if formID == "" {
		return pool.OAuthClient{}, "", &pool.OAuthError{Code: "invalid_client", Description: "client_id is required."}
	}
	c, err := h.svc.AuthenticateClient(r.Context(), r.PathValue("pool"), formID, formSecret, formSecretGiven)
	return c, formSecret, err
}

// token is POST /oauth2/token.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	grant := r.PostForm.Get("grant_type")
	label := grant
	switch grant {
	case "authorization_code", "refresh_token", "client_credentials":
	default:
		label = "other"
	}
	if !formEncoded(r) {
		h.tokenError(w, r, label, &pool.OAuthError{Code: "invalid_request", Description: "The body must be application/x-www-form-urlencoded."})
		return
	}
	if len(r.URL.RawQuery) > 0 && r.URL.Query().Has("code") {
		h.tokenError(w, r, label, &pool.OAuthError{Code: "invalid_request", Description: "Send the parameters in the body, not the URL."})
		return
	}
	if grant == "" {
		h.tokenError(w, r, label, &pool.OAuthError{Code: "invalid_request", Description: "grant_type is required."})
		return
	}
	client, secret, err := h.clientAuth(r)
	if err != nil {
		h.tokenError(w, r, label, err)
		return
	}
	f := r.PostForm
	var tokens *pool.OAuthTokens
	switch grant {
	case "authorization_code":
		if !client.AllowsFlow(pool.OAuthFlowCode) {
			err = &pool.OAuthError{Code: "unauthorized_client", Description: "The client may not use the authorization_code grant."}
			break
		}
		tokens, err = h.svc.ExchangeAuthorizationCode(r.Context(), client, f.Get("code"), f.Get("redirect_uri"), f.Get("code_verifier"))
	case "refresh_token":
		tokens, err = h.svc.RefreshOAuth(r.Context(), client, secret, f.Get("refresh_token"))
	case "client_credentials":
		tokens, err = h.svc.ClientCredentials(r.Context(), client, strings.Fields(f.Get("scope")))
	default:
		err = &pool.OAuthError{Code: "unsupported_grant_type", Description: "grant_type must be authorization_code, refresh_token or client_credentials."}
	}
	if err != nil {
		h.tokenError(w, r, label, err)
		return
	}
	h.grants.WithLabelValues(label, "issued").Inc()
	writeJSON(w, http.StatusOK, tokens)
}

// userInfo is GET or POST /oauth2/userInfo with a Bearer access token.
func (h *Handler) userInfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request", error_description="Bearer access token is required"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "Bearer access token is required."})
		return
	}
	info, err := h.svc.UserInfo(r.Context(), strings.TrimSpace(token))
	var oe *pool.OAuthError
	if errors.As(err, &oe) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="Access token is invalid"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": oe.Description})
		return
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "userInfo", "pool", r.PathValue("pool"), "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server_error", "error_description": "The service is temporarily unavailable."})
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// revoke is POST /oauth2/revoke (RFC 7009): a refresh token and every token minted from it.
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	if !formEncoded(r) {
		h.tokenError(w, r, "revoke", &pool.OAuthError{Code: "invalid_request", Description: "The body must be application/x-www-form-urlencoded."})
		return
	}
	client, secret, err := h.clientAuth(r)
	if err == nil {
		err = h.svc.RevokeOAuth(r.Context(), client, secret, r.PostForm.Get("token"))
	}
	if err != nil {
		h.tokenError(w, r, "revoke", err)
		return
	}
	h.grants.WithLabelValues("revoke", "revoked").Inc()
	w.WriteHeader(http.StatusOK)
}
