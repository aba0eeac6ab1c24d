package h264

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestPacketize(t *testing.T) {
	const mtu = 100
	small := mkSlice(0x41, true, 30, 1)
	exact := mkSlice(0x65, true, mtu, 2)
	over := mkSlice(0x65, true, mtu+1, 3)
	big := mkSlice(0x65, true, 1000, 4)
	// Two units that fill a STAP-A exactly: 1 + (2+a) + (2+b) == mtu.
	fillA, fillB := mkNAL(0x06, 45, 5), mkNAL(0x41, 50, 6)
	fillB1 := mkNAL(0x41, 51, 6)
	seventy := mkNAL(0x41, 70, 7)

	tests := []struct {
		name string
		mtu  int
		au   []byte
		want [][]byte
	}{
		{"empty", mtu, nil, nil},
		{"only AUD", mtu, annexB(testAUD), nil},
		{"only zeros", mtu, []byte{0, 0, 0, 0}, nil},
		{"single NAL", mtu, annexB(small), [][]byte{small}},
		{"3-byte start code and trailing zeros", mtu, append(annexB3(small), 0, 0), [][]byte{small}},
		{"no start code", mtu, small, [][]byte{small}},
		{"AUD dropped", mtu, annexB(testAUD, small), [][]byte{small}},
		{"trailing AUD dropped", mtu, annexB(small, testAUD), [][]byte{small}},
		{"NAL exactly MTU", mtu, annexB(exact), [][]byte{exact}},
		{"NAL MTU+1", mtu, annexB(over), fuA(over, 50, 50)},
		{"large NAL, even fragments", mtu, annexB(big), fuA(big, 91, 91, 91, 91, 91, 91, 91, 91, 91, 90, 90)},
		{"one-byte fragments at MTU 3", 3, annexB([]byte{0x65, 1, 2, 3}), fuA([]byte{0x65, 1, 2, 3}, 1, 1, 1)},
		{"SPS PPS aggregated", mtu, annexB(testSPS, testPPS, big),
			slices.Concat([][]byte{stapA(0x78, testSPS, testPPS)}, fuA(big, 91, 91, 91, 91, 91, 91, 91, 91, 91, 90, 90))},
		{"AUD SPS PPS SEI IDR", 1200, annexB(testAUD, testSPS, testPPS, testSEI, big),
			[][]byte{stapA(0x78, testSPS, testPPS, testSEI, big)}},
		{"STAP-A exactly MTU", mtu, annexB(fillA, fillB), [][]byte{stapA(0x58, fillA, fillB)}},
		{"STAP-A MTU+1 splits", mtu, annexB(fillA, fillB1), [][]byte{fillA, fillB1}},
		{"STAP-A closes when the next does not fit", mtu, annexB(testSPS, testPPS, seventy),
			[][]byte{stapA(0x78, testSPS, testPPS), seventy}},
		{"big NAL between small ones", mtu, annexB(small, over, small),
			slices.Concat([][]byte{small}, fuA(over, 50, 50), [][]byte{small})},
		{"STAP-A header takes highest NRI and F", mtu, annexB([]byte{0x06, 1}, []byte{0xc1, 2}, []byte{0x21, 3}),
			[][]byte{stapA(0xd8, []byte{0x06, 1}, []byte{0xc1, 2}, []byte{0x21, 3})}},
		{"FU-A keeps F and NRI", mtu, annexB(slices.Concat([]byte{0xa5}, big[1:])),
			fuA(slices.Concat([]byte{0xa5}, big[1:]), 91, 91, 91, 91, 91, 91, 91, 91, 91, 90, 90)},
		{"multi-slice AU", mtu, annexB(mkSlice(0x65, true, 60, 7), mkSlice(0x65, false, 150, 8), mkSlice(0x65, false, 20, 9)),
			slices.Concat([][]byte{mkSlice(0x65, true, 60, 7)}, fuA(mkSlice(0x65, false, 150, 8), 75, 74), [][]byte{mkSlice(0x65, false, 20, 9)})},
		{"MTU 1 with one-byte units", 1, annexB([]byte{0x41}, testAUD, []byte{0x06}), [][]byte{{0x41}, {0x06}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Packetizer{MTU: tt.mtu}
			got, markers, err := payloadList(&p, tt.au)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tt.want, bytes.Equal) {
				t.Fatalf("payloads %s, want %s", describe(got), describe(tt.want))
			}
			for i, m := range markers {
				if m != (i == len(markers)-1) {
					t.Errorf("marker %v on payload %d of %d", m, i, len(markers))
				}
				if len(got[i]) > tt.mtu {
					t.Errorf("payload %d has %d bytes, MTU %d", i, len(got[i]), tt.mtu)
				}
			}
		})
	}
}

func TestPacketizeDefaultMTU(t *testing.T) {
	for _, size := range []int{DefaultMTU, DefaultMTU + 1} {
		nal := mkSlice(0x65, true, size, 1)
		var p Packetizer
		got, _, err := payloadList(&p, annexB(nal))
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if size > DefaultMTU {
			want = 2
		}
		if len(got) != want {
			t.Errorf("%d-byte NAL with the zero Packetizer: %d payloads, want %d", size, len(got), want)
		}
	}
}

func TestPacketizeErrors(t *testing.T) {
	nal := mkSlice(0x41, true, 30, 1)
	tests := []struct {
		name string
		mtu  int
		au   []byte
		want error
	}{
		{"type 0", 100, annexB(nal, []byte{0x00, 1}), ErrInvalidNAL},
		{"STAP-A inside AU", 100, annexB(nal, []byte{0x18, 0, 1, 0x41}), ErrInvalidNAL},
		{"FU-A inside AU", 100, annexB(nal, []byte{0x1c, 0x81, 1}), ErrInvalidNAL},
		{"type 31", 100, annexB([]byte{0x1f, 1}, nal), ErrInvalidNAL},
		{"MTU 2 too small to fragment", 2, annexB(nal), ErrInvalidMTU},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Packetizer{MTU: tt.mtu}
			got, _, err := payloadList(&p, tt.au)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if len(got) != 0 {
				t.Errorf("emitted %d payloads before failing", len(got))
			}
		})
	}
}

func TestPacketizeRoundTripMultiSlice(t *testing.T) {
	// An AU as an encoder with slices writes it: AUD, parameter sets, SEI,
	// then slices of all sizes, with both start code forms.
	slices4 := [][]byte{
		mkSlice(0x65, true, 5000, 1),
		mkSlice(0x65, false, 1199, 2),
		mkSlice(0x65, false, 1200, 3),
		mkSlice(0x65, false, 1201, 4),
		mkSlice(0x65, false, 7, 5),
		mkSlice(0x65, false, 9, 6),
	}
	au := slices.Concat(annexB(testAUD, testSPS), annexB3(testPPS, testSEI), annexB3(slices4...), []byte{0, 0})
	for _, mtu := range []int{1200, 1000, 64, 3} {
		p := Packetizer{MTU: mtu}
		pls, _, err := payloadList(&p, au)
		if err != nil {
			t.Fatal(err)
		}
		var d Depacketizer
		got, key, err := d.Depacketize([]byte("prefix"), pls)
		if err != nil {
			t.Fatalf("MTU %d: %v (payloads %s)", mtu, err, describe(pls))
		}
		want := append([]byte("prefix"), normalize(au)...)
		if !bytes.Equal(got, want) || !key {
			t.Errorf("MTU %d: round trip differs (%d bytes, want %d; keyframe %v)", mtu, len(got), len(want), key)
		}
	}
}
