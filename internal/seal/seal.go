package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// ErrInvalid is returned by Open for anything it cannot vouch for: malformed, truncated,
// tampered with, sealed with another key or for another purpose. Callers get no finer
// detail, which would only help an attacker probing the format.
var ErrInvalid = errors.New("seal: invalid sealed value")

// encoding is URL-safe so sealed values can travel in query strings and cookies unescaped.
// Strict rejects encodings with non-zero trailing bits, so each value has one spelling.
var encoding = base64.RawURLEncoding.Strict()

// Sealer seals and opens values with one key. It is safe for concurrent use.
type Sealer struct {
	aead   cipher.AEAD
	macKey []byte
}

// New returns a Sealer for a KeySize-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// A fresh random 96-bit nonce per value is safe for far more values than this key will
	// ever seal, and needs no counter shared between processes.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	// Tags get a key of their own, derived from the sealing key, so that no value is ever
	// both encrypted and MACed under one key.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hashless seal: tag key"))
	return &Sealer{aead: aead, macKey: mac.Sum(nil)}, nil
}

// Tag is a deterministic MAC of msg for purpose (32 bytes): for values that must be
// unpredictable without the key yet the same every time, such as the stand-in salt of a
// user who does not exist.
func (s *Sealer) Tag(purpose string, msg []byte) []byte {
	mac := hmac.New(sha256.New, s.macKey)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write(msg)
	return mac.Sum(nil)
}

// Seal encrypts and authenticates plaintext for purpose. The result is URL-safe base64
// without padding.
func (s *Sealer) Seal(purpose string, plaintext []byte) string {
	return encoding.EncodeToString(s.aead.Seal(nil, nil, plaintext, []byte(purpose)))
}

// Open reverses Seal for the same purpose. Every failure is ErrInvalid.
func (s *Sealer) Open(purpose, sealed string) ([]byte, error) {
	// The decoder skips line breaks, which would let several strings open to the same value.
	if strings.ContainsAny(sealed, "\r\n") {
		return nil, ErrInvalid
	}
	raw, err := encoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.Overhead() {
		return nil, ErrInvalid
	}
	plain, err := s.aead.Open(nil, nil, raw, []byte(purpose))
	if err != nil {
		return nil, ErrInvalid
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}

// GenerateKey returns a new random key.
func GenerateKey() []byte {
	key := make([]byte, KeySize)
	rand.Read(key) // never fails: the runtime aborts if the system cannot supply randomness
	return key
}

// ParseKey decodes a key written in standard or URL-safe base64, with or without padding.
// Surrounding whitespace is ignored. The key itself never appears in an error.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("seal: key must be a single line of base64")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.Strict().DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("seal: key must decode to %d bytes, got %d", KeySize, len(key))
		}
		return key, nil
	}
	return nil, errors.New("seal: key is not valid base64")
}

// maxKeyFile bounds what is read from a key file; a real one is 45 bytes.
const maxKeyFile = 4096

// LoadOrCreateKeyFile returns the key stored in path as base64 text. If the file does not
// exist it is created, with mode 0600, holding a new key. A file that group or others may
// access is refused rather than used, since anyone who reads the key can forge what it seals.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(path); err != nil {
		return nil, err
	}
	// Read back rather than trust what was written: a concurrent creator may have won.
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: key file %s is not a regular file", path)
	}
	// Windows has no such permission bits; its ACLs are the operator's business.
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("seal: key file %s has mode %04o, which lets group or others access it; "+
			"make it private to its owner (chmod 600 %s)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("seal: key file: %w", err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("seal: key file %s is too large to hold a key", path)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file and moves it into place, so that path
// never holds a partial key. The move is a hard link, which fails if path appeared in the
// meantime: two processes starting together then agree on one key instead of the second
// silently replacing the key the first is already using. Rename is the fallback for file
// systems without hard links.
func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("seal: creating key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)

	content := base64.StdEncoding.EncodeToString(GenerateKey()) + "\n"
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("seal: creating key file: %w", err)
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return fmt.Errorf("seal: creating key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("seal: creating key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("seal: creating key file: %w", err)
	}

	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		if _, statErr := os.Lstat(path); statErr == nil {
			return nil
		}
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("seal: creating key file: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

// syncDir makes the new directory entry durable where the platform allows it; failure only
// weakens durability across a crash, so it is not reported.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
