package h264

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"
)

// encodePayloads packs a list of RTP payloads into one fuzz input: each
// payload is preceded by its length in two bytes, big-endian.
func encodePayloads(pls [][]byte) []byte {
	var b []byte
	for _, pl := range pls {
		b = append(b, byte(len(pl)>>8), byte(len(pl)))
		b = append(b, pl...)
	}
	return b
}

// decodePayloads is the inverse of encodePayloads; a short last payload
// takes what is left.
func decodePayloads(b []byte) [][]byte {
	var pls [][]byte
	for len(b) >= 2 {
		n := min(int(b[0])<<8|int(b[1]), len(b)-2)
		pls = append(pls, b[2:2+n])
		b = b[2+n:]
	}
	return pls
}

// depacketizeSeeds are payload lists worth starting from: whole frames in
// every packet form, and the broken and unsupported ones.
func depacketizeSeeds() [][][]byte {
	idr := mkSlice(0x65, true, 300, 1)
	p := mkSlice(0x41, true, 120, 2)
	frag := fuA(idr, 100, 100, 99)
	var pk Packetizer
	pk.MTU = 100
	whole, _, _ := payloadList(&pk, annexB(testAUD, testSPS, testPPS, testSEI, idr, mkSlice(0x65, false, 30, 3)))
	return [][][]byte{
		whole,
		{testSPS, testPPS, idr},
		{stapA(0x78, testSPS, testPPS), idr},
		frag,
		{p},
		fuA(p, 1, 117, 1),
		{stapA(0x78, testSEI, p, p)},
		frag[1:],
		frag[:2],
		{frag[0], p, frag[2]},
		{{0x78, 0x00, 0x05, 0x41}},
		{{0x79, 0, 0, 0, 2, 0x65, 1}},
		{{0x7d, 0x85, 0, 0, 1}},
		{{}, {0x1e, 1}, {0x7c, 0xc1}},
	}
}

var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false, "write the seed corpus of FuzzDepacketize to testdata/fuzz")

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzDepacketize with
// go test -run TestWriteFuzzSeeds -write-fuzz-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeFuzzSeeds {
		t.Skip("run with -write-fuzz-seeds to regenerate the corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDepacketize")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := depacketizeSeeds()
	// Two whole clip frames, at a small MTU to get many packets.
	aus := readClip(t)
	pk := Packetizer{MTU: 300}
	for _, i := range []int{0, 1} {
		pls, _, err := payloadList(&pk, aus[i])
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, pls)
	}
	for i, pls := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", encodePayloads(pls))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// clean reports whether au is an Annex-B access unit that SplitAnnexB
// reads back unit for unit: no NAL unit holds a start code or ends in zero.
// Each unit must also be of a type an access unit may hold, which a NAL
// unit whose content hides a start code need not be.
func clean(au []byte) bool {
	nals := splitNALs(au)
	for _, nal := range nals {
		if t := NALType(nal); t == 0 || t >= NALUSTAPA {
			return false
		}
	}
	return bytes.Equal(annexB(nals...), au)
}

