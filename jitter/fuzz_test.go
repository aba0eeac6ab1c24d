package jitter

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzBuffer decodes bytes into a configuration and a run of operations —
// packets with any sequence number, timestamp, marker, flags and size, time
// steps, pops, NACK and keyframe queries, RTT changes, resets — and checks
// the buffer's invariants after each.
//
// Layout: data[0] and data[1] choose the Config; then each operation is one
// byte (op % 8) followed by the bytes it reads (missing bytes read as 0).
func FuzzBuffer(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		runFuzz(t, data)
	})
}

func fuzzConfig(c0, c1 byte) Config {
	return Config{
		Video:          c0&1 != 0,
		NACK:           c0&2 != 0,
		Codec:          testCodec{},
		MaxPackets:     1 + int(c0>>2)%32,
		MaxPayload:     7 + int(c1)%16,
		MinDelay:       time.Duration(c1>>4) * 10 * time.Millisecond,
		MaxDelay:       time.Duration(c1>>6) * 100 * time.Millisecond, // 0 is the default
		MaxNACKRetries: int(c1>>4) % 4,                                // 0 is the default
	}
}

func runFuzz(t *testing.T, data []byte) {
	cfg := fuzzConfig(data[0], data[1])
	b := New(cfg)
	full := b.cfg // with defaults
	now := t0
	seq, ts := uint16(65530), uint32(1<<32-5000)
	var lastTs uint32
	haveLast := false
	restarts := uint64(0)
	var nacks []uint16
	i := 2
	next := func() byte {
		if i < len(data) {
			i++
			return data[i-1]
		}
		return 0
	}
	checkHeld := func() {
		if b.Held() > full.MaxPackets || b.allocated > full.MaxPackets {
			t.Fatalf("holding %d packets in %d buffers, bound %d", b.Held(), b.allocated, full.MaxPackets)
		}
		if b.held < 0 || b.missing < 0 {
			t.Fatalf("counts went negative: held %d missing %d", b.held, b.missing)
		}
	}
	popAll := func() {
		for {
			fr, ok := b.Pop(now)
			if !ok {
				break
			}
			checkFrame(t, fr)
			for _, p := range fr.Payloads {
				if len(p) > full.MaxPayload {
					t.Fatalf("payload of %d bytes, MaxPayload %d", len(p), full.MaxPayload)
				}
			}
			if s := b.Stats().Restarts; s != restarts {
				restarts, haveLast = s, false
			}
			if haveLast && int32(fr.Timestamp-lastTs) <= 0 {
				t.Fatalf("frame ts %d after %d: not increasing", fr.Timestamp, lastTs)
			}
			lastTs, haveLast = fr.Timestamp, true
			if cfg.Video && fr.LostBefore && !fr.Keyframe {
				t.Fatalf("video frame %s after a gap is not a keyframe", short(fr))
			}
		}
		if d := b.NextDeadline(); !d.IsZero() && d.Before(now) {
			t.Fatalf("NextDeadline %v before now %v after popping", d, now)
		}
		checkHeld()
	}
	for i < len(data) {
		switch op := next(); op % 8 {
		case 0, 1, 2: // a packet near the stream
			step, flags := int8(next()), next()
			seq += uint16(int16(step) >> 2)
			if flags&0x40 != 0 {
				ts += uint32(next()) * 100
			}
			var p []byte
			if size := int(flags >> 3 & 7); size != 0 {
				p = payloadFor(seq, ts, flags&1 != 0, flags&2 != 0, size*3-3)
			}
			b.Push(now, seq, ts, flags&4 != 0, p)
			checkHeld()
		case 3: // time passes
			now = now.Add(time.Duration(next()) * time.Millisecond / 4)
		case 4:
			popAll()
		case 5: // the whole actor pass: nothing may be left due
			popAll()
			nacks = b.AppendNACKs(nacks[:0], now)
			for _, s := range nacks {
				if !inWindow(b, s) {
					t.Fatalf("NACK for %d, outside the window [%d, %d]", s, uint16(b.next), uint16(b.highest))
				}
			}
			b.KeyframeRequested()
			if d := b.NextDeadline(); !d.IsZero() && !d.After(now) {
				t.Fatalf("NextDeadline %v not after now %v once everything due was done", d, now)
			}
		case 6:
			b.SetRTT(time.Duration(next()) * 2 * time.Millisecond)
			b.KeyframeRequested()
		case 7: // jumps, wild timestamps, resets
			switch a := next(); a % 4 {
			case 0:
				seq += uint16(a) << 6
			case 1:
				ts = binary.BigEndian.Uint32([]byte{a, next(), next(), next()})
			case 2:
				seq -= uint16(a) << 4
			case 3:
				if a == 3 {
					b.Reset()
					haveLast = false
				}
			}
		}
	}
	popAll()
}

// inWindow reports whether s lies inside the buffer's window: only holes
// there may be asked for.
func inWindow(b *Buffer, s uint16) bool {
	return b.started && int16(s-uint16(b.next)) >= 0 && int16(uint16(b.highest)-s) >= 0
}

// fuzzSeeds are hand-made runs: a clean video stream, loss with NACK,
// reordering, a restart, and an audio stream.
func fuzzSeeds() [][]byte {
	pkt := func(step int8, flags byte) []byte { return []byte{0, byte(step) << 2, flags} }
	const size = 2 << 3 // a 10-byte payload
	var video []byte
	video = append(video, 0b011, 0x12) // video, NACK, MaxPackets 1
	video[0] |= 20 << 2                // MaxPackets 21
	for f := range 6 {
		key := byte(0)
		if f == 0 || f == 4 {
			key = 1
		}
		video = append(video, 0, 4, size|key|2|0x40, 30) // first packet, new timestamp
		video = append(video, pkt(1, size|key)...)
		video = append(video, pkt(1, size|key|4)...) // marker
		video = append(video, 5, 3, 132)             // pass, 33 ms
	}
	lossy := append([]byte(nil), video...)
	lossy = append(lossy[:20], lossy[23:]...) // drop one packet
	lossy = append(lossy, 3, 255, 5, 3, 255, 5, 0, 0xf4, size|4, 5)

	reorder := []byte{0b001, 0x00,
		0, 4, size | 3 | 0x40, 30, 0, 8, size | 5, 0, 0xfc, size | 1, 5, 3, 40, 5}
	restart := []byte{0b000, 0x00, 0, 4, size | 0x40, 10, 4, 7, 128, 0, 4, size, 0, 4, size, 4, 0, 4, size, 5}
	audio := []byte{0b010, 0x20}
	for range 10 {
		audio = append(audio, 0, 4, size|0x40, 10, 3, 80, 5)
	}
	audio = append(audio, 0, 8, size|0x40, 10, 3, 200, 5, 3, 200, 5)
	wild := []byte{0xff, 0xff, 7, 1, 9, 9, 9, 0, 0x80, 0xff, 7, 3, 0, 0x7f, 0xc7, 200, 5, 6, 50, 5}
	return [][]byte{video, lossy, reorder, restart, audio, wild}
}
