package h264

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestDepacketize(t *testing.T) {
	idr := mkSlice(0x65, true, 300, 1)
	idr2 := mkSlice(0x65, false, 20, 2)
	p := mkSlice(0x41, true, 250, 3)
	frag := fuA(idr, 100, 100, 99)
	pfrag := fuA(p, 1, 247, 1)
	reservedNAL := []byte{0x1e, 1, 2} // type 30

	tests := []struct {
		name    string
		primed  bool // SPS and PPS seen in an earlier frame
		in      [][]byte
		want    []byte
		wantKey bool
	}{
		{"no payloads", false, nil, nil, false},
		{"empty payloads only", false, [][]byte{{}, {}}, nil, false},
		{"single NAL", false, [][]byte{p}, annexB(p), false},
		{"single NALs", false, [][]byte{testSPS, testPPS, idr}, annexB(testSPS, testPPS, idr), true},
		{"empty payload skipped", false, [][]byte{{}, testSPS, {}, testPPS, idr}, annexB(testSPS, testPPS, idr), true},
		{"STAP-A", false, [][]byte{stapA(0x78, testSPS, testPPS), idr}, annexB(testSPS, testPPS, idr), true},
		{"STAP-A with everything", false, [][]byte{stapA(0x78, testAUD, testSPS, testPPS, testSEI, idr, idr2)},
			annexB(testAUD, testSPS, testPPS, testSEI, idr, idr2), true},
		{"FU-A", false, slices.Concat([][]byte{stapA(0x78, testSPS, testPPS)}, frag), annexB(testSPS, testPPS, idr), true},
		{"FU-A P slice", false, pfrag, annexB(p), false},
		{"FU-A keeps F and NRI", false, fuA([]byte{0xa1, 1, 2, 3}, 1, 2), annexB([]byte{0xa1, 1, 2, 3}), false},
		{"FU-A with S and E", false, [][]byte{{0x7c, 0xc1, 1, 2}}, annexB([]byte{0x61, 1, 2}), false},
		{"empty FU-A fragments", false, [][]byte{{0x7c, 0x81}, {0x7c, 0x01, 7}, {0x7c, 0x01}, {0x7c, 0x41}},
			annexB([]byte{0x61, 7}), false},
		{"FU-A then single", false, slices.Concat(pfrag, [][]byte{testSEI}), annexB(p, testSEI), false},
		{"two FU-As", false, slices.Concat(pfrag, fuA(p, 100, 149)), annexB(p, p), false},
		{"reserved types ignored", false, [][]byte{reservedNAL, {0x00, 1}, p, {0x1f}}, annexB(p), false},
		{"reserved type in STAP-A ignored", false, [][]byte{stapA(0x78, reservedNAL, p)}, annexB(p), false},
		{"reserved packet inside FU-A ignored", false, [][]byte{pfrag[0], reservedNAL, pfrag[1], pfrag[2]}, annexB(p), false},
		{"reserved FU-A ignored", false, slices.Concat(fuA([]byte{0x7e, 1, 2}, 1, 1), [][]byte{p}), annexB(p), false},
		{"SPS and PPS inserted", true, frag, annexB(testSPS, testPPS, idr), true},
		{"SPS and PPS inserted before first IDR slice", true, [][]byte{testSEI, idr2, idr2},
			annexB(testSEI, testSPS, testPPS, idr2, idr2), true},
		{"missing PPS inserted after frame SPS", true, [][]byte{testSPS, idr}, annexB(testSPS, testPPS, idr), true},
		{"missing SPS inserted before frame PPS", true, [][]byte{testPPS, idr}, annexB(testSPS, testPPS, idr), true},
		{"missing SPS inserted before PPS in STAP-A", true, [][]byte{stapA(0x78, testSEI, testPPS), idr},
			annexB(testSEI, testSPS, testPPS, idr), true},
		{"nothing inserted before P slice", true, [][]byte{p}, annexB(p), false},
		{"nothing inserted when present", true, [][]byte{stapA(0x78, testSPS, testPPS), idr}, annexB(testSPS, testPPS, idr), true},
		{"AUD passed through", false, [][]byte{testAUD, p}, annexB(testAUD, p), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Depacketizer
			if tt.primed {
				if _, _, err := d.Depacketize(nil, [][]byte{stapA(0x78, testSPS, testPPS)}); err != nil {
					t.Fatal(err)
				}
			}
			prefix := []byte{0xde, 0xad}
			got, key, err := d.Depacketize(bytes.Clone(prefix), tt.in)
			if err != nil {
				t.Fatalf("Depacketize(%s): %v", describe(tt.in), err)
			}
			want := append(bytes.Clone(prefix), tt.want...)
			if !bytes.Equal(got, want) || key != tt.wantKey {
				t.Errorf("Depacketize(%s) = % x, %v\nwant % x, %v", describe(tt.in), got, key, want, tt.wantKey)
			}
		})
	}
}

