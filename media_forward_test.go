//go:build !chanrtc_nomedia

package chanrtc

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestForwardedKeyframeBurst: a forwarder hands a whole video keyframe to
// WriteRTP at once, as fast as it reads it (250 packets, a ~300 KB
// keyframe): every packet is taken, none refused, and each arrives.
func TestForwardedKeyframeBurst(t *testing.T) {
	checkLeaks(t)
	p := newMediaPair(t, 0, 1)
	video, _ := p.remote(t)
	waitSending(t, p.video)
	const n = 250
	got := make(chan string, n)
	go func() {
		for {
			pkt, err := video.ReadRTP()
			if err != nil {
				return
			}
			got <- string(pkt.Payload)
		}
	}()
	for i := range n {
		pkt := &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: CodecH264.PayloadType, SequenceNumber: uint16(i), Timestamp: 90000, Marker: i == n-1},
			Payload: []byte(fmt.Sprintf("\x7c\x05 keyframe fragment %03d", i)), // FU-A of an IDR slice
		}
		if err := p.video.WriteRTP(pkt); err != nil {
			t.Fatalf("packet %d of the burst refused: %v", i, err)
		}
	}
	seen := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(seen) < n {
		select {
		case s := <-got:
			seen[s] = true
		case <-timeout:
			t.Fatalf("%d of %d packets of the burst arrived", len(seen), n)
		}
	}
}
