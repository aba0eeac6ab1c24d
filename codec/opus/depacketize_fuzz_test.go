package opus

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDepacketize feeds the depacketizer the RTP payloads of one timestamp
// as a remote may send them — any count, any bytes — and checks its
// contract: one non-empty payload comes back appended to dst unchanged,
// anything else is refused with ErrInvalidPacket and dst untouched; what it
// returns is then measured with PacketDuration, as the Ogg writer does, and
// either has a valid duration or is refused with ErrInvalidPacket.
//
// Layout: payloads separated by a byte 0xff followed by 0x00 (so that
// 0xff 0xff is a literal 0xff); a leading 0x00 means no payload at all.
func FuzzDepacketize(f *testing.F) {
	for _, s := range [][]byte{
		{0x00},
		{0xfc, 1, 2, 3},
		{0x78, 0xff, 0x00, 0x78},
		{0xfb, 0xc3, 0xff, 0xff, 1, 252, 2},
		{0xff, 0x00},
		{0x1b, 0x82, 5, 1, 2, 3, 4, 5, 6},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		payloads := splitPayloads(data)
		dst := []byte{0xaa, 0xbb}
		var d Depacketizer
		out, key, err := d.Depacketize(dst, payloads)
		if key {
			t.Fatal("Opus has no keyframes")
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) || !bytes.Equal(out, []byte{0xaa, 0xbb}) {
				t.Fatalf("refusal %v returned %x", err, out)
			}
			if len(payloads) == 1 && len(payloads[0]) > 0 {
				t.Fatalf("one non-empty payload refused: %v", err)
			}
			return
		}
		if len(payloads) != 1 || !bytes.Equal(out[2:], payloads[0]) || !bytes.Equal(out[:2], dst) {
			t.Fatalf("%d payloads gave %x", len(payloads), out)
		}
		dur, err := PacketDuration(out[2:])
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("PacketDuration error %v does not wrap ErrInvalidPacket", err)
			}
			return
		}
		if dur <= 0 || dur > MaxDuration {
			t.Fatalf("duration %v", dur)
		}
	})
}

func splitPayloads(data []byte) [][]byte {
	if len(data) > 0 && data[0] == 0 {
		return nil
	}
	var out [][]byte
	cur := []byte{}
	for i := 0; i < len(data); i++ {
		if data[i] == 0xff && i+1 < len(data) {
			i++
			if data[i] == 0x00 {
				out = append(out, cur)
				cur = []byte{}
				continue
			}
		}
		cur = append(cur, data[i])
	}
	return append(out, cur)
}
