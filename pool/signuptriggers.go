package pool

import (
	"context"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// preSignUp asks the pool's PreSignUp webhook whether a user may be created, before
// anything is hashed or stored: a refusal (UserLambdaValidationException "PreSignUp failed
// with error …") or a failed call leaves nothing behind. The answer's auto-confirm and
// auto-verify flags are the caller's to apply; Cognito applies them to SignUp only.
func (s *Service) preSignUp(ctx context.Context, p poolView, clientID, source, username string,
	attrs, validationData []AttributeType, clientMetadata map[string]string) (triggers.PreSignUpResponse, error) {
	var resp triggers.PreSignUpResponse
	if !p.hasTrigger(triggers.TriggerPreSignUp) {
		return resp, nil
	}
	ev := triggers.Event{TriggerSource: source, UserName: username,
		Request: &triggers.PreSignUpRequest{UserAttributes: attributeMap(attrs),
			ValidationData: attributeMap(validationData), ClientMetadata: clientMetadata},
		Response: &resp}
	_, err := s.invokeTrigger(ctx, p, clientID, &ev)
	return resp, err
}

// applyAutoConfirm makes a signing-up user CONFIRMED when the PreSignUp webhook asked, and
// marks the addresses it vouched for verified. As on Cognito, autoVerifyEmail and
// autoVerifyPhone count only together with autoConfirmUser (a user confirmed by a code has
// the address the code went to verified anyway), and an address the user does not have is
// left alone.
func applyAutoConfirm(u *userView, r triggers.PreSignUpResponse) {
	if !r.AutoConfirmUser {
		return
	}
	u.rec.Status = StatusConfirmed
	var verified []AttributeType
	if v, ok := u.rec.Attribute("email"); r.AutoVerifyEmail && ok && v != "" {
		verified = append(verified, AttributeType{Name: "email_verified", Value: "true"})
	}
	if v, ok := u.rec.Attribute("phone_number"); r.AutoVerifyPhone && ok && v != "" {
		verified = append(verified, AttributeType{Name: "phone_number_verified", Value: "true"})
	}
	u.rec.Attributes = setAttributes(u.rec.Attributes, verified)
}

// postConfirmation tells the pool's PostConfirmation webhook that u was confirmed (by a
// sign-up code, or by a forgot-password code). It runs after the confirmation is committed,
// as on Cognito, where the function sees the user already confirmed: a webhook that fails
// fails the call, and the confirmation stands.
func (s *Service) postConfirmation(ctx context.Context, p poolView, clientID, source string, u store.User, clientMetadata map[string]string) error {
	if !p.hasTrigger(triggers.TriggerPostConfirmation) {
		return nil
	}
	ev := triggers.Event{TriggerSource: source, UserName: u.Username,
		Request:  &triggers.PostConfirmationRequest{UserAttributes: eventAttributes(u), ClientMetadata: clientMetadata},
		Response: &triggers.PostConfirmationResponse{}}
	_, err := s.invokeTrigger(ctx, p, clientID, &ev)
	return err
}
