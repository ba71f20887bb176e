package srp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	mrand "math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The known-answer vector: the client side computed by amazon-cognito-identity-js 6.3.21
// with its small a forced, the server side recomputed independently (see the reference notes
// on Cognito's SRP).
var kat = struct {
	poolID, user, password, salt, a, b, secretBlock, timestamp string
	k, x, u, hkdf, signature                                   string
	vHead, vTail, aHead, aTail, bHead, bTail                   string
}{
	poolID: "us-east-1_TestPool1", user: "alice", password: "Passw0rd!",
	salt: "8ce8291892390f6b53a245933faf6164", a: strings.Repeat("1", 256), b: strings.Repeat("2", 64),
	secretBlock: "b3BhcXVlLXNlY3JldC1ibG9jay1ieXRlcw==", timestamp: "Tue Mar 5 09:04:07 UTC 2024",
	k:         "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6",
	x:         "abd0cd46dded52ae108016581e4223365f062065561b938d8ec8ace063b1bc29",
	u:         "233bd361d8c0f1311d8214fb586f1826d5bb0b3243fc0313dcb9496174a9b4ff",
	hkdf:      "d8654cefe7940d2777037c7bcd1ef00d",
	signature: "+v9K9ZJv6GeO+to6lHVUCiykOWjUOf+9CVxrJjU4OQE=",
	vHead:     "ad6a17e1d3f24ff7f8379a17", vTail: "b74a779b073acc709fb214a1",
	aHead: "67679d4fea151663de327605", aTail: "3368912e373a857c32e03a6c",
	bHead: "5b66678523e38081a410a0c0", bTail: "c295b9dc0cf8d1964937d374",
}

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	i, err := ParseHex(s)
	if err != nil {
		t.Fatalf("ParseHex(%q): %v", s, err)
	}
	return i
}

func expectHeadTail(t *testing.T, name string, i *big.Int, head, tail string) {
	t.Helper()
	s := i.Text(16)
	if len(s) != 768 || !strings.HasPrefix(s, head) || !strings.HasSuffix(s, tail) {
		t.Fatalf("%s = %s…%s (%d digits), want %s…%s (768)", name, s[:24], s[len(s)-24:], len(s), head, tail)
	}
}

func TestKnownAnswer(t *testing.T) {
	if got := k.Text(16); got != kat.k {
		t.Fatalf("k = %s, want %s", got, kat.k)
	}
	pool := PoolName(kat.poolID)
	if pool != "TestPool1" {
		t.Fatalf("PoolName = %q", pool)
	}
	salt := hexInt(t, kat.salt)
	if got := X(salt, pool, kat.user, kat.password).Text(16); got != kat.x {
		t.Fatalf("x = %s, want %s", got, kat.x)
	}
	v := Verifier(salt, pool, kat.user, kat.password)
	expectHeadTail(t, "v", v, kat.vHead, kat.vTail)

	client, err := ClientWithSecret(hexInt(t, kat.a))
	if err != nil {
		t.Fatal(err)
	}
	expectHeadTail(t, "A", client.PublicKey(), kat.aHead, kat.aTail)
	server, err := ResumeServer(v, hexInt(t, kat.b))
	if err != nil {
		t.Fatal(err)
	}
	expectHeadTail(t, "B", server.PublicKey(), kat.bHead, kat.bTail)
	if got := U(client.PublicKey(), server.PublicKey()).Text(16); got != kat.u {
		t.Fatalf("u = %s, want %s", got, kat.u)
	}

	serverKey, err := server.Key(client.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := client.Key(server.PublicKey(), salt, pool, kat.user, kat.password)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string][]byte{"server": serverKey, "client": clientKey} {
		if got := hex.EncodeToString(key); got != kat.hkdf {
			t.Fatalf("%s hkdf = %s, want %s", name, got, kat.hkdf)
		}
	}
	block, _ := base64.StdEncoding.DecodeString(kat.secretBlock)
	if got := SignatureBase64(clientKey, pool, kat.user, block, kat.timestamp); got != kat.signature {
		t.Fatalf("signature = %s, want %s", got, kat.signature)
	}
	if !CheckSignature(serverKey, pool, kat.user, block, kat.timestamp, kat.signature) {
		t.Fatal("the server refused the known signature")
	}
	for _, wrong := range []struct{ user, ts, sig string }{
		{"Alice", kat.timestamp, kat.signature},
		{kat.user, "Tue Mar 5 09:04:08 UTC 2024", kat.signature},
		{kat.user, kat.timestamp, strings.Replace(kat.signature, "+", "-", 1)},
		{kat.user, kat.timestamp, "not base64!"},
		{kat.user, kat.timestamp, ""},
	} {
		if CheckSignature(serverKey, pool, wrong.user, block, wrong.ts, wrong.sig) {
			t.Fatalf("accepted %+v", wrong)
		}
	}
	// A wrong password gives another key.
	other, err := client.Key(server.PublicKey(), salt, pool, kat.user, "Passw0rd?")
	if err != nil || bytes.Equal(other, serverKey) {
		t.Fatalf("a wrong password's key: %x %v", other, err)
	}
}

