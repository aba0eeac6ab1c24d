package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/chanrtc/chanrtc"
)

// options configure one run of the echo client.
type options struct {
	URL      string // the echo server's /offer
	Messages int    // how many messages, alternating text and binary
	Size     int    // the largest message, capped by the answer's max-message-size
	Seed     uint64 // seeds the message sizes and contents
	Timeout  time.Duration
	Config   chanrtc.Config
	Client   *http.Client // nil: http.DefaultClient
	// Media: also send VideoFile (H.264 Annex-B) and AudioFile (Ogg Opus)
	// and check they come back.
	Media                bool
	VideoFile, AudioFile string
}

// summary is what a successful run measured.
type summary struct {
	Messages int
	Bytes    int64         // payload bytes sent (and as many echoed)
	MaxSize  int           // the largest message size used
	Connect  time.Duration // from start to the DataChannel being open
	Elapsed  time.Duration // from the first send to the last echo
	Media    string        // what came back of the media, with -media
}

func (s summary) String() string {
	secs := max(s.Elapsed.Seconds(), 1e-9)
	return fmt.Sprintf("ok: %d messages echoed intact and in order, %.2f MB each way in %v (%.0f msg/s, %.2f MB/s); connect %v; max message %d bytes",
		s.Messages, float64(s.Bytes)/1e6, s.Elapsed.Round(time.Millisecond),
		float64(s.Messages)/secs, float64(s.Bytes)/1e6/secs, s.Connect.Round(100*time.Microsecond), s.MaxSize) + s.mediaPart()
}

func (s summary) mediaPart() string {
	if s.Media == "" {
		return ""
	}
	return "; " + s.Media
}

// Flow control: Send never blocks, so the sender keeps what it has queued
// under highWater (resuming at lowWater, on OnBufferedAmountLow) and what
// is sent but not yet echoed under a window, so memory stays bounded on
// both sides whatever the message count.
const (
	highWater      = 1 << 20
	lowWater       = 256 << 10
	minWindow      = 4 << 20
	maxInFlight    = 1024 // messages sent and not yet echoed
	maxAnswerBytes = 1 << 20
)