func FuzzDepacketize(f *testing.F) {
	for _, pls := range depacketizeSeeds() {
		f.Add(encodePayloads(pls))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pls := decodePayloads(data)
		var d Depacketizer
		prefix := []byte{1, 2, 3}
		// Twice: the second pass runs with what the first one cached.
		for range 2 {
			dst := append(make([]byte, 0, 16), prefix...)
			au, key, err := d.Depacketize(dst, pls)
			if err != nil {
				if !errors.Is(err, ErrBrokenFrame) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrNoParameterSets) {
					t.Fatalf("unexpected error %v", err)
				}
				if len(au) != len(prefix) || key {
					t.Fatalf("on error: %d bytes, keyframe %v", len(au), key)
				}
			}
			if !bytes.Equal(au[:len(prefix)], prefix) {
				t.Fatalf("prefix overwritten: % x", au[:len(prefix)])
			}
			out := au[len(prefix):]
			if key && !IsKeyframe(out) {
				t.Fatalf("keyframe, but no IDR slice in % x", out)
			}
			if err != nil || len(out) == 0 || !clean(out) {
				continue
			}
			// What came out packetizes and depacketizes to itself, unless
			// a payload hid an IDR slice behind a start code and the
			// second pass has parameter sets to insert before it.
			var types []int
			SplitAnnexB(out, func(nal []byte) { types = append(types, NALType(nal)) })
			if slices.Contains(types, NALUIDR) && (!slices.Contains(types, NALUSPS) || !slices.Contains(types, NALUPPS)) {
				continue
			}
			for _, mtu := range []int{3, 100, 1200} {
				p := Packetizer{MTU: mtu}
				again, _, err := payloadList(&p, out)
				if err != nil {
					t.Fatalf("MTU %d: Packetize of depacketized output: %v", mtu, err)
				}
				var d2 Depacketizer
				d2.sps, d2.pps = bytes.Clone(d.sps), bytes.Clone(d.pps)
				got, _, err := d2.Depacketize(nil, again)
				if err != nil || !bytes.Equal(got, normalize(out)) {
					t.Fatalf("MTU %d: second round trip: %v\n% x\nwant\n% x", mtu, err, got, normalize(out))
				}
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	idr := mkSlice(0x65, true, 50, 1)
	p := mkSlice(0x41, true, 30, 2)
	f.Add(annexB(testAUD, testSPS, testPPS, idr, testAUD, p), uint8(1))
	f.Add(append(annexB3(testSEI, p, mkSlice(0x41, false, 10, 3), p), 0, 0, 0), uint8(7))
	f.Add([]byte{0, 0, 0, 1, 0x67, 0, 0, 1, 0x41, 0x80, 0, 0, 0, 0, 1, 0x41, 0x80}, uint8(2))
	f.Add([]byte{0x41, 0x80, 0, 0, 1}, uint8(0))
	f.Add([]byte{}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		// Read it whole and in small pieces: the same AUs must come out.
		whole, err := readAll(NewReader(bytes.NewReader(data)))
		if err != io.EOF {
			t.Fatalf("whole: %v", err)
		}
		pieces, err := readAll(NewReader(iotest.HalfReader(&chunkReader{data: data, n: int(chunk%8) + 1})))
		if err != io.EOF {
			t.Fatalf("pieces: %v", err)
		}
		if !slices.EqualFunc(whole, pieces, bytes.Equal) {
			t.Fatalf("reading in pieces of %d gives other AUs:\n% x\nwant\n% x", chunk%8+1, pieces, whole)
		}
		// The AUs hold the stream's NAL units, all of them, in order.
		var fromAUs [][]byte
		for _, au := range whole {
			if len(au) == 0 {
				t.Fatal("empty AU")
			}
			fromAUs = append(fromAUs, splitNALs(au)...)
		}
		if want := splitNALs(data); !slices.EqualFunc(fromAUs, want, bytes.Equal) {
			t.Fatalf("NAL units of the AUs differ from SplitAnnexB")
		}
	})
}

// chunkReader returns data n bytes at a time.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}

// auFromFuzz builds an access unit from fuzz data: a sequence of NAL units,
// each taken as a header byte, a size byte (scaled by sizeScale) and as
// much content as the size says, escaped. An IDR slice is turned into a
// non-IDR one unless an SPS and a PPS came before it, so that the
// Depacketizer has nothing to insert.
func auFromFuzz(data []byte, sizeScale int) []byte {
	var au []byte
	sps, pps := false, false
	for len(data) >= 2 {
		hdr := data[0]
		t := int(hdr&0x1f)%23 + 1 // 1..23
		if t == NALUIDR && !(sps && pps) {
			t = NALUSlice
		}
		sps = sps || t == NALUSPS
		pps = pps || t == NALUPPS
		n := min(int(data[1])*sizeScale, len(data)-2)
		body := data[2 : 2+n]
		data = data[2+n:]
		nal := append([]byte{hdr&0xe0 | byte(t)}, escape(body)...)
		if len(au)%2 == 0 {
			au = AppendAnnexB(au, nal)
		} else {
			au = append(append(au, 0, 0, 1), nal...)
		}
	}
	return au
}

func FuzzPacketizeRoundTrip(f *testing.F) {
	f.Add([]byte{0x67, 4, 1, 2, 3, 4, 0x68, 2, 5, 6, 0x65, 200, 0, 0, 0, 1, 2, 3}, uint16(10), uint8(1))
	f.Add([]byte{0x09, 1, 0xf0, 0x06, 3, 1, 2, 3, 0x41, 5, 0, 0, 0, 0, 0}, uint16(3), uint8(1))
	f.Add([]byte{0x41, 255, 0xaa}, uint16(1200), uint8(40))
	f.Fuzz(func(t *testing.T, data []byte, mtu uint16, scale uint8) {
		au := auFromFuzz(data, int(scale%64)+1)
		m := int(mtu%1500) + 3
		p := Packetizer{MTU: m}
		pls, markers, err := payloadList(&p, au)
		if err != nil {
			t.Fatalf("Packetize: %v", err)
		}
		want := normalize(au)
		if len(want) == 0 {
			if len(pls) != 0 {
				t.Fatalf("%d payloads for an empty AU", len(pls))
			}
			return
		}
		for i, pl := range pls {
			if len(pl) > m || len(pl) == 0 {
				t.Fatalf("payload %d: %d bytes, MTU %d", i, len(pl), m)
			}
			if markers[i] != (i == len(pls)-1) {
				t.Fatalf("marker %v on payload %d of %d", markers[i], i, len(pls))
			}
		}
		if !PayloadIsFrameStart(pls[0]) {
			t.Fatalf("first payload %s cannot start a frame", describe(pls[:1]))
		}
		var d Depacketizer
		got, key, err := d.Depacketize(nil, pls)
		if err != nil {
			t.Fatalf("Depacketize(%s): %v", describe(pls), err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round trip at MTU %d differs:\n% x\nwant\n% x", m, got, want)
		}
		if key != IsKeyframe(au) {
			t.Fatalf("keyframe %v, want %v", key, IsKeyframe(au))
		}
	})
}
