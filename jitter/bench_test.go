package jitter

import (
	"testing"
	"time"
)

// BenchmarkPushPop: one audio packet in and out per op, NACK on, after
// warm-up; it must not allocate.
func BenchmarkPushPop(b *testing.B) {
	buf := New(Config{Codec: testCodec{}, NACK: true})
	now, seq, ts := t0, uint16(0), uint32(0)
	pay := make([]byte, 160)
	nacks := make([]uint16, 0, 16)
	step := func() {
		now = now.Add(20 * time.Millisecond)
		buf.Push(now, seq, ts, false, pay)
		seq++
		ts += 960
		for {
			if _, ok := buf.Pop(now); !ok {
				break
			}
		}
		nacks = buf.AppendNACKs(nacks[:0], now)
	}
	for range 1000 {
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
}

// BenchmarkVideo: one video packet per op (5 per frame, 1000-byte
// payloads) with 2% loss recovered by NACK, the whole actor pass included.
func BenchmarkVideo(b *testing.B) {
	v := newSteadyVideo()
	for range 5000 {
		v.step()
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(v.pay)))
	b.ResetTimer()
	for b.Loop() {
		v.step()
	}
}
