//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"strings"
	"testing"
)

// TestReofferAnswerKeepsDTLSRole: once the DTLS association is up, an
// answer to a re-offer, an ICE restart included, keeps the DTLS role its
// side has (a changed a=setup would mean a new association, RFC 8842 §5;
// Chromium refuses such an answer: "SSL Role can't be reversed"). The
// first answerer is the DTLS client; the first offerer, answering a
// re-offer (actpass) from it, must say passive, and the first answerer,
// answering one from the first offerer, active.
func TestReofferAnswerKeepsDTLSRole(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := "renegotiation"
		if restart {
			name = "ice-restart"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			p := newEchoPair(t, false)
			c := newEchoClient(t, p.offerer, "a", nil)
			p.connect(t, false)
			recv(t, c.opened, "open")
			checkEcho(t, c, "before")

			reoffer := func(offerer, answerer *PeerConnection, wantSetup string) {
				t.Helper()
				offer, err := offerer.CreateOffer(OfferOptions{ICERestart: restart})
				if err != nil {
					t.Fatal(err)
				}
				if err := offerer.SetLocalDescription(offer); err != nil {
					t.Fatal(err)
				}
				waitGathered(t, offerer)
				answerNonTrickle(t, offerer, answerer)
				if got := setupOf(answerer.LocalDescription().SDP); got != wantSetup {
					t.Errorf("answer to a re-offer says a=setup:%s, want %s (the role it has)", got, wantSetup)
				}
			}
			reoffer(p.answerer, p.offerer, "passive")
			checkEcho(t, c, "after the first answerer's re-offer")
			reoffer(p.offerer, p.answerer, "active")
			checkEcho(t, c, "after the first offerer's re-offer")
		})
	}
}

// setupOf returns the first a=setup value of an SDP.
func setupOf(sdp string) string {
	for line := range strings.Lines(sdp) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=setup:"); ok {
			return v
		}
	}
	return ""
}
