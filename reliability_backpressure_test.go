//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/internal/netsim"
)

const mib = 1 << 20

// TestStalledReaderHoldsSenderBack: a receiver that stops taking messages
// (no OnMessage handler yet, or one that blocks) holds the reliable sender
// back through SCTP flow control: the sender's queue fills until Send
// refuses with ErrSendBufferFull, memory stops growing while the sender
// keeps trying, and once reading resumes every accepted message arrives,
// intact and in order.
func TestStalledReaderHoldsSenderBack(t *testing.T) {
	for _, stall := range []string{"no handler", "blocked handler"} {
		t.Run(stall, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { testStalledReader(t, stall == "blocked handler") })
		})
	}
}

func testStalledReader(t *testing.T, blockHandler bool) {
	const size = 4 << 10
	p := newSimPair(t, 11, nil)
	p.impair(netsim.Impairment{Delay: 15 * time.Millisecond, Jitter: 2 * time.Millisecond, Loss: 0.01})

	// The receiver records messages in order; a message out of order or
	// corrupted is reported once, as is the end.
	var remote *DataChannel
	got := make(chan error, 1)
	next := uint32(0)
	release := make(chan struct{})
	handler := func(m DataChannelMessage) {
		if blockHandler {
			<-release
		}
		seq, err := checkNumbered(m.Data, size)
		if err == nil && seq != next {
			err = fmt.Errorf("message %d arrived when %d was due", seq, next)
		}
		if err != nil {
			select {
			case got <- err:
			default:
			}
			return
		}
		next++
	}
	announced := make(chan struct{})
	p.answerer.OnDataChannel(func(dc *DataChannel) {
		remote = dc
		if blockHandler {
			dc.OnMessage(handler)
		}
		close(announced)
	})

	c := newEchoClient(t, p.offerer, "bulk", nil)
	signalNonTrickle(t, p.offerer, p.answerer)
	recvWithin(t, c.opened, 10*time.Second, "open")
	recvWithin(t, announced, 10*time.Second, "remote channel")
	base := heapAfterGC()

	// Phase 1: send until Send refuses. It never blocks, so the sender
	// retries every 50 ms, as an application pacing itself would.
	sent := uint32(0)
	var refused error
	trySend := func() {
		for {
			err := c.dc.Send(numbered(sent, size))
			if err != nil {
				refused = err
				return
			}
			sent++
		}
	}
	start := time.Now()
	var stalledAt time.Time
	for time.Since(start) < 2*time.Minute {
		before := sent
		trySend()
		if !errors.Is(refused, ErrSendBufferFull) {
			t.Fatalf("Send: %v", refused)
		}
		switch {
		case sent != before:
			stalledAt = time.Time{}
		case stalledAt.IsZero():
			stalledAt = time.Now()
		}
		if !stalledAt.IsZero() && time.Since(stalledAt) > 5*time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if stalledAt.IsZero() {
		t.Fatal("the sender was never held back")
	}
	heldAt, heldHeap, heldBuffered := sent, heapAfterGC(), c.dc.BufferedAmount()

	// Keep trying for another 30 s: nothing more may get through, and
	// memory must not grow.
	for range 600 {
		trySend()
		time.Sleep(50 * time.Millisecond)
	}
	laterHeap := heapAfterGC()
	t.Logf("held back after %d messages (%.1f MiB) in %v; BufferedAmount %.1f MiB; receiver holds %d messages (%.1f MiB) for the application",
		heldAt, float64(heldAt)*size/mib, stalledAt.Sub(start).Round(time.Millisecond), float64(heldBuffered)/mib,
		remote.queuedMsgs.Load(), float64(remote.queuedBytes.Load())/mib)
	t.Logf("heap: %.1f MiB connected, %.1f MiB when held back, %.1f MiB after 30 s more of retrying (%+.2f MiB)",
		float64(base)/mib, float64(heldHeap)/mib, float64(laterHeap)/mib, (float64(laterHeap)-float64(heldHeap))/mib)
	if sent != heldAt {
		t.Fatalf("%d more messages accepted while the receiver was stalled", sent-heldAt)
	}
	if heldBuffered < 15*mib {
		t.Fatalf("BufferedAmount %d: the send queue did not fill", heldBuffered)
	}
	if laterHeap > heldHeap+2*mib {
		t.Fatalf("heap grew by %.1f MiB while stalled", (float64(laterHeap)-float64(heldHeap))/mib)
	}
	if laterHeap > base+64*mib {
		t.Fatalf("heap %.1f MiB over the connected baseline", (float64(laterHeap)-float64(base))/mib)
	}

	// Phase 2: reading resumes; the sender goes on for another 1,000
	// messages, pacing on OnBufferedAmountLow.
	total := heldAt + 1000
	resumed := time.Now()
	if blockHandler {
		close(release)
	} else {
		remote.OnMessage(handler)
	}
	low := make(chan struct{}, 1)
	c.dc.SetBufferedAmountLowThreshold(4 * mib)
	c.dc.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	for sent < total {
		err := c.dc.Send(numbered(sent, size))
		switch {
		case err == nil:
			sent++
		case errors.Is(err, ErrSendBufferFull):
			recvWithin(t, low, 5*time.Minute, "buffered amount low")
		default:
			t.Fatal(err)
		}
	}
	deadline := time.After(5 * time.Minute)
	for {
		select {
		case err := <-got:
			t.Fatal(err)
		case <-deadline:
			t.Fatalf("only %d of %d messages delivered", next, total)
		case <-time.After(100 * time.Millisecond):
		}
		// next belongs to the event goroutine: read it there.
		n := make(chan uint32, 1)
		p.answerer.emitter.Emit(func() { n <- next })
		if v := <-n; v == total {
			break
		}
	}
	t.Logf("after resuming, all %d messages (%.0f MiB) arrived intact and in order in %v", total, float64(total)*size/mib, time.Since(resumed).Round(time.Millisecond))
}

// TestUnreadTrackStaysBounded: a remote video track that the application
// never reads costs bounded memory (the receiver drops its oldest frames
// and counts them) and does not disturb a reliable DataChannel on the same
// connection; once the application reads, frames flow again.
func TestUnreadTrackStaysBounded(t *testing.T) {
	aus := readClipH264(t)
	if !h264.IsKeyframe(aus[0]) {
		t.Fatal("the clip does not start with a keyframe")
	}
	// A 20 KB non-IDR slice of filler: the receiver reassembles frames
	// without decoding them.
	pFrame := append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{0x5a}, 20<<10)...)
	synctest.Test(t, func(t *testing.T) {
		p := newSimPair(t, 5, nil)
		p.impair(netsim.Impairment{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.01})
		video, err := NewLocalTrack(CodecH264, "video", "av")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.offerer.AddTrack(video); err != nil {
			t.Fatal(err)
		}
		tracks := make(chan *RemoteTrack, 1)
		p.answerer.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) { tracks <- tr })
		const msgSize = 1 << 10
		msgs := make(chan []byte, 4096)
		p.answerer.OnDataChannel(func(dc *DataChannel) {
			dc.OnMessage(func(m DataChannelMessage) { msgs <- m.Data })
		})
		c := newEchoClient(t, p.offerer, "ctl", nil)
		signalNonTrickle(t, p.offerer, p.answerer)
		recvWithin(t, c.opened, 10*time.Second, "open")
		remote := recvWithin(t, tracks, 10*time.Second, "OnTrack")
		for video.sender.Load() == nil {
			time.Sleep(10 * time.Millisecond)
		}

		// The DataChannel is read and checked as it goes.
		checked := make(chan error, 1)
		go func() {
			for want := uint32(0); ; want++ {
				m, ok := <-msgs
				if !ok {
					checked <- nil
					return
				}
				seq, err := checkNumbered(m, msgSize)
				if err == nil && seq != want {
					err = fmt.Errorf("message %d arrived when %d was due", seq, want)
				}
				if err != nil {
					checked <- err
					return
				}
			}
		}()

		// 30 fps video at about 5 Mbit/s and 10 reliable messages a second
		// for 60 s; the track is never read.
		const seconds = 60
		var heaps []uint64
		frame, sentMsgs, videoBytes := 0, uint32(0), 0
		for s := range seconds {
			if s == 10 || s == seconds-1 {
				heaps = append(heaps, heapAfterGC())
			}
			for i := range 30 {
				au := pFrame
				if i == 0 {
					au = aus[0] // a keyframe a second, with SPS and PPS
				}
				if err := video.WriteFrame(Frame{Data: au, Duration: time.Second / 30}); err != nil {
					t.Fatalf("frame %d: %v", frame, err)
				}
				videoBytes += len(au)
				frame++
				if i%3 == 0 {
					if err := c.dc.Send(numbered(sentMsgs, msgSize)); err != nil {
						t.Fatal(err)
					}
					sentMsgs++
				}
				time.Sleep(time.Second / 30)
			}
		}
		time.Sleep(2 * time.Second)
		st := remote.Stats()
		t.Logf("%d frames (%.1f MiB) sent over %d s, none read: receiver counted %d frames, dropped %d oldest unread; heap %.2f MiB at 10 s, %.2f MiB at %d s (%+.2f MiB)",
			frame, float64(videoBytes)/mib, seconds, st.FramesReceived, st.FramesDropped, float64(heaps[0])/mib, float64(heaps[1])/mib, seconds, (float64(heaps[1])-float64(heaps[0]))/mib)
		if st.FramesDropped == 0 {
			t.Fatal("an unread track dropped nothing: its queue is unbounded or frames were lost")
		}
		// What may still grow is bounded by construction: the sender's
		// retransmission history (1024 packets, each buffer growing to the
		// largest payload its slot has held) and the process-wide packet
		// pool (1024 × 1500 B). Unread frames must not add to it.
		if heaps[1] > heaps[0]+2*mib {
			t.Fatalf("heap grew by %.1f MiB with the track unread", (float64(heaps[1])-float64(heaps[0]))/mib)
		}

		// The DataChannel was unaffected: every message arrived in order.
		for c.dc.BufferedAmount() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		p.answerer.emitter.Emit(func() { close(msgs) }) // after every delivery
		if err := recvWithin(t, checked, 10*time.Second, "message check"); err != nil {
			t.Fatal(err)
		}

		// Reading now gets current frames as the sender goes on.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 60; i++ {
				au := pFrame
				if i%30 == 0 {
					au = aus[0]
				}
				_ = video.WriteFrame(Frame{Data: au, Duration: time.Second / 30})
				frame++
				time.Sleep(time.Second / 30)
			}
		}()
		read, keyframes := 0, 0
		for read < 30 {
			f, err := remote.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			read++
			if f.Keyframe {
				keyframes++
			}
		}
		<-done
		t.Logf("after reading resumed: %d frames read (%d keyframes); %d reliable messages all delivered in order meanwhile", read, keyframes, sentMsgs)
	})
}
