package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
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

// startServer runs the record handler on an httptest server on 127.0.0.1,
// writing to a temporary directory. Its consent checks are quick, so that
// a client that goes away is seen gone within about a second. Each
// recording's summary arrives on done once its files are closed.
func startServer(t *testing.T) (s *server, ts *httptest.Server, done chan summary) {
	t.Helper()
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = 500 * time.Millisecond
	cfg.ICEFailedTimeout = 1500 * time.Millisecond
	cfg.ICEKeepaliveInterval = 100 * time.Millisecond
	s = newServer(cfg, t.TempDir(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	s.DisconnectedTimeout = 300 * time.Millisecond
	done = make(chan summary, 4)
	s.onDone = func(sum summary) { done <- sum }
	ts = httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts, done
}

func readClips(t *testing.T) (aus, pkts [][]byte) {
	t.Helper()
	f, err := os.Open(clipVideo)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	aus = readH264(t, f)
	g, err := os.Open(clipAudio)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	pkts, _, _ = readOgg(t, g)
	return aus, pkts
}

func readH264(t *testing.T, r io.Reader) [][]byte {
	t.Helper()
	hr := h264.NewReader(r)
	var aus [][]byte
	for {
		au, err := hr.Next()
		if errors.Is(err, io.EOF) {
			return aus
		}
		if err != nil {
			t.Fatal(err)
		}
		aus = append(aus, au)
	}
}

func readOgg(t *testing.T, r io.Reader) (pkts [][]byte, granules []uint64, head ogg.Head) {
	t.Helper()
	or, err := ogg.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, g, err := or.ReadPacket()
		if errors.Is(err, io.EOF) {
			return pkts, granules, or.Head()
		}
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
		granules = append(granules, g)
	}
}

// sender is the test's browser: it sends the clips.
type sender struct {
	pc           *chanrtc.PeerConnection
	video, audio *chanrtc.LocalTrack
	location     string
}

// dial offers to send an H.264 and an Opus track, POSTs the offer to
// url, and applies the answer.
func dial(t *testing.T, url string) *sender {
	t.Helper()
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	c := &sender{pc: pc}
	if c.video, err = chanrtc.NewLocalTrack(chanrtc.CodecH264, "video", "test"); err != nil {
		t.Fatal(err)
	}
	if c.audio, err = chanrtc.NewLocalTrack(chanrtc.CodecOpus, "audio", "test"); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*chanrtc.LocalTrack{c.video, c.audio} {
		if _, err := pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	answer, status, loc := post(t, url, pc)
	if status != http.StatusCreated {
		t.Fatalf("POST /offer: %d: %s", status, answer)
	}
	if !strings.HasPrefix(loc, "/recordings/") {
		t.Fatalf("Location %q", loc)
	}
	c.location = loc
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	return c
}

func post(t *testing.T, url string, pc *chanrtc.PeerConnection) (body string, status int, location string) {
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusCreated && !strings.Contains(string(b), "a=end-of-candidates") {
		t.Errorf("answer is not complete:\n%s", b)
	}
	return string(b), resp.StatusCode, resp.Header.Get("Location")
}

// play sends n video frames and the audio packets that last as long, in
// real time; the first frames wait until the tracks are sending. Like an
// encoder, it answers a keyframe request with a keyframe: the latest one
// again, followed by the frames after it.
func (c *sender) play(t *testing.T, aus, pkts [][]byte, n int) (sentVideo, sentAudio [][]byte) {
	t.Helper()
	write := func(tr *chanrtc.LocalTrack, data []byte, d time.Duration) bool {
		deadline := time.Now().Add(10 * time.Second)
		for {
			switch err := tr.WriteFrame(chanrtc.Frame{Data: data, Duration: d}); {
			case err == nil:
				return true
			case errors.Is(err, chanrtc.ErrTrackNotSending) && time.Now().Before(deadline):
				time.Sleep(5 * time.Millisecond)
			default:
				t.Errorf("WriteFrame: %v", err)
				return false
			}
		}
	}
	var keyframe atomic.Bool
	c.video.OnKeyframeRequest(func() { keyframe.Store(true) })
	const frame = time.Second / 30
	start := time.Now()
	var audioAt time.Duration // media time of the audio sent
	lastKey := 0
	for k, i := 0, 0; k < n; k++ {
		if keyframe.Swap(false) && i != lastKey+1 {
			t.Logf("keyframe request: access unit %d again after %d", lastKey, i-1)
			i = lastKey
		}
		au := aus[i]
		if !write(c.video, au, frame) {
			return
		}
		if k == 0 {
			start = time.Now() // the wait for the sender is not media time
		}
		sentVideo = append(sentVideo, au)
		if h264.IsKeyframe(au) {
			lastKey = i
		}
		i = (i + 1) % len(aus)
		for audioAt < time.Duration(k+1)*frame {
			p := pkts[len(sentAudio)%len(pkts)]
			d, err := opus.PacketDuration(p)
			if err != nil {
				t.Fatal(err)
			}
			if !write(c.audio, p, d) {
				return
			}
			sentAudio = append(sentAudio, p)
			audioAt += d
		}
		time.Sleep(time.Until(start.Add(time.Duration(k+1) * frame)))
	}
	return sentVideo, sentAudio
}

// The tests send 2 s (60 frames) at least: chanrtc may lose what the
// client sends before the server has taken in its own end of the DTLS
// handshake (see the report), a few frames that a shorter clip would make
// more than 10%.

// matchInOrder counts the items of got that are, in order, items of sent
// (some sent ones may be missing); an item of got that is not found is an
// error.
func matchInOrder(t *testing.T, what string, got, sent [][]byte, same func(a, b []byte) bool) int {
	t.Helper()
	j := 0
	for i, g := range got {
		for j < len(sent) && !same(g, sent[j]) {
			j++
		}
		if j == len(sent) {
			t.Fatalf("%s %d of the file (%d bytes) is not one that was sent, in order", what, i, len(g))
		}
		j++
	}
	return len(got)
}

// nals returns an access unit's NAL units, without access unit delimiters.
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

// checkFiles checks that the recording's files hold what was sent, and
// returns their paths.
func checkFiles(t *testing.T, sum summary, sentVideo, sentAudio [][]byte) {
	t.Helper()
	var videoPath, audioPath string
	for _, f := range sum.Files {
		t.Logf("%s: %s, %d frames, %.2f s, %d bytes, skipped %d, gaps %d %s", f.Kind, filepath.Base(f.Path), f.Frames, f.Seconds, f.Bytes, f.Skipped, f.Gaps, f.Error)
		if f.Error != "" {
			t.Errorf("%s: %s", f.Kind, f.Error)
		}
		if fi, err := os.Stat(f.Path); err != nil || fi.Size() != f.Bytes {
			t.Errorf("%s: summary says %d bytes; file: %v", f.Kind, f.Bytes, err)
		}
		switch f.Kind {
		case "video":
			videoPath = f.Path
		case "audio":
			audioPath = f.Path
		}
	}
	if videoPath == "" || audioPath == "" {
		t.Fatalf("files %+v: want a video and an audio file", sum.Files)
	}
	if want := sum.ID + ".h264"; filepath.Base(videoPath) != want {
		t.Errorf("video file %s, want %s", videoPath, want)
	}
	if want := sum.ID + ".ogg"; filepath.Base(audioPath) != want {
		t.Errorf("audio file %s, want %s", audioPath, want)
	}

	vf, err := os.Open(videoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	aus := readH264(t, vf)
	if len(aus) == 0 || !h264.IsKeyframe(aus[0]) {
		t.Fatalf("the video file does not start with a keyframe (%d access units)", len(aus))
	}
	n := matchInOrder(t, "access unit", aus, sentVideo, sameAU)
	t.Logf("video: %d of %d access units sent are in the file", n, len(sentVideo))
	if n*10 < len(sentVideo)*9 {
		t.Errorf("video: %d of %d access units in the file, want 90%%", n, len(sentVideo))
	}
	for _, f := range sum.Files {
		if f.Kind == "video" && f.Frames != len(aus) {
			t.Errorf("summary says %d video frames, the file holds %d", f.Frames, len(aus))
		}
	}

	af, err := os.Open(audioPath)
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	pkts, granules, head := readOgg(t, af)
	if head.Channels != 2 || head.PreSkip != 312 {
		t.Errorf("OpusHead: %d channels, pre-skip %d; want 2, 312", head.Channels, head.PreSkip)
	}
	n = matchInOrder(t, "audio packet", pkts, sentAudio, bytes.Equal)
	t.Logf("audio: %d of %d packets sent are in the file", n, len(sentAudio))
	if n*10 < len(sentAudio)*9 {
		t.Errorf("audio: %d of %d packets in the file, want 90%%", n, len(sentAudio))
	}
	var total uint64
	for i, p := range pkts {
		d, _ := opus.PacketDuration(p)
		total += uint64(opus.Samples(d))
		if granules[i] != total {
			t.Fatalf("audio packet %d: granule position %d, want %d", i, granules[i], total)
		}
	}
}

// TestRecord sends both clips, in real time, and goes away without a
// word: the server sees the connection gone, closes the files, and they
// hold what was sent.
func TestRecord(t *testing.T) {
	opts := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opts) })
	aus, pkts := readClips(t)
	s, ts, done := startServer(t)
	c := dial(t, ts.URL)
	sentVideo, sentAudio := c.play(t, aus, pkts, len(aus))
	time.Sleep(300 * time.Millisecond) // the last frames' way through the jitter buffer
	_ = c.pc.Close()
	closed := time.Now()

	var sum summary
	select {
	case sum = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the recording did not end within 15 s of the client going away")
	}
	t.Logf("recording %s ended %v after the client closed: %s", sum.ID, time.Since(closed).Round(time.Millisecond), sum.Reason)
	if n := s.Peers(); n != 0 {
		t.Errorf("%d recordings still in progress", n)
	}
	checkFiles(t, sum, sentVideo, sentAudio)
}

