package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"

	"github.com/chanrtc/chanrtc/internal/netnstest"
)

// mediaStats is what the echo page's mediaStats() resolves (see
// examples/echo/index.html), and what mediaStatsJS below gives for the
// helper page: the browser's view of what it receives.
type mediaStats struct {
	Connection string `json:"connection"`
	Video      *struct {
		Codec            string  `json:"codec"`
		Fmtp             string  `json:"fmtp"`
		FramesDecoded    int     `json:"framesDecoded"`
		FramesReceived   int     `json:"framesReceived"`
		KeyFramesDecoded int     `json:"keyFramesDecoded"`
		FrameWidth       int     `json:"frameWidth"`
		FrameHeight      int     `json:"frameHeight"`
		FramesPerSecond  float64 `json:"framesPerSecond"`
		PacketsReceived  int     `json:"packetsReceived"`
		PacketsLost      int     `json:"packetsLost"`
		NackCount        int     `json:"nackCount"`
		PliCount         int     `json:"pliCount"`
		FreezeCount      int     `json:"freezeCount"`
	} `json:"video"`
	Audio *struct {
		Codec                string `json:"codec"`
		TotalSamplesReceived int    `json:"totalSamplesReceived"`
		ConcealedSamples     int    `json:"concealedSamples"`
		PacketsReceived      int    `json:"packetsReceived"`
		PacketsLost          int    `json:"packetsLost"`
		NackCount            int    `json:"nackCount"`
	} `json:"audio"`
	Sent struct {
		Video *struct {
			Codec         string `json:"codec"`
			FramesEncoded int    `json:"framesEncoded"`
			FrameWidth    int    `json:"frameWidth"`
			FrameHeight   int    `json:"frameHeight"`
			PacketsSent   int    `json:"packetsSent"`
			PliCount      int    `json:"pliCount"`
			NackCount     int    `json:"nackCount"`
			Encoder       string `json:"encoder"`
		} `json:"video"`
		Audio *struct {
			Codec       string `json:"codec"`
			PacketsSent int    `json:"packetsSent"`
		} `json:"audio"`
	} `json:"sent"`
	Codecs       []string `json:"codecs"`
	FirstFrameMs *int     `json:"firstFrameMs"`
}

func (s mediaStats) framesDecoded() int {
	if s.Video == nil {
		return 0
	}
	return s.Video.FramesDecoded
}

func (s mediaStats) samplesReceived() int {
	if s.Audio == nil {
		return 0
	}
	return s.Audio.TotalSamplesReceived
}

func (s mediaStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connection %s", s.Connection)
	if v := s.Video; v != nil {
		fmt.Fprintf(&b, "; video in: %s [%s] %dx%d, %d frames decoded (%d received, %d keyframes), %.0f fps, "+
			"%d packets (%d lost), %d NACKs, %d PLIs, %d freezes",
			v.Codec, v.Fmtp, v.FrameWidth, v.FrameHeight, v.FramesDecoded, v.FramesReceived, v.KeyFramesDecoded,
			v.FramesPerSecond, v.PacketsReceived, v.PacketsLost, v.NackCount, v.PliCount, v.FreezeCount)
	} else {
		b.WriteString("; no video in")
	}
	if a := s.Audio; a != nil {
		fmt.Fprintf(&b, "; audio in: %s, %d samples (%d concealed), %d packets (%d lost), %d NACKs",
			a.Codec, a.TotalSamplesReceived, a.ConcealedSamples, a.PacketsReceived, a.PacketsLost, a.NackCount)
	} else {
		b.WriteString("; no audio in")
	}
	if v := s.Sent.Video; v != nil {
		fmt.Fprintf(&b, "; video out: %s (%s) %dx%d, %d frames, %d packets, %d PLIs and %d NACKs received",
			v.Codec, v.Encoder, v.FrameWidth, v.FrameHeight, v.FramesEncoded, v.PacketsSent, v.PliCount, v.NackCount)
	}
	if a := s.Sent.Audio; a != nil {
		fmt.Fprintf(&b, "; audio out: %s, %d packets", a.Codec, a.PacketsSent)
	}
	fmt.Fprintf(&b, "; codecs %v", s.Codecs)
	return b.String()
}

