package interop

import (
	"bytes"
	"errors"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

const smallMax = 16 << 10

// TestMaxMessageSizeFromPion: pion advertises a=max-message-size:16384;
// chanrtc must read it, refuse a larger message without sending anything,
// and keep the channel working.
func TestMaxMessageSizeFromPion(t *testing.T) {
	checkLeaks(t)
	pr := newPairWith(t, chanrtcConfig(), pionAPI(func(se *webrtc.SettingEngine) {
		se.SetSCTPMaxMessageSize(smallMax)
	}))
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	dc, err := pr.c.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedChanrtc(dc)[0]
	got, add := collect(4, errs)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })

	signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	pr.waitConnected(t)
	closedWithin(t, opened, "chanrtc DataChannel open")

	if mms := dc.MaxMessageSize(); mms != smallMax {
		t.Fatalf("chanrtc MaxMessageSize %d, want pion's %d", mms, smallMax)
	}
	if err := dc.Send(make([]byte, smallMax+1)); !errors.Is(err, chanrtc.ErrMessageTooLarge) {
		t.Fatalf("Send of %d bytes: %v, want ErrMessageTooLarge", smallMax+1, err)
	}
	if err := dc.SendText(string(make([]byte, smallMax+1))); !errors.Is(err, chanrtc.ErrMessageTooLarge) {
		t.Fatalf("SendText of %d bytes: %v, want ErrMessageTooLarge", smallMax+1, err)
	}
	full := bytes.Repeat([]byte{0xa5}, smallMax)
	if err := dc.Send(full); err != nil {
		t.Fatalf("Send of exactly %d bytes: %v", smallMax, err)
	}
	if m := recv(t, got, "echo of the largest message"); m.text || !bytes.Equal(m.data, full) {
		t.Fatalf("echo: %s", m)
	}
	errs.check(t)
	pr.closeAndCheck(t)
}

// TestMaxMessageSizeToPion: chanrtc advertises its Config.MaxMessageSize;
// pion must read it and refuse to send more.
func TestMaxMessageSizeToPion(t *testing.T) {
	checkLeaks(t)
	cfg := chanrtcConfig()
	cfg.MaxMessageSize = smallMax
	pr := newPairWith(t, cfg, pionAPI())
	errs := newAsyncErrs()
	chanrtcEcho(pr.c, errs, nil)
	dc, err := pr.p.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedPion(dc)[0]
	got, add := collect(4, errs)
	dc.OnMessage(func(m webrtc.DataChannelMessage) { add(m.IsString, m.Data) })

	signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
	pr.waitConnected(t)
	closedWithin(t, opened, "pion DataChannel open")

	if mms := pr.p.SCTP().GetCapabilities().MaxMessageSize; mms != smallMax {
		t.Fatalf("pion sees max-message-size %d, want %d", mms, smallMax)
	}
	if err := dc.Send(make([]byte, smallMax+1)); err == nil {
		t.Fatalf("pion sent %d bytes past chanrtc's max-message-size", smallMax+1)
	}
	full := bytes.Repeat([]byte{0x5a}, smallMax)
	if err := dc.Send(full); err != nil {
		t.Fatalf("pion Send of exactly %d bytes: %v", smallMax, err)
	}
	if m := recv(t, got, "echo of the largest message"); m.text || !bytes.Equal(m.data, full) {
		t.Fatalf("echo: %s", m)
	}
	errs.check(t)
	pr.closeAndCheck(t)
}
