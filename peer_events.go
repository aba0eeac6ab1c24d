package chanrtc

import (
	"context"
	"time"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
)

// This file holds the peer actor's reactions to its layers: ICE events,
// the DTLS handshake, SCTP start, and the states it publishes.

func (a *peerActor) onICE(ctx context.Context, ev transport.ICEEvent) error {
	if (ev.Candidate != "" || ev.GatheringDone) && ev.Generation != a.iceGen {
		return nil // found before an ICE restart
	}
	switch {
	case ev.Candidate != "":
		a.localCandidates = append(a.localCandidates, ev.Candidate)
		a.publishLocal()
		c := &ICECandidate{Candidate: ev.Candidate, SDPMid: a.firstMID(), UsernameFragment: a.ufrag}
		if a.local != nil {
			c.SDPMLineIndex = a.local.firstIdx
		}
		emit(a.pc, &a.pc.onICECandidate, c)
	case ev.GatheringDone:
		if a.gatherComplete {
			return nil
		}
		a.gatherComplete = true
		a.publishLocal()
		a.setGathering(ICEGatheringStateComplete)
		emit(a.pc, &a.pc.onICECandidate, (*ICECandidate)(nil))
		close(*a.pc.gatherDone.Load())
	case ev.StateChanged:
		a.iceState = ev.State
		a.publishICEState(ev.State)
		if (ev.State == ice.ConnectionStateConnected || ev.State == ice.ConnectionStateCompleted) && !a.dtlsStarted {
			a.dtlsStarted = true
			if a.hasNegotiatedMedia() {
				if err := a.routeMedia(); err != nil {
					return err
				}
			}
			a.startDTLS()
		}
		a.updateConnState()
	}
	return nil
}

// startDTLS runs the handshake on its own actor, which ends with it: the
// mux adopts the connection and closes it when it stops.
func (a *peerActor) startDTLS() {
	pc := a.pc
	cfg := transport.DTLSConfig{
		Certificate:        a.cert,
		RemoteFingerprints: a.remote.parsed.Fingerprints,
		Client:             a.dtlsClient,
		Logger:             pc.cfg.Logger,
	}
	mux := a.mux
	_ = pc.sup.Go("dtls", func(ctx context.Context) error {
		actors.Checkpoint(ctx, "dtls")
		conn, err := transport.DTLSHandshake(ctx, mux.DTLS(), cfg)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !mux.Adopt(conn) {
			_ = conn.Close()
			return nil
		}
		select {
		case pc.inbox <- dtlsReady{conn: conn}:
		case <-pc.done:
		case <-ctx.Done():
		}
		return nil
	})
}

func (a *peerActor) firstMID() string {
	if a.local != nil && a.local.firstMID != "" {
		return a.local.firstMID
	}
	return "0"
}

// publishLocal rebuilds the local description with the candidates gathered
// so far, as W3C localDescription shows them.
func (a *peerActor) publishLocal() {
	if a.local == nil {
		a.pc.localDesc.Store(nil)
		return
	}
	p := a.local.params
	p.Candidates = a.localCandidates
	p.EndOfCandidates = a.gatherComplete
	var (
		sdp string
		err error
	)
	if a.local.typ == SDPTypeOffer {
		sdp, err = jsep.BuildOffer(p)
	} else {
		sdp, err = jsep.BuildAnswer(a.local.remote, p)
	}
	if err != nil {
		sdp = a.local.sdp
	}
	a.pc.localDesc.Store(&SessionDescription{Type: a.local.typ, SDP: sdp})
}

func (a *peerActor) setSignaling(s SignalingState) {
	if a.signaling == s {
		return
	}
	a.signaling = s
	a.pc.signaling.Store(int32(s))
	emit(a.pc, &a.pc.onSignalingState, s)
}

func (a *peerActor) setGathering(s ICEGatheringState) {
	if a.pc.closed.Load() {
		return
	}
	if ICEGatheringState(a.pc.gathering.Swap(int32(s))) != s {
		emit(a.pc, &a.pc.onICEGatheringState, s)
	}
}

func (a *peerActor) publishICEState(s ice.ConnectionState) {
	var st ICEConnectionState
	switch s {
	case ice.ConnectionStateChecking:
		st = ICEConnectionStateChecking
	case ice.ConnectionStateConnected:
		st = ICEConnectionStateConnected
	case ice.ConnectionStateCompleted:
		st = ICEConnectionStateCompleted
	case ice.ConnectionStateDisconnected:
		st = ICEConnectionStateDisconnected
	case ice.ConnectionStateFailed:
		st = ICEConnectionStateFailed
	case ice.ConnectionStateClosed:
		st = ICEConnectionStateClosed
	default:
		st = ICEConnectionStateNew
	}
	if a.pc.closed.Load() {
		return // Close fires no state events (W3C close(), step 11)
	}
	if ICEConnectionState(a.pc.iceState.Swap(int32(st))) != st {
		emit(a.pc, &a.pc.onICEConnectionState, st)
	}
}

// watchDTLS reads conn until the remote closes it (io.EOF on its
// close_notify) and tells the peer actor. Only for a connection without
// SCTP, which otherwise is conn's reader.
func (a *peerActor) watchDTLS(conn *dtls.Conn) {
	pc := a.pc
	_ = pc.sup.Go("dtls watch", func(ctx context.Context) error {
		stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
		defer stop()
		buf := make([]byte, 1500)
		for {
			if _, err := conn.Read(buf); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				select {
				case pc.inbox <- dtlsClosed{err: err}:
				case <-pc.done:
				case <-ctx.Done():
				}
				return nil
			}
		}
	})
}

// updateConnState derives RTCPeerConnectionState from ICE and DTLS.
func (a *peerActor) updateConnState() {
	if a.remoteClosed && a.iceState != ice.ConnectionStateFailed {
		// The remote closed the connection (DTLS close_notify).
		a.pc.publishConnState(PeerConnectionStateClosed)
		return
	}
	var s PeerConnectionState
	switch a.iceState {
	case ice.ConnectionStateFailed:
		s = PeerConnectionStateFailed
	case ice.ConnectionStateDisconnected:
		s = PeerConnectionStateDisconnected
	case ice.ConnectionStateConnected, ice.ConnectionStateCompleted:
		if a.dtlsUp {
			s = PeerConnectionStateConnected
		} else {
			s = PeerConnectionStateConnecting
		}
	default:
		if a.iceStarted {
			s = PeerConnectionStateConnecting
		}
	}
	a.pc.publishConnState(s)
}
