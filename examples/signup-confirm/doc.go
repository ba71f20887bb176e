// Command signup-confirm signs a user up, confirms the account with the code Cognito sends
// and signs in: the seed's signup, signupConfirm (and signupResend) and login.
//
//	go run ./examples/signup-confirm -username alice -email alice@example.com
//
// It runs against the pool in COGNITO_* (asking for the e-mailed code on the terminal), or
// against a local pool it starts when none is set.
package main
