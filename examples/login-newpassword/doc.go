// Command login-newpassword shows a user created by an administrator signing in for the
// first time: the temporary password yields a NEW_PASSWORD_REQUIRED challenge, answered
// with the user's own password (the seed's login and loginNewPasswordRequired).
//
//	go run ./examples/login-newpassword -username bob
//
// With -create (the default) it first creates the user with AdminCreateUser, which needs
// AWS credentials (COGNITO_ACCESS_KEY_ID or the standard chain) for a real pool.
package main
