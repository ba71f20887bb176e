package pool

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hashless/hashless/pool/store"
	"github.com/hashless/hashless/pool/triggers"
)

// Lambda triggers. A LambdaConfig member names an HTTP webhook (package triggers says why
// not a Lambda function); the pool decides when each fires, what its request holds and what
// it does with the answer. A trigger is never called inside a store transaction, because
// transactions may be retried and should be short, and a webhook may take seconds and must
// not be called twice for one request.

// lambdaMembers are the LambdaConfig members whose value is a trigger's target, in the
// order Cognito documents them.
var lambdaMembers = []string{
	triggers.TriggerPreSignUp, triggers.TriggerCustomMessage, triggers.TriggerPostConfirmation,
	triggers.TriggerPreAuthentication, triggers.TriggerPostAuthentication,
	triggers.TriggerDefineAuthChallenge, triggers.TriggerCreateAuthChallenge,
	triggers.TriggerVerifyAuthChallengeResponse, triggers.TriggerPreTokenGeneration,
	triggers.TriggerUserMigration,
}

// lambdaConfig is the part of LambdaConfig the engine acts on; other members (custom
// senders, the KMS key) are kept verbatim in the pool's settings and not acted on.
type lambdaConfig struct {
	members                  map[string]string
	PreTokenGenerationConfig *preTokenGenerationConfig
}

type preTokenGenerationConfig struct {
	LambdaArn     string `json:"LambdaArn"`
	LambdaVersion string `json:"LambdaVersion"`
}

