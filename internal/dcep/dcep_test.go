package dcep

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestOpenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		open Open
	}{
		{"empty", Open{}},
		{"reliable", Open{ChannelType: ChannelReliable, Priority: 256, Label: "chat", Protocol: "json"}},
		{"unordered", Open{ChannelType: ChannelReliableUnordered, Label: "x"}},
		{"rexmit", Open{ChannelType: ChannelPartialReliableRexmit, ReliabilityParameter: 3, Protocol: "p"}},
		{"rexmit unordered", Open{ChannelType: ChannelPartialReliableRexmitUnordered, ReliabilityParameter: 0}},
		{"timed", Open{ChannelType: ChannelPartialReliableTimed, Priority: 0xFFFF, ReliabilityParameter: 1500}},
		{"timed unordered", Open{ChannelType: ChannelPartialReliableTimedUnordered, ReliabilityParameter: 0xFFFFFFFF}},
		{"unicode", Open{Label: "données 🚀 数据", Protocol: "ñ"}},
		{"max label", Open{Label: strings.Repeat("a", MaxLen), Protocol: strings.Repeat("b", MaxLen)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.open.Marshal()
			if want := openHeaderLen + len(tc.open.Label) + len(tc.open.Protocol); len(b) != want {
				t.Fatalf("len = %d, want %d", len(b), want)
			}
			m, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := m.(*Open)
			if !ok {
				t.Fatalf("Parse returned %T, want *Open", m)
			}
			if *got != tc.open {
				t.Fatalf("round trip: got %+v, want %+v", *got, tc.open)
			}
		})
	}
}

func TestOpenWireFormat(t *testing.T) {
	// RFC 8832 §5.1 layout, written out by hand.
	want := []byte{
		0x03, 0x81, 0x01, 0x00, // type, channel type, priority 256
		0x00, 0x00, 0x00, 0x05, // reliability parameter
		0x00, 0x02, 0x00, 0x01, // label length 2, protocol length 1
		'h', 'i', 'p',
	}
	o := Open{ChannelType: ChannelPartialReliableRexmitUnordered, Priority: 256, ReliabilityParameter: 5, Label: "hi", Protocol: "p"}
	if got := o.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("Marshal = % x, want % x", got, want)
	}
}

func TestMarshalClipsOverlongFields(t *testing.T) {
	o := Open{Label: strings.Repeat("a", MaxLen+10)}
	m, err := Parse(o.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.(*Open).Label); n != MaxLen {
		t.Fatalf("label len = %d, want %d", n, MaxLen)
	}
}

func TestAck(t *testing.T) {
	b := MarshalAck()
	if !bytes.Equal(b, []byte{0x02}) {
		t.Fatalf("MarshalAck = % x", b)
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(Ack); !ok {
		t.Fatalf("Parse returned %T, want Ack", m)
	}
}

func TestParseInvalid(t *testing.T) {
	valid := Open{Label: "ab", Protocol: "c"}.Marshal()
	with := func(i int, v byte) []byte {
		b := bytes.Clone(valid)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"unknown type", []byte{0x01}},
		{"unknown type 0xff", []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"ack trailing", []byte{0x02, 0x00}},
		{"open type only", []byte{0x03}},
		{"open 11 bytes", valid[:11]},
		{"label overruns", with(9, 0x09)},
		{"protocol overruns", with(11, 0x05)},
		{"max lengths overrun", append([]byte{0x03, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}, "x"...)},
		{"truncated body", valid[:len(valid)-1]},
		{"trailing garbage", append(bytes.Clone(valid), 0)},
		{"channel type 0x03", with(1, 0x03)},
		{"channel type 0x7f", with(1, 0x7F)},
		{"channel type 0x83", with(1, 0x83)},
		{"channel type 0x40", with(1, 0x40)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.in)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(% x) = %v, %v; want ErrInvalid", tc.in, m, err)
			}
			if m != nil {
				t.Fatalf("Parse returned message %v with error", m)
			}
		})
	}
}

func TestChannelType(t *testing.T) {
	tests := []struct {
		t                ChannelType
		valid, unordered bool
	}{
		{ChannelReliable, true, false},
		{ChannelReliableUnordered, true, true},
		{ChannelPartialReliableRexmit, true, false},
		{ChannelPartialReliableRexmitUnordered, true, true},
		{ChannelPartialReliableTimed, true, false},
		{ChannelPartialReliableTimedUnordered, true, true},
		{0x03, false, false},
		{0x83, false, true},
		{0x40, false, false},
		{0xFF, false, true},
	}
	for _, tc := range tests {
		if got := tc.t.Valid(); got != tc.valid {
			t.Errorf("0x%02x.Valid() = %v, want %v", byte(tc.t), got, tc.valid)
		}
		if got := tc.t.Unordered(); got != tc.unordered {
			t.Errorf("0x%02x.Unordered() = %v, want %v", byte(tc.t), got, tc.unordered)
		}
	}
}

func TestTypeFor(t *testing.T) {
	u := func(v uint16) *uint16 { return &v }
	tests := []struct {
		name     string
		ordered  bool
		rexmit   *uint16
		lifetime *uint16
		want     ChannelType
		param    uint32
	}{
		{"reliable", true, nil, nil, ChannelReliable, 0},
		{"reliable unordered", false, nil, nil, ChannelReliableUnordered, 0},
		{"rexmit 0", true, u(0), nil, ChannelPartialReliableRexmit, 0},
		{"rexmit unordered", false, u(65535), nil, ChannelPartialReliableRexmitUnordered, 65535},
		{"timed", true, nil, u(500), ChannelPartialReliableTimed, 500},
		{"timed unordered", false, nil, u(0), ChannelPartialReliableTimedUnordered, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, param, err := TypeFor(tc.ordered, tc.rexmit, tc.lifetime)
			if err != nil || got != tc.want || param != tc.param {
				t.Fatalf("TypeFor = 0x%02x, %d, %v; want 0x%02x, %d, nil", byte(got), param, err, byte(tc.want), tc.param)
			}
		})
	}
	for _, ordered := range []bool{true, false} {
		if _, _, err := TypeFor(ordered, u(1), u(1)); !errors.Is(err, ErrBothLimits) {
			t.Errorf("TypeFor(%v, both) err = %v, want ErrBothLimits", ordered, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(MarshalAck())
	f.Add(Open{ChannelType: ChannelPartialReliableTimedUnordered, Priority: 128, ReliabilityParameter: 1000, Label: "chat", Protocol: "json"}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || m != nil {
				t.Fatalf("Parse = %v, %v", m, err)
			}
			return
		}
		o, ok := m.(*Open)
		if !ok {
			return
		}
		// Parse accepts only exact-length messages, so the encoding is
		// canonical: re-marshalling must reproduce the input.
		out := o.Marshal()
		if !bytes.Equal(out, b) {
			t.Fatalf("Marshal(Parse(% x)) = % x", b, out)
		}
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if *m2.(*Open) != *o {
			t.Fatalf("re-parse: got %+v, want %+v", *m2.(*Open), *o)
		}
	})
}
