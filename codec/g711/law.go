package g711

import "math/bits"

// μ-law and A-law companding (ITU-T G.711), on 16-bit linear samples.
// μ-law works on the top 14 bits of the sample, A-law on the top 13; each
// maps a sign and a logarithmic magnitude (3-bit segment, 4-bit step) to
// one byte, with the bits inverted (μ-law) or the even bits inverted
// (A-law) for transmission.

// EncodeULaw compands a 16-bit linear sample to μ-law (PCMU).
func EncodeULaw(s int16) byte {
	x := int32(s) >> 2 // 14-bit sample
	mag := x
	if x < 0 {
		mag = ^x // -x-1: the negative range is one larger
	}
	// With the bias of 33 the segment is the position of the highest bit:
	// magnitudes 33..64 are segment 0, 65..128 segment 1, and so on.
	mag = min(mag+33, 0x1fff)
	seg := byte(bits.Len32(uint32(mag >> 6)))
	step := byte(mag>>(seg+1)) & 0x0f
	code := seg<<4 | step
	if x < 0 {
		code |= 0x80
	}
	return ^code // after inversion, 1 is positive
}

// DecodeULaw expands a μ-law byte to a 16-bit linear sample: the middle of
// the interval it stands for.
func DecodeULaw(b byte) int16 { return ulawTable[b] }

// EncodeALaw compands a 16-bit linear sample to A-law (PCMA).
func EncodeALaw(s int16) byte {
	mag := int32(s)
	sign := byte(0x80) // 1 is positive in A-law
	if mag < 0 {
		mag = ^mag
		sign = 0
	}
	mag >>= 3 // 12-bit magnitude of the 13-bit sample
	// Segment 0 covers 0..31 in steps of 2, segment s>0 covers
	// 16<<s .. (32<<s)-1 in steps of 1<<s.
	seg := byte(bits.Len32(uint32(mag >> 5)))
	var step byte
	if seg == 0 {
		step = byte(mag >> 1)
	} else {
		step = byte(mag>>seg) & 0x0f
	}
	return (sign | seg<<4 | step) ^ 0x55
}

// DecodeALaw expands an A-law byte to a 16-bit linear sample: the middle
// of the interval it stands for.
func DecodeALaw(b byte) int16 { return alawTable[b] }

var ulawTable, alawTable = func() (u, a [256]int16) {
	for i := range 256 {
		u[i] = decodeULaw(byte(i))
		a[i] = decodeALaw(byte(i))
	}
	return u, a
}()

func decodeULaw(b byte) int16 {
	c := ^b
	seg := int32(c>>4) & 7
	step := int32(c & 0x0f)
	// Segment seg spans 16 steps of 8<<seg (16-bit scale), starting at
	// (128<<seg) - 132, where 132 is the bias; take the middle of a step.
	v := (step<<3+0x84)<<seg - 0x84
	if c&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

func decodeALaw(b byte) int16 {
	c := b ^ 0x55
	seg := int32(c>>4) & 7
	step := int32(c & 0x0f)
	var v int32
	if seg == 0 {
		v = step<<4 + 8
	} else {
		v = (step<<4 + 0x108) << (seg - 1)
	}
	if c&0x80 == 0 {
		return int16(-v)
	}
	return int16(v)
}
