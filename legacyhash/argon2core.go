package legacyhash

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// This file is a straightforward Argon2 (RFC 9106) that also does version 0x10, which
// golang.org/x/crypto/argon2 does not: it hard-codes 0x13. Version 0x10 differs in two
// places only: the version number hashed into H0, and that passes after the first overwrite
// each block instead of XORing the new value into it. Verify uses x/crypto for version 0x13
// (it is faster); tests check this code against x/crypto for 0x13 and against the argon2 npm
// package for 0x10.

type argon2Mode uint32

const (
	argon2d  argon2Mode = 0
	argon2i  argon2Mode = 1
	argon2id argon2Mode = 2

	argon2Version10 = 0x10
	argon2Version13 = 0x13

	argon2SyncPoints = 4
	argon2BlockWords = 128 // 1 KiB blocks of 64-bit words
)

type argon2Block [argon2BlockWords]uint64

// argon2Derive computes an Argon2 tag. Callers have checked t ≥ 1, p ≥ 1, m ≥ 8·p and the limits.
func argon2Derive(mode argon2Mode, version uint32, password, salt []byte, t, m, p, tagLen uint32) []byte {
	// H0 = BLAKE2b-512(p, T, m, t, v, y, |P|, P, |S|, S, |K|, K, |X|, X), all lengths LE32.
	h, _ := blake2b.New512(nil)
	le32 := func(v uint32) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		h.Write(b[:])
	}
	le32(p)
	le32(tagLen)
	le32(m)
	le32(t)
	le32(version)
	le32(uint32(mode))
	le32(uint32(len(password)))
	h.Write(password)
	le32(uint32(len(salt)))
	h.Write(salt)
	le32(0) // no secret
	le32(0) // no associated data
	var h0 [blake2b.Size + 8]byte
	h.Sum(h0[:0])

	segLen := m / (argon2SyncPoints * p)
	laneLen := segLen * argon2SyncPoints
	mem := make([]argon2Block, laneLen*p)

	// The first two blocks of each lane: H'^1024(H0 || LE32(i) || LE32(lane)).
	var buf [1024]byte
	for lane := uint32(0); lane < p; lane++ {
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)
		for i := uint32(0); i < 2; i++ {
			binary.LittleEndian.PutUint32(h0[blake2b.Size:], i)
			argon2HPrime(buf[:], h0[:])
			b := &mem[lane*laneLen+i]
			for w := range b {
				b[w] = binary.LittleEndian.Uint64(buf[w*8:])
			}
		}
	}

	for pass := uint32(0); pass < t; pass++ {
		for slice := uint32(0); slice < argon2SyncPoints; slice++ {
			// The lanes of one slice read only blocks finished before it, so they run
			// concurrently; the slices are synchronisation points.
			if p == 1 {
				argon2FillSegment(mem, mode, version, pass, slice, 0, t, laneLen, segLen, p)
				continue
			}
			var wg sync.WaitGroup
			for lane := uint32(0); lane < p; lane++ {
				wg.Go(func() { argon2FillSegment(mem, mode, version, pass, slice, lane, t, laneLen, segLen, p) })
			}
			wg.Wait()
		}
	}

	// C = XOR of each lane's last block; tag = H'^T(C).
	final := mem[laneLen-1]
	for lane := uint32(1); lane < p; lane++ {
		last := &mem[lane*laneLen+laneLen-1]
		for w := range final {
			final[w] ^= last[w]
		}
	}
	for w, v := range final {
		binary.LittleEndian.PutUint64(buf[w*8:], v)
	}
	tag := make([]byte, tagLen)
	argon2HPrime(tag, buf[:])
	return tag
}

func argon2FillSegment(mem []argon2Block, mode argon2Mode, version, pass, slice, lane, passes, laneLen, segLen, lanes uint32) {
	dataIndependent := mode == argon2i || (mode == argon2id && pass == 0 && slice < argon2SyncPoints/2)
	var address, input, zero argon2Block
	if dataIndependent {
		input[0] = uint64(pass)
		input[1] = uint64(lane)
		input[2] = uint64(slice)
		input[3] = uint64(len(mem))
		input[4] = uint64(passes)
		input[5] = uint64(mode)
	}
	nextAddresses := func() {
		input[6]++
		argon2Compress(&address, &zero, &input, false)
		argon2Compress(&address, &zero, &address, false)
	}

	start := uint32(0)
	if pass == 0 && slice == 0 {
		start = 2 // the first two blocks of each lane are already set
		if dataIndependent {
			nextAddresses()
		}
	}
	for index := start; index < segLen; index++ {
		cur := slice*segLen + index // position within the lane
		prev := cur - 1
		if cur == 0 {
			prev = laneLen - 1
		}
		curBlock := &mem[lane*laneLen+cur]
		prevBlock := &mem[lane*laneLen+prev]

		var rnd uint64
		if dataIndependent {
			if index%argon2BlockWords == 0 {
				nextAddresses()
			}
			rnd = address[index%argon2BlockWords]
		} else {
			rnd = prevBlock[0]
		}
		j1, j2 := uint32(rnd), uint32(rnd>>32)

		refLane := j2 % lanes
		if pass == 0 && slice == 0 {
			refLane = lane
		}
		// The reference area: every block finished so far that may be referenced, less the
		// previous block when it is in the same lane.
		var area uint32
		sameLane := refLane == lane
		if pass == 0 {
			if sameLane {
				area = slice*segLen + index - 1
			} else {
				area = slice * segLen
				if index == 0 {
					area--
				}
			}
		} else {
			if sameLane {
				area = laneLen - segLen + index - 1
			} else {
				area = laneLen - segLen
				if index == 0 {
					area--
				}
			}
		}
		x := (uint64(j1) * uint64(j1)) >> 32
		y := (uint64(area) * x) >> 32
		rel := uint64(area) - 1 - y
		startPos := uint64(0)
		if pass != 0 && slice != argon2SyncPoints-1 {
			startPos = uint64((slice + 1) * segLen)
		}
		refIndex := uint32((startPos + rel) % uint64(laneLen))
		refBlock := &mem[refLane*laneLen+refIndex]

		// Version 0x13 XORs the new value into the old block after the first pass;
		// version 0x10 overwrites it.
		argon2Compress(curBlock, prevBlock, refBlock, version == argon2Version13 && pass != 0)
	}
}

