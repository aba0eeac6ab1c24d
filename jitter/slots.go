package jitter

// slot holds one sequence number of the window. The ring has a power-of-two
// number of slots, at least MaxPackets, indexed by extended sequence number;
// the window never spans more than MaxPackets, so numbers never collide.
type slot struct {
	buf      []byte // the payload, from the buffer's pool
	arrival  int64  // when it arrived
	since    int64  // when it was first known: its arrival, or when its hole was seen
	lastNack int64
	nacks    int32
	ts       uint32
	state    slotState
	marker   bool
	key      bool // Codec.IsKeyframe
	start    bool // Codec.IsFrameStart
	padding  bool // empty payload: a boundary, never part of a frame
	recov    bool // arrived after being NACKed
}

type slotState uint8

const (
	slotFree    slotState = iota // outside the window
	slotMissing                  // a hole: not received yet
	slotPresent
	slotDead // received but unusable (payload over MaxPayload): its frame cannot complete
)

func (b *Buffer) at(e int64) *slot { return &b.slots[e&b.mask] }

func (b *Buffer) markMissing(e, t int64) {
	*b.at(e) = slot{state: slotMissing, since: t}
	b.missing++
}

// store puts a received packet into its slot, which is free or a hole.
func (b *Buffer) store(t, e int64, ts uint32, marker bool, payload []byte) {
	s := b.at(e)
	since, recov := t, false
	if s.state == slotMissing {
		b.missing--
		since = s.since
		if s.nacks > 0 {
			recov = true
			b.stats.Recovered++
			b.est.recovered(t, t-s.since)
		}
	}
	if len(payload) > b.cfg.MaxPayload {
		*s = slot{state: slotDead, ts: ts, since: since, arrival: t}
		b.stats.Dropped++
		return
	}
	*s = slot{state: slotPresent, ts: ts, marker: marker, arrival: t, since: since, recov: recov}
	b.held++
	if len(payload) == 0 {
		s.padding = true
		return
	}
	s.buf = append(b.getBuf(), payload...)
	s.key = b.cfg.Codec.IsKeyframe(s.buf)
	s.start = b.cfg.Codec.IsFrameStart(s.buf)
	if b.cfg.Video && s.key && s.start {
		b.noteKeyframe(e, ts)
	}
}

// advance removes the head slot from the window, remembering what it was
// so that the new head can be judged. With count, what is thrown away is
// counted (Dropped for received packets, Lost for holes).
func (b *Buffer) advance(count bool) {
	s := b.at(b.next)
	switch s.state {
	case slotPresent:
		b.prevKind, b.prevTs, b.prevEnd = prevPresent, s.ts, s.marker || s.padding
		if !s.padding {
			b.lastPresentTs, b.lastPresentEnd, b.haveLastPresent = s.ts, s.marker, true
			if count {
				b.stats.Dropped++
			}
		}
		if s.buf != nil {
			b.free = append(b.free, s.buf[:0])
		}
		b.held--
	case slotMissing:
		b.prevKind = prevMissing
		b.missing--
		if count {
			b.stats.Lost++
		}
		if s.nacks > 0 {
			b.late.add(b.next, s.since)
		}
	case slotDead:
		b.prevKind = prevMissing
	}
	*s = slot{}
	b.next++
}

// getBuf takes a payload buffer from the pool, making one only while fewer
// than MaxPackets exist (held packets never exceed MaxPackets, and a popped
// frame's buffers go back before the next packet is stored).
func (b *Buffer) getBuf() []byte {
	if n := len(b.free); n > 0 {
		buf := b.free[n-1]
		b.free = b.free[:n-1]
		return buf
	}
	b.allocated++
	return make([]byte, 0, b.cfg.MaxPayload)
}
