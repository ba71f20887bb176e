package totp

import (
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary secrets, codes, times and last steps. It must never panic,
// and whatever it accepts must be a step inside the window and after lastUsedStep whose code
// is the one given.
func FuzzVerify(f *testing.F) {
	f.Add(rfcSecret, "921300", int64(1700000000), int64(-1))
	f.Add(rfcSecret, "921300", int64(1700000000), int64(56666666))
	f.Add("AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTCQKRMFYYDENBWHA5DYPQ", "414783", int64(0), int64(-1))
	f.Add("", "", int64(0), int64(0))
	f.Add("JBSWY3DPEHPK3PXP", "１２３４５６", int64(-1), int64(-9223372036854775808))
	f.Add("jbswy3dpehpk3pxp====", "000000", int64(9223372036854775807), int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, secret, code string, unix, last int64) {
		now := time.Unix(unix, 0)
		step, ok := Verify(secret, code, now, last)
		if !ok {
			if step != 0 {
				t.Fatalf("refused with step %d", step)
			}
			return
		}
		cur, valid := stepOf(now)
		if !valid || step < cur-1 || step > cur+1 || step <= last || step < 0 {
			t.Fatalf("accepted step %d with now step %d, last %d", step, cur, last)
		}
		want, err := Code(secret, time.Unix(step*30, 0))
		if err != nil || want != code {
			t.Fatalf("accepted %q for step %d whose code is %q (%v)", code, step, want, err)
		}
	})
}
