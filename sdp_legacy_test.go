//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"strings"
	"testing"
)

// legacySCTP rewrites a description's data channel section into the form
// stacks that predate RFC 8841 still send: "DTLS/SCTP 5000" with
// a=sctpmap instead of "UDP/DTLS/SCTP webrtc-datachannel" with
// a=sctp-port.
func legacySCTP(t *testing.T, sdp string) string {
	t.Helper()
	for _, r := range [][2]string{
		{"UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"},
		{"a=sctp-port:5000", "a=sctpmap:5000 webrtc-datachannel 1024"},
	} {
		if !strings.Contains(sdp, r[0]) {
			t.Fatalf("description lacks %q:\n%s", r[0], sdp)
		}
		sdp = strings.Replace(sdp, r[0], r[1], 1)
	}
	return sdp
}

// TestLegacySCTPOfferIsAnswered: a remote offering DataChannels in the
// legacy SDP form gets an answer in that form and a working channel.
func TestLegacySCTPOfferIsAnswered(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	answerer.OnDataChannel(func(dc *DataChannel) {
		dc.OnMessage(func(m DataChannelMessage) { _ = dc.SendText("echo " + string(m.Data)) })
	})
	dc, err := offerer.CreateDataChannel("legacy", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	got := make(chan string, 1)
	dc.OnMessage(func(m DataChannelMessage) { got <- string(m.Data) })

	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, offerer)
	remote := *offerer.LocalDescription()
	remote.SDP = legacySCTP(t, remote.SDP)
	if err := answerer.SetRemoteDescription(remote); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, answerer)
	desc := *answerer.LocalDescription()
	if !strings.Contains(desc.SDP, "m=application 9 DTLS/SCTP 5000\r\n") || !strings.Contains(desc.SDP, "a=sctpmap:5000 webrtc-datachannel 1024\r\n") {
		t.Fatalf("the answer to a legacy offer is not in the legacy form:\n%s", desc.SDP)
	}
	if err := offerer.SetRemoteDescription(desc); err != nil {
		t.Fatal(err)
	}
	recv(t, opened, "open")
	if err := dc.SendText("hi"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, got, "echo"); m != "echo hi" {
		t.Fatalf("got %q", m)
	}
}