func TestDepacketizeErrors(t *testing.T) {
	idr := mkSlice(0x65, true, 300, 1)
	p := mkSlice(0x41, true, 300, 2)
	frag := fuA(idr, 100, 100, 99)
	pfrag := fuA(p, 100, 100, 99)
	tests := []struct {
		name string
		in   [][]byte
		want error
	}{
		{"FU-A missing start", frag[1:], ErrBrokenFrame},
		{"FU-A missing end", frag[:2], ErrBrokenFrame},
		{"FU-A missing middle and end", frag[:1], ErrBrokenFrame},
		{"frame starts mid-fragment", [][]byte{frag[2]}, ErrBrokenFrame},
		{"start without end, then start", slices.Concat(frag[:2], frag), ErrBrokenFrame},
		{"start without end, then single", [][]byte{frag[0], frag[1], testSPS}, ErrBrokenFrame},
		{"start without end, then STAP-A", [][]byte{frag[0], stapA(0x78, testSPS, testPPS)}, ErrBrokenFrame},
		{"interleaved NAL types", [][]byte{frag[0], pfrag[1], frag[2]}, ErrBrokenFrame},
		{"end belongs to another NAL", [][]byte{frag[0], frag[1], pfrag[2]}, ErrBrokenFrame},
		{"FU-A one byte", [][]byte{{0x7c}}, ErrBrokenFrame},
		{"FU-A carrying STAP-A", [][]byte{{0x7c, 0xd8, 0, 1, 0x41}}, ErrBrokenFrame},
		{"FU-A carrying FU-A", [][]byte{{0x7c, 0x9c, 1}, {0x7c, 0x5c, 1}}, ErrBrokenFrame},
		{"STAP-A header only", [][]byte{{0x78}}, ErrBrokenFrame},
		{"STAP-A truncated size", [][]byte{{0x78, 0x00, 0x02, 0x41, 0x01, 0x00}}, ErrBrokenFrame},
		{"STAP-A truncated unit", [][]byte{{0x78, 0x00, 0x05, 0x41, 0x01}}, ErrBrokenFrame},
		{"STAP-A zero-size unit", [][]byte{{0x78, 0x00, 0x00, 0x00, 0x01, 0x41}}, ErrBrokenFrame},
		{"STAP-A nested STAP-A", [][]byte{stapA(0x78, []byte{0x78, 0, 1, 0x41})}, ErrBrokenFrame},
		{"STAP-A containing FU-A", [][]byte{stapA(0x78, frag[0])}, ErrBrokenFrame},
		{"STAP-B", [][]byte{{0x79, 0, 0, 0, 1, 0x41}}, ErrUnsupported},
		{"MTAP16", [][]byte{{0x7a, 0, 0}}, ErrUnsupported},
		{"MTAP24", [][]byte{{0x7b, 0, 0}}, ErrUnsupported},
		{"FU-B", [][]byte{{0x7d, 0x85, 0, 0, 1}}, ErrUnsupported},
		{"FU-B after good packets", [][]byte{testSPS, testPPS, {0x7d, 0x85, 0, 0, 1}}, ErrUnsupported},
		{"IDR without any parameter sets", frag, ErrNoParameterSets},
		{"IDR with SPS only", [][]byte{testSPS, idr}, ErrNoParameterSets},
		{"IDR with PPS only", [][]byte{stapA(0x78, testPPS, idr)}, ErrNoParameterSets},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Depacketizer
			dst := make([]byte, 3, 1000)
			got, key, err := d.Depacketize(dst, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Depacketize(%s) error = %v, want %v", describe(tt.in), err, tt.want)
			}
			if len(got) != len(dst) || key {
				t.Errorf("on error returned %d bytes (want %d), keyframe %v", len(got), len(dst), key)
			}
			// A broken frame teaches nothing: the next IDR still lacks
			// parameter sets.
			if !errors.Is(tt.want, ErrNoParameterSets) {
				if _, _, err := d.Depacketize(nil, [][]byte{idr}); !errors.Is(err, ErrNoParameterSets) {
					t.Errorf("after the broken frame, a bare IDR gives %v", err)
				}
			}
		})
	}
}

