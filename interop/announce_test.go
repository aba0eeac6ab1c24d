package interop

import (
	"fmt"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestSendFromOnDataChannel: a channel the remote opens is announced open
// (W3C: readyState is "open" when the datachannel event fires), so the
// application can send on it from inside OnDataChannel, a common pattern.
func TestSendFromOnDataChannel(t *testing.T) {
	const channels = 16
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()

	pr.c.OnDataChannel(func(d *chanrtc.DataChannel) {
		if s := d.ReadyState(); s != chanrtc.DataChannelStateOpen {
			errs.add("%s: ReadyState %s inside OnDataChannel", d.Label(), s)
		}
		if err := d.SendText("hello " + d.Label()); err != nil {
			errs.add("%s: SendText inside OnDataChannel: %v", d.Label(), err)
		}
	})
	got := make(chan string, channels)
	for i := range channels {
		d, err := pr.p.CreateDataChannel(fmt.Sprintf("ch%02d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			if want := "hello " + d.Label(); string(m.Data) != want || !m.IsString {
				errs.add("%s: got %q, want %q", d.Label(), m.Data, want)
			}
			got <- d.Label()
		})
	}
	signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
	pr.waitConnected(t)
	for range channels {
		select {
		case <-got:
		case err := <-errs:
			t.Fatal(err)
		case <-timeoutC():
			t.Fatal("timed out waiting for the greetings")
		}
	}
	errs.check(t)
	pr.closeAndCheck(t)
}
