package hosted

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashless/hashless/internal/formguard"
	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/totp"
)

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// pageStart checks what every form page needs: an authorization request that could be
// completed. A request that cannot is answered (page or redirect) and ok is false.
func (h *Handler) pageStart(w http.ResponseWriter, r *http.Request, values url.Values) (authz, bool) {
	a, e := h.checkAuthz(r, values)
	if e != nil {
		h.refuse(w, r, a, e)
		return a, false
	}
	return a, true
}

// page serves a GET page whose authorization request checks out.
func (h *Handler) page(fn func(http.ResponseWriter, *http.Request, authz)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a, ok := h.pageStart(w, r, r.URL.Query()); ok {
			fn(w, r, a)
		}
	}
}

// form serves a form submission whose CSRF check and authorization request check out.
func (h *Handler) form(fn func(http.ResponseWriter, *http.Request, authz)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a, ok := h.postStart(w, r); ok {
			fn(w, r, a)
		}
	}
}

// postStart is pageStart for a form submission, after its CSRF check.
func (h *Handler) postStart(w http.ResponseWriter, r *http.Request) (authz, bool) {
	if !formguard.CSRFValid(r, csrfCookie) {
		h.pageHits.WithLabelValues("csrf", "refused").Inc()
		h.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
		return authz{}, false
	}
	return h.pageStart(w, r, r.PostForm)
}

func (h *Handler) baseView(a authz, title string) view {
	v := view{Title: title, Client: a.client, Authz: a.values}
	v.EmailIsLogin = slices.Contains(a.client.UsernameAttributes, "email")
	v.NeedUsername = len(a.client.UsernameAttributes) == 0
	v.NeedPhone = slices.Contains(a.client.RequiredAttributes, "phone_number") || slices.Contains(a.client.UsernameAttributes, "phone_number")
	return v
}

// message is what a person is told about a refused step: the pool's own message for the
// errors it words for users, a generic line for the rest (which are logged).
func (h *Handler) message(r *http.Request, err error) (string, int) {
	var pe *pool.Error
	if errors.As(err, &pe) {
		switch pe.Type {
		case pool.ExInternalError, pool.ExUnexpectedLambda, pool.ExInvalidLambdaResponse:
		default:
			return pe.Message, http.StatusBadRequest
		}
	}
	h.log.ErrorContext(r.Context(), "hosted page step failed", "pool", r.PathValue("pool"), "path", r.URL.Path, "err", err)
	return "The sign-in service is temporarily unavailable. Try again in a moment.", http.StatusServiceUnavailable
}

func isException(err error, name string) bool {
	var pe *pool.Error
	return errors.As(err, &pe) && pe.Type == name
}

// showPage is a page that only shows its form.
func (h *Handler) showPage(name, title string) func(http.ResponseWriter, *http.Request, authz) {
	return func(w http.ResponseWriter, r *http.Request, a authz) { h.render(w, r, name, h.baseView(a, title)) }
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	v := h.baseView(a, "Sign in")
	v.Username = username
	if username == "" || password == "" {
		v.Error, v.Status = "Enter your username and password.", http.StatusBadRequest
		h.render(w, r, "login", v)
		return
	}
	step, err := h.svc.HostedSignIn(r.Context(), a.client.PoolID, a.client.ClientID, username, password)
	switch {
	case isException(err, pool.ExUserNotConfirmed):
		h.sendConfirmation(w, r, a, username, "Your account is not confirmed yet. We sent you a new code.")
		return
	case isException(err, pool.ExPasswordResetRequired):
		h.startReset(w, r, a, username, "Your password must be reset before you can sign in.")
		return
	case err != nil:
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "login", v)
		return
	}
	h.step(w, r, a, username, step)
}

// step goes on from a sign-in step: the next challenge page, or the end of the sign-in.
func (h *Handler) step(w http.ResponseWriter, r *http.Request, a authz, username string, step pool.HostedStep) {
	if step.User != nil {
		token, err := h.svc.StartHostedSession(r.Context(), *step.User)
		if err != nil {
			v := h.baseView(a, "Sign in")
			v.Error, v.Status = h.message(r, err)
			h.render(w, r, "login", v)
			return
		}
		h.setCookie(w, r, sessionCookie, token, int(pool.HostedSessionLifetime.Seconds()))
		h.pageHits.WithLabelValues("sign_in", "signed_in").Inc()
		h.complete(w, r, a, *step.User)
		return
	}
	h.challengePage(w, r, a, username, step, "", http.StatusOK)
}

