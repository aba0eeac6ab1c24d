package jitter

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// testCodec reads the first payload byte: bit 0 keyframe, bit 1 frame start.
type testCodec struct{}

func (testCodec) IsKeyframe(p []byte) bool   { return len(p) > 0 && p[0]&1 != 0 }
func (testCodec) IsFrameStart(p []byte) bool { return len(p) > 0 && p[0]&2 != 0 }

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Millisecond))) }

func toMS(t time.Time) float64 { return float64(t.Sub(t0)) / float64(time.Millisecond) }

// ev is one packet arriving: at ms, with flags k (keyframe), s (frame
// start), m (marker), p (padding: empty payload), b (10 bytes bigger).
type ev struct {
	at    float64
	seq   uint16
	ts    uint32
	flags string
}

// payloadFor encodes flags, seq and ts, so that tests can check what comes
// out against what went in.
func payloadFor(seq uint16, ts uint32, key, start bool, extra int) []byte {
	p := make([]byte, 7+extra)
	if key {
		p[0] |= 1
	}
	if start {
		p[0] |= 2
	}
	binary.BigEndian.PutUint16(p[1:], seq)
	binary.BigEndian.PutUint32(p[3:], ts)
	return p
}

func (e ev) push(b *Buffer) {
	var p []byte
	if !strings.Contains(e.flags, "p") {
		extra := 0
		if strings.Contains(e.flags, "b") {
			extra = 10
		}
		p = payloadFor(e.seq, e.ts, strings.Contains(e.flags, "k"), strings.Contains(e.flags, "s"), extra)
	}
	b.Push(ms(e.at), e.seq, e.ts, strings.Contains(e.flags, "m"), p)
}

// got is a popped frame in short form: "first-last" (or "seq" for one
// packet), "!" before it when LostBefore, "k" after it when a keyframe.
func short(f Frame) string {
	s := fmt.Sprint(f.FirstSeq)
	if f.LastSeq != f.FirstSeq {
		s += fmt.Sprintf("-%d", f.LastSeq)
	}
	if f.LostBefore {
		s = "!" + s
	}
	return s
}

// checkFrame verifies a frame's payloads against its sequence range.
func checkFrame(t testing.TB, f Frame) {
	t.Helper()
	n := int(f.LastSeq-f.FirstSeq) + 1
	if len(f.Payloads) != n {
		t.Fatalf("frame %s: %d payloads for %d sequence numbers", short(f), len(f.Payloads), n)
	}
	key := false
	for i, p := range f.Payloads {
		if len(p) < 7 {
			t.Fatalf("frame %s: payload %d is %d bytes", short(f), i, len(p))
		}
		if seq := binary.BigEndian.Uint16(p[1:]); seq != f.FirstSeq+uint16(i) {
			t.Fatalf("frame %s: payload %d carries seq %d", short(f), i, seq)
		}
		if ts := binary.BigEndian.Uint32(p[3:]); ts != f.Timestamp {
			t.Fatalf("frame %s: payload %d carries ts %d, frame has %d", short(f), i, ts, f.Timestamp)
		}
		key = key || p[0]&1 != 0
	}
	if key != f.Keyframe {
		t.Fatalf("frame %s: Keyframe %v, payloads say %v", short(f), f.Keyframe, key)
	}
}

// actor plays the RTP receiver: after every packet, and at every deadline
// the buffer asks for, it pops frames, collects NACKs and keyframe requests.
type actor struct {
	t      testing.TB
	b      *Buffer
	now    time.Time
	frames []string
	at     []float64 // when each frame was popped, in ms
	nacks  []nackAt
	kfs    []float64
	// onNACK, if set, plays the sender: it gets each requested number.
	onNACK func(seq uint16, at time.Time)
	later  []ev // packets scheduled by onNACK, by time
}

type nackAt struct {
	seq uint16
	at  float64
}

func newActor(t testing.TB, cfg Config) *actor {
	return &actor{t: t, b: New(cfg), now: t0}
}

func (a *actor) service() {
	a.t.Helper()
	for {
		f, ok := a.b.Pop(a.now)
		if !ok {
			break
		}
		checkFrame(a.t, f)
		a.frames = append(a.frames, short(f))
		a.at = append(a.at, toMS(a.now))
	}
	for _, s := range a.b.AppendNACKs(nil, a.now) {
		a.nacks = append(a.nacks, nackAt{s, toMS(a.now)})
		if a.onNACK != nil {
			a.onNACK(s, a.now)
		}
	}
	if a.b.KeyframeRequested() {
		a.kfs = append(a.kfs, toMS(a.now))
	}
	if d := a.b.NextDeadline(); !d.IsZero() && !d.After(a.now) {
		a.t.Fatalf("at %v ms: NextDeadline %v ms is not after now once everything due was done", toMS(a.now), toMS(d))
	}
}

// runUntil wakes at every deadline before until, then moves to until.
func (a *actor) runUntil(until time.Time) {
	a.t.Helper()
	for {
		d := a.b.NextDeadline()
		if d.IsZero() || d.After(until) {
			break
		}
		a.now = d
		a.service()
	}
	if until.After(a.now) {
		a.now = until
	}
}

// feed delivers packets at their times (and those scheduled meanwhile, such
// as retransmissions), servicing deadlines in between.
func (a *actor) feed(evs []ev) {
	a.t.Helper()
	for len(evs) > 0 || len(a.later) > 0 {
		fromLater := len(a.later) > 0 && (len(evs) == 0 || a.later[0].at < evs[0].at)
		var e ev
		if fromLater {
			e = a.later[0]
		} else {
			e = evs[0]
		}
		if d := a.b.NextDeadline(); !d.IsZero() && d.Before(ms(e.at)) {
			// Something is due before this packet: handle it first, then
			// look again (it may schedule an earlier packet).
			a.now = d
			a.service()
			continue
		}
		if fromLater {
			a.later = a.later[1:]
		} else {
			evs = evs[1:]
		}
		a.now = ms(e.at)
		e.push(a.b)
		a.service()
	}
}

// schedule queues a packet to arrive later (a retransmission).
func (a *actor) schedule(e ev) {
	i, _ := slices.BinarySearchFunc(a.later, e.at, func(x ev, at float64) int { return cmp.Compare(x.at, at+1e-9) })
	a.later = slices.Insert(a.later, i, e)
}

// frame builds the events of one frame of n packets sent at one time.
func frame(at float64, seq uint16, ts uint32, n int, key bool) []ev {
	var evs []ev
	for i := range n {
		f := ""
		if key {
			f += "k"
		}
		if i == 0 {
			f += "s"
		}
		if i == n-1 {
			f += "m"
		}
		evs = append(evs, ev{at, seq + uint16(i), ts, f})
	}
	return evs
}

func cat(parts ...[]ev) []ev {
	var all []ev
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// without drops the packets with the given sequence numbers.
func without(evs []ev, seqs ...uint16) []ev {
	var out []ev
outer:
	for _, e := range evs {
		for _, s := range seqs {
			if e.seq == s {
				continue outer
			}
		}
		out = append(out, e)
	}
	return out
}

// audio builds n audio packets, 20 ms apart, from seq and ts.
func audio(at float64, seq uint16, ts uint32, n int) []ev {
	var evs []ev
	for i := range n {
		evs = append(evs, ev{at + float64(20*i), seq + uint16(i), ts + uint32(960*i), "s"})
	}
	return evs
}
