package jitter

import "time"

// Stats are the buffer's counters (cumulative, kept across Reset) and its
// current estimates. Packet counts are in packets, not frames.
type Stats struct {
	Received         uint64 // packets pushed, whatever became of them
	Duplicates       uint64 // packets already held
	Late             uint64 // packets of frames already delivered or given up on (or their duplicates)
	Dropped          uint64 // packets discarded unplayed: too large, memory bound, leftovers of skipped frames, frames withheld until a keyframe or out of timestamp order, unconfirmed restarts
	Lost             uint64 // packets never received by the time they were given up on
	Recovered        uint64 // packets that arrived in time after being NACKed
	NACKsSent        uint64 // sequence numbers requested (each retry counts)
	KeyframeRequests uint64 // true results of KeyframeRequested
	Frames           uint64 // frames delivered by Pop
	Restarts         uint64 // stream restarts (sequence jump) and timestamp discontinuities

	Jitter time.Duration // RFC 3550 interarrival jitter estimate
	Delay  time.Duration // current target playout delay
	Held   int           // packets held now
}

// Stats returns the counters and estimates.
func (b *Buffer) Stats() Stats {
	s := b.stats
	s.Jitter = time.Duration(b.est.jitter)
	s.Delay = time.Duration(b.delay)
	s.Held = b.held
	return s
}
