// Package seal owns the server's symmetric secret and what is done with it: authenticated
// encryption of small values that leave the server and must come back unchanged and unread,
// such as pagination tokens and session state handed to clients.
//
// A sealed value is bound to a purpose string, so a value sealed for one use is rejected
// when presented for another, even though one key serves them all. It also owns the key
// file: created once with owner-only permissions, and refused when others can read it.
package seal
