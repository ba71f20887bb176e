package srp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// The edge cases of the encoding, each found by testdata/gen-edge-inputs.go and computed on
// the client side by the official JavaScript client (tests/node/srp-edge-vectors.mjs): a
// leading 0x00 byte in A, B, S or u, S with the high bit set, a salt with the high bit set or
// a leading zero byte, a Unicode and an empty password. The server side must derive the
// client's key from its A, and the Go client must compute the same A and key.
func TestEdgeVectorsFromTheOfficialClient(t *testing.T) {
	var in struct {
		Inputs []struct {
			Case, Username, Password, Salt, Timestamp string
			PoolID                                    string `json:"pool_id"`
			SmallA                                    string `json:"a"`
			SmallB                                    string `json:"b"`
			LargeB                                    string `json:"B"`
			SecretBlock                               string `json:"secret_block"`
		}
	}
	var out struct {
		Vectors []struct{ Case, A, Key, Signature string }
	}
	for path, v := range map[string]any{"testdata/edge-inputs.json": &in, "testdata/edge-vectors.json": &out} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if len(in.Inputs) < 9 || len(in.Inputs) != len(out.Vectors) {
		t.Fatalf("%d inputs, %d vectors", len(in.Inputs), len(out.Vectors))
	}
	for i, c := range in.Inputs {
		want := out.Vectors[i]
		t.Run(c.Case, func(t *testing.T) {
			if want.Case != c.Case {
				t.Fatalf("vector %d is %q, input %q", i, want.Case, c.Case)
			}
			pool := PoolName(c.PoolID)
			salt := hexInt(t, c.Salt)
			server, err := ResumeServer(Verifier(salt, pool, c.Username, c.Password), hexInt(t, c.SmallB))
			if err != nil {
				t.Fatal(err)
			}
			if got := Hex(server.PublicKey()); got != c.LargeB {
				t.Fatalf("B = %s, want %s", got, c.LargeB)
			}
			pubA := hexInt(t, want.A)
			key, err := server.Key(pubA)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(key); got != want.Key {
				t.Fatalf("server key %s, the official client's %s", got, want.Key)
			}
			block, err := base64.StdEncoding.DecodeString(c.SecretBlock)
			if err != nil {
				t.Fatal(err)
			}
			if !CheckSignature(key, pool, c.Username, block, c.Timestamp, want.Signature) {
				t.Fatal("the official client's signature is refused")
			}
			client, err := ClientWithSecret(hexInt(t, c.SmallA))
			if err != nil {
				t.Fatal(err)
			}
			if client.PublicKey().Cmp(pubA) != 0 {
				t.Fatalf("the Go client's A differs from the official client's")
			}
			ckey, err := client.Key(server.PublicKey(), salt, pool, c.Username, c.Password)
			if err != nil || hex.EncodeToString(ckey) != want.Key {
				t.Fatalf("Go client key %x (%v), the official client's %s", ckey, err, want.Key)
			}
		})
	}
}
