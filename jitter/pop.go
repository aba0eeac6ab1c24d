package jitter

import (
	"math"
	"time"
)

// Pop returns the next frame in order once it is complete and due (its
// first packet's arrival plus the target delay). When the oldest incomplete
// frame's wait has run out, it gives up on it (counted as Lost), moves on and
// marks the next returned frame LostBefore; for video, frames are then
// withheld until the next keyframe, and a keyframe request is raised. Call it
// until it reports false.
func (b *Buffer) Pop(now time.Time) (Frame, bool) {
	t := b.tick(now)
	for b.started && b.next <= b.highest {
		act, h := b.decide(t)
		switch act {
		case actWait:
			return Frame{}, false
		case actDeliver:
			return b.deliver(t, &h), true
		case actPadding:
			b.advance(false)
		case actDropLeftover:
			b.advance(true)
		case actGiveUp:
			b.giveUp()
		case actSkipToKey:
			for b.next < h.skipTo {
				b.advance(true)
			}
			b.lostBefore = true
		case actWithhold:
			b.dropThrough(h.end)
			b.skipped()
		case actBackwards:
			b.dropThrough(h.end)
			b.skipped()
			if b.backwards++; b.backwards >= maxBackwards {
				// The sender's timestamps jumped back for good: follow them.
				b.haveLastTs, b.backwards = false, 0
				b.stats.Restarts++
			}
		}
	}
	return Frame{}, false
}

// maxBackwards complete frames in a row going back in time mean a timestamp
// discontinuity rather than stray packets.
const maxBackwards = 8

type action uint8

const (
	actWait         action = iota // nothing to do before head.due
	actDeliver                    // the head frame is complete and due
	actPadding                    // the head is padding: pass over it
	actDropLeftover               // the head is the rest of a frame already given up
	actGiveUp                     // the head frame's wait ran out
	actSkipToKey                  // waiting for a keyframe and one starts at head.skipTo
	actWithhold                   // a complete frame that is not a keyframe, while one is needed
	actBackwards                  // a complete frame older than the last one delivered
)

// head describes the frame at the head of the window.
type head struct {
	due    int64 // actWait: when something changes
	end    int64 // a complete frame's last packet
	skipTo int64
	ref    int64 // earliest time any of it was known
	last   int64 // latest arrival
	ts     uint32
	key    bool
	recov  bool
}

type headKind uint8

const (
	kindComplete headKind = iota
	kindIncomplete
	kindLeftover
)

const now0 = math.MinInt64 // a due time that has always passed

// decide says what Pop must do with the head at time t. It changes nothing,
// so NextDeadline can ask the same question.
func (b *Buffer) decide(t int64) (action, head) {
	var h head
	if s := b.at(b.next); s.state == slotPresent && s.padding {
		return actPadding, h
	}
	kind := b.scan(&h)
	if b.cfg.Video && b.needKey && !(kind == kindComplete && h.key) {
		if f, ok := b.keyframeAhead(); ok {
			h.skipTo = f
			return actSkipToKey, h
		}
	}
	switch kind {
	case kindLeftover:
		if b.prevKind == prevNone && t < h.due {
			return actWait, h
		}
		return actDropLeftover, h
	case kindIncomplete:
		if t < h.due {
			return actWait, h
		}
		return actGiveUp, h
	}
	switch {
	case b.haveLastTs && int32(h.ts-b.lastTs) <= 0:
		return actBackwards, h
	case b.cfg.Video && b.needKey && !h.key:
		return actWithhold, h
	case t < h.due && !b.crowded():
		return actWait, h
	}
	return actDeliver, h
}

// crowded reports that the window is three-quarters full. A complete frame
// then leaves before its playout time: early is better than being dropped
// for room when the delay times the packet rate outgrows MaxPackets.
func (b *Buffer) crowded() bool {
	return b.highest-b.next+1 >= int64(b.cfg.MaxPackets-b.cfg.MaxPackets/4)
}

