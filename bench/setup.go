package main

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// setup: offerer and answerer in two processes on loopback; the time from
// NewPeerConnection on the offerer to its DataChannel being open. It takes
// in the offer, gathering, the SDP relay through the parent (two pipe hops
// each way), the answerer's work, ICE, DTLS, SCTP and DCEP. Each process
// sets up one connection first that is not counted, so one-time costs of a
// fresh process (package init, first allocations) stay out.

// setupSamples is the least number of setups measured per implementation.
const setupSamples = 21

func runSetup(o options, r *results) {
	perRound := (setupSamples + o.rounds - 1) / o.rounds
	if o.quick {
		perRound = 3
	}
	for round := 1; round <= o.rounds; round++ {
		for _, impl := range impls {
			progress("setup round %d/%d %s: %d connections", round, o.rounds, impl, perRound)
			res, err := runPair(impl, time.Duration(perRound+1)*30*time.Second,
				"-mode", "setup", "-count", strconv.Itoa(perRound))
			if err != nil {
				r.note("setup %s round %d failed: %v", impl, round, err)
				continue
			}
			for _, ms := range res.offer.Samples {
				r.add("setup", "NewPeerConnection to DataChannel open (ms)", impl, ms)
			}
		}
	}
	r.note("setup: %d connections per process per round after one uncounted warm-up; SDP relayed by the parent over stdin/stdout pipes", perRound)
}

// setup connects and closes count+1 times, timing all but the first.
func (o offerer) setup(count int) (msg, error) {
	var res msg
	for i := 0; i <= count; i++ {
		start := time.Now()
		p, err := o.st.NewPeer()
		if err != nil {
			return res, err
		}
		dc, err := p.CreateDataChannel("setup", false, nil)
		if err != nil {
			return res, err
		}
		opened := make(chan struct{})
		var once sync.Once
		dc.OnOpen(func() { once.Do(func() { close(opened) }) })
		offer, err := p.CreateOffer()
		if err != nil {
			return res, err
		}
		o.link.send(msg{Op: "offer", SDP: offer})
		a, err := o.link.recv()
		if err != nil {
			return res, err
		}
		if err := p.SetAnswer(a.SDP); err != nil {
			return res, err
		}
		select {
		case <-opened:
		case <-time.After(20 * time.Second):
			return res, errors.New("the DataChannel did not open within 20 s")
		}
		took := time.Since(start)
		if err := p.Close(); err != nil {
			return res, fmt.Errorf("close: %w", err)
		}
		if err := o.closeRemote(); err != nil {
			return res, err
		}
		if i > 0 {
			res.Samples = append(res.Samples, float64(took)/float64(time.Millisecond))
		}
	}
	return res, nil
}
