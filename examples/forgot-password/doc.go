// Command forgot-password resets a forgotten password with the code Cognito sends to the
// user's verified e-mail or phone (the seed's passwordForgot and passwordReset), then signs
// in with the new password.
//
//	go run ./examples/forgot-password -username carol
//
// On a local pool it first creates carol with a verified e-mail; on a real pool the user
// must exist.
package main
