//go:build chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"os"
	"testing"

	"github.com/chanrtc/chanrtc/internal/jsep"
)

// Built without media, an answer to a browser's audio+video+data offer
// rejects the audio and video sections and accepts the DataChannel.
func TestNoMediaBuildRejectsMediaSections(t *testing.T) {
	checkLeaks(t)
	offer, err := os.ReadFile("internal/jsep/testdata/chrome_offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	pc := newTestPC(t)
	if err := pc.SetRemoteDescription(SessionDescription{Type: SDPTypeOffer, SDP: string(offer)}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	d, err := jsep.ParseDescription(answer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Media) != 3 {
		t.Fatalf("answer has %d sections, want 3", len(d.Media))
	}
	for i, want := range []bool{true, true, false} {
		if d.Media[i].Rejected != want {
			t.Errorf("section %d (%s) rejected=%v, want %v", i, d.Media[i].Kind, d.Media[i].Rejected, want)
		}
	}
	if d.Data == nil {
		t.Error("the DataChannel section is not accepted")
	}
	_ = pc.Close()
}