// pollMedia evaluates js (a promise of a mediaStats) every 100 ms until ok
// accepts its result, and returns that result and how long it took. On
// timeout it fails the test with the last result.
func pollMedia(t *testing.T, b *browser, js string, timeout time.Duration, what string, ok func(mediaStats) bool) (mediaStats, time.Duration) {
	t.Helper()
	start := time.Now()
	var last mediaStats
	for {
		s, err := eval[mediaStats](b, js)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		last = s
		if ok(s) {
			return s, time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("waiting %v for %s: last stats: %v", timeout, what, last)
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("waiting for %s: %v; last stats: %v", what, context.Cause(b.ctx), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestEchoPageMedia runs the echo page with Chromium's fake camera and
// microphone against the real examples/echo: the page sends H.264 and
// Opus, the server reflects them, and the page decodes the reflection,
// while the DataChannel echo keeps working in the same session.
func TestEchoPageMedia(t *testing.T) {
	ctx := testContext(t)
	bin := netnstest.Example(t, "echo")
	url := startEchoServer(t, ctx, bin)

	b := startBrowser(t, ctx)
	b.navigate(url)

	start := time.Now()
	if got := mustEval[string](b, "connect({media: true})", `connect({media: true})`); got != "open" {
		t.Fatalf("connect({media: true}) = %q, want open", got)
	}
	connected := time.Since(start)

	// The reflection decodes within ~10 s: more than 30 frames of a size,
	// and sound.
	s, waited := pollMedia(t, b, `mediaStats()`, 10*time.Second, "the reflected video and audio", func(s mediaStats) bool {
		return s.framesDecoded() > 30 && s.Video.FrameWidth > 0 && s.Video.FrameHeight > 0 && s.samplesReceived() > 0
	})
	firstFrame := "not reported"
	if s.FirstFrameMs != nil {
		firstFrame = fmt.Sprintf("%d ms", *s.FirstFrameMs)
	}
	t.Logf("connect({media: true}) took %v; first reflected frame shown %s after connect() began; "+
		"%d frames decoded %v after connect() resolved",
		connected.Round(time.Millisecond), firstFrame, s.framesDecoded(), waited.Round(time.Millisecond))
	if s.FirstFrameMs == nil {
		t.Errorf("mediaStats().firstFrameMs is null with %d frames decoded", s.framesDecoded())
	}

	// The page put H.264 42e01f first in its offer (Chromium's own
	// preference is VP8).
	offer := mustEval[string](b, "the page's offer", `pc.localDescription.sdp`)
	if c := firstVideoCodec(offer); !strings.HasPrefix(c, "H264/90000 ") ||
		!strings.Contains(c, "packetization-mode=1") || !strings.Contains(c, "profile-level-id=42e01f") {
		t.Errorf("the page's offer lists %q first for video, want H.264 packetization-mode=1 42e01f", c)
	}

	// What the browser receives is what it sent: H.264, reflected frame by
	// frame, and Opus.
	if s.Video.Codec != "video/H264" {
		t.Errorf("reflected video codec %q, want video/H264", s.Video.Codec)
	}
	if !strings.Contains(s.Video.Fmtp, "packetization-mode=1") || !strings.Contains(s.Video.Fmtp, "profile-level-id=42e01f") {
		t.Errorf("reflected video fmtp %q, want packetization-mode=1 and profile-level-id=42e01f", s.Video.Fmtp)
	}
	if s.Audio.Codec != "audio/opus" {
		t.Errorf("reflected audio codec %q, want audio/opus", s.Audio.Codec)
	}
	if s.Sent.Video == nil || s.Sent.Video.Codec != "video/H264" {
		t.Errorf("the page does not send H.264: %v", s)
	}

	// Still flowing: frames and samples keep coming.
	time.Sleep(time.Second)
	s2 := mustEval[mediaStats](b, "mediaStats()", `mediaStats()`)
	t.Logf("one second later: %v", s2)
	if s2.framesDecoded() <= s.framesDecoded() {
		t.Errorf("framesDecoded stuck at %d -> %d", s.framesDecoded(), s2.framesDecoded())
	}
	if s2.samplesReceived() <= s.samplesReceived() {
		t.Errorf("totalSamplesReceived stuck at %d -> %d", s.samplesReceived(), s2.samplesReceived())
	}
	if s2.Video != nil && (s2.Video.FrameWidth == 0 || s2.Video.FrameHeight == 0) {
		t.Errorf("reflected frame size %dx%d", s2.Video.FrameWidth, s2.Video.FrameHeight)
	}
	if s2.Connection != "connected" {
		t.Errorf("connection %q, want connected", s2.Connection)
	}

	// The DataChannel echo shares the connection with the media.
	for _, m := range []string{"hello alongside the camera", "héllo ✓"} {
		if got := mustEval[string](b, "echoText", `echoText(`+jsString(m)+`)`); got != m {
			t.Errorf("echoText(%q) = %q", m, got)
		}
	}
	for _, n := range []int{1, 65536} {
		if got := mustEval[int](b, "echoBinary", fmt.Sprintf(`echoBinary(%d)`, n)); got != n {
			t.Errorf("echoBinary(%d) = %d", n, got)
		}
	}
	if got := mustEval[string](b, "disconnect()", `disconnect()`); got != "closed" {
		t.Errorf("disconnect() = %q, want closed", got)
	}
	mustEval[string](b, "stopCamera()", `stopCamera()`)
}

// mediaStatsJS defines mediaStats() in the helper page, for window.pc: the
// receiving side of what the echo page's mediaStats() gives.
const mediaStatsJS = `window.mediaStats = async () => {
	const out = {connection: pc.connectionState, video: null, audio: null, sent: {}, codecs: [], firstFrameMs: window.firstFrameMs ?? null};
	const report = await pc.getStats();
	const codec = (s) => {
		const c = s.codecId ? report.get(s.codecId) : null;
		return c ? {codec: c.mimeType, fmtp: c.sdpFmtpLine ?? ''} : {codec: '', fmtp: ''};
	};
	report.forEach((s) => {
		if (s.type === 'codec' && !out.codecs.includes(s.mimeType)) out.codecs.push(s.mimeType);
		if (s.type === 'inbound-rtp' && s.kind === 'video') out.video = {...codec(s),
			framesDecoded: s.framesDecoded ?? 0, framesReceived: s.framesReceived ?? 0,
			keyFramesDecoded: s.keyFramesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
			framesPerSecond: s.framesPerSecond ?? 0, packetsReceived: s.packetsReceived ?? 0,
			packetsLost: s.packetsLost ?? 0, nackCount: s.nackCount ?? 0, pliCount: s.pliCount ?? 0,
			freezeCount: s.freezeCount ?? 0};
		if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audio = {...codec(s),
			totalSamplesReceived: s.totalSamplesReceived ?? 0, concealedSamples: s.concealedSamples ?? 0,
			packetsReceived: s.packetsReceived ?? 0, packetsLost: s.packetsLost ?? 0, nackCount: s.nackCount ?? 0};
	});
	return out;
};`

// TestChromiumReceivesH264FromFile: chanrtc offers an H.264 and an Opus
// track, Chromium answers receive-only and plays them in a <video>, and
// chanrtc sends testdata's clips in real time. Chromium must decode the
// 320x240 frames and receive the sound; its keyframe requests are
// answered by restarting the clip at its first access unit (an IDR).
func TestChromiumReceivesH264FromFile(t *testing.T) {
	ctx := testContext(t)
	aus := readH264File(t, "../testdata/h264/clip.h264")
	pkts := readOpusFile(t, "../testdata/opus/clip.ogg")
	if !h264.IsKeyframe(aus[0]) {
		t.Fatal("clip.h264 does not start with a keyframe")
	}

	b := startBrowser(t, ctx)
	openHelperPage(t, b)

	pc := newPC(t)
	video, err := chanrtc.NewLocalTrack(chanrtc.CodecH264, "clip-video", "clip")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := chanrtc.NewLocalTrack(chanrtc.CodecOpus, "clip-audio", "clip")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*chanrtc.LocalTrack{video, audio} {
		if _, err := pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	keyframeRequests := make(chan struct{}, 1)
	var requests atomic.Int32
	video.OnKeyframeRequest(func() {
		requests.Add(1)
		select {
		case keyframeRequests <- struct{}{}:
		default: // one is pending already
		}
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) {
		if s == chanrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})

	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, ctx, pc)
	offerSDP := pc.LocalDescription().SDP
	checkCandidates(t, "chanrtc offer", offerSDP)

	answerSDP := mustEval[string](b, "Chromium answering", `(async (offer) => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		`+mediaStatsJS+`
		const v = document.createElement('video');
		v.autoplay = true;
		v.playsInline = true;
		document.body.appendChild(v);
		const stream = new MediaStream();
		// firstFrameMs: from connected to the first frame shown.
		let connectedAt = 0;
		pc.onconnectionstatechange = () => {
			if (pc.connectionState === 'connected' && !connectedAt) connectedAt = performance.now();
		};
		v.requestVideoFrameCallback(() => { window.firstFrameMs = Math.round(performance.now() - connectedAt); });
		pc.ontrack = (e) => {
			stream.addTrack(e.track);
			v.srcObject = stream;
			// Received audio is decoded only while a media element plays it.
			window.playing = v.play().then(() => 'playing', (e) => 'play(): ' + e.name + ': ' + e.message);
		};
		await pc.setRemoteDescription({type: 'offer', sdp: offer});
		await pc.setLocalDescription(await pc.createAnswer());
		await gathered(pc);
		return pc.localDescription.sdp;
	})(`+jsString(offerSDP)+`)`)
	checkCandidates(t, "Chromium answer", answerSDP)
	if dirs := mediaDirections(answerSDP); len(dirs) != 2 || dirs[0] != "video recvonly" || dirs[1] != "audio recvonly" {
		t.Errorf("Chromium answer's media sections: %v, want [video recvonly audio recvonly]", dirs)
	}
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		t.Fatalf("SetRemoteDescription(Chromium answer): %v\n%s", err, answerSDP)
	}
	await(t, ctx, connected, "the connection")
	connectedAt := time.Now()

	// Send ~3 s of the clips (looped) in real time, from the first frame
	// the sender takes.
	const playFor = 3 * time.Second
	type playResult struct {
		videoFrames, audioPackets, keyframesResent, dropped int
		notYet                                              int // ErrTrackNotSending before a track's first frame
		err                                                 error
	}
	played := make(chan playResult, 1)
	stop := make(chan struct{})
	go func() {
		var r playResult
		const frameDur = time.Second / 30
		// Start one frame into the clip, after its keyframe: Chromium
		// cannot decode that and asks for a keyframe, which must be
		// answered for the first frame to show before the clip's second
		// keyframe (a second in).
		vi, ai := 1, 0
		var videoOn, audioOn bool
		var t0 time.Time // when the first video frame was taken
		nextVideo, nextAudio := time.Now(), time.Now()
		// write sends f on tr and reports whether f is done with: sent,
		// or dropped because the sender is behind (its time has passed).
		// Until a track has taken its first frame, ErrTrackNotSending
		// means its sender is not bound yet: f is tried again.
		write := func(tr *chanrtc.LocalTrack, on *bool, f chanrtc.Frame) bool {
			err := tr.WriteFrame(f)
			switch {
			case err == nil:
				*on = true
				return true
			case errors.Is(err, chanrtc.ErrFrameDropped):
				r.dropped++
				return true
			case errors.Is(err, chanrtc.ErrTrackNotSending) && !*on:
				r.notYet++
				return false
			}
			if r.err == nil {
				r.err = fmt.Errorf("WriteFrame on the %s track: %w", tr.Kind(), err)
			}
			return true
		}
		for t0.IsZero() || time.Since(t0) < playFor {
			wake := nextVideo
			if nextAudio.Before(wake) {
				wake = nextAudio
			}
			timer := time.NewTimer(max(0, time.Until(wake)))
			select {
			case <-stop:
				timer.Stop()
				played <- r
				return
			case <-keyframeRequests:
				timer.Stop()
				// The clip's next keyframe is its first access unit:
				// send it now and go on from there.
				if write(video, &videoOn, chanrtc.Frame{Data: aus[0], Duration: frameDur}) {
					r.keyframesResent++
					vi = 1
					nextVideo = time.Now().Add(frameDur)
				}
				continue
			case <-timer.C:
			}
			now := time.Now()
			if !now.Before(nextVideo) {
				if write(video, &videoOn, chanrtc.Frame{Data: aus[vi], Duration: frameDur}) {
					if t0.IsZero() {
						t0 = now
					}
					r.videoFrames++
					vi = (vi + 1) % len(aus)
				}
				nextVideo = nextVideo.Add(frameDur)
				if nextVideo.Before(now) { // fell behind: don't burst
					nextVideo = now.Add(frameDur)
				}
			}
			if !now.Before(nextAudio) {
				d, err := opus.PacketDuration(pkts[ai])
				if err != nil {
					d = 20 * time.Millisecond
				}
				if write(audio, &audioOn, chanrtc.Frame{Data: pkts[ai], Duration: d}) {
					r.audioPackets++
					ai = (ai + 1) % len(pkts)
				}
				nextAudio = nextAudio.Add(d)
				if nextAudio.Before(now) {
					nextAudio = now.Add(d)
				}
			}
		}
		played <- r
	}()
	stopped := false // played was received
	t.Cleanup(func() {
		if !stopped { // the test ended early
			close(stop)
			<-played
		}
	})

	s, waited := pollMedia(t, b, `mediaStats()`, 8*time.Second, "Chromium to decode the clip", func(s mediaStats) bool {
		return s.framesDecoded() > 30 && s.samplesReceived() > 0
	})
	firstFrame := "not reported"
	if s.FirstFrameMs != nil {
		firstFrame = fmt.Sprintf("%d ms after Chromium's connected", *s.FirstFrameMs)
	}
	t.Logf("%d frames decoded %v after connected (first frame shown %s): %v",
		s.framesDecoded(), waited.Round(time.Millisecond), firstFrame, s)
	if s.Video.FrameWidth != 320 || s.Video.FrameHeight != 240 {
		t.Errorf("decoded frame size %dx%d, want 320x240", s.Video.FrameWidth, s.Video.FrameHeight)
	}
	if s.Video.Codec != "video/H264" {
		t.Errorf("video codec %q, want video/H264", s.Video.Codec)
	}
	if s.Audio.Codec != "audio/opus" {
		t.Errorf("audio codec %q, want audio/opus", s.Audio.Codec)
	}

	// Let the rest of the 3 s play out, then see what arrived.
	r := await(t, ctx, played, "the clip to play")
	stopped = true
	if r.err != nil {
		t.Error(r.err)
	}
	time.Sleep(300 * time.Millisecond) // the last frames' way through
	final := mustEval[mediaStats](b, "mediaStats()", `mediaStats()`)
	t.Logf("sent %d video frames (%d keyframes resent on %d requests) and %d audio packets, %d dropped, "+
		"%d not yet sending after connected, in %v from connected; Chromium: %v",
		r.videoFrames, r.keyframesResent, requests.Load(), r.audioPackets, r.dropped, r.notYet,
		time.Since(connectedAt).Round(time.Millisecond), final)
	if got := mustEval[string](b, "play()", `window.playing`); got != "playing" || final.Connection != "connected" {
		t.Errorf("the <video> element: %s, connection %s; want playing and connected", got, final.Connection)
	}
	if final.Video == nil {
		t.Fatalf("no inbound video in the final stats: %v", final)
	}
	if final.samplesReceived() <= s.samplesReceived() {
		t.Errorf("audio stopped: %d -> %d samples received", s.samplesReceived(), final.samplesReceived())
	}
	// Loopback loses nothing: nearly every frame sent is shown.
	if sent := r.videoFrames + r.keyframesResent; float64(final.framesDecoded()) < 0.75*float64(sent) {
		t.Errorf("Chromium decoded %d of the %d frames sent", final.framesDecoded(), sent)
	}
	// The clip started after its keyframe: Chromium asked for one, and
	// got it.
	if requests.Load() == 0 || r.keyframesResent == 0 || final.Video.PliCount == 0 {
		t.Errorf("keyframe requests: Chromium sent %d PLIs, OnKeyframeRequest ran %d times, %d keyframes resent; want at least 1 each",
			final.Video.PliCount, requests.Load(), r.keyframesResent)
	}
	mustEval[bool](b, "closing", `(pc.close(), true)`)
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
}

// firstVideoCodec describes the first payload format of sdp's first video
// m-section as "<rtpmap> <fmtp>".
func firstVideoCodec(sdp string) string {
	pt := ""
	for line := range strings.Lines(sdp) {
		line = strings.TrimSpace(line)
		if m, ok := strings.CutPrefix(line, "m=video "); ok && pt == "" {
			if f := strings.Fields(m); len(f) > 2 {
				pt = f[2]
			}
		}
	}
	if pt == "" {
		return ""
	}
	rtpmap, fmtp := "", ""
	for line := range strings.Lines(sdp) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=rtpmap:"+pt+" "); ok && rtpmap == "" {
			rtpmap = v
		}
		if v, ok := strings.CutPrefix(line, "a=fmtp:"+pt+" "); ok && fmtp == "" {
			fmtp = v
		}
	}
	return rtpmap + " " + fmtp
}

// mediaDirections lists "<kind> <direction>" for each audio/video
// m-section of sdp.
func mediaDirections(sdp string) []string {
	var out []string
	kind := ""
	for line := range strings.Lines(sdp) {
		line = strings.TrimSpace(line)
		if m, ok := strings.CutPrefix(line, "m="); ok {
			kind = strings.Fields(m)[0]
			continue
		}
		if kind != "audio" && kind != "video" {
			continue
		}
		switch line {
		case "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive":
			out = append(out, kind+" "+strings.TrimPrefix(line, "a="))
		}
	}
	return out
}

func readH264File(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := h264.NewReader(f)
	var aus [][]byte
	for {
		au, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		aus = append(aus, bytes.Clone(au))
	}
	if len(aus) == 0 {
		t.Fatalf("%s: no access unit", path)
	}
	return aus
}

func readOpusFile(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ogg.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pkts [][]byte
	for {
		p, _, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pkts = append(pkts, bytes.Clone(p))
	}
	if len(pkts) == 0 {
		t.Fatalf("%s: no packet", path)
	}
	return pkts
}
