package h264

import "bytes"

// NAL unit types (H.264 Table 7-1) and RTP payload structure types
// (RFC 6184 Table 1) used by this package.
const (
	NALUSlice = 1  // coded slice of a non-IDR picture
	NALUIDR   = 5  // coded slice of an IDR picture
	NALUSEI   = 6  // supplemental enhancement information
	NALUSPS   = 7  // sequence parameter set
	NALUPPS   = 8  // picture parameter set
	NALUAUD   = 9  // access unit delimiter
	NALUSTAPA = 24 // single-time aggregation packet, type A
	NALUSTAPB = 25 // single-time aggregation packet, type B (interleaved mode)
	NALUMTAP  = 26 // multi-time aggregation packet, 16-bit offsets (interleaved mode)
	NALUMTAP2 = 27 // multi-time aggregation packet, 24-bit offsets (interleaved mode)
	NALUFUA   = 28 // fragmentation unit, type A
	NALUFUB   = 29 // fragmentation unit, type B (interleaved mode)
)

// startCode is the four-byte Annex-B start code this package writes.
var startCode = []byte{0, 0, 0, 1}

// NALType returns the nal_unit_type of a NAL unit (the low five bits of its
// first byte), or 0 for an empty slice.
func NALType(nal []byte) int {
	if len(nal) == 0 {
		return 0
	}
	return int(nal[0] & 0x1f)
}

// SplitAnnexB calls fn for each NAL unit of the Annex-B byte stream b, in
// order, with the start codes removed. Both three-byte (00 00 01) and
// four-byte (00 00 00 01) start codes are accepted. Zero bytes at the end of
// a NAL unit (trailing_zero_8bits, or the first byte of a four-byte start
// code) are not part of it; empty NAL units are skipped. Bytes before the
// first start code, if any remain after that trimming, are treated as a NAL
// unit, so a bare NAL unit without a start code is passed through.
//
// The slices given to fn alias b. SplitAnnexB does not allocate.
func SplitAnnexB(b []byte, fn func(nal []byte)) {
	for len(b) > 0 {
		var nal []byte
		nal, b = nextNAL(b)
		if len(nal) > 0 {
			fn(nal)
		}
	}
}

// nextNAL returns the NAL unit at the front of b (possibly empty) and the
// rest of b after the start code that ends it. b is expected to begin just
// after a start code, or at the beginning of a stream.
func nextNAL(b []byte) (nal, rest []byte) {
	i := bytes.Index(b, startCode[1:])
	if i < 0 {
		return trimZeros(b), nil
	}
	return trimZeros(b[:i]), b[i+3:]
}

// nextNonEmptyNAL is nextNAL skipping empty NAL units; it returns a nil nal
// when b holds no more.
func nextNonEmptyNAL(b []byte) (nal, rest []byte) {
	for len(b) > 0 {
		nal, b = nextNAL(b)
		if len(nal) > 0 {
			return nal, b
		}
	}
	return nil, nil
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// AppendAnnexB appends a four-byte start code and nal to dst and returns the
// extended slice.
func AppendAnnexB(dst []byte, nal []byte) []byte {
	dst = append(dst, startCode...)
	return append(dst, nal...)
}

// IsKeyframe reports whether the Annex-B access unit au contains a coded
// slice of an IDR picture.
func IsKeyframe(au []byte) bool {
	for len(au) > 0 {
		var nal []byte
		nal, au = nextNAL(au)
		if NALType(nal) == NALUIDR {
			return true
		}
	}
	return false
}

// isVCL reports whether t is the type of a coded slice of a primary picture.
func isVCL(t int) bool { return t >= 1 && t <= 5 }
