package totp

import (
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	secret := "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ"
	now := time.Unix(1700000000, 0)
	code, err := Code(secret, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := Verify(secret, code, now, -1); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("mismatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := Verify(secret, "000000", now, -1); ok {
				b.Fatal("accepted")
			}
		}
	})
}