func TestPad(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"0", "00"}, {"1", "01"}, {"7f", "7f"}, {"80", "0080"}, {"ff", "00ff"}, {"100", "0100"},
		{"8ce8291892390f6b53a245933faf6164", "008ce8291892390f6b53a245933faf6164"},
		{"0c", "0c"},
	} {
		if got := hex.EncodeToString(Pad(hexInt(t, c.in))); got != c.want {
			t.Errorf("Pad(%s) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := Pad(n); len(got) != 385 || got[0] != 0 {
		t.Fatalf("pad(N) has %d bytes, first %x", len(got), got[0])
	}
}

func TestParseHex(t *testing.T) {
	for _, ok := range []string{"0", "abc", "ABC", "fff", strings.Repeat("f", MaxHexLen)} {
		if _, err := ParseHex(ok); err != nil {
			t.Errorf("ParseHex(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-1", "+1", "0x12", "12 ", " 12", "1_2", "g", "١٢", strings.Repeat("f", MaxHexLen+1)} {
		if _, err := ParseHex(bad); err == nil {
			t.Errorf("ParseHex(%q) accepted", bad)
		}
	}
	if got := Hex(big.NewInt(0xabc)); got != "0abc" {
		t.Fatalf("Hex = %s", got)
	}
}

func TestTimestamp(t *testing.T) {
	when := time.Date(2024, 3, 5, 9, 4, 7, 0, time.UTC)
	if got := FormatTimestamp(when.In(time.FixedZone("X", 3600))); got != kat.timestamp {
		t.Fatalf("FormatTimestamp = %q", got)
	}
	if got, err := ParseTimestamp(kat.timestamp); err != nil || !got.Equal(when) {
		t.Fatalf("ParseTimestamp = %v %v", got, err)
	}
	if _, err := ParseTimestamp("Tue Nov 12 23:59:59 UTC 2024"); err != nil {
		t.Fatalf("a two-digit day: %v", err)
	}
	for _, bad := range []string{
		"Tue Mar 05 09:04:07 UTC 2024", // zero-padded day
		"Tue Mar  5 09:04:07 UTC 2024", // space-padded day
		"Wed Mar 5 09:04:07 UTC 2024",  // wrong weekday
		"Tue Mar 5 9:04:07 UTC 2024",   // unpadded hour
		"Tue Mar 5 09:04:07 GMT 2024",  // another zone name
		"Tue Mar 5 09:04:07 UTC 2024 ", // trailing space
		"tue mar 5 09:04:07 utc 2024",  // case
		"Tuesday Mar 5 09:04:07 UTC 2024",
		"2024-03-05T09:04:07Z",
		"",
		strings.Repeat("Tue ", 20),
	} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", bad)
		}
	}
}

// A ≡ 0 mod N would make the server's S zero whatever the password; it and B ≡ 0 are
// refused by each side.
func TestZeroPublicKeysRefused(t *testing.T) {
	salt := hexInt(t, kat.salt)
	v := Verifier(salt, "P", "u", "p")
	server, err := NewServer(rand.Reader, v)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*big.Int{big.NewInt(0), N(), new(big.Int).Mul(N(), big.NewInt(2))} {
		if _, err := server.Key(a); err != ErrBadPublicKey {
			t.Fatalf("server.Key(%s…) = %v", a.Text(16)[:1], err)
		}
	}
	client, err := NewClient(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*big.Int{big.NewInt(0), N()} {
		if _, err := client.Key(b, salt, "P", "u", "p"); err != ErrBadPublicKey {
			t.Fatalf("client.Key(B=%s…) = %v", b.Text(16)[:1], err)
		}
	}
	// A = 1 and A = N-1 are not zero and are answered, but give a key no one without b can
	// predict from the password alone.
	if _, err := server.Key(big.NewInt(1)); err != nil {
		t.Fatal(err)
	}
}

// roundTrip runs one exchange and reports whether both sides derived the same key and the
// server accepted the client's signature.
func roundTrip(t testing.TB, client *Client, server *Server, salt *big.Int, pool, user, password string) bool {
	t.Helper()
	sk, err := server.Key(client.PublicKey())
	if err != nil {
		t.Error(err)
		return false
	}
	ck, err := client.Key(server.PublicKey(), salt, pool, user, password)
	if err != nil {
		t.Error(err)
		return false
	}
	block := []byte("block")
	ts := FormatTimestamp(time.Now())
	return CheckSignature(sk, pool, user, block, ts, SignatureBase64(ck, pool, user, block, ts))
}

// Ten thousand random exchanges: random users, passwords (any UTF-8) and salts, with a
// right password always accepted and a wrong one always refused. Most exchanges draw 256-bit
// exponents, which take a quarter of the time of the clients' 1024-bit ones and exercise the
// same encodings; every 25th draws full-size ones through NewClient and NewServer.
func TestRandomRoundTrips(t *testing.T) {
	rounds := 10000
	if testing.Short() {
		rounds = 500
	}
	workers := runtime.GOMAXPROCS(0)
	var highBitSalts, shortSalts atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := mrand.New(mrand.NewPCG(uint64(w), 2))
			for i := w; i < rounds && !t.Failed(); i += workers {
				roundTripOnce(t, rng, i, &highBitSalts, &shortSalts)
			}
		})
	}
	wg.Wait()
	if highBitSalts.Load() == 0 || shortSalts.Load() == 0 {
		t.Fatalf("edge salts not exercised: %d high-bit, %d short", highBitSalts.Load(), shortSalts.Load())
	}
}

