package jitter

import "time"

// NextDeadline is the earliest time at which calling Pop, AppendNACKs or
// KeyframeRequested may have a new result without a new packet: a frame
// becoming due, a give-up, a NACK (re)try, a keyframe request. Something
// already due is reported as the latest now the buffer has seen, never
// earlier. The zero Time means nothing is pending.
func (b *Buffer) NextDeadline() time.Time {
	best, ok := int64(0), false
	consider := func(t int64) {
		if !ok || t < best {
			best, ok = t, true
		}
	}
	if b.started && b.next <= b.highest {
		if act, h := b.decide(b.now); act == actWait {
			consider(h.due)
		} else {
			consider(b.now)
		}
	}
	if t, yes := b.nextNACK(); yes {
		consider(t)
	}
	if t, yes := b.nextKeyframeRequest(); yes {
		consider(t)
	}
	if !ok {
		return time.Time{}
	}
	return b.timeAt(max(best, b.now))
}
