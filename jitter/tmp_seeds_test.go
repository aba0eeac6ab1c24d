package jitter

import (
	"testing"
	"time"
)

func TestTmpSeeds(t *testing.T) {
	for _, loss := range []float64{0.05, 0.2} {
		for _, md := range []time.Duration{0, 150 * time.Millisecond} {
			worst, sum := 1.0, 0.0
			var gap time.Duration
			for seed := uint64(1); seed <= 20; seed++ {
				r := runSim(t, simConfig{loss: loss, maxDelay: md, oneWay: 15 * time.Millisecond, spread: 2 * time.Millisecond, duration: 60 * time.Second, perFrame: 5, seed: seed})
				sh := float64(r.delivered) / float64(r.sent)
				worst = min(worst, sh)
				sum += sh
				gap = max(gap, r.longestGap)
			}
			t.Logf("loss %.2f maxDelay %v: worst %.4f mean %.4f longest gap %v", loss, md, worst, sum/20, gap)
		}
	}
}
