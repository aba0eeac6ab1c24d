package interop

import (
	"strings"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestICELitePeer: many servers run ICE-lite (RFC 8445 §2.5): they answer
// checks but never send them or nominate, so the full agent must be the
// controlling one whatever its JSEP role (§6.1.1). pion in lite mode, as
// offerer and as answerer, against chanrtc: the connection comes up and
// the DataChannel echoes.
func TestICELitePeer(t *testing.T) {
	for _, pionOffers := range []bool{true, false} {
		name := map[bool]string{true: "lite pion offers", false: "lite pion answers"}[pionOffers]
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			pr := newPairWith(t, chanrtcConfig(), pionAPI(func(se *webrtc.SettingEngine) { se.SetLite(true) }))
			errs := newAsyncErrs()
			want := echoMessages()
			got, add := collect(len(want)+1, errs)
			var send func(m msg) error
			var opened <-chan struct{}
			if pionOffers {
				chanrtcEcho(pr.c, errs, nil)
				dc, err := pr.p.CreateDataChannel("echo", nil)
				if err != nil {
					t.Fatal(err)
				}
				o := make(chan struct{})
				dc.OnOpen(func() { close(o) })
				opened = o
				dc.OnMessage(func(m webrtc.DataChannelMessage) { add(m.IsString, m.Data) })
				send = func(m msg) error {
					if m.text {
						return dc.SendText(string(m.data))
					}
					return dc.Send(m.data)
				}
				signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
			} else {
				pionEcho(pr.p, errs, nil)
				dc, err := pr.c.CreateDataChannel("echo", nil)
				if err != nil {
					t.Fatal(err)
				}
				opened = openedChanrtc(dc)[0]
				dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })
				send = func(m msg) error {
					if m.text {
						return dc.SendText(string(m.data))
					}
					return dc.Send(m.data)
				}
				signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
			}
			if sdp := pr.c.RemoteDescription().SDP; !strings.Contains(sdp, "a=ice-lite") {
				t.Fatalf("pion's description does not say a=ice-lite:\n%s", sdp)
			}
			pr.waitConnected(t)
			closedWithin(t, opened, "DataChannel open")
			for i, m := range want {
				if err := send(m); err != nil {
					t.Fatalf("send #%d: %v", i, err)
				}
			}
			expectEchoes(t, want, got)
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}