// argon2Compress sets out = G(x, y), or out ^= G(x, y) when xor is set, where
// G(x, y) = P(x ⊕ y) ⊕ x ⊕ y with P applied to rows and then columns.
func argon2Compress(out, x, y *argon2Block, xor bool) {
	var r, q argon2Block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	q = r
	for i := 0; i < 8; i++ { // rows: 16 consecutive words
		o := i * 16
		argon2Round(&q[o], &q[o+1], &q[o+2], &q[o+3], &q[o+4], &q[o+5], &q[o+6], &q[o+7],
			&q[o+8], &q[o+9], &q[o+10], &q[o+11], &q[o+12], &q[o+13], &q[o+14], &q[o+15])
	}
	for i := 0; i < 8; i++ { // columns: word pairs 2i, 2i+1 of every row
		o := i * 2
		argon2Round(&q[o], &q[o+1], &q[o+16], &q[o+17], &q[o+32], &q[o+33], &q[o+48], &q[o+49],
			&q[o+64], &q[o+65], &q[o+80], &q[o+81], &q[o+96], &q[o+97], &q[o+112], &q[o+113])
	}
	for i := range out {
		if xor {
			out[i] ^= q[i] ^ r[i]
		} else {
			out[i] = q[i] ^ r[i]
		}
	}
}

// argon2Round is BLAKE2b's round with the multiplications Argon2 adds (BlaMka), on 16
// words loaded into locals so that the arithmetic stays in registers.
func argon2Round(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15 *uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := *t0, *t1, *t2, *t3, *t4, *t5, *t6, *t7
	v8, v9, v10, v11, v12, v13, v14, v15 := *t8, *t9, *t10, *t11, *t12, *t13, *t14, *t15
	v0, v4, v8, v12 = argon2GB(v0, v4, v8, v12)
	v1, v5, v9, v13 = argon2GB(v1, v5, v9, v13)
	v2, v6, v10, v14 = argon2GB(v2, v6, v10, v14)
	v3, v7, v11, v15 = argon2GB(v3, v7, v11, v15)
	v0, v5, v10, v15 = argon2GB(v0, v5, v10, v15)
	v1, v6, v11, v12 = argon2GB(v1, v6, v11, v12)
	v2, v7, v8, v13 = argon2GB(v2, v7, v8, v13)
	v3, v4, v9, v14 = argon2GB(v3, v4, v9, v14)
	*t0, *t1, *t2, *t3, *t4, *t5, *t6, *t7 = v0, v1, v2, v3, v4, v5, v6, v7
	*t8, *t9, *t10, *t11, *t12, *t13, *t14, *t15 = v8, v9, v10, v11, v12, v13, v14, v15
}

// argon2GB is BLAKE2b's G with each addition x+y replaced by x + y + 2·lo32(x)·lo32(y).
func argon2GB(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}

// argon2HPrime is Argon2's variable-length hash H'^T(in), T = len(out).
func argon2HPrime(out, in []byte) {
	var lenPrefix [4]byte
	binary.LittleEndian.PutUint32(lenPrefix[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil)
		h.Write(lenPrefix[:])
		h.Write(in)
		h.Sum(out[:0])
		return
	}
	// V1 = H^64(T || in); Vi = H^64(Vi-1); emit the first 32 bytes of each V while more
	// than 64 bytes remain, then the last V at the remaining length.
	h, _ := blake2b.New512(nil)
	h.Write(lenPrefix[:])
	h.Write(in)
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	n := copy(out, v[:32])
	for len(out)-n > blake2b.Size {
		h.Reset()
		h.Write(v[:])
		h.Sum(v[:0])
		n += copy(out[n:], v[:32])
	}
	last, _ := blake2b.New(len(out)-n, nil)
	last.Write(v[:])
	last.Sum(out[n:n])
}
