package cognito

import (
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// throttleCodes are the answers that say the pool refused the request before acting on it,
// which makes a retry safe for every operation.
var throttleCodes = map[string]struct{}{
	"TooManyRequestsException": {},
	"ThrottlingException":      {},
}

// standardRetryer is the SDK's standard retryer (exponential backoff with jitter, retry quota)
// narrowed to what is safe to repeat for Cognito, where most calls are not idempotent:
//
//   - throttling answers, which Cognito gives before doing anything;
//   - connections that were never made (refused, failed dial), so no byte was sent.
//
// Everything else is returned to the caller. The SDK's default would also retry 5xx
// answers, timeouts and broken connections, but a request that reached the pool may have
// been carried out: a repeated SignUp then fails with UsernameExistsException after a
// success, a repeated ConfirmForgotPassword spends a single-use code, a repeated
// ForgotPassword sends a second message against an hourly limit, and a repeated sign-in
// counts twice towards lockout. Requests on a reused keep-alive connection that the server
// had closed are already replayed by net/http when nothing was written, which covers the
// common stale-connection case. The SDK's default also retries LimitExceededException,
// Cognito's answer to "too many codes or attempts this hour", which no retry can fix.
func standardRetryer(cfg Config) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		if cfg.MaxAttempts > 0 {
			o.MaxAttempts = cfg.MaxAttempts
		}
		if cfg.MaxBackoff > 0 {
			o.MaxBackoff = cfg.MaxBackoff
		}
		o.Retryables = []retry.IsErrorRetryable{
			retry.NoRetryCanceledError{},
			retry.RetryableErrorCode{Codes: throttleCodes},
			retry.IsErrorRetryableFunc(neverConnected),
		}
		o.Throttles = []retry.IsErrorThrottle{retry.IsErrorThrottleFunc(func(err error) aws.Ternary {
			var v interface{ ErrorCode() string }
			if errors.As(err, &v) {
				_, ok := throttleCodes[v.ErrorCode()]
				return aws.BoolTernary(ok)
			}
			return aws.UnknownTernary
		})}
	})
}

// neverConnected: the request could not have reached the pool.
func neverConnected(err error) aws.Ternary {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return aws.TrueTernary
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && !dns.IsNotFound && (dns.IsTemporary || dns.IsTimeout) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}
