//go:build !chanrtc_nomedia

package chanrtc

import (
	"slices"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/transport"
)

// Media is compiled in unless the build tag chanrtc_nomedia leaves it out
// (a DataChannel-only binary then links no SRTP, RTP, RTCP, codec or jitter
// code). The peer actor reaches it through the methods of peer_media.go,
// which media_off.go replaces with no-ops, and through the two structs
// below, embedded in peerActor and PeerConnection.

// mediaState is the peer actor's media state.
type mediaState struct {
	transceivers []*transceiver
	mlineOrder   []string // mids in m-line order, fixed once offered
	midCounter   int
	media        *transport.Media
	mediaKeyed   bool // media.Start has run
	keys         transport.SRTPKeys
	rtt          atomic.Int64 // from senders' reception reports, for receivers
}

// mediaHandlers holds the user's media callbacks.
type mediaHandlers struct {
	onTrack atomic.Pointer[func(*RemoteTrack, *RTPReceiver)]
}

// hasNegotiatedMedia reports whether any transceiver negotiated a section.
func (a *peerActor) hasNegotiatedMedia() bool {
	return slices.ContainsFunc(a.transceivers, func(x *transceiver) bool { return x.neg != nil })
}
