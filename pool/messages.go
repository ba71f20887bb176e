package pool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// Outbox message kinds.
const (
	KindSignUp                = "SIGNUP"
	KindForgotPassword        = "FORGOT_PASSWORD"
	KindMFA                   = "MFA"
	KindAttributeVerification = "ATTRIBUTE_VERIFICATION"
	KindInvitation            = "INVITATION"
)

// Lifetimes of codes, as on Cognito.
const (
	SignUpCodeValidity    = 24 * time.Hour
	AttributeCodeValidity = 24 * time.Hour
	ForgotCodeValidity    = time.Hour
)

// Ephemeral namespaces for codes. Codes are stored as hashes: the store never holds a live
// code, only the outbox does (and it is a development aid that expires with the code).
const (
	nsAttributeCode = "attr-code"
	nsForgotCode    = "forgot-code"
	nsSignUpCode    = "signup-code"
)

func codeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return []byte(hex.EncodeToString(h[:]))
}

// codeKey names the code for (user, what). The user's key goes last because it is the only
// part that may contain the separator.
func codeKey(poolID, usernameKey, what string) string {
	return poolID + "|" + what + "|" + usernameKey
}

func newCode() string { return randomString("0123456789", 6) }

// userKeys are the names the outbox's username filter matches besides the username.
func userKeys(u store.User) []string {
	keys := []string{u.Sub}
	for _, a := range []string{"email", "phone_number", "preferred_username"} {
		if v, ok := u.Attribute(a); ok && v != "" {
			keys = append(keys, v)
		}
	}
	return keys
}

// fill replaces Cognito's template placeholders.
func fill(template, username, code string) string {
	return strings.NewReplacer(usernamePlaceholder, username, codePlaceholder, code).Replace(template)
}

// deliver records a message in the outbox in the caller's transaction, so a rolled-back
// operation leaves no message behind.
func (s *Service) deliver(ctx context.Context, tx store.Tx, p poolView, u store.User, medium, kind, code, subject, body string, expires time.Time) (CodeDeliveryDetails, error) {
	attr := "email"
	if medium == "SMS" {
		attr = "phone_number"
	}
	dest, _ := u.Attribute(attr)
	now := s.now()
	id, err := tx.AppendMessage(ctx, store.Message{
		PoolID: p.rec.ID, Username: u.Username, UserKeys: userKeys(u), Destination: dest,
		Medium: medium, Kind: kind, Code: code, Body: body, Time: now, ExpiresAt: expires,
	})
	if otx, ok := tx.(*outboxTx); ok && err == nil {
		otx.outbound = append(otx.outbound, Outbound{ID: id, Pool: p.rec.ID, Username: u.Username, Destination: dest,
			Medium: medium, Kind: kind, Code: code, Subject: subject, Body: body, Time: now})
	}
	return CodeDeliveryDetails{Destination: maskDestination(medium, dest), DeliveryMedium: medium, AttributeName: attr}, err
}

