package apitest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// event is a trigger event as a webhook receives it.
type event map[string]any

func (e event) source() string   { s, _ := e["triggerSource"].(string); return s }
func (e event) userName() string { s, _ := e["userName"].(string); return s }
func (e event) request() map[string]any {
	m, _ := e["request"].(map[string]any)
	return m
}

// requestString is request.<key>, "" if absent.
func (e event) requestString(key string) string { s, _ := e.request()[key].(string); return s }

// requestMap is request.<key> as a string map.
func (e event) requestMap(key string) map[string]string {
	out := map[string]string{}
	m, _ := e.request()[key].(map[string]any)
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// hook is a trigger webhook on loopback. answer decides each reply; a nil body is the event
// echoed back with an empty response, which is "no change" for every trigger.
type hook struct {
	URL    string
	mu     sync.Mutex
	events []event
}

func newHook(t *testing.T, answer func(ev event) (int, any)) *hook {
	t.Helper()
	h := &hook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
		status, body := http.StatusOK, any(nil)
		if answer != nil {
			status, body = answer(ev)
		}
		if body == nil {
			ev["response"] = map[string]any{}
			body = ev
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hook"
	return h
}

// calls are the events of one triggerSource received so far.
func (h *hook) calls(source string) []event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []event
	for _, e := range h.events {
		if e.source() == source {
			out = append(out, e)
		}
	}
	return out
}

// answerWith answers ev with response filled in.
func answerWith(ev event, response map[string]any) (int, any) {
	ev["response"] = response
	return http.StatusOK, ev
}

// refuse answers as a Lambda handler that threw.
func refuse(msg string) (int, any) {
	return http.StatusBadRequest, map[string]any{"errorMessage": msg, "errorType": "Error"}
}

// newTriggerSetup makes a pool with lc as its LambdaConfig (e-mail alias, e-mail verified
// automatically) and a client allowing the password flows and refresh.
func newTriggerSetup(t *testing.T, p *pooltest.Pool, lc *types.LambdaConfigType, clientEdit ...func(*cip.CreateUserPoolClientInput)) signInSetup {
	t.Helper()
	c := p.Admin()
	poolID := newPool(t, c, func(in *cip.CreateUserPoolInput) {
		in.LambdaConfig = lc
		in.AutoVerifiedAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}
	})
	in := &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}
	for _, e := range clientEdit {
		e(in)
	}
	client := must(c.CreateUserPoolClient(ctx(t), in))(t).UserPoolClient
	return signInSetup{p: p, c: c, poolID: poolID, clientID: aws.ToString(client.ClientId), secret: aws.ToString(client.ClientSecret)}
}

// addClient adds another client to s's pool, returning a setup that signs in through it.
func (s signInSetup) addClient(t *testing.T, edit func(*cip.CreateUserPoolClientInput)) signInSetup {
	t.Helper()
	in := &cip.CreateUserPoolClientInput{UserPoolId: &s.poolID, ClientName: aws.String("other"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}
	edit(in)
	client := must(s.c.CreateUserPoolClient(ctx(t), in))(t).UserPoolClient
	s.clientID, s.secret = aws.ToString(client.ClientId), aws.ToString(client.ClientSecret)
	return s
}

func (s signInSetup) status(t *testing.T, username string) string {
	t.Helper()
	u := must(s.c.AdminGetUser(ctx(t), &cip.AdminGetUserInput{UserPoolId: &s.poolID, Username: &username}))(t)
	return string(u.UserStatus)
}
