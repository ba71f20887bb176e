package pool

import (
	"errors"
	"fmt"
)

// Error is an exception in Cognito's own vocabulary. The wire layer writes Type as __type and
// Message as message; nothing else about an error reaches a client.
type Error struct {
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Is lets errors.Is match on the exception type alone.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Type == e.Type && t.Message == ""
}

func newError(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Exception names, as Cognito spells them.
const (
	ExInvalidParameter         = "InvalidParameterException"
	ExResourceNotFound         = "ResourceNotFoundException"
	ExUserNotFound             = "UserNotFoundException"
	ExUsernameExists           = "UsernameExistsException"
	ExAliasExists              = "AliasExistsException"
	ExInvalidPassword          = "InvalidPasswordException"
	ExNotAuthorized            = "NotAuthorizedException"
	ExGroupExists              = "GroupExistsException"
	ExLimitExceeded            = "LimitExceededException"
	ExInternalError            = "InternalErrorException"
	ExConcurrentModification   = "ConcurrentModificationException"
	ExUnsupportedUserState     = "UnsupportedUserStateException"
	ExPreconditionNotMet       = "PreconditionNotMetException"
	ExSerialization            = "SerializationException"
	ExTooManyRequests          = "TooManyRequestsException"
	ExCodeMismatch             = "CodeMismatchException"
	ExExpiredCode              = "ExpiredCodeException"
	ExInvalidUserPoolConfig    = "InvalidUserPoolConfigurationException"
	ExUnsupportedOperation     = "UnsupportedOperationException"
	ExUserImportInProgress     = "UserImportInProgressException"
	ExInvalidEmailRoleAccess   = "InvalidEmailRoleAccessPolicyException"
	ExUnknownOperation         = "UnknownOperationException"
	ExDuplicateProvider        = "DuplicateProviderException"
	ExUserPoolTagging          = "UserPoolTaggingException"
	ExPasswordResetRequired    = "PasswordResetRequiredException"
	ExUserNotConfirmed         = "UserNotConfirmedException"
	ExCodeDeliveryFailure      = "CodeDeliveryFailureException"
	ExInvalidLambdaResponse    = "InvalidLambdaResponseException"
	ExUnexpectedLambda         = "UnexpectedLambdaException"
	ExUserLambdaValidation     = "UserLambdaValidationException"
	ExForbidden                = "ForbiddenException"
	ExTooManyFailedAttempts    = "TooManyFailedAttemptsException"
	ExInvalidSmsRoleAccess     = "InvalidSmsRoleAccessPolicyException"
	ExInvalidSmsRoleTrust      = "InvalidSmsRoleTrustRelationshipException"
	ExMFAMethodNotFound        = "MFAMethodNotFoundException"
	ExSoftwareTokenMFANotFound = "SoftwareTokenMFANotFoundException"
	ExEnableSoftwareTokenMFA   = "EnableSoftwareTokenMFAException"
	ExScopeDoesNotExist        = "ScopeDoesNotExistException"
	ExInvalidOAuthFlow         = "InvalidOAuthFlowException"
	ExFeatureUnavailableInTier = "FeatureUnavailableInTierException"
	ExUnsupportedTokenType     = "UnsupportedTokenTypeException"
	ExUnauthorized             = "UnauthorizedException"
)

// Sentinels for errors.Is on the exception type.
var (
	ErrInvalidParameter = &Error{Type: ExInvalidParameter}
	ErrResourceNotFound = &Error{Type: ExResourceNotFound}
	ErrUserNotFound     = &Error{Type: ExUserNotFound}
	ErrUsernameExists   = &Error{Type: ExUsernameExists}
	ErrAliasExists      = &Error{Type: ExAliasExists}
	ErrInvalidPassword  = &Error{Type: ExInvalidPassword}
	ErrNotAuthorized    = &Error{Type: ExNotAuthorized}
)

func invalidParameter(format string, args ...any) *Error {
	return newError(ExInvalidParameter, format, args...)
}

func poolNotFound(id string) *Error {
	return newError(ExResourceNotFound, "User pool %s does not exist.", id)
}

func clientNotFound(id string) *Error {
	return newError(ExResourceNotFound, "User pool client %s does not exist.", id)
}

func userNotFound() *Error { return newError(ExUserNotFound, "User does not exist.") }

func groupNotFound() *Error { return newError(ExResourceNotFound, "Group not found.") }

// errorMessage is the message of err when it is the pool's *Error, else fallback.
func errorMessage(err error, fallback string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return fallback
}