// TestRecordStop ends a recording with DELETE on its URL, as the page's
// Stop does: the answer lists the closed files.
func TestRecordStop(t *testing.T) {
	aus, pkts := readClips(t)
	s, ts, _ := startServer(t)
	c := dial(t, ts.URL)
	sentVideo, sentAudio := c.play(t, aus, pkts, 60)
	time.Sleep(300 * time.Millisecond)

	req, err := http.NewRequest(http.MethodDelete, ts.URL+c.location, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sum summary
	err = json.NewDecoder(resp.Body).Decode(&sum)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("DELETE %s: %s, %v", c.location, resp.Status, err)
	}
	if sum.Reason != "stopped by the client" || "/recordings/"+sum.ID != c.location {
		t.Errorf("summary %+v", sum)
	}
	if n := s.Peers(); n != 0 {
		t.Errorf("%d recordings still in progress", n)
	}
	checkFiles(t, sum, sentVideo, sentAudio)

	// Once ended, the recording is gone.
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %s", resp.Status)
	}
}

// TestRecordShutdown closes the server in the middle of a recording, as
// SIGINT does: the files are closed and whole.
func TestRecordShutdown(t *testing.T) {
	aus, pkts := readClips(t)
	s, ts, done := startServer(t)
	c := dial(t, ts.URL)
	sentVideo, sentAudio := c.play(t, aus, pkts, 60)
	time.Sleep(300 * time.Millisecond)
	s.Close()
	sum := <-done // Close returns once the files are closed
	if sum.Reason != "server shutting down" {
		t.Errorf("reason %q", sum.Reason)
	}
	checkFiles(t, sum, sentVideo, sentAudio)
}

