package pool

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// The user migration trigger: a name the pool does not know, at a sign-in with a password
// (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH) or at ForgotPassword, is sent to the
// pool's UserMigration webhook, and the user it answers with is created and goes on as if
// it had been there all along. SRP sign-in never sends the password, so it cannot migrate,
// as on Cognito.
//
// Failures, and what a client that hides user existence sees: Cognito answers a refusal by
// the function (it threw) with UserLambdaValidationException and a function it could not
// run with UnexpectedLambdaException, and an answer it cannot use (a bad finalUserStatus or
// messageAction, attributes outside the schema) with UserNotFoundException ("Exception
// migrating user in app client …", AWS knowledge center, "cognito-migration-lambda-trigger-
// errors"). A client with PreventUserExistenceErrors ENABLED answers an unknown user as a
// wrong password, and the migration webhook refuses exactly the names the old directory
// does not know (or knows with another password), so a refusal or an unusable answer there
// is answered as an unknown user would be: NotAuthorizedException "Incorrect username or
// password." at sign-in, a simulated delivery at ForgotPassword. Otherwise the refusal text
// would tell an enumerating caller which names exist in the old directory. A webhook that
// times out or cannot be reached is the operator's fault and not about the name, so it is
// reported as itself either way; failing closed, never as a sign-in.

// errMigratedMeanwhile says another request created the user while the webhook answered;
// the caller goes on with that user as with any existing one.
var errMigratedMeanwhile = errors.New("pool: user was migrated by another request")

func migrationFailed(clientID, detail string) *Error {
	return newError(ExUserNotFound, "Exception migrating user in app client %s: %s", clientID, detail)
}

// hiddenMigrationFailure says whether err is a migration outcome that a client hiding user
// existence answers as it would an unknown name (see above).
func hiddenMigrationFailure(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Type == ExUserLambdaValidation || e.Type == ExUserNotFound)
}

// migrateUser asks the UserMigration webhook about username and creates the user it
// answers with. found is false when the webhook declined (answered no userAttributes).
// password is empty for UserMigration_ForgotPassword, whose user is always created
// RESET_REQUIRED: there is no password to keep.
func (s *Service) migrateUser(ctx context.Context, req authRequest, source, username, password string,
	validationData, clientMetadata map[string]string) (u userView, found bool, err error) {
	var resp triggers.UserMigrationResponse
	ev := triggers.Event{TriggerSource: source, UserName: username,
		Request: &triggers.UserMigrationRequest{Password: triggers.Secret(password),
			ValidationData: validationData, ClientMetadata: clientMetadata},
		Response: &resp}
	if _, err := s.invokeTrigger(ctx, req.pool, req.client.rec.ClientID, &ev); err != nil {
		return userView{}, false, err
	}
	if resp.UserAttributes == nil {
		return userView{}, false, nil
	}
	clientID := req.client.rec.ClientID
	// finalUserStatus: CONFIRMED, or unset, keeps the password the user signed in with
	// (Cognito's guide: "set to CONFIRMED, or not set, to auto-confirm your users and allow
	// them to sign in with their previous passwords"); RESET_REQUIRED makes them reset it.
	status := StatusConfirmed
	switch resp.FinalUserStatus {
	case "", StatusConfirmed:
	case StatusResetRequired:
		status = StatusResetRequired
	default:
		return userView{}, false, migrationFailed(clientID, "invalid finalUserStatus")
	}
	if password == "" {
		status = StatusResetRequired
	}
	switch resp.MessageAction {
	case "", "SUPPRESS", "RESEND":
	default:
		return userView{}, false, migrationFailed(clientID, "invalid messageAction")
	}
	for _, m := range resp.DesiredDeliveryMediums {
		if m != "SMS" && m != "EMAIL" {
			return userView{}, false, migrationFailed(clientID, "invalid desiredDeliveryMediums")
		}
	}
	attrs := attributeList(resp.UserAttributes)
	if err := checkAttributes(req.pool, attrs, true); err != nil {
		return userView{}, false, migrationFailed(clientID, errorMessage(err, "invalid user"))
	}
	// The password was proved by the webhook's answer, not against any policy: Cognito does
	// not apply the pool's password policy to migrated passwords. It is kept as any password
	// is, hashed with the pool's KDF (and an SRP verifier, in pools that use SRP).
	var hash string
	if status == StatusConfirmed {
		if hash, err = s.hashPassword(ctx, password); err != nil {
			return userView{}, false, s.storeError(ctx, "InitiateAuth", err)
		}
	}
	sub := newUUID()
	err = s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, req.pool.rec.ID)
		if err != nil {
			return err
		}
		name, placed, err := placeUsername(p, username, sub, attrs)
		if err != nil {
			if len(p.UsernameAttributes) > 0 {
				return migrationFailed(clientID, errorMessage(err, "invalid user"))
			}
			// An alias pool refuses a username shaped like its alias: the user signed in
			// with the alias, so the migrated user is named by its sub and found by the
			// alias its (verified) attribute gives it.
			name, placed = sub, attrs
		}
		now := s.now()
		u = userView{rec: store.User{
			PoolID: p.rec.ID, Username: name, UsernameKey: p.usernameKey(name), Sub: sub,
			Status: status, Enabled: true, Attributes: placed, CreatedAt: now, UpdatedAt: now,
		}}
		if err := s.setPassword(p, &u, hash, password); err != nil {
			return err
		}
		if err := checkRequired(p, u.rec); err != nil {
			return migrationFailed(clientID, errorMessage(err, "invalid user"))
		}
		if _, err := tx.GetUser(ctx, p.rec.ID, u.rec.UsernameKey); err == nil {
			return errMigratedMeanwhile
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.claimAliases(ctx, tx, p, &u.rec, resp.ForceAliasCreation); err != nil {
			return err
		}
		if err := u.encode(); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u.rec); err != nil {
			switch {
			case errors.Is(err, store.ErrAlreadyExists):
				return errMigratedMeanwhile
			case errors.Is(err, store.ErrAliasExists):
				return newError(ExAliasExists, "An account with the given email already exists.")
			}
			return err
		}
		if resp.MessageAction != "SUPPRESS" {
			return s.sendWelcome(ctx, tx, p, u.rec, resp.DesiredDeliveryMediums)
		}
		return nil
	})
	if errors.Is(err, errMigratedMeanwhile) {
		return userView{}, false, err
	}
	if err != nil {
		return userView{}, false, s.storeError(ctx, "UserMigration", err)
	}
	s.log.InfoContext(ctx, "user migrated", "pool", req.pool.rec.ID, "sub", sub, "source", source)
	return u, true, nil
}