// scan walks the head frame: complete (through h.end), incomplete (with
// h.due its give-up time), or a leftover (not the start of a frame).
func (b *Buffer) scan(h *head) headKind {
	s := b.at(b.next)
	switch s.state {
	case slotMissing:
		h.ref = s.since
		h.due = s.since + max(b.delay, b.patience())
		if b.holeInAbandonedFrame() {
			h.due = now0
		}
		return kindIncomplete
	case slotDead:
		h.due = now0
		return kindIncomplete
	}
	if !b.headStarts(s) {
		// At the very start the frame's first packets may still come;
		// otherwise this is what remains of a frame given up on.
		h.due = s.since + max(b.delay, b.reorderWait())
		return kindLeftover
	}
	h.ts, h.ref, h.last = s.ts, s.since, s.arrival
	for k := b.next; ; k++ {
		if k > b.highest {
			// Its end has not come yet. Nothing behind it can go out
			// either, so waiting costs nothing: a later packet turns a lost
			// end into a hole with its own wait. Give up only if the
			// stream stalls for MaxDelay.
			h.due = max(h.ref+b.delay, b.at(b.highest).arrival+int64(b.cfg.MaxDelay))
			return kindIncomplete
		}
		s := b.at(k)
		switch s.state {
		case slotMissing:
			h.due = max(h.ref+b.delay, s.since+b.patience())
			return kindIncomplete
		case slotDead:
			h.due = now0
			return kindIncomplete
		}
		if k > b.next && (s.padding || s.ts != h.ts) {
			// The next frame began without a marker on this one.
			h.end = k - 1
			break
		}
		h.ref = min(h.ref, s.since)
		h.last = max(h.last, s.arrival)
		h.key = h.key || s.key
		h.recov = h.recov || s.recov
		if s.marker || !b.cfg.Video {
			h.end = k
			break
		}
	}
	h.due = h.ref + b.delay
	return kindComplete
}

// headStarts reports whether the present head packet s begins a frame,
// judged from what left the window just before it.
func (b *Buffer) headStarts(s *slot) bool {
	if !b.cfg.Video {
		return true
	}
	switch b.prevKind {
	case prevPresent:
		return b.prevEnd || b.prevTs != s.ts
	case prevMissing:
		// After a hole only the codec can tell, and a packet with the
		// timestamp of the frame seen before the hole continues that frame.
		return s.start && !(b.haveLastPresent && b.lastPresentTs == s.ts)
	}
	return s.start
}

// holeInAbandonedFrame reports whether the hole at the head lies inside a
// frame already given up on (the packets either side of the holes carry its
// timestamp), so that waiting for it is pointless.
func (b *Buffer) holeInAbandonedFrame() bool {
	if !b.cfg.Video || b.prevKind == prevNone || !b.haveLastPresent || b.lastPresentEnd {
		return false
	}
	for k := b.next; k <= b.highest; k++ {
		if s := b.at(k); s.state == slotPresent {
			return !s.padding && s.ts == b.lastPresentTs
		}
	}
	return false
}

// keyframeAhead finds the start of a keyframe beyond the head frame, when
// its start is certain (the packet before it is present and ends a frame).
// While a keyframe is needed, everything before it is useless.
func (b *Buffer) keyframeAhead() (int64, bool) {
	k := b.keyHint
	if !b.haveKeyHint || k <= b.next || k > b.highest {
		return 0, false
	}
	s := b.at(k)
	if s.state != slotPresent || !s.key {
		return 0, false
	}
	for k > b.next {
		p := b.at(k - 1)
		if p.state != slotPresent || p.padding || p.marker || p.ts != s.ts {
			break
		}
		k--
	}
	if k == b.next {
		return 0, false
	}
	p := b.at(k - 1)
	if p.state != slotPresent || !(p.padding || p.marker || p.ts != s.ts) {
		return 0, false
	}
	return k, true
}

// giveUp abandons the head frame through its first hole; what follows is
// judged again (a leftover of the same frame is dropped).
func (b *Buffer) giveUp() {
	for b.next <= b.highest {
		st := b.at(b.next).state
		b.advance(true)
		if st != slotPresent {
			break
		}
	}
	b.skipped()
}

func (b *Buffer) dropThrough(end int64) {
	for b.next <= end {
		b.advance(true)
	}
}

func (b *Buffer) deliver(t int64, h *head) Frame {
	b.out = b.out[:0]
	first := b.next
	for b.next <= h.end {
		b.out = append(b.out, b.at(b.next).buf)
		b.advance(false)
	}
	f := Frame{
		Timestamp:  h.ts,
		Payloads:   b.out,
		FirstSeq:   uint16(first),
		LastSeq:    uint16(h.end),
		Keyframe:   h.key,
		Arrival:    b.timeAt(h.last),
		LostBefore: b.lostBefore,
	}
	b.lostBefore = false
	b.lastTs, b.haveLastTs, b.backwards = h.ts, true, 0
	if h.key {
		b.needKey, b.kfRaised = false, false
	}
	if h.recov {
		b.est.recoveredFrame(t, h.last-h.ref)
	}
	b.stats.Frames++
	return f
}
