package interop

import (
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestRemotePeerConnectionClose: when one side closes its whole
// PeerConnection, the other side's DataChannel closes.
func TestRemotePeerConnectionClose(t *testing.T) {
	for _, chanrtcCloses := range []bool{true, false} {
		name := "pion-closes"
		if chanrtcCloses {
			name = "chanrtc-closes"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			pr := newPair(t)
			errs := newAsyncErrs()
			pClosed := newEvent()
			pOpened := newEvent()
			pr.p.OnDataChannel(func(d *webrtc.DataChannel) {
				d.OnClose(pClosed.fire)
				pOpened.fire()
			})
			dc, err := pr.c.CreateDataChannel("x", nil)
			if err != nil {
				t.Fatal(err)
			}
			cOpened, cClosed := newEvent(), newEvent()
			dc.OnOpen(cOpened.fire)
			dc.OnClose(cClosed.fire)
			signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
			pr.waitConnected(t)
			closedWithin(t, cOpened.ch, "chanrtc open")
			closedWithin(t, pOpened.ch, "pion OnDataChannel")

			if chanrtcCloses {
				if err := pr.c.Close(); err != nil {
					t.Fatal(err)
				}
				closedWithin(t, pClosed.ch, "pion DataChannel OnClose after chanrtc closed its PeerConnection")
			} else {
				// pion may report an error of its own ordering here
				// ("sending reset packet in non-established state") when
				// its association ends before it resets its streams: not
				// what this test is about.
				if err := pr.p.GracefulClose(); err != nil {
					t.Logf("pion GracefulClose: %v", err)
				}
				closedWithin(t, cClosed.ch, "chanrtc DataChannel OnClose after pion closed its PeerConnection")
				if s := dc.ReadyState(); s != chanrtc.DataChannelStateClosed {
					t.Errorf("chanrtc ReadyState: %s", s)
				}
			}
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}
