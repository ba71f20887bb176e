package triggers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func header(source string) Event {
	return Event{
		Version:       "1",
		TriggerSource: source,
		Region:        "us-east-1",
		UserPoolID:    "us-east-1_AbCdEfGhI",
		UserName:      "testuser",
		CallerContext: CallerContext{AWSSDKVersion: "aws-sdk-js-3.540.0", ClientID: "3n4b5urk1ft4fl3mg5e62d9ado"},
	}
}

var (
	email    = Attributes{"email": "testuser@example.com"}
	metadata = map[string]string{"campaign": "spring"}
)

// goldenCases pairs each file in testdata/events, written from the developer guide's
// parameter listings, with the Go value that must encode to it and decode from it.
// newEvent gives an event with empty typed request and response to decode into.
var goldenCases = []struct {
	file     string
	event    func() Event
	newEvent func() Event
}{
	{"pre_sign_up.json", func() Event {
		e := header(SourcePreSignUpSignUp)
		e.Request = &PreSignUpRequest{
			UserAttributes: Attributes{"email": "testuser@example.com", "phone_number": "+15555550100"},
			ValidationData: map[string]string{"invite": "A1B2"}, ClientMetadata: metadata,
		}
		e.Response = &PreSignUpResponse{AutoConfirmUser: true, AutoVerifyEmail: true}
		return e
	}, func() Event { return Event{Request: &PreSignUpRequest{}, Response: &PreSignUpResponse{}} }},

	{"post_confirmation.json", func() Event {
		e := header(SourcePostConfirmationConfirmSignUp)
		e.Request = &PostConfirmationRequest{
			UserAttributes: Attributes{"cognito:user_status": "CONFIRMED", "email": "testuser@example.com"},
			ClientMetadata: metadata,
		}
		e.Response = &PostConfirmationResponse{}
		return e
	}, func() Event { return Event{Request: &PostConfirmationRequest{}, Response: &PostConfirmationResponse{}} }},

	{"pre_authentication.json", func() Event {
		e := header(SourcePreAuthentication)
		e.Request = &PreAuthenticationRequest{UserAttributes: email, ValidationData: map[string]string{"device": "kiosk"}, UserNotFound: true}
		e.Response = &PreAuthenticationResponse{}
		return e
	}, func() Event {
		return Event{Request: &PreAuthenticationRequest{}, Response: &PreAuthenticationResponse{}}
	}},

	{"post_authentication.json", func() Event {
		e := header(SourcePostAuthentication)
		e.Request = &PostAuthenticationRequest{UserAttributes: email, NewDeviceUsed: true, ClientMetadata: metadata}
		e.Response = &PostAuthenticationResponse{}
		return e
	}, func() Event {
		return Event{Request: &PostAuthenticationRequest{}, Response: &PostAuthenticationResponse{}}
	}},

	{"pre_token_generation.json", func() Event {
		e := header(SourceTokenGenerationRefreshTokens)
		role := "arn:aws:iam::123456789012:role/admins"
		e.Request = &PreTokenGenerationRequest{
			UserAttributes: email,
			GroupConfiguration: GroupConfiguration{
				GroupsToOverride: []string{"admins", "staff"}, IAMRolesToOverride: []string{role}, PreferredRole: &role,
			},
			ClientMetadata: metadata,
		}
		e.Response = &PreTokenGenerationResponse{ClaimsOverrideDetails: &ClaimsOverrideDetails{
			ClaimsToAddOrOverride: map[string]string{"tenant": "acme"},
			ClaimsToSuppress:      []string{"email"},
			GroupOverrideDetails:  &GroupConfiguration{GroupsToOverride: []string{"staff"}, IAMRolesToOverride: []string{}},
		}}
		return e
	}, func() Event {
		return Event{Request: &PreTokenGenerationRequest{}, Response: &PreTokenGenerationResponse{}}
	}},

	{"custom_message.json", func() Event {
		e := header(SourceCustomMessageAdminCreateUser)
		e.CallerContext.ClientID = "CLIENT_ID_NOT_APPLICABLE"
		e.Request = &CustomMessageRequest{
			UserAttributes: email, CodeParameter: "{####}", LinkParameter: ptr("{##Click Here##}"),
			UsernameParameter: ptr("{username}"), ClientMetadata: metadata,
		}
		e.Response = &CustomMessageResponse{
			SMSMessage:   ptr("Your username is {username} and temporary password is {####}."),
			EmailMessage: ptr("<p>Welcome {username}, your temporary password is {####}.</p>"),
			EmailSubject: ptr("Welcome"),
		}
		return e
	}, func() Event { return Event{Request: &CustomMessageRequest{}, Response: &CustomMessageResponse{}} }},

	{"user_migration.json", func() Event {
		e := header(SourceUserMigrationAuthentication)
		e.UserName = "testuser@example.com"
		e.Request = &UserMigrationRequest{
			Password: "correct horse battery staple", ValidationData: map[string]string{"device": "kiosk"}, ClientMetadata: metadata,
		}
		e.Response = &UserMigrationResponse{
			UserAttributes:  map[string]string{"email": "testuser@example.com", "email_verified": "true", "custom:legacy_id": "42"},
			FinalUserStatus: "CONFIRMED", MessageAction: "SUPPRESS", DesiredDeliveryMediums: []string{"EMAIL"},
		}
		return e
	}, func() Event { return Event{Request: &UserMigrationRequest{}, Response: &UserMigrationResponse{}} }},

	{"define_auth_challenge.json", func() Event {
		e := header(SourceDefineAuthChallenge)
		e.Request = &DefineAuthChallengeRequest{
			UserAttributes: email,
			Session: Session{
				{ChallengeName: "SRP_A", ChallengeResult: true},
				{ChallengeName: "CUSTOM_CHALLENGE", ChallengeMetadata: "CAPTCHA"},
			},
			ClientMetadata: metadata, UserNotFound: true,
		}
		e.Response = &DefineAuthChallengeResponse{ChallengeName: "CUSTOM_CHALLENGE"}
		return e
	}, func() Event {
		return Event{Request: &DefineAuthChallengeRequest{}, Response: &DefineAuthChallengeResponse{}}
	}},

	{"create_auth_challenge.json", func() Event {
		e := header(SourceCreateAuthChallenge)
		e.Request = &CreateAuthChallengeRequest{
			UserAttributes: email, ChallengeName: "CUSTOM_CHALLENGE",
			Session:        Session{{ChallengeName: "SRP_A", ChallengeResult: true}},
			ClientMetadata: metadata, UserNotFound: true,
		}
		e.Response = &CreateAuthChallengeResponse{
			PublicChallengeParameters:  map[string]string{"question": "2 + 3"},
			PrivateChallengeParameters: map[string]string{"answer": "5"},
			ChallengeMetadata:          "CAPTCHA",
		}
		return e
	}, func() Event {
		return Event{Request: &CreateAuthChallengeRequest{}, Response: &CreateAuthChallengeResponse{}}
	}},

	{"verify_auth_challenge_response.json", func() Event {
		e := header(SourceVerifyAuthChallengeResponse)
		e.Request = &VerifyAuthChallengeRequest{
			UserAttributes: email, PrivateChallengeParameters: map[string]string{"answer": "5"}, ChallengeAnswer: "5",
			ClientMetadata: metadata, UserNotFound: true,
		}
		e.Response = &VerifyAuthChallengeResponse{AnswerCorrect: true}
		return e
	}, func() Event {
		return Event{Request: &VerifyAuthChallengeRequest{}, Response: &VerifyAuthChallengeResponse{}}
	}},
}

