//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/actors"
	"go.uber.org/goleak"
)

// livePair is two connected PeerConnections kept busy: the offerer pings on
// a DataChannel that the answerer echoes and, with media, each side sends
// an Opus track that the other reads, until close.
type livePair struct {
	offerer, answerer *PeerConnection
	dc                *DataChannel
	echoes            atomic.Int64
	frames            [2]atomic.Int64 // frames read by the offerer, the answerer
	offererStates     chan PeerConnectionState
	answererStates    chan PeerConnectionState
	stop              chan struct{}
	wg                sync.WaitGroup
}

// fastConsentConfig notices a vanished remote within a second or two.
func fastConsentConfig() Config {
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = time.Second
	cfg.ICEFailedTimeout = 3 * time.Second
	cfg.ICEKeepaliveInterval = 200 * time.Millisecond
	return cfg
}

func stateRecorder(pc *PeerConnection) chan PeerConnectionState {
	ch := make(chan PeerConnectionState, 64)
	pc.OnConnectionStateChange(func(s PeerConnectionState) {
		select {
		case ch <- s:
		default:
		}
	})
	return ch
}

// newLivePair builds the pair; beforeSignal runs just before the
// offer/answer exchange. With connect false the caller signals.
func newLivePair(t *testing.T, media, connect bool, beforeSignal func(*livePair)) *livePair {
	t.Helper()
	p := &livePair{stop: make(chan struct{})}
	for _, pc := range []**PeerConnection{&p.offerer, &p.answerer} {
		var err error
		if *pc, err = NewPeerConnection(fastConsentConfig()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(p.close)
	p.offererStates, p.answererStates = stateRecorder(p.offerer), stateRecorder(p.answerer)
	p.answerer.OnDataChannel(echoOn)
	dc, err := p.offerer.CreateDataChannel("live", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.dc = dc
	dc.OnMessage(func(DataChannelMessage) { p.echoes.Add(1) })
	var tracks []*LocalTrack
	if media {
		for i, pc := range []*PeerConnection{p.offerer, p.answerer} {
			tr, err := NewLocalTrack(CodecOpus, "audio", "av")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pc.AddTrack(tr); err != nil {
				t.Fatal(err)
			}
			tracks = append(tracks, tr)
			counter := &p.frames[i]
			pc.OnTrack(func(rt *RemoteTrack, _ *RTPReceiver) {
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					for {
						if _, err := rt.ReadFrame(); err != nil {
							return
						}
						counter.Add(1)
					}
				}()
			})
		}
	}
	p.wg.Add(1)
	go func() { // the pump
		defer p.wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		frame := make([]byte, 80)
		frame[0] = 0xfc // a 20 ms Opus CELT frame's TOC byte
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			if dc.ReadyState() == DataChannelStateOpen {
				_ = dc.SendText("ping")
			}
			for _, tr := range tracks {
				_ = tr.WriteFrame(Frame{Data: frame, Duration: 20 * time.Millisecond})
			}
		}
	}()
	if beforeSignal != nil {
		beforeSignal(p)
	}
	if !connect {
		return p
	}
	signalNonTrickle(t, p.offerer, p.answerer)
	p.waitFlowing(t, media)
	return p
}

// waitFlowing waits until echoes and (with media) frames arrive both ways.
func (p *livePair) waitFlowing(t *testing.T, media bool) {
	t.Helper()
	e0, f0, f1 := p.echoes.Load(), p.frames[0].Load(), p.frames[1].Load()
	deadline := time.Now().Add(15 * time.Second)
	for p.echoes.Load() < e0+5 || media && (p.frames[0].Load() < f0+5 || p.frames[1].Load() < f1+5) {
		if time.Now().After(deadline) {
			t.Fatalf("pair not flowing: %d echoes, %d/%d frames", p.echoes.Load()-e0, p.frames[0].Load()-f0, p.frames[1].Load()-f1)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *livePair) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	_ = p.offerer.Close()
	_ = p.answerer.Close()
	p.wg.Wait()
}

// waitState waits for one of want on a state recorder.
func waitState(t *testing.T, ch <-chan PeerConnectionState, what string, want ...PeerConnectionState) PeerConnectionState {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case s := <-ch:
			for _, w := range want {
				if s == w {
					return s
				}
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s to reach %v", what, want)
		}
	}
}

// TestPanicInEachActorFailsOnlyItsConnection injects a panic into each of
// a PeerConnection's actors in turn, while the actor is running (handling a
// message, a packet or a tick). That PeerConnection fails with a
// PanicError naming the actor, its remote sees it gone, Close leaves no
// goroutine, and a second pair in the same process exchanges data
// throughout.
func TestPanicInEachActorFailsOnlyItsConnection(t *testing.T) {
	checkLeaks(t)
	bystander := newLivePair(t, true, true, nil)
	cases := []struct {
		point string // the checkpoint armed (actors name their checkpoint after themselves)
		// arm arms the panic before signalling instead of once connected:
		// the ICE layer's events come while gathering and checking.
		early bool
		// signal, with early, runs the whole offer/answer after arming:
		// for an actor that only lives while the connection comes up.
		signal bool
		// trigger makes the actor handle something, for those that only
		// run on request.
		trigger func(p *livePair)
	}{
		{point: "peer", trigger: func(p *livePair) { p.offerer.GetTransceivers() }},
		{point: "ice", early: true},
		{point: "mux"},
		{point: "dtls", early: true, signal: true}, // it lives for the handshake only
		{point: "sctp", trigger: func(p *livePair) { _, _ = p.offerer.CreateDataChannel("late", nil) }},
		{point: "sctp reader"},
		{point: "media"},
		{point: "sender"},
		{point: "receiver"},
	}
	for _, tc := range cases {
		t.Run(tc.point, func(t *testing.T) {
			// The bystander's reads each run on a short-lived pion
			// goroutine; the test's own check, once it is closed too,
			// covers everything.
			opts := []goleak.Option{goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("github.com/pion/transport/v5/netctx.(*packetConn).ReadFromContext.func1")}
			t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
			var p *livePair
			var armed time.Time
			arm := func(p *livePair) {
				armed = time.Now()
				p.offerer.sup.InjectPanic(tc.point)
			}
			if tc.early && tc.signal {
				p = newLivePair(t, true, false, arm)
				signalNonTrickle(t, p.offerer, p.answerer)
			} else if tc.early {
				p = newLivePair(t, true, false, arm)
				offer, err := p.offerer.CreateOffer()
				if err != nil {
					t.Fatal(err)
				}
				if err := p.offerer.SetLocalDescription(offer); err != nil {
					t.Fatal(err)
				}
			} else {
				p = newLivePair(t, true, true, nil)
				arm(p)
			}
			before := bystander.echoes.Load()
			if tc.trigger != nil {
				tc.trigger(p)
			}
			waitState(t, p.offererStates, "the victim", PeerConnectionStateFailed)
			failedAfter := time.Since(armed)
			var pe *actors.PanicError
			if err := p.offerer.Err(); !errors.As(err, &pe) || pe.Actor != tc.point && !strings.HasPrefix(pe.Actor, tc.point+" ") {
				t.Fatalf("Err() = %v, want a PanicError from %q", err, tc.point)
			}
			if pe.Value != (actors.InjectedPanic{Point: tc.point}) {
				t.Fatalf("panic value %v", pe.Value)
			}
			if s := p.offerer.ConnectionState(); s != PeerConnectionStateFailed {
				t.Fatalf("ConnectionState %s", s)
			}
			if _, err := p.offerer.CreateOffer(); !errors.Is(err, ErrClosed) {
				t.Fatalf("CreateOffer on the failed connection: %v", err)
			}
			remote := "never connected"
			if !tc.early {
				// The remote notices: its consent checks go unanswered.
				s := waitState(t, p.answererStates, "the remote", PeerConnectionStateDisconnected, PeerConnectionStateFailed, PeerConnectionStateClosed)
				remote = fmt.Sprintf("%s after %v", s, time.Since(armed).Round(time.Millisecond))
			}
			// The bystander went on all along, and still does.
			bystander.waitFlowing(t, true)
			if bystander.echoes.Load() <= before {
				t.Fatal("the bystander stopped")
			}
			if err := bystander.offerer.Err(); err != nil {
				t.Fatalf("the bystander failed: %v", err)
			}
			t.Logf("%s (%s): failed after %v; remote: %s; bystander echoes during the case: %d",
				tc.point, pe.Actor, failedAfter.Round(time.Millisecond), remote, bystander.echoes.Load()-before)
			p.close()
		})
	}
}

// panicLog counts the records of a slog.Logger whose message contains a
// marker.
type panicLog struct {
	marker string
	n      atomic.Int64
}

func (l *panicLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *panicLog) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, l.marker) {
		l.n.Add(1)
	}
	return nil
}
func (l *panicLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *panicLog) WithGroup(string) slog.Handler      { return l }

