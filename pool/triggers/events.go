package triggers

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Version is the only event version the V1 triggers carry.
const Version = "1"

// Trigger names, spelled as LambdaConfig spells its members and as Cognito names the trigger
// in its error messages.
const (
	TriggerPreSignUp                   = "PreSignUp"
	TriggerPostConfirmation            = "PostConfirmation"
	TriggerPreAuthentication           = "PreAuthentication"
	TriggerPostAuthentication          = "PostAuthentication"
	TriggerPreTokenGeneration          = "PreTokenGeneration"
	TriggerCustomMessage               = "CustomMessage"
	TriggerUserMigration               = "UserMigration"
	TriggerDefineAuthChallenge         = "DefineAuthChallenge"
	TriggerCreateAuthChallenge         = "CreateAuthChallenge"
	TriggerVerifyAuthChallengeResponse = "VerifyAuthChallengeResponse"
)

// triggerSource values. A webhook serving several triggers tells them apart by this field
// alone, so the values are Cognito's exactly.
const (
	SourcePreSignUpSignUp           = "PreSignUp_SignUp"
	SourcePreSignUpAdminCreateUser  = "PreSignUp_AdminCreateUser"
	SourcePreSignUpExternalProvider = "PreSignUp_ExternalProvider"

	SourcePostConfirmationConfirmSignUp         = "PostConfirmation_ConfirmSignUp"
	SourcePostConfirmationConfirmForgotPassword = "PostConfirmation_ConfirmForgotPassword"

	SourcePreAuthentication  = "PreAuthentication_Authentication"
	SourcePostAuthentication = "PostAuthentication_Authentication"

	SourceTokenGenerationHostedAuth           = "TokenGeneration_HostedAuth"
	SourceTokenGenerationAuthentication       = "TokenGeneration_Authentication"
	SourceTokenGenerationNewPasswordChallenge = "TokenGeneration_NewPasswordChallenge"
	SourceTokenGenerationAuthenticateDevice   = "TokenGeneration_AuthenticateDevice"
	SourceTokenGenerationRefreshTokens        = "TokenGeneration_RefreshTokens"

	SourceCustomMessageSignUp              = "CustomMessage_SignUp"
	SourceCustomMessageAdminCreateUser     = "CustomMessage_AdminCreateUser"
	SourceCustomMessageResendCode          = "CustomMessage_ResendCode"
	SourceCustomMessageForgotPassword      = "CustomMessage_ForgotPassword"
	SourceCustomMessageUpdateUserAttribute = "CustomMessage_UpdateUserAttribute"
	SourceCustomMessageVerifyUserAttribute = "CustomMessage_VerifyUserAttribute"
	SourceCustomMessageAuthentication      = "CustomMessage_Authentication"

	SourceUserMigrationAuthentication = "UserMigration_Authentication"
	SourceUserMigrationForgotPassword = "UserMigration_ForgotPassword"

	SourceDefineAuthChallenge         = "DefineAuthChallenge_Authentication"
	SourceCreateAuthChallenge         = "CreateAuthChallenge_Authentication"
	SourceVerifyAuthChallengeResponse = "VerifyAuthChallengeResponse_Authentication"
)

// TriggerOf names the trigger a triggerSource belongs to. Sources are "<Trigger>_<Event>"
// except pre token generation's, which drop the "Pre". An unknown source yields its part
// before the underscore, so an error about it still names something recognizable.
func TriggerOf(source string) string {
	prefix, _, _ := strings.Cut(source, "_")
	if prefix == "TokenGeneration" {
		return TriggerPreTokenGeneration
	}
	return prefix
}

// CallerContext is the event's callerContext.
type CallerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
}

// Event is the envelope every trigger receives, field for field as Cognito sends it.
//
// Request holds a pointer to the trigger's request struct (PreSignUpRequest and so on) and
// Response a pointer to its response struct; Response's value at the time of the call is what
// the webhook is sent as the initial response, and Invoke overwrites it with the webhook's.
// Both are interfaces so that one Invoke serves every trigger; the pool keeps its own typed
// pointer to the response and reads it after the call.
type Event struct {
	Version       string        `json:"version"`
	TriggerSource string        `json:"triggerSource"`
	Region        string        `json:"region"`
	UserPoolID    string        `json:"userPoolId"`
	UserName      string        `json:"userName"`
	CallerContext CallerContext `json:"callerContext"`
	Request       any           `json:"request"`
	Response      any           `json:"response"`
}

