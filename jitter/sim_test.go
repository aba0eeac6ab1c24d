package jitter

import (
	"container/heap"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The simulation runs a 30 fps video sender, a lossy channel and a receiver
// actor around a Buffer, on simulated time: the sender keeps a history for
// retransmission and answers keyframe requests with a keyframe; the channel
// loses media, retransmissions and feedback alike.

type simConfig struct {
	loss      float64
	oneWay    time.Duration // RTT is twice this
	spread    time.Duration // extra random delay on each packet (reorders)
	duration  time.Duration
	perFrame  int // packets per delta frame (keyframes have 4 times as many)
	seed      uint64
	keyPeriod int           // frames between periodic keyframes; 0 means only on request
	maxDelay  time.Duration // the receiver's Config.MaxDelay
}

type simResult struct {
	sent, delivered, keyframesSent, keyframesDelivered int
	longestGap                                         time.Duration // longest time without a delivered frame
	latency, latencyP99                                time.Duration // capture to Pop
	stats                                              Stats
}

type simEvent struct {
	at   time.Duration
	n    int // tie-break: insertion order, for determinism
	kind simKind
	seq  uint16
	ts   uint32
	mark bool
	pay  []byte
	nack []uint16
}

type simKind uint8

const (
	simFrame  simKind = iota // the sender captures a frame
	simPacket                // a packet reaches the receiver
	simNACK                  // a NACK reaches the sender
	simPLI                   // a keyframe request reaches the sender
	simWake                  // the receiver's timer fires
)

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].n < q[j].n
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type sim struct {
	cfg   simConfig
	rng   *rand.Rand
	q     simQueue
	n     int
	b     *Buffer
	t     testing.TB
	now   time.Duration
	wake  time.Duration // the receiver's timer, -1 when unset
	nacks []uint16

	// sender
	seq      uint16
	frameNo  int
	wantKey  bool
	history  map[uint16]simEvent
	captured map[uint32]time.Duration // ts -> capture time
	packets  map[uint32]int           // ts -> packets in the frame

	res       simResult
	lastFrame time.Duration
	latencies []time.Duration
}

func (s *sim) at(d time.Duration, e simEvent) {
	e.at, e.n = d, s.n
	s.n++
	heap.Push(&s.q, e)
}

func (s *sim) lost() bool { return s.rng.Float64() < s.cfg.loss }

// send puts a packet on the channel towards the receiver.
func (s *sim) send(e simEvent, after time.Duration) {
	if s.lost() {
		return
	}
	d := s.now + after + s.cfg.oneWay + time.Duration(s.rng.Int64N(int64(s.cfg.spread)+1))
	e.kind = simPacket
	s.at(d, e)
}

func (s *sim) captureFrame() {
	key := s.frameNo == 0 || s.wantKey || s.cfg.keyPeriod > 0 && s.frameNo%s.cfg.keyPeriod == 0
	s.wantKey = false
	n := s.cfg.perFrame
	if key {
		n *= 4
		s.res.keyframesSent++
	}
	ts := uint32(s.frameNo * 3000)
	s.captured[ts] = s.now
	s.packets[ts] = n
	for i := range n {
		pay := make([]byte, 12)
		if key {
			pay[0] |= 1
		}
		if i == 0 {
			pay[0] |= 2
		}
		binary.BigEndian.PutUint32(pay[1:], uint32(s.frameNo))
		pay[5] = byte(i)
		pay[6] = byte(n)
		e := simEvent{seq: s.seq, ts: ts, mark: i == n-1, pay: pay}
		s.history[s.seq] = e
		delete(s.history, s.seq-4096) // a bounded history, like a real sender
		s.seq++
		s.send(e, time.Duration(i)*500*time.Microsecond) // paced
	}
	s.res.sent++
	s.frameNo++
}

// service is the receiver actor's pass after a packet or a timer.
func (s *sim) service() {
	now := t0.Add(s.now)
	for {
		f, ok := s.b.Pop(now)
		if !ok {
			break
		}
		s.checkFrame(f)
	}
	s.nacks = s.b.AppendNACKs(s.nacks[:0], now)
	if len(s.nacks) > 0 && !s.lost() {
		s.at(s.now+s.cfg.oneWay, simEvent{kind: simNACK, nack: slices.Clone(s.nacks)})
	}
	if s.b.KeyframeRequested() && !s.lost() {
		s.at(s.now+s.cfg.oneWay, simEvent{kind: simPLI})
	}
	if d := s.b.NextDeadline(); !d.IsZero() {
		w := d.Sub(t0)
		if w <= s.now {
			s.t.Fatalf("at %v: deadline %v not in the future after servicing", s.now, w)
		}
		if s.wake < 0 || w < s.wake || s.wake <= s.now {
			s.wake = w
			s.at(w, simEvent{kind: simWake})
		}
	}
}

