package g711

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestULawKnownValues(t *testing.T) {
	enc := []struct {
		in   int16
		want byte
	}{
		{0, 0xff}, {-1, 0x7f}, {3, 0xff}, {4, 0xfe}, {-4, 0x7f}, {-5, 0x7e},
		{132, 0xef}, {32767, 0x80}, {-32768, 0x00}, {32124, 0x80}, {-32124, 0x00},
		{1000, 0xce}, {-1000, 0x4e},
	}
	for _, tc := range enc {
		if got := EncodeULaw(tc.in); got != tc.want {
			t.Errorf("EncodeULaw(%d) = %#02x, want %#02x", tc.in, got, tc.want)
		}
	}
	dec := []struct {
		in   byte
		want int16
	}{
		{0xff, 0}, {0x7f, 0}, {0xfe, 8}, {0x7e, -8}, {0xf0, 120}, {0xef, 132},
		{0x80, 32124}, {0x81, 31100}, {0x82, 30076}, {0x00, -32124}, {0x01, -31100},
		{0xce, 988}, {0x4e, -988},
	}
	for _, tc := range dec {
		if got := DecodeULaw(tc.in); got != tc.want {
			t.Errorf("DecodeULaw(%#02x) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestALawKnownValues(t *testing.T) {
	enc := []struct {
		in   int16
		want byte
	}{
		{0, 0xd5}, {-1, 0x55}, {15, 0xd5}, {16, 0xd4}, {32767, 0xaa}, {-32768, 0x2a},
		{256, 0xc5}, {-256, 0x5a}, {-257, 0x45}, {1000, 0xfa}, {-1000, 0x7a},
	}
	for _, tc := range enc {
		if got := EncodeALaw(tc.in); got != tc.want {
			t.Errorf("EncodeALaw(%d) = %#02x, want %#02x", tc.in, got, tc.want)
		}
	}
	dec := []struct {
		in   byte
		want int16
	}{
		{0xd5, 8}, {0x55, -8}, {0xd4, 24}, {0xaa, 32256}, {0x2a, -32256},
		{0x00, -5504}, {0x01, -5248}, {0x02, -6016}, {0x03, -5760},
		{0xc5, 264}, {0xfa, 1008},
	}
	for _, tc := range dec {
		if got := DecodeALaw(tc.in); got != tc.want {
			t.Errorf("DecodeALaw(%#02x) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestCompandingProperties checks every code and every sample: codes
// survive decode+encode, decoding is odd-symmetric, and each sample comes
// back within half a quantisation step (outside μ-law's clipped top).
func TestCompandingProperties(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		if b != 0x7f { // μ-law's negative zero decodes to 0, encoded as 0xff
			if got := EncodeULaw(DecodeULaw(b)); got != b {
				t.Errorf("μ-law %#02x -> %d -> %#02x", b, DecodeULaw(b), got)
			}
		}
		if got := EncodeALaw(DecodeALaw(b)); got != b {
			t.Errorf("A-law %#02x -> %d -> %#02x", b, DecodeALaw(b), got)
		}
		if DecodeULaw(b) != -DecodeULaw(b^0x80) || DecodeALaw(b) != -DecodeALaw(b^0x80) {
			t.Errorf("%#02x: not symmetric", b)
		}
	}
	prevU, prevA := int16(math.MinInt16), int16(math.MinInt16)
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		s := int16(x)
		u := DecodeULaw(EncodeULaw(s))
		a := DecodeALaw(EncodeALaw(s))
		if u < prevU || a < prevA {
			t.Fatalf("%d: not monotonic", x)
		}
		prevU, prevA = u, a
		// μ-law steps: 8<<segment; A-law: 16 in segments 0 and 1, then 8<<segment.
		uStep := int32(8) << ((^EncodeULaw(s) >> 4) & 7)
		aSeg := ((EncodeALaw(s) ^ 0x55) >> 4) & 7
		aStep := int32(16)
		if aSeg > 1 {
			aStep = 8 << aSeg
		}
		if d := abs(int32(s) - int32(u)); d > uStep/2 && abs(int32(s)) <= 32124+512 {
			t.Fatalf("μ-law %d -> %d: off by %d, step %d", s, u, d, uStep)
		}
		if d := abs(int32(s) - int32(a)); d > aStep/2 {
			t.Fatalf("A-law %d -> %d: off by %d, step %d", s, a, d, aStep)
		}
	}
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPacketize(t *testing.T) {
	chunk := make([]byte, 2500)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	tests := []struct {
		max   int
		in    []byte
		sizes []int
	}{
		{0, chunk[:160], []int{160}},
		{0, chunk[:1200], []int{1200}},
		{0, chunk, []int{1200, 1200, 100}},
		{160, chunk[:480], []int{160, 160, 160}},
		{160, chunk[:161], []int{160, 1}},
		{0, nil, nil},
	}
	for _, tc := range tests {
		var sizes []int
		var joined [][]byte
		err := Packetizer{MTU: tc.max}.Packetize(tc.in, func(p []byte, marker bool) {
			if marker {
				t.Error("marker set")
			}
			sizes = append(sizes, len(p))
			joined = append(joined, p)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(sizes) != len(tc.sizes) {
			t.Fatalf("max %d, %d bytes: payloads %v, want %v", tc.max, len(tc.in), sizes, tc.sizes)
		}
		for i := range sizes {
			if sizes[i] != tc.sizes[i] {
				t.Fatalf("max %d, %d bytes: payloads %v, want %v", tc.max, len(tc.in), sizes, tc.sizes)
			}
		}
		if len(joined) == 0 {
			continue
		}
		out, key, err := Depacketizer{}.Depacketize([]byte{1}, joined)
		if err != nil || key || out[0] != 1 || !bytes.Equal(out[1:], tc.in) {
			t.Fatalf("Depacketize: %d bytes, %v", len(out), err)
		}
	}
	if _, _, err := (Depacketizer{}).Depacketize(nil, nil); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("no payloads: %v, want ErrInvalidPacket", err)
	}
	if Samples(chunk[:160]) != 160 || Samples(nil) != 0 {
		t.Error("Samples")
	}
}

func BenchmarkPacketize(b *testing.B) {
	chunk := make([]byte, 160)
	p := Packetizer{MTU: 1200}
	n := 0
	emit := func(payload []byte, _ bool) { n += len(payload) }
	b.ReportAllocs()
	for b.Loop() {
		p.Packetize(chunk, emit)
	}
}

func BenchmarkDepacketize(b *testing.B) {
	payloads := [][]byte{make([]byte, 160)}
	dst := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		dst, _, _ = Depacketizer{}.Depacketize(dst[:0], payloads)
	}
}

func BenchmarkEncodeULaw(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(i * 397)
	}
	out := make([]byte, 160)
	b.ReportAllocs()
	b.SetBytes(160 * 2)
	for b.Loop() {
		for i, s := range pcm {
			out[i] = EncodeULaw(s)
		}
	}
}
