package interop

import (
	"fmt"
	"testing"

	"github.com/chanrtc/chanrtc"
)

// TestLateOnOpen: OnOpen set right after CreateDataChannel on a connected
// PeerConnection is called.
func TestLateOnOpen(t *testing.T) {
	const channels = 16
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	first, err := pr.c.CreateDataChannel("first", nil)
	if err != nil {
		t.Fatal(err)
	}
	firstOpen := openedChanrtc(first)[0]
	signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	pr.waitConnected(t)
	closedWithin(t, firstOpen, "first channel open")

	for i := range channels {
		d, err := pr.c.CreateDataChannel("late", nil)
		if err != nil {
			t.Fatal(err)
		}
		opened := newEvent()
		d.OnOpen(opened.fire)
		closedWithin(t, opened.ch, fmt.Sprintf("OnOpen of late channel #%d", i))
		if s := d.ReadyState(); s != chanrtc.DataChannelStateOpen {
			t.Fatalf("ReadyState in OnOpen: %s", s)
		}
	}
	errs.check(t)
	pr.closeAndCheck(t)
}
