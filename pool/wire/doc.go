// Package wire speaks the Cognito Identity Provider JSON protocol over HTTP: POST / with
// X-Amz-Target, application/x-amz-json-1.1 bodies, SigV4 on administrative operations, CORS
// preflights for browser callers, and errors as {"__type","message"} with x-amzn-ErrorType.
//
// It owns decoding, authentication and the shape of errors; what an operation does is package
// pool's. The operation table here is the one list of what the server implements.
package wire
