package main

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Two-process scenarios (setup, throughput, media): an offerer child and
// an answerer child of the same implementation; the parent relays their
// SDP. The offerer drives the scenario and reports a result; the answerer
// counts what it receives and reports it when asked.

// pairResult is what one run of an offerer/answerer pair measured.
type pairResult struct {
	offer               msg     // the offerer's result
	answer              msg     // the answerer's counts
	offerCPU, answerCPU float64 // user+system seconds of each process
}

// runPair runs one offerer/answerer pair of impl; offerArgs are the
// offerer's flags (its -mode and parameters).
func runPair(impl string, timeout time.Duration, offerArgs ...string) (res pairResult, err error) {
	ans, err := startChild(impl+" answerer", "-child", "answer", "-impl", impl)
	if err != nil {
		return res, err
	}
	defer ans.kill()
	off, err := startChild(impl+" offerer", append([]string{"-child", "offer", "-impl", impl}, offerArgs...)...)
	if err != nil {
		return res, err
	}
	defer off.kill()

	deadline := time.Now().Add(timeout)
	for res.offer.Op != "result" {
		m, err := off.recv(time.Until(deadline))
		if err != nil {
			return res, err
		}
		switch m.Op {
		case "offer", "close": // for the answerer, whose reply goes back
			if err := ans.send(m); err != nil {
				return res, err
			}
			r, err := ans.recv(30 * time.Second)
			if err != nil {
				return res, err
			}
			if err := off.send(r); err != nil {
				return res, err
			}
		case "result":
			res.offer = m
		default:
			return res, fmt.Errorf("%s: %w %q", off.name, errUnexpected, m.Op)
		}
	}
	if err := ans.send(msg{Op: "stats"}); err != nil {
		return res, err
	}
	if res.answer, err = ans.recv(10 * time.Second); err != nil {
		return res, err
	}
	if err := off.finish(15 * time.Second); err != nil {
		return res, err
	}
	if err := ans.finish(15 * time.Second); err != nil {
		return res, err
	}
	res.offerCPU, res.answerCPU = off.cpu, ans.cpu
	return res, nil
}

// answererChild answers each offer with a fresh PeerConnection that counts
// the DataChannel messages and RTP packets it receives.
func answererChild(impl string) {
	link := newParentLink()
	st, err := newStack(impl)
	if err != nil {
		link.fail(err)
	}
	var cur peer
	counts := &sink{}
	defer func() {
		if cur != nil {
			_ = cur.Close()
		}
	}()
	for {
		m, err := link.recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			link.fail(err)
		}
		switch m.Op {
		case "offer":
			if cur != nil {
				_ = cur.Close()
			}
			if cur, err = st.NewPeer(); err != nil {
				link.fail(err)
			}
			counts = &sink{}
			c := counts
			cur.OnDataChannel(func(ch channel) { ch.OnMessage(c.message) })
			cur.OnTrack(func(r rtpReader) { go c.readRTP(r) })
			sdp, err := cur.Answer(m.SDP)
			if err != nil {
				link.fail(err)
			}
			link.send(msg{Op: "answer", SDP: sdp})
		case "close":
			if cur != nil {
				_ = cur.Close()
				cur = nil
			}
			link.send(msg{Op: "closed"})
		case "stats":
			link.send(msg{Op: "stats", Vals: counts.vals()})
		default:
			link.fail(fmt.Errorf("%w %q", errUnexpected, m.Op))
		}
	}
}

// sink counts what an answerer receives, and when.
type sink struct {
	mu          sync.Mutex
	msgs, bytes float64
	pkts        float64
	first, last time.Time
}

func (s *sink) message(b []byte) {
	s.mu.Lock()
	s.msgs++
	s.bytes += float64(len(b))
	s.stamp()
	s.mu.Unlock()
}

func (s *sink) readRTP(r rtpReader) {
	for {
		if _, err := r.ReadRTP(); err != nil {
			return
		}
		s.mu.Lock()
		s.pkts++
		s.stamp()
		s.mu.Unlock()
	}
}

func (s *sink) stamp() {
	now := time.Now()
	if s.first.IsZero() {
		s.first = now
	}
	s.last = now
}

func (s *sink) vals() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]float64{"msgs": s.msgs, "bytes": s.bytes, "pkts": s.pkts, "span": s.last.Sub(s.first).Seconds()}
}

// offerer is the offering side of a pair, in the offerer child.
type offerer struct {
	link *parentLink
	st   stack
}

// connect creates a PeerConnection with a DataChannel (and a video track
// when withTrack), signals through the parent and waits for the channel to
// open.
func (o offerer) connect(dcUnordered bool, maxRetransmits *uint16, withTrack bool) (peer, channel, rtpWriter, error) {
	p, err := o.st.NewPeer()
	if err != nil {
		return nil, nil, nil, err
	}
	fail := func(err error) (peer, channel, rtpWriter, error) {
		_ = p.Close()
		return nil, nil, nil, err
	}
	dc, err := p.CreateDataChannel("bench", dcUnordered, maxRetransmits)
	if err != nil {
		return fail(err)
	}
	opened := make(chan struct{})
	var once sync.Once
	dc.OnOpen(func() { once.Do(func() { close(opened) }) })
	var w rtpWriter
	if withTrack {
		if w, err = p.AddVideoTrack(); err != nil {
			return fail(err)
		}
	}
	offer, err := p.CreateOffer()
	if err != nil {
		return fail(err)
	}
	o.link.send(msg{Op: "offer", SDP: offer})
	a, err := o.link.recv()
	if err != nil {
		return fail(err)
	}
	if a.Op != "answer" {
		return fail(fmt.Errorf("%w %q, want answer", errUnexpected, a.Op))
	}
	if err := p.SetAnswer(a.SDP); err != nil {
		return fail(err)
	}
	select {
	case <-opened:
	case <-time.After(20 * time.Second):
		return fail(errors.New("the DataChannel did not open within 20 s"))
	}
	return p, dc, w, nil
}

// closeRemote asks the answerer to close its PeerConnection and waits.
func (o offerer) closeRemote() error {
	o.link.send(msg{Op: "close"})
	m, err := o.link.recv()
	if err == nil && m.Op != "closed" {
		err = fmt.Errorf("%w %q, want closed", errUnexpected, m.Op)
	}
	return err
}
