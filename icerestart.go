package chanrtc

import (
	"crypto/rand"
	"fmt"

	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
)

// OfferOptions are RTCOfferOptions.
type OfferOptions struct {
	// ICERestart makes the offer restart ICE (RFC 8839 §4.4.1.1.1): it
	// carries new ICE credentials, both sides gather new candidates and
	// check new pairs, while the DTLS association, and the DataChannels
	// and media over it, carry on over the new path. Use it when the path
	// changed: another network, or a connection that went disconnected or
	// failed. It has no effect on the first offer.
	ICERestart bool
}

// RestartICE makes the next offer an ICE restart, as restartIce() does in
// a browser: the next CreateOffer (or parameterless SetLocalDescription)
// carries new ICE credentials even without OfferOptions.ICERestart, and
// OnNegotiationNeeded fires once ICE has started, so that the application
// negotiates. Either side may restart, whichever made the first offer.
// Before the first description is set it does nothing.
func (pc *PeerConnection) RestartICE() {
	_, _ = ask(pc, func(c chan<- struct{}) peerMsg { return restartICE{reply: c} })
}

// restartPhase is where an ICE restart stands between offer and answer.
type restartPhase int

const (
	restartNone restartPhase = iota
	// restartOffered: our restart offer is applied and the agent restarted;
	// it waits for the answer's credentials, and remote candidates wait
	// with it.
	restartOffered
	// restartAnswering: the remote's restart offer is applied; our answer
	// restarts the agent, and the offer's candidates wait until then.
	restartAnswering
)

// remoteCandidate is a remote candidate the agent cannot take yet, with
// the ufrag it was signalled with ("" if none).
type remoteCandidate struct {
	line, ufrag string
}

// requestRestart is RestartICE: before any local description there are no
// credentials to replace, and it does nothing (W3C restartIce()).
func (a *peerActor) requestRestart() {
	if !a.gatherStarted {
		return
	}
	a.restartWanted = true
	a.pc.emitNegotiationNeeded()
}

// offerCredentials are the ICE credentials of a new offer: fresh ones for
// a restart once the agent has credentials in use, else the current ones.
func (a *peerActor) offerCredentials(restart bool) (jsep.Credentials, error) {
	if (restart || a.restartWanted) && a.gatherStarted {
		return jsep.NewCredentials(rand.Reader)
	}
	return jsep.Credentials{Ufrag: a.ufrag, Pwd: a.pwd}, nil
}

// answerCredentials are the ICE credentials of our answer: fresh ones
// when the offer restarts ICE (RFC 8839 §4.4.1.1.2), else the current ones.
func (a *peerActor) answerCredentials() (jsep.Credentials, error) {
	if a.restarting == restartAnswering {
		return jsep.NewCredentials(rand.Reader)
	}
	return jsep.Credentials{Ufrag: a.ufrag, Pwd: a.pwd}, nil
}

// applyLocalCredentials restarts the agent when the description just
// applied carries new credentials: a new generation of candidates is
// gathered (setLocal starts it), and the old one's events are dropped.
func (a *peerActor) applyLocalCredentials() error {
	next := jsep.Credentials{Ufrag: a.local.params.ICEUfrag, Pwd: a.local.params.ICEPwd}
	if !a.gatherStarted || next == (jsep.Credentials{Ufrag: a.ufrag, Pwd: a.pwd}) {
		return nil // the agent was made with these
	}
	gen, err := a.ice.Restart(next.Ufrag, next.Pwd)
	if err != nil {
		return err
	}
	a.iceGen = gen
	a.ufrag, a.pwd = next.Ufrag, next.Pwd
	a.localCandidates = nil
	if !a.gatherComplete {
		// The abandoned gathering never completes: release its waiters.
		close(*a.pc.gatherDone.Load())
	}
	a.gatherComplete = false
	done := make(chan struct{})
	a.pc.gatherDone.Store(&done)
	a.gatherStarted = false // setLocal gathers the new generation
	if a.local.typ == SDPTypeOffer {
		a.restartWanted = false
		if a.iceStarted {
			a.restarting = restartOffered
		}
		return nil
	}
	if a.restarting == restartAnswering {
		a.restarting = restartNone
		return a.useRemoteCredentials()
	}
	return nil
}

// useRemoteCredentials gives the agent the applied remote description's
// credentials and the candidates waiting for them.
func (a *peerActor) useRemoteCredentials() error {
	cred := a.remote.parsed.Credentials()
	if err := a.ice.SetRemoteCredentials(cred.Ufrag, cred.Pwd); err != nil {
		return fmt.Errorf("chanrtc: ICE restart: %w", err)
	}
	a.iceRemote = cred
	a.flushRemoteCandidates()
	return nil
}

// rollbackRestart undoes the restart state of a rolled-back offer. A
// remote restart offer had not touched the agent yet. Our own restart
// offer had: the agent keeps its new generation, so the next offer must
// restart again, and does.
func (a *peerActor) rollbackRestart() {
	switch a.restarting {
	case restartAnswering:
		a.restarting = restartNone
		a.remoteCandidates = nil
	case restartOffered:
		a.restartWanted = true
	}
}

// takeRemoteCandidate hands a remote candidate to the agent, or keeps it
// until the agent can take it. A candidate that names, by its ufrag, an
// ICE generation other than the remote description's is ignored.
func (a *peerActor) takeRemoteCandidate(line, ufrag string) error {
	if err := transport.CheckCandidate(line); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSDP, err)
	}
	if u, ok := jsep.CandidateUfrag(line); ok {
		ufrag = u
	}
	if a.restarting == restartOffered {
		// The answer says which generation is current.
		a.queueRemoteCandidate(remoteCandidate{line: line, ufrag: ufrag})
		return nil
	}
	if ufrag != "" && ufrag != a.remote.parsed.ICEUfrag {
		a.ignoredCandidate(line)
		return nil
	}
	if !a.iceStarted || a.restarting == restartAnswering {
		a.queueRemoteCandidate(remoteCandidate{line: line, ufrag: ufrag})
		return nil
	}
	return a.ice.AddRemoteCandidate(line)
}

// maxQueuedCandidates bounds the remote candidates kept while the agent
// cannot take them; a remote that sends more is not worth more memory.
const maxQueuedCandidates = 1024

func (a *peerActor) queueRemoteCandidate(c remoteCandidate) {
	for _, q := range a.remoteCandidates {
		if q.line == c.line {
			return
		}
	}
	if len(a.remoteCandidates) >= maxQueuedCandidates {
		if a.pc.cfg.Logger != nil {
			a.pc.cfg.Logger.Warn("chanrtc: too many remote candidates; candidate ignored", "candidate", c.line)
		}
		return
	}
	a.remoteCandidates = append(a.remoteCandidates, c)
}

// flushRemoteCandidates gives the agent the waiting candidates of the
// remote's current generation.
func (a *peerActor) flushRemoteCandidates() {
	for _, c := range a.remoteCandidates {
		if c.ufrag != "" && c.ufrag != a.iceRemote.Ufrag {
			a.ignoredCandidate(c.line)
			continue
		}
		if err := a.ice.AddRemoteCandidate(c.line); err != nil && a.pc.cfg.Logger != nil {
			a.pc.cfg.Logger.Warn("chanrtc: remote candidate ignored", "candidate", c.line, "err", err)
		}
	}
	a.remoteCandidates = nil
}

func (a *peerActor) ignoredCandidate(line string) {
	if a.pc.cfg.Logger != nil {
		a.pc.cfg.Logger.Debug("chanrtc: remote candidate of another ICE generation ignored", "candidate", line)
	}
}
