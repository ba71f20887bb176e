package pool

import (
	"context"
	"strings"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// The custom message trigger. Messages are composed inside the transaction that stores
// their code, and a webhook must not be called from there (transactions may be retried and
// must stay short), so the webhook is asked first, with Cognito's placeholders for the code
// and the username, and its answer rides on the transaction (outboxTx.custom) as a template
// that sendCode and sendInvitation fill in place of the pool's own.

const (
	codePlaceholder     = "{####}"
	usernamePlaceholder = "{username}"
)

// customMessage is a CustomMessage webhook's answer: templates with the placeholders still
// in them. A nil member is the pool's own message.
type customMessage struct {
	sms, email, subject *string
	// needsUsername: the message must name the user as well as carry the code
	// (CustomMessage_AdminCreateUser).
	needsUsername bool
}

// composeCustomMessage asks the pool's CustomMessage webhook for the message of source that
// u is about to be sent. It returns nil when the pool has no such trigger.
func (s *Service) composeCustomMessage(ctx context.Context, p poolView, clientID, source string, u store.User,
	clientMetadata map[string]string) (*customMessage, error) {
	if !p.hasTrigger(triggers.TriggerCustomMessage) {
		return nil, nil
	}
	req := &triggers.CustomMessageRequest{UserAttributes: eventAttributes(u), CodeParameter: codePlaceholder,
		ClientMetadata: clientMetadata}
	cm := &customMessage{}
	if source == triggers.SourceCustomMessageAdminCreateUser {
		req.UsernameParameter = ptr(usernamePlaceholder)
		cm.needsUsername = true
	}
	var resp triggers.CustomMessageResponse
	ev := triggers.Event{TriggerSource: source, UserName: u.Username, Request: req, Response: &resp}
	if _, err := s.invokeTrigger(ctx, p, clientID, &ev); err != nil {
		return nil, err
	}
	cm.sms, cm.email, cm.subject = resp.SMSMessage, resp.EmailMessage, resp.EmailSubject
	return cm, nil
}

// apply replaces the pool's subject and body for medium with the webhook's. A body that
// lacks a placeholder the message needs would send a code nobody can read, so it is not
// used and the pool's own body goes instead (Cognito's guide says the answer must contain
// the placeholders; this keeps the user able to finish what they started).
func (cm *customMessage) apply(medium, subject, body string) (string, string) {
	if cm == nil {
		return subject, body
	}
	custom := cm.email
	if medium == "SMS" {
		custom = cm.sms
	}
	if custom != nil && *custom != "" && strings.Contains(*custom, codePlaceholder) &&
		(!cm.needsUsername || strings.Contains(*custom, usernamePlaceholder)) {
		body = *custom
	}
	if medium != "SMS" && cm.subject != nil && *cm.subject != "" {
		subject = *cm.subject
	}
	return subject, body
}

// customOf is the webhook's message riding on tx, if any.
func customOf(tx store.Tx) *customMessage {
	if otx, ok := tx.(*outboxTx); ok {
		return otx.custom
	}
	return nil
}
