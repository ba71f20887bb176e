package legacyhash

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestArgon2CoreMatchesXCrypto checks this package's Argon2 against x/crypto's for version
// 0x13, the only one x/crypto does. Version 0x10 differs from it in two lines, and is
// checked against the argon2 npm package by the v=16 vectors.
func TestArgon2CoreMatchesXCrypto(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	params := []struct{ t, m, p, tagLen uint32 }{
		{1, 8, 1, 32},
		{1, 64, 1, 4},
		{2, 256, 1, 32},
		{3, 1024, 2, 64},
		{1, 1000, 3, 65}, // m not a multiple of 4p; tag one byte over BLAKE2b's size
		{4, 512, 4, 100},
		{2, 96, 12, 1024},
		{1, 4096, 1, 32}, // more than 128 blocks per segment: several address blocks
	}
	for _, c := range params {
		for _, mode := range []argon2Mode{argon2i, argon2id} {
			name := fmt.Sprintf("mode=%d t=%d m=%d p=%d T=%d", mode, c.t, c.m, c.p, c.tagLen)
			t.Run(name, func(t *testing.T) {
				pw := make([]byte, rng.IntN(100))
				salt := make([]byte, 8+rng.IntN(40))
				for i := range pw {
					pw[i] = byte(rng.Uint32())
				}
				for i := range salt {
					salt[i] = byte(rng.Uint32())
				}
				var want []byte
				if mode == argon2id {
					want = argon2.IDKey(pw, salt, c.t, c.m, uint8(c.p), c.tagLen)
				} else {
					want = argon2.Key(pw, salt, c.t, c.m, uint8(c.p), c.tagLen)
				}
				got := argon2Derive(mode, argon2Version13, pw, salt, c.t, c.m, c.p, c.tagLen)
				if !bytes.Equal(got, want) {
					t.Fatalf("got %x\nwant %x", got, want)
				}
				// Version 0x10 must differ (H0 hashes the version).
				if bytes.Equal(argon2Derive(mode, argon2Version10, pw, salt, c.t, c.m, c.p, c.tagLen), want) {
					t.Fatal("version 0x10 gave the version 0x13 tag")
				}
			})
		}
	}
}

// TestArgon2LongTag checks the chained BLAKE2b construction H' at the longest tag the
// parser accepts.
func TestArgon2LongTag(t *testing.T) {
	pw, salt := []byte("password"), []byte("somesalt")
	want := argon2.IDKey(pw, salt, 1, 64, 1, argon2MaxTag)
	if got := argon2Derive(argon2id, argon2Version13, pw, salt, 1, 64, 1, argon2MaxTag); !bytes.Equal(got, want) {
		t.Fatalf("1024-byte tag differs")
	}
}
