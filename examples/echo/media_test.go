package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/pion/rtp"
)

// TestReflectsEveryVideoCodec: a client that offers only one video codec
// gets its video back, whichever of the ones senders commonly use it is:
// VP9 and AV1 packet by packet, H.264 High frame by frame.
func TestReflectsEveryVideoCodec(t *testing.T) {
	checkLeaks(t) // first, so it runs after the server has closed
	cfg := testConfig()
	cfg.Codecs = echoCodecs()
	_, ts := startServer(t, cfg)
	t.Run("VP9", func(t *testing.T) { checkRTPReflected(t, ts.URL, chanrtc.CodecVP9) })
	t.Run("AV1", func(t *testing.T) { checkRTPReflected(t, ts.URL, chanrtc.CodecAV1) })
	t.Run("H.264 High", func(t *testing.T) {
		high := chanrtc.CodecH264
		high.Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"
		checkFramesReflected(t, ts.URL, high)
	})
}

// mediaClient is a client offering one video track in codec, alone.
func mediaClient(t *testing.T, url string, codec chanrtc.Codec, onTrack func(*chanrtc.RemoteTrack)) (*chanrtc.PeerConnection, *chanrtc.LocalTrack) {
	t.Helper()
	cfg := testConfig()
	cfg.Codecs = []chanrtc.Codec{codec}
	pc, err := chanrtc.NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	local, err := chanrtc.NewLocalTrack(codec, "video", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(local); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(rt *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) { go onTrack(rt) })
	postOffer(t, url, pc)
	return pc, local
}

// checkRTPReflected sends numbered RTP payloads and expects them back.
func checkRTPReflected(t *testing.T, url string, codec chanrtc.Codec) {
	const n = 200
	var mu sync.Mutex
	got := map[string]bool{}
	var gotCodec string
	done := make(chan struct{})
	pc, local := mediaClient(t, url, codec, func(rt *chanrtc.RemoteTrack) {
		mu.Lock()
		gotCodec = rt.Codec().Name
		mu.Unlock()
		for {
			p, err := rt.ReadRTP()
			if err != nil {
				return
			}
			mu.Lock()
			got[string(p.Payload)] = true
			if len(got) == n {
				close(done)
			}
			mu.Unlock()
		}
	})
	sent := 0
	deadline := time.Now().Add(15 * time.Second)
	for seq := uint16(0); sent < n && time.Now().Before(deadline); {
		p := &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: codec.PayloadType, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true},
			Payload: []byte(fmt.Sprintf("%s packet %03d", codec.Name, sent)),
		}
		if err := local.WriteRTP(p); err != nil {
			time.Sleep(10 * time.Millisecond) // not sending yet
			continue
		}
		seq++
		sent++
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	if gotCodec != codec.Name || len(got) < n*9/10 {
		t.Fatalf("%d of %d %s packets reflected (reflection codec %q)", len(got), n, codec.Name, gotCodec)
	}
	for i := range n {
		if want := fmt.Sprintf("%s packet %03d", codec.Name, i); !got[want] && len(got) == n {
			t.Fatalf("%q was not reflected", want)
		}
	}
	_ = pc.Close()
}

// checkFramesReflected sends the H.264 clip and expects its access units
// back whole.
func checkFramesReflected(t *testing.T, url string, codec chanrtc.Codec) {
	aus, err := h264.ReadFile("../../testdata/h264/clip.h264")
	if err != nil {
		t.Fatal(err)
	}
	back := make(chan []byte, len(aus)+8)
	pc, local := mediaClient(t, url, codec, func(rt *chanrtc.RemoteTrack) {
		for {
			f, err := rt.ReadFrame()
			if err != nil {
				return
			}
			back <- f.Data
		}
	})
	local.OnKeyframeRequest(func() { _ = local.WriteFrame(chanrtc.Frame{Data: aus[0], Duration: time.Second / 30}) })
	for i := 0; i < len(aus); {
		if err := local.WriteFrame(chanrtc.Frame{Data: aus[i], Duration: time.Second / 30}); err != nil {
			time.Sleep(10 * time.Millisecond) // not sending yet
			continue
		}
		i++
		time.Sleep(time.Second / 30)
	}
	matched := 0
	timeout := time.After(5 * time.Second)
	for matched < len(aus) {
		select {
		case f := <-back:
			for _, au := range aus {
				if h264.EqualAU(f, au) {
					matched++
					break
				}
			}
		case <-timeout:
			if matched < len(aus)*9/10 {
				t.Fatalf("%d of %d H.264 access units came back whole", matched, len(aus))
			}
			_ = pc.Close()
			return
		}
	}
	_ = pc.Close()
}
