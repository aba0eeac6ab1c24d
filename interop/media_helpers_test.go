package interop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/ogg"
	"github.com/chanrtc/chanrtc/codec/opus"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// The media clips committed with chanrtc (see their README.txt).
const (
	h264Clip = "../testdata/h264/clip.h264"
	opusClip = "../testdata/opus/clip.ogg"
)

// frameDuration is the clip's frame period (30 fps).
const frameDuration = time.Second / 30

// videoClip returns the access units of the H.264 clip (Annex-B).
func videoClip(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open(h264Clip)
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
			t.Fatal(err)
		}
		aus = append(aus, au)
	}
	if len(aus) == 0 || !h264.IsKeyframe(aus[0]) {
		t.Fatalf("%s: %d access units, the first not a keyframe", h264Clip, len(aus))
	}
	return aus
}

// opusPacket is one packet of the Opus clip and how long it plays.
type opusPacket struct {
	data     []byte
	duration time.Duration
}

// audioClip returns the Opus packets of the Ogg clip.
func audioClip(t testing.TB) []opusPacket {
	t.Helper()
	f, err := os.Open(opusClip)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ogg.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts []opusPacket
	for {
		p, _, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := opus.PacketDuration(p)
		if err != nil {
			t.Fatalf("opus packet %d: %v", len(pkts), err)
		}
		pkts = append(pkts, opusPacket{data: bytes.Clone(p), duration: d})
	}
	if len(pkts) == 0 {
		t.Fatalf("%s: no packet", opusClip)
	}
	return pkts
}

// nalUnits lists the NAL units of an Annex-B access unit, whatever the
// start code form, leaving out access unit delimiters (which packetizers
// may drop) and empty NAL units.
func nalUnits(au []byte) [][]byte {
	var out [][]byte
	h264.SplitAnnexB(au, func(n []byte) {
		if len(n) > 0 && n[0]&0x1f != h264.NALUAUD {
			out = append(out, n)
		}
	})
	return out
}

// sameNALs reports whether two access units hold the same NAL units.
func sameNALs(a, b []byte) bool {
	na, nb := nalUnits(a), nalUnits(b)
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

// describeAU summarises an access unit for failure messages.
func describeAU(au []byte) string {
	var b bytes.Buffer
	for i, n := range nalUnits(au) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%dB", n[0]&0x1f, len(n))
	}
	return "[" + b.String() + "]"
}

// received is one frame as a receiver rebuilt it, with its RTP timestamp.
type received struct {
	ts         uint32
	data       []byte
	keyframe   bool // as the receiver flagged it (chanrtc only)
	lostBefore bool // as the receiver flagged it (chanrtc only)
}

// matchResult says how the received frames compare with the sent ones.
type matchResult struct {
	sent, received, identical int
	duplicates                int
	mismatches                []string // the first few, described
	missing                   []int    // indices of frames that did not come back
}

func (m matchResult) String() string {
	s := fmt.Sprintf("%d sent, %d received, %d identical, %d duplicates", m.sent, m.received, m.identical, m.duplicates)
	if len(m.missing) > 0 {
		s += fmt.Sprintf(", missing %v", m.missing[:min(len(m.missing), 10)])
	}
	return s
}