// canonical re-encodes JSON with sorted keys and no spacing, so documents compare by
// content.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestEventsMatchGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(goldenCases) {
		t.Errorf("%d golden files, %d cases", len(files), len(goldenCases))
	}
	for _, c := range goldenCases {
		t.Run(c.file, func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join("testdata/events", c.file))
			if err != nil {
				t.Fatal(err)
			}
			want := c.event()
			got, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := canonical(t, got), canonical(t, golden); g != w {
				t.Errorf("encoded\n%s\nwant\n%s", g, w)
			}
			decoded := c.newEvent()
			if err := json.Unmarshal(golden, &decoded); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded, want) {
				t.Errorf("decoded %+v\nwant %+v", decoded, want)
			}
		})
	}
}

// TestEventsEmpty pins what an event says when the pool leaves things unset: the members
// Cognito always sends are there (as null, {} or []), the occasional ones are absent.
func TestEventsEmpty(t *testing.T) {
	for _, c := range []struct {
		request, response any
		want              string
	}{
		{&PreSignUpRequest{}, &PreSignUpResponse{},
			`{"request":{"userAttributes":{},"validationData":null},"response":{"autoConfirmUser":false,"autoVerifyEmail":false,"autoVerifyPhone":false}}`},
		{&PostConfirmationRequest{}, &PostConfirmationResponse{},
			`{"request":{"userAttributes":{}},"response":{}}`},
		{&PreAuthenticationRequest{}, &PreAuthenticationResponse{},
			`{"request":{"userAttributes":{},"validationData":null},"response":{}}`},
		{&PostAuthenticationRequest{}, &PostAuthenticationResponse{},
			`{"request":{"userAttributes":{},"newDeviceUsed":false},"response":{}}`},
		{&PreTokenGenerationRequest{}, &PreTokenGenerationResponse{},
			`{"request":{"userAttributes":{},"groupConfiguration":{"groupsToOverride":null,"iamRolesToOverride":null,"preferredRole":null}},"response":{"claimsOverrideDetails":null}}`},
		{&CustomMessageRequest{CodeParameter: "{####}"}, &CustomMessageResponse{},
			`{"request":{"userAttributes":{},"codeParameter":"{####}","usernameParameter":null},"response":{"smsMessage":null,"emailMessage":null,"emailSubject":null}}`},
		{&UserMigrationRequest{}, &UserMigrationResponse{},
			`{"request":{"validationData":null},"response":{"userAttributes":null,"finalUserStatus":"","messageAction":"","desiredDeliveryMediums":null,"forceAliasCreation":false,"enableSMSMFA":false}}`},
		{&DefineAuthChallengeRequest{}, &DefineAuthChallengeResponse{},
			`{"request":{"userAttributes":{},"session":[]},"response":{"challengeName":"","issueTokens":false,"failAuthentication":false}}`},
		{&CreateAuthChallengeRequest{ChallengeName: "CUSTOM_CHALLENGE"}, &CreateAuthChallengeResponse{},
			`{"request":{"userAttributes":{},"challengeName":"CUSTOM_CHALLENGE","session":[]},"response":{"publicChallengeParameters":null,"privateChallengeParameters":null,"challengeMetadata":""}}`},
		{&VerifyAuthChallengeRequest{}, &VerifyAuthChallengeResponse{},
			`{"request":{"userAttributes":{},"privateChallengeParameters":null,"challengeAnswer":""},"response":{"answerCorrect":false}}`},
	} {
		got, err := json.Marshal(struct {
			Request  any `json:"request"`
			Response any `json:"response"`
		}{c.request, c.response})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%T:\n got %s\nwant %s", c.request, got, c.want)
		}
	}
}

