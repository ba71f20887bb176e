package apitest

import (
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/srp"
)

// A one-question custom authentication: the answer is "42", three wrong answers fail.
func TestTriggerCustomAuth(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			switch ev.source() {
			case "DefineAuthChallenge_Authentication":
				session, _ := ev.request()["session"].([]any)
				if n := len(session); n > 0 {
					last := session[n-1].(map[string]any)
					if last["challengeResult"] == true {
						return answerWith(ev, map[string]any{"issueTokens": true, "failAuthentication": false})
					}
					if n >= 3 {
						return answerWith(ev, map[string]any{"issueTokens": false, "failAuthentication": true})
					}
				}
				return answerWith(ev, map[string]any{"challengeName": "CUSTOM_CHALLENGE"})
			case "CreateAuthChallenge_Authentication":
				return answerWith(ev, map[string]any{"publicChallengeParameters": map[string]string{"question": "6 x 7?"},
					"privateChallengeParameters": map[string]string{"answer": "42"}, "challengeMetadata": "QUESTION"})
			case "VerifyAuthChallengeResponse_Authentication":
				ok := ev.requestString("challengeAnswer") == ev.requestMap("privateChallengeParameters")["answer"]
				return answerWith(ev, map[string]any{"answerCorrect": ok})
			}
			return http.StatusOK, nil
		})
		s := newTriggerSetup(t, p, &types.LambdaConfigType{DefineAuthChallenge: aws.String(h.URL),
			CreateAuthChallenge: aws.String(h.URL), VerifyAuthChallengeResponse: aws.String(h.URL)},
			func(in *cip.CreateUserPoolClientInput) {
				in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowCustomAuth)
			})
		createUser(t, s.c, s.poolID, "quinn", "email", "quinn@example.com", "email_verified", "true")
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String(password), Permanent: true}))(t)

		start := func() *cip.InitiateAuthOutput {
			return must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeCustomAuth,
				AuthParameters: map[string]string{"USERNAME": "quinn"}}))(t)
		}
		answer := func(session *string, a string) (*cip.RespondToAuthChallengeOutput, error) {
			return s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID, ChallengeName: types.ChallengeNameTypeCustomChallenge,
				Session: session, ChallengeResponses: map[string]string{"USERNAME": "quinn", "ANSWER": a}})
		}

		out := start()
		if out.ChallengeName != types.ChallengeNameTypeCustomChallenge || out.ChallengeParameters["question"] != "6 x 7?" || out.ChallengeParameters["answer"] != "" {
			t.Fatalf("challenge %+v", out)
		}
		wrong := must(answer(out.Session, "41"))(t)
		if wrong.ChallengeName != types.ChallengeNameTypeCustomChallenge || wrong.AuthenticationResult != nil {
			t.Fatalf("a wrong answer got %+v", wrong)
		}
		// A session is good once.
		_, err := answer(out.Session, "42")
		wantAPIError(t, err, "NotAuthorizedException")
		right := must(answer(wrong.Session, "42"))(t)
		if right.AuthenticationResult == nil || right.AuthenticationResult.IdToken == nil {
			t.Fatalf("the right answer got %+v", right)
		}
		defines := h.calls("DefineAuthChallenge_Authentication")
		last := defines[len(defines)-1].request()["session"].([]any)
		if len(last) != 2 || last[0].(map[string]any)["challengeMetadata"] != "QUESTION" || last[0].(map[string]any)["challengeResult"] != false {
			t.Fatalf("define saw session %v", last)
		}

		// Three wrong answers: the define webhook fails the authentication.
		out = start()
		cur := out.Session
		for i := 0; i < 2; i++ {
			cur = must(answer(cur, "0"))(t).Session
		}
		_, err = answer(cur, "0")
		wantAPIError(t, err, "NotAuthorizedException")
	})
}

