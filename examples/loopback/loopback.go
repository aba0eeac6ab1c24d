package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/chanrtc/chanrtc"
)

// options size the run.
type options struct {
	Messages   int // per direction on "chat"
	Pings      int // round trips on "ping"
	BurstBytes int // one way on "bulk"
	// VideoFile (H.264 Annex-B) and AudioFile (Ogg Opus) are played from
	// the offerer to the answerer; empty: no media.
	VideoFile, AudioFile string
	Logger               *slog.Logger
}

// report is what a run measured. Durations of the setup count from the
// start of the run, before the offer is created.
type report struct {
	Candidates   [2]int           // trickled by the offerer and by the answerer
	Connected    [2]time.Duration // each side's connection state reaching connected
	Open         time.Duration    // "chat" open on both sides
	Messages     int              // on "chat", both directions together
	MessageBytes int64
	Exchange     time.Duration   // the "chat" exchange
	RTT          []time.Duration // sorted
	BurstBytes   int64
	Burst        time.Duration
	Media        *mediaReport
	Total        time.Duration
}

// Flow control for senders: Send never blocks, so each sender keeps its
// channel's BufferedAmount under highWater and resumes on
// OnBufferedAmountLow at lowWater.
const (
	highWater = 1 << 20
	lowWater  = 256 << 10
	bulkChunk = 64 << 10
)

// chatSizes are the message sizes of the "chat" exchange: empty, tiny, one
// SCTP packet and a bit more, and several packets up to 64 KiB. Each size
// is sent as text and as binary.
var chatSizes = []int{0, 1, 100, 1000, 1500, 4096, 16384, 65536}

// run connects two PeerConnections over loopback UDP and measures them.
func run(ctx context.Context, o options) (report, error) {
	var rep report
	start := time.Now()
	cfg := chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled, Logger: o.Logger}
	offerer, err := chanrtc.NewPeerConnection(cfg)
	if err != nil {
		return rep, err
	}
	defer offerer.Close()
	answerer, err := chanrtc.NewPeerConnection(cfg)
	if err != nil {
		return rep, err
	}
	defer answerer.Close()

	// Any failure cancels ctx with its cause; every wait below returns it.
	ctx, cancel := context.WithCancelCause(ctx)
	var loops sync.WaitGroup
	defer loops.Wait()
	defer cancel(nil)

	a, b := newSignaller("offerer", offerer), newSignaller("answerer", answerer)
	a.remote, b.remote = b, a
	var connected [2]chan time.Duration
	for i, s := range []*signaller{a, b} {
		connected[i] = watchState(s.name, s.pc, start, cancel)
		s.trickle(ctx)
		loops.Go(func() {
			if err := s.run(ctx); err != nil {
				cancel(err)
			}
		})
	}

	// The offerer's channels exist before the offer, so it carries a
	// DataChannel section; the answerer learns of them in-band (DCEP).
	chat, err := offerer.CreateDataChannel("chat", nil)
	if err != nil {
		return rep, err
	}
	bulk, err := offerer.CreateDataChannel("bulk", nil)
	if err != nil {
		return rep, err
	}
	remote := map[string]chan *chanrtc.DataChannel{"chat": make(chan *chanrtc.DataChannel, 1), "bulk": make(chan *chanrtc.DataChannel, 1)}
	answerer.OnDataChannel(func(dc *chanrtc.DataChannel) {
		if ch, ok := remote[dc.Label()]; ok {
			ch <- dc
		}
	})
	offerer.OnDataChannel(func(dc *chanrtc.DataChannel) {
		if dc.Label() == "ping" {
			dc.OnMessage(func(m chanrtc.DataChannelMessage) { _ = dc.Send(m.Data) })
		}
	})
	// The media tracks too, so the offer carries audio and video.
	var md *media
	if o.VideoFile != "" {
		if md, err = addMedia(offerer, answerer, o.VideoFile, o.AudioFile); err != nil {
			return rep, err
		}
	}

	if err := a.offer(ctx); err != nil {
		return rep, err
	}
	for i, c := range connected {
		if rep.Connected[i], err = recv(ctx, c, []string{"offerer", "answerer"}[i]+" to connect"); err != nil {
			return rep, err
		}
	}
	remoteChat, err := recv(ctx, remote["chat"], `the answerer's "chat"`)
	if err != nil {
		return rep, err
	}
	for _, dc := range []*chanrtc.DataChannel{chat, remoteChat} {
		if err := waitOpen(ctx, dc); err != nil {
			return rep, err
		}
	}
	rep.Open = time.Since(start)
	rep.Candidates = [2]int{int(a.trickled.Load()), int(b.trickled.Load())}

	if err := exchange(ctx, chat, remoteChat, o.Messages, &rep); err != nil {
		return rep, fmt.Errorf(`"chat" exchange: %w`, err)
	}
	if rep.RTT, err = pings(ctx, answerer, o.Pings); err != nil {
		return rep, fmt.Errorf(`"ping": %w`, err)
	}
	remoteBulk, err := recv(ctx, remote["bulk"], `the answerer's "bulk"`)
	if err != nil {
		return rep, err
	}
	if rep.Burst, err = burst(ctx, bulk, remoteBulk, o.BurstBytes); err != nil {
		return rep, fmt.Errorf(`"bulk": %w`, err)
	}
	rep.BurstBytes = int64(o.BurstBytes)
	if md != nil {
		mr, err := md.run(ctx)
		if err != nil {
			return rep, err
		}
		rep.Media = &mr
	}

	rep.Total = time.Since(start)
	return rep, nil
}

