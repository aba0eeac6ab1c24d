//go:build !chanrtc_nomedia && !chanrtc_nodatachannel

package chanrtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/codec/h264"
)

// restartConfig detects a broken path fast and drops every outgoing
// datagram while broken reports true.
func restartConfig(broken *atomic.Bool, failAfter time.Duration) Config {
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = 500 * time.Millisecond
	cfg.ICEFailedTimeout = failAfter
	cfg.ICEKeepaliveInterval = 100 * time.Millisecond
	cfg.dropOutgoing = func([]byte) bool { return broken.Load() }
	return cfg
}

func newRestartPC(t *testing.T, broken *atomic.Bool) *PeerConnection {
	t.Helper()
	return newRestartPCFailing(t, broken, 20*time.Second)
}

func newRestartPCFailing(t *testing.T, broken *atomic.Bool, failAfter time.Duration) *PeerConnection {
	t.Helper()
	pc, err := NewPeerConnection(restartConfig(broken, failAfter))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// iceStates records a PeerConnection's ICE and connection state changes.
type iceStates struct {
	mu   sync.Mutex
	ice  []ICEConnectionState
	conn []PeerConnectionState
	ch   chan ICEConnectionState
}

func watchStates(pc *PeerConnection) *iceStates {
	s := &iceStates{ch: make(chan ICEConnectionState, 64)}
	pc.OnICEConnectionStateChange(func(st ICEConnectionState) {
		s.mu.Lock()
		s.ice = append(s.ice, st)
		s.mu.Unlock()
		select {
		case s.ch <- st:
		default:
		}
	})
	pc.OnConnectionStateChange(func(st PeerConnectionState) {
		s.mu.Lock()
		s.conn = append(s.conn, st)
		s.mu.Unlock()
	})
	return s
}

// waitFor waits until the ICE connection state is want.
func (s *iceStates) waitFor(t *testing.T, pc *PeerConnection, want ICEConnectionState) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for pc.ICEConnectionState() != want {
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("ICE state %s, waited for %s", pc.ICEConnectionState(), want)
		}
	}
}

// since returns the states recorded from index i on.
func (s *iceStates) since(i, j int) ([]ICEConnectionState, []PeerConnectionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ice[min(i, len(s.ice)):]), slices.Clone(s.conn[min(j, len(s.conn)):])
}

func (s *iceStates) marks() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ice), len(s.conn)
}

// candidatePorts lists the ports of the candidates in a description.
func candidatePorts(t *testing.T, sdp string) []string {
	t.Helper()
	var ports []string
	for _, l := range strings.Split(sdp, "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "a=")); len(f) >= 6 && strings.HasPrefix(f[0], "candidate:") {
			ports = append(ports, f[5])
		}
	}
	if len(ports) == 0 {
		t.Fatalf("no candidates in\n%s", sdp)
	}
	return ports
}

// forwardCandidates trickles from's candidates to to, for good.
func forwardCandidates(t *testing.T, from, to *PeerConnection) {
	from.OnICECandidate(func(c *ICECandidate) {
		init := ICECandidateInit{}
		if c != nil {
			init = c.ToJSON()
		}
		if err := to.AddICECandidate(init); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("AddICECandidate: %v", err)
		}
	})
}

