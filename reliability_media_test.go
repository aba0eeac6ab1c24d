//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"bytes"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// videoFrame is frame k of a 30 fps test stream of about 5 Mbit/s: the
// clip's keyframe (with SPS and PPS) once a second, and otherwise a 20 KB
// non-IDR slice whose filler depends on k, so that a frame handed out under
// the wrong timestamp is caught. The receiver reassembles frames without
// decoding them.
func videoFrame(keyframe []byte, k int) []byte {
	if k%30 == 0 {
		return keyframe
	}
	return append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{byte(0x10 + k%200)}, 20<<10)...)
}

// TestMediaOverLossyPath: a minute of H.264 video (about 5 Mbit/s) and
// Opus audio over the lossy path (10% loss, 30 ± 10 ms, 5% reordering, 1%
// duplication each way). Every frame the receiver hands out is the frame
// that was sent with that timestamp, byte for byte; NACK repairs most
// losses, and the rest show as gaps, never as damaged frames.
func TestMediaOverLossyPath(t *testing.T) {
	aus := readClipH264(t)
	if !h264.IsKeyframe(aus[0]) {
		t.Fatal("the clip does not start with a keyframe")
	}
	pkts := readClipOpus(t)
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		p := newSimPair(t, 9, nil)
		p.impair(badWiFi)
		video, err := NewLocalTrack(CodecH264, "video", "av")
		if err != nil {
			t.Fatal(err)
		}
		audio, err := NewLocalTrack(CodecOpus, "audio", "av")
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range []*LocalTrack{video, audio} {
			if _, err := p.offerer.AddTrack(tr); err != nil {
				t.Fatal(err)
			}
		}
		tracks := make(chan *RemoteTrack, 2)
		p.answerer.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) { tracks <- tr })
		signalNonTrickle(t, p.offerer, p.answerer)
		var rv, ra *RemoteTrack
		for range 2 {
			tr := recvWithin(t, tracks, 30*time.Second, "OnTrack")
			if tr.Kind() == MediaKindVideo {
				rv = tr
			} else {
				ra = tr
			}
		}
		for video.sender.Load() == nil || audio.sender.Load() == nil {
			time.Sleep(10 * time.Millisecond)
		}

		const seconds = 60
		const videoFrames, audioFrames = seconds * 30, seconds * 50
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for i := range audioFrames {
				if i%5 == 0 && i/5*3 < videoFrames {
					// Video at 30 fps: three frames every 100 ms.
					for j := range 3 {
						k := i/5*3 + j
						_ = video.WriteFrame(Frame{Data: videoFrame(aus[0], k), Duration: time.Second / 30})
					}
				}
				pkt := pkts[i%len(pkts)]
				d, _ := opus.PacketDuration(pkt)
				_ = audio.WriteFrame(Frame{Data: pkt, Duration: d})
				time.Sleep(20 * time.Millisecond)
			}
		}()

		type tally struct {
			frames, gaps int
			err          error
		}
		readTrack := func(tr *RemoteTrack, same func(idx int, data []byte) bool, find func([]byte) int, tick uint32, total int) <-chan tally {
			out := make(chan tally, 1)
			go func() {
				var r tally
				defer func() { out <- r }()
				var ts0 uint32
				for r.frames < total {
					f, err := tr.ReadFrame()
					if err != nil {
						return
					}
					if r.frames == 0 {
						k := find(f.Data)
						if k < 0 {
							r.err = fmt.Errorf("first frame matches nothing sent")
							return
						}
						ts0 = f.Timestamp - uint32(k)*tick
					}
					idx := int((f.Timestamp - ts0) / tick)
					if !same(idx, f.Data) {
						r.err = fmt.Errorf("frame %d (timestamp %d) is not the frame sent", idx, f.Timestamp)
						return
					}
					r.frames++
					if f.LostBefore {
						r.gaps++
					}
					if idx == total-1 {
						return
					}
				}
			}()
			return out
		}
		vOut := readTrack(rv,
			func(i int, b []byte) bool { return h264.EqualAU(b, videoFrame(aus[0], i)) },
			func(b []byte) int {
				for k := range 200 {
					if h264.EqualAU(b, videoFrame(aus[0], k)) {
						return k
					}
				}
				return -1
			}, 90000/30, videoFrames)
		aOut := readTrack(ra,
			func(i int, b []byte) bool { return string(b) == string(pkts[i%len(pkts)]) },
			func(b []byte) int {
				for k, pkt := range pkts {
					if string(b) == string(pkt) {
						return k
					}
				}
				return -1
			}, 960, audioFrames)
		// The readers stop at the last frame, or when the connection closes
		// if that frame was lost.
		recvWithin(t, sent, (seconds+10)*time.Second, "sender")
		time.Sleep(3 * time.Second)
		vs, as, ss := rv.Stats(), ra.Stats(), video.Stats()
		_ = p.answerer.Close()
		v := recvWithin(t, vOut, time.Second, "video reader")
		a := recvWithin(t, aOut, time.Second, "audio reader")
		for _, r := range []tally{v, a} {
			if r.err != nil {
				t.Fatal(r.err)
			}
		}
		t.Logf("video: %d of %d frames delivered intact (%.1f%%), %d gaps; %d packets sent, %d retransmitted, %d recovered by NACK, %d lost, %d keyframe requests",
			v.frames, videoFrames, 100*float64(v.frames)/videoFrames, v.gaps, ss.PacketsSent, ss.PacketsRetransmitted, vs.PacketsRecovered, vs.PacketsLost, vs.KeyframeRequests)
		t.Logf("audio: %d of %d frames delivered intact (%.1f%%), %d gaps, %d recovered by NACK, %d lost",
			a.frames, audioFrames, 100*float64(a.frames)/audioFrames, a.gaps, as.PacketsRecovered, as.PacketsLost)
		if v.frames < videoFrames*9/10 {
			t.Fatalf("only %d of %d video frames", v.frames, videoFrames)
		}
		if vs.PacketsRecovered == 0 {
			t.Fatal("nothing recovered by NACK at 10% loss")
		}
	})
	t.Logf("%d s of media in %v of wall-clock time", 60, time.Since(wall).Round(time.Millisecond))
}
