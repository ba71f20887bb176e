// Package apitest drives the pool server end to end through aws-sdk-go-v2 over real HTTP, on
// every storage backend. It has no non-test code: it exists so that these tests sit apart
// from the packages they exercise and see the server only as a client would.
package apitest