// watchState returns a channel that gets the time from start to pc
// connecting, and cancels the run if pc fails or closes.
func watchState(name string, pc *chanrtc.PeerConnection, start time.Time, cancel context.CancelCauseFunc) chan time.Duration {
	connected := make(chan time.Duration, 1)
	once := sync.OnceFunc(func() { connected <- time.Since(start) })
	pc.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) {
		switch s {
		case chanrtc.PeerConnectionStateConnected:
			once()
		case chanrtc.PeerConnectionStateFailed, chanrtc.PeerConnectionStateClosed:
			err := fmt.Errorf("%s: connection %s", name, s)
			if e := pc.Err(); e != nil {
				err = fmt.Errorf("%w: %w", err, e)
			}
			cancel(err)
		}
	})
	return connected
}

// exchange sends n messages each way on the two ends of one channel at
// once, and checks that each side receives the other's intact and in order.
func exchange(ctx context.Context, x, y *chanrtc.DataChannel, n int, rep *report) error {
	t0 := time.Now()
	cx, cy := newChecker(1, n), newChecker(0, n) // x receives direction 1, y direction 0
	x.OnMessage(cx.onMessage)
	y.OnMessage(cy.onMessage)
	errs := make(chan error, 2)
	for dir, dc := range []*chanrtc.DataChannel{x, y} {
		go func() {
			s := newSender(dc)
			for i := range n {
				if err := s.send(ctx, message(dir, i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return err
		}
	}
	for _, c := range []*checker{cx, cy} {
		if err := wait(ctx, c.done, "the last message"); err != nil {
			return err
		}
		if c.err != nil {
			return c.err
		}
		rep.Messages += c.got
		rep.MessageBytes += c.bytes
	}
	rep.Exchange = time.Since(t0)
	return nil
}

// message returns message i of a direction: text when i is even, binary
// when odd, of the sizes in chatSizes, with contents from a PRNG seeded by
// (dir, i), so that the receiver can make the same message to compare.
func message(dir, i int) chanrtc.DataChannelMessage {
	r := rand.New(rand.NewPCG(uint64(dir), uint64(i)))
	m := chanrtc.DataChannelMessage{IsString: i%2 == 0, Data: make([]byte, chatSizes[i/2%len(chatSizes)])}
	for j := range m.Data {
		if m.IsString {
			m.Data[j] = byte(' ' + r.IntN(95)) // printable ASCII
		} else {
			m.Data[j] = byte(r.Uint32())
		}
	}
	return m
}

// checker checks one direction's messages; onMessage runs on the
// receiving PeerConnection's event goroutine, and the other fields may be
// read once done is closed.
type checker struct {
	dir, n int
	got    int
	bytes  int64
	err    error
	done   chan struct{}
}

func newChecker(dir, n int) *checker {
	c := &checker{dir: dir, n: n, done: make(chan struct{})}
	if n == 0 {
		close(c.done)
	}
	return c
}

func (c *checker) onMessage(m chanrtc.DataChannelMessage) {
	if c.got >= c.n || c.err != nil {
		return
	}
	if want := message(c.dir, c.got); m.IsString != want.IsString || !bytes.Equal(m.Data, want.Data) {
		c.err = fmt.Errorf("message %d of direction %d: got %d bytes (text %v), want %d bytes (text %v)",
			c.got, c.dir, len(m.Data), m.IsString, len(want.Data), want.IsString)
		close(c.done)
		return
	}
	c.got++
	c.bytes += int64(len(m.Data))
	if c.got == c.n {
		close(c.done)
	}
}

// pings opens "ping" from the answerer (either side may open channels),
// sends n 8-byte pings one at a time, which the offerer echoes, and returns
// the round-trip times, sorted.
func pings(ctx context.Context, pc *chanrtc.PeerConnection, n int) ([]time.Duration, error) {
	dc, err := pc.CreateDataChannel("ping", nil)
	if err != nil {
		return nil, err
	}
	pong := make(chan []byte, 1)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) {
		select {
		case pong <- m.Data:
		default: // not ours: an extra echo
		}
	})
	if err := waitOpen(ctx, dc); err != nil {
		return nil, err
	}
	rtts := make([]time.Duration, 0, n)
	for i := range n {
		p := binary.BigEndian.AppendUint64(nil, uint64(i))
		t0 := time.Now()
		if err := dc.Send(p); err != nil {
			return nil, err
		}
		got, err := recv(ctx, pong, fmt.Sprintf("pong %d", i))
		if err != nil {
			return nil, err
		}
		rtts = append(rtts, time.Since(t0))
		if !bytes.Equal(got, p) {
			return nil, fmt.Errorf("pong %d: got %x, want %x", i, got, p)
		}
	}
	slices.Sort(rtts)
	return rtts, nil
}

// burst sends total bytes from x to y in bulkChunk messages, as fast as
// flow control allows, and returns the time until y has them all.
func burst(ctx context.Context, x, y *chanrtc.DataChannel, total int) (time.Duration, error) {
	if err := waitOpen(ctx, x); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	received := 0
	y.OnMessage(func(m chanrtc.DataChannelMessage) {
		received += len(m.Data)
		if received == total {
			close(done)
		}
	})
	chunk := make([]byte, bulkChunk)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	s := newSender(x)
	t0 := time.Now()
	for sent := 0; sent < total; sent += bulkChunk {
		m := chanrtc.DataChannelMessage{Data: chunk[:min(bulkChunk, total-sent)]}
		if err := s.send(ctx, m); err != nil {
			return 0, err
		}
	}
	if total == 0 {
		return 0, nil
	}
	if err := wait(ctx, done, "the end of the burst"); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

// sender sends with flow control.
type sender struct {
	dc  *chanrtc.DataChannel
	low chan struct{} // capacity 1: BufferedAmount fell to lowWater
}

func newSender(dc *chanrtc.DataChannel) *sender {
	s := &sender{dc: dc, low: make(chan struct{}, 1)}
	dc.SetBufferedAmountLowThreshold(lowWater)
	dc.OnBufferedAmountLow(func() {
		select {
		case s.low <- struct{}{}:
		default:
		}
	})
	return s
}

func (s *sender) send(ctx context.Context, m chanrtc.DataChannelMessage) error {
	for s.dc.BufferedAmount() > highWater {
		if err := wait(ctx, s.low, "buffered amount low"); err != nil {
			return err
		}
	}
	if m.IsString {
		return s.dc.SendText(string(m.Data))
	}
	return s.dc.Send(m.Data)
}

// waitOpen waits for dc to be open.
func waitOpen(ctx context.Context, dc *chanrtc.DataChannel) error {
	opened := make(chan struct{})
	dc.OnOpen(sync.OnceFunc(func() { close(opened) }))
	if dc.ReadyState() == chanrtc.DataChannelStateOpen {
		return nil
	}
	return wait(ctx, opened, fmt.Sprintf("DataChannel %q to open", dc.Label()))
}

func wait(ctx context.Context, c <-chan struct{}, what string) error {
	_, err := recv(ctx, c, what)
	return err
}

func recv[T any](ctx context.Context, c <-chan T, what string) (T, error) {
	select {
	case v := <-c:
		return v, nil
	case <-ctx.Done():
		var zero T
		err := context.Cause(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("timed out waiting for %s", what)
		}
		return zero, err
	}
}

// percentile returns the nearest-rank q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
