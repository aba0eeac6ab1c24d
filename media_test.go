//go:build !chanrtc_nomedia

package chanrtc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
)

// readClipH264 returns the access units of the committed test clip.
func readClipH264(t testing.TB) [][]byte {
	t.Helper()
	aus, err := h264.ReadFile("testdata/h264/clip.h264")
	if err != nil {
		t.Fatal(err)
	}
	return aus
}

// readClipOpus returns the Opus packets of the committed test clip.
func readClipOpus(t testing.TB) [][]byte {
	t.Helper()
	pkts, err := ogg.ReadFile("testdata/opus/clip.ogg")
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

// mediaPair connects an offerer sending H.264 and Opus to an answerer that
// receives them; loss is the chance that any RTP/RTCP packet the offerer
// sends is lost.
type mediaPair struct {
	offerer, answerer *PeerConnection
	video, audio      *LocalTrack
	tracks            chan *RemoteTrack
}

func newMediaPair(t *testing.T, loss float64, seed uint64) *mediaPair {
	return newMediaPairWith(t, randomLoss(loss, seed, nil))
}

// randomLoss loses a share of the media packets (STUN and DTLS pass), and
// every one while blackout reports true.
func randomLoss(loss float64, seed uint64, blackout func() bool) func([]byte) bool {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed))
	return func(b []byte) bool {
		if len(b) == 0 || b[0] < 128 || b[0] > 191 {
			return false
		}
		if blackout != nil && blackout() {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64() < loss
	}
}

func newMediaPairWith(t *testing.T, drop func([]byte) bool) *mediaPair {
	t.Helper()
	cfg := testConfig()
	cfg.dropOutgoing = drop
	offerer, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = offerer.Close() })
	p := &mediaPair{offerer: offerer, answerer: newTestPC(t), tracks: make(chan *RemoteTrack, 4)}
	p.answerer.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) { p.tracks <- tr })
	if p.video, err = NewLocalTrack(CodecH264, "video", "av"); err != nil {
		t.Fatal(err)
	}
	if p.audio, err = NewLocalTrack(CodecOpus, "audio", "av"); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*LocalTrack{p.video, p.audio} {
		if _, err := offerer.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	signalNonTrickle(t, p.offerer, p.answerer)
	return p
}

func (p *mediaPair) remote(t *testing.T) (video, audio *RemoteTrack) {
	for i := 0; i < 2; i++ {
		tr := recv(t, p.tracks, "OnTrack")
		if tr.Kind() == MediaKindVideo {
			video = tr
		} else {
			audio = tr
		}
	}
	if video == nil || audio == nil {
		t.Fatal("did not get one video and one audio track")
	}
	return video, audio
}

