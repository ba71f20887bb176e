// Package sigv4 verifies AWS Signature Version 4 on incoming requests, the way the Cognito
// Identity Provider endpoint does for its signed (IAM-authorized) operations.
//
// It owns the server half of the protocol only: parsing the Authorization header, rebuilding
// the canonical request byte for byte as the AWS SDKs build it, deriving the signing key from
// a configured secret and comparing signatures in constant time. It also owns the error codes
// and messages AWS answers with, so that SDKs and tools see the failures they expect.
//
// Query-string (presigned) authentication and chunked (streaming) payloads are out of scope:
// this service is reached with POST / and a JSON body signed with long-lived keys. An
// X-Amz-Security-Token header is covered by the signature like any other signed header, but
// nothing checks it against an issuer; the access key alone identifies the caller.
package sigv4
