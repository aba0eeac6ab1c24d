package demux

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		in   []byte
		want Class
	}{
		{nil, Drop},
		{[]byte{}, Drop},
		{[]byte{0, 1}, STUN},
		{[]byte{3}, STUN},
		{[]byte{4}, Drop},
		{[]byte{15}, Drop},
		{[]byte{16}, ZRTP},
		{[]byte{19}, ZRTP},
		{[]byte{20}, DTLS},
		{[]byte{22, 0xFE, 0xFD}, DTLS},
		{[]byte{63}, DTLS},
		{[]byte{64}, TURNChannel},
		{[]byte{79}, TURNChannel},
		{[]byte{80}, Drop},
		{[]byte{127}, Drop},
		// 128..191 need a second byte: RTCP packet types 192..223, else RTP.
		{[]byte{128}, Drop},
		{[]byte{191}, Drop},
		{[]byte{128, 0}, RTP},
		{[]byte{128, 96}, RTP},
		{[]byte{128, 191}, RTP},
		{[]byte{128, 192}, RTCP},
		{[]byte{128, 200}, RTCP},
		{[]byte{129, 201}, RTCP},
		{[]byte{191, 223}, RTCP},
		{[]byte{191, 224}, RTP},
		{[]byte{144, 255}, RTP},
		{[]byte{191, 111}, RTP},
		{[]byte{192, 200}, Drop},
		{[]byte{255, 0}, Drop},
		{[]byte{255}, Drop},
	}
	for _, tc := range tests {
		if got := Classify(tc.in); got != tc.want {
			t.Errorf("Classify(% x) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestClassifyAllFirstBytes checks every first byte against the RFC 7983 /
// RFC 9443 ranges written independently of Classify's switch.
func TestClassifyAllFirstBytes(t *testing.T) {
	for c := 0; c <= 255; c++ {
		want := Drop
		switch {
		case c < 4:
			want = STUN
		case 16 <= c && c < 20:
			want = ZRTP
		case 20 <= c && c < 64:
			want = DTLS
		case 64 <= c && c < 80:
			want = TURNChannel
		case 128 <= c && c < 192:
			want = RTP // second byte 0 is an RTP payload type
		}
		if got := Classify([]byte{byte(c), 0}); got != want {
			t.Errorf("Classify(%d, 0) = %v, want %v", c, got, want)
		}
	}
}

func TestString(t *testing.T) {
	for c, want := range map[Class]string{
		Drop: "Drop", STUN: "STUN", ZRTP: "ZRTP", DTLS: "DTLS",
		TURNChannel: "TURNChannel", RTP: "RTP", RTCP: "RTCP", 7: "Class(7)", 255: "Class(255)",
	} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", uint8(c), got, want)
		}
	}
}

var sink Class

func BenchmarkClassify(b *testing.B) {
	pkts := [][]byte{
		{0x00, 0x01, 0x00, 0x00}, // STUN binding request
		{0x17, 0xFE, 0xFD},       // DTLS application data
		{0x80, 0x60, 0x00, 0x01}, // RTP, PT 96
		{0x81, 0xC9, 0x00, 0x07}, // RTCP RR
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sink = Classify(pkts[i&3])
		i++
	}
	if n := testing.AllocsPerRun(100, func() { sink = Classify(pkts[2]) }); n != 0 {
		b.Fatalf("Classify allocates %v times per call", n)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x80, 0xC8})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Classify(b)
		if c > RTCP {
			t.Fatalf("Classify(% x) = %v, out of range", b, c)
		}
		// Only the first two bytes matter.
		if len(b) > 2 && Classify(b[:2]) != c {
			t.Fatalf("Classify(% x) depends on bytes past the second", b)
		}
	})
}
