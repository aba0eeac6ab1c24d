package jitter

import "time"

// AppendNACKs appends to dst the sequence numbers to request now and returns
// the extended slice. A hole is first asked for reorderWait after it was
// noticed, then again every retry interval (see delay.go), at most
// MaxNACKRetries times, and never once given up on. Without Config.NACK it
// returns dst unchanged.
func (b *Buffer) AppendNACKs(dst []uint16, now time.Time) []uint16 {
	t := b.tick(now)
	if !b.cfg.NACK || !b.started || b.missing == 0 {
		return dst
	}
	first, retry := b.reorderWait(), b.retryInterval()
	seen := 0
	for e := b.next; e <= b.highest && seen < b.missing; e++ {
		s := b.at(e)
		if s.state != slotMissing {
			continue
		}
		seen++
		if int(s.nacks) >= b.cfg.MaxNACKRetries || t < nackDue(s, first, retry) {
			continue
		}
		if s.nacks > 0 {
			b.est.unanswered()
		}
		s.nacks++
		s.lastNack = t
		dst = append(dst, uint16(e))
		b.stats.NACKsSent++
	}
	return dst
}

func nackDue(s *slot, first, retry int64) int64 {
	if s.nacks == 0 {
		return s.since + first
	}
	return s.lastNack + retry
}

// nextNACK is when AppendNACKs will next have something to send.
func (b *Buffer) nextNACK() (int64, bool) {
	if !b.cfg.NACK || !b.started || b.missing == 0 {
		return 0, false
	}
	first, retry := b.reorderWait(), b.retryInterval()
	best, ok, seen := int64(0), false, 0
	for e := b.next; e <= b.highest && seen < b.missing; e++ {
		s := b.at(e)
		if s.state != slotMissing {
			continue
		}
		seen++
		if int(s.nacks) >= b.cfg.MaxNACKRetries {
			continue
		}
		if d := nackDue(s, first, retry); !ok || d < best {
			best, ok = d, true
		}
	}
	return best, ok
}

// lateRing remembers the last holes given up on after being NACKed, so that
// a retransmission arriving too late still teaches how long recovery takes.
type lateRing struct {
	seq   [16]int64 // extended sequence numbers; 0 is empty (real ones are >= 2^32-MaxPackets)
	since [16]int64
	n     int
}

func (r *lateRing) add(e, since int64) {
	i := r.n % len(r.seq)
	r.seq[i], r.since[i] = e, since
	r.n++
}

func (r *lateRing) take(e int64) (int64, bool) {
	for i, s := range r.seq {
		if s == e {
			r.seq[i] = 0
			return r.since[i], true
		}
	}
	return 0, false
}
