package jitter

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// retransmitter makes the actor's onNACK play the sender: each requested
// packet comes back rtt later unless lose says that attempt is lost.
func (a *actor) retransmitter(sent []ev, rtt float64, lose func(seq uint16, attempt int) bool) {
	bySeq := map[uint16]ev{}
	for _, e := range sent {
		bySeq[e.seq] = e
	}
	attempts := map[uint16]int{}
	a.onNACK = func(seq uint16, at time.Time) {
		attempts[seq]++
		e, ok := bySeq[seq]
		if !ok || lose != nil && lose(seq, attempts[seq]) {
			return
		}
		e.at = toMS(at) + rtt
		a.schedule(e)
	}
}

func seqNames(from, to int, lostBefore ...int) []string {
	var s []string
	for i := from; i <= to; i++ {
		name := fmt.Sprint(i)
		if slices.Contains(lostBefore, i) {
			name = "!" + name
		}
		s = append(s, name)
	}
	return s
}

func TestNACK(t *testing.T) {
	const lostSeq = 5 // arrives never; 6 shows the hole at 100 ms
	tests := []struct {
		name      string
		rtt       time.Duration
		retries   int
		maxDelay  time.Duration
		lost      []uint16 // never arrive in the first place
		late      []ev     // arrive on their own, late
		lose      func(seq uint16, attempt int) bool
		wantNACKs []float64 // times seq 5 was asked for
		want      []string
		stats     Stats
	}{{
		name:      "first retransmission arrives",
		rtt:       30 * time.Millisecond,
		lost:      []uint16{lostSeq},
		wantNACKs: []float64{110},
		want:      seqNames(1, 15),
		stats:     Stats{Recovered: 1, NACKsSent: 1},
	}, {
		name:      "retry after one interval (RTT·5/4) when the first is lost",
		rtt:       30 * time.Millisecond,
		lost:      []uint16{lostSeq},
		lose:      func(_ uint16, n int) bool { return n == 1 },
		wantNACKs: []float64{110, 147.5},
		want:      seqNames(1, 15),
		stats:     Stats{Recovered: 1, NACKsSent: 2},
	}, {
		name:      "retry limit: three requests, then given up",
		rtt:       30 * time.Millisecond,
		retries:   3,
		lost:      []uint16{lostSeq},
		lose:      func(uint16, int) bool { return true },
		wantNACKs: []float64{110, 147.5, 185},
		want:      slices.Delete(seqNames(1, 15, 6), 4, 5),
		stats:     Stats{Lost: 1, NACKsSent: 3},
	}, {
		name:      "pacing follows the RTT",
		rtt:       100 * time.Millisecond,
		retries:   3,
		lost:      []uint16{lostSeq},
		lose:      func(uint16, int) bool { return true },
		wantNACKs: []float64{110, 235, 360},
		want:      slices.Delete(seqNames(1, 15, 6), 4, 5),
	}, {
		name:      "no request once given up (MaxDelay bounds the wait)",
		rtt:       30 * time.Millisecond,
		maxDelay:  150 * time.Millisecond,
		lost:      []uint16{lostSeq},
		lose:      func(uint16, int) bool { return true },
		wantNACKs: []float64{110, 147.5, 185, 222.5},
		want:      slices.Delete(seqNames(1, 15, 6), 4, 5),
		stats:     Stats{Lost: 1, NACKsSent: 4},
	}, {
		name:  "reordered packet arrives before the first request",
		rtt:   30 * time.Millisecond,
		lost:  []uint16{lostSeq},
		late:  []ev{{105, lostSeq, 4 * 960, "s"}},
		want:  seqNames(1, 15),
		stats: Stats{Recovered: 0, NACKsSent: 0},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newActor(t, Config{Codec: testCodec{}, NACK: true, MaxNACKRetries: tt.retries, MaxDelay: tt.maxDelay})
			a.b.SetRTT(tt.rtt)
			sent := audio(0, 1, 0, 15)
			a.retransmitter(sent, float64(tt.rtt)/1e6, tt.lose)
			for _, e := range tt.late {
				a.schedule(e)
			}
			a.feed(without(sent, tt.lost...))
			a.runUntil(ms(2000))
			var got []float64
			for _, n := range a.nacks {
				if n.seq == lostSeq {
					got = append(got, n.at)
				}
			}
			if !slices.Equal(got, tt.wantNACKs) {
				t.Errorf("NACKs of %d at %v ms, want %v", lostSeq, got, tt.wantNACKs)
			}
			if !slices.Equal(a.frames, tt.want) {
				t.Errorf("frames %q, want %q", a.frames, tt.want)
			}
			checkCounters(t, a.b.Stats(), tt.stats)
			if s := a.b.Stats(); tt.stats.NACKsSent == 0 && tt.wantNACKs == nil && s.NACKsSent != 0 {
				t.Errorf("NACKsSent = %d, want 0", s.NACKsSent)
			}
		})
	}
}

func TestKeyframeRequestPacing(t *testing.T) {
	tests := []struct {
		name string
		rtt  time.Duration
		want []float64
	}{
		{"300 ms floor", 30 * time.Millisecond, []float64{110, 410, 710, 1010}},
		{"two RTTs", 200 * time.Millisecond, []float64{110, 510, 910}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newActor(t, videoCfg)
			a.b.SetRTT(tt.rtt)
			evs := frame(0, 1, 0, 2, true)
			for i := 1; i <= 12; i++ { // delta frames only, one lost packet
				evs = append(evs, frame(float64(100*i), uint16(1+2*i), uint32(9000*i), 2, false)...)
			}
			evs = append(without(evs, 3), frame(1300, 27, 117000, 2, true)...)
			evs = append(evs, frame(1400, 29, 126000, 2, false)...)
			a.feed(evs)
			a.runUntil(ms(3000))
			if !slices.Equal(a.kfs, tt.want) {
				t.Errorf("keyframe requests at %v ms, want %v", a.kfs, tt.want)
			}
			if want := []string{"1-2", "!27-28", "29-30"}; !slices.Equal(a.frames, want) {
				t.Errorf("frames %q, want %q", a.frames, want)
			}
		})
	}
}
