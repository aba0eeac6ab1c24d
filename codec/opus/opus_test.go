package opus

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// configs is RFC 6716 Table 2: the frame duration of each TOC config.
var configs = [32]struct {
	mode  string
	frame time.Duration
}{
	{"SILK NB", 10 * time.Millisecond}, {"SILK NB", 20 * time.Millisecond}, {"SILK NB", 40 * time.Millisecond}, {"SILK NB", 60 * time.Millisecond},
	{"SILK MB", 10 * time.Millisecond}, {"SILK MB", 20 * time.Millisecond}, {"SILK MB", 40 * time.Millisecond}, {"SILK MB", 60 * time.Millisecond},
	{"SILK WB", 10 * time.Millisecond}, {"SILK WB", 20 * time.Millisecond}, {"SILK WB", 40 * time.Millisecond}, {"SILK WB", 60 * time.Millisecond},
	{"Hybrid SWB", 10 * time.Millisecond}, {"Hybrid SWB", 20 * time.Millisecond},
	{"Hybrid FB", 10 * time.Millisecond}, {"Hybrid FB", 20 * time.Millisecond},
	{"CELT NB", 2500 * time.Microsecond}, {"CELT NB", 5 * time.Millisecond}, {"CELT NB", 10 * time.Millisecond}, {"CELT NB", 20 * time.Millisecond},
	{"CELT WB", 2500 * time.Microsecond}, {"CELT WB", 5 * time.Millisecond}, {"CELT WB", 10 * time.Millisecond}, {"CELT WB", 20 * time.Millisecond},
	{"CELT SWB", 2500 * time.Microsecond}, {"CELT SWB", 5 * time.Millisecond}, {"CELT SWB", 10 * time.Millisecond}, {"CELT SWB", 20 * time.Millisecond},
	{"CELT FB", 2500 * time.Microsecond}, {"CELT FB", 5 * time.Millisecond}, {"CELT FB", 10 * time.Millisecond}, {"CELT FB", 20 * time.Millisecond},
}

func toc(config int, stereo bool, code byte) byte {
	b := byte(config<<3) | code
	if stereo {
		b |= 4
	}
	return b
}