func TestTriggerOf(t *testing.T) {
	for source, want := range map[string]string{
		SourcePreSignUpSignUp:                       TriggerPreSignUp,
		SourcePreSignUpAdminCreateUser:              TriggerPreSignUp,
		SourcePreSignUpExternalProvider:             TriggerPreSignUp,
		SourcePostConfirmationConfirmSignUp:         TriggerPostConfirmation,
		SourcePostConfirmationConfirmForgotPassword: TriggerPostConfirmation,
		SourcePreAuthentication:                     TriggerPreAuthentication,
		SourcePostAuthentication:                    TriggerPostAuthentication,
		SourceTokenGenerationHostedAuth:             TriggerPreTokenGeneration,
		SourceTokenGenerationAuthentication:         TriggerPreTokenGeneration,
		SourceTokenGenerationNewPasswordChallenge:   TriggerPreTokenGeneration,
		SourceTokenGenerationAuthenticateDevice:     TriggerPreTokenGeneration,
		SourceTokenGenerationRefreshTokens:          TriggerPreTokenGeneration,
		SourceCustomMessageSignUp:                   TriggerCustomMessage,
		SourceCustomMessageAdminCreateUser:          TriggerCustomMessage,
		SourceCustomMessageResendCode:               TriggerCustomMessage,
		SourceCustomMessageForgotPassword:           TriggerCustomMessage,
		SourceCustomMessageUpdateUserAttribute:      TriggerCustomMessage,
		SourceCustomMessageVerifyUserAttribute:      TriggerCustomMessage,
		SourceCustomMessageAuthentication:           TriggerCustomMessage,
		SourceUserMigrationAuthentication:           TriggerUserMigration,
		SourceUserMigrationForgotPassword:           TriggerUserMigration,
		SourceDefineAuthChallenge:                   TriggerDefineAuthChallenge,
		SourceCreateAuthChallenge:                   TriggerCreateAuthChallenge,
		SourceVerifyAuthChallengeResponse:           TriggerVerifyAuthChallengeResponse,
		"Something_New":                             "Something",
		"":                                          "",
	} {
		if got := TriggerOf(source); got != want {
			t.Errorf("TriggerOf(%q) = %q, want %q", source, got, want)
		}
	}
}

func TestPasswordStaysOutOfPrintAndLogs(t *testing.T) {
	const pw = "correct horse battery staple"
	req := UserMigrationRequest{Password: pw, ValidationData: map[string]string{"k": "v"}}
	ev := header(SourceUserMigrationAuthentication)
	ev.Request = &req
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, req); strings.Contains(s, pw) || strings.Contains(s, fmt.Sprintf("%x", pw)) {
			t.Errorf("%s printed the password: %s", verb, s)
		}
		if s := fmt.Sprintf(verb, req.Password); strings.Contains(s, pw) {
			t.Errorf("%s of the Secret printed it: %s", verb, s)
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("x", "event", ev, "eventp", &ev, "password", req.Password)
	}
	if strings.Contains(buf.String(), pw) {
		t.Errorf("logs hold the password:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), SourceUserMigrationAuthentication) {
		t.Errorf("logged event does not say where it came from:\n%s", buf.String())
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"password":"`+pw+`"`) {
		t.Errorf("the webhook would not get the password: %s", body)
	}
}