// challengePage shows the form for a challenge. A TOTP setup asks the pool for the secret
// first, which hands back the session to answer with.
func (h *Handler) challengePage(w http.ResponseWriter, r *http.Request, a authz, username string, step pool.HostedStep, errMsg string, status int) {
	v := h.baseView(a, "Sign in")
	v.Username, v.Challenge, v.Session, v.Error, v.Status = username, step.Challenge, step.Session, errMsg, status
	if id := step.Parameters["USER_ID_FOR_SRP"]; id != "" && v.Username == "" {
		v.Username = id
	}
	switch step.Challenge {
	case pool.ChallengeNewPasswordRequired:
		v.Title = "Change your password"
		var required []string
		_ = json.Unmarshal([]byte(step.Parameters["requiredAttributes"]), &required)
		for _, name := range required {
			v.RequiredAttrs = append(v.RequiredAttrs, strings.TrimPrefix(name, "userAttributes."))
		}
	case pool.ChallengeSMSMFA, pool.ChallengeEmailOTP:
		v.Title = "Enter your code"
		v.Destination = step.Parameters["CODE_DELIVERY_DESTINATION"]
	case pool.ChallengeSoftwareTokenMFA:
		v.Title = "Enter your authenticator code"
	case pool.ChallengeSelectMFAType:
		v.Title = "Choose how to verify"
		_ = json.Unmarshal([]byte(step.Parameters["MFAS_CAN_CHOOSE"]), &v.Options)
	case pool.ChallengeMFASetup:
		v.Title = "Set up an authenticator app"
		if step.Parameters["secret"] != "" {
			v.SecretCode = step.Parameters["secret"]
		} else {
			out, err := h.svc.AssociateSoftwareToken(r.Context(), pool.Caller{}, &pool.AssociateSoftwareTokenInput{Session: step.Session})
			if err != nil {
				h.restart(w, r, a, err)
				return
			}
			v.Session, v.SecretCode = out.Session, out.SecretCode
		}
		v.OTPAuthURI = totp.URI(a.client.ClientName, v.Username, v.SecretCode)
	default:
		// CUSTOM_CHALLENGE and the device challenges have no hosted page, as on Cognito.
		v.Error, v.Status = "This account needs a sign-in method the hosted pages do not offer.", http.StatusBadRequest
		h.render(w, r, "login", v)
		return
	}
	h.render(w, r, "challenge", v)
}

// restart sends the user back to the sign-in form after a step that cannot go on (an
// expired or spent session).
func (h *Handler) restart(w http.ResponseWriter, r *http.Request, a authz, err error) {
	v := h.baseView(a, "Sign in")
	v.Error, v.Status = h.message(r, err)
	if isException(err, pool.ExNotAuthorized) {
		v.Error = "Your sign-in session has expired. Sign in again."
	}
	h.render(w, r, "login", v)
}

// challengeSubmit answers the challenge in the form.
func (h *Handler) challengeSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	f := r.PostForm
	username, challenge, session := f.Get("username"), f.Get("challenge"), f.Get("session")
	responses := map[string]string{"USERNAME": username}
	again := pool.HostedStep{Challenge: challenge, Session: session, Parameters: map[string]string{}}
	switch challenge {
	case pool.ChallengeNewPasswordRequired:
		password := f.Get("new_password")
		if password != f.Get("confirm_password") {
			h.challengePage(w, r, a, username, h.requiredAgain(again, f), "The passwords do not match.", http.StatusBadRequest)
			return
		}
		responses["NEW_PASSWORD"] = password
		for k, vs := range f {
			if name, ok := strings.CutPrefix(k, "attr_"); ok && len(vs) == 1 && vs[0] != "" {
				responses["userAttributes."+name] = vs[0]
			}
		}
	case pool.ChallengeSMSMFA:
		responses["SMS_MFA_CODE"] = strings.TrimSpace(f.Get("code"))
	case pool.ChallengeEmailOTP:
		responses["EMAIL_OTP_CODE"] = strings.TrimSpace(f.Get("code"))
	case pool.ChallengeSoftwareTokenMFA:
		responses["SOFTWARE_TOKEN_MFA_CODE"] = strings.TrimSpace(f.Get("code"))
	case pool.ChallengeSelectMFAType:
		responses["ANSWER"] = f.Get("answer")
	case pool.ChallengeMFASetup:
		out, err := h.svc.VerifySoftwareToken(r.Context(), pool.Caller{}, &pool.VerifySoftwareTokenInput{Session: session,
			UserCode: strings.TrimSpace(f.Get("code"))})
		if err != nil {
			if isException(err, pool.ExCodeMismatch) || isException(err, pool.ExEnableSoftwareTokenMFA) || isException(err, pool.ExInvalidParameter) {
				again.Parameters["secret"] = f.Get("secret")
				h.challengePage(w, r, a, username, again, "That code is not right. Enter the current code from your app.", http.StatusBadRequest)
				return
			}
			h.restart(w, r, a, err)
			return
		}
		session = out.Session
	default:
		h.errorPage(w, r, http.StatusBadRequest, "The form names no challenge this page can answer.")
		return
	}
	step, err := h.svc.HostedRespond(r.Context(), a.client.PoolID, a.client.ClientID, challenge, session, responses)
	switch {
	case err == nil:
		h.step(w, r, a, username, step)
	case isException(err, pool.ExCodeMismatch):
		// A wrong code spends the session on Cognito too; the user signs in again.
		v := h.baseView(a, "Sign in")
		v.Username, v.Error, v.Status = username, "That code is not right. Sign in again to get a new one.", http.StatusBadRequest
		h.render(w, r, "login", v)
	case isException(err, pool.ExInvalidPassword) || isException(err, pool.ExInvalidParameter) && challenge == pool.ChallengeNewPasswordRequired:
		msg, status := h.message(r, err)
		h.challengePage(w, r, a, username, h.requiredAgain(again, f), msg, status)
	default:
		h.restart(w, r, a, err)
	}
}

