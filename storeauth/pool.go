package storeauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/hashless/hashless/cognito"
)

// Pool is what the service needs of a user pool: a password store keyed by the customer's
// stable ID. Usernames passed here are customer IDs, never e-mail addresses, so an e-mail
// change never touches the username.
//
// Errors are the Err* values of this file (wrapped), so the service decides from them and
// not from any pool's exception names.
type Pool interface {
	// CreateUser creates a confirmed user with a permanent password and the e-mail as a
	// verified attribute, sending nothing. ErrPasswordPolicy, ErrUserExists.
	CreateUser(ctx context.Context, username, email, password string) error
	// EnsureUser creates a confirmed user with a random password the pool keeps to itself
	// and the e-mail as a verified attribute, sending nothing; a user that exists already
	// (after a crash or a race) is fine.
	EnsureUser(ctx context.Context, username, email string) error
	// Authenticate checks a password. ErrNotAuthorized for every refusal (wrong password,
	// no such user, disabled, locked out), so callers cannot tell them apart.
	Authenticate(ctx context.Context, username, password string) error
	// SetPassword replaces the password. ErrPasswordPolicy, ErrUserNotFound.
	SetPassword(ctx context.Context, username, password string) error
	// ForgotPassword has the pool send a reset code to the user's e-mail.
	ForgotPassword(ctx context.Context, username string) error
	// ConfirmForgotPassword sets a new password with a code. ErrBadCode, ErrPasswordPolicy.
	ConfirmForgotPassword(ctx context.Context, username, code, password string) error
	// UpdateEmail changes the e-mail attribute; the pool sends a verification code to it.
	UpdateEmail(ctx context.Context, username, email string) error
	// VerifyEmail confirms the e-mail with the code the pool sent, proving the password.
	// ErrNotAuthorized, ErrBadCode.
	VerifyEmail(ctx context.Context, username, password, code string) error
	// UserConfirmed reports whether the user exists with a permanent password.
	UserConfirmed(ctx context.Context, username string) (bool, error)
	SetEnabled(ctx context.Context, username string, enabled bool) error
	// DeleteUser removes the user; a user that is already gone is not an error.
	DeleteUser(ctx context.Context, username string) error
	// Check asks the pool whether it is there and usable.
	Check(ctx context.Context) error
}

// Errors a Pool returns.
var (
	ErrNotAuthorized   = errors.New("storeauth: incorrect e-mail or password")
	ErrPasswordPolicy  = errors.New("storeauth: the password does not meet the pool's policy")
	ErrUserExists      = errors.New("storeauth: the pool user exists")
	ErrUserNotFound    = errors.New("storeauth: no such pool user")
	ErrBadCode         = errors.New("storeauth: the code is wrong or has expired")
	ErrPoolThrottled   = errors.New("storeauth: the pool is throttling requests")
	ErrPoolUnavailable = errors.New("storeauth: the pool did not answer")
	ErrPoolRefused     = errors.New("storeauth: the pool refused the request")
	// ErrPoolInvalid: the pool (or the client before sending) found a value invalid, e.g. an
	// over-long password; the message says which.
	ErrPoolInvalid = errors.New("storeauth: the pool refused a value")
)

// PoolError keeps what the pool said next to the sentinel the service branches on, so a
// policy message ("Password must have uppercase characters") reaches the customer intact.
type PoolError struct {
	Kind    error
	Message string
	Err     error
}

func (e *PoolError) Error() string {
	if e.Message != "" {
		return e.Kind.Error() + ": " + e.Message
	}
	return e.Kind.Error()
}
func (e *PoolError) Unwrap() []error { return []error{e.Kind, e.Err} }

// CognitoPool is a Pool over the Cognito protocol: AWS Cognito, `hashless pool`, or the
// pool embedded in `hashless serve` (through cognito.HandlerTransport).
type CognitoPool struct {
	Client *cognito.Client
}

var _ Pool = CognitoPool{}

// poolError sorts a cognito error into the service's kinds.
func poolError(err error) error {
	if err == nil {
		return nil
	}
	var ce *cognito.Error
	msg := ""
	if errors.As(err, &ce) {
		msg = ce.Message
	}
	kind := ErrPoolRefused
	switch {
	case errors.Is(err, cognito.ErrNotAuthorized), errors.Is(err, cognito.ErrUserNotConfirmed),
		errors.Is(err, cognito.ErrPasswordResetRequired):
		kind = ErrNotAuthorized
	case errors.Is(err, cognito.ErrPasswordPolicy):
		kind = ErrPasswordPolicy
	case errors.Is(err, cognito.ErrUsernameExists):
		kind = ErrUserExists
	case errors.Is(err, cognito.ErrUserNotFound):
		kind = ErrUserNotFound
	case errors.Is(err, cognito.ErrCodeMismatch), errors.Is(err, cognito.ErrExpiredCode):
		kind = ErrBadCode
	case errors.Is(err, cognito.ErrTooManyRequests), errors.Is(err, cognito.ErrLimitExceeded):
		kind = ErrPoolThrottled
	case errors.Is(err, cognito.ErrInvalidParameter):
		kind = ErrPoolInvalid
	case unanswered(err):
		kind = ErrPoolUnavailable
	}
	return &PoolError{Kind: kind, Message: msg, Err: err}
}