// maskDestination hides most of an address, as Cognito's CodeDeliveryDetails do.
func maskDestination(medium, dest string) string {
	if medium == "SMS" {
		if len(dest) <= 4 {
			return "+*******"
		}
		return "+*******" + dest[len(dest)-4:]
	}
	at := strings.IndexByte(dest, '@')
	if at < 1 {
		return "***"
	}
	domain := dest[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot < 1 {
		return dest[:1] + "***@" + domain
	}
	return dest[:1] + "***@" + domain[:1] + "***" + domain[dot:]
}

func (s *Service) sendInvitation(ctx context.Context, tx store.Tx, p poolView, u store.User, password string, mediums []string, expires time.Time) error {
	if len(mediums) == 0 {
		mediums = []string{"SMS"}
	}
	tmpl := MessageTemplate{}
	if p.AdminCreateUserConfig != nil && p.AdminCreateUserConfig.InviteMessageTemplate != nil {
		tmpl = *p.AdminCreateUserConfig.InviteMessageTemplate
	}
	const def = "Your username is {username} and temporary password is {####}."
	for _, m := range slices.Compact(slices.Sorted(slices.Values(mediums))) {
		attr, body, subject := "phone_number", orDefault(tmpl.SMSMessage, def), ""
		if m == "EMAIL" {
			attr, body, subject = "email", orDefault(tmpl.EmailMessage, def), orDefault(tmpl.EmailSubject, "Your temporary password")
		}
		if v, ok := u.Attribute(attr); !ok || v == "" {
			continue
		}
		subject, body = customOf(tx).apply(m, subject, body)
		if _, err := s.deliver(ctx, tx, p, u, m, KindInvitation, password, subject, fill(body, u.Username, password), expires); err != nil {
			return err
		}
	}
	return nil
}

// verificationTemplate picks the subject and message for a code sent to medium, honouring
// the pool's VerificationMessageTemplate and the older top-level fields.
func (p poolView) verificationTemplate(medium string) (subject, body string) {
	t := VerificationMessageTemplate{}
	if p.VerificationMessageTemplate != nil {
		t = *p.VerificationMessageTemplate
	}
	const def = "Your verification code is {####}. "
	if medium == "SMS" {
		return "", orDefault(t.SmsMessage, orDefault(p.SmsVerificationMessage, def))
	}
	return orDefault(t.EmailSubject, orDefault(p.EmailVerificationSubject, "Your verification code")),
		orDefault(t.EmailMessage, orDefault(p.EmailVerificationMessage, def))
}

// sendCode stores a fresh code for (user, what) and puts the message in the outbox.
func (s *Service) sendCode(ctx context.Context, tx store.Tx, p poolView, u store.User, medium, kind, ns, what string, validity time.Duration) (CodeDeliveryDetails, error) {
	code := newCode()
	expires := s.now().Add(validity)
	err := tx.PutEphemeral(ctx, store.Ephemeral{PoolID: p.rec.ID, Namespace: ns, Key: codeKey(p.rec.ID, u.UsernameKey, what), Value: codeHash(code), ExpiresAt: expires})
	if err != nil {
		return CodeDeliveryDetails{}, err
	}
	subject, body := p.verificationTemplate(medium)
	subject, body = customOf(tx).apply(medium, subject, body)
	return s.deliver(ctx, tx, p, u, medium, kind, code, subject, fill(body, u.Username, code), expires)
}

func (s *Service) sendAttributeCode(ctx context.Context, tx store.Tx, p poolView, u store.User, attr string) (CodeDeliveryDetails, error) {
	medium := "EMAIL"
	if attr == "phone_number" {
		medium = "SMS"
	}
	return s.sendCode(ctx, tx, p, u, medium, KindAttributeVerification, nsAttributeCode, attr, AttributeCodeValidity)
}

// recoveryMedium chooses where a forgot-password code goes: the pool's
// AccountRecoverySetting order, else a verified phone before a verified e-mail.
func (p poolView) recoveryMedium(u store.User) (string, bool) {
	order := []string{"verified_phone_number", "verified_email"}
	if p.AccountRecoverySetting != nil {
		var setting struct {
			RecoveryMechanisms []struct {
				Priority int
				Name     string
			}
		}
		if json.Unmarshal(*p.AccountRecoverySetting, &setting) == nil && len(setting.RecoveryMechanisms) > 0 {
			slices.SortFunc(setting.RecoveryMechanisms, func(a, b struct {
				Priority int
				Name     string
			}) int {
				return a.Priority - b.Priority
			})
			order = order[:0]
			for _, m := range setting.RecoveryMechanisms {
				order = append(order, m.Name)
			}
		}
	}
	for _, name := range order {
		switch name {
		case "verified_phone_number":
			if v, _ := u.Attribute("phone_number_verified"); v == "true" {
				return "SMS", true
			}
		case "verified_email":
			if v, _ := u.Attribute("email_verified"); v == "true" {
				return "EMAIL", true
			}
		}
	}
	return "", false
}

func (s *Service) sendForgotPasswordCode(ctx context.Context, tx store.Tx, p poolView, u store.User) (CodeDeliveryDetails, error) {
	medium, ok := p.recoveryMedium(u)
	if !ok {
		return CodeDeliveryDetails{}, invalidParameter("Cannot reset password for the user as there is no registered/verified email or phone_number")
	}
	return s.sendCode(ctx, tx, p, u, medium, KindForgotPassword, nsForgotCode, "password", ForgotCodeValidity)
}

// OutboxMessage is one entry of GET /_local/messages.
type OutboxMessage struct {
	ID          int64  `json:"id"`
	Pool        string `json:"pool"`
	Username    string `json:"username"`
	Destination string `json:"destination"`
	Medium      string `json:"medium"`
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	Time        string `json:"time"`
}

// OutboxFilter selects outbox messages; see store.MessageFilter.
type OutboxFilter = store.MessageFilter

// Messages lists the outbox, oldest first. Expired messages are never shown, even before
// cleanup removes them.
func (s *Service) Messages(ctx context.Context, f OutboxFilter, limit int) ([]OutboxMessage, error) {
	out := []OutboxMessage{}
	now := s.now()
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		msgs, err := tx.ListMessages(ctx, f, limit)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if !m.ExpiresAt.IsZero() && !m.ExpiresAt.After(now) {
				continue
			}
			out = append(out, OutboxMessage{ID: m.ID, Pool: m.PoolID, Username: m.Username, Destination: m.Destination,
				Medium: m.Medium, Kind: m.Kind, Code: m.Code, Message: m.Body, Time: m.Time.UTC().Format(time.RFC3339)})
		}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "Messages", err)
	}
	return out, nil
}