// CUSTOM_AUTH begun with SRP_A, as the official clients begin it: the define webhook asks
// for the password's proof first (PASSWORD_VERIFIER), sees its result, then asks a question.
// A wrong password fails as in USER_SRP_AUTH.
func TestTriggerCustomAuthWithSRP(t *testing.T) {
	each(t, func(t *testing.T, p *pooltest.Pool) {
		h := newHook(t, func(ev event) (int, any) {
			switch ev.source() {
			case "DefineAuthChallenge_Authentication":
				session, _ := ev.request()["session"].([]any)
				last := session[len(session)-1].(map[string]any)
				switch {
				case last["challengeName"] == "SRP_A":
					return answerWith(ev, map[string]any{"challengeName": "PASSWORD_VERIFIER"})
				case last["challengeName"] == "PASSWORD_VERIFIER" && last["challengeResult"] == true:
					return answerWith(ev, map[string]any{"challengeName": "CUSTOM_CHALLENGE"})
				case last["challengeName"] == "CUSTOM_CHALLENGE" && last["challengeResult"] == true:
					return answerWith(ev, map[string]any{"issueTokens": true})
				}
				return answerWith(ev, map[string]any{"failAuthentication": true})
			case "CreateAuthChallenge_Authentication":
				return answerWith(ev, map[string]any{"publicChallengeParameters": map[string]string{"question": "6 x 7?"},
					"privateChallengeParameters": map[string]string{"answer": "42"}})
			case "VerifyAuthChallengeResponse_Authentication":
				return answerWith(ev, map[string]any{"answerCorrect": ev.requestString("challengeAnswer") == "42"})
			}
			return http.StatusOK, nil
		})
		s := srpSetup{newTriggerSetup(t, p, &types.LambdaConfigType{DefineAuthChallenge: aws.String(h.URL),
			CreateAuthChallenge: aws.String(h.URL), VerifyAuthChallengeResponse: aws.String(h.URL)},
			func(in *cip.CreateUserPoolClientInput) {
				in.ExplicitAuthFlows = append(in.ExplicitAuthFlows, types.ExplicitAuthFlowsTypeAllowCustomAuth)
			})}
		createUser(t, s.c, s.poolID, "quinn", "email", "quinn@example.com", "email_verified", "true")
		must(s.c.AdminSetUserPassword(ctx(t), &cip.AdminSetUserPasswordInput{UserPoolId: &s.poolID, Username: aws.String("quinn"), Password: aws.String(password), Permanent: true}))(t)

		start := func() *srpExchange {
			client := must(srp.NewClient(rand.Reader))(t)
			out := must(s.c.InitiateAuth(ctx(t), &cip.InitiateAuthInput{ClientId: &s.clientID, AuthFlow: types.AuthFlowTypeCustomAuth,
				AuthParameters: map[string]string{"USERNAME": "quinn@example.com", "SRP_A": client.PublicKey().Text(16), "CHALLENGE_NAME": "SRP_A"}}))(t)
			if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || out.ChallengeParameters["USER_ID_FOR_SRP"] != "quinn" {
				t.Fatalf("CUSTOM_AUTH with SRP_A: %s %v", out.ChallengeName, out.ChallengeParameters)
			}
			return &srpExchange{s: s, client: client, out: out}
		}
		e := start()
		step := must(e.answer(t, s.c, e.responses(t, password, time.Now())))(t)
		if step.ChallengeName != types.ChallengeNameTypeCustomChallenge || step.ChallengeParameters["question"] != "6 x 7?" {
			t.Fatalf("after the password: %s %v", step.ChallengeName, step.ChallengeParameters)
		}
		done := must(s.c.RespondToAuthChallenge(ctx(t), &cip.RespondToAuthChallengeInput{ClientId: &s.clientID,
			ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: step.Session,
			ChallengeResponses: map[string]string{"USERNAME": "quinn", "ANSWER": "42"}}))(t)
		if done.AuthenticationResult == nil {
			t.Fatalf("after the answer: %+v", done)
		}
		defines := h.calls("DefineAuthChallenge_Authentication")
		seen := defines[len(defines)-2].request()["session"].([]any)
		if len(seen) != 2 || seen[1].(map[string]any)["challengeName"] != "PASSWORD_VERIFIER" {
			t.Fatalf("define saw %v after the password", seen)
		}
		// A wrong password is refused as in USER_SRP_AUTH.
		e = start()
		_, err := e.answer(t, s.c, e.responses(t, "wrong password 1", time.Now()))
		wantAPIError(t, err, "NotAuthorizedException")
	})
}
