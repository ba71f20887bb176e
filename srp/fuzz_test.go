package srp

import (
	"math/big"
	"testing"
)

// FuzzParse feeds the two parsers of client input: a number in hex (SRP_A) and a TIMESTAMP.
// Neither may panic; an accepted number is non-negative, within MaxHexLen digits and prints
// back to the same value; an accepted TIMESTAMP prints back to exactly its input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "abc", "ABC", "ffff", "-1", "0x1", "", "Tue Mar 5 09:04:07 UTC 2024",
		"Tue Mar 05 09:04:07 UTC 2024", "Mon Jan 1 00:00:00 UTC 0001", "Sun Nov 22 23:59:59 UTC 2026"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if i, err := ParseHex(s); err == nil {
			if i.Sign() < 0 || len(s) > MaxHexLen {
				t.Fatalf("ParseHex(%q) = %v", s, i)
			}
			back, ok := new(big.Int).SetString(Hex(i), 16)
			if !ok || back.Cmp(i) != 0 {
				t.Fatalf("ParseHex(%q) does not print back", s)
			}
		}
		if ts, err := ParseTimestamp(s); err == nil && FormatTimestamp(ts) != s {
			t.Fatalf("ParseTimestamp(%q) accepted a value that prints as %q", s, FormatTimestamp(ts))
		}
	})
}