// TestCallbackPanicIsContained: a panic inside any user callback is what a
// browser does with an exception thrown by an event handler — it is
// reported (logged through Config.Logger, with its stack) and the
// PeerConnection carries on: later events are still delivered, no message
// is lost or reordered, the connection stays up, and the process lives.
func TestCallbackPanicIsContained(t *testing.T) {
	checkLeaks(t)
	logs := &panicLog{marker: "callback panicked"}
	cfg := testConfig()
	cfg.Logger = slog.New(logs)
	offerer, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer offerer.Close()
	acfg := cfg
	acfg.MaxMessageSize = 4096 // for OnError: the offerer is told more
	answerer, err := NewPeerConnection(acfg)
	if err != nil {
		t.Fatal(err)
	}
	defer answerer.Close()

	var mu sync.Mutex
	calls := map[string]int{}
	var panics atomic.Int64
	// boom records a callback and panics, as a buggy handler would.
	boom := func(name string) {
		mu.Lock()
		calls[name]++
		mu.Unlock()
		panics.Add(1)
		panic("buggy " + name)
	}
	called := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[name]
	}
	offStates := make(chan PeerConnectionState, 16)
	for _, pc := range []*PeerConnection{offerer, answerer} {
		pc.OnICECandidate(func(*ICECandidate) { boom("OnICECandidate") })
		pc.OnICEGatheringStateChange(func(ICEGatheringState) { boom("OnICEGatheringStateChange") })
		pc.OnSignalingStateChange(func(SignalingState) { boom("OnSignalingStateChange") })
		pc.OnICEConnectionStateChange(func(ICEConnectionState) { boom("OnICEConnectionStateChange") })
		pc.OnNegotiationNeeded(func() { boom("OnNegotiationNeeded") })
	}
	offerer.OnConnectionStateChange(func(s PeerConnectionState) {
		offStates <- s
		boom("OnConnectionStateChange")
	})
	remoteChans := make(chan *DataChannel, 4)
	var echoed atomic.Int64
	answerer.OnDataChannel(func(dc *DataChannel) {
		dc.OnOpen(func() { boom("OnOpen (remote)") })
		dc.OnError(func(error) { boom("OnError") })
		dc.OnClose(func() { boom("OnClose (remote)") })
		if dc.Label() == "echo" {
			dc.OnMessage(func(m DataChannelMessage) {
				_ = dc.SendText(string(m.Data))
				echoed.Add(1)
				boom("OnMessage (remote)")
			})
		}
		remoteChans <- dc
		boom("OnDataChannel")
	})
	remoteTracks := make(chan *RemoteTrack, 1)
	answerer.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) {
		remoteTracks <- tr
		boom("OnTrack")
	})
	video, err := NewLocalTrack(CodecH264, "video", "av")
	if err != nil {
		t.Fatal(err)
	}
	video.OnKeyframeRequest(func() { boom("OnKeyframeRequest") })
	if _, err := offerer.AddTrack(video); err != nil {
		t.Fatal(err)
	}
	dc, err := offerer.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened); boom("OnOpen") })
	got := make(chan string, 256)
	dc.OnMessage(func(m DataChannelMessage) {
		got <- string(m.Data)
		boom("OnMessage")
	})
	dc.SetBufferedAmountLowThreshold(1)
	dc.OnBufferedAmountLow(func() { boom("OnBufferedAmountLow") })

	// Signal by hand, telling the offerer the answerer accepts larger
	// messages than it does: the answerer then closes the channel with an
	// error when one arrives.
	signalEditingAnswer(t, offerer, answerer, func(sdp string) string {
		return strings.ReplaceAll(sdp, "a=max-message-size:4096", "a=max-message-size:65536")
	})
	recv(t, opened, "open")
	waitState(t, offStates, "the offerer", PeerConnectionStateConnected)

	// Every message is delivered once, in order, though every handler on
	// the way panics.
	const n = 200
	for i := 0; i < n; i++ {
		if err := dc.SendText(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if m := recv(t, got, "echo"); m != fmt.Sprint(i) {
			t.Fatalf("echo %d is %q", i, m)
		}
	}
	recv(t, remoteChans, "the echo channel")

	// Messages held until OnMessage is set are all delivered, though the
	// handler panics on each.
	late, err := offerer.CreateDataChannel("late", nil)
	if err != nil {
		t.Fatal(err)
	}
	lateOpen := make(chan struct{})
	late.OnOpen(func() { close(lateOpen) })
	recv(t, lateOpen, "late open")
	for i := 0; i < 20; i++ {
		if err := late.SendText("held"); err != nil {
			t.Fatal(err)
		}
	}
	rlate := recv(t, remoteChans, "the late channel")
	deadline := time.Now().Add(10 * time.Second)
	for heldNow(t, rlate) < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages held", heldNow(t, rlate))
		}
		time.Sleep(5 * time.Millisecond)
	}
	var heldGot atomic.Int64
	rlate.OnMessage(func(DataChannelMessage) { heldGot.Add(1); boom("OnMessage (held)") })

	// OnBufferedAmountLow, OnError and OnClose: a message over the
	// answerer's limit closes the channel there with an error.
	if err := dc.Send(make([]byte, 10000)); err != nil {
		t.Fatal(err)
	}
	// OnKeyframeRequest: the answerer asks for a keyframe.
	rv := recv(t, remoteTracks, "OnTrack")
	aus := readClipH264(t)
	deadline = time.Now().Add(15 * time.Second)
	for i := 0; called("OnKeyframeRequest") == 0 || heldGot.Load() < 20 || called("OnClose (remote)") == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("not every callback ran: %v, %d held messages delivered", calls, heldGot.Load())
		}
		_ = video.WriteFrame(Frame{Data: aus[i%len(aus)], Duration: time.Second / 30})
		rv.RequestKeyframe()
		time.Sleep(10 * time.Millisecond)
	}
	for _, name := range []string{"OnICECandidate", "OnICEGatheringStateChange", "OnSignalingStateChange",
		"OnICEConnectionStateChange", "OnConnectionStateChange", "OnNegotiationNeeded", "OnDataChannel",
		"OnOpen", "OnOpen (remote)", "OnMessage", "OnMessage (remote)", "OnMessage (held)",
		"OnBufferedAmountLow", "OnError", "OnClose (remote)", "OnTrack", "OnKeyframeRequest"} {
		if called(name) == 0 {
			t.Errorf("%s never ran", name)
		}
	}
	if echoed.Load() != n || heldGot.Load() != 20 {
		t.Errorf("echoed %d of %d, held messages delivered %d of 20", echoed.Load(), n, heldGot.Load())
	}
	for _, pc := range []*PeerConnection{offerer, answerer} {
		if s := pc.ConnectionState(); s != PeerConnectionStateConnected || pc.Err() != nil {
			t.Errorf("after panicking callbacks: %s, %v", s, pc.Err())
		}
	}
	// Each panic was logged once.
	deadline = time.Now().Add(5 * time.Second)
	for logs.n.Load() != panics.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if logs.n.Load() != panics.Load() {
		t.Errorf("%d panics, %d logged", panics.Load(), logs.n.Load())
	}
	t.Logf("%d callback panics, all logged; the connection stayed up", panics.Load())
}

// heldNow asks the event goroutine how many messages dc holds for a
// handler yet to be set.
func heldNow(t *testing.T, dc *DataChannel) int {
	n := make(chan int, 1)
	if !dc.pc.emitter.Emit(func() { n <- len(dc.held) }) {
		t.Fatal("emitter refused")
	}
	return recv(t, n, "held count")
}
