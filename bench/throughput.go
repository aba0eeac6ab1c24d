package main

import (
	"fmt"
	"strconv"
	"time"
)

// throughput: one DataChannel between two processes, the offerer sending
// as fast as flow control lets it for a fixed time: reliable ordered with
// 1, 16 and 64 KiB messages, and unordered with MaxRetransmits 0 at 1 KiB.
// Flow control is the W3C one: stop above highWater bytes buffered, resume
// on OnBufferedAmountLow (threshold lowWater), the values of pion's
// flow-control example. The receiver's rate is its bytes over the time
// from its first to its last message.

const (
	highWater = 1 << 20
	lowWater  = 512 << 10
)

type dcCase struct {
	name      string
	size      int
	unordered bool
}

var dcCases = []dcCase{
	{"reliable 1 KiB", 1 << 10, false},
	{"reliable 16 KiB", 16 << 10, false},
	{"reliable 64 KiB", 64 << 10, false},
	{"unordered maxRetransmits=0 1 KiB", 1 << 10, true},
}

func runThroughput(o options, r *results) {
	for round := 1; round <= o.rounds; round++ {
		for _, c := range dcCases {
			for _, impl := range impls {
				progress("throughput round %d/%d %s %s", round, o.rounds, impl, c.name)
				args := []string{"-mode", "dc", "-size", strconv.Itoa(c.size), "-d", o.duration.String()}
				if c.unordered {
					args = append(args, "-unordered")
				}
				res, err := runPair(impl, o.duration+90*time.Second, args...)
				if err != nil {
					r.note("throughput %s %s round %d failed: %v", c.name, impl, round, err)
					continue
				}
				a := res.answer.Vals
				if a["span"] > 0 {
					r.add("throughput", c.name+": MB/s received", impl, a["bytes"]/a["span"]/1e6)
				}
				if c.unordered && res.offer.Vals["msgs"] > 0 {
					r.add("throughput", c.name+": delivered fraction", impl, a["msgs"]/res.offer.Vals["msgs"])
				}
				if a["bytes"] > 0 {
					r.add("throughput", c.name+": CPU s per GB, both processes", impl, (res.offerCPU+res.answerCPU)/a["bytes"]*1e9)
				}
				r.add("throughput", c.name+": sender CPU (s)", impl, res.offerCPU)
				r.add("throughput", c.name+": receiver CPU (s)", impl, res.answerCPU)
			}
		}
	}
	r.note("throughput: %v per run; flow control: pause above %d KiB buffered, resume at OnBufferedAmountLow (threshold %d KiB); CPU is user+system of the whole process (setup included)",
		o.duration, highWater>>10, lowWater>>10)
}

// throughput sends size-byte messages for d, then waits for the buffer to
// drain, and reports what it sent.
func (o offerer) throughput(size int, unordered bool, d time.Duration) (msg, error) {
	var maxRetransmits *uint16
	if unordered {
		zero := uint16(0)
		maxRetransmits = &zero
	}
	p, dc, _, err := o.connect(unordered, maxRetransmits, false)
	if err != nil {
		return msg{}, err
	}
	defer p.Close()
	low := make(chan struct{}, 1)
	dc.SetBufferedAmountLowThreshold(lowWater)
	dc.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	buf := make([]byte, size)
	var sent float64
	end := time.Now().Add(d)
	for i := 0; ; i++ {
		if i%16 == 0 && time.Now().After(end) {
			break
		}
		if dc.BufferedAmount() > highWater {
			select {
			case <-low:
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if err := dc.Send(buf); err != nil {
			return msg{}, fmt.Errorf("send: %w", err)
		}
		sent++
	}
	for drain := time.Now().Add(10 * time.Second); dc.BufferedAmount() > 0 && time.Now().Before(drain); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the last messages on their way
	return msg{Vals: map[string]float64{"msgs": sent, "bytes": sent * float64(size)}}, nil
}