// run connects to the echo server, sends o.Messages messages and checks
// every echo. It returns an error saying what went wrong, or the summary.
func run(ctx context.Context, o options) (summary, error) {
	start := time.Now()
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, fmt.Errorf("timed out after %v", o.Timeout))
		defer cancel()
	}
	if o.Messages < 0 || o.Size < 0 {
		return summary{}, errors.New("-messages and -size must not be negative")
	}
	pc, err := chanrtc.NewPeerConnection(o.Config)
	if err != nil {
		return summary{}, err
	}
	defer pc.Close()

	// broken is told once the connection or the channel dies.
	broken := make(chan error, 1)
	fail := func(err error) {
		select {
		case broken <- err:
		default:
		}
	}
	pc.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) {
		if s == chanrtc.PeerConnectionStateFailed || s == chanrtc.PeerConnectionStateClosed {
			err := fmt.Errorf("connection %s", s)
			if e := pc.Err(); e != nil {
				err = fmt.Errorf("%w: %w", err, e)
			}
			fail(err)
		}
	})
	dc, err := pc.CreateDataChannel("echo", nil)
	if err != nil {
		return summary{}, err
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	dc.OnClose(func() { fail(errors.New("the DataChannel closed")) })
	dc.OnError(func(err error) { fail(fmt.Errorf("DataChannel: %w", err)) })
	var media *mediaCheck
	if o.Media {
		if media, err = newMediaCheck(pc, o.VideoFile, o.AudioFile); err != nil {
			return summary{}, err
		}
	}

	offer, err := pc.CreateOffer()
	if err != nil {
		return summary{}, err
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return summary{}, err
	}
	if err := wait(ctx, pc.GatheringComplete(), nil, "gathering ICE candidates"); err != nil {
		return summary{}, err
	}
	answer, err := postOffer(ctx, o.Client, o.URL, pc.LocalDescription().SDP)
	if err != nil {
		return summary{}, err
	}
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return summary{}, fmt.Errorf("applying the answer: %w", err)
	}
	if err := wait(ctx, opened, broken, "waiting for the DataChannel to open"); err != nil {
		return summary{}, err
	}
	sum := summary{Messages: o.Messages, Connect: time.Since(start), MaxSize: o.Size}
	type mediaResult struct {
		res string
		err error
	}
	mediaDone := make(chan mediaResult, 1)
	if media != nil {
		go func() {
			res, err := media.play(ctx)
			mediaDone <- mediaResult{res, err}
		}()
	} else {
		mediaDone <- mediaResult{}
	}
	if remote := int(dc.MaxMessageSize()); remote < sum.MaxSize {
		sum.MaxSize = remote
	}

	c := newChecker(o.Seed, sum.MaxSize, o.Messages)
	dc.OnMessage(c.onMessage)
	dc.OnBufferedAmountLow(c.wake)
	dc.SetBufferedAmountLowThreshold(lowWater)
	window := max(int64(minWindow), 2*int64(sum.MaxSize))

	gen := newGenerator(o.Seed, sum.MaxSize)
	var sent int64
	// waiting says where the exchange stands, for errors.
	waiting := func() string {
		return fmt.Sprintf("waiting for echo %d of %d (%d bytes sent, %d echoed, %d buffered)",
			c.echoed.Load()+1, o.Messages, sent, c.echoedBytes.Load(), dc.BufferedAmount())
	}
	t0 := time.Now()
	for i := range o.Messages {
		m := gen.next()
		for dc.BufferedAmount() > highWater || sent-c.echoedBytes.Load() > window || i-int(c.echoed.Load()) >= maxInFlight {
			if err := wait(ctx, c.progress, broken, waiting()); err != nil {
				return summary{}, err
			}
			if err := c.failed(); err != nil {
				return summary{}, err
			}
		}
		if m.IsString {
			err = dc.SendText(string(m.Data))
		} else {
			err = dc.Send(m.Data)
		}
		if err != nil {
			return summary{}, fmt.Errorf("sending message %d (%d bytes): %w", i+1, len(m.Data), err)
		}
		sent += int64(len(m.Data))
	}
	if err := wait(ctx, c.done, broken, ""); err != nil {
		return summary{}, fmt.Errorf("%s: %w", waiting(), err)
	}
	if err := c.failed(); err != nil {
		return summary{}, err
	}
	sum.Elapsed = time.Since(t0)
	sum.Bytes = sent
	mr := <-mediaDone
	if mr.err != nil {
		return summary{}, mr.err
	}
	sum.Media = mr.res
	return sum, nil
}

// wait waits for ready, failing if broken reports first or ctx ends; what
// says what was being waited for.
func wait(ctx context.Context, ready <-chan struct{}, broken <-chan error, what string) error {
	select {
	case <-ready:
		return nil
	case err := <-broken:
		return prefix(what, err)
	case <-ctx.Done():
		return prefix(what, context.Cause(ctx))
	}
}

func prefix(what string, err error) error {
	if what == "" {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// postOffer POSTs the offer and returns the answer, following the echo
// contract strictly: 201 Created, Content-Type application/sdp.
func postOffer(ctx context.Context, client *http.Client, url, offer string) (string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(offer))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Accept", "application/sdp")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST offer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return "", fmt.Errorf("POST offer: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return "", fmt.Errorf("POST offer: %s (want 201 Created): %s", resp.Status, msg)
	}
	if len(body) > maxAnswerBytes {
		return "", fmt.Errorf("POST offer: answer larger than %d bytes", maxAnswerBytes)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		return "", fmt.Errorf("POST offer: answer Content-Type %q, want application/sdp", resp.Header.Get("Content-Type"))
	}
	return string(body), nil
}

// generator makes the message sequence: alternating text and binary,
// starting with the corner cases (empty text, largest binary, largest
// text, empty binary), then random sizes, half of them under one SCTP
// packet. Text is valid UTF-8, mostly ASCII with some multi-byte runes;
// binary is random bytes. Two generators with the same seed and largest
// size make the same sequence, so the checker needs no copy of what was
// sent.
type generator struct {
	r   *rand.Rand
	max int
	i   int
}

