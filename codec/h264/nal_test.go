package h264

import (
	"bytes"
	"slices"
	"testing"
)

func TestSplitAnnexB(t *testing.T) {
	a, b, c := []byte{0x67, 1, 2}, []byte{0x68, 3}, []byte{0x65, 4, 5, 6}
	tests := []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"nil", nil, nil},
		{"empty", []byte{}, nil},
		{"only start code", []byte{0, 0, 1}, nil},
		{"only 4-byte start code", []byte{0, 0, 0, 1}, nil},
		{"only zeros", []byte{0, 0, 0, 0, 0}, nil},
		{"4-byte start codes", annexB(a, b, c), [][]byte{a, b, c}},
		{"3-byte start codes", annexB3(a, b, c), [][]byte{a, b, c}},
		{"mixed start codes", append(annexB(a, b), annexB3(c)...), [][]byte{a, b, c}},
		{"trailing zeros", append(annexB(a, b), 0, 0, 0, 0), [][]byte{a, b}},
		{"trailing zeros between units", slices.Concat([]byte{0, 0, 1}, a, []byte{0, 0, 0, 0}, annexB3(b)), [][]byte{a, b}},
		{"leading zero bytes", slices.Concat([]byte{0, 0, 0, 0, 0}, annexB(a)), [][]byte{a}},
		{"empty units skipped", slices.Concat(annexB3(a), []byte{0, 0, 1, 0, 0, 1}, annexB3(b)), [][]byte{a, b}},
		{"no start code", []byte{0x65, 1, 2}, [][]byte{{0x65, 1, 2}}},
		{"bytes before first start code", slices.Concat([]byte{0x09, 0xf0}, annexB(a)), [][]byte{{0x09, 0xf0}, a}},
		{"start code at the very end", slices.Concat(annexB(a), []byte{0, 0, 1}), [][]byte{a}},
		{"one-byte units", annexB([]byte{0x09}, []byte{0x0c}), [][]byte{{0x09}, {0x0c}}},
		{"emulation prevention kept", annexB([]byte{0x65, 0, 0, 3, 1, 0, 0, 3}), [][]byte{{0x65, 0, 0, 3, 1, 0, 0, 3}}},
		{"two zeros before 3-byte code", slices.Concat([]byte{0x65, 7, 0, 0, 0, 1}, b), [][]byte{{0x65, 7}, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitNALs(tt.in)
			if !slices.EqualFunc(got, tt.want, bytes.Equal) {
				t.Errorf("SplitAnnexB(% x) = % x, want % x", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendAnnexB(t *testing.T) {
	tests := []struct {
		dst, nal, want []byte
	}{
		{nil, nil, []byte{0, 0, 0, 1}},
		{nil, []byte{0x67, 1}, []byte{0, 0, 0, 1, 0x67, 1}},
		{[]byte{0xaa}, []byte{0x68}, []byte{0xaa, 0, 0, 0, 1, 0x68}},
	}
	for _, tt := range tests {
		if got := AppendAnnexB(bytes.Clone(tt.dst), tt.nal); !bytes.Equal(got, tt.want) {
			t.Errorf("AppendAnnexB(% x, % x) = % x, want % x", tt.dst, tt.nal, got, tt.want)
		}
	}
}

func TestIsKeyframe(t *testing.T) {
	idr := mkSlice(0x65, true, 20, 0)
	p := mkSlice(0x41, true, 20, 0)
	tests := []struct {
		name string
		au   []byte
		want bool
	}{
		{"nil", nil, false},
		{"only zeros", []byte{0, 0, 0, 1, 0}, false},
		{"parameter sets only", annexB(testSPS, testPPS), false},
		{"P slice", annexB(testAUD, p), false},
		{"IDR with parameter sets", annexB(testAUD, testSPS, testPPS, idr), true},
		{"bare IDR, 3-byte start code", annexB3(idr), true},
		{"IDR as second slice", annexB(p, idr), true},
		{"IDR byte inside a unit", annexB([]byte{0x41, 0x65, 0x65}), false},
		{"no start code", idr, true},
		{"type 5 with F and NRI bits", annexB([]byte{0xe5, 1}), true},
	}
	for _, tt := range tests {
		if got := IsKeyframe(tt.au); got != tt.want {
			t.Errorf("%s: IsKeyframe = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNALType(t *testing.T) {
	for _, tt := range []struct {
		nal  []byte
		want int
	}{{nil, 0}, {[]byte{0x67}, 7}, {[]byte{0x65, 1}, 5}, {[]byte{0xfc}, 28}} {
		if got := NALType(tt.nal); got != tt.want {
			t.Errorf("NALType(% x) = %d, want %d", tt.nal, got, tt.want)
		}
	}
}

func TestSplitAnnexBDoesNotAllocate(t *testing.T) {
	au := annexB(testAUD, testSPS, testPPS, mkSlice(0x65, true, 3000, 0))
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		SplitAnnexB(au, func(nal []byte) { n += len(nal) })
		if !IsKeyframe(au) {
			t.Fatal("not a keyframe")
		}
	})
	if allocs != 0 {
		t.Errorf("SplitAnnexB and IsKeyframe: %v allocations per run, want 0", allocs)
	}
}
