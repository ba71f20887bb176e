package srp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"strings"
	"time"
)

// nHex is the 3072-bit MODP prime of RFC 3526 §4 (RFC 5054 appendix A).
const nHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
	"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
	"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

var (
	n = mustHex(nHex)
	g = big.NewInt(2)
	// k is H(pad(N) ‖ pad(g)): Cognito's clients pad g as a BigInteger (one byte), not to the
	// width of N as RFC 5054 does.
	k = hashInt(Pad(n), Pad(g))
)

// N returns the group's prime; G the generator; K the multiplier k.
func N() *big.Int { return new(big.Int).Set(n) }
func G() *big.Int { return new(big.Int).Set(g) }
func K() *big.Int { return new(big.Int).Set(k) }

// secretBytes is the size of the random exponents a and b, as the official client draws a.
const secretBytes = 128

// MaxHexLen bounds a hex-encoded group element on the wire: N is 768 hex digits, and a
// value that is not reduced mod N may be sent longer by a careless client, but never this
// long.
const MaxHexLen = 1024

// Errors. The pool answers every one of them as Cognito does, with a generic
// NotAuthorizedException, so they only need to tell tests and logs apart.
var (
	ErrBadPublicKey = errors.New("srp: the public key is 0 mod N")
	ErrBadScrambler = errors.New("srp: u is 0")
	ErrBadHex       = errors.New("srp: not a hex-encoded number")
	ErrBadTimestamp = errors.New("srp: TIMESTAMP is not in the client's format")
)

func mustHex(s string) *big.Int {
	i, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("srp: bad constant")
	}
	return i
}

// Pad encodes a non-negative i as Java's BigInteger.toByteArray() does: minimal big-endian,
// with a 0x00 in front when the high bit is set (and a single 0x00 for zero).
func Pad(i *big.Int) []byte {
	b := i.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// ParseHex reads a non-negative number as the clients send it: BigInteger.toString(16),
// which may have an odd length and drops leading zeros. A sign, a 0x prefix, an empty
// string or more than MaxHexLen digits is refused.
func ParseHex(s string) (*big.Int, error) {
	if s == "" || len(s) > MaxHexLen {
		return nil, ErrBadHex
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, ErrBadHex
		}
	}
	i, ok := new(big.Int).SetString(s, 16)
	if !ok {
		return nil, ErrBadHex
	}
	return i, nil
}

// Hex writes i as the server sends SRP_B and SALT: lower-case, even length (a leading 0
// when needed), with no 0x00 prefix; clients read it back as an integer.
func Hex(i *big.Int) string {
	s := i.Text(16)
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// PoolName is the part of a user pool ID after the underscore: the clients put it, not the
// whole ID, into x and the signature.
func PoolName(userPoolID string) string {
	if _, after, ok := strings.Cut(userPoolID, "_"); ok {
		return after
	}
	return userPoolID
}

func hashBytes(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func hashInt(parts ...[]byte) *big.Int {
	return new(big.Int).SetBytes(hashBytes(parts...))
}

// X is the private value x = H(pad(salt) ‖ H(group ‖ user ‖ ":" ‖ password)). For a user,
// group is the pool name and user the canonical username (USER_ID_FOR_SRP); for a device,
// the DeviceGroupKey, the DeviceKey and the device's random password.
func X(salt *big.Int, group, user, password string) *big.Int {
	inner := hashBytes([]byte(group), []byte(user), []byte(":"), []byte(password))
	return hashInt(Pad(salt), inner)
}

// Verifier is v = g^x mod N, what the server keeps instead of the password.
func Verifier(salt *big.Int, group, user, password string) *big.Int {
	return new(big.Int).Exp(g, X(salt, group, user, password), n)
}

// NewSalt draws the 16-byte salt Cognito uses.
func NewSalt(r io.Reader) (*big.Int, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b[:]), nil
}

// U is the scrambler u = H(pad(A) ‖ pad(B)).
func U(a, b *big.Int) *big.Int {
	return hashInt(Pad(a), Pad(b))
}

// DerivedKey is the "Caldera Derived Key": HKDF-SHA256 with salt pad(u), key material
// pad(S), info "Caldera Derived Key", one block, truncated to 16 bytes.
func DerivedKey(u, s *big.Int) []byte {
	prk := hmac.New(sha256.New, Pad(u))
	prk.Write(Pad(s))
	okm := hmac.New(sha256.New, prk.Sum(nil))
	okm.Write([]byte("Caldera Derived Key\x01"))
	return okm.Sum(nil)[:16]
}

// Signature is PASSWORD_CLAIM_SIGNATURE before base64: HMAC-SHA256 under the derived key of
// group ‖ user ‖ secretBlock ‖ timestamp, with no separators. secretBlock is the decoded
// SECRET_BLOCK.
func Signature(key []byte, group, user string, secretBlock []byte, timestamp string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(group))
	mac.Write([]byte(user))
	mac.Write(secretBlock)
	mac.Write([]byte(timestamp))
	return mac.Sum(nil)
}

// SignatureBase64 is Signature as the client sends it: standard base64 with padding.
func SignatureBase64(key []byte, group, user string, secretBlock []byte, timestamp string) string {
	return base64.StdEncoding.EncodeToString(Signature(key, group, user, secretBlock, timestamp))
}

