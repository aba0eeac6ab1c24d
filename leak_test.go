//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenCloseCycles opens and closes PeerConnections 1,000 times — each
// one with a DataChannel and an offer applied, so its SCTP actor and ICE
// agent (gathering on loopback) run — and checks that neither goroutines
// nor the heap grow: the heap after GC at the end stays within a small
// bound of the heap at cycle 100.
func TestOpenCloseCycles(t *testing.T) {
	checkLeaks(t)
	cycles := 1000
	if testing.Short() {
		cycles = 200
	}
	cert, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	start := time.Now()
	var base uint64
	baseGoroutines := runtime.NumGoroutine()
	for i := 1; i <= cycles; i++ {
		c := cfg
		if i%2 == 0 {
			c.Certificate = &cert // half with a fresh certificate each
		}
		pc, err := NewPeerConnection(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.CreateDataChannel("x", nil); err != nil {
			t.Fatal(err)
		}
		if i%4 != 0 { // and a quarter closed before any offer
			if err := pc.SetLocalDescription(SessionDescription{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := pc.Close(); err != nil {
			t.Fatal(err)
		}
		if i == 100 {
			base = heapAfterGC()
		}
	}
	end := heapAfterGC()
	growth := int64(end) - int64(base)
	t.Logf("%d open/close cycles in %v: heap after GC %d KiB at cycle 100, %d KiB at %d (%+d B, %+.0f B/cycle); goroutines %d before, %d after",
		cycles, time.Since(start).Round(time.Millisecond), base>>10, end>>10, cycles, growth, float64(growth)/float64(cycles-100),
		baseGoroutines, runtime.NumGoroutine())
	// A leak of even 1 KiB per PeerConnection would show as 900 KiB.
	if growth > 512<<10 {
		t.Fatalf("heap grew by %d KiB over %d cycles", growth>>10, cycles-100)
	}
}

// TestConnectedCycles connects 100 pairs one after the other, each with a
// DataChannel that carries a message both ways, and closes them: no
// goroutine is left and the heap does not grow.
func TestConnectedCycles(t *testing.T) {
	checkLeaks(t)
	cycles := 100
	if testing.Short() {
		cycles = 30
	}
	cert, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Certificate = &cert
	start := time.Now()
	var base uint64
	var setup time.Duration
	for i := 1; i <= cycles; i++ {
		offerer, err := NewPeerConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		answerer, err := NewPeerConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		answerer.OnDataChannel(echoOn)
		c := newEchoClient(t, offerer, "cycle", nil)
		t0 := time.Now()
		signalNonTrickle(t, offerer, answerer)
		recv(t, c.opened, "open")
		setup += time.Since(t0)
		msg := fmt.Sprint("cycle ", i)
		if err := c.dc.SendText(msg); err != nil {
			t.Fatal(err)
		}
		if m := recv(t, c.got, "echo"); string(m.Data) != msg {
			t.Fatalf("echo %q", m.Data)
		}
		// Alternate which side closes first.
		if i%2 == 0 {
			offerer, answerer = answerer, offerer
		}
		_ = offerer.Close()
		_ = answerer.Close()
		if i == 10 {
			base = heapAfterGC()
		}
	}
	end := heapAfterGC()
	growth := int64(end) - int64(base)
	t.Logf("%d connected pairs in %v (mean setup to open %v): heap after GC %d KiB at pair 10, %d KiB at %d (%+d B, %+.0f B/pair)",
		cycles, time.Since(start).Round(time.Millisecond), (setup / time.Duration(cycles)).Round(time.Microsecond),
		base>>10, end>>10, cycles, growth, float64(growth)/float64(cycles-10))
	if growth > 512<<10 {
		t.Fatalf("heap grew by %d KiB over %d pairs", growth>>10, cycles-10)
	}
}

// closeStage names a point of the handshake at which a side is closed.
type closeStage struct {
	name string
	// reach brings the pair to the stage (on loopback the handshake may
	// have moved a little past it by the time Close runs).
	reach func(t *testing.T, h *handshake)
}

// handshake is a pair brought up step by step, with every callback
// checking that it does not start after its PeerConnection's Close
// returned.
type handshake struct {
	offerer, answerer *PeerConnection
	dc                *DataChannel
	track             *LocalTrack
	iceStates         [2]chan ICEConnectionState
	states            [2]chan PeerConnectionState
	opened            chan struct{}
	closedAt          [2]atomic.Bool
	late              atomic.Value // string: a callback that ran after Close returned
	stop              chan struct{}
	wg                sync.WaitGroup
}

func newHandshake(t *testing.T) *handshake {
	h := &handshake{opened: make(chan struct{}), stop: make(chan struct{})}
	var err error
	if h.offerer, err = NewPeerConnection(testConfig()); err != nil {
		t.Fatal(err)
	}
	if h.answerer, err = NewPeerConnection(testConfig()); err != nil {
		t.Fatal(err)
	}
	for i, pc := range []*PeerConnection{h.offerer, h.answerer} {
		h.iceStates[i] = make(chan ICEConnectionState, 16)
		h.states[i] = make(chan PeerConnectionState, 16)
		check := h.checker(i)
		pc.OnICECandidate(func(*ICECandidate) { check("OnICECandidate") })
		pc.OnICEGatheringStateChange(func(ICEGatheringState) { check("OnICEGatheringStateChange") })
		pc.OnSignalingStateChange(func(SignalingState) { check("OnSignalingStateChange") })
		pc.OnNegotiationNeeded(func() { check("OnNegotiationNeeded") })
		pc.OnICEConnectionStateChange(func(s ICEConnectionState) {
			check("OnICEConnectionStateChange")
			h.iceStates[i] <- s
		})
		pc.OnConnectionStateChange(func(s PeerConnectionState) {
			check("OnConnectionStateChange")
			h.states[i] <- s
		})
		pc.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) {
			check("OnTrack")
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				for {
					if _, err := tr.ReadFrame(); err != nil {
						return
					}
				}
			}()
		})
	}
	checkA := h.checker(1)
	h.answerer.OnDataChannel(func(dc *DataChannel) {
		checkA("OnDataChannel")
		dc.OnMessage(func(m DataChannelMessage) { checkA("OnMessage"); _ = dc.Send(m.Data) })
		dc.OnClose(func() { checkA("OnClose") })
	})
	checkO := h.checker(0)
	if h.dc, err = h.offerer.CreateDataChannel("stage", nil); err != nil {
		t.Fatal(err)
	}
	h.dc.OnOpen(func() { checkO("OnOpen"); close(h.opened) })
	h.dc.OnMessage(func(DataChannelMessage) { checkO("OnMessage") })
	h.dc.OnClose(func() { checkO("OnClose") })
	h.dc.OnError(func(error) { checkO("OnError") })
	h.dc.OnBufferedAmountLow(func() { checkO("OnBufferedAmountLow") })
	if h.track, err = NewLocalTrack(CodecOpus, "a", "s"); err != nil {
		t.Fatal(err)
	}
	h.track.OnKeyframeRequest(func() { checkO("OnKeyframeRequest") })
	if _, err := h.offerer.AddTrack(h.track); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *handshake) checker(i int) func(string) {
	return func(name string) {
		if h.closedAt[i].Load() {
			h.late.CompareAndSwap(nil, fmt.Sprintf("side %d: %s ran after Close returned", i, name))
		}
	}
}

// sendLoop keeps data and media going until stop.
func (h *handshake) sendLoop() {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		frame := []byte{0xfc, 1, 2, 3}
		for {
			select {
			case <-h.stop:
				return
			default:
			}
			_ = h.dc.Send(make([]byte, 1000))
			_ = h.track.WriteFrame(Frame{Data: frame, Duration: 20 * time.Millisecond})
			time.Sleep(time.Millisecond)
		}
	}()
}

