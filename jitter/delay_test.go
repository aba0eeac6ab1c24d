package jitter

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// jittery builds an audio stream from time from (ms) for dur ms whose
// transit time is base plus a uniform spread, ordered by arrival.
func jittery(rng *rand.Rand, seq uint16, from, dur, base, spread float64) []ev {
	var evs []ev
	for i := 0; float64(20*i) < dur; i++ {
		sent := from + float64(20*i)
		evs = append(evs, ev{sent + base + spread*rng.Float64(), seq + uint16(i), uint32((from + float64(20*i)) * 48), "s"})
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return evs
}

func TestDelayAdapts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := newActor(t, Config{Codec: testCodec{}, MaxDelay: 400 * time.Millisecond})
	delayAt := func(until float64) time.Duration {
		a.runUntil(ms(until))
		return a.b.Stats().Delay
	}
	// Calm, then 10 s of 0-60 ms jitter, then calm again.
	a.feed(jittery(rng, 0, 0, 2000, 20, 0))
	calm0 := delayAt(2000)
	a.feed(jittery(rng, 100, 2000, 1000, 20, 60))
	rising := delayAt(3000)
	a.feed(jittery(rng, 150, 3000, 9000, 20, 60))
	peak := delayAt(12000)
	jit := a.b.Stats().Jitter
	a.feed(jittery(rng, 600, 12000, 1000, 20, 0))
	after1s := delayAt(13000)
	a.feed(jittery(rng, 650, 13000, 29000, 20, 0))
	after30s := delayAt(42000)
	t.Logf("delay: calm %v, after 1 s of jitter %v, after 10 s %v (J %v); calm again: 1 s %v, 30 s %v",
		calm0, rising, peak, jit, after1s, after30s)

	checks := []struct {
		name string
		ok   bool
	}{
		{"no delay without jitter", calm0 < time.Millisecond},
		{"jitter of 0-60 ms is estimated at 12-30 ms", jit > 12*time.Millisecond && jit < 30*time.Millisecond},
		{"delay is at least 3·J (it keeps recent peaks)", peak >= 3*jit && peak < 3*jit*3/2},
		{"grows within a second", rising > peak*2/3},
		{"shrinks slowly: over half left after 1 s of calm", after1s > peak/2},
		{"but does shrink", after1s < peak},
		{"near zero after 30 s of calm", after30s < 2*time.Millisecond},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: failed", c.name)
		}
	}
}

func TestDelayBounds(t *testing.T) {
	tests := []struct {
		name     string
		min, max time.Duration
		spread   float64
		want     func(time.Duration) bool
	}{
		{"MinDelay floors it", 80 * time.Millisecond, 0, 0, func(d time.Duration) bool { return d == 80*time.Millisecond }},
		{"MaxDelay caps it", 0, 30 * time.Millisecond, 200, func(d time.Duration) bool { return d == 30*time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newActor(t, Config{Codec: testCodec{}, MinDelay: tt.min, MaxDelay: tt.max})
			a.feed(jittery(rand.New(rand.NewPCG(3, 4)), 0, 0, 3000, 20, tt.spread))
			if d := a.b.Stats().Delay; !tt.want(d) {
				t.Errorf("delay %v", d)
			}
		})
	}
}

func TestDelayAllowsForRecovery(t *testing.T) {
	// With NACK, a frame that needed a retransmission raises the delay by
	// how late it completed, so that the next recovery does not stall.
	a := newActor(t, Config{Codec: testCodec{}, NACK: true})
	a.b.SetRTT(30 * time.Millisecond)
	sent := audio(0, 1, 0, 50)
	a.retransmitter(sent, 30, nil)
	a.feed(without(sent, 5))
	// Hole seen at 100 ms, asked for at 110, back at 140: 40 ms late.
	if d := a.b.Stats().Delay; d < 35*time.Millisecond || d > 40*time.Millisecond {
		t.Errorf("delay %v, want about 40 ms (decayed a little)", d)
	}
}
