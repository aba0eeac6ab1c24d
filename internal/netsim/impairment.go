package netsim

import (
	"math/rand/v2"
	"time"
)

// Impairment is what one direction of a path does to datagrams. The zero
// value is a perfect link: nothing lost, no delay, no limit.
type Impairment struct {
	// Loss is the probability that a datagram is lost (0 to 1).
	Loss float64
	// Delay is the one-way delay; Jitter adds a uniform random amount in
	// [-Jitter, +Jitter] to it (never going below zero). Jitter alone does
	// not reorder: datagrams leave in the order they entered.
	Delay  time.Duration
	Jitter time.Duration
	// Reorder is the probability that a datagram is held back by
	// ReorderDelay so that the ones sent after it overtake it. Zero
	// ReorderDelay means Delay/2 + 2×Jitter (at least 1 ms): enough for
	// the datagrams sent just after it to arrive first.
	Reorder      float64
	ReorderDelay time.Duration
	// Duplicate is the probability that a datagram arrives twice.
	Duplicate float64
	// Rate caps the link at this many bytes per second (zero: no cap).
	// Datagrams wait in a queue of at most QueueBytes (zero: 64 KiB) to be
	// sent; one that does not fit is dropped.
	Rate       int
	QueueBytes int
}

const defaultQueueBytes = 64 << 10

func (im Impairment) reorderDelay() time.Duration {
	if im.ReorderDelay > 0 {
		return im.ReorderDelay
	}
	return max(im.Delay/2+2*im.Jitter, time.Millisecond)
}

func (im Impairment) queueBytes() int {
	if im.QueueBytes > 0 {
		return im.QueueBytes
	}
	return defaultQueueBytes
}

// LinkStats counts what a link did with the datagrams sent into it.
type LinkStats struct {
	Sent       uint64 // datagrams written into the link
	Lost       uint64 // lost at random, or because a host was down
	Overflowed uint64 // dropped because the rate cap's queue was full
	Duplicated uint64 // extra copies made
	Reordered  uint64 // held back for later datagrams to overtake
	Delivered  uint64 // copies handed to a listening socket
	Unreached  uint64 // copies that found no socket or a full one
}

// link is the pure model of one direction: given the time a datagram is
// sent and its size, it decides when its copies arrive. It owns its random
// source, so a link's decisions depend only on its seed and on the
// sequence of datagrams sent into it.
type link struct {
	im  Impairment
	rng *rand.Rand
	// busyUntil is when the rate-capped sender finishes what is queued.
	busyUntil time.Time
	// lastInOrder is the arrival time of the latest datagram not picked
	// for reordering: the next one may not arrive before it.
	lastInOrder time.Time
	down        bool
	stats       LinkStats
}

func newLink(im Impairment, seed uint64) *link {
	return &link{im: im, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// send decides the fate of one datagram of size bytes sent at now: it
// returns the arrival times of its copies, none if it is lost. The
// returned slice is appended to buf.
func (l *link) send(now time.Time, size int, buf []time.Time) []time.Time {
	l.stats.Sent++
	if l.down || l.im.Loss > 0 && l.rng.Float64() < l.im.Loss {
		l.stats.Lost++
		return buf
	}
	depart := now
	if l.im.Rate > 0 {
		if l.busyUntil.Before(now) {
			l.busyUntil = now
		}
		backlog := int(int64(l.busyUntil.Sub(now)) * int64(l.im.Rate) / int64(time.Second))
		if backlog+size > l.im.queueBytes() {
			l.stats.Overflowed++
			return buf
		}
		l.busyUntil = l.busyUntil.Add(time.Duration(int64(size) * int64(time.Second) / int64(l.im.Rate)))
		depart = l.busyUntil
	}
	copies := 1
	if l.im.Duplicate > 0 && l.rng.Float64() < l.im.Duplicate {
		copies = 2
		l.stats.Duplicated++
	}
	for range copies {
		at := depart.Add(l.delay())
		if l.im.Reorder > 0 && l.rng.Float64() < l.im.Reorder {
			l.stats.Reordered++
			at = at.Add(l.im.reorderDelay())
		} else {
			if at.Before(l.lastInOrder) {
				at = l.lastInOrder
			}
			l.lastInOrder = at
		}
		buf = append(buf, at)
	}
	return buf
}

// delay draws one datagram's delay: Delay plus uniform jitter, at least 0.
func (l *link) delay() time.Duration {
	d := l.im.Delay
	if j := l.im.Jitter; j > 0 {
		d += time.Duration(l.rng.Int64N(int64(2*j)+1)) - j
	}
	return max(d, 0)
}
