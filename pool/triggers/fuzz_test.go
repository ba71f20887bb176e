package triggers

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// responseTypes are the typed responses a webhook's answer can be decoded into.
var responseTypes = []func() any{
	func() any { return new(PreSignUpResponse) },
	func() any { return new(PostConfirmationResponse) },
	func() any { return new(PreAuthenticationResponse) },
	func() any { return new(PostAuthenticationResponse) },
	func() any { return new(PreTokenGenerationResponse) },
	func() any { return new(CustomMessageResponse) },
	func() any { return new(UserMigrationResponse) },
	func() any { return new(DefineAuthChallengeResponse) },
	func() any { return new(CreateAuthChallengeResponse) },
	func() any { return new(VerifyAuthChallengeResponse) },
}

// FuzzDecodeResponse feeds arbitrary answers to decodeReply, the only code that reads bytes
// a webhook controls. Whatever arrives, the result is either a response that survives
// re-encoding unchanged or an *Error the pool can answer a client with, and a failed answer
// never leaves anything in the response.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []struct {
		status  int
		funcErr bool
		body    string
	}{
		{200, false, `{"version":"1","triggerSource":"PreSignUp_SignUp","response":{"autoConfirmUser":true}}`},
		{200, false, `{"response":null}`},
		{200, false, `{"response":{"claimsOverrideDetails":{"claimsToAddOrOverride":{"a":"b"},"groupOverrideDetails":{"preferredRole":null}}}}`},
		{200, false, `{"response":{"userAttributes":{"email":"x@example.com"},"desiredDeliveryMediums":["EMAIL"]}}`},
		{200, false, `{"response":{"smsMessage":"{####}","emailMessage":null}}`},
		{200, false, `{"response":{"publicChallengeParameters":{"q":"1"},"challengeMetadata":"M"}}`},
		{400, false, `{"errorMessage":"nope","errorType":"Error"}`},
		{200, false, `{"errorMessage":"crashed"}`},
		{200, true, ``},
		{500, false, `oops`},
		{307, false, ``},
		{200, false, `null`},
		{200, false, `[]`},
		{200, false, `{"response":5}`},
		{200, false, `{"response":{"autoConfirmUser":"true"}}`},
		{200, false, "{\"response\":{\"challengeName\":\"\xff\"}}"},
		{200, false, `{"response":{}} trailing`},
	} {
		f.Add(s.status, s.funcErr, []byte(s.body))
	}
	const trigger, limit = "PreSignUp", 1024
	f.Fuzz(func(t *testing.T, status int, funcErr bool, body []byte) {
		header := ""
		if funcErr {
			header = "Unhandled"
		}
		success := status >= 200 && status < 300 && !funcErr
		for _, fresh := range append(responseTypes, func() any { return nil }) {
			into := fresh()
			raw, e := decodeReply(trigger, status, header, body, limit, into)
			if e != nil {
				checkError(t, e, trigger, status, success)
				if into != nil && !reflect.ValueOf(into).Elem().IsZero() {
					t.Fatalf("failed decode left %+v", into)
				}
				continue
			}
			if !success {
				t.Fatalf("status %d, function error %v decoded as success", status, funcErr)
			}
			if !json.Valid(raw) {
				t.Fatalf("raw response %q is not JSON", raw)
			}
			if into == nil {
				continue
			}
			// What was decoded must encode and decode back to itself, and be accepted again
			// when a webhook answers with it.
			again, err := json.Marshal(into)
			if err != nil {
				t.Fatalf("re-encoding %+v: %v", into, err)
			}
			second := reflect.New(reflect.TypeOf(into).Elem()).Interface()
			if _, e := decodeReply(trigger, 200, "", []byte(`{"response":`+string(again)+`}`), 1<<20, second); e != nil {
				t.Fatalf("re-encoded %s refused: %v", again, e)
			}
			if !reflect.DeepEqual(into, second) {
				t.Fatalf("round trip changed %+v into %+v", into, second)
			}
		}
	})
}

func checkError(t *testing.T, e *Error, trigger string, status int, success bool) {
	t.Helper()
	if e.Trigger != trigger || e.Err == nil || e.Exception() == "" || !utf8.ValidString(e.Message) {
		t.Fatalf("unusable error %#v", e)
	}
	if e.Status != status {
		t.Fatalf("error status %d, answer status %d", e.Status, status)
	}
	switch e.Kind {
	case KindRejected:
		if !strings.HasPrefix(e.Message, trigger+" failed with error ") || !strings.HasSuffix(e.Message, ".") ||
			len(e.Message) > len(trigger)+len(" failed with error .")+maxErrorMessage {
			t.Fatalf("rejection message %q", e.Message)
		}
	case KindFailed:
		if success || !strings.HasPrefix(e.Message, trigger+" invocation failed due to error HTTP ") {
			t.Fatalf("failure message %q for status %d", e.Message, status)
		}
	case KindInvalidResponse:
		if !success || (e.Message != msgInvalidJSON && e.Message != msgUnrecognizable) {
			t.Fatalf("invalid-response message %q for status %d", e.Message, status)
		}
	default:
		t.Fatalf("kind %v from decoding", e.Kind)
	}
}
