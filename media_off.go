//go:build chanrtc_nomedia

package chanrtc

import (
	"context"

	"github.com/chanrtc/chanrtc/internal/jsep"
)

// Built with chanrtc_nomedia: no tracks or transceivers. Offers carry only
// the DataChannel section, and an answer rejects the remote's audio and
// video sections (BuildAnswer rejects what no local section accepts).

type mediaState struct{}

type mediaHandlers struct{}

func (a *peerActor) hasNegotiatedMedia() bool { return false }

func (a *peerActor) handleMedia(context.Context, peerMsg) bool { return false }

func (a *peerActor) offerMedia(p *jsep.Local) {
	if p.DataChannel {
		if a.dataMID == "" {
			a.dataMID = "0"
		}
		p.DataMID = a.dataMID
	}
}

func (a *peerActor) remoteMediaOffer(d *jsep.Description) {
	for _, m := range d.Media {
		if m.Kind == "application" && a.dataMID == "" {
			a.dataMID = m.MID
		}
	}
}

func (a *peerActor) answerMedia(p *jsep.Local, _ *jsep.Description) { p.DataMID = a.dataMID }

func (a *peerActor) applyNegotiation() {}

func (a *peerActor) startMedia(context.Context) error { return nil }

func (a *peerActor) routeMedia() error { return nil }

func (a *peerActor) closeTracks() {}
