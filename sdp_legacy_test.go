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
	answerer.OnDataChannel(echoOn)
	c := newEchoClient(t, offerer, "legacy", nil)
	signalEditing(t, offerer, answerer, func(sdp string) string { return legacySCTP(t, sdp) }, func(sdp string) string {
		if !strings.Contains(sdp, "m=application 9 DTLS/SCTP 5000\r\n") || !strings.Contains(sdp, "a=sctpmap:5000 webrtc-datachannel 1024\r\n") {
			t.Fatalf("the answer to a legacy offer is not in the legacy form:\n%s", sdp)
		}
		return sdp
	})
	recv(t, c.opened, "open")
	if err := c.dc.SendText("hi"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c.got, "echo"); string(m.Data) != "hi" || !m.IsString {
		t.Fatalf("got %+v", m)
	}
}