// checkError sorts an error of a raw SDK call the way poolError sorts the client's.
func checkError(op string, err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) && !unanswered(err) {
		return &PoolError{Kind: ErrPoolRefused, Message: api.ErrorCode() + ": " + api.ErrorMessage(), Err: fmt.Errorf("%s: %w", op, err)}
	}
	return &PoolError{Kind: ErrPoolUnavailable, Err: fmt.Errorf("%s: %w", op, err)}
}

// unanswered: the pool never gave an answer in its protocol (network, timeout, 5xx).
func unanswered(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		return code == "InternalErrorException" || strings.HasPrefix(code, "ServiceUnavailable")
	}
	return true
}

func (p CognitoPool) CreateUser(ctx context.Context, username, email, password string) error {
	// The real password doubles as the temporary one so the pool checks its policy before
	// the user exists; a refusal then leaves nothing to undo.
	_, err := p.Client.AdminCreateUser(ctx, cognito.NewUser{
		Username: username, TemporaryPassword: password, SuppressMessage: true,
		Attributes: map[string]string{"email": email, "email_verified": "true"},
	})
	if err != nil {
		return poolError(err)
	}
	faultPoint(ctx, "register.after_pool_create")
	return poolError(p.Client.AdminSetPassword(ctx, username, password, true))
}

func (p CognitoPool) EnsureUser(ctx context.Context, username, email string) error {
	_, err := p.Client.AdminCreateUser(ctx, cognito.NewUser{
		Username: username, SuppressMessage: true, ForceAliasCreation: true,
		Attributes: map[string]string{"email": email, "email_verified": "true"},
	})
	err = poolError(err)
	if errors.Is(err, ErrUserExists) {
		return nil
	}
	return err
}

func (p CognitoPool) Authenticate(ctx context.Context, username, password string) error {
	res, err := p.Client.Login(ctx, username, password)
	if err != nil {
		err = poolError(err)
		if errors.Is(err, ErrUserNotFound) {
			// Pools that reveal existence say UserNotFound; callers must not see the difference.
			return &PoolError{Kind: ErrNotAuthorized, Err: err}
		}
		return err
	}
	if res.Tokens == nil {
		// A challenge (a temporary password, MFA) is not a finished sign-in here.
		return &PoolError{Kind: ErrNotAuthorized, Message: "sign-in needs the challenge " + res.Challenge.Name}
	}
	return nil
}

func (p CognitoPool) SetPassword(ctx context.Context, username, password string) error {
	return poolError(p.Client.AdminSetPassword(ctx, username, password, true))
}

func (p CognitoPool) ForgotPassword(ctx context.Context, username string) error {
	_, err := p.Client.ForgotPassword(ctx, username)
	return poolError(err)
}

func (p CognitoPool) ConfirmForgotPassword(ctx context.Context, username, code, password string) error {
	err := poolError(p.Client.ConfirmForgotPassword(ctx, username, code, password))
	if errors.Is(err, ErrUserNotFound) {
		return &PoolError{Kind: ErrBadCode, Err: err}
	}
	return err
}

func (p CognitoPool) UpdateEmail(ctx context.Context, username, email string) error {
	return poolError(p.Client.AdminUpdateAttributes(ctx, username, map[string]string{"email": email}))
}

func (p CognitoPool) VerifyEmail(ctx context.Context, username, password, code string) error {
	res, err := p.Client.Login(ctx, username, password)
	if err != nil {
		return poolError(err)
	}
	if res.Tokens == nil {
		return &PoolError{Kind: ErrNotAuthorized}
	}
	return poolError(p.Client.VerifyAttribute(ctx, res.Tokens.Access, "email", code))
}

func (p CognitoPool) UserConfirmed(ctx context.Context, username string) (bool, error) {
	u, err := p.Client.AdminGetUser(ctx, username)
	if err != nil {
		err = poolError(err)
		if errors.Is(err, ErrUserNotFound) {
			return false, nil
		}
		return false, err
	}
	return u.Status == string(types.UserStatusTypeConfirmed), nil
}

func (p CognitoPool) SetEnabled(ctx context.Context, username string, enabled bool) error {
	if enabled {
		return poolError(p.Client.AdminEnable(ctx, username))
	}
	return poolError(p.Client.AdminDisable(ctx, username))
}

func (p CognitoPool) DeleteUser(ctx context.Context, username string) error {
	err := poolError(p.Client.AdminDeleteUser(ctx, username))
	if errors.Is(err, ErrUserNotFound) {
		return nil
	}
	return err
}

func (p CognitoPool) Check(ctx context.Context) error {
	_, err := p.Client.SDK().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(p.Client.UserPoolID())})
	return checkError("DescribeUserPool", err)
}