// requiredAgain rebuilds a new-password step's required attributes from the form, to show
// the form again after a refusal that did not spend the session.
func (h *Handler) requiredAgain(step pool.HostedStep, f url.Values) pool.HostedStep {
	var required []string
	for k := range f {
		if name, ok := strings.CutPrefix(k, "attr_"); ok {
			required = append(required, "userAttributes."+name)
		}
	}
	slices.Sort(required)
	b, _ := json.Marshal(required)
	step.Parameters["requiredAttributes"] = string(b)
	return step
}

func (h *Handler) secretHash(r *http.Request, a authz, username string) (string, error) {
	return h.svc.SecretHash(r.Context(), a.client.PoolID, a.client.ClientID, username)
}

func (h *Handler) signupPage(w http.ResponseWriter, r *http.Request, a authz) {
	v := h.baseView(a, "Sign up")
	if !a.client.SignUpAllowed {
		v.Error, v.Status = "This service does not let you create an account yourself.", http.StatusForbidden
	}
	h.render(w, r, "signup", v)
}

func (h *Handler) signupSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	f := r.PostForm
	v := h.baseView(a, "Sign up")
	email := strings.TrimSpace(f.Get("email"))
	username := strings.TrimSpace(f.Get("username"))
	if v.EmailIsLogin || username == "" && !v.NeedUsername {
		username = email
	}
	v.Username = username
	if !a.client.SignUpAllowed {
		v.Error, v.Status = "This service does not let you create an account yourself.", http.StatusForbidden
		h.render(w, r, "signup", v)
		return
	}
	if f.Get("password") != f.Get("confirm_password") {
		v.Error, v.Status = "The passwords do not match.", http.StatusBadRequest
		h.render(w, r, "signup", v)
		return
	}
	var attrs []pool.AttributeType
	if email != "" {
		attrs = append(attrs, pool.AttributeType{Name: "email", Value: email})
	}
	if phone := strings.TrimSpace(f.Get("phone_number")); phone != "" {
		attrs = append(attrs, pool.AttributeType{Name: "phone_number", Value: phone})
	}
	hash, err := h.secretHash(r, a, username)
	if err != nil {
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "signup", v)
		return
	}
	out, err := h.svc.SignUp(r.Context(), pool.Caller{}, &pool.SignUpInput{ClientId: a.client.ClientID, SecretHash: hash,
		Username: username, Password: f.Get("password"), UserAttributes: attrs})
	if err != nil {
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "signup", v)
		return
	}
	h.pageHits.WithLabelValues("sign_up", "signed_up").Inc()
	if out.UserConfirmed {
		v := h.baseView(a, "Sign in")
		v.Username, v.Notice = username, "Your account is ready. Sign in."
		h.render(w, r, "login", v)
		return
	}
	cv := h.baseView(a, "Confirm your account")
	cv.Username = username
	if out.CodeDeliveryDetails != nil {
		cv.Destination = out.CodeDeliveryDetails.Destination
	}
	h.render(w, r, "confirm", cv)
}

// sendConfirmation sends a new sign-up code and shows the confirmation form.
func (h *Handler) sendConfirmation(w http.ResponseWriter, r *http.Request, a authz, username, notice string) {
	v := h.baseView(a, "Confirm your account")
	v.Username, v.Notice = username, notice
	hash, err := h.secretHash(r, a, username)
	if err == nil {
		var out *pool.CodeDeliveryOutput
		out, err = h.svc.ResendConfirmationCode(r.Context(), pool.Caller{}, &pool.ResendConfirmationCodeInput{
			ClientId: a.client.ClientID, SecretHash: hash, Username: username})
		if err == nil && out.CodeDeliveryDetails != nil {
			v.Destination = out.CodeDeliveryDetails.Destination
		}
	}
	if err != nil {
		v.Notice = ""
		v.Error, v.Status = h.message(r, err)
	}
	h.render(w, r, "confirm", v)
}

