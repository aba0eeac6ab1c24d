package jitter

import (
	"math"
	"time"
)

// The playout delay and the waits for missing packets come from a few
// estimates, all in nanoseconds:
//
//   - J, the RFC 3550 interarrival jitter: J += (|D| - J)/16, where D is the
//     change in transit time between consecutive in-order packets (arrival
//     difference minus RTP timestamp difference). Retransmissions and
//     reordered packets are left out: they measure recovery, not the path.
//   - L, the recovery lateness: for each delivered frame that needed a
//     retransmission, how long after its first packet it became complete.
//     A peak that decays with time constant lateTau.
//   - R, the recovery time: from noticing a hole to its packet arriving,
//     late arrivals (after giving up) included. A peak decaying over recovTau.
//   - q, the chance that one NACK does not bring its packet back before the
//     next retry: a moving average over requests (retry = failure,
//     arrival = success), starting at 0.1.
//
// Target playout delay:
//
//	target = clamp(3·J + L, MinDelay, MaxDelay)   (L only with NACK on)
//
// It rises at once and falls with time constant delayDownTau: a frame is
// due at its first arrival plus the delay, so jitter and recoveries that
// were seen recently are absorbed without a stall, and a calm spell shrinks
// the latency slowly rather than oscillating.
//
// A hole is waited for (the patience W, from the moment it is noticed):
//
//	without NACK: W = reorderWait = clamp(2·J, 10 ms, 40 ms)
//	with NACK:    W = min(max(reorderWait + n·retry, R), MaxDelay)
//	              (while video waits for a keyframe, the cap is the NACK
//	              budget reorderWait + MaxNACKRetries·retry instead)
//	              retry = max(RTT + RTT/4 + 2·J, 20 ms)
//	              n = NACK rounds needed for 99.9% recovery: q^n <= 0.001,
//	                  1 <= n <= MaxNACKRetries; 1 if q > 0.9 (NACK is not
//	                  being answered, so waiting only stalls).
//
// The first NACK for a hole goes out reorderWait after it is noticed (a
// reordered packet usually arrives by then); retries every retry interval.
const (
	jitterK      = 3
	delayDownTau = 3 * time.Second
	lateTau      = 10 * time.Second
	recovTau     = 30 * time.Second

	minReorderWait = 10 * time.Millisecond
	maxReorderWait = 40 * time.Millisecond
	minRetry       = 20 * time.Millisecond
	defaultRTT     = 100 * time.Millisecond

	// maxTransitStep caps one jitter sample: a clock step or a long pause
	// must not blow the estimate up for seconds.
	maxTransitStep = float64(time.Second)

	nackResidual = 0.001 // recovery probability aimed for: 99.9%
	nackPrior    = 0.1
	nackUseless  = 0.9
)

type estimates struct {
	jitter  float64 // J
	jitHave bool
	jitArr  int64
	jitTs   uint32

	nackFail float64 // q
	recov    peak    // R
	late     peak    // L

	delay   float64 // the filtered target delay
	delayAt int64
	dirty   bool // an estimate changed since the delay was last refreshed
}

func (e *estimates) init(cfg Config) {
	e.nackFail = nackPrior
	e.delay = float64(cfg.MinDelay)
}

// observe feeds one in-order packet to the jitter estimate (RFC 3550 A.8).
func (e *estimates) observe(t int64, ts uint32, clock uint32) {
	if e.jitHave {
		d := float64(t-e.jitArr) - float64(int32(ts-e.jitTs))*1e9/float64(clock)
		d = min(math.Abs(d), maxTransitStep)
		e.jitter += (d - e.jitter) / 16
		e.dirty = true
	}
	e.jitHave, e.jitArr, e.jitTs = true, t, ts
}

// recovered notes a NACKed packet that arrived took ns after its hole was seen.
func (e *estimates) recovered(t, took int64) {
	e.recov.add(t, float64(took), recovTau)
	e.nackFail -= e.nackFail / 32
}

// recoveredFrame notes a frame that needed a retransmission and completed
// late after its first packet.
func (e *estimates) recoveredFrame(t, late int64) {
	e.late.add(t, float64(late), lateTau)
	e.dirty = true
}

// unanswered notes a NACK retry: the previous request did not work in time.
func (e *estimates) unanswered() { e.nackFail += (1 - e.nackFail) / 32 }

// peak is a maximum that decays exponentially with time: quick to rise,
// slow to forget.
type peak struct {
	v  float64
	at int64
}

func (p *peak) decay(t int64, tau time.Duration) {
	if t > p.at {
		if p.v != 0 {
			p.v *= math.Exp(-float64(t-p.at) / float64(tau))
		}
		p.at = t
	}
}

func (p *peak) add(t int64, x float64, tau time.Duration) {
	p.decay(t, tau)
	p.v = max(p.v, x)
}

// refreshDelay moves the target delay to time t.
func (b *Buffer) refreshDelay(t int64) {
	e := &b.est
	if t <= e.delayAt && !e.dirty {
		return // nothing moved: this runs several times per packet
	}
	e.dirty = false
	e.recov.decay(t, recovTau)
	e.late.decay(t, lateTau)
	target := jitterK * e.jitter
	if b.cfg.NACK {
		target += e.late.v
	}
	target = min(max(target, float64(b.cfg.MinDelay)), float64(b.cfg.MaxDelay))
	if target >= e.delay {
		e.delay = target
	} else if t > e.delayAt {
		e.delay = target + (e.delay-target)*math.Exp(-float64(t-e.delayAt)/float64(delayDownTau))
	}
	e.delayAt = max(e.delayAt, t)
	b.delay = int64(e.delay)
}

func (b *Buffer) reorderWait() int64 {
	return min(max(int64(2*b.est.jitter), int64(minReorderWait)), int64(maxReorderWait))
}

func (b *Buffer) rttOrDefault() int64 {
	if b.rtt > 0 {
		return b.rtt
	}
	return int64(defaultRTT)
}

func (b *Buffer) retryInterval() int64 {
	rtt := b.rttOrDefault()
	return max(rtt+rtt/4+int64(2*b.est.jitter), int64(minRetry))
}

// rounds is how many NACK rounds to wait for, given q.
func (b *Buffer) rounds() int64 {
	q := b.est.nackFail
	n := 1.0
	if q > nackUseless {
		return 1
	} else if q > nackResidual {
		n = math.Ceil(math.Log(nackResidual) / math.Log(q))
	}
	return int64(min(max(n, 1), float64(b.cfg.MaxNACKRetries)))
}

// patience is how long a hole is waited for once noticed.
func (b *Buffer) patience() int64 {
	w := b.reorderWait()
	if !b.cfg.NACK {
		return min(w, int64(b.cfg.MaxDelay))
	}
	retry := b.retryInterval()
	w = max(w+b.rounds()*retry, int64(b.est.recov.v))
	if b.cfg.Video && b.needKey {
		// Decoding waits for a keyframe: nothing can be shown meanwhile,
		// and the frames behind go out at once when it completes, so a
		// keyframe recovered late beats the next one (a request, a round
		// trip and a large frame away). Only the NACK budget bounds it.
		return min(w, b.reorderWait()+int64(b.cfg.MaxNACKRetries)*retry)
	}
	return min(w, int64(b.cfg.MaxDelay))
}