// Trigger is TriggerOf(e.TriggerSource).
func (e Event) Trigger() string { return TriggerOf(e.TriggerSource) }

// LogValue keeps an event logged by mistake down to where it came from: its request may hold
// a password or challenge answers, and a JSON log handler would otherwise marshal it whole.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("triggerSource", e.TriggerSource),
		slog.String("userPoolId", e.UserPoolID),
		slog.String("clientId", e.CallerContext.ClientID),
	)
}

// Attributes is a userAttributes map. It is sent as {} when nil because handlers index it
// without checking (event.request.userAttributes.email), and null would crash them where
// Cognito's own event would not.
type Attributes map[string]string

func (a Attributes) MarshalJSON() ([]byte, error) {
	if a == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(a))
}

// Secret is a string that prints as [redacted] through fmt and log/slog but marshals to JSON
// as itself. The migration trigger's password travels in an event; a stray %v or a
// debugging log line must not be what leaks it.
type Secret string

func (Secret) String() string       { return "[redacted]" }
func (Secret) GoString() string     { return `"[redacted]"` }
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Format covers the verbs String and GoString do not (%s and %v reach String, %#v GoString,
// but %q and %x would otherwise print the value).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// PreSignUpRequest is the request of PreSignUp_SignUp, PreSignUp_AdminCreateUser and
// PreSignUp_ExternalProvider. Cognito sends validationData as null when the caller gave none,
// so it is not omitted.
type PreSignUpRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// PreSignUpResponse: Cognito ignores all three for PreSignUp_AdminCreateUser; that is the
// pool's to apply.
type PreSignUpResponse struct {
	AutoConfirmUser bool `json:"autoConfirmUser"`
	AutoVerifyEmail bool `json:"autoVerifyEmail"`
	AutoVerifyPhone bool `json:"autoVerifyPhone"`
}

// PostConfirmationRequest is the request of PostConfirmation_ConfirmSignUp and
// PostConfirmation_ConfirmForgotPassword.
type PostConfirmationRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// PostConfirmationResponse is empty: the trigger can only fail the call.
type PostConfirmationResponse struct{}

// PreAuthenticationRequest is the request of PreAuthentication_Authentication. userNotFound
// is present only when the client prevents user existence errors.
type PreAuthenticationRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	ValidationData map[string]string `json:"validationData"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

// PreAuthenticationResponse is empty: the trigger can only refuse the sign-in.
type PreAuthenticationResponse struct{}

// PostAuthenticationRequest is the request of PostAuthentication_Authentication.
type PostAuthenticationRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	NewDeviceUsed  bool              `json:"newDeviceUsed"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// PostAuthenticationResponse is empty.
type PostAuthenticationResponse struct{}

// GroupConfiguration is the request's groupConfiguration and the response's
// groupOverrideDetails, which share one shape. preferredRole is null when there is none.
type GroupConfiguration struct {
	GroupsToOverride   []string `json:"groupsToOverride"`
	IAMRolesToOverride []string `json:"iamRolesToOverride"`
	PreferredRole      *string  `json:"preferredRole"`
}

// PreTokenGenerationRequest is the version 1 request of the TokenGeneration_* sources.
type PreTokenGenerationRequest struct {
	UserAttributes     Attributes         `json:"userAttributes"`
	GroupConfiguration GroupConfiguration `json:"groupConfiguration"`
	ClientMetadata     map[string]string  `json:"clientMetadata,omitempty"`
}

// PreTokenGenerationResponse is the version 1 response. A nil ClaimsOverrideDetails, or a
// nil GroupOverrideDetails inside it, means the webhook left that part alone, which is not
// the same as overriding with nothing.
type PreTokenGenerationResponse struct {
	ClaimsOverrideDetails *ClaimsOverrideDetails `json:"claimsOverrideDetails"`
}

type ClaimsOverrideDetails struct {
	ClaimsToAddOrOverride map[string]string   `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string            `json:"claimsToSuppress"`
	GroupOverrideDetails  *GroupConfiguration `json:"groupOverrideDetails"`
}

// CustomMessageRequest is the request of the CustomMessage_* sources. usernameParameter is
// null except for admin-created users, and Cognito sends the null rather than omitting the
// key; linkParameter is sent only when the pool verifies by link.
type CustomMessageRequest struct {
	UserAttributes    Attributes        `json:"userAttributes"`
	CodeParameter     string            `json:"codeParameter"`
	LinkParameter     *string           `json:"linkParameter,omitempty"`
	UsernameParameter *string           `json:"usernameParameter"`
	ClientMetadata    map[string]string `json:"clientMetadata,omitempty"`
}

// CustomMessageResponse fields are nil when the webhook left them null, meaning "use the
// pool's own message"; an empty string is a message the webhook chose.
type CustomMessageResponse struct {
	SMSMessage   *string `json:"smsMessage"`
	EmailMessage *string `json:"emailMessage"`
	EmailSubject *string `json:"emailSubject"`
}

// UserMigrationRequest is the request of UserMigration_Authentication and
// UserMigration_ForgotPassword. Password is the plaintext the user typed and exists only for
// UserMigration_Authentication; Cognito omits it for the forgot-password source.
type UserMigrationRequest struct {
	Password       Secret            `json:"password,omitempty"`
	ValidationData map[string]string `json:"validationData"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
}

// UserMigrationResponse: a nil UserAttributes is the webhook declining to migrate (the user
// is unknown to it too); empty strings and false are Cognito's defaults (status
// RESET_REQUIRED, message sent, by SMS, no alias takeover, no SMS MFA).
type UserMigrationResponse struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        string            `json:"finalUserStatus"`
	MessageAction          string            `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     bool              `json:"forceAliasCreation"`
	EnableSMSMFA           bool              `json:"enableSMSMFA"`
}

// ChallengeResult is one entry of a custom authentication session. challengeMetadata is
// meaningful only for CUSTOM_CHALLENGE.
type ChallengeResult struct {
	ChallengeName     string `json:"challengeName"`
	ChallengeResult   bool   `json:"challengeResult"`
	ChallengeMetadata string `json:"challengeMetadata"`
}

// Session is the challenges answered so far, oldest first. It is sent as [] when nil because
// define-auth-challenge handlers start with session.length.
type Session []ChallengeResult

func (s Session) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]ChallengeResult(s))
}

// DefineAuthChallengeRequest is the request of DefineAuthChallenge_Authentication.
type DefineAuthChallengeRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	Session        Session           `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

type DefineAuthChallengeResponse struct {
	ChallengeName      string `json:"challengeName"`
	IssueTokens        bool   `json:"issueTokens"`
	FailAuthentication bool   `json:"failAuthentication"`
}

// CreateAuthChallengeRequest is the request of CreateAuthChallenge_Authentication.
type CreateAuthChallengeRequest struct {
	UserAttributes Attributes        `json:"userAttributes"`
	ChallengeName  string            `json:"challengeName"`
	Session        Session           `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound   bool              `json:"userNotFound,omitempty"`
}

// CreateAuthChallengeResponse: the public parameters go to the client, the private ones only
// to the verify trigger, so the pool must keep them server-side.
type CreateAuthChallengeResponse struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          string            `json:"challengeMetadata"`
}

// VerifyAuthChallengeRequest is the request of VerifyAuthChallengeResponse_Authentication
// (the trigger's own name ends in "Response", hence the shorter type names).
type VerifyAuthChallengeRequest struct {
	UserAttributes             Attributes        `json:"userAttributes"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeAnswer            string            `json:"challengeAnswer"`
	ClientMetadata             map[string]string `json:"clientMetadata,omitempty"`
	UserNotFound               bool              `json:"userNotFound,omitempty"`
}

type VerifyAuthChallengeResponse struct {
	AnswerCorrect bool `json:"answerCorrect"`
}