// matchFrames places each received frame at the index its RTP timestamp
// gives (offsets[i] is frame i's timestamp relative to frame 0, step the
// typical spacing, to round to) and compares it with what was sent there.
// The base timestamp is found from the first received frame equal to a
// sent one, since RTP timestamps start at random.
func matchFrames(sent [][]byte, offsets []uint32, step uint32, got []received, same func(a, b []byte) bool) matchResult {
	res := matchResult{sent: len(sent), received: len(got)}
	var base uint32
	found := false
	for _, g := range got {
		for i, s := range sent {
			if same(g.data, s) {
				base, found = g.ts-offsets[i], true
				break
			}
		}
		if found {
			break
		}
	}
	seen := make([]bool, len(sent))
	for _, g := range got {
		idx := -1
		if found {
			rel := g.ts - base
			for i, off := range offsets {
				if d := int64(int32(rel - off)); d > -int64(step)/2 && d <= int64(step)/2 {
					idx = i
					break
				}
			}
		}
		switch {
		case idx < 0:
			if len(res.mismatches) < 5 {
				res.mismatches = append(res.mismatches, fmt.Sprintf("timestamp %d matches no sent frame (%d bytes)", g.ts, len(g.data)))
			}
		case seen[idx]:
			res.duplicates++
		case same(g.data, sent[idx]):
			seen[idx] = true
			res.identical++
		default:
			seen[idx] = true
			if len(res.mismatches) < 5 {
				res.mismatches = append(res.mismatches, fmt.Sprintf("frame %d: sent %d bytes, got %d", idx, len(sent[idx]), len(g.data)))
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			res.missing = append(res.missing, i)
		}
	}
	return res
}

// videoOffsets are the RTP timestamps of n frames at 30 fps (90 kHz),
// relative to the first; each sender may round 1/30 s its own way, which
// matchFrames tolerates.
func videoOffsets(n int) []uint32 {
	offs := make([]uint32, n)
	for i := range offs {
		offs[i] = uint32(i) * 3000
	}
	return offs
}

// audioOffsets are the RTP timestamps (48 kHz) of the Opus packets,
// relative to the first.
func audioOffsets(pkts []opusPacket) []uint32 {
	offs := make([]uint32, len(pkts))
	var ts uint32
	for i, p := range pkts {
		offs[i] = ts
		ts += opus.Samples(p.duration)
	}
	return offs
}

func audioData(pkts []opusPacket) [][]byte {
	out := make([][]byte, len(pkts))
	for i, p := range pkts {
		out[i] = p.data
	}
	return out
}

// pionMediaAPI is pionAPI with what a pion application sending or
// receiving media sets up: the default codecs (H.264 packetization-mode 1
// and 0 in several profiles, VP8, VP9, AV1, Opus, G.722, PCMU, PCMA) and
// the default interceptors (NACK generator and responder, RTCP reports,
// stats, TWCC).
func pionMediaAPI(t *testing.T, tweak ...func(*webrtc.SettingEngine)) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(pionSettingEngine(tweak...)),
		webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
}

// The capabilities pion's tracks are created with.
var (
	pionH264 = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	pionOpus = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"}
)

// boundTrack is a pion sample track that tells when pion has bound it to
// a negotiated sender: before that, pion drops what is written to it
// without a word.
type boundTrack struct {
	*webrtc.TrackLocalStaticSample
	once  sync.Once
	bound chan struct{}
}

func newBoundTrack(t *testing.T, c webrtc.RTPCodecCapability, id, streamID string) *boundTrack {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(c, id, streamID)
	if err != nil {
		t.Fatal(err)
	}
	return &boundTrack{TrackLocalStaticSample: tr, bound: make(chan struct{})}
}

// Bind is webrtc.TrackLocal's.
func (b *boundTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	c, err := b.TrackLocalStaticSample.Bind(ctx)
	if err == nil {
		b.once.Do(func() { close(b.bound) })
	}
	return c, err
}

// pacer releases frames in real time from a common start.
type pacer struct {
	start time.Time
	stop  <-chan struct{}
}

// wait waits until offset after the start; false means stop closed.
func (p pacer) wait(offset time.Duration) bool {
	d := time.Until(p.start.Add(offset))
	if d <= 0 {
		select {
		case <-p.stop:
			return false
		default:
			return true
		}
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-p.stop:
		return false
	}
}

// collector gathers what a reader goroutine receives.
type collector[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{}
}

func newCollector[T any]() *collector[T] {
	return &collector[T]{changed: make(chan struct{}, 1)}
}

func (c *collector[T]) add(v T) {
	c.mu.Lock()
	c.items = append(c.items, v)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *collector[T]) snapshot() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]T(nil), c.items...)
}

func (c *collector[T]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// waitFor waits until n items are in, nothing new came for idle, or the
// deadline passed.
func (c *collector[T]) waitFor(n int, idle time.Duration, deadline <-chan time.Time) {
	for c.len() < n {
		tm := time.NewTimer(idle)
		select {
		case <-c.changed:
			tm.Stop()
		case <-tm.C:
			return
		case <-deadline:
			tm.Stop()
			return
		}
	}
}
