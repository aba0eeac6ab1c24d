package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"go.uber.org/goleak"
)

const (
	clipVideo = "../../testdata/h264/clip.h264"
	clipAudio = "../../testdata/opus/clip.ogg"
)

// testConfig keeps test traffic on 127.0.0.1 with mDNS off.
func testConfig() chanrtc.Config {
	return chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled}
}

// startServer runs the play handler on an httptest server on 127.0.0.1.
// Its consent checks are quick, so that a client that goes away is seen
// gone within about a second.
func startServer(t *testing.T, m *media) (*server, *httptest.Server) {
	t.Helper()
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = 500 * time.Millisecond
	cfg.ICEFailedTimeout = 1500 * time.Millisecond
	cfg.ICEKeepaliveInterval = 100 * time.Millisecond
	s := newServer(cfg, m, slog.New(slog.NewTextHandler(t.Output(), nil)))
	s.DisconnectedTimeout = 300 * time.Millisecond
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

func testMedia(t *testing.T, video, audio string, fps float64, loop bool) *media {
	t.Helper()
	m, err := loadMedia(video, audio, fps, loop)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// received is what a client read from one remote track.
type received struct {
	mu     sync.Mutex
	frames []chanrtc.Frame
	more   chan struct{} // signalled after each frame
}

func (r *received) read(t *chanrtc.RemoteTrack) {
	for {
		f, err := t.ReadFrame()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.frames = append(r.frames, f)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
	}
}

func (r *received) snapshot() []chanrtc.Frame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chanrtc.Frame(nil), r.frames...)
}

// waitFor waits until at least n frames arrived.
func (r *received) waitFor(t *testing.T, n int, timeout time.Duration, what string) []chanrtc.Frame {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if f := r.snapshot(); len(f) >= n {
			return f
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("%s: %d frames after %v, want %d", what, len(r.snapshot()), timeout, n)
		}
	}
}

// client is the test's receiving side.
type client struct {
	pc           *chanrtc.PeerConnection
	video, audio *received
	tracks       chan *chanrtc.RemoteTrack
	readers      sync.WaitGroup
}

// dial makes a receive-only offer for kinds, POSTs it to url, and applies
// the answer; what the tracks receive is collected.
func dial(t *testing.T, url string, kinds ...chanrtc.MediaKind) *client {
	t.Helper()
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := &client{pc: pc, tracks: make(chan *chanrtc.RemoteTrack, 4),
		video: &received{more: make(chan struct{}, 1)}, audio: &received{more: make(chan struct{}, 1)}}
	t.Cleanup(func() {
		_ = pc.Close()
		c.readers.Wait()
	})
	pc.OnTrack(func(tr *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) {
		r := c.audio
		if tr.Kind() == chanrtc.MediaKindVideo {
			r = c.video
		}
		c.readers.Go(func() { r.read(tr) })
		c.tracks <- tr
	})
	for _, k := range kinds {
		if _, err := pc.AddTransceiver(k, &chanrtc.TransceiverInit{Direction: chanrtc.DirectionRecvOnly}); err != nil {
			t.Fatal(err)
		}
	}
	answer, status := post(t, url, pc)
	if status != http.StatusCreated {
		t.Fatalf("POST /offer: %d: %s", status, answer)
	}
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	return c
}

// post makes pc's complete offer and POSTs it; it returns the body and
// the status.
func post(t *testing.T, url string, pc *chanrtc.PeerConnection) (string, int) {
	t.Helper()
	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pc.GatheringComplete():
	case <-time.After(10 * time.Second):
		t.Fatal("gathering did not complete")
	}
	resp, err := http.Post(url+"/offer", "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusCreated {
		if ct := resp.Header.Get("Content-Type"); ct != "application/sdp" {
			t.Errorf("answer Content-Type %q", ct)
		}
		if !strings.Contains(string(body), "a=end-of-candidates") {
			t.Errorf("answer is not complete:\n%s", body)
		}
	}
	return string(body), resp.StatusCode
}

// nals returns an access unit's NAL units: start codes and access unit
// delimiters (which the packetizer drops) do not count.
func nals(au []byte) [][]byte {
	var out [][]byte
	h264.SplitAnnexB(au, func(n []byte) {
		if h264.NALType(n) != h264.NALUAUD {
			out = append(out, n)
		}
	})
	return out
}

func sameAU(a, b []byte) bool {
	na, nb := nals(a), nals(b)
	if len(na) != len(nb) {
		return false
	}
	for i := range na {
		if !bytes.Equal(na[i], nb[i]) {
			return false
		}
	}
	return true
}