func waitFor[T comparable](ch <-chan T, want T, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case v := <-ch:
			if v == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestCloseAtEveryStage closes one side, the other or both at each stage
// of the handshake: nothing deadlocks or panics, no callback of a closed
// PeerConnection starts after its Close returned, and no goroutine is left.
func TestCloseAtEveryStage(t *testing.T) {
	offer := func(t *testing.T, h *handshake) {
		if err := h.offerer.SetLocalDescription(SessionDescription{}); err != nil {
			t.Fatal(err)
		}
	}
	remoteHasOffer := func(t *testing.T, h *handshake) {
		offer(t, h)
		waitGathered(t, h.offerer)
		if err := h.answerer.SetRemoteDescription(*h.offerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	answered := func(t *testing.T, h *handshake) {
		remoteHasOffer(t, h)
		if err := h.answerer.SetLocalDescription(SessionDescription{}); err != nil {
			t.Fatal(err)
		}
		waitGathered(t, h.answerer)
		if err := h.offerer.SetRemoteDescription(*h.answerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	stages := []closeStage{
		{"before offer", func(*testing.T, *handshake) {}},
		{"after SetLocalDescription", offer},
		{"remote has the offer", remoteHasOffer},
		{"answer applied", answered},
		{"ICE checking", func(t *testing.T, h *handshake) {
			answered(t, h)
			waitFor(h.iceStates[0], ICEConnectionStateChecking, 5*time.Second)
		}},
		{"DTLS handshake", func(t *testing.T, h *handshake) {
			answered(t, h)
			waitFor(h.iceStates[0], ICEConnectionStateConnected, 5*time.Second)
		}},
		{"SCTP and DCEP open", func(t *testing.T, h *handshake) {
			answered(t, h)
			waitFor(h.states[0], PeerConnectionStateConnected, 5*time.Second)
		}},
		{"after open", func(t *testing.T, h *handshake) {
			answered(t, h)
			recv(t, h.opened, "open")
		}},
		{"while sending", func(t *testing.T, h *handshake) {
			answered(t, h)
			recv(t, h.opened, "open")
			h.sendLoop()
			time.Sleep(100 * time.Millisecond)
		}},
	}
	for _, st := range stages {
		for _, who := range []string{"offerer", "answerer", "both"} {
			t.Run(st.name+"/"+who, func(t *testing.T) {
				checkLeaks(t)
				h := newHandshake(t)
				st.reach(t, h)
				closeSide := func(i int, pc *PeerConnection) {
					done := make(chan struct{})
					go func() { _ = pc.Close(); close(done) }()
					select {
					case <-done:
					case <-time.After(10 * time.Second):
						t.Errorf("Close of side %d blocked", i)
						return
					}
					h.closedAt[i].Store(true)
				}
				switch who {
				case "offerer":
					closeSide(0, h.offerer)
				case "answerer":
					closeSide(1, h.answerer)
				default:
					var wg sync.WaitGroup
					wg.Add(2)
					go func() { defer wg.Done(); closeSide(0, h.offerer) }()
					go func() { defer wg.Done(); closeSide(1, h.answerer) }()
					wg.Wait()
				}
				// The survivor goes on for a moment: its callbacks may run,
				// the closed side's must not.
				time.Sleep(50 * time.Millisecond)
				close(h.stop)
				closeSide(0, h.offerer)
				closeSide(1, h.answerer)
				h.wg.Wait()
				if v := h.late.Load(); v != nil {
					t.Fatal(v)
				}
			})
		}
	}
}

// TestCloseWhileReceiverHeldBack closes a PeerConnection whose application
// stopped reading a DataChannel: its reader is waiting for receive credit
// (the remote is held back by flow control). Close must not wait for that
// credit, which nobody will ever give.
func TestCloseWhileReceiverHeldBack(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	// The answerer never sets OnMessage: every message is held.
	held := make(chan *DataChannel, 1)
	p.answerer.OnDataChannel(func(dc *DataChannel) { held <- dc })
	c := newEchoClient(t, p.offerer, "flood", nil)
	p.connect(t, false)
	recv(t, c.opened, "open")
	rdc := recv(t, held, "OnDataChannel")
	msg := make([]byte, 1024)
	deadline := time.Now().Add(15 * time.Second)
	for rdc.queuedMsgs.Load() < creditMsgs {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages held", rdc.queuedMsgs.Load())
		}
		if err := c.dc.Send(msg); err != nil {
			time.Sleep(time.Millisecond) // send buffer full: the remote is held back
		}
	}
	time.Sleep(50 * time.Millisecond) // let the reader block on the next one
	for _, pc := range []*PeerConnection{p.answerer, p.offerer} {
		done := make(chan struct{})
		go func() { _ = pc.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close blocked behind a reader waiting for receive credit")
		}
	}
}
