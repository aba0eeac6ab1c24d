package interop

import (
	"fmt"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestRenegotiation: after connecting, each side makes a new offer in turn
// (same transport, nothing added); the connection and its DataChannel keep
// working through both exchanges, and a channel opened afterwards works
// too.
func TestRenegotiation(t *testing.T) {
	for _, chanrtcOffersFirst := range []bool{true, false} {
		name := "pion-offers-first"
		if chanrtcOffersFirst {
			name = "chanrtc-offers-first"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			pr := newPair(t)
			errs := newAsyncErrs()
			pionEcho(pr.p, errs, nil)
			dc, err := pr.c.CreateDataChannel("echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			opened := openedChanrtc(dc)[0]
			got, add := collect(8, errs)
			dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })
			if !chanrtcOffersFirst {
				// pion needs something to offer: a channel of its own.
				if _, err := pr.p.CreateDataChannel("pion", nil); err != nil {
					t.Fatal(err)
				}
			}

			c, p := chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p)
			echo := func(what string) {
				t.Helper()
				if err := dc.SendText(what); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if m := recv(t, got, "echo "+what); !m.text || string(m.data) != what {
					t.Fatalf("%s: echo %s", what, m)
				}
			}
			checkStable := func(what string) {
				t.Helper()
				if s := pr.c.SignalingState(); s != chanrtc.SignalingStateStable {
					t.Fatalf("%s: chanrtc signaling state %s", what, s)
				}
				if s := pr.p.SignalingState(); s != webrtc.SignalingStateStable {
					t.Fatalf("%s: pion signaling state %s", what, s)
				}
				if s := pr.c.ConnectionState(); s != chanrtc.PeerConnectionStateConnected {
					t.Fatalf("%s: chanrtc connection state %s", what, s)
				}
				if s := pr.p.ConnectionState(); s != webrtc.PeerConnectionStateConnected {
					t.Fatalf("%s: pion connection state %s", what, s)
				}
			}

			if chanrtcOffersFirst {
				signal(t, c, p, false)
			} else {
				signal(t, p, c, false)
			}
			pr.waitConnected(t)
			closedWithin(t, opened, "chanrtc open")
			echo("before")

			for i, offerer := range []endpoint{p, c, p, c} {
				answerer := endpoint(c)
				if offerer == c {
					answerer = p
				}
				reoffer(t, offerer, answerer)
				what := fmt.Sprintf("after re-offer %d by %s", i+1, offerer.name())
				checkStable(what)
				echo(what)
			}

			// A channel opened after renegotiation still works.
			late, err := pr.c.CreateDataChannel("late", nil)
			if err != nil {
				t.Fatal(err)
			}
			lateOpen := openedChanrtc(late)[0]
			lateGot, lateAdd := collect(2, errs)
			late.OnMessage(func(m chanrtc.DataChannelMessage) { lateAdd(m.IsString, m.Data) })
			closedWithin(t, lateOpen, "late channel open")
			if err := late.Send([]byte("late")); err != nil {
				t.Fatal(err)
			}
			if m := recv(t, lateGot, "echo on late"); m.text || string(m.data) != "late" {
				t.Fatalf("echo on late: %s", m)
			}

			// Nothing in between moved either side out of connected.
			for len(pr.cStates) > 0 {
				if s := <-pr.cStates; s != chanrtc.PeerConnectionStateConnected {
					t.Errorf("chanrtc went %s during renegotiation", s)
				}
			}
			for len(pr.pStates) > 0 {
				if s := <-pr.pStates; s != webrtc.PeerConnectionStateConnected {
					t.Errorf("pion went %s during renegotiation", s)
				}
			}
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}

// reoffer runs one more offer/answer on a connected pair; ICE is already
// running, so the descriptions go as they are, with what was gathered.
func reoffer(t *testing.T, offerer, answerer endpoint) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("re-offer: %s: %v", what, err)
		}
	}
	offer, err := offerer.createOffer()
	must(offerer.name()+" CreateOffer", err)
	must(offerer.name()+" SetLocalDescription(offer)", offerer.setLocal(offer))
	must(answerer.name()+" SetRemoteDescription(offer)", answerer.setRemote(offerer.localDescription()))
	answer, err := answerer.createAnswer()
	must(answerer.name()+" CreateAnswer", err)
	must(answerer.name()+" SetLocalDescription(answer)", answerer.setLocal(answer))
	must(offerer.name()+" SetRemoteDescription(answer)", offerer.setRemote(answerer.localDescription()))
}
