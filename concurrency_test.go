//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// exerciser calls every public method of a PeerConnection and of the
// objects a callback hands it, from wherever it is called. Methods that
// change what is negotiated (a new DataChannel or transceiver) run once per
// callback kind, so that callbacks they cause do not loop.
type exerciser struct {
	once sync.Map // callback name -> struct{}
	dcs  sync.Map // *DataChannel -> struct{}: every channel seen
	runs sync.Map // callback name -> *atomic.Int64
}

func (e *exerciser) ran(name string) int64 {
	if v, ok := e.runs.Load(name); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (e *exerciser) exercise(t *testing.T, name string, pc *PeerConnection, dc *DataChannel, lt *LocalTrack, rt *RemoteTrack) {
	v, _ := e.runs.LoadOrStore(name, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	_ = pc.SignalingState()
	_ = pc.ICEConnectionState()
	_ = pc.ICEGatheringState()
	_ = pc.ConnectionState()
	_ = pc.LocalDescription()
	_ = pc.RemoteDescription()
	_ = pc.Err()
	select {
	case <-pc.GatheringComplete():
	default:
	}
	for _, tr := range pc.GetTransceivers() {
		_, _, _ = tr.Mid(), tr.Direction(), tr.CurrentDirection()
		if s := tr.Sender(); s != nil {
			_ = s.Track()
		}
		if r := tr.Receiver(); r != nil && r.Track() != nil {
			_ = r.Track().Stats()
		}
	}
	// Requests that leave the state as it is: a new offer is only
	// created (the test signals with parameterless SetLocalDescription,
	// which makes its own), the others are refused.
	_, _ = pc.CreateOffer()
	_, _ = pc.CreateAnswer()
	if err := pc.SetRemoteDescription(SessionDescription{Type: SDPTypeOffer, SDP: "v=0 garbage"}); err == nil {
		t.Errorf("%s: garbage remote description accepted", name)
	}
	if err := pc.AddICECandidate(ICECandidateInit{Candidate: "candidate:garbage"}); err == nil {
		t.Errorf("%s: garbage candidate accepted", name)
	}
	if err := pc.SetLocalDescription(SessionDescription{Type: SDPTypeAnswer, SDP: "v=0 garbage"}); err == nil {
		t.Errorf("%s: garbage local description accepted", name)
	}
	if _, loaded := e.once.LoadOrStore(name, struct{}{}); !loaded {
		if ch, err := pc.CreateDataChannel("from "+name, nil); err == nil {
			e.dcs.Store(ch, struct{}{})
		}
		if x, err := pc.AddTransceiver(MediaKindAudio, &TransceiverInit{Direction: DirectionRecvOnly}); err == nil {
			_ = x.SetDirection(DirectionInactive)
			if nt, err := NewLocalTrack(CodecOpus, "x", "s"); err == nil {
				_ = x.Sender().ReplaceTrack(nt)
				_ = pc.RemoveTrack(x.Sender())
			}
		}
	}
	if dc != nil {
		e.dcs.Store(dc, struct{}{})
		_, _, _, _ = dc.Label(), dc.ReadyState(), dc.ID(), dc.MaxMessageSize()
		_, _ = dc.BufferedAmount(), dc.BufferedAmountLowThreshold()
		dc.SetBufferedAmountLowThreshold(dc.BufferedAmountLowThreshold())
		if dc.ReadyState() == DataChannelStateOpen && dc.Label() == "probe" {
			_ = dc.SendText("from " + name)
		}
	}
	if lt != nil {
		_ = lt.Stats()
		_ = lt.WriteFrame(Frame{Data: []byte{0xfc, 0, 0}, Duration: 20 * time.Millisecond})
	}
	if rt != nil {
		_, _, _ = rt.ID(), rt.Codec(), rt.Stats()
		rt.RequestKeyframe()
	}
}

// TestEveryMethodFromEveryCallback calls every public method from inside
// every callback, on both sides, while a connection with a DataChannel and
// media comes up and carries data: nothing deadlocks (the test is bounded
// in time) and the race detector finds nothing. Close from inside each
// callback is TestCloseFromEveryCallback.
func TestEveryMethodFromEveryCallback(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	e := &exerciser{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer answerer.Close()
	defer offerer.Close()
	probes := make(chan string, 1024)
	var localTracks []*LocalTrack
	for i, pc := range []*PeerConnection{offerer, answerer} {
		side := []string{"offerer ", "answerer "}[i]
		tr, err := NewLocalTrack(CodecH264, "v", "s")
		if err != nil {
			t.Fatal(err)
		}
		localTracks = append(localTracks, tr)
		x := func(name string, dc *DataChannel, rt *RemoteTrack) { e.exercise(t, side+name, pc, dc, tr, rt) }
		tr.OnKeyframeRequest(func() { x("OnKeyframeRequest", nil, nil) })
		pc.OnICECandidate(func(*ICECandidate) { x("OnICECandidate", nil, nil) })
		pc.OnICEConnectionStateChange(func(ICEConnectionState) { x("OnICEConnectionStateChange", nil, nil) })
		pc.OnConnectionStateChange(func(PeerConnectionState) { x("OnConnectionStateChange", nil, nil) })
		pc.OnSignalingStateChange(func(SignalingState) { x("OnSignalingStateChange", nil, nil) })
		pc.OnICEGatheringStateChange(func(ICEGatheringState) { x("OnICEGatheringStateChange", nil, nil) })
		pc.OnNegotiationNeeded(func() { x("OnNegotiationNeeded", nil, nil) })
		pc.OnTrack(func(rt *RemoteTrack, _ *RTPReceiver) {
			x("OnTrack", nil, rt)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := rt.ReadFrame(); err != nil {
						return
					}
				}
			}()
		})
		pc.OnDataChannel(func(dc *DataChannel) {
			x("OnDataChannel", dc, nil)
			dc.OnOpen(func() { x("OnOpen", dc, nil) })
			dc.OnMessage(func(m DataChannelMessage) {
				x("OnMessage", dc, nil)
				if dc.Label() == "probe" {
					_ = dc.Send(m.Data) // echo
				}
			})
			dc.OnClose(func() { x("OnClose", dc, nil) })
			dc.OnError(func(error) { x("OnError", dc, nil) })
			dc.OnBufferedAmountLow(func() { x("OnBufferedAmountLow", dc, nil) })
		})
		if _, err := pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	probe, err := offerer.CreateDataChannel("probe", nil)
	if err != nil {
		t.Fatal(err)
	}
	x := func(name string) { e.exercise(t, "offerer "+name, offerer, probe, localTracks[0], nil) }
	opened := make(chan struct{})
	probe.OnOpen(func() { x("OnOpen"); close(opened) })
	probe.OnMessage(func(m DataChannelMessage) { x("OnMessage"); probes <- string(m.Data) })
	probe.SetBufferedAmountLowThreshold(1)
	probe.OnBufferedAmountLow(func() { x("OnBufferedAmountLow") })
	probe.OnClose(func() { x("OnClose") })
	probe.OnError(func(error) { x("OnError") })

	// Parameterless SetLocalDescription: the callbacks' CreateOffer and
	// CreateAnswer calls cannot get between creating and applying.
	if err := offerer.SetLocalDescription(SessionDescription{}); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, offerer)
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetLocalDescription(SessionDescription{}); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, answerer)
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	recv(t, opened, "probe open")

	// Data flows while the callbacks call everything: a burst of probes
	// comes back whole and in order (callbacks add their own "from ..."
	// probes, which are skipped).
	const probesSent = 30 // each echo runs every method on both sides
	for i := 0; i < probesSent; i++ {
		if err := probe.SendText(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < probesSent; {
		m := recv(t, probes, "probe echo")
		if len(m) > 5 && m[:5] == "from " {
			continue
		}
		if m != fmt.Sprint(i) {
			t.Fatalf("echo %d is %q", i, m)
		}
		i++
	}
	// Media, keyframe requests and channel closes, to reach the remaining
	// callbacks.
	aus := readClipH264(t)
	want := []string{"OnICECandidate", "OnICEConnectionStateChange", "OnConnectionStateChange",
		"OnSignalingStateChange", "OnICEGatheringStateChange", "OnNegotiationNeeded", "OnTrack",
		"OnDataChannel", "OnOpen", "OnMessage", "OnBufferedAmountLow", "OnKeyframeRequest", "OnClose"}
	deadline := time.Now().Add(15 * time.Second)
	closedChannels := false
	for i := 0; ; i++ {
		missing := ""
		for _, name := range want {
			if e.ran("offerer "+name)+e.ran("answerer "+name) == 0 {
				missing = name
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never ran", missing)
		}
		for _, tr := range localTracks {
			_ = tr.WriteFrame(Frame{Data: aus[i%len(aus)], Duration: time.Second / 30})
		}
		if i%10 == 0 {
			for _, x := range offerer.GetTransceivers() {
				if rt := x.Receiver().Track(); rt != nil {
					rt.RequestKeyframe()
				}
			}
		}
		if !closedChannels && i > 20 {
			// Close the channels the callbacks created.
			closedChannels = true
			e.dcs.Range(func(k, _ any) bool {
				if dc := k.(*DataChannel); dc != probe {
					_ = dc.Close()
				}
				return true
			})
		}
		time.Sleep(10 * time.Millisecond)
	}
	total := int64(0)
	e.runs.Range(func(_, v any) bool { total += v.(*atomic.Int64).Load(); return true })
	t.Logf("%d callback invocations each called every method", total)
}

// TestFiftyGoroutinesOnOnePeerConnection has 50 goroutines use one
// connected PeerConnection at once — creating channels, sending, reading
// every state, adding tracks and creating offers, writing media — and then
// close it while they are still at it. Under the race detector; bounded in
// time. Every message a goroutine sent successfully before the close comes
// back from the echoing remote.
func TestFiftyGoroutinesOnOnePeerConnection(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	shared := newEchoClient(t, p.offerer, "shared", nil)
	p.connect(t, false)
	recv(t, shared.opened, "open")
	pc := p.offerer

	const workers = 50
	const rounds = 20
	var sent, echoed atomic.Int64
	var channels sync.Map
	ctx := make(chan struct{}) // closed once pc is closed
	var wg sync.WaitGroup
	work := func(w int, round int) {
		switch (w + round) % 7 {
		case 0:
			dc, err := pc.CreateDataChannel(fmt.Sprintf("w%d-%d", w, round), nil)
			if err == nil {
				dc.OnMessage(func(DataChannelMessage) { echoed.Add(1) })
				channels.Store(dc, struct{}{})
			}
		case 1:
			if shared.dc.SendText(fmt.Sprint(w, round)) == nil {
				sent.Add(1)
			}
		case 2:
			_, _, _, _ = pc.SignalingState(), pc.ICEConnectionState(), pc.ICEGatheringState(), pc.ConnectionState()
			_, _, _ = pc.LocalDescription(), pc.RemoteDescription(), pc.Err()
		case 3:
			tr, err := NewLocalTrack(CodecOpus, fmt.Sprintf("t%d-%d", w, round), "s")
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := pc.AddTrack(tr); err == nil {
				_ = tr.WriteFrame(Frame{Data: []byte{0xfc, 1}, Duration: 20 * time.Millisecond})
				_ = tr.Stats()
			}
		case 4:
			_, _ = pc.CreateOffer() // created only: signaling stays stable
		case 5:
			for _, x := range pc.GetTransceivers() {
				_, _ = x.Mid(), x.Direction()
				_ = x.Sender().Track()
			}
		case 6:
			channels.Range(func(k, _ any) bool {
				dc := k.(*DataChannel)
				_, _, _ = dc.ReadyState(), dc.BufferedAmount(), dc.ID()
				if dc.ReadyState() == DataChannelStateOpen && dc.Send([]byte{byte(w)}) == nil {
					sent.Add(1)
				}
				return false
			})
		}
	}
	shared.dc.OnMessage(func(DataChannelMessage) { echoed.Add(1) })
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				work(w, r)
			}
		}()
	}
	if !waitGroupWithin(&wg, 30*time.Second) {
		t.Fatal("workers did not finish: deadlock?")
	}
	busy := time.Since(start)
	deadline := time.Now().Add(15 * time.Second)
	for echoed.Load() < sent.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages echoed", echoed.Load(), sent.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pc.SignalingState() != SignalingStateStable || pc.ConnectionState() != PeerConnectionStateConnected {
		t.Fatalf("after the workers: %s, %s", pc.SignalingState(), pc.ConnectionState())
	}
	n := 0
	channels.Range(func(any, any) bool { n++; return true })
	t.Logf("%d goroutines x %d rounds in %v: %d channels created, %d transceivers, %d messages sent and echoed",
		workers, rounds, busy.Round(time.Millisecond), n, len(pc.GetTransceivers()), sent.Load())

	// Again, with Close in the middle: everyone returns, errors after the
	// close are ErrClosed (or a closed channel's), nothing hangs.
	var afterClose atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; ; r++ {
				select {
				case <-ctx:
					if _, err := pc.CreateOffer(); !errors.Is(err, ErrClosed) {
						t.Errorf("CreateOffer after Close: %v", err)
					}
					afterClose.Add(1)
					return
				default:
				}
				work(w, r)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	_ = pc.Close()
	close(ctx)
	if !waitGroupWithin(&wg, 30*time.Second) {
		t.Fatal("workers did not return after Close")
	}
	if afterClose.Load() != workers {
		t.Fatalf("%d workers saw the close", afterClose.Load())
	}
}