// restartSignal runs an ICE restart from offerer to answerer. pathBack
// runs once the offerer's restart is applied (its old sockets are closed,
// so the old path cannot come back); the test repairs the network there.
func restartSignal(t *testing.T, offerer, answerer *PeerConnection, trickle bool, pathBack func()) {
	t.Helper()
	offerer.RestartICE()
	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if trickle {
		// The answerer takes the offer before the new candidates come.
		if err := answerer.SetRemoteDescription(offer); err != nil {
			t.Fatal(err)
		}
	}
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	pathBack()
	if !trickle {
		waitGathered(t, offerer)
		if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	answer, err := answerer.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if trickle {
		if err := offerer.SetRemoteDescription(answer); err != nil {
			t.Fatal(err)
		}
	}
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	if !trickle {
		waitGathered(t, answerer)
		if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestICERestartAfterPathBreaks: two PeerConnections with an open reliable
// DataChannel lose their path (every datagram dropped) until ICE reports
// disconnected; one side restarts ICE; the connection comes back over a
// new candidate pair on new ports, the same DTLS association and SCTP
// carry on, and every message, before, during and after, arrives once
// and in order. Either side restarts, with and without trickle; and once
// after ICE has failed rather than only disconnected.
func TestICERestartAfterPathBreaks(t *testing.T) {
	for _, trickle := range []bool{false, true} {
		for _, by := range []string{"offerer", "answerer"} {
			t.Run(fmt.Sprintf("trickle=%v/by=%s", trickle, by), func(t *testing.T) {
				testICERestart(t, trickle, by == "answerer", ICEConnectionStateDisconnected)
			})
		}
	}
	t.Run("after-failed", func(t *testing.T) {
		testICERestart(t, true, false, ICEConnectionStateFailed)
	})
}

func testICERestart(t *testing.T, trickle, byAnswerer bool, until ICEConnectionState) {
	checkLeaks(t)
	var broken atomic.Bool
	failAfter := 20 * time.Second
	if until == ICEConnectionStateFailed {
		failAfter = time.Second
	}
	a, b := newRestartPCFailing(t, &broken, failAfter), newRestartPCFailing(t, &broken, failAfter)
	b.OnDataChannel(echoOn)
	c := newEchoClient(t, a, "reliable", nil)
	sa, sb := watchStates(a), watchStates(b)
	if trickle {
		signalTrickle(t, a, b)
	} else {
		signalNonTrickle(t, a, b)
	}
	recv(t, c.opened, "open")
	sa.waitFor(t, a, ICEConnectionStateConnected)
	sb.waitFor(t, b, ICEConnectionStateConnected)

	next := 0
	sendSome := func(n int) {
		for range n {
			if err := c.dc.SendText(fmt.Sprintf("m%d", next)); err != nil {
				t.Fatal(err)
			}
			next++
		}
	}
	received := 0
	receiveUpTo := func(n int, what string) {
		for ; received < n; received++ {
			m := recv(t, c.got, what)
			if want := fmt.Sprintf("m%d", received); string(m.Data) != want {
				t.Fatalf("%s: got %q, want %q", what, m.Data, want)
			}
		}
	}
	sendSome(50)
	receiveUpTo(50, "echo before the break")

	restarter, other := a, b
	if byAnswerer {
		restarter, other = b, a
	}
	oldRestarter, oldOther := restarter.LocalDescription().SDP, other.LocalDescription().SDP
	iceA, connA := sa.marks()
	iceB, connB := sb.marks()

	broken.Store(true)
	broke := time.Now()
	sa.waitFor(t, a, until)
	sb.waitFor(t, b, until)
	t.Logf("%s after %v", until, time.Since(broke).Round(time.Millisecond))
	sendSome(50) // held by SCTP until the path is back

	negotiation := make(chan struct{}, 4)
	restarter.OnNegotiationNeeded(func() { negotiation <- struct{}{} })
	if trickle {
		forwardCandidates(t, restarter, other)
		forwardCandidates(t, other, restarter)
	} else {
		restarter.OnICECandidate(nil)
		other.OnICECandidate(nil)
	}
	var restarted time.Time
	restartSignal(t, restarter, other, trickle, func() {
		restarted = time.Now()
		broken.Store(false)
	})
	recv(t, negotiation, "negotiation needed after RestartICE")
	sa.waitFor(t, a, ICEConnectionStateConnected)
	sb.waitFor(t, b, ICEConnectionStateConnected)
	t.Logf("connected again %v after the restart", time.Since(restarted).Round(time.Millisecond))

	receiveUpTo(100, "echo sent during the break")
	sendSome(50)
	receiveUpTo(150, "echo after the restart")
	t.Logf("%d messages, all echoed in order, %v after the break", received, time.Since(broke).Round(time.Millisecond))

	// The descriptions: new credentials and ports, the same DTLS identity.
	for _, d := range []struct {
		name     string
		old, new string
	}{{"restarter", oldRestarter, restarter.LocalDescription().SDP}, {"other", oldOther, other.LocalDescription().SDP}} {
		if line(d.old, "a=ice-ufrag:") == line(d.new, "a=ice-ufrag:") || line(d.old, "a=ice-pwd:") == line(d.new, "a=ice-pwd:") {
			t.Errorf("%s: ICE credentials unchanged", d.name)
		}
		if line(d.old, "a=fingerprint:") != line(d.new, "a=fingerprint:") {
			t.Errorf("%s: fingerprint changed", d.name)
		}
		oldPorts, newPorts := candidatePorts(t, d.old), candidatePorts(t, d.new)
		for _, p := range newPorts {
			if slices.Contains(oldPorts, p) {
				t.Errorf("%s: port %s in both generations (%v, %v)", d.name, p, oldPorts, newPorts)
			}
		}
	}
	if a.SignalingState() != SignalingStateStable || b.SignalingState() != SignalingStateStable {
		t.Fatalf("signaling %s/%s", a.SignalingState(), b.SignalingState())
	}
	// disconnected, then checking, then connected again; the connection
	// state follows.
	for _, x := range []struct {
		s          *iceStates
		iceI, conI int
	}{{sa, iceA, connA}, {sb, iceB, connB}} {
		ice, conn := x.s.since(x.iceI, x.conI)
		wantICE := []ICEConnectionState{ICEConnectionStateDisconnected, ICEConnectionStateChecking, ICEConnectionStateConnected}
		wantConn := []PeerConnectionState{PeerConnectionStateDisconnected, PeerConnectionStateConnecting, PeerConnectionStateConnected}
		if until == ICEConnectionStateFailed {
			wantICE = slices.Insert(wantICE, 1, ICEConnectionStateFailed)
			wantConn = slices.Insert(wantConn, 1, PeerConnectionStateFailed)
		}
		if !isSubsequence(wantICE, ice) {
			t.Errorf("ICE states %v, want %v in order", ice, wantICE)
		}
		if !isSubsequence(wantConn, conn) {
			t.Errorf("connection states %v, want %v in order", conn, wantConn)
		}
		if until != ICEConnectionStateFailed && slices.Contains(conn, PeerConnectionStateFailed) || slices.Contains(conn, PeerConnectionStateClosed) {
			t.Errorf("connection states %v", conn)
		}
	}
	if a.Err() != nil || b.Err() != nil {
		t.Fatalf("errors: %v, %v", a.Err(), b.Err())
	}
	a.Close()
	b.Close()
}

// isSubsequence reports whether want occurs in got in order.
func isSubsequence[T comparable](want, got []T) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestICERestartGatheringRestarts: a restart gathers anew: the gathering
// state goes gathering then complete again, OnICECandidate reports the new
// generation (with its ufrag) and then nil, GatheringComplete is a new
// channel closed at the end, and the local description shows only new
// candidates.
func TestICERestartGatheringRestarts(t *testing.T) {
	checkLeaks(t)
	a, b := newTestPC(t), newTestPC(t)
	b.OnDataChannel(echoOn)
	c := newEchoClient(t, a, "x", nil)
	signalNonTrickle(t, a, b)
	recv(t, c.opened, "open")
	first := a.GatheringComplete()

	gathering := make(chan ICEGatheringState, 8)
	a.OnICEGatheringStateChange(func(s ICEGatheringState) { gathering <- s })
	cands := make(chan *ICECandidate, 32)
	a.OnICECandidate(func(c *ICECandidate) { cands <- c })
	offer := setRestartOffer(t, a)
	ufrag := strings.TrimPrefix(line(offer.SDP, "a=ice-ufrag:"), "a=ice-ufrag:")
	if a.GatheringComplete() == first {
		t.Fatal("GatheringComplete is the first generation's channel")
	}
	if s := recv(t, gathering, "gathering"); s != ICEGatheringStateGathering {
		t.Fatalf("gathering state %s", s)
	}
	n := 0
	for c := recv(t, cands, "candidate"); c != nil; c = recv(t, cands, "candidate") {
		if c.UsernameFragment != ufrag {
			t.Fatalf("candidate with ufrag %q, want %q", c.UsernameFragment, ufrag)
		}
		n++
	}
	if s := recv(t, gathering, "complete"); s != ICEGatheringStateComplete {
		t.Fatalf("gathering state %s", s)
	}
	waitGathered(t, a)
	local := a.LocalDescription().SDP
	if got := len(candidatePorts(t, local)); got != n || !strings.Contains(local, "a=end-of-candidates") {
		t.Fatalf("%d candidates in the description, %d reported:\n%s", got, n, local)
	}
	answerNonTrickle(t, a, b)
	checkEcho(t, c, "after")
	a.Close()
	b.Close()
}

// TestICERestartDescriptions: what the descriptions say, without a
// network: a restart offer has new credentials and keeps the fingerprint,
// the DTLS role and the mids; the answer to it has new credentials; an
// offer without restart, and its answer, keep theirs.
func TestICERestartDescriptions(t *testing.T) {
	checkLeaks(t)
	a, b := newTestPC(t), newTestPC(t)
	if _, err := a.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	video, err := NewLocalTrack(CodecH264, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddTrack(video); err != nil {
		t.Fatal(err)
	}
	// The first offer cannot restart anything: RestartICE has no effect.
	a.RestartICE()
	signalNonTrickle(t, a, b)
	offer0, answer0 := a.LocalDescription().SDP, b.LocalDescription().SDP

	type cred struct{ ufrag, pwd string }
	credsOf := func(sdp string) cred { return cred{line(sdp, "a=ice-ufrag:"), line(sdp, "a=ice-pwd:")} }
	mids := func(sdp string) []string {
		var m []string
		for _, l := range strings.Split(sdp, "\r\n") {
			if strings.HasPrefix(l, "a=mid:") {
				m = append(m, l)
			}
		}
		return m
	}
	renegotiate := func(opts ...OfferOptions) (string, string) {
		t.Helper()
		offer, err := a.CreateOffer(opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetLocalDescription(offer); err != nil {
			t.Fatal(err)
		}
		if err := b.SetRemoteDescription(offer); err != nil {
			t.Fatal(err)
		}
		answer, err := b.CreateAnswer()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.SetLocalDescription(answer); err != nil {
			t.Fatal(err)
		}
		if err := a.SetRemoteDescription(answer); err != nil {
			t.Fatal(err)
		}
		return offer.SDP, answer.SDP
	}

	offer1, answer1 := renegotiate()
	if credsOf(offer1) != credsOf(offer0) || credsOf(answer1) != credsOf(answer0) {
		t.Fatal("an offer without restart changed the ICE credentials")
	}
	offer2, answer2 := renegotiate(OfferOptions{ICERestart: true})
	if c := credsOf(offer2); c.ufrag == credsOf(offer1).ufrag || c.pwd == credsOf(offer1).pwd {
		t.Fatalf("restart offer kept its credentials: %v", c)
	}
	if c := credsOf(answer2); c.ufrag == credsOf(answer1).ufrag || c.pwd == credsOf(answer1).pwd {
		t.Fatalf("answer to a restart kept its credentials: %v", c)
	}
	for _, l := range []string{"a=fingerprint:", "a=setup:"} {
		if line(offer2, l) != line(offer0, l) || line(answer2, l) != line(answer0, l) {
			t.Errorf("%s changed across the restart", l)
		}
	}
	if !slices.Equal(mids(offer2), mids(offer0)) || !slices.Equal(mids(answer2), mids(answer0)) {
		t.Errorf("mids changed: %v -> %v", mids(offer0), mids(offer2))
	}
	// RFC 8839 §5.4 lengths.
	u := strings.TrimPrefix(credsOf(offer2).ufrag, "a=ice-ufrag:")
	p := strings.TrimPrefix(credsOf(offer2).pwd, "a=ice-pwd:")
	if len(u) < 4 || len(p) < 22 {
		t.Fatalf("ufrag %q pwd %q too short", u, p)
	}
	// RestartICE makes the next offer a restart, once.
	a.RestartICE()
	offer3, _ := renegotiate()
	offer4, _ := renegotiate()
	if credsOf(offer3) == credsOf(offer2) || credsOf(offer4) != credsOf(offer3) {
		t.Fatal("RestartICE did not restart the next offer exactly")
	}

	// An answer that changes credentials without a restart offer is refused.
	offer5, err := a.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetLocalDescription(offer5); err != nil {
		t.Fatal(err)
	}
	if err := b.SetRemoteDescription(offer5); err != nil {
		t.Fatal(err)
	}
	answer5, err := b.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(answer5.SDP, line(answer5.SDP, "a=ice-ufrag:"), "a=ice-ufrag:zzzz", -1)
	if err := a.SetRemoteDescription(SessionDescription{Type: SDPTypeAnswer, SDP: bad}); !errors.Is(err, ErrUnsatisfiable) {
		t.Fatalf("answer with new credentials to a plain offer: err = %v", err)
	}
	a.Close()
	b.Close()
}

// TestICERestartIgnoresOldCandidates: a trickled candidate whose ufrag
// names the previous generation is ignored, not added and not an error;
// one of the new generation is taken.
func TestICERestartIgnoresOldCandidates(t *testing.T) {
	checkLeaks(t)
	logs := &logCounter{}
	cfg := testConfig()
	cfg.Logger = slog.New(logs)
	b, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a := newTestPC(t)
	if _, err := a.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	signalNonTrickle(t, a, b)
	oldUfrag := strings.TrimPrefix(line(a.LocalDescription().SDP, "a=ice-ufrag:"), "a=ice-ufrag:")
	offer, err := a.CreateOffer(OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	newUfrag := strings.TrimPrefix(line(offer.SDP, "a=ice-ufrag:"), "a=ice-ufrag:")
	if err := b.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	const host = "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"
	for i, c := range []ICECandidateInit{
		{Candidate: host, UsernameFragment: &oldUfrag},
		{Candidate: host + " generation 0 ufrag " + oldUfrag},
		{Candidate: host + " generation 0 ufrag " + oldUfrag, UsernameFragment: &newUfrag},
	} {
		if err := b.AddICECandidate(c); err != nil {
			t.Fatalf("stale candidate %d: %v", i, err)
		}
		if got := logs.count("another ICE generation"); got != i+1 {
			t.Fatalf("stale candidate %d: %d ignored", i, got)
		}
	}
	if err := b.AddICECandidate(ICECandidateInit{Candidate: host + " ufrag " + newUfrag, UsernameFragment: &newUfrag}); err != nil {
		t.Fatal(err)
	}
	if got := logs.count("another ICE generation"); got != 3 {
		t.Fatalf("a current candidate was ignored (%d ignored)", got)
	}
	a.Close()
	b.Close()
}

// logCounter is a slog.Handler that keeps the messages logged.
type logCounter struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// TestICERestartKeepsMediaFlowing: a video track keeps flowing across a
// broken path and an ICE restart: frames arrive intact before, and again
// after, over the same SRTP session.
func TestICERestartKeepsMediaFlowing(t *testing.T) {
	checkLeaks(t)
	aus := readClipH264(t)
	var broken atomic.Bool
	a, b := newRestartPC(t, &broken), newRestartPC(t, &broken)
	tracks := make(chan *RemoteTrack, 2)
	b.OnTrack(func(tr *RemoteTrack, _ *RTPReceiver) { tracks <- tr })
	video, err := NewLocalTrack(CodecH264, "video", "av")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddTrack(video); err != nil {
		t.Fatal(err)
	}
	sa, sb := watchStates(a), watchStates(b)
	signalNonTrickle(t, a, b)
	rv := recv(t, tracks, "OnTrack")
	waitSending(t, video)

	var keyframeNext atomic.Bool
	video.OnKeyframeRequest(func() { keyframeNext.Store(true) })
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			au := aus[i%len(aus)]
			if keyframeNext.Swap(false) {
				au = aus[0]
			}
			_ = video.WriteFrame(Frame{Data: au, Duration: time.Second / 30})
		}
	}()
	defer func() { close(stop); <-writerDone }()
	type frame struct {
		f   Frame
		err error
	}
	frames := make(chan frame, 1024)
	go func() {
		for {
			f, err := rv.ReadFrame()
			frames <- frame{f, err}
			if err != nil {
				return
			}
		}
	}()
	readFrames := func(n int, what string) (keyframes int) {
		t.Helper()
		for range n {
			r := recv(t, frames, what)
			if r.err != nil {
				t.Fatalf("%s: %v", what, r.err)
			}
			if !slices.ContainsFunc(aus, func(au []byte) bool { return h264.EqualAU(r.f.Data, au) }) {
				t.Fatalf("%s: a frame of %d bytes that was never sent", what, len(r.f.Data))
			}
			if r.f.Keyframe {
				keyframes++
			}
		}
		return keyframes
	}
	readFrames(30, "frames before the break")

	broken.Store(true)
	sa.waitFor(t, a, ICEConnectionStateDisconnected)
	sb.waitFor(t, b, ICEConnectionStateDisconnected)
	restartSignal(t, a, b, false, func() { broken.Store(false) })
	sa.waitFor(t, a, ICEConnectionStateConnected)
	sb.waitFor(t, b, ICEConnectionStateConnected)
	// Drain what arrived before the break was noticed, then count frames
	// that can only have come over the new pair.
	for len(frames) > 0 {
		<-frames
	}
	start := time.Now()
	k := readFrames(60, "frames after the restart")
	t.Logf("60 frames (%d keyframes) in %v after the restart; sender: %d keyframe requests, %d retransmissions",
		k, time.Since(start).Round(time.Millisecond), video.sender.Load().KeyframeAsked.Load(), video.sender.Load().Retransmitted.Load())
	if st := b.ConnectionState(); st != PeerConnectionStateConnected {
		t.Fatalf("connection state %s", st)
	}
	a.Close()
	b.Close()
}

// TestICERestartWhileGathering: a restart offer applied while the first
// gathering is still under way abandons it: its candidates never show up,
// the first GatheringComplete channel is released, and the connection
// comes up on the new generation alone (one loopback host candidate).
func TestICERestartWhileGathering(t *testing.T) {
	checkLeaks(t)
	a, b := newTestPC(t), newTestPC(t)
	b.OnDataChannel(echoOn)
	c := newEchoClient(t, a, "x", nil)
	offer1, err := a.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetLocalDescription(offer1); err != nil {
		t.Fatal(err)
	}
	first := a.GatheringComplete()
	offer2 := setRestartOffer(t, a)
	recv(t, first, "the first gathering released")
	waitGathered(t, a)
	local := a.LocalDescription().SDP
	if line(local, "a=ice-ufrag:") != line(offer2.SDP, "a=ice-ufrag:") {
		t.Fatal("the local description does not carry the restart's ufrag")
	}
	if ports := candidatePorts(t, local); len(ports) != 1 {
		t.Fatalf("candidates on ports %v, want the new generation's one", ports)
	}
	answerNonTrickle(t, a, b)
	recv(t, c.opened, "open")
	checkEcho(t, c, "hi")
	a.Close()
	b.Close()
}

// TestICERestartRolledBack: a restart offer that is rolled back has
// already restarted our agent, so the next offer restarts again, without
// being asked, and the connection comes back with it.
func TestICERestartRolledBack(t *testing.T) {
	checkLeaks(t)
	a, b := newTestPC(t), newTestPC(t)
	b.OnDataChannel(echoOn)
	c := newEchoClient(t, a, "x", nil)
	signalNonTrickle(t, a, b)
	recv(t, c.opened, "open")
	ufrag0 := line(a.LocalDescription().SDP, "a=ice-ufrag:")
	offer1 := setRestartOffer(t, a)
	if err := a.SetLocalDescription(SessionDescription{Type: SDPTypeRollback}); err != nil {
		t.Fatal(err)
	}
	if s := a.SignalingState(); s != SignalingStateStable {
		t.Fatalf("signaling %s after rollback", s)
	}
	// The next offer restarts again, even without the option.
	offer2, err := a.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if u := line(offer2.SDP, "a=ice-ufrag:"); u == ufrag0 || u == line(offer1.SDP, "a=ice-ufrag:") {
		t.Fatalf("offer after a rolled-back restart has ufrag %q (before: %q, %q)", u, ufrag0, line(offer1.SDP, "a=ice-ufrag:"))
	}
	if err := a.SetLocalDescription(offer2); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, a)
	answerNonTrickle(t, a, b)
	checkEcho(t, c, "back")
	a.Close()
	b.Close()
}

// TestICERestartClosedHalfway: closing both sides in the middle of a
// restart (offer applied on both, no answer) leaves nothing behind.
func TestICERestartClosedHalfway(t *testing.T) {
	checkLeaks(t)
	a, b := newTestPC(t), newTestPC(t)
	b.OnDataChannel(echoOn)
	c := newEchoClient(t, a, "x", nil)
	signalNonTrickle(t, a, b)
	recv(t, c.opened, "open")
	offer := setRestartOffer(t, a)
	if err := b.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	if err := c.dc.SendText("lost with the connection"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	if _, err := a.CreateOffer(OfferOptions{ICERestart: true}); !errors.Is(err, ErrClosed) {
		t.Fatalf("CreateOffer after Close: %v", err)
	}
	a.RestartICE() // no effect, no panic
}

// setRestartOffer makes pc's ICE restart offer and applies it.
func setRestartOffer(t *testing.T, pc *PeerConnection) SessionDescription {
	t.Helper()
	offer, err := pc.CreateOffer(OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	return offer
}