// TestPacketDurationConfigs walks every TOC config with codes 0, 1, 2 and
// code 3 with every frame count, mono and stereo.
func TestPacketDurationConfigs(t *testing.T) {
	for config, c := range configs {
		for _, stereo := range []bool{false, true} {
			cases := []struct {
				name   string
				packet []byte
				want   time.Duration // 0: invalid
			}{
				{"code0", []byte{toc(config, stereo, 0), 0xaa, 0xbb, 0xcc}, c.frame},
				{"code0 DTX", []byte{toc(config, stereo, 0)}, c.frame},
				{"code1", []byte{toc(config, stereo, 1), 0xaa, 0xbb}, 2 * c.frame},
				{"code2", []byte{toc(config, stereo, 2), 1, 0xaa, 0xbb, 0xcc}, 2 * c.frame},
			}
			for m := 0; m <= 63; m++ {
				want := time.Duration(m) * c.frame
				if m == 0 || want > 120*time.Millisecond {
					want = 0
				}
				p := []byte{toc(config, stereo, 3), byte(m)}
				p = append(p, bytes.Repeat([]byte{0x5a}, 2*m)...) // CBR, 2 bytes per frame
				cases = append(cases, struct {
					name   string
					packet []byte
					want   time.Duration
				}{"code3 CBR m=" + itoa(m), p, want})
			}
			for _, tc := range cases {
				got, err := PacketDuration(tc.packet)
				if tc.want == 0 {
					if !errors.Is(err, ErrInvalidPacket) {
						t.Errorf("config %d (%s %v) stereo=%v %s: got %v, %v; want ErrInvalidPacket",
							config, c.mode, c.frame, stereo, tc.name, got, err)
					}
					continue
				}
				if err != nil || got != tc.want {
					t.Errorf("config %d (%s %v) stereo=%v %s: got %v, %v; want %v",
						config, c.mode, c.frame, stereo, tc.name, got, err, tc.want)
				}
			}
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestPacketDurationFraming(t *testing.T) {
	const (
		celt20 = 31 << 3 // CELT FB 20 ms
		celt25 = 16 << 3 // CELT NB 2.5 ms
		silk60 = 3 << 3  // SILK NB 60 ms
	)
	ms := time.Millisecond
	frame := func(n int) []byte { return bytes.Repeat([]byte{0x11}, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name   string
		packet []byte
		want   time.Duration // 0: ErrInvalidPacket
	}{
		{"empty (R1)", nil, 0},
		{"code0 1275-byte frame", cat([]byte{celt20}, frame(1275)), 20 * ms},
		{"code0 1276-byte frame (R2)", cat([]byte{celt20}, frame(1276)), 0},
		{"code1 empty frames", []byte{celt20 | 1}, 40 * ms},
		{"code1 odd payload (R3)", []byte{celt20 | 1, 1, 2, 3}, 0},
		{"code1 2x1275", cat([]byte{celt20 | 1}, frame(2550)), 40 * ms},
		{"code1 2x1276 (R2)", cat([]byte{celt20 | 1}, frame(2552)), 0},
		{"code2 no length (R4)", []byte{celt20 | 2}, 0},
		{"code2 zero-length first frame", []byte{celt20 | 2, 0, 9, 9}, 40 * ms},
		{"code2 length past end (R4)", []byte{celt20 | 2, 3, 1, 2}, 0},
		{"code2 length exactly fills", []byte{celt20 | 2, 3, 1, 2, 3}, 40 * ms},
		{"code2 two-byte length", cat([]byte{celt20 | 2, 252, 1}, frame(256)), 40 * ms}, // 252+4*1
		{"code2 two-byte length short (R4)", cat([]byte{celt20 | 2, 252, 1}, frame(255)), 0},
		{"code2 two-byte length missing second byte (R4)", []byte{celt20 | 2, 253}, 0},
		{"code2 second frame 1276 (R2)", cat([]byte{celt20 | 2, 0}, frame(1276)), 0},
		{"code3 no count (R5)", []byte{celt20 | 3}, 0},
		{"code3 m=0 (R5)", []byte{celt20 | 3, 0}, 0},
		{"code3 48x2.5ms", []byte{celt25 | 3, 48}, 120 * ms},
		{"code3 49x2.5ms (R5)", []byte{celt25 | 3, 49}, 0},
		{"code3 2x60ms", []byte{silk60 | 3, 2}, 120 * ms},
		{"code3 3x60ms (R5)", []byte{silk60 | 3, 3}, 0},
		{"code3 CBR 3 frames of 2", cat([]byte{celt20 | 3, 3}, frame(6)), 60 * ms},
		{"code3 CBR not multiple (R6)", cat([]byte{celt20 | 3, 3}, frame(7)), 0},
		{"code3 CBR frame 1276 (R6)", cat([]byte{celt20 | 3, 1}, frame(1276)), 0},
		{"code3 CBR padding", cat([]byte{celt20 | 3, 0x40 | 2, 3}, frame(4), frame(3)), 40 * ms},
		{"code3 CBR padding leaves bad multiple (R6)", cat([]byte{celt20 | 3, 0x40 | 2, 2}, frame(4), frame(3)), 0},
		{"code3 padding length missing", []byte{celt20 | 3, 0x40 | 1}, 0},
		{"code3 padding past end (R6)", []byte{celt20 | 3, 0x40 | 1, 5, 1, 2}, 0},
		{"code3 padding 255 chain", cat([]byte{celt20 | 3, 0x40 | 1, 255, 255, 10}, frame(518), frame(2)), 20 * ms},
		{"code3 padding 255 chain short (R6)", cat([]byte{celt20 | 3, 0x40 | 1, 255, 255, 10}, frame(517)), 0},
		{"code3 padding chain truncated", cat([]byte{celt20 | 3, 0x40 | 1, 255}, frame(254)), 0},
		{"code3 VBR", cat([]byte{celt20 | 3, 0x80 | 3, 2, 0}, frame(2), frame(5)), 60 * ms},
		{"code3 VBR two-byte length", cat([]byte{celt20 | 3, 0x80 | 2, 255, 3}, frame(267), frame(1)), 40 * ms},
		{"code3 VBR missing lengths (R7)", []byte{celt20 | 3, 0x80 | 3, 2}, 0},
		{"code3 VBR lengths past end (R7)", cat([]byte{celt20 | 3, 0x80 | 3, 2, 2}, frame(3)), 0},
		{"code3 VBR last frame 1276 (R2)", cat([]byte{celt20 | 3, 0x80 | 2, 0}, frame(1276)), 0},
		{"code3 VBR with padding", cat([]byte{celt20 | 3, 0xc0 | 2, 2, 1}, frame(1), frame(4), frame(2)), 40 * ms},
		{"code3 VBR padding eats frames (R7)", cat([]byte{celt20 | 3, 0xc0 | 2, 4, 2}, frame(4)), 0},
	}
	for _, tc := range tests {
		got, err := PacketDuration(tc.packet)
		if tc.want == 0 {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("%s: got %v, %v; want ErrInvalidPacket", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want uint32
	}{
		{0, 0},
		{-time.Millisecond, 0},
		{2500 * time.Microsecond, 120},
		{5 * time.Millisecond, 240},
		{10 * time.Millisecond, 480},
		{20 * time.Millisecond, 960},
		{40 * time.Millisecond, 1920},
		{60 * time.Millisecond, 2880},
		{120 * time.Millisecond, 5760},
		{time.Second, 48000},
		{time.Second / 48000, 1},          // 20833ns rounds to one sample
		{3 * time.Second / 48000, 3},      // no drift from truncation
		{10 * time.Microsecond, 0},        // 0.48 samples
		{11 * time.Microsecond, 1},        // 0.528 samples
		{89478 * time.Second, 4294944000}, // just under 2^32 samples
		{89479 * time.Second, 24704},      // wraps like an RTP timestamp
	}
	for _, tc := range tests {
		if got := Samples(tc.d); got != tc.want {
			t.Errorf("Samples(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestPacketizer(t *testing.T) {
	frame := []byte{0xfc, 1, 2, 3}
	var got [][]byte
	var p Packetizer
	err := p.Packetize(frame, func(payload []byte, marker bool) {
		if marker {
			t.Error("marker set")
		}
		got = append(got, payload)
	})
	if err != nil || len(got) != 1 || !bytes.Equal(got[0], frame) {
		t.Fatalf("payloads %x, %v; want one %x", got, err, frame)
	}
	if &got[0][0] != &frame[0] {
		t.Error("payload does not alias the frame")
	}
	if err := p.Packetize(nil, func([]byte, bool) { t.Error("empty frame emitted") }); !errors.Is(err, ErrInvalidPacket) {
		t.Errorf("empty frame: %v, want ErrInvalidPacket", err)
	}

	var d Depacketizer
	dst := []byte{9}
	out, key, err := d.Depacketize(dst, got)
	if err != nil || key || !bytes.Equal(out, []byte{9, 0xfc, 1, 2, 3}) {
		t.Fatalf("Depacketize = %x, %v, %v", out, key, err)
	}
	for _, bad := range [][][]byte{nil, {}, {frame, frame}, {{}}} {
		out, _, err := d.Depacketize(dst, bad)
		if !errors.Is(err, ErrInvalidPacket) || !bytes.Equal(out, dst) {
			t.Errorf("Depacketize(%d payloads) = %x, %v; want dst unchanged, ErrInvalidPacket", len(bad), out, err)
		}
	}
}

func FuzzPacketDuration(f *testing.F) {
	for _, s := range [][]byte{
		{},
		{0xfc},
		{0xfc, 1, 2, 3},
		{0x79, 1, 2},
		{0xfa, 253, 1, 9},
		{0x83, 0x30},
		{0xfb, 0xc3, 255, 1, 252, 2},
		{0x1b, 0x82, 5, 1, 2, 3, 4, 5, 6},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := PacketDuration(p)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) || d != 0 {
				t.Fatalf("error %v with duration %v", err, d)
			}
			return
		}
		if d <= 0 || d > MaxDuration || d%(2500*time.Microsecond) != 0 {
			t.Fatalf("duration %v", d)
		}
		if s := Samples(d); s%120 != 0 || s > 5760 {
			t.Fatalf("%v is %d samples", d, s)
		}
		if d < configs[p[0]>>3].frame {
			t.Fatalf("%v shorter than one frame of config %d", d, p[0]>>3)
		}
	})
}

func BenchmarkPacketize(b *testing.B) {
	frame := make([]byte, 160)
	var p Packetizer
	n := 0
	emit := func(payload []byte, _ bool) { n += len(payload) }
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := p.Packetize(frame, emit); err != nil {
			b.Fatal(err)
		}
	}
	if n == 0 {
		b.Fatal("nothing emitted")
	}
}

func BenchmarkDepacketize(b *testing.B) {
	payloads := [][]byte{make([]byte, 160)}
	var d Depacketizer
	dst := make([]byte, 0, 1500)
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		var err error
		dst, _, err = d.Depacketize(dst[:0], payloads)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPacketDuration(b *testing.B) {
	p := append([]byte{0xfb, 0xc3, 2, 100, 120}, make([]byte, 300)...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PacketDuration(p); err != nil {
			b.Fatal(err)
		}
	}
}
