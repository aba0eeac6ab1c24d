package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/chanrtc/chanrtc"
)

// In-process signalling: each peer has an inbox of what the other one
// signals — descriptions and trickled candidates, in the order they were
// sent, as over a WebSocket — and a goroutine that applies them.

// signalMsg is one signalling message: a description or a candidate.
type signalMsg struct {
	desc *chanrtc.SessionDescription
	cand *chanrtc.ICECandidateInit // Candidate "" is end-of-candidates
}

// signaller connects one PeerConnection to its remote's inbox.
type signaller struct {
	name     string
	pc       *chanrtc.PeerConnection
	inbox    chan signalMsg // what the remote sends us
	remote   *signaller
	trickled atomic.Int32 // candidates sent
}

func newSignaller(name string, pc *chanrtc.PeerConnection) *signaller {
	return &signaller{name: name, pc: pc, inbox: make(chan signalMsg, 64)}
}

// send puts s in the remote's inbox.
func (s *signaller) send(ctx context.Context, sig signalMsg) {
	select {
	case s.remote.inbox <- sig:
	case <-ctx.Done():
	}
}

// trickle sends every candidate pc gathers, then end-of-candidates. It must
// be set up before SetLocalDescription, which starts gathering.
func (s *signaller) trickle(ctx context.Context) {
	s.pc.OnICECandidate(func(c *chanrtc.ICECandidate) {
		init := chanrtc.ICECandidateInit{} // nil: gathering is complete
		if c != nil {
			init = c.ToJSON()
			s.trickled.Add(1)
		}
		s.send(ctx, signalMsg{cand: &init})
	})
}

// offer starts negotiation: create the offer, apply it, signal it.
func (s *signaller) offer(ctx context.Context) error {
	offer, err := s.pc.CreateOffer()
	if err != nil {
		return err
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	s.send(ctx, signalMsg{desc: &offer})
	return nil
}

// run applies what the remote signals until ctx ends. Candidates that
// arrive before the remote description (possible in general, since they
// may be signalled as soon as gathering starts) wait for it: AddICECandidate
// needs a remote description.
func (s *signaller) run(ctx context.Context) error {
	var pending []chanrtc.ICECandidateInit
	haveRemote := false
	for {
		var sig signalMsg
		select {
		case sig = <-s.inbox:
		case <-ctx.Done():
			return nil
		}
		switch {
		case sig.desc != nil:
			if err := s.pc.SetRemoteDescription(*sig.desc); err != nil {
				return fmt.Errorf("%s: remote %s: %w", s.name, sig.desc.Type, err)
			}
			haveRemote = true
			if sig.desc.Type == chanrtc.SDPTypeOffer {
				answer, err := s.pc.CreateAnswer()
				if err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				if err := s.pc.SetLocalDescription(answer); err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
				s.send(ctx, signalMsg{desc: &answer})
			}
			for _, c := range pending {
				if err := s.pc.AddICECandidate(c); err != nil {
					return fmt.Errorf("%s: %w", s.name, err)
				}
			}
			pending = nil
		case !haveRemote:
			pending = append(pending, *sig.cand)
		default:
			if err := s.pc.AddICECandidate(*sig.cand); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
	}
}
