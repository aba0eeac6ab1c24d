//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"context"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/transport"
)

// DataChannels are compiled in unless the build tag chanrtc_nodatachannel
// leaves them out (a media-only binary then links no SCTP or DCEP code).
// The peer actor reaches them through dataState and dataHandlers (embedded
// in peerActor and PeerConnection) and the methods below, which
// data_off.go replaces with no-ops.

const dataChannelsBuilt = true

// dataState is the peer actor's part of the DataChannel side.
type dataState struct {
	sctp        *transport.SCTP
	sctpStarted bool
}

// dataHandlers holds the user's DataChannel callback.
type dataHandlers struct {
	onDataChannel atomic.Pointer[func(*DataChannel)]
}

// OnDataChannel sets the handler for DataChannels the remote opens.
func (pc *PeerConnection) OnDataChannel(f func(*DataChannel)) { pc.onDataChannel.Store(&f) }

type getSCTP struct{ reply chan<- sctpResult }

type sctpResult struct {
	sctp *transport.SCTP
	err  error
}

func (getSCTP) peerMsg() {}

// handleData handles the DataChannel messages of the peer actor.
func (a *peerActor) handleData(m peerMsg) bool {
	switch m := m.(type) {
	case getSCTP:
		s, err := a.ensureSCTP()
		if err == nil && !a.wantData {
			a.wantData = true
			if !a.negotiatedData() {
				a.pc.emitNegotiationNeeded()
			}
		}
		m.reply <- sctpResult{sctp: s, err: err}
		return true
	}
	return false
}

// prepareData starts the SCTP actor for a remote description with an
// application section.
func (a *peerActor) prepareData() error {
	_, err := a.ensureSCTP()
	return err
}

func (a *peerActor) ensureSCTP() (*transport.SCTP, error) {
	if a.sctp != nil {
		return a.sctp, nil
	}
	pc := a.pc
	s := transport.NewSCTP(transport.SCTPConfig{
		MaxMessageSize:    pc.cfg.maxMessageSize(),
		ReceiveBufferSize: pc.cfg.sctpReceiveBuffer(),
		NewRemote:         pc.newRemoteChannel,
		Logger:            pc.cfg.Logger,
	})
	if err := pc.sup.Go("sctp", s.Run); err != nil {
		return nil, ErrClosed
	}
	a.sctp = s
	return s, nil
}

// maybeStartSCTP starts the association once DTLS is up and both sides
// agreed on an application section.
func (a *peerActor) maybeStartSCTP(ctx context.Context) error {
	if a.sctpStarted || !a.dtlsUp || a.sctp == nil || !a.negotiatedData() || a.signaling != SignalingStateStable {
		return nil
	}
	if a.dtlsWatched {
		// A media-only connection's DTLS records already have a reader:
		// DataChannels added by renegotiation are not supported there.
		if a.pc.cfg.Logger != nil {
			a.pc.cfg.Logger.Warn("chanrtc: DataChannels added after a media-only connection came up are not supported")
		}
		return nil
	}
	a.sctpStarted = true
	return a.sctp.Start(ctx, a.dtlsConn, a.dtlsClient, a.remote.parsed.Data.MaxMessageSize)
}
