package interop

import (
	"strings"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestPionAnswersPassive: pion answers a=setup:passive (it is the DTLS
// server), so chanrtc, the offerer, must be the DTLS client: it starts the
// handshake and its in-band channels take even stream IDs (RFC 8832 §6).
func TestPionAnswersPassive(t *testing.T) {
	checkLeaks(t)
	pr := newPairWith(t, chanrtcConfig(), pionAPI(func(se *webrtc.SettingEngine) {
		if err := se.SetAnsweringDTLSRole(webrtc.DTLSRoleServer); err != nil {
			t.Fatal(err)
		}
	}))
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	dc, err := pr.c.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedChanrtc(dc)[0]
	want := echoMessages()
	got, add := collect(len(want)+1, errs)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })

	signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	if sdp := pr.c.RemoteDescription().SDP; !strings.Contains(sdp, "a=setup:passive") {
		t.Fatalf("pion's answer does not say a=setup:passive:\n%s", sdp)
	}
	pr.waitConnected(t)
	closedWithin(t, opened, "chanrtc open")
	if id := dc.ID(); id == nil || *id%2 != 0 {
		t.Errorf("chanrtc, the DTLS client, gave its channel stream id %v, want an even one", fmtPtr(id))
	}
	for i, m := range want {
		if m.text {
			err = dc.SendText(string(m.data))
		} else {
			err = dc.Send(m.data)
		}
		if err != nil {
			t.Fatalf("send #%d: %v", i, err)
		}
	}
	expectEchoes(t, want, got)
	errs.check(t)
	pr.closeAndCheck(t)
}
