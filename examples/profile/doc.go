// Command profile signs in and manages the user's own profile: read it, edit attributes
// (an empty value deletes one), change the phone number, verify a changed e-mail, change
// the password and sign out everywhere: the seed's profile, profileEdit,
// profileEditPhoneNumber, profileAttributeConfirm, passwordChange and logout.
//
//	go run ./examples/profile -username dave -password 'Correct-Horse-42'
//
// On a local pool it first creates dave; on a real pool the user must exist.
package main