func newGenerator(seed uint64, maxSize int) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, 0x63686172)), max: maxSize}
}

var textRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-_/()éüß€世界😀")

func (g *generator) next() chanrtc.DataChannelMessage {
	text := g.i%2 == 0
	var n int
	switch {
	case g.i < 4:
		n = [...]int{0, g.max, g.max, 0}[g.i]
	case g.r.IntN(2) == 0:
		n = g.r.IntN(min(g.max, 1100) + 1)
	default:
		n = g.r.IntN(g.max + 1)
	}
	g.i++
	b := make([]byte, 0, n)
	if text {
		for len(b) < n {
			r := textRunes[g.r.IntN(len(textRunes))]
			if len(b)+utf8.RuneLen(r) > n {
				r = 'a' + rune(g.r.IntN(26))
			}
			b = utf8.AppendRune(b, r)
		}
	} else {
		for len(b)+8 <= n {
			b = g.appendUint64(b)
		}
		if len(b) < n {
			b = append(b, g.appendUint64(nil)[:n-len(b)]...)
		}
	}
	return chanrtc.DataChannelMessage{IsString: text, Data: b}
}

func (g *generator) appendUint64(b []byte) []byte {
	v := g.r.Uint64()
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// checker compares each echo with what the generator says was sent. Its
// onMessage runs on the PeerConnection's event goroutine; the sender reads
// its progress through atomics and channels.
type checker struct {
	gen   *generator // event goroutine only
	total int

	echoed      atomic.Int64
	echoedBytes atomic.Int64
	err         atomic.Pointer[error]
	progress    chan struct{} // capacity 1: an echo arrived or the buffer drained
	done        chan struct{} // closed when all echoes arrived, or at the first bad one
	finished    bool          // done is closed; event goroutine only
}

func newChecker(seed uint64, maxSize, total int) *checker {
	c := &checker{
		gen:      newGenerator(seed, maxSize),
		total:    total,
		progress: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if total == 0 {
		c.finish()
	}
	return c
}

func (c *checker) finish() {
	if !c.finished {
		c.finished = true
		close(c.done)
	}
}

func (c *checker) wake() {
	select {
	case c.progress <- struct{}{}:
	default:
	}
}

func (c *checker) onMessage(got chanrtc.DataChannelMessage) {
	if c.err.Load() != nil {
		return
	}
	n := int(c.echoed.Load())
	if n >= c.total {
		c.fail(fmt.Errorf("an unexpected message after all %d echoes (%d bytes)", c.total, len(got.Data)))
		return
	}
	want := c.gen.next()
	if err := compare(want, got); err != nil {
		c.fail(fmt.Errorf("echo %d of %d: %w", n+1, c.total, err))
		return
	}
	c.echoedBytes.Add(int64(len(got.Data)))
	c.echoed.Add(1)
	c.wake()
	if n+1 == c.total {
		c.finish()
	}
}

func (c *checker) fail(err error) {
	c.err.Store(&err)
	c.finish()
	c.wake()
}

// failed returns the first mismatch, if any.
func (c *checker) failed() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

func kind(m chanrtc.DataChannelMessage) string {
	if m.IsString {
		return "text"
	}
	return "binary"
}

func compare(want, got chanrtc.DataChannelMessage) error {
	switch {
	case want.IsString != got.IsString:
		return fmt.Errorf("sent %d bytes as %s, got %d bytes as %s", len(want.Data), kind(want), len(got.Data), kind(got))
	case len(want.Data) != len(got.Data):
		return fmt.Errorf("sent %d bytes of %s, got %d bytes back", len(want.Data), kind(want), len(got.Data))
	case !bytes.Equal(want.Data, got.Data):
		i := 0
		for want.Data[i] == got.Data[i] {
			i++
		}
		return fmt.Errorf("%d bytes of %s differ from byte %d on (sent %#02x, got %#02x)", len(want.Data), kind(want), i, want.Data[i], got.Data[i])
	}
	return nil
}