func roundTripOnce(t *testing.T, rng *mrand.Rand, i int, highBitSalts, shortSalts *atomic.Int64) {
	salt, err := NewSalt(rand.Reader)
	if err != nil {
		t.Error(err)
		return
	}
	if i%8 == 0 {
		// Force the salts the encoding gets wrong most often.
		b := salt.Bytes()
		b = append(make([]byte, 16-len(b)), b...)
		if i%16 == 0 {
			b[0] |= 0x80
		} else {
			b[0], b[1] = 0, 0
		}
		salt.SetBytes(b)
	}
	if salt.BitLen() == 128 {
		highBitSalts.Add(1)
	}
	if salt.BitLen() <= 120 {
		shortSalts.Add(1)
	}
	user := randomText(rng, 1+rng.IntN(40))
	password := randomText(rng, rng.IntN(80))
	pool := "Pool" + strconv.Itoa(rng.IntN(100))
	v := Verifier(salt, pool, user, password)
	var server *Server
	var client *Client
	if i%25 == 0 {
		server, err = NewServer(rand.Reader, v)
		if err == nil {
			client, err = NewClient(rand.Reader)
		}
	} else {
		server, err = ResumeServer(v, randomSmall(rng))
		if err == nil {
			client, err = ClientWithSecret(randomSmall(rng))
		}
	}
	if err != nil {
		t.Error(err)
		return
	}
	if !roundTrip(t, client, server, salt, pool, user, password) {
		t.Errorf("round %d: the right password was refused (salt %x)", i, Pad(salt))
	}
	if i%10 == 0 && roundTrip(t, client, server, salt, pool, user, password+"x") {
		t.Errorf("round %d: a wrong password was accepted", i)
	}
}

func randomSmall(rng *mrand.Rand) *big.Int {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return new(big.Int).SetBytes(b)
}

func randomText(rng *mrand.Rand, n int) string {
	alphabet := []rune("abcXYZ019_-.@+:é日本🙂 ")
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

func BenchmarkServerExchange(b *testing.B) {
	salt, _ := NewSalt(rand.Reader)
	v := Verifier(salt, "Pool", "user", "password")
	client, _ := NewClient(rand.Reader)
	a := client.PublicKey()
	b.ReportAllocs()
	for b.Loop() {
		server, err := NewServer(rand.Reader, v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := server.Key(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareModExp is the physical limit of a server exchange: the two 3072-bit
// modular exponentiations by a 1024-bit exponent (g^b and (A·v^u)^b) and the one by a
// 256-bit exponent (v^u) it cannot avoid.
func BenchmarkBareModExp(b *testing.B) {
	exp1024, _ := randomExponent(rand.Reader)
	exp256 := new(big.Int).SetBytes(exp1024.Bytes()[:32])
	base, _ := randomExponent(rand.Reader)
	out := new(big.Int)
	for b.Loop() {
		out.Exp(g, exp1024, n)
		out.Exp(base, exp256, n)
		out.Exp(base, exp1024, n)
	}
}
