package jitter

// Sequence numbers are extended to int64 on arrival, relative to the highest
// seen, so the 16-bit wrap is invisible everywhere else. The first packet's
// number is offset by 2^32, keeping extended numbers positive even when the
// window grows backwards.

const (
	// maxDropout: a jump further ahead is not loss but a restart (RFC 3550
	// A.1), once confirmed; the packets in between are never asked for.
	maxDropout = 3000
	// maxMisorder: a packet further behind than this (or than the window)
	// is not late but from a restarted stream.
	maxMisorder = 3000
	// restartConfirm: how far after the probation packet the next packet
	// may be and still confirm the restart (allows loss and reordering).
	restartConfirm = 100
)

func (b *Buffer) begin(seq uint16) {
	b.started = true
	b.next = 1<<32 | int64(seq)
	b.highest = b.next - 1
	b.prevKind = prevNone
}

// unwrap extends seq relative to the highest sequence number seen, or
// reports that it is too far from it to belong to this stream.
func (b *Buffer) unwrap(seq uint16) (int64, bool) {
	d := int64(int16(seq - uint16(b.highest)))
	if d > maxDropout || d < -max(maxMisorder, int64(b.cfg.MaxPackets)) {
		return 0, false
	}
	return b.highest + d, true
}

// confirmRestart handles a packet far from the stream. The first such packet
// only goes on probation (one stray packet must not flush the buffer); one
// shortly after it confirms a restart. The probation packet's payload was not
// kept, so it becomes the new stream's first hole, which NACK can fill.
func (b *Buffer) confirmRestart(seq uint16, t int64) bool {
	if d := seq - b.probSeq; !b.probation || d == 0 || d > restartConfirm {
		b.probation, b.probSeq, b.probAt = true, seq, t
		return false
	}
	first, at := b.probSeq, b.probAt
	b.Reset()
	b.stats.Restarts++
	b.lostBefore = true
	b.begin(first)
	b.markMissing(b.next, at)
	b.highest = b.next
	return true
}

// insert places a packet whose extended number is e.
func (b *Buffer) insert(t, e int64, ts uint32, marker bool, payload []byte) {
	switch {
	case e > b.highest:
		b.extend(t, e)
		if len(payload) > 0 {
			// Padding is sent whenever the pacer likes, with an old
			// timestamp: it says nothing about the path's jitter.
			b.est.observe(t, ts, b.cfg.ClockRate)
		}
		b.store(t, e, ts, marker, payload)
	case e >= b.next:
		if b.at(e).state == slotMissing {
			b.store(t, e, ts, marker, payload)
		} else {
			b.stats.Duplicates++
		}
	case b.prevKind == prevNone && b.highest-e < int64(b.cfg.MaxPackets):
		// Nothing has left the buffer yet: the stream's first packets may
		// arrive out of order, so the window grows backwards.
		for k := e + 1; k < b.next; k++ {
			b.markMissing(k, t)
		}
		b.next = e
		b.store(t, e, ts, marker, payload)
	default:
		b.stats.Late++
		if since, ok := b.late.take(e); ok {
			// Recovered, but too slowly: remember how long it took.
			b.est.recovered(t, t-since)
		}
	}
}

// extend moves the top of the window to e, marking the numbers skipped as
// holes. It keeps the window within MaxPackets by dropping the oldest
// packets, and treats a gap too large to ask for as a discontinuity.
func (b *Buffer) extend(t, e int64) {
	limit := int64(b.cfg.MaxPackets)
	if gap := e - b.highest - 1; gap > limit/2 {
		for b.next <= b.highest {
			b.advance(true)
		}
		b.stats.Lost += uint64(gap)
		b.next = e
		b.prevKind = prevMissing
		b.skipped()
	} else if e-b.next+1 > limit {
		newNext := e - limit + 1
		for b.next < newNext && b.next <= b.highest {
			b.advance(true)
		}
		if b.next < newNext {
			b.stats.Lost += uint64(newNext - b.next)
			b.next = newNext
			b.prevKind = prevMissing
		}
		b.skipped()
	}
	for k := max(b.highest+1, b.next); k < e; k++ {
		b.markMissing(k, t)
	}
	b.highest = e
}

// noteKeyframe remembers where a keyframe starts so that a buffer waiting
// for one can jump to it. Only the first packet seen of each keyframe moves
// the hint; Pop walks back from it to the frame's real start.
func (b *Buffer) noteKeyframe(e int64, ts uint32) {
	h := b.keyHint
	if !b.haveKeyHint || h < b.next || h > b.highest || e > h && b.at(h).ts != ts {
		b.keyHint, b.haveKeyHint = e, true
	}
}