// CheckSignature compares a client's PASSWORD_CLAIM_SIGNATURE with the expected one in
// constant time. A claim that is not base64 fails like a wrong one.
func CheckSignature(key []byte, group, user string, secretBlock []byte, timestamp, claim string) bool {
	got, err := base64.StdEncoding.DecodeString(claim)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Signature(key, group, user, secretBlock, timestamp))
}

// Server is the server's half of one SRP exchange.
type Server struct {
	v, b, bPub *big.Int
}

// NewServer draws b and computes B = (k·v + g^b) mod N, drawing again in the (negligible)
// case B mod N = 0.
func NewServer(r io.Reader, v *big.Int) (*Server, error) {
	for {
		b, err := randomExponent(r)
		if err != nil {
			return nil, err
		}
		s, err := ResumeServer(v, b)
		if err == nil {
			return s, nil
		}
	}
}

// ResumeServer rebuilds the server's half from v and the b it drew, for the second request
// of the exchange (the pool carries b sealed in SECRET_BLOCK).
func ResumeServer(v, b *big.Int) (*Server, error) {
	bPub := new(big.Int).Exp(g, b, n)
	bPub.Add(bPub, new(big.Int).Mul(k, v))
	bPub.Mod(bPub, n)
	if bPub.Sign() == 0 {
		return nil, ErrBadPublicKey
	}
	return &Server{v: v, b: b, bPub: bPub}, nil
}

// RestoreServer rebuilds the server's half from v, b and the B computed from them, saving
// the exponentiation ResumeServer does. B is trusted: it must come from the server's own
// state, never from the client.
func RestoreServer(v, b, bPub *big.Int) *Server {
	return &Server{v: v, b: b, bPub: bPub}
}

// PublicKey is B, sent as SRP_B.
func (s *Server) PublicKey() *big.Int { return new(big.Int).Set(s.bPub) }

// Secret is b. It must stay on the server; it is exposed only so that the exchange's state
// can be sealed between the two requests.
func (s *Server) Secret() *big.Int { return new(big.Int).Set(s.b) }

// Key computes the derived key from the client's A: S = (A · v^u)^b mod N. A ≡ 0 mod N (which
// would make S 0 whatever the password) and u = 0 are refused.
func (s *Server) Key(a *big.Int) ([]byte, error) {
	if new(big.Int).Mod(a, n).Sign() == 0 {
		return nil, ErrBadPublicKey
	}
	u := U(a, s.bPub)
	if u.Sign() == 0 {
		return nil, ErrBadScrambler
	}
	base := new(big.Int).Exp(s.v, u, n)
	base.Mul(base, a)
	base.Mod(base, n)
	return DerivedKey(u, new(big.Int).Exp(base, s.b, n)), nil
}

// Client is the client's half of one SRP exchange.
type Client struct {
	a, aPub *big.Int
}

// NewClient draws a and computes A = g^a mod N.
func NewClient(r io.Reader) (*Client, error) {
	for {
		a, err := randomExponent(r)
		if err != nil {
			return nil, err
		}
		c, err := ClientWithSecret(a)
		if err == nil {
			return c, nil
		}
	}
}

// ClientWithSecret builds the client's half from a given a (for known-answer tests).
func ClientWithSecret(a *big.Int) (*Client, error) {
	aPub := new(big.Int).Exp(g, a, n)
	if aPub.Sign() == 0 {
		return nil, ErrBadPublicKey
	}
	return &Client{a: a, aPub: aPub}, nil
}

// PublicKey is A, sent as SRP_A.
func (c *Client) PublicKey() *big.Int { return new(big.Int).Set(c.aPub) }

// Key computes the derived key from the server's B and salt: S = (B − k·g^x)^(a + u·x) mod N.
func (c *Client) Key(bPub, salt *big.Int, group, user, password string) ([]byte, error) {
	if new(big.Int).Mod(bPub, n).Sign() == 0 {
		return nil, ErrBadPublicKey
	}
	u := U(c.aPub, bPub)
	if u.Sign() == 0 {
		return nil, ErrBadScrambler
	}
	x := X(salt, group, user, password)
	base := new(big.Int).Exp(g, x, n)
	base.Mul(base, k)
	base.Sub(bPub, base)
	base.Mod(base, n)
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	return DerivedKey(u, new(big.Int).Exp(base, exp, n)), nil
}

func randomExponent(r io.Reader) (*big.Int, error) {
	var b [secretBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b[:]), nil
}

// TimestampLayout is the TIMESTAMP the clients send: English, UTC, the day of the month not
// padded, e.g. "Tue Mar 5 09:04:07 UTC 2024".
const TimestampLayout = "Mon Jan 2 15:04:05 MST 2006"

// FormatTimestamp writes t as a client does.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(TimestampLayout)
}

// ParseTimestamp reads a TIMESTAMP strictly. time.Parse alone would accept a zero-padded or
// space-padded day and a wrong weekday, all of which Cognito refuses; so the value must be
// exactly what FormatTimestamp writes for the time it names.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) > 40 {
		return time.Time{}, ErrBadTimestamp
	}
	t, err := time.Parse(TimestampLayout, s)
	if err != nil || FormatTimestamp(t) != s {
		return time.Time{}, ErrBadTimestamp
	}
	return t, nil
}
