package totp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// rfcKey is the SHA-1 key of RFC 4226 appendix D and RFC 6238 appendix B, and rfcSecret is it
// in base32.
const (
	rfcKey    = "12345678901234567890"
	rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

// code8 is HOTP with eight digits, the length RFC 6238's vectors are printed in.
func code8(key []byte, counter uint64) string {
	var buf [8]byte
	format(buf[:], hotp(hmac.New(sha1.New, key), counter))
	return string(buf[:])
}

func TestHOTPRFC4226(t *testing.T) {
	// RFC 4226 appendix D: the truncated 31-bit values and the six-digit codes for counts 0 to 9.
	want := []struct {
		truncated uint32
		code      string
	}{
		{1284755224, "755224"},
		{1094287082, "287082"},
		{137359152, "359152"},
		{1726969429, "969429"},
		{1640338314, "338314"},
		{868254676, "254676"},
		{1918287922, "287922"},
		{82162583, "162583"},
		{673399871, "399871"},
		{645520489, "520489"},
	}
	mac := hmac.New(sha1.New, []byte(rfcKey))
	for count, w := range want {
		got := hotp(mac, uint64(count))
		if got != w.truncated {
			t.Errorf("count %d: truncated %d, want %d", count, got, w.truncated)
		}
		var buf [Digits]byte
		format(buf[:], got)
		if string(buf[:]) != w.code {
			t.Errorf("count %d: code %s, want %s", count, buf, w.code)
		}
	}
}

// rfc6238 is RFC 6238 appendix B for SHA-1: Unix seconds and the eight-digit code.
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestTOTPRFC6238EightDigits(t *testing.T) {
	for _, v := range rfc6238 {
		s, ok := stepOf(time.Unix(v.unix, 0))
		if !ok {
			t.Fatalf("%d: no step", v.unix)
		}
		if got := code8([]byte(rfcKey), uint64(s)); got != v.code {
			t.Errorf("%d: %s, want %s", v.unix, got, v.code)
		}
	}
}

func TestTOTPRFC6238SixDigits(t *testing.T) {
	// Six digits are the last six of the eight: both are the same number modulo a power of ten.
	for _, v := range rfc6238 {
		want := v.code[2:]
		got, err := Code(rfcSecret, time.Unix(v.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%d: %s, want %s", v.unix, got, want)
		}
	}
}

func TestNewSecret(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	got, err := NewSecret(bytes.NewReader(seq))
	if err != nil {
		t.Fatal(err)
	}
	if want := "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ"; got != want {
		t.Errorf("NewSecret = %s, want %s", got, want)
	}

	seen := map[string]bool{}
	for range 50 {
		s, err := NewSecret(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 52 {
			t.Fatalf("%q: length %d, want 52", s, len(s))
		}
		for _, c := range s {
			if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
				t.Fatalf("%q: %q is outside upper-case base32", s, c)
			}
		}
		if seen[s] {
			t.Fatalf("%q twice", s)
		}
		seen[s] = true
		if _, err := Code(s, time.Now()); err != nil {
			t.Fatalf("Code(%q): %v", s, err)
		}
	}
}

func TestNewSecretShortRead(t *testing.T) {
	s, err := NewSecret(bytes.NewReader(make([]byte, 31)))
	if !errors.Is(err, io.ErrUnexpectedEOF) || s != "" {
		t.Errorf("NewSecret on 31 bytes = %q, %v; want an unexpected EOF", s, err)
	}
	s, err = NewSecret(strings.NewReader(""))
	if !errors.Is(err, io.EOF) || s != "" {
		t.Errorf("NewSecret on nothing = %q, %v; want EOF", s, err)
	}
}

func TestCodeErrors(t *testing.T) {
	if _, err := Code("not base32!", time.Now()); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("malformed secret: %v", err)
	}
	if _, err := Code(rfcSecret, time.Unix(-1, 0)); !errors.Is(err, ErrBeforeEpoch) {
		t.Errorf("before the epoch: %v", err)
	}
	// Lower case is the same secret.
	a, _ := Code(rfcSecret, time.Unix(59, 0))
	b, err := Code(strings.ToLower(rfcSecret), time.Unix(59, 0))
	if err != nil || a != b {
		t.Errorf("lower case: %s, %v; want %s", b, err, a)
	}
}

// codeAt is secret's code for a step.
func codeAt(t *testing.T, secret string, step int64) string {
	t.Helper()
	c, err := Code(secret, time.Unix(step*30, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifySkewWindow(t *testing.T) {
	secret := "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ"
	const cur = int64(56666666) // 2023-11-14
	// The first and the last second of the step: the window moves with the step, not the second.
	for _, now := range []time.Time{time.Unix(cur*30, 0), time.Unix(cur*30+29, 999999999)} {
		for off := int64(-3); off <= 3; off++ {
			code := codeAt(t, secret, cur+off)
			step, ok := Verify(secret, code, now, -1)
			inWindow := off >= -1 && off <= 1
			// A code from outside the window could equal one inside by chance; these don't.
			if ok != inWindow {
				t.Errorf("now %v, offset %d: ok %v, want %v", now.Unix(), off, ok, inWindow)
			}
			if ok && step != cur+off {
				t.Errorf("now %v, offset %d: step %d, want %d", now.Unix(), off, step, cur+off)
			}
		}
	}
	// One second into the next step, the oldest code has left the window.
	old := codeAt(t, secret, cur-1)
	if _, ok := Verify(secret, old, time.Unix((cur+1)*30, 0), -1); ok {
		t.Error("a code two steps old was accepted")
	}
	// Step 0: no step -1 to try, and nothing panics.
	if step, ok := Verify(secret, codeAt(t, secret, 0), time.Unix(0, 0), -1); !ok || step != 0 {
		t.Errorf("step 0: %d, %v", step, ok)
	}
}

func TestVerifyReplay(t *testing.T) {
	secret := rfcSecret
	now := time.Unix(1700000000, 0)
	cur, _ := stepOf(now)
	code := codeAt(t, secret, cur)

	step, ok := Verify(secret, code, now, -1)
	if !ok || step != cur {
		t.Fatalf("first use: %d, %v", step, ok)
	}
	// The same code again, anywhere in its window, is refused.
	for _, later := range []time.Time{now, now.Add(10 * time.Second), now.Add(Period)} {
		if _, ok := Verify(secret, code, later, step); ok {
			t.Errorf("replay at %v accepted", later.Unix())
		}
	}
	// The previous step's code, still inside the window, is refused after a later one.
	if _, ok := Verify(secret, codeAt(t, secret, cur-1), now, step); ok {
		t.Error("an older code accepted after a newer one")
	}
	// The next step's code is accepted, and then it is the one that can't be reused.
	next := codeAt(t, secret, cur+1)
	step2, ok := Verify(secret, next, now, step)
	if !ok || step2 != cur+1 {
		t.Fatalf("next step: %d, %v", step2, ok)
	}
	if _, ok := Verify(secret, next, now.Add(Period), step2); ok {
		t.Error("next step's code reused")
	}
	// Once the window has moved past lastUsedStep, codes are accepted again as usual.
	far := now.Add(10 * Period)
	farStep, _ := stepOf(far)
	if s, ok := Verify(secret, codeAt(t, secret, farStep), far, step2); !ok || s != farStep {
		t.Errorf("later code: %d, %v", s, ok)
	}
}

func TestVerifyMalformed(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cur, _ := stepOf(now)
	good := codeAt(t, rfcSecret, cur)
	for _, tc := range []struct {
		name, secret, code string
	}{
		{"empty code", rfcSecret, ""},
		{"five digits", rfcSecret, good[:5]},
		{"seven digits", rfcSecret, good + "0"},
		{"eight digits", rfcSecret, "94287082"},
		{"letter", rfcSecret, good[:5] + "a"},
		{"leading space", rfcSecret, " " + good[:5]},
		{"trailing newline", rfcSecret, good[:5] + "\n"},
		{"sign", rfcSecret, "+" + good[1:]},
		{"minus", rfcSecret, "-" + good[1:]},
		{"NUL", rfcSecret, good[:5] + "\x00"},
		{"fullwidth digits", rfcSecret, "１２３４５６"},
		{"arabic-indic digits", rfcSecret, "٠١٢٣٤٥"},
		{"invalid UTF-8", rfcSecret, "\xff\xfe\xfd\xfc\xfb\xfa"},
		{"right code with a space", rfcSecret, good[:3] + " " + good[3:]},
		{"empty secret", "", good},
		{"short secret", "GEZDGNBVGY3TQOJ", good},
		{"padded secret", rfcSecret + "====", good},
		{"secret with a space", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", good},
		{"secret with digits outside base32", "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", good},
		{"secret of impossible length", rfcSecret + "G", good},
		{"non-ASCII secret", "ĞEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if step, ok := Verify(tc.secret, tc.code, now, -1); ok || step != 0 {
				t.Errorf("Verify(%q, %q) = %d, %v; want refused", tc.secret, tc.code, step, ok)
			}
		})
	}
	// Control: the same inputs well formed pass.
	if _, ok := Verify(rfcSecret, good, now, -1); !ok {
		t.Fatal("the good code was refused")
	}
	// Before the epoch there is no step.
	if _, ok := Verify(rfcSecret, good, time.Unix(-31, 0), -1); ok {
		t.Error("accepted before the epoch")
	}
	// A wrong code of the right shape.
	wrong := []byte(good)
	wrong[5] = '0' + (wrong[5]-'0'+1)%10
	if _, ok := Verify(rfcSecret, string(wrong), now, -1); ok {
		t.Error("wrong code accepted")
	}
}

func TestURI(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	for _, tc := range []struct {
		name, issuer, account, want string
	}{
		{"plain", "Example", "alice@example.com",
			"otpauth://totp/Example:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"},
		{"spaces", "Big Corp", "Alice Smith",
			"otpauth://totp/Big%20Corp:Alice%20Smith?secret=JBSWY3DPEHPK3PXP&issuer=Big%20Corp"},
		{"colons", "a:b", "c:d",
			"otpauth://totp/a%3Ab:c%3Ad?secret=JBSWY3DPEHPK3PXP&issuer=a%3Ab"},
		{"unicode", "Café", "zoë 日本",
			"otpauth://totp/Caf%C3%A9:zo%C3%AB%20%E6%97%A5%E6%9C%AC?secret=JBSWY3DPEHPK3PXP&issuer=Caf%C3%A9"},
		{"query characters", "A&B=C?", "x+y#z/%",
			"otpauth://totp/A%26B%3DC%3F:x%2By%23z%2F%25?secret=JBSWY3DPEHPK3PXP&issuer=A%26B%3DC%3F"},
		{"unreserved kept", "a-b.c_d~e", "u-1.2_3~",
			"otpauth://totp/a-b.c_d~e:u-1.2_3~?secret=JBSWY3DPEHPK3PXP&issuer=a-b.c_d~e"},
		{"no issuer", "", "alice",
			"otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URI(tc.issuer, tc.account, secret); got != tc.want {
				t.Errorf("URI(%q, %q)\n got %s\nwant %s", tc.issuer, tc.account, got, tc.want)
			}
		})
	}
}

func TestDecodeSecretLengths(t *testing.T) {
	long := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 2)
	for n := 0; n <= len(long); n++ {
		_, err := decodeSecret(long[:n])
		bad := n < 16 || n%8 == 1 || n%8 == 3 || n%8 == 6
		if (err != nil) != bad {
			t.Errorf("length %d: err %v, want error %v", n, err, bad)
		}
	}
}