func TestDepacketizeParameterSetCache(t *testing.T) {
	idr := mkSlice(0x65, true, 100, 1)
	sps2 := slices.Concat(testSPS[:len(testSPS)-1], []byte{0x81})
	pps2 := []byte{0x68, 0xce, 0x38, 0x80}
	var d Depacketizer

	// An IDR with only an SPS fails, but the SPS is kept: a later frame
	// that brings the PPS completes the pair.
	if _, _, err := d.Depacketize(nil, [][]byte{testSPS, idr}); !errors.Is(err, ErrNoParameterSets) {
		t.Fatalf("SPS+IDR on a fresh depacketizer: %v, want ErrNoParameterSets", err)
	}
	got, key, err := d.Depacketize(nil, [][]byte{testPPS, idr})
	if err != nil || !key || !bytes.Equal(got, annexB(testSPS, testPPS, idr)) {
		t.Fatalf("PPS+IDR after SPS: % x, %v, %v", got, key, err)
	}

	// The latest parameter sets win, whether they came alone, in a STAP-A
	// or in fragments.
	if _, _, err := d.Depacketize(nil, [][]byte{sps2}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = d.Depacketize(nil, [][]byte{idr})
	if want := annexB(sps2, testPPS, idr); !bytes.Equal(got, want) {
		t.Errorf("after new SPS: % x, want % x", got, want)
	}
	if _, _, err := d.Depacketize(nil, fuA(pps2, 1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = d.Depacketize(nil, [][]byte{idr})
	if want := annexB(sps2, pps2, idr); !bytes.Equal(got, want) {
		t.Errorf("after fragmented PPS: % x, want % x", got, want)
	}
	if _, _, err := d.Depacketize(nil, [][]byte{stapA(0x78, testSPS, testPPS)}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = d.Depacketize(nil, [][]byte{idr})
	if want := annexB(testSPS, testPPS, idr); !bytes.Equal(got, want) {
		t.Errorf("after STAP-A: % x, want % x", got, want)
	}

	// Buffers handed in by the caller are not retained.
	sps3 := bytes.Clone(sps2)
	if _, _, err := d.Depacketize(nil, [][]byte{sps3}); err != nil {
		t.Fatal(err)
	}
	sps3[5] = 0xee
	got, _, _ = d.Depacketize(nil, [][]byte{idr})
	if want := annexB(sps2, testPPS, idr); !bytes.Equal(got, want) {
		t.Errorf("cached SPS aliases the payload: % x", got)
	}
}

func TestPayloadIsKeyframe(t *testing.T) {
	idr := mkSlice(0x65, true, 300, 1)
	p := mkSlice(0x41, true, 300, 2)
	frag := fuA(idr, 100, 100, 99)
	tests := []struct {
		name string
		pl   []byte
		want bool
	}{
		{"empty", nil, false},
		{"IDR", idr, true},
		{"SPS", testSPS, true},
		{"PPS", testPPS, false},
		{"P slice", p, false},
		{"SEI", testSEI, false},
		{"STAP-A SPS PPS", stapA(0x78, testSPS, testPPS), true},
		{"STAP-A PPS IDR", stapA(0x78, testPPS, []byte{0x65, 1}), true},
		{"STAP-A SEI P", stapA(0x78, testSEI, p), false},
		{"STAP-A truncated before IDR", stapA(0x78, testPPS, []byte{0x65, 1})[:10], false},
		{"STAP-A zero size", []byte{0x78, 0, 0, 0x65}, false},
		{"STAP-A header only", []byte{0x78}, false},
		{"FU-A IDR start", frag[0], true},
		{"FU-A IDR middle", frag[1], true},
		{"FU-A IDR end", frag[2], true},
		{"FU-A P", fuA(p, 100, 199)[0], false},
		{"FU-A header only", []byte{0x7c}, false},
		{"STAP-B", []byte{0x79, 0, 0, 0, 2, 0x65, 1}, false},
		{"FU-B IDR", []byte{0x7d, 0x85, 0, 0, 1}, false},
	}
	for _, tt := range tests {
		if got := PayloadIsKeyframe(tt.pl); got != tt.want {
			t.Errorf("%s: PayloadIsKeyframe = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPayloadIsFrameStart(t *testing.T) {
	frag := fuA(mkSlice(0x65, true, 300, 1), 100, 100, 99)
	tests := []struct {
		name string
		pl   []byte
		want bool
	}{
		{"empty", nil, false},
		{"single NAL", []byte{0x41, 1}, true},
		{"SPS", testSPS, true},
		{"type 23", []byte{0x17}, true},
		{"STAP-A", stapA(0x78, testSPS, testPPS), true},
		{"FU-A start", frag[0], true},
		{"FU-A middle", frag[1], false},
		{"FU-A end", frag[2], false},
		{"FU-A header only", []byte{0x7c}, false},
		{"reserved 0", []byte{0x00, 1}, false},
		{"STAP-B", []byte{0x79, 0, 0}, false},
		{"MTAP16", []byte{0x7a, 0, 0}, false},
		{"FU-B start", []byte{0x7d, 0x85, 0, 0}, false},
		{"reserved 30", []byte{0x1e}, false},
	}
	for _, tt := range tests {
		if got := PayloadIsFrameStart(tt.pl); got != tt.want {
			t.Errorf("%s: PayloadIsFrameStart = %v, want %v", tt.name, got, tt.want)
		}
	}
}
