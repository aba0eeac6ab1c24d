package h264

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// randomNAL returns a NAL unit of about size bytes with header hdr and
// random, escaped content, like an encoder's entropy-coded slice data.
func randomNAL(hdr byte, size int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	body := make([]byte, size-1)
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	body[0] |= 0x80 // first_mb_in_slice = 0
	return append([]byte{hdr}, escape(body)...)
}

// Realistic access units: a 30 KB IDR picture with its parameter sets, and
// a 3 KB P picture.
var (
	benchIDR = annexB(testSPS, testPPS, randomNAL(0x65, 30000, 1))
	benchP   = annexB(randomNAL(0x41, 3000, 2))
)

var benchAUs = []struct {
	name string
	au   []byte
}{
	{"IDR-30KB", benchIDR},
	{"P-3KB", benchP},
}

func BenchmarkPacketize(b *testing.B) {
	for _, bb := range benchAUs {
		b.Run(bb.name, func(b *testing.B) {
			var p Packetizer
			n := 0
			emit := func(pl []byte, marker bool) { n += len(pl) }
			b.SetBytes(int64(len(bb.au)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Packetize(bb.au, emit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDepacketize(b *testing.B) {
	for _, bb := range benchAUs {
		b.Run(bb.name, func(b *testing.B) {
			var p Packetizer
			pls, _, err := payloadList(&p, bb.au)
			if err != nil {
				b.Fatal(err)
			}
			var d Depacketizer
			dst := make([]byte, 0, 64<<10)
			b.SetBytes(int64(len(bb.au)))
			b.ReportAllocs()
			for b.Loop() {
				if dst, _, err = d.Depacketize(dst[:0], pls); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPacketizeDepacketizeDoNotAllocate(t *testing.T) {
	var p Packetizer
	var d Depacketizer
	// Warm up: the Packetizer's buffer and the parameter set cache.
	for _, bb := range benchAUs {
		if _, _, err := payloadList(&p, bb.au); err != nil {
			t.Fatal(err)
		}
	}
	dst := make([]byte, 0, 64<<10)
	for _, bb := range benchAUs {
		pls, _, err := payloadList(&p, bb.au)
		if err != nil {
			t.Fatal(err)
		}
		// An IDR frame without parameter sets makes the Depacketizer
		// insert them from its cache.
		var idrOnly [][]byte
		for _, pl := range pls {
			if pl[0]&0x1f != NALUSTAPA {
				idrOnly = append(idrOnly, pl)
			}
		}
		if _, _, err := d.Depacketize(dst[:0], pls); err != nil {
			t.Fatal(err)
		}

		count := 0
		emit := func(pl []byte, marker bool) { count++ }
		if a := testing.AllocsPerRun(100, func() {
			if err := p.Packetize(bb.au, emit); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: Packetize: %v allocations per run, want 0", bb.name, a)
		}
		if a := testing.AllocsPerRun(100, func() {
			var err error
			if dst, _, err = d.Depacketize(dst[:0], pls); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: Depacketize: %v allocations per run, want 0", bb.name, a)
		}
		if !bytes.Equal(dst, normalize(bb.au)) {
			t.Errorf("%s: round trip differs", bb.name)
		}
		if a := testing.AllocsPerRun(100, func() {
			var err error
			if dst, _, err = d.Depacketize(dst[:0], idrOnly); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: Depacketize inserting parameter sets: %v allocations per run, want 0", bb.name, a)
		}
		if !bytes.Equal(dst, normalize(bb.au)) {
			t.Errorf("%s: round trip with inserted parameter sets differs", bb.name)
		}
	}
}
