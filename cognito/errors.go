package cognito

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// Error is a failed call. Code and Message are Cognito's exception name and message
// (e.g. "NotAuthorizedException", "Incorrect username or password."), kept as the pool
// sent them so that callers can log or branch on what Cognito said. Code is empty when no
// answer from the pool was understood: a network failure, a cancelled context or a reply
// that was not Cognito's protocol; Err then says what happened.
type Error struct {
	Code    string
	Message string
	// Op is the Cognito operation, e.g. "InitiateAuth".
	Op string
	// Err is the underlying error: the SDK's, whose chain holds the smithy.APIError or the
	// transport and context errors, so errors.Is(err, context.DeadlineExceeded) works.
	Err error
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Message != "":
		return fmt.Sprintf("cognito: %s: %s: %s", e.Op, e.Code, e.Message)
	case e.Code != "":
		return fmt.Sprintf("cognito: %s: %s", e.Op, e.Code)
	case e.Err != nil:
		return fmt.Sprintf("cognito: %s: %v", e.Op, e.Err)
	default:
		return fmt.Sprintf("cognito: %s failed", e.Op)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e's exception, so callers can write
// errors.Is(err, cognito.ErrUserNotFound) without knowing exception names.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// Sentinels for the exceptions applications most often handle. Use them with errors.Is;
// errors.As with *Error gives the exception's name and message.
var (
	ErrNotAuthorized         = errors.New("cognito: not authorized")
	ErrUserNotFound          = errors.New("cognito: user not found")
	ErrUsernameExists        = errors.New("cognito: username exists")
	ErrCodeMismatch          = errors.New("cognito: code mismatch")
	ErrExpiredCode           = errors.New("cognito: expired code")
	ErrPasswordPolicy        = errors.New("cognito: password does not meet the policy")
	ErrLimitExceeded         = errors.New("cognito: limit exceeded")
	ErrTooManyRequests       = errors.New("cognito: too many requests")
	ErrUserNotConfirmed      = errors.New("cognito: user not confirmed")
	ErrPasswordResetRequired = errors.New("cognito: password reset required")
	ErrAliasExists           = errors.New("cognito: alias exists")
	ErrInvalidParameter      = errors.New("cognito: invalid parameter")
	ErrResourceNotFound      = errors.New("cognito: resource not found")
	ErrGroupExists           = errors.New("cognito: group exists")
)

var sentinels = map[string]error{
	"NotAuthorizedException":         ErrNotAuthorized,
	"UserNotFoundException":          ErrUserNotFound,
	"UsernameExistsException":        ErrUsernameExists,
	"CodeMismatchException":          ErrCodeMismatch,
	"ExpiredCodeException":           ErrExpiredCode,
	"InvalidPasswordException":       ErrPasswordPolicy,
	"LimitExceededException":         ErrLimitExceeded,
	"TooManyRequestsException":       ErrTooManyRequests,
	"ThrottlingException":            ErrTooManyRequests,
	"UserNotConfirmedException":      ErrUserNotConfirmed,
	"PasswordResetRequiredException": ErrPasswordResetRequired,
	"AliasExistsException":           ErrAliasExists,
	"InvalidParameterException":      ErrInvalidParameter,
	"ResourceNotFoundException":      ErrResourceNotFound,
	"GroupExistsException":           ErrGroupExists,
}

// wrap turns an SDK error into an *Error for op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code, e.Message = api.ErrorCode(), api.ErrorMessage()
	}
	return e
}

// ArgumentError is an argument refused before any request was sent. It matches
// ErrInvalidParameter, as Cognito would have refused the same input with
// InvalidParameterException.
type ArgumentError struct {
	Op     string
	Arg    string
	Reason string
}

func (e *ArgumentError) Error() string {
	return fmt.Sprintf("cognito: %s: %s %s", e.Op, e.Arg, e.Reason)
}

func (e *ArgumentError) Is(target error) bool { return target == ErrInvalidParameter }

// ErrUnexpectedResponse is a reply that parsed but lacked what the operation promises,
// e.g. a sign-in with neither tokens nor a challenge.
var ErrUnexpectedResponse = errors.New("cognito: unexpected response from the pool")

// flowUnavailable: the pool or app client does not offer the flow InitiateAuth asked for
// (USER_SRP_AUTH, or REFRESH_TOKEN_AUTH where refresh tokens rotate), as opposed to a wrong
// password, an unknown user or a dead token.
func flowUnavailable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Op == "InitiateAuth" && e.Code == "InvalidParameterException"
}