// checkVideo checks that frames are the clip's access units in order,
// starting at a keyframe and starting over after the clip's end; a
// keyframe request may take the sequence back to a keyframe. It returns
// how many times it did.
//
// Only the first frame may say that frames were lost before it: chanrtc
// drops the media that arrives before its own end of the DTLS handshake is
// processed (see the report), which a busy machine shows.
func checkVideo(t *testing.T, frames []chanrtc.Frame, m *media) (rewinds int) {
	t.Helper()
	c := m.video
	keyIndex := func(au []byte) int {
		for n := range c.aus {
			if c.key[n] && sameAU(au, c.aus[n]) {
				return n
			}
		}
		return -1
	}
	i := keyIndex(frames[0].Data)
	if i < 0 {
		at := slices.IndexFunc(c.aus, func(au []byte) bool { return sameAU(au, frames[0].Data) })
		t.Fatalf("first video frame (%d bytes, access unit %d of the clip, keyframe %v, lost before %v) is not a keyframe of the clip",
			len(frames[0].Data), at, frames[0].Keyframe, frames[0].LostBefore)
	}
	if i != c.first || frames[0].LostBefore {
		t.Logf("first video frame: access unit %d, frames lost before: %v", i, frames[0].LostBefore)
	}
	for k, f := range frames {
		if k > 0 {
			next, d := i+1, m.frame
			if next == len(c.aus) {
				next, d = c.first, m.frame+m.videoPad
			}
			switch {
			case sameAU(f.Data, c.aus[next]):
				i = next
			case f.Keyframe && keyIndex(f.Data) >= 0:
				i = keyIndex(f.Data)
				rewinds++
			default:
				t.Fatalf("video frame %d (%d bytes): not access unit %d of the clip (%d bytes)", k, len(f.Data), next, len(c.aus[next]))
			}
			if got, want := f.Timestamp-frames[k-1].Timestamp, rtpSteps(d, 90000); got != want {
				t.Fatalf("video frame %d: RTP timestamp step %d, want %d", k, got, want)
			}
			if f.LostBefore {
				t.Fatalf("video frame %d: loss on loopback", k)
			}
		}
		if f.Keyframe != c.key[i] {
			t.Fatalf("video frame %d: keyframe %v, want %v", k, f.Keyframe, c.key[i])
		}
	}
	return rewinds
}

// checkAudio checks that packets are the clip's, in order, starting over
// after its end, with RTP timestamps stepping by their durations. The
// first packets of the clip may be missing (see checkVideo).
func checkAudio(t *testing.T, pkts []chanrtc.Frame, m *media) {
	t.Helper()
	c := m.audio
	skip := slices.IndexFunc(c.pkts, func(p []byte) bool { return bytes.Equal(p, pkts[0].Data) })
	if skip < 0 || skip > 25 {
		t.Fatalf("first audio packet (%d bytes) is not one of the first packets of the clip", len(pkts[0].Data))
	}
	if skip > 0 {
		t.Logf("audio starts at packet %d of the clip", skip)
	}
	for k, p := range pkts {
		i := (skip + k) % len(c.pkts)
		if !bytes.Equal(p.Data, c.pkts[i]) {
			t.Fatalf("audio packet %d (%d bytes) is not packet %d of the clip (%d bytes)", k, len(p.Data), i, len(c.pkts[i]))
		}
		if k > 0 {
			prev := (skip + k - 1) % len(c.pkts)
			d := c.durs[prev]
			if prev == len(c.pkts)-1 {
				d += m.audioPad
			}
			if got, want := p.Timestamp-pkts[k-1].Timestamp, rtpSteps(d, 48000); got != want {
				t.Fatalf("audio packet %d: RTP timestamp step %d, want %d", k, got, want)
			}
		}
	}
}

// rtpSteps is how far a frame of duration d moves the RTP clock.
func rtpSteps(d time.Duration, clock float64) uint32 { return uint32(d.Seconds()*clock + 0.5) }