func waitGroupWithin(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// TestCloseFromMediaAndErrorCallbacks adds to TestCloseFromEveryCallback the
// callbacks it does not reach: Close from inside OnTrack, OnKeyframeRequest
// and OnError returns, and leaves no goroutine.
func TestCloseFromMediaAndErrorCallbacks(t *testing.T) {
	for _, name := range []string{"OnTrack", "OnKeyframeRequest", "OnError"} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			offerer := newTestPC(t)
			cfg := testConfig()
			cfg.MaxMessageSize = 4096
			answerer, err := NewPeerConnection(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer answerer.Close()
			closed := make(chan struct{})
			closeIt := func(pc *PeerConnection) {
				_ = pc.GetTransceivers()
				_ = pc.Close()
				close(closed)
			}
			video, err := NewLocalTrack(CodecH264, "v", "s")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := offerer.AddTrack(video); err != nil {
				t.Fatal(err)
			}
			dc, err := offerer.CreateDataChannel("c", nil)
			if err != nil {
				t.Fatal(err)
			}
			opened := make(chan struct{})
			dc.OnOpen(func() { close(opened) })
			tracks := make(chan *RemoteTrack, 1)
			switch name {
			case "OnTrack":
				answerer.OnTrack(func(*RemoteTrack, *RTPReceiver) { closeIt(answerer) })
			case "OnKeyframeRequest":
				answerer.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) { tracks <- tr })
				video.OnKeyframeRequest(func() { closeIt(offerer) })
			case "OnError":
				answerer.OnDataChannel(func(dc *DataChannel) { dc.OnError(func(error) { closeIt(answerer) }) })
			}
			// Signal, telling the offerer the answerer takes larger
			// messages than it does (for OnError).
			if err := offerer.SetLocalDescription(SessionDescription{}); err != nil {
				t.Fatal(err)
			}
			waitGathered(t, offerer)
			if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
				t.Fatal(err)
			}
			if err := answerer.SetLocalDescription(SessionDescription{}); err != nil {
				t.Fatal(err)
			}
			if name == "OnTrack" { // announced once the answer is applied
				recv(t, closed, "close from "+name)
				return
			}
			waitGathered(t, answerer)
			answer := *answerer.LocalDescription()
			answer.SDP = strings.ReplaceAll(answer.SDP, "a=max-message-size:4096", "a=max-message-size:65536")
			if err := offerer.SetRemoteDescription(answer); err != nil {
				t.Fatal(err)
			}
			recv(t, opened, "open")
			switch name {
			case "OnKeyframeRequest":
				rt := recv(t, tracks, "OnTrack")
				aus := readClipH264(t)
				for i := 0; ; i++ {
					select {
					case <-closed:
						return
					case <-time.After(10 * time.Millisecond):
					}
					if i > 1500 {
						t.Fatal("no keyframe request arrived")
					}
					_ = video.WriteFrame(Frame{Data: aus[i%len(aus)], Duration: time.Second / 30})
					rt.RequestKeyframe()
				}
			case "OnError":
				if err := dc.Send(make([]byte, 10000)); err != nil {
					t.Fatal(err)
				}
				recv(t, closed, "close from "+name)
			}
		})
	}
}
