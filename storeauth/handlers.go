package storeauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

type registerRequest struct {
	Email     string          `json:"email"`
	Password  string          `json:"password"`
	FirstName string          `json:"first_name"`
	LastName  string          `json:"last_name"`
	Phone     string          `json:"phone"`
	Metadata  json.RawMessage `json:"metadata"`
}

func (h *API) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !h.decode(w, r, &req) {
		return
	}
	c, err := h.svc.Register(r.Context(), Registration(req))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"customer": customerView(c)})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *API) login(w http.ResponseWriter, r *http.Request, kind string) (SignIn, bool) {
	var req loginRequest
	if !h.decode(w, r, &req) {
		return SignIn{}, false
	}
	in, err := h.svc.Login(r.Context(), req.Email, req.Password, h.clientOf(r), kind)
	if err != nil {
		h.fail(w, r, err)
		return SignIn{}, false
	}
	return in, true
}

func (h *API) loginCookie(w http.ResponseWriter, r *http.Request) {
	in, ok := h.login(w, r, KindCookie)
	if !ok {
		return
	}
	h.setCookie(w, in.Token, h.svc.SessionMax())
	resp := map[string]any{"customer": customerView(in.Customer)}
	if in.PasswordChangeRequired {
		resp["password_change_required"] = true
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *API) loginToken(w http.ResponseWriter, r *http.Request) {
	in, ok := h.login(w, r, KindBearer)
	if !ok {
		return
	}
	resp := map[string]any{"access_token": in.Token, "token_type": "Bearer", "expires_in": int(h.svc.SessionMax().Seconds())}
	if in.PasswordChangeRequired {
		resp["password_change_required"] = true
	}
	writeJSON(w, http.StatusOK, resp)
}

// signedIn authenticates r or answers 401 (clearing a stale cookie).
func (h *API) signedIn(w http.ResponseWriter, r *http.Request) (sessionOK bool, sess sessionRef) {
	s, err := h.session(r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Type == TypeUnauthorized {
			if _, cerr := r.Cookie(h.cookieName); cerr == nil {
				h.clearCookie(w)
			}
		}
		h.fail(w, r, err)
		return false, sessionRef{}
	}
	return true, sessionRef{s}
}

func (h *API) current(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	c, err := h.svc.Customer(r.Context(), s.CustomerID)
	if err != nil {
		h.clearCookie(w)
		writeError(w, errUnauthenticated())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": customerView(c)})
}

func (h *API) me(w http.ResponseWriter, r *http.Request) { h.current(w, r) }

func (h *API) logout(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	if err := h.svc.Logout(r.Context(), s.Session); err != nil {
		h.fail(w, r, err)
		return
	}
	h.clearCookie(w)
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (h *API) listSessions(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	all, err := h.svc.Sessions(r.Context(), s.CustomerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]sessionJSON, 0, len(all))
	for _, x := range all {
		out = append(out, sessionJSON{ID: x.ID, CreatedAt: x.CreatedAt.UTC(), LastSeenAt: x.LastSeenAt.UTC(),
			UserAgent: x.UserAgent, IP: x.IP, Current: x.ID == s.ID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (h *API) endSession(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := h.svc.EndSession(r.Context(), s.CustomerID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if id == s.ID {
		h.clearCookie(w)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "session", "deleted": true})
}

func (h *API) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	n, err := h.svc.EndSessions(r.Context(), s.CustomerID, s.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}

// verify is forward-auth for reverse proxies: 200 with the customer's ID in headers, or 401.
func (h *API) verify(w http.ResponseWriter, r *http.Request) {
	s, err := h.session(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("X-Customer-Id", s.CustomerID)
	w.Header().Set("X-Session-Id", s.ID)
	writeJSON(w, http.StatusOK, map[string]string{"customer_id": s.CustomerID})
}

type passwordTokenRequest struct {
	Email string `json:"email"`
}

func (h *API) passwordToken(w http.ResponseWriter, r *http.Request) {
	var req passwordTokenRequest
	if !h.decode(w, r, &req) {
		return
	}
	if err := h.svc.RequestPasswordReset(r.Context(), req.Email); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type passwordResetRequest struct {
	Email    string `json:"email"`
	Token    string `json:"token"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (h *API) passwordReset(w http.ResponseWriter, r *http.Request) {
	var req passwordResetRequest
	if !h.decode(w, r, &req) {
		return
	}
	code := req.Token
	if code == "" {
		code = req.Code
	}
	c, err := h.svc.ResetPassword(r.Context(), req.Email, code, req.Password)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, cerr := r.Cookie(h.cookieName); cerr == nil {
		h.clearCookie(w)
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": customerView(c)})
}

type changePasswordRequest struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (h *API) changePassword(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	var req changePasswordRequest
	if !h.decode(w, r, &req) {
		return
	}
	if err := h.svc.ChangePassword(r.Context(), s.Session, req.OldPassword, req.NewPassword); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.svc.Customer(r.Context(), s.CustomerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": customerView(c)})
}

type updateMeRequest struct {
	Email     *string         `json:"email"`
	Password  string          `json:"password"`
	FirstName *string         `json:"first_name"`
	LastName  *string         `json:"last_name"`
	Phone     *string         `json:"phone"`
	Metadata  json.RawMessage `json:"metadata"`
}

func (h *API) updateMe(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	var req updateMeRequest
	if !h.decode(w, r, &req) {
		return
	}
	c, err := h.svc.UpdateProfile(r.Context(), s.CustomerID, ProfileUpdate(req))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": customerView(c)})
}

type verifyEmailRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (h *API) verifyEmail(w http.ResponseWriter, r *http.Request) {
	ok, s := h.signedIn(w, r)
	if !ok {
		return
	}
	var req verifyEmailRequest
	if !h.decode(w, r, &req) {
		return
	}
	if err := h.svc.VerifyEmail(r.Context(), s.CustomerID, req.Password, req.Code); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- admin

func (h *API) adminList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, invalid("limit must be a number from 1 to 1000."))
			return
		}
		limit = n
	}
	email := q.Get("email")
	if len(email) > maxEmailLength || len(q.Get("after")) > 64 {
		writeError(w, invalid("A query parameter is too long."))
		return
	}
	cs, err := h.svc.FindCustomers(r.Context(), email, q.Get("after"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]customerJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, customerView(c))
	}
	resp := map[string]any{"customers": out, "next": nil}
	if limit == 0 {
		limit = 100
	}
	if len(cs) == limit {
		resp["next"] = cs[len(cs)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *API) adminSetDisabled(w http.ResponseWriter, r *http.Request, disabled bool) {
	c, err := h.svc.SetDisabled(r.Context(), r.PathValue("id"), disabled)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	view := customerView(c)
	writeJSON(w, http.StatusOK, map[string]any{"customer": view, "disabled": c.Disabled})
}

func (h *API) adminDisable(w http.ResponseWriter, r *http.Request) { h.adminSetDisabled(w, r, true) }
func (h *API) adminEnable(w http.ResponseWriter, r *http.Request)  { h.adminSetDisabled(w, r, false) }

func (h *API) adminEndSessions(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.svc.EndSessions(r.Context(), c.ID, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ended": n})
}

func (h *API) adminDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.svc.DeleteCustomer(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "customer", "deleted": true})
}

func (h *API) adminMigration(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.MigrationStatus(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// --- health

func (h *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *API) readyz(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Ready != nil {
		if err := h.cfg.Ready(r.Context()); err != nil {
			h.log.Warn("not ready: database", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database"})
			return
		}
	}
	if err := h.svc.CheckPool(r.Context()); err != nil {
		h.log.Warn("not ready: pool", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "pool"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
