// Package triggers owns Cognito's user pool Lambda triggers as this server runs them: the
// events, typed field for field as Cognito sends them, and an Invoker that delivers an event
// to an HTTP webhook and reads back its response. Deciding when a trigger fires, what goes
// into its request and what the pool does with the response belong to package pool.
//
// # Webhooks instead of Lambda
//
// A LambdaConfig member here is an http:// or https:// URL. The webhook receives Cognito's
// event JSON unchanged, so a handler written for Lambda (return the event with its response
// filled in, throw to refuse) needs only an HTTP wrapper, or none: the Lambda runtime
// interface emulator's invocation endpoint takes the raw event and answers with what the
// handler returned, so it can be named as the URL as it is. An ARN is refused
// (ValidateTarget, ErrLambdaARN) rather than stored: the pool cannot invoke Lambda, and a
// trigger that is accepted but never called would let sign-ups through that the function
// exists to stop.
//
// # The call
//
// POST, Content-Type application/json, User-Agent hashless-pool, the whole exchange bounded
// by 5 s (Cognito's fixed trigger limit) and the answer by 256 KiB. Redirects are not
// followed. A 2xx answer must be a JSON object with a "response" member (null allowed);
// only that member is taken, into the typed response zeroed first, because Cognito too reads
// nothing else from what the function returns. An answer without "response" is an error
// rather than "no change", since it is nearly always a webhook answering with the response
// alone.
//
// Cognito retries a timed-out function twice. Invoke does not: a webhook that timed out may
// still have acted (a migration webhook may have marked the legacy account as moved), and
// three 5 s attempts would hold the caller for 15 s. The pool may retry if it judges a
// trigger safe to repeat.
//
// # Failures, as Cognito reports them
//
// Every failed call is an *Error whose Kind chooses the exception and whose Message is
// worded as Cognito words it. The shapes come from the Cognito developer guide (the
// trigger pages, and the custom message page for InvalidLambdaResponseException) and from
// errors Cognito returned as quoted in client-library issue trackers (aws-amplify/amplify-js
// 9127 and 13352, aws-amplify/amplify-ui-android 314, aws-amplify/amplify-flutter 1051,
// aws-amplify/amplify-studio 1006, aws/serverless-application-model 1253,
// awslabs/service-workbench-on-aws 1136, and a Dart client library's tracker for the
// timeout):
//
//   - KindRejected, UserLambdaValidationException, "<Trigger> failed with error <message>."
//     (Cognito: "PreSignUp failed with error Registration from this domain is not
//     allowed.." — the period is appended even after one). The webhook refuses by answering
//     a non-2xx status with a Lambda error body, {"errorMessage": "...", ...}, or a 2xx
//     with that body alone or with an X-Amz-Function-Error header, as Lambda runtimes do.
//   - KindTimeout, UnexpectedLambdaException, "<Trigger> invocation failed due to error
//     Socket timeout while invoking Lambda function."
//   - KindFailed, UnexpectedLambdaException, "<Trigger> invocation failed due to error
//     <reason>." (Cognito gives the Lambda error code, e.g. AccessDeniedException; here the
//     reason is "HTTP 503", "connection failure" and the like, never the URL).
//   - KindInvalidResponse, InvalidLambdaResponseException, "Invalid lambda function output :
//     Invalid JSON" for an answer that is not JSON, "Unrecognizable lambda output" for JSON
//     that is not an event with a response of the trigger's shape, or an answer over the
//     limit.
//
// <Trigger> is the LambdaConfig member's name (PreSignUp, UserMigration,
// DefineAuthChallenge, ...), which TriggerOf derives from the triggerSource.
//
// # Secrets
//
// UserMigration_Authentication carries the user's plaintext password, custom
// authentication events carry answers and private challenge parameters, and every event
// carries attributes. Nothing here logs an event or an answer: a call is logged, and
// reported to Invoker.Observe, as trigger, host, duration, outcome and status only, and an
// Error's text is built to be safe to log. The password is a Secret, which prints as
// [redacted] through fmt and slog, and an Event logged through slog shows only where it
// came from.
//
// # Shapes
//
// The events are version "1" (for pre token generation, the V1_0 event, which customizes
// the ID token). Members the guide lists for every event of a trigger are always sent, as
// null when the pool has nothing for them (validationData, usernameParameter, the initial
// response's members), because handlers index them without checking; userAttributes and
// the challenge session are sent as {} and [] when nil for the same reason. Members sent
// only in some cases (clientMetadata, userNotFound, the migration password, linkParameter)
// are omitted when empty. The guide shows pre token generation's groupConfiguration as an
// array, but the event libraries AWS publishes type and sample it as an object, as this
// package does.
package triggers
