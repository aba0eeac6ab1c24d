package h264

import (
	"bytes"
	"fmt"
	"strings"
)

// mkNAL returns a NAL unit of size bytes with header byte hdr, whose body
// holds no zero byte (so no emulation prevention is needed), varied by seed.
func mkNAL(hdr byte, size int, seed byte) []byte {
	b := make([]byte, size)
	b[0] = hdr
	for i := 1; i < size; i++ {
		b[i] = byte((i*31+int(seed))%255) + 1
	}
	return b
}

// mkSlice returns a coded slice NAL unit; first says whether
// first_mb_in_slice is 0 (the slice begins a picture).
func mkSlice(hdr byte, first bool, size int, seed byte) []byte {
	b := mkNAL(hdr, size, seed)
	if size > 1 {
		if first {
			b[1] = 0x88 // ue(v) "1": first_mb_in_slice = 0
		} else {
			b[1] = 0x48 // ue(v) "010": first_mb_in_slice = 1
		}
	}
	return b
}

// Typical NAL units of a Constrained Baseline stream.
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x1f, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x24, 0x80}
	testPPS = []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
	testAUD = []byte{0x09, 0xf0}
	testSEI = mkNAL(0x06, 40, 1)
)

// annexB joins NAL units with four-byte start codes.
func annexB(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = AppendAnnexB(b, n)
	}
	return b
}

// annexB3 joins NAL units with three-byte start codes.
func annexB3(nals ...[]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

// splitNALs returns copies of the NAL units of an Annex-B stream.
func splitNALs(b []byte) [][]byte {
	var out [][]byte
	SplitAnnexB(b, func(nal []byte) { out = append(out, bytes.Clone(nal)) })
	return out
}

// normalize rewrites an Annex-B access unit with four-byte start codes and
// without access unit delimiters: the form a Packetize/Depacketize round
// trip gives.
func normalize(au []byte) []byte {
	var out []byte
	SplitAnnexB(au, func(nal []byte) {
		if NALType(nal) != NALUAUD {
			out = AppendAnnexB(out, nal)
		}
	})
	return out
}

// escape applies H.264 emulation prevention (7.4.1) to rbsp, giving a NAL
// unit body that holds no start code and does not end in a zero byte.
func escape(rbsp []byte) []byte {
	out := make([]byte, 0, len(rbsp)+len(rbsp)/32+1)
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if len(out) > 0 && out[len(out)-1] == 0 {
		out = append(out, 3)
	}
	return out
}

// payloadList packetizes au and returns copies of the payloads and the
// index of the one with the marker bit (-1 if none, -2 if several).
func payloadList(p *Packetizer, au []byte) ([][]byte, []bool, error) {
	var out [][]byte
	var markers []bool
	err := p.Packetize(au, func(pl []byte, marker bool) {
		out = append(out, bytes.Clone(pl))
		markers = append(markers, marker)
	})
	return out, markers, err
}

// stapA builds a STAP-A payload with the given header byte.
func stapA(hdr byte, nals ...[]byte) []byte {
	b := []byte{hdr}
	for _, n := range nals {
		b = appendAggregationUnit(b, n)
	}
	return b
}

// fuA builds FU-A fragments of nal with the given data sizes, which must add
// up to len(nal)-1.
func fuA(nal []byte, sizes ...int) [][]byte {
	var out [][]byte
	data := nal[1:]
	for i, n := range sizes {
		fu := nal[0] & 0x1f
		if i == 0 {
			fu |= 0x80
		}
		if i == len(sizes)-1 {
			fu |= 0x40
		}
		pl := []byte{nal[0]&0xe0 | NALUFUA, fu}
		out = append(out, append(pl, data[:n]...))
		data = data[n:]
	}
	if len(data) != 0 {
		panic("fuA: sizes do not cover the NAL unit")
	}
	return out
}

// describe summarizes payloads for failure messages.
func describe(pls [][]byte) string {
	var s []string
	for _, p := range pls {
		if len(p) == 0 {
			s = append(s, "empty")
			continue
		}
		s = append(s, fmt.Sprintf("t%d/%dB", p[0]&0x1f, len(p)))
	}
	return "[" + strings.Join(s, " ") + "]"
}
