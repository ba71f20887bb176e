//go:build ignore

// gen-edge-inputs searches for SRP exchanges whose values hit the encoding's edge cases
// (a leading 0x00 byte in A, B, S or u, a salt with the high bit set or a leading zero
// byte) and writes their inputs to edge-inputs.json. tests/node/srp-edge-vectors.mjs then
// has the official JavaScript client compute its side of each, into edge-vectors.json,
// which the package's tests check the server side against.
//
//	go run ./srp/testdata/gen-edge-inputs.go > srp/testdata/edge-inputs.json
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"

	"github.com/hashless/hashless/srp"
)

type input struct {
	Case        string `json:"case"`
	PoolID      string `json:"pool_id"`
	Username    string `json:"username"`
	Password    string `json:"password"`
	Salt        string `json:"salt"`
	SmallA      string `json:"a"`
	SmallB      string `json:"b"`
	LargeB      string `json:"B"`
	SecretBlock string `json:"secret_block"`
	Timestamp   string `json:"timestamp"`
}

const top = 3072 - 8 // a value below 2^3064 has a leading zero byte in 384 bytes

func random(n int) *big.Int {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(b)
}

func main() {
	n, g := srp.N(), srp.G()
	block := base64.StdEncoding.EncodeToString([]byte("edge-case secret block"))
	var out []input
	add := func(name, user, password string, salt, a, b *big.Int) {
		v := srp.Verifier(salt, "EdgePool", user, password)
		server, err := srp.ResumeServer(v, b)
		if err != nil {
			panic(err)
		}
		out = append(out, input{Case: name, PoolID: "eu-west-1_EdgePool", Username: user, Password: password,
			Salt: srp.Hex(salt), SmallA: a.Text(16), SmallB: b.Text(16), LargeB: srp.Hex(server.PublicKey()),
			SecretBlock: block, Timestamp: "Sun Nov 1 00:00:00 UTC 2026"})
	}
	stdSalt := random(16)
	stdSalt.SetBit(stdSalt, 127, 0) // no high bit, so only the case at hand is at an edge
	find := func(name string, ok func(a, b, salt *big.Int) bool, salt func() *big.Int) {
		for tries := 0; ; tries++ {
			a, b, s := random(32), random(32), salt()
			if ok(a, b, s) {
				add(name, fmt.Sprintf("user-%s", name), "Edge-Passw0rd!", s, a, b)
				fmt.Fprintf(os.Stderr, "%s: found after %d tries\n", name, tries+1)
				return
			}
		}
	}
	fixed := func() *big.Int { return stdSalt }
	find("A-leading-zero-byte", func(a, _, _ *big.Int) bool {
		return new(big.Int).Exp(g, a, n).BitLen() <= top
	}, fixed)
	find("B-leading-zero-byte", func(_, b, s *big.Int) bool {
		v := srp.Verifier(s, "EdgePool", "user-B-leading-zero-byte", "Edge-Passw0rd!")
		srv, err := srp.ResumeServer(v, b)
		return err == nil && srv.PublicKey().BitLen() <= top
	}, fixed)
	sValue := func(name string, a, b, s *big.Int) (*big.Int, *big.Int) {
		v := srp.Verifier(s, "EdgePool", "user-"+name, "Edge-Passw0rd!")
		srv, _ := srp.ResumeServer(v, b)
		pubA := new(big.Int).Exp(g, a, n)
		u := srp.U(pubA, srv.PublicKey())
		base := new(big.Int).Exp(v, u, n)
		base.Mul(base, pubA).Mod(base, n)
		return base.Exp(base, b, n), u
	}
	find("S-leading-zero-byte", func(a, b, s *big.Int) bool {
		sv, _ := sValue("S-leading-zero-byte", a, b, s)
		return sv.BitLen() <= top
	}, fixed)
	find("S-high-bit", func(a, b, s *big.Int) bool {
		sv, _ := sValue("S-high-bit", a, b, s)
		return sv.BitLen() == 3072
	}, fixed)
	find("u-leading-zero-byte", func(a, b, s *big.Int) bool {
		_, u := sValue("u-leading-zero-byte", a, b, s)
		return u.BitLen() <= 248
	}, fixed)
	find("salt-high-bit", func(_, _, s *big.Int) bool { return s.BitLen() == 128 }, func() *big.Int { return random(16) })
	find("salt-leading-zero-byte", func(_, _, s *big.Int) bool { return s.BitLen() <= 120 }, func() *big.Int { return random(16) })
	add("unicode-password", "ユーザー", "pässwörd 🙂 with spaces", stdSalt, random(128), random(128))
	add("empty-password", "user-empty", "", stdSalt, random(128), random(128))
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"inputs": out}); err != nil {
		panic(err)
	}
}
