package jitter

import (
	"math/rand/v2"
	"testing"
	"time"
)

// randomTraffic pushes n packets of every kind of nonsense and checks the
// memory bound after each: held packets and payload buffers never exceed
// MaxPackets.
func randomTraffic(t testing.TB, b *Buffer, rng *rand.Rand, n int) {
	cfg := b.cfg
	now := t0
	seq, ts := uint16(rng.Uint32()), rng.Uint32()
	var nacks []uint16
	for i := range n {
		switch r := rng.IntN(1000); {
		case r < 800: // near the stream, reordered
			seq += uint16(rng.IntN(4))
		case r < 900:
			seq -= uint16(rng.IntN(50))
		case r < 990:
			seq += uint16(rng.IntN(200))
		default:
			seq = uint16(rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			ts += uint32(rng.IntN(6000))
		}
		if rng.IntN(200) == 0 {
			ts = rng.Uint32()
		}
		size := rng.IntN(cfg.MaxPayload + 20)
		if rng.IntN(10) == 0 {
			size = 0
		}
		p := payloadFor(seq, ts, rng.IntN(10) == 0, rng.IntN(3) == 0, max(size-7, 0))
		if size == 0 {
			p = nil
		}
		now = now.Add(time.Duration(rng.IntN(3000)) * time.Microsecond)
		b.Push(now, seq, ts, rng.IntN(3) == 0, p)
		if b.Held() > cfg.MaxPackets || b.allocated > cfg.MaxPackets {
			t.Fatalf("packet %d: holding %d packets in %d buffers, bound %d", i, b.Held(), b.allocated, cfg.MaxPackets)
		}
		for {
			if _, ok := b.Pop(now); !ok {
				break
			}
		}
		if i%8 == 0 {
			nacks = b.AppendNACKs(nacks[:0], now)
			b.KeyframeRequested()
		}
	}
}

func TestMemoryBound(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		n    int
	}{
		{"video, NACK, 64 packets", Config{Video: true, Codec: testCodec{}, NACK: true, MaxPackets: 64, MaxPayload: 100}, 1_000_000},
		{"audio, 16 packets", Config{Codec: testCodec{}, MaxPackets: 16, MaxPayload: 40, MinDelay: 20 * time.Millisecond}, 300_000},
		{"video defaults", Config{Video: true, Codec: testCodec{}, NACK: true}, 300_000},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			if testing.Short() {
				n /= 10
			}
			b := New(tt.cfg)
			randomTraffic(t, b, rand.New(rand.NewPCG(uint64(i), 7)), n)
			s := b.Stats()
			t.Logf("%+v; %d buffers made", s, b.allocated)
			if s.Dropped == 0 || s.Frames == 0 {
				t.Errorf("the traffic exercised too little: %+v", s)
			}
		})
	}
}

// steadyVideo feeds a 5-packet-per-frame video stream with 2% loss and
// retransmission, one packet per call.
type steadyVideo struct {
	b     *Buffer
	now   time.Time
	seq   uint16
	n     int
	nacks []uint16
	rtx   []uint16
	pay   []byte
}

func (v *steadyVideo) step() {
	i := v.n
	v.n++
	ts := uint32(i/5) * 3000
	v.now = v.now.Add(33 * time.Millisecond / 5)
	seq := v.seq
	v.seq++
	v.pay[0] = 0
	if i%5 == 0 {
		v.pay[0] |= 2
	}
	if i%(5*30) < 5 {
		v.pay[0] |= 1
	}
	if i%50 != 17 { // 2% lost, retransmitted on request
		v.b.Push(v.now, seq, ts, i%5 == 4, v.pay)
	}
	for _, s := range v.rtx {
		v.b.Push(v.now, s, uint32(s/5)*3000, s%5 == 4, v.pay)
	}
	v.rtx = v.rtx[:0]
	for {
		if _, ok := v.b.Pop(v.now); !ok {
			break
		}
	}
	v.nacks = v.b.AppendNACKs(v.nacks[:0], v.now)
	v.rtx = append(v.rtx, v.nacks...)
	v.b.KeyframeRequested()
	_ = v.b.NextDeadline()
}

func newSteadyVideo() *steadyVideo {
	b := New(Config{Video: true, Codec: testCodec{}, NACK: true})
	b.SetRTT(30 * time.Millisecond)
	return &steadyVideo{b: b, now: t0, nacks: make([]uint16, 0, 64), rtx: make([]uint16, 0, 64), pay: make([]byte, 1000)}
}

func TestNoAllocationsAfterWarmUp(t *testing.T) {
	v := newSteadyVideo()
	for range 5000 {
		v.step()
	}
	if allocs := testing.AllocsPerRun(5000, v.step); allocs != 0 {
		t.Errorf("%v allocations per packet after warm-up, want 0", allocs)
	}
	if s := v.b.Stats(); s.Recovered == 0 || s.Frames < 300 {
		t.Errorf("the stream exercised too little: %+v", s)
	}
}
