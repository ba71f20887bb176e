package apitest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
)

// Messages reach a configured webhook after the change commits, with the pool's template.
func TestMessagesReachTheWebhook(t *testing.T) {
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
			got <- m
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	p := pooltest.Start(t, "memory", func(cfg *serverConfig) { cfg.MessageWebhook = hook.URL })
	c := p.Admin()
	poolID := newPool(t, c, func(in *cip.CreateUserPoolInput) {
		in.AdminCreateUserConfig = &types.AdminCreateUserConfigType{InviteMessageTemplate: &types.MessageTemplateType{
			EmailSubject: aws.String("Welcome"), EmailMessage: aws.String("Hi {username}, use {####}")}}
	})
	must(c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("sam"),
		UserAttributes: attrs("email", "sam@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail}}))(t)
	// A refused change sends nothing.
	_, err := c.AdminCreateUser(ctx(t), &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String("sam"),
		UserAttributes: attrs("email", "sam@example.com"), DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail}})
	wantAPIError(t, err, "UsernameExistsException")
	select {
	case m := <-got:
		if m["kind"] != "INVITATION" || m["destination"] != "sam@example.com" || m["subject"] != "Welcome" ||
			m["message"] != "Hi sam, use "+m["code"].(string) || m["pool"] != poolID {
			t.Fatalf("webhook got %v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook received nothing")
	}
	select {
	case m := <-got:
		t.Fatalf("a second message for a refused change: %v", m)
	case <-time.After(300 * time.Millisecond):
	}
}
