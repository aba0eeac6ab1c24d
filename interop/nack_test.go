package interop

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The loss of the NACK tests.
const (
	lossRate    = 0.05
	lossyFrames = 120              // frames sent with loss: 4 s at 30 fps, the clip twice
	nackFrames  = lossyFrames + 15 // the last half second goes through without loss
)

// lossyMedia is what the relay loses of one peer's video: lossRate of the
// original RTP packets of the first lossyFrames frames, and lossRate of the
// retransmissions throughout. The last frames go through without loss
// because a receiver only sees that a packet is missing once a later one
// comes. Losses are drawn apart for originals and retransmissions, so that
// which originals are lost does not depend on when retransmissions come.
// drop runs on the relay goroutine; the rest reads under mu.
type lossyMedia struct {
	classify func(h *rtp.Header) (media, rtx bool)

	mu                             sync.Mutex
	lose, loseRTX                  *rand.Rand
	base                           *uint32
	media, rtx, lostMedia, lostRTX int
	hit                            map[uint32]bool // timestamps of frames that lost an original packet
	nacks                          int             // NACK packets the receiver sent back
}

func newLossyMedia(classify func(h *rtp.Header) (media, rtx bool)) *lossyMedia {
	return &lossyMedia{
		classify: classify,
		lose:     rand.New(rand.NewPCG(10, 11)),
		loseRTX:  rand.New(rand.NewPCG(11, 13)),
		hit:      map[uint32]bool{},
	}
}

// drop is the relay's filter of the sender's datagrams.
func (l *lossyMedia) drop(b []byte) bool {
	h, ok := rtpHeader(b)
	if !ok {
		return false // STUN, DTLS, SRTCP pass: the loss is on media
	}
	media, rtx := l.classify(&h)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case media:
		l.media++
		if l.base == nil {
			l.base = &h.Timestamp
		}
		if h.Timestamp-*l.base >= lossyFrames*3000 || l.lose.Float64() >= lossRate {
			return false
		}
		l.lostMedia++
		l.hit[h.Timestamp] = true
		return true
	case rtx:
		l.rtx++
		if l.loseRTX.Float64() >= lossRate {
			return false
		}
		l.lostRTX++
		return true
	}
	return false
}

// countNACKs is the relay's filter of the receiver's datagrams: it loses
// nothing and counts NACKs (RTPFB, FMT 1), which go alone in an SRTCP
// packet, whose first header is in the clear.
func (l *lossyMedia) countNACKs(b []byte) bool {
	if len(b) >= 8 && b[0]>>6 == 2 && b[0]&0x1f == 1 && b[1] == 205 {
		l.mu.Lock()
		l.nacks++
		l.mu.Unlock()
	}
	return false
}

func (l *lossyMedia) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("relay: %d media packets and %d RTX, lost %d media (%d frames hit) and %d RTX; %d NACKs back",
		l.media, l.rtx, l.lostMedia, len(l.hit), l.lostRTX, l.nacks)
}

// check judges a NACK test: enough frames came back identical, and what
// was lost was asked for, resent and recovered.
func (l *lossyMedia) check(t *testing.T, what string, res matchResult) {
	t.Helper()
	t.Log(l)
	checkShare(t, what, res)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lostMedia == 0:
		t.Fatal("the relay lost no media packet")
	case l.nacks == 0:
		t.Error("the receiver sent no NACK")
	case l.rtx == 0:
		t.Error("the sender retransmitted nothing over RTX")
	}
	// Without retransmission every frame hit would be lost.
	if res.identical <= res.sent-len(l.hit) {
		t.Errorf("%d frames identical, no more than the %d that lost nothing: nothing was recovered", res.identical, res.sent-len(l.hit))
	}
}

// nackClip is the video that the NACK tests send.
func nackClip(aus [][]byte) [][]byte {
	want := make([][]byte, nackFrames)
	for i := range want {
		want[i] = aus[i%len(aus)]
	}
	return want
}

