package storeauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newID returns prefix + a ULID: 48 bits of milliseconds then 80 random bits, in Crockford
// base32. Medusa's IDs have this shape (cus_01H…), and time order keeps new rows together in
// the primary-key index.
func newID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:])
	out := make([]byte, 0, len(prefix)+26)
	out = append(out, prefix...)
	// 128 bits as 26 base32 digits: 130 bit positions, the first two always zero.
	for digit := 0; digit < 26; digit++ {
		v := 0
		for bit := digit*5 - 2; bit < digit*5+3; bit++ {
			v <<= 1
			if bit >= 0 && b[bit/8]&(0x80>>(bit%8)) != 0 {
				v |= 1
			}
		}
		out = append(out, crockford[v])
	}
	return string(out)
}

// NewCustomerID returns a new customer ID (cus_ and a ULID), as registration makes them.
func NewCustomerID() string { return newID("cus_", time.Now()) }

// newSessionToken returns a fresh 256-bit token (base64url, 43 characters) and its SHA-256,
// which is all the database ever sees.
func newSessionToken() (token string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenHash(token)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// plausibleToken rejects what newSessionToken cannot have made before any database work.
func plausibleToken(token string) bool {
	if len(token) != 43 {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