// TestPlay receives both files, into their second round, and checks that
// every frame is the file's, in order and in real time; then the client
// goes away and the server stops streaming to it.
func TestPlay(t *testing.T) {
	opts := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opts) })
	m := testMedia(t, clipVideo, clipAudio, 30, true)
	// The clips loop together: video (2 s) waits for audio (101 packets).
	if m.videoPad.Round(time.Millisecond) != 20*time.Millisecond || m.audioPad != 0 {
		t.Errorf("pads: video %v, audio %v; want 20ms, 0", m.videoPad, m.audioPad)
	}
	s, ts := startServer(t, m)
	start := time.Now()
	c := dial(t, ts.URL, chanrtc.MediaKindVideo, chanrtc.MediaKindAudio)

	nv, na := len(m.video.aus)+15, len(m.audio.pkts)+25 // half a second into the second round
	video := c.video.waitFor(t, nv, 15*time.Second, "video")
	audio := c.audio.waitFor(t, na, 15*time.Second, "audio")
	t.Logf("setup to first video frame %v; %d video frames, %d audio packets",
		video[0].Time.Sub(start).Round(time.Millisecond), len(video), len(audio))

	rewinds := checkVideo(t, video, m)
	if rewinds > 0 {
		t.Logf("%d keyframe request(s) took the video back to a keyframe", rewinds)
	}
	checkAudio(t, audio, m)

	// Real time: the frames are spread over their duration, not sent in a
	// burst (nor very late).
	for _, x := range []struct {
		what   string
		frames []chanrtc.Frame
		want   time.Duration
	}{
		{"video", video[:nv], time.Duration(nv-1)*m.frame + m.videoPad},
		{"audio", audio[:na], time.Duration(na-1)*20*time.Millisecond + m.audioPad},
	} {
		got := x.frames[len(x.frames)-1].Time.Sub(x.frames[0].Time)
		t.Logf("%s: %d frames over %v (%v of media)", x.what, len(x.frames), got.Round(time.Millisecond), x.want)
		if got < x.want*8/10 || got > x.want*12/10+500*time.Millisecond {
			t.Errorf("%s: %d frames arrived over %v, want about %v", x.what, len(x.frames), got, x.want)
		}
	}

	// The client goes away without a word: consent checks find it gone,
	// and the server closes the connection, which stops the streams.
	_ = c.pc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for s.Peers() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server still has the connection 10 s after the client closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("server closed the connection %v after the client did", time.Since(deadline.Add(-10*time.Second)).Round(time.Millisecond))
}

// TestPlayKeyframeRequest asks for a keyframe in the middle of a group of
// pictures: the latest keyframe comes again at once, followed by the
// frames after it, instead of the next one of the file 20 frames later.
func TestPlayKeyframeRequest(t *testing.T) {
	m := testMedia(t, clipVideo, "", 30, true)
	_, ts := startServer(t, m)
	c := dial(t, ts.URL, chanrtc.MediaKindVideo)
	var rv *chanrtc.RemoteTrack
	select {
	case rv = <-c.tracks:
	case <-time.After(10 * time.Second):
		t.Fatal("no OnTrack")
	}

	const at = 10 // clip frames 0 and 30 are keyframes
	c.video.waitFor(t, at, 10*time.Second, "video")
	rv.RequestKeyframe()
	video := c.video.waitFor(t, 30, 10*time.Second, "video")
	if rewinds := checkVideo(t, video, m); rewinds != 1 {
		t.Fatalf("%d rewinds to a keyframe, want 1", rewinds)
	}
	for k := at; k < len(video); k++ {
		if video[k].Keyframe {
			t.Logf("keyframe requested after frame %d arrived, sent again as frame %d", at, k)
			return
		}
	}
	t.Fatal("no keyframe after the request")
}

// TestPlayOnce streams the video once, at 120 fps, without looping: every
// access unit arrives once, then nothing.
func TestPlayOnce(t *testing.T) {
	m := testMedia(t, clipVideo, "", 120, false)
	_, ts := startServer(t, m)
	c := dial(t, ts.URL, chanrtc.MediaKindVideo, chanrtc.MediaKindAudio)
	video := c.video.waitFor(t, len(m.video.aus), 10*time.Second, "video")
	checkVideo(t, video, m)
	time.Sleep(300 * time.Millisecond)
	if n := len(c.video.snapshot()); n != len(m.video.aus) {
		t.Fatalf("%d frames, want the clip's %d once", n, len(m.video.aus))
	}
	if n := len(c.audio.snapshot()); n != 0 {
		t.Fatalf("%d audio packets from a server without audio", n)
	}
}

func TestPlayHTTP(t *testing.T) {
	m := testMedia(t, clipVideo, clipAudio, 30, true)
	s, ts := startServer(t, m)

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, s := range []string{"async function connect()", "async function stats()", "<video", "recvonly", "setCodecPreferences"} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("page lacks %q", s)
		}
	}

	resp, err = http.Get(ts.URL + "/offer")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /offer: %s", resp.Status)
	}
	for _, body := range []string{"", "not sdp"} {
		resp, err := http.Post(ts.URL+"/offer", "application/sdp", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /offer %q: %s", body, resp.Status)
		}
	}

	// An offer with nothing to receive (a DataChannel only) is refused.
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	body, status := post(t, ts.URL, pc)
	if status != http.StatusBadRequest || !strings.Contains(body, "cannot receive") {
		t.Errorf("data-only offer: %d %s", status, body)
	}
	if n := s.Peers(); n != 0 {
		t.Errorf("%d connections left after refused offers", n)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct{ video, audio string }{
		{video: "testdata/none.h264"},
		{video: clipAudio}, // not H.264: no keyframe
		{audio: clipVideo}, // not Ogg
	} {
		if _, err := loadMedia(c.video, c.audio, 30, true); err == nil {
			t.Errorf("loadMedia(%q, %q) succeeded", c.video, c.audio)
		} else {
			t.Log(err)
		}
	}
}