// sendWelcome is the message a migrated user is sent unless the webhook answered
// messageAction SUPPRESS. Cognito does not document its text; there is no temporary
// password to send, so it names the user only. It goes where the webhook asked (SMS by
// default, as on Cognito), to the addresses the user has.
func (s *Service) sendWelcome(ctx context.Context, tx store.Tx, p poolView, u store.User, mediums []string) error {
	if len(mediums) == 0 {
		mediums = []string{"SMS"}
	}
	const body = "Your username is {username}."
	for _, m := range slices.Compact(slices.Sorted(slices.Values(mediums))) {
		attr, subject := "phone_number", ""
		if m == "EMAIL" {
			attr, subject = "email", "Welcome"
		}
		if v, ok := u.Attribute(attr); !ok || v == "" {
			continue
		}
		if _, err := s.deliver(ctx, tx, p, u, m, KindInvitation, "", subject, fill(body, u.Username, ""), s.now().Add(24*time.Hour)); err != nil {
			return err
		}
	}
	return nil
}

// migrateAndSignIn is a password sign-in for a name the pool does not know, in a pool with
// a UserMigration trigger.
func (s *Service) migrateAndSignIn(ctx context.Context, req authRequest, username, password, secretHash string) (*AuthOutput, error) {
	u, found, err := s.migrateUser(ctx, req, triggers.SourceUserMigrationAuthentication, username, password, req.clientMetadata, nil)
	switch {
	case errors.Is(err, errMigratedMeanwhile) && !req.noMigration:
		// Another sign-in created the user while this one waited: check the password
		// against it as for any user.
		req.noMigration = true
		return s.passwordAuth(ctx, req, username, password, secretHash)
	case err != nil && req.pool.hidesUsers(req.client) && hiddenMigrationFailure(err):
		// As for any unknown name: the KDF work a wrong password costs, then its answer.
		s.log.InfoContext(ctx, "user migration refused", "pool", req.pool.rec.ID, "err", err)
		s.dummyVerify(ctx, password)
		return nil, incorrectPassword()
	case err != nil:
		return nil, err
	case !found:
		s.dummyVerify(ctx, password)
		if req.pool.hidesUsers(req.client) {
			return nil, incorrectPassword()
		}
		return nil, userNotFound()
	}
	if err := s.preAuthentication(ctx, req, u); err != nil {
		return nil, err
	}
	return s.passwordProved(ctx, req, u, lockout{})
}
