package seal

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func newSealer(t testing.TB) *Sealer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := newSealer(t)
	for _, plain := range [][]byte{nil, {}, []byte("x"), []byte(`{"pool":"eu-west-1_abc","after":"user-42"}`), bytes.Repeat([]byte{0xff}, 5000)} {
		sealed := s.Seal("pagination", plain)
		if strings.ContainsAny(sealed, "+/=") {
			t.Fatalf("sealed value is not URL-safe unpadded base64: %q", sealed)
		}
		got, err := s.Open("pagination", sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) || got == nil {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	s := newSealer(t)
	seen := make(map[string]bool)
	for range 100 {
		v := s.Seal("p", []byte("same"))
		if seen[v] {
			t.Fatal("two seals of the same value are equal")
		}
		seen[v] = true
	}
}

func TestOpenRejects(t *testing.T) {
	s := newSealer(t)
	sealed := s.Seal("session", []byte("secret state"))
	other, err := New(bytes.Repeat([]byte{8}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sealed)

	cases := map[string]func() ([]byte, error){
		"other purpose":  func() ([]byte, error) { return s.Open("pagination", sealed) },
		"purpose prefix": func() ([]byte, error) { return s.Open("sessio", sealed) },
		"other key":      func() ([]byte, error) { return other.Open("session", sealed) },
		"empty":          func() ([]byte, error) { return s.Open("session", "") },
		"truncated":      func() ([]byte, error) { return s.Open("session", sealed[:len(sealed)-1]) },
		"short":          func() ([]byte, error) { return s.Open("session", sealed[:20]) },
		"padded":         func() ([]byte, error) { return s.Open("session", base64.URLEncoding.EncodeToString(raw)) },
		"std alphabet":   func() ([]byte, error) { return s.Open("session", base64.RawStdEncoding.EncodeToString(raw)+"+/") },
		"line break":     func() ([]byte, error) { return s.Open("session", sealed[:10]+"\n"+sealed[10:]) },
		"extra byte":     func() ([]byte, error) { return s.Open("session", base64.RawURLEncoding.EncodeToString(append(raw, 0))) },
		"not base64":     func() ([]byte, error) { return s.Open("session", "!!!!") },
		"non-zero tail":  func() ([]byte, error) { return s.Open("session", flipTrailingBits(sealed)) },
	}
	for name, open := range cases {
		if got, err := open(); err != ErrInvalid || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrInvalid", name, got, err)
		}
	}

	// Flipping any single bit of the decoded value must be detected.
	for i := range raw {
		for bit := range 8 {
			mod := bytes.Clone(raw)
			mod[i] ^= 1 << bit
			if _, err := s.Open("session", base64.RawURLEncoding.EncodeToString(mod)); err != ErrInvalid {
				t.Fatalf("bit %d of byte %d flipped: %v", bit, i, err)
			}
		}
	}
}

// flipTrailingBits changes the unused low bits of the last base64 character, which a lenient
// decoder would ignore.
func flipTrailingBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last^1])
}

func TestNewKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := GenerateKey(), GenerateKey()
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Fatalf("GenerateKey gave %x and %x", a, b)
	}
}

func TestParseKey(t *testing.T) {
	key := GenerateKey()
	// Make sure the URL and standard alphabets differ for this key.
	key[0], key[1], key[2] = 0xfb, 0xff, 0xbf
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		text := "  " + enc.EncodeToString(key) + "\n"
		got, err := ParseKey(text)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v", text, got, err)
		}
	}
	secret := base64.StdEncoding.EncodeToString(key)
	for _, bad := range []string{
		"", "not base64 at all", base64.StdEncoding.EncodeToString(key[:16]),
		base64.StdEncoding.EncodeToString(append(key, 1)), secret[:20] + "\n" + secret[20:],
	} {
		_, err := ParseKey(bad)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		} else if strings.Contains(err.Error(), secret[:8]) {
			t.Errorf("error reveals key material: %v", err)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	key, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != KeySize {
		t.Fatalf("key has %d bytes", len(key))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %04o", info.Mode().Perm())
	}
	again, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("reload = %x, %v; want %x", again, err, key)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestLoadExistingKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := GenerateKey()
	path := filepath.Join(dir, "given.key")
	if err := os.WriteFile(path, []byte(base64.RawURLEncoding.EncodeToString(key)), 0o400); err != nil {
		t.Fatal(err)
	}
	got, err := LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("got %x, %v", got, err)
	}
}

func TestKeyFileRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits")
	}
	dir := t.TempDir()
	good := base64.StdEncoding.EncodeToString(GenerateKey()) + "\n"
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]string{
		"world readable": write("a", good, 0o644),
		"group readable": write("b", good, 0o640),
		"group writable": write("c", good, 0o620),
		"bad content":    write("d", "hello\n", 0o600),
		"short key":      write("e", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0o600),
		"huge":           write("f", strings.Repeat("A", 10000), 0o600),
		"empty":          write("g", "", 0o600),
		"directory":      dir,
	}
	for name, path := range cases {
		before, _ := os.ReadFile(path)
		_, err := LoadOrCreateKeyFile(path)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), strings.TrimSpace(good)) {
			t.Errorf("%s: error reveals the key: %v", name, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s: file was changed", name)
		}
	}
	_, err := LoadOrCreateKeyFile(filepath.Join(dir, "a"))
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("error for a readable file should say how to fix it: %v", err)
	}
	if _, err := LoadOrCreateKeyFile(filepath.Join(dir, "missing-dir", "k")); err == nil {
		t.Error("created a key in a missing directory")
	}
}

func TestConcurrentCreateAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateKeyFile(path)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("creator %d: %x, %v; creator 0: %x", i, keys[i], errs[i], keys[0])
		}
	}
}

func FuzzOpen(f *testing.F) {
	s := newSealer(f)
	f.Add("p", s.Seal("p", []byte("hello")))
	f.Add("", s.Seal("", nil))
	f.Add("p", "")
	f.Add("p", "AAAA")
	f.Add("q", s.Seal("p", []byte("hello")))
	f.Fuzz(func(t *testing.T, purpose, sealed string) {
		got, err := s.Open(purpose, sealed)
		if err != nil {
			if err != ErrInvalid || got != nil {
				t.Fatalf("Open = %q, %v", got, err)
			}
			return
		}
		// Anything that opens must be exactly what some Seal call produced, so sealing the
		// result again and opening it must agree.
		back, err := s.Open(purpose, s.Seal(purpose, got))
		if err != nil || !bytes.Equal(back, got) {
			t.Fatalf("re-seal of %q: %q, %v", got, back, err)
		}
		if encoding.EncodeToString(mustDecode(t, sealed)) != sealed {
			t.Fatalf("opened a non-canonical encoding %q", sealed)
		}
	})
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := encoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenedBytesAreCopies(t *testing.T) {
	s := newSealer(t)
	sealed := s.Seal("p", []byte("abc"))
	a, _ := s.Open("p", sealed)
	a[0] = 'X'
	b, _ := s.Open("p", sealed)
	if string(b) != "abc" {
		t.Fatal("Open results share memory")
	}
}