// waitSending waits until the track is bound to a running sender.
func waitSending(t *testing.T, tr *LocalTrack) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tr.sender.Load() == nil {
		if time.Now().After(deadline) {
			t.Fatal("track never started sending")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMediaH264AndOpus(t *testing.T) {
	checkLeaks(t)
	aus := readClipH264(t)
	pkts := readClipOpus(t)
	p := newMediaPair(t, 0, 0)
	rv, ra := p.remote(t)
	waitSending(t, p.video)
	waitSending(t, p.audio)
	if rv.Codec().Name != "H264" || ra.Codec().Name != "opus" {
		t.Fatalf("codecs %q %q", rv.Codec().Name, ra.Codec().Name)
	}
	go func() {
		for i := 0; i < len(aus) || i < len(pkts); i++ {
			if i < len(aus) {
				_ = p.video.WriteFrame(Frame{Data: aus[i], Duration: time.Second / 30})
			}
			if i < len(pkts) {
				d, _ := opus.PacketDuration(pkts[i])
				_ = p.audio.WriteFrame(Frame{Data: pkts[i], Duration: d})
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// Both tracks are read at once: a track's frame queue is bounded and
	// drops its oldest frames when the application falls behind.
	audioErr := make(chan error, 1)
	go func() {
		for i := range pkts {
			f, err := ra.ReadFrame()
			if err != nil {
				audioErr <- err
				return
			}
			if !bytes.Equal(f.Data, pkts[i]) {
				audioErr <- fmt.Errorf("audio frame %d differs (%d bytes, sent %d)", i, len(f.Data), len(pkts[i]))
				return
			}
		}
		audioErr <- nil
	}()
	for i := range aus {
		f, err := rv.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if f.LostBefore {
			t.Fatalf("frame %d: loss reported on a lossless path", i)
		}
		if !h264.EqualAU(f.Data, aus[i]) {
			t.Fatalf("video frame %d differs (%d bytes, sent %d)", i, len(f.Data), len(aus[i]))
		}
		if f.Keyframe != h264.IsKeyframe(aus[i]) {
			t.Fatalf("frame %d keyframe %v", i, f.Keyframe)
		}
	}
	if err := recv(t, audioErr, "audio frames"); err != nil {
		t.Fatal(err)
	}
}

// TestVideoUnderLoss sends the clip in a loop for a few seconds with 5%
// of media packets lost: NACK recovers at least 99% of the frames.
func TestVideoUnderLoss(t *testing.T) {
	checkLeaks(t)
	aus := readClipH264(t)
	p := newMediaPair(t, 0.05, 7)
	rv, _ := p.remote(t)
	waitSending(t, p.video)
	const frames = 150
	go func() {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; i < frames; i++ {
			<-tick.C
			_ = p.video.WriteFrame(Frame{Data: aus[i%len(aus)], Duration: time.Second / 30})
		}
	}()
	got, lostMarks := 0, 0
	deadline := time.After(20 * time.Second)
	done := make(chan struct{})
	var mu sync.Mutex
	go func() {
		defer close(done)
		for {
			f, err := rv.ReadFrame()
			if err != nil {
				return
			}
			mu.Lock()
			if !h264.EqualAU(f.Data, aus[got%len(aus)]) && !f.LostBefore {
				mu.Unlock()
				t.Errorf("frame %d arrived corrupted", got)
				return
			}
			got++
			if f.LostBefore {
				lostMarks++
			}
			n := got
			mu.Unlock()
			if n >= frames {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-deadline:
	case <-time.After(frames*time.Second/30 + 3*time.Second):
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("5%% loss: %d of %d frames complete, %d gaps", got, frames, lostMarks)
	if got*100 < frames*99 {
		t.Fatalf("only %d of %d frames arrived complete", got, frames)
	}
	if s := p.video.sender.Load(); s == nil || s.Retransmitted.Load() == 0 {
		t.Fatal("no packet was retransmitted: was any lost?")
	} else {
		t.Logf("retransmitted %d packets of %d", s.Retransmitted.Load(), s.PacketsSent.Load())
	}
	p.offerer.Close()
	p.answerer.Close()
	<-done
}

// TestVideoRecoversAtHeavyLoss: 20% loss, and a 1.5 s outage in the middle
// whose packets no retransmission can repair: the retransmissions are lost
// too until 300 ms after it (more than the NACK retries take). Without that,
// loopback's 1 ms RTT recovers the whole outage once it ends. The receiver
// gives up on the lost frames, asks for a keyframe, the sender's
// application answers with one, and decoding resumes there.
func TestVideoRecoversAtHeavyLoss(t *testing.T) {
	checkLeaks(t)
	aus := readClipH264(t)
	const (
		normal = iota
		outage
		rtxLost
	)
	var phase atomic.Int32
	loss := randomLoss(0.2, 11, func() bool { return phase.Load() == outage })
	p := newMediaPairWith(t, func(b []byte) bool {
		if phase.Load() == rtxLost && len(b) > 1 && b[1]&0x7f == CodecH264.RTX {
			return true
		}
		return loss(b)
	})
	rv, _ := p.remote(t)
	waitSending(t, p.video)
	var mu sync.Mutex
	keyframeNext := false
	p.video.OnKeyframeRequest(func() { mu.Lock(); keyframeNext = true; mu.Unlock() })
	const frames = 180
	go func() {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; i < frames; i++ {
			<-tick.C
			switch {
			case i >= 60 && i < 105:
				phase.Store(outage)
			case i >= 105 && i < 114:
				phase.Store(rtxLost)
			default:
				phase.Store(normal)
			}
			au := aus[i%len(aus)]
			mu.Lock()
			if keyframeNext {
				au, keyframeNext = aus[0], false
			}
			mu.Unlock()
			_ = p.video.WriteFrame(Frame{Data: au, Duration: time.Second / 30})
		}
	}()
	got, gaps, keyAfterGap := 0, 0, 0
	lastAt := time.Now()
	sendEnd := time.Now().Add(frames*time.Second/30 - time.Second)
	deadline := time.Now().Add(frames*time.Second/30 + 3*time.Second)
	for time.Now().Before(deadline) {
		type res struct {
			f   Frame
			err error
		}
		ch := make(chan res, 1)
		go func() { f, err := rv.ReadFrame(); ch <- res{f, err} }()
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatal(r.err)
			}
			got++
			lastAt = time.Now()
			if r.f.LostBefore {
				gaps++
				if r.f.Keyframe {
					keyAfterGap++
				}
			}
			if !r.f.LostBefore && !r.f.Keyframe && got == 0 {
				t.Fatal("first frame is not a keyframe")
			}
		case <-time.After(time.Until(deadline)):
		}
	}
	s := p.video.sender.Load()
	t.Logf("20%% loss: %d of %d frames delivered, %d gaps (%d resumed at a keyframe), %d keyframe requests, %d retransmissions",
		got, frames, gaps, keyAfterGap, s.KeyframeAsked.Load(), s.Retransmitted.Load())
	if gaps == 0 || s.KeyframeAsked.Load() == 0 {
		t.Fatal("the outage caused no gap and no keyframe request")
	}
	if keyAfterGap != gaps {
		t.Fatalf("%d of %d gaps resumed on a non-keyframe", gaps-keyAfterGap, gaps)
	}
	// Everything but the outage and its recovery arrives.
	if got < frames-45-40 {
		t.Fatalf("only %d of %d frames delivered", got, frames)
	}
	if lastAt.Before(sendEnd) {
		t.Fatal("the stream stalled: nothing arrived after the sender finished")
	}
	p.offerer.Close()
	p.answerer.Close()
}