func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request, a authz) {
	v := h.baseView(a, "Confirm your account")
	v.Username = r.URL.Query().Get("username")
	h.render(w, r, "confirm", v)
}

func (h *Handler) confirmSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	v := h.baseView(a, "Confirm your account")
	v.Username = username
	hash, err := h.secretHash(r, a, username)
	if err == nil {
		_, err = h.svc.ConfirmSignUp(r.Context(), pool.Caller{}, &pool.ConfirmSignUpInput{ClientId: a.client.ClientID,
			SecretHash: hash, Username: username, ConfirmationCode: strings.TrimSpace(r.PostFormValue("code"))})
	}
	if err != nil {
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "confirm", v)
		return
	}
	h.pageHits.WithLabelValues("confirm", "confirmed").Inc()
	lv := h.baseView(a, "Sign in")
	lv.Username, lv.Notice = username, "Your account is confirmed. Sign in."
	h.render(w, r, "login", lv)
}

func (h *Handler) resendSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	h.sendConfirmation(w, r, a, strings.TrimSpace(r.PostFormValue("username")), "We sent you a new code.")
}

func (h *Handler) forgotSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	h.startReset(w, r, a, strings.TrimSpace(r.PostFormValue("username")), "")
}

// startReset asks the pool for a reset code and shows the reset form. With user existence
// hidden the pool answers for unknown users too, so the page says the same to everyone.
func (h *Handler) startReset(w http.ResponseWriter, r *http.Request, a authz, username, notice string) {
	if username == "" {
		v := h.baseView(a, "Forgot your password?")
		v.Error, v.Status = "Enter your username.", http.StatusBadRequest
		h.render(w, r, "forgot", v)
		return
	}
	hash, err := h.secretHash(r, a, username)
	var out *pool.CodeDeliveryOutput
	if err == nil {
		out, err = h.svc.ForgotPassword(r.Context(), pool.Caller{}, &pool.ForgotPasswordInput{ClientId: a.client.ClientID,
			SecretHash: hash, Username: username})
	}
	if err != nil {
		v := h.baseView(a, "Forgot your password?")
		v.Username = username
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "forgot", v)
		return
	}
	v := h.baseView(a, "Reset your password")
	v.Username, v.Notice = username, notice
	if out.CodeDeliveryDetails != nil {
		v.Destination = out.CodeDeliveryDetails.Destination
	}
	h.render(w, r, "reset", v)
}

func (h *Handler) confirmForgotSubmit(w http.ResponseWriter, r *http.Request, a authz) {
	f := r.PostForm
	username := strings.TrimSpace(f.Get("username"))
	v := h.baseView(a, "Reset your password")
	v.Username = username
	if f.Get("password") != f.Get("confirm_password") {
		v.Error, v.Status = "The passwords do not match.", http.StatusBadRequest
		h.render(w, r, "reset", v)
		return
	}
	hash, err := h.secretHash(r, a, username)
	if err == nil {
		_, err = h.svc.ConfirmForgotPassword(r.Context(), pool.Caller{}, &pool.ConfirmForgotPasswordInput{
			ClientId: a.client.ClientID, SecretHash: hash, Username: username,
			ConfirmationCode: strings.TrimSpace(f.Get("code")), Password: f.Get("password")})
	}
	if err != nil {
		v.Error, v.Status = h.message(r, err)
		h.render(w, r, "reset", v)
		return
	}
	h.pageHits.WithLabelValues("reset", "reset").Inc()
	lv := h.baseView(a, "Sign in")
	lv.Username, lv.Notice = username, "Your password is changed. Sign in with the new one."
	h.render(w, r, "login", lv)
}

// style serves the pages' stylesheet: the base one, then the pool's or client's CSS from
// SetUICustomization, which can only restyle (the pages allow no script).
func (h *Handler) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	b, _ := templateFS.ReadFile("templates/style.css")
	_, _ = w.Write(b)
	if clientID := r.URL.Query().Get("client_id"); clientID != "" && len(clientID) <= 128 {
		if assets, err := h.svc.UICustomizationFor(r.Context(), r.PathValue("pool"), clientID); err == nil && assets.CSS != "" {
			_, _ = w.Write([]byte("\n/* customization */\n" + assets.CSS + "\n"))
		}
	}
}

// image serves the logo of a UI customization.
func (h *Handler) image(w http.ResponseWriter, r *http.Request) {
	clientID := r.URL.Query().Get("client_id")
	if clientID == "" || len(clientID) > 128 {
		http.NotFound(w, r)
		return
	}
	assets, err := h.svc.UICustomizationFor(r.Context(), r.PathValue("pool"), clientID)
	if err != nil || len(assets.Image) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", assets.ImageType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(assets.Image)
}
