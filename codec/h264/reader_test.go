package h264

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"testing/iotest"
)

// readAll returns every access unit of r, and the error that ended it.
func readAll(r *Reader) ([][]byte, error) {
	var aus [][]byte
	for {
		au, err := r.Next()
		if err != nil {
			return aus, err
		}
		aus = append(aus, au)
	}
}

func TestReader(t *testing.T) {
	idr0 := mkSlice(0x65, true, 50, 1)
	idr1 := mkSlice(0x65, false, 40, 2)
	p0 := mkSlice(0x41, true, 30, 3)
	p1 := mkSlice(0x41, false, 30, 4)
	q0 := mkSlice(0x41, true, 20, 5)
	end := []byte{0x0b}          // end of stream
	prefix := []byte{0x6e, 0x80} // type 14, prefix NAL unit
	tests := []struct {
		name   string
		stream []byte
		want   [][][]byte // access units, each as its NAL units
	}{
		{"empty", nil, nil},
		{"zeros only", []byte{0, 0, 0, 0, 0, 0}, nil},
		{"start codes only", []byte{0, 0, 1, 0, 0, 0, 1}, nil},
		{"one AU", annexB(testSPS, testPPS, idr0),
			[][][]byte{{testSPS, testPPS, idr0}}},
		{"new picture at first_mb_in_slice 0", annexB(testSPS, testPPS, idr0, idr1, p0, p1, q0),
			[][][]byte{{testSPS, testPPS, idr0, idr1}, {p0, p1}, {q0}}},
		{"3-byte start codes", annexB3(testSPS, testPPS, idr0, p0),
			[][][]byte{{testSPS, testPPS, idr0}, {p0}}},
		{"AUD starts an AU", annexB(testAUD, testSPS, testPPS, idr0, testAUD, p0, testAUD, q0),
			[][][]byte{{testAUD, testSPS, testPPS, idr0}, {testAUD, p0}, {testAUD, q0}}},
		{"AUD before any slice", annexB(testAUD, testAUD, p0),
			[][][]byte{{testAUD}, {testAUD, p0}}},
		{"SEI after slice starts an AU", annexB(p0, testSEI, p1, q0),
			[][][]byte{{p0}, {testSEI, p1}, {q0}}},
		{"SEI before slice stays", annexB(testSEI, testSPS, testPPS, testSEI, idr0),
			[][][]byte{{testSEI, testSPS, testPPS, testSEI, idr0}}},
		{"parameter sets after slice start an AU", annexB(p0, testSPS, testPPS, idr0),
			[][][]byte{{p0}, {testSPS, testPPS, idr0}}},
		{"types 14-18 after slice start an AU", annexB(p0, prefix, q0),
			[][][]byte{{p0}, {prefix, q0}}},
		{"end of stream stays in its AU", annexB(p0, end, q0),
			[][][]byte{{p0, end}, {q0}}},
		{"trailing zeros", append(annexB(p0, q0), 0, 0, 0, 0, 0),
			[][][]byte{{p0}, {q0}}},
		{"bytes before first start code", slices.Concat(p0, annexB(q0)),
			[][][]byte{{p0}, {q0}}},
		{"one-byte slice", annexB(p0, []byte{0x41}, q0),
			[][][]byte{{p0, {0x41}}, {q0}}},
	}
	readers := map[string]func([]byte) io.Reader{
		"whole":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"data+EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	}
	for _, tt := range tests {
		for rname, mk := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				aus, err := readAll(NewReader(mk(tt.stream)))
				if err != io.EOF {
					t.Fatalf("ended with %v, want io.EOF", err)
				}
				var want [][]byte
				for _, nals := range tt.want {
					want = append(want, annexB(nals...))
				}
				if !slices.EqualFunc(aus, want, bytes.Equal) {
					t.Errorf("got %d AUs:\n% x\nwant %d:\n% x", len(aus), aus, len(want), want)
				}
				if _, err := NewReader(bytes.NewReader(nil)).Next(); err != io.EOF {
					t.Errorf("Next after the end = %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestReaderLargeNALAcrossReads(t *testing.T) {
	// NAL units larger than the read chunk, start codes split across reads.
	var nals [][]byte
	for i, size := range []int{readChunk - 1, readChunk, readChunk + 1, 3 * readChunk, 5} {
		nals = append(nals, mkSlice(0x41, true, size, byte(i)))
	}
	stream := annexB3(nals...)
	for _, r := range []io.Reader{bytes.NewReader(stream), iotest.HalfReader(bytes.NewReader(stream))} {
		aus, err := readAll(NewReader(r))
		if err != io.EOF {
			t.Fatalf("ended with %v", err)
		}
		if len(aus) != len(nals) {
			t.Fatalf("got %d AUs, want %d", len(aus), len(nals))
		}
		for i := range aus {
			if !bytes.Equal(aus[i], annexB(nals[i])) {
				t.Errorf("AU %d differs (len %d, want %d)", i, len(aus[i]), len(nals[i])+4)
			}
		}
	}
}

func TestReaderErrors(t *testing.T) {
	p0 := mkSlice(0x41, true, 30, 3)
	q0 := mkSlice(0x41, true, 20, 5)
	boom := errors.New("boom")

	t.Run("read error", func(t *testing.T) {
		// The AU cut by the error is dropped, and q0 with it: no NAL unit
		// seen after it proves that its AU was complete.
		stream := annexB(p0, q0, q0[:10])
		r := NewReader(io.MultiReader(bytes.NewReader(stream), iotest.ErrReader(boom)))
		aus, err := readAll(r)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
		if want := [][]byte{annexB(p0)}; !slices.EqualFunc(aus, want, bytes.Equal) {
			t.Errorf("AUs = % x, want % x", aus, want)
		}
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Errorf("next call: err = %v, want %v", err, boom)
		}
	})

	t.Run("no progress", func(t *testing.T) {
		r := NewReader(zeroReader{})
		if _, err := r.Next(); !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("err = %v, want io.ErrNoProgress", err)
		}
	})

	t.Run("unit too large", func(t *testing.T) {
		r := NewReader(io.MultiReader(bytes.NewReader([]byte{0, 0, 1}), infiniteReader{}))
		if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
		if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("next call: err = %v, want ErrTooLarge", err)
		}
	})

	t.Run("access unit too large", func(t *testing.T) {
		// Slices that never start a new picture pile up in one AU.
		r := NewReader(&sliceReader{nal: annexB(mkSlice(0x41, false, 1<<16, 0))})
		if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
}

// zeroReader returns 0, nil forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// infiniteReader returns 0xff bytes forever: a NAL unit without end.
type infiniteReader struct{}

func (infiniteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	return len(p), nil
}

// sliceReader repeats nal forever.
type sliceReader struct {
	nal []byte
	off int
}

func (r *sliceReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.nal[r.off:])
		n += k
		r.off = (r.off + k) % len(r.nal)
	}
	return n, nil
}

func TestWriter(t *testing.T) {
	p0 := mkSlice(0x41, true, 30, 3)
	var out bytes.Buffer
	w := NewWriter(&out)
	for _, au := range [][]byte{
		annexB3(testAUD, testSPS, testPPS, p0),
		nil,
		{0, 0, 0, 1},
		append(annexB(p0), 0, 0),
		p0, // no start code
	} {
		if err := w.WriteAU(au); err != nil {
			t.Fatal(err)
		}
	}
	want := annexB(testAUD, testSPS, testPPS, p0, p0, p0)
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("wrote\n% x\nwant\n% x", out.Bytes(), want)
	}

	boom := errors.New("boom")
	if err := NewWriter(errWriter{boom}).WriteAU(annexB(p0)); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// The clip is 2 s of libx264 Constrained Baseline at 30 fps with a keyframe
// every second; see testdata/h264/README.txt.
const clipPath = "../../testdata/h264/clip.h264"

func readClip(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open(clipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	aus, err := readAll(NewReader(f))
	if err != io.EOF {
		t.Fatalf("reading the clip: %v", err)
	}
	return aus
}

func TestClip(t *testing.T) {
	aus := readClip(t)
	if len(aus) != 60 {
		t.Fatalf("clip has %d access units, want 60", len(aus))
	}
	var keys []int
	for i, au := range aus {
		if IsKeyframe(au) {
			keys = append(keys, i)
		}
	}
	if want := []int{0, 30}; !slices.Equal(keys, want) {
		t.Errorf("keyframes at %v, want %v", keys, want)
	}
	var types []int
	SplitAnnexB(aus[0], func(nal []byte) { types = append(types, NALType(nal)) })
	if !slices.Contains(types, NALUSPS) || !slices.Contains(types, NALUPPS) ||
		slices.Index(types, NALUSPS) > slices.Index(types, NALUIDR) ||
		slices.Index(types, NALUPPS) > slices.Index(types, NALUIDR) {
		t.Errorf("first AU has NAL types %v, want SPS and PPS before the IDR slice", types)
	}
	sps := splitNALs(aus[0])[slices.Index(types, NALUSPS)]
	pl, err := ProfileLevelFromSPS(sps)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Profile() != ProfileConstrainedBaseline || pl.LevelIDC != 31 || !ProfilesMatch(pl.String(), "42e01f") {
		t.Errorf("clip SPS profile-level-id %s (%v), want Constrained Baseline level 3.1", pl, pl.Profile())
	}

	// Every AU survives Packetize/Depacketize byte for byte, at several MTUs.
	for _, mtu := range []int{1200, 500, 100, 3} {
		p := Packetizer{MTU: mtu}
		var d Depacketizer
		for i, au := range aus {
			pls, markers, err := payloadList(&p, au)
			if err != nil {
				t.Fatalf("MTU %d, AU %d: Packetize: %v", mtu, i, err)
			}
			for j, pl := range pls {
				if len(pl) > mtu {
					t.Fatalf("MTU %d, AU %d: payload %d has %d bytes", mtu, i, j, len(pl))
				}
				if markers[j] != (j == len(pls)-1) {
					t.Fatalf("MTU %d, AU %d: marker %v on payload %d of %d", mtu, i, markers[j], j, len(pls))
				}
			}
			if !PayloadIsFrameStart(pls[0]) || PayloadIsKeyframe(pls[0]) != IsKeyframe(au) {
				t.Errorf("MTU %d, AU %d: first payload start=%v key=%v", mtu, i, PayloadIsFrameStart(pls[0]), PayloadIsKeyframe(pls[0]))
			}
			got, key, err := d.Depacketize(nil, pls)
			if err != nil {
				t.Fatalf("MTU %d, AU %d: Depacketize: %v", mtu, i, err)
			}
			if !bytes.Equal(got, normalize(au)) || key != IsKeyframe(au) {
				t.Fatalf("MTU %d, AU %d (%d bytes, keyframe %v): round trip gives %d bytes, keyframe %v",
					mtu, i, len(au), IsKeyframe(au), len(got), key)
			}
		}
	}

	// Writing the AUs back gives the file, start codes made four bytes long.
	var out bytes.Buffer
	w := NewWriter(&out)
	for _, au := range aus {
		if err := w.WriteAU(au); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(clipPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), annexB(splitNALs(raw)...)) {
		t.Error("writing the AUs back does not reproduce the clip")
	}
	again, err := readAll(NewReader(&out))
	if err != io.EOF || !slices.EqualFunc(again, aus, bytes.Equal) {
		t.Errorf("reading the written clip: %d AUs, %v", len(again), err)
	}
}