func TestRecordHTTP(t *testing.T) {
	s, ts, _ := startServer(t)

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, s := range []string{"async function start()", "async function stop()", "getUserMedia", "sendonly", "setCodecPreferences", ">Stop<"} {
		if !bytes.Contains(page, []byte(s)) {
			t.Errorf("page lacks %q", s)
		}
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
	req, _ := http.NewRequest(http.MethodDelete, ts.URL+"/recordings/nope", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE of an unknown recording: %s", resp.Status)
	}

	// An offer that sends nothing (it only receives) is refused.
	pc, err := chanrtc.NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiver(chanrtc.MediaKindVideo, &chanrtc.TransceiverInit{Direction: chanrtc.DirectionRecvOnly}); err != nil {
		t.Fatal(err)
	}
	body, status, _ := post(t, ts.URL, pc)
	if status != http.StatusBadRequest || !strings.Contains(body, "sends nothing") {
		t.Errorf("receive-only offer: %d %s", status, body)
	}
	if n := s.Peers(); n != 0 {
		t.Errorf("%d recordings left after refused offers", n)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 0 {
		t.Errorf("files left by refused offers: %v", entries)
	}
}

func TestCreateFileNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for range 3 {
		f, err := createFile(dir, "x", ".ogg")
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f.Name()))
		f.Close()
	}
	if strings.Join(names, " ") != "x.ogg x-2.ogg x-3.ogg" {
		t.Errorf("names %v", names)
	}
}