// lambda decodes the pool's LambdaConfig. It was checked when it was written, so a member
// that does not decode (a pool written before the check existed) is taken as absent.
func (p poolView) lambda() lambdaConfig {
	var lc lambdaConfig
	if p.LambdaConfig == nil {
		return lc
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(*p.LambdaConfig, &raw) != nil {
		return lc
	}
	for _, name := range lambdaMembers {
		var v string
		if r, ok := raw[name]; ok && json.Unmarshal(r, &v) == nil && v != "" {
			if lc.members == nil {
				lc.members = map[string]string{}
			}
			lc.members[name] = v
		}
	}
	if r, ok := raw["PreTokenGenerationConfig"]; ok {
		var c preTokenGenerationConfig
		if json.Unmarshal(r, &c) == nil {
			lc.PreTokenGenerationConfig = &c
		}
	}
	return lc
}

// triggerTargets maps each trigger of p to its webhook URL. Pre token generation may be
// named twice, by its own member and by PreTokenGenerationConfig.LambdaArn, which Cognito
// requires to agree; the newer member wins. decodePool keeps the result with the pool,
// since a sign-in asks for several triggers and a token refresh for one, and LambdaConfig
// is JSON.
func (p poolView) triggerTargets() map[string]string {
	if p.LambdaConfig == nil {
		return nil
	}
	lc := p.lambda()
	out := map[string]string{}
	for name, target := range lc.members {
		out[name] = target
	}
	if c := lc.PreTokenGenerationConfig; c != nil && c.LambdaArn != "" {
		out[triggers.TriggerPreTokenGeneration] = c.LambdaArn
	}
	return out
}

// triggerTarget is the webhook URL of trigger in p, or "" when the pool has none.
func (p poolView) triggerTarget(trigger string) string {
	if p.targets == nil && p.LambdaConfig != nil {
		// A view not made by decodePool (a pool being written in this request).
		return p.triggerTargets()[trigger]
	}
	return p.targets[trigger]
}

func (p poolView) hasTrigger(trigger string) bool { return p.triggerTarget(trigger) != "" }

// checkLambdaConfig refuses a LambdaConfig whose triggers the pool could not call: every
// non-empty member that names a trigger must be an http(s) URL (triggers.ValidateTarget).
// An ARN is refused rather than stored, because a trigger that is accepted and never called
// would let through what the function exists to stop. Members the engine does not know are
// kept as they are.
func checkLambdaConfig(v *validator, raw *json.RawMessage) {
	if raw == nil {
		return
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(*raw, &members); err != nil {
		v.add("Value at 'lambdaConfig' failed to satisfy constraint: Member must be an object")
		return
	}
	check := func(field string, r json.RawMessage) {
		var s *string
		if err := json.Unmarshal(r, &s); err != nil {
			v.add("Value at '%s' failed to satisfy constraint: Member must be a string", field)
			return
		}
		if s == nil || *s == "" {
			return
		}
		if err := triggers.ValidateTarget(*s); err != nil {
			v.add("Value at '%s' failed to satisfy constraint: %s", field, err)
		}
	}
	for _, name := range lambdaMembers {
		if r, ok := members[name]; ok {
			check("lambdaConfig."+lowerFirst(name), r)
		}
	}
	if r, ok := members["PreTokenGenerationConfig"]; ok && string(r) != "null" {
		var c map[string]json.RawMessage
		if json.Unmarshal(r, &c) != nil {
			v.add("Value at 'lambdaConfig.preTokenGenerationConfig' failed to satisfy constraint: Member must be an object")
			return
		}
		if arn, ok := c["LambdaArn"]; ok {
			check("lambdaConfig.preTokenGenerationConfig.lambdaArn", arn)
		}
		if ver, ok := c["LambdaVersion"]; ok {
			var s string
			if json.Unmarshal(ver, &s) == nil {
				// Only the V1_0 event is sent; a V2_0 or V3_0 handler would answer with a
				// response this pool does not read, so asking for one is refused.
				v.oneOf("lambdaConfig.preTokenGenerationConfig.lambdaVersion", s, "V1_0")
			}
		}
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// newTriggerCounter counts trigger calls by trigger and outcome (ok, rejected, timeout,
// failed, invalid_response): a webhook that starts failing shows here before users complain.
func newTriggerCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hashless_pool_trigger_calls_total",
		Help: "Trigger webhook calls by trigger (PreSignUp, UserMigration, ...) and outcome (ok, rejected, timeout, failed, invalid_response).",
	}, []string{"trigger", "outcome"})
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// newInvoker is the Service's own copy of the configured invoker, reporting to the counter
// (and to the configured Observe, if any) and logging to the pool's logger by default.
func newInvoker(cfg *triggers.Invoker, log *slog.Logger, counter *prometheus.CounterVec) *triggers.Invoker {
	inv := &triggers.Invoker{}
	if cfg != nil {
		*inv = *cfg
	}
	if inv.Logger == nil {
		inv.Logger = log
	}
	next := inv.Observe
	inv.Observe = func(r triggers.Result) {
		counter.WithLabelValues(r.Trigger, r.Outcome.String()).Inc()
		if next != nil {
			next(r)
		}
	}
	return inv
}

// callerSDKVersion is the event's callerContext.awsSdkVersion. Cognito names the SDK the
// caller used; this server does not know it, and Cognito itself sends this value for calls
// it cannot attribute.
const callerSDKVersion = "aws-sdk-unknown-unknown"

// invokeTrigger sends ev to p's webhook for ev's trigger. called is false, and nothing is
// sent, when the pool has no such trigger. A failed call is the *Error Cognito answers
// with (UserLambdaValidationException, UnexpectedLambdaException,
// InvalidLambdaResponseException), worded as triggers words it.
func (s *Service) invokeTrigger(ctx context.Context, p poolView, clientID string, ev *triggers.Event) (called bool, err error) {
	target := p.triggerTarget(ev.Trigger())
	if target == "" {
		return false, nil
	}
	ev.Version = triggers.Version
	ev.Region = p.Region
	ev.UserPoolID = p.rec.ID
	ev.CallerContext = triggers.CallerContext{AWSSDKVersion: callerSDKVersion, ClientID: clientID}
	if err := s.triggers.Invoke(ctx, target, ev); err != nil {
		var te *triggers.Error
		if errors.As(err, &te) {
			return true, &Error{Type: te.Exception(), Message: te.Message}
		}
		// A mistake in the event, not the webhook's: nothing was sent.
		s.log.ErrorContext(ctx, "trigger event could not be sent", "pool", p.rec.ID, "trigger", ev.Trigger(), "err", err)
		return true, newError(ExInternalError, "Internal error.")
	}
	return true, nil
}

// eventAttributes is a user's attributes as a trigger's request carries them: sub included,
// as Cognito sends it, and the status Cognito adds as cognito:user_status.
func eventAttributes(u store.User) triggers.Attributes {
	out := triggers.Attributes{}
	if u.Sub != "" {
		out["sub"] = u.Sub
	}
	for _, a := range u.Attributes {
		out[a.Name] = a.Value
	}
	if u.Status != "" {
		out["cognito:user_status"] = u.Status
	}
	return out
}

func attributeMap(attrs []AttributeType) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]string, len(attrs))
	for _, a := range attrs {
		out[a.Name] = a.Value
	}
	return out
}

func attributeList(m map[string]string) []AttributeType {
	out := make([]AttributeType, 0, len(m))
	for k, v := range m {
		out = append(out, AttributeType{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b AttributeType) int { return strings.Compare(a.Name, b.Name) })
	return out
}
