//go:build !chanrtc_nomedia

package chanrtc

import (
	"fmt"
	"strings"
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
	// ReadRTP delivers what arrives once it is first called: send single
	// packets until one is read, so the reader is known to be there.
	seq := uint16(0)
	packet := func(payload string, marker bool) *rtp.Packet {
		seq++
		return &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: CodecH264.PayloadType, SequenceNumber: seq, Timestamp: 90000 * uint32(seq), Marker: marker},
			Payload: []byte(payload),
		}
	}
	for primed := false; !primed; {
		if err := p.video.WriteRTP(packet("\x7c\x85 primer", true)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			primed = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	for i := range n {
		// FU-A fragments of an IDR slice, as a keyframe arrives.
		if err := p.video.WriteRTP(packet(fmt.Sprintf("\x7c\x05 keyframe fragment %03d", i), i == n-1)); err != nil {
			t.Fatalf("packet %d of the burst refused: %v", i, err)
		}
	}
	seen := map[string]bool{}
	timeout := time.After(10 * time.Second)
	for len(seen) < n {
		select {
		case s := <-got:
			if strings.Contains(s, "fragment") {
				seen[s] = true
			}
		case <-timeout:
			t.Fatalf("%d of %d packets of the burst arrived", len(seen), n)
		}
	}
}
