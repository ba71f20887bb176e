package legacyhash

import (
	"strconv"
)

// Limits bound the work one Verify may do, whatever the stored string asks for. A hash
// beyond them fails with ErrLimit before any key derivation. A zero field takes the default
// shown beside it; the defaults sit well above what any of these systems produces by default
// (Medusa v2 scrypt logN=15 r=8, Werkzeug scrypt 2^15/8/1, bcrypt cost 10-12, argon2 npm
// m=64 MiB t=3 p=4, Django and Werkzeug PBKDF2 at most 1,000,000 iterations).
type Limits struct {
	// ScryptMaxLogN bounds N = 2^logN for scrypt-based formats. Default 20.
	ScryptMaxLogN int
	// ScryptMaxMemory bounds the memory one scrypt derivation allocates, 128·N·r bytes.
	// Default 256 MiB.
	ScryptMaxMemory int64
	// ScryptMaxWork bounds 128·N·r·p, the memory scrypt mixes in total over all p lanes;
	// its time is proportional to it. Default 1 GiB.
	ScryptMaxWork int64
	// BcryptMaxCost bounds the bcrypt cost (2^cost rounds). Default 16.
	BcryptMaxCost int
	// Argon2MaxMemoryKiB bounds argon2's m. Default 262144 (256 MiB).
	Argon2MaxMemoryKiB uint32
	// Argon2MaxTime bounds argon2's t (passes). Default 16.
	Argon2MaxTime uint32
	// Argon2MaxParallelism bounds argon2's p (lanes). Default 64.
	Argon2MaxParallelism uint32
	// Argon2MaxWorkKiB bounds m·t, the KiB argon2 fills in total; its time is
	// proportional to it. Default 1048576 (1 GiB filled).
	Argon2MaxWorkKiB uint64
	// PBKDF2MaxIterations bounds the iteration count of PBKDF2-based formats.
	// Default 10,000,000.
	PBKDF2MaxIterations int
}

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.ScryptMaxLogN <= 0 {
		l.ScryptMaxLogN = 20
	}
	def(&l.ScryptMaxMemory, 256<<20)
	def(&l.ScryptMaxWork, 1<<30)
	if l.BcryptMaxCost <= 0 {
		l.BcryptMaxCost = 16
	}
	if l.Argon2MaxMemoryKiB == 0 {
		l.Argon2MaxMemoryKiB = 256 << 10
	}
	if l.Argon2MaxTime == 0 {
		l.Argon2MaxTime = 16
	}
	if l.Argon2MaxParallelism == 0 {
		l.Argon2MaxParallelism = 64
	}
	if l.Argon2MaxWorkKiB == 0 {
		l.Argon2MaxWorkKiB = 1 << 20
	}
	if l.PBKDF2MaxIterations <= 0 {
		l.PBKDF2MaxIterations = 10_000_000
	}
	return l
}

// checkScrypt validates scrypt parameters given as logN (N = 2^logN), r and p, first
// against scrypt itself and then against the limits.
func (l Limits) checkScrypt(logN int, r, p uint64) error {
	if logN < 1 {
		return errorf(ErrMalformed, "scrypt N must be a power of two above 1")
	}
	if r < 1 || p < 1 {
		return errorf(ErrMalformed, "scrypt r and p must be positive")
	}
	if r >= 1<<30 || p >= 1<<30 || r*p >= 1<<30 {
		return errorf(ErrMalformed, "scrypt r·p must be below 2^30")
	}
	// Past 2^48 no machine has the memory, whatever the limits say; the bound also keeps
	// 128·N below 2^63.
	if logN > l.ScryptMaxLogN || logN > 48 {
		return errorf(ErrLimit, "scrypt N=2^%d above 2^%d", logN, min(l.ScryptMaxLogN, 48))
	}
	// Divide rather than multiply, so that no product can overflow.
	mem := uint64(128) << uint(logN) // 128·N
	if r > uint64(l.ScryptMaxMemory)/mem {
		return errorf(ErrLimit, "scrypt memory 128·N·r above %d bytes", l.ScryptMaxMemory)
	}
	mem *= r
	if p > uint64(l.ScryptMaxWork)/mem {
		return errorf(ErrLimit, "scrypt work 128·N·r·p above %d bytes", l.ScryptMaxWork)
	}
	return nil
}

// checkPBKDF2 validates a PBKDF2 iteration count.
func (l Limits) checkPBKDF2(iter int) error {
	if iter < 1 {
		return errorf(ErrMalformed, "pbkdf2 iterations must be positive")
	}
	if iter > l.PBKDF2MaxIterations {
		return errorf(ErrLimit, "pbkdf2 iterations %d above %d", iter, l.PBKDF2MaxIterations)
	}
	return nil
}

// parseDecimal parses a run of ASCII digits as a non-negative int. With canonical it also
// refuses leading zeros, for formats whose verifiers compare the whole re-encoded string.
// Values too large for an int are reported as ErrLimit: they are well-formed numbers that
// ask for too much.
func parseDecimal(s string, canonical bool) (int, error) {
	if s == "" {
		return 0, errorf(ErrMalformed, "empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errorf(ErrMalformed, "%q is not a decimal number", s)
		}
	}
	if canonical && len(s) > 1 && s[0] == '0' {
		return 0, errorf(ErrMalformed, "%q has a leading zero", s)
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, errorf(ErrLimit, "number %q out of range", s)
	}
	return int(n), nil
}