func (s *sim) checkFrame(f Frame) {
	n, ok := s.packets[f.Timestamp]
	if !ok || len(f.Payloads) != n {
		s.t.Fatalf("frame ts %d: %d payloads, sent %d", f.Timestamp, len(f.Payloads), n)
	}
	for i, p := range f.Payloads {
		if int(p[5]) != i || int(binary.BigEndian.Uint32(p[1:])) != int(f.Timestamp/3000) {
			s.t.Fatalf("frame ts %d: payload %d is packet %d of frame %d", f.Timestamp, i, p[5], binary.BigEndian.Uint32(p[1:]))
		}
	}
	if f.LostBefore && !f.Keyframe {
		s.t.Fatalf("frame ts %d follows a gap but is not a keyframe", f.Timestamp)
	}
	s.res.delivered++
	if f.Keyframe {
		s.res.keyframesDelivered++
	}
	s.latencies = append(s.latencies, s.now-s.captured[f.Timestamp])
	s.res.longestGap = max(s.res.longestGap, s.now-s.lastFrame)
	s.lastFrame = s.now
}

func runSim(t testing.TB, cfg simConfig) simResult {
	s := &sim{
		cfg: cfg, t: t, rng: rand.New(rand.NewPCG(cfg.seed, 99)), wake: -1,
		b:        New(Config{Video: true, Codec: testCodec{}, NACK: true, MaxDelay: cfg.maxDelay}),
		history:  map[uint16]simEvent{},
		captured: map[uint32]time.Duration{},
		packets:  map[uint32]int{},
	}
	s.b.SetRTT(2 * cfg.oneWay) // as RTCP would report
	s.at(0, simEvent{kind: simFrame})
	end := cfg.duration + 2*time.Second // let the last frames drain
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(simEvent)
		if e.at > end {
			break
		}
		s.now = e.at
		switch e.kind {
		case simFrame:
			s.captureFrame()
			if next := time.Duration(s.frameNo) * time.Second / 30; next < cfg.duration {
				s.at(next, simEvent{kind: simFrame})
			}
		case simPacket:
			s.b.Push(t0.Add(s.now), e.seq, e.ts, e.mark, e.pay)
			s.service()
		case simNACK:
			for _, seq := range e.nack {
				if p, ok := s.history[seq]; ok {
					s.send(p, 0)
				}
			}
		case simPLI:
			s.wantKey = true
		case simWake:
			if e.at == s.wake {
				s.wake = -1
			}
			s.service()
		}
	}
	slices.Sort(s.latencies)
	if n := len(s.latencies); n > 0 {
		var sum time.Duration
		for _, l := range s.latencies {
			sum += l
		}
		s.res.latency = sum / time.Duration(n)
		s.res.latencyP99 = s.latencies[n*99/100]
	}
	s.res.stats = s.b.Stats()
	return s.res
}

func TestSimulation(t *testing.T) {
	tests := []struct {
		name string
		cfg  simConfig
		// minimum share of sent frames delivered complete
		minDelivered float64
		// longest stretch without a frame
		maxGap time.Duration
	}{
		{"clean", simConfig{loss: 0}, 1, 100 * time.Millisecond},
		{"5% loss", simConfig{loss: 0.05}, 0.99, time.Second},
		{"20% loss", simConfig{loss: 0.20}, 0.98, time.Second},
		// A 150 ms bound on the wait leaves some losses unrecoverable:
		// the stream must go on from requested keyframes.
		{"20% loss, 150 ms bound", simConfig{loss: 0.20, maxDelay: 150 * time.Millisecond}, 0.5, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.oneWay, cfg.spread, cfg.duration, cfg.perFrame, cfg.seed = 15*time.Millisecond, 2*time.Millisecond, 60*time.Second, 5, 1
			r := runSim(t, cfg)
			share := float64(r.delivered) / float64(r.sent)
			st := r.stats
			t.Logf("%d of %d frames complete (%.2f%%); keyframes sent %d, delivered %d; longest gap %v; latency mean %v p99 %v",
				r.delivered, r.sent, 100*share, r.keyframesSent, r.keyframesDelivered, r.longestGap,
				r.latency.Round(time.Millisecond), r.latencyP99.Round(time.Millisecond))
			t.Logf("lost %d recovered %d NACKs %d keyframe requests %d dropped %d late %d; delay %v jitter %v",
				st.Lost, st.Recovered, st.NACKsSent, st.KeyframeRequests, st.Dropped, st.Late,
				st.Delay.Round(time.Millisecond), st.Jitter.Round(100*time.Microsecond))
			if share < tt.minDelivered {
				t.Errorf("%.2f%% of frames delivered complete, want at least %.0f%%", 100*share, 100*tt.minDelivered)
			}
			if r.longestGap > tt.maxGap {
				t.Errorf("longest gap without a frame %v, want at most %v", r.longestGap, tt.maxGap)
			}
			if tt.cfg.maxDelay != 0 && (st.KeyframeRequests == 0 || r.keyframesDelivered < 2) {
				t.Errorf("under heavy loss the stream must resume at requested keyframes: %d requests, %d keyframes delivered",
					st.KeyframeRequests, r.keyframesDelivered)
			}
		})
	}
}