// TestMediaNACKChanrtcToPion: chanrtc sends H.264 to pion through a relay
// that loses 5% of chanrtc's RTP packets. pion's default NACK generator
// asks for the lost ones; chanrtc resends them over RTX (RFC 4588), which
// pion unwraps; pion's sample builder then rebuilds the access units.
//
// pion's NACK generator (interceptor v0.1.51) only counts packets of the
// media SSRC as received, not those repaired over RTX, so it asks for a
// lost packet again every 100 ms for as long as it stays in its 512-packet
// window (pion/interceptor#320), and chanrtc answers each time: many
// more RTX packets than losses, which the test logs but does not judge.
func TestMediaNACKChanrtcToPion(t *testing.T) {
	checkLeaks(t)
	aus := videoClip(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	pr := newPairWith(t, chanrtcConfig(), pionMediaAPI(t))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })

	video, err := chanrtc.NewLocalTrack(chanrtc.CodecH264, "video", "av")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pr.c.AddTrack(video); err != nil {
		t.Fatal(err)
	}
	// chanrtc offers, so its payload types are the ones used.
	loss := newLossyMedia(func(h *rtp.Header) (bool, bool) {
		return h.PayloadType == chanrtc.CodecH264.PayloadType, h.PayloadType == chanrtc.CodecH264.RTX
	})
	relay := newRelay(t, loss.drop, loss.countNACKs)
	tracks := make(chan *webrtc.TrackRemote, 1)
	pr.p.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { tracks <- tr })
	signalThroughRelay(t, relay, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p))
	pr.waitConnected(t)

	sent := sendFromChanrtc(t, &wg, stop, video, nil, aus, nackFrames, nil)
	vt := recv(t, tracks, "pion OnTrack")
	col, done := pionReadVideo(&wg, vt)
	if st := recv(t, sent, "chanrtc sending the clip"); st.videoFailed > 0 {
		t.Logf("chanrtc refused %d frames", st.videoFailed)
	}
	col.waitFor(nackFrames-1, 2*time.Second, timeoutC()) // the last waits for Flush
	if err := vt.SetReadDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	closedWithin(t, done, "pion video reader")

	res := matchFrames(nackClip(aus), videoOffsets(nackFrames), 3000, col.snapshot(), sameNALs)
	loss.check(t, "chanrtc→pion H.264 with 5% loss", res)
	pr.closeAndCheck(t)
}

// TestMediaNACKPionToChanrtc: pion sends H.264 to chanrtc through a relay
// that loses 5% of pion's RTP packets. chanrtc's jitter buffer asks for
// the lost ones; pion's default NACK responder resends them over RTX,
// which chanrtc unwraps; ReadFrame returns whole frames. A frame chanrtc
// gave up on would come out as LostBefore, and the frames up to the next
// keyframe (one per second in the clip) would be lost with it.
func TestMediaNACKPionToChanrtc(t *testing.T) {
	checkLeaks(t)
	aus := videoClip(t)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	pr := newPairWith(t, chanrtcConfig(), pionMediaAPI(t))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })

	pv := newBoundTrack(t, pionH264, "video", "av")
	s, err := pr.p.AddTrack(pv)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { // pion's NACK responder sees NACKs as they are read
		for {
			if _, _, err := s.ReadRTCP(); err != nil {
				return
			}
		}
	})
	enc := s.GetParameters().Encodings[0]
	ssrc, rtxSSRC := uint32(enc.SSRC), uint32(enc.RTX.SSRC)
	if rtxSSRC == 0 {
		t.Fatal("pion's sender has no RTX SSRC")
	}
	loss := newLossyMedia(func(h *rtp.Header) (bool, bool) { return h.SSRC == ssrc, h.SSRC == rtxSSRC })
	relay := newRelay(t, loss.countNACKs, loss.drop)
	tracks := make(chan *chanrtc.RemoteTrack, 1)
	pr.c.OnTrack(func(tr *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) { tracks <- tr })
	signalThroughRelay(t, relay, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c})
	pr.waitConnected(t)
	rv := recv(t, tracks, "chanrtc OnTrack")
	col := chanrtcRead(&wg, rv)
	if st := recv(t, sendFromPion(t, &wg, stop, pv, nil, aus, nackFrames, nil), "pion sending the clip"); st.videoFailed > 0 {
		t.Errorf("pion failed %d writes", st.videoFailed)
	}
	col.waitFor(nackFrames, 2*time.Second, timeoutC())
	got := col.snapshot()
	pr.closeAndCheck(t)

	res := matchFrames(nackClip(aus), videoOffsets(nackFrames), 3000, got, sameNALs)
	gaps := 0
	for _, f := range got {
		if f.lostBefore {
			gaps++
		}
	}
	t.Logf("chanrtc: %d frames marked LostBefore", gaps)
	loss.check(t, "pion→chanrtc H.264 with 5% loss", res)
}
