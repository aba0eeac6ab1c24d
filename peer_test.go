//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/actors"
)

func TestSignalingStateErrors(t *testing.T) {
	checkLeaks(t)
	pc := newTestPC(t)
	if _, err := pc.CreateAnswer(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("CreateAnswer in stable: %v", err)
	}
	if err := pc.SetRemoteDescription(SessionDescription{Type: SDPTypeAnswer, SDP: "v=0"}); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("answer in stable: %v", err)
	}
	if err := pc.AddICECandidate(ICECandidateInit{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("candidate before remote description: %v", err)
	}
	if err := pc.SetRemoteDescription(SessionDescription{Type: SDPTypeOffer, SDP: "garbage"}); !errors.Is(err, ErrInvalidSDP) {
		t.Fatalf("garbage offer: %v", err)
	}
	if _, err := pc.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	munged := offer
	munged.SDP = strings.Replace(offer.SDP, "a=sctp-port:5000", "a=sctp-port:5001", 1)
	if err := pc.SetLocalDescription(munged); !errors.Is(err, ErrModifiedSDP) {
		t.Fatalf("munged offer: %v", err)
	}
	if pc.SignalingState() != SignalingStateStable {
		t.Fatalf("a refused call changed the state to %s", pc.SignalingState())
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	if pc.SignalingState() != SignalingStateHaveLocalOffer {
		t.Fatalf("state %s", pc.SignalingState())
	}
	if err := pc.SetRemoteDescription(offer); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("remote offer in have-local-offer: %v", err)
	}
	if _, err := pc.CreateAnswer(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("CreateAnswer in have-local-offer: %v", err)
	}
	if err := pc.SetLocalDescription(SessionDescription{Type: SDPTypeRollback}); err != nil {
		t.Fatal(err)
	}
	if pc.SignalingState() != SignalingStateStable || pc.LocalDescription() != nil {
		t.Fatalf("after rollback: %s %v", pc.SignalingState(), pc.LocalDescription())
	}
}

func TestBadRemoteDescriptionLeavesConnectionUsable(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	c := newEchoClient(t, offerer, "ok", nil)
	answerer.OnDataChannel(echoOn)
	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"",
		"v=0\r\n",
		strings.Replace(offer.SDP, "a=ice-ufrag:", "a=ice-ufrag:x", 1)[:len(offer.SDP)/2],
		strings.ReplaceAll(offer.SDP, "a=fingerprint:", "a=fingerprint-gone:"),
		strings.Replace(offer.SDP, "a=setup:actpass", "a=setup:sideways", 1),
	}
	for i, sdp := range bad {
		if err := answerer.SetRemoteDescription(SessionDescription{Type: SDPTypeOffer, SDP: sdp}); err == nil {
			t.Fatalf("bad offer %d accepted", i)
		}
		if answerer.SignalingState() != SignalingStateStable {
			t.Fatalf("bad offer %d moved state to %s", i, answerer.SignalingState())
		}
	}
	signalNonTrickle(t, offerer, answerer)
	recv(t, c.opened, "open after bad descriptions")
}

func TestFingerprintMismatchFailsWithNoData(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	gotData := make(chan struct{}, 1)
	answerer.OnDataChannel(func(dc *DataChannel) { gotData <- struct{}{} })
	c := newEchoClient(t, offerer, "x", nil)
	failed := make(chan struct{})
	offerer.OnConnectionStateChange(func(s PeerConnectionState) {
		if s == PeerConnectionStateFailed {
			close(failed)
		}
	})
	offer, _ := offerer.CreateOffer()
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, offerer)
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, _ := answerer.CreateAnswer()
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, answerer)
	// Replace the answer's fingerprint with one of another certificate.
	other, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	other2, _ := NewPeerConnection(Config{Certificate: &other, LoopbackOnly: true, MDNS: MDNSDisabled})
	defer other2.Close()
	if _, err := other2.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	o2, _ := other2.CreateOffer()
	fp := line(o2.SDP, "a=fingerprint:")
	sdp := strings.Replace(answerer.LocalDescription().SDP, line(answerer.LocalDescription().SDP, "a=fingerprint:"), fp, 1)
	if err := offerer.SetRemoteDescription(SessionDescription{Type: SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
	recv(t, failed, "failed state")
	if !errors.Is(offerer.Err(), ErrFingerprintMismatch) {
		t.Fatalf("Err() = %v, want ErrFingerprintMismatch", offerer.Err())
	}
	select {
	case <-c.opened:
		t.Fatal("channel opened despite the mismatch")
	case <-gotData:
		t.Fatal("remote saw a channel despite the mismatch")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := offerer.CreateOffer(); !errors.Is(err, ErrClosed) {
		t.Fatalf("a failed connection still answers: %v", err)
	}
}

func line(sdp, prefix string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// bogusMsg is a message the peer actor does not know: handling it panics,
// which is how a broken invariant inside an actor shows up.
type bogusMsg struct{}

func (bogusMsg) peerMsg() {}

func TestActorPanicFailsOnlyThatConnection(t *testing.T) {
	checkLeaks(t)
	victim := newTestPC(t)
	p := newEchoPair(t, false)
	c := newEchoClient(t, p.offerer, "alive", nil)
	p.connect(t, false)
	recv(t, c.opened, "open")

	failed := make(chan PeerConnectionState, 4)
	victim.OnConnectionStateChange(func(s PeerConnectionState) { failed <- s })
	victim.inbox <- bogusMsg{}
	if s := recv(t, failed, "failed"); s != PeerConnectionStateFailed {
		t.Fatalf("state %s", s)
	}
	var pe *actors.PanicError
	if !errors.As(victim.Err(), &pe) || pe.Actor != "peer" {
		t.Fatalf("Err() = %v, want a PanicError from the peer actor", victim.Err())
	}
	if _, err := victim.CreateOffer(); !errors.Is(err, ErrClosed) {
		t.Fatalf("failed connection: %v", err)
	}
	// The other connection carries on.
	if err := c.dc.SendText("still here"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c.got, "echo"); string(m.Data) != "still here" {
		t.Fatalf("got %q", m.Data)
	}
}

// TestCloseFromEveryCallback closes the PeerConnection from inside each
// kind of callback; none may deadlock, and nothing may leak.
func TestCloseFromEveryCallback(t *testing.T) {
	cases := []struct {
		name    string
		install func(offerer, answerer *PeerConnection, c *echoClient, closeIt func(*PeerConnection))
		early   bool // install before the DataChannel is created
	}{
		{"OnICECandidate", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnICECandidate(func(*ICECandidate) { cl(o) })
		}, false},
		{"OnICEGatheringStateChange", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnICEGatheringStateChange(func(ICEGatheringState) { cl(o) })
		}, false},
		{"OnSignalingStateChange", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnSignalingStateChange(func(SignalingState) { cl(o) })
		}, false},
		{"OnICEConnectionStateChange", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnICEConnectionStateChange(func(ICEConnectionState) { cl(o) })
		}, false},
		{"OnConnectionStateChange", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnConnectionStateChange(func(s PeerConnectionState) {
				if s == PeerConnectionStateConnected {
					cl(o)
				}
			})
		}, false},
		{"OnDataChannel", func(_, a *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			a.OnDataChannel(func(*DataChannel) { cl(a) })
		}, false},
		{"OnOpen", func(o, _ *PeerConnection, c *echoClient, cl func(*PeerConnection)) {
			c.dc.OnOpen(func() { cl(o) })
		}, false},
		{"OnMessage", func(o, a *PeerConnection, c *echoClient, cl func(*PeerConnection)) {
			c.dc.OnOpen(func() { _ = c.dc.SendText("hi") })
			a.OnDataChannel(func(dc *DataChannel) {
				dc.OnMessage(func(DataChannelMessage) { cl(a) })
			})
		}, false},
		{"OnClose", func(o, _ *PeerConnection, c *echoClient, cl func(*PeerConnection)) {
			c.dc.OnOpen(func() { _ = c.dc.Close() })
			c.dc.OnClose(func() { cl(o) })
		}, false},
		{"OnBufferedAmountLow", func(o, _ *PeerConnection, c *echoClient, cl func(*PeerConnection)) {
			c.dc.SetBufferedAmountLowThreshold(1)
			c.dc.OnOpen(func() { _ = c.dc.Send(make([]byte, 10000)) })
			c.dc.OnBufferedAmountLow(func() { cl(o) })
		}, false},
		{"OnNegotiationNeeded", func(o, _ *PeerConnection, _ *echoClient, cl func(*PeerConnection)) {
			o.OnNegotiationNeeded(func() { cl(o) })
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			offerer, answerer := newTestPC(t), newTestPC(t)
			closed := make(chan struct{})
			closeIt := func(pc *PeerConnection) {
				// Every public method is usable here too.
				_ = pc.SignalingState()
				_, _ = pc.CreateOffer()
				_ = pc.Close()
				_ = pc.Close()
				select {
				case <-closed:
				default:
					close(closed)
				}
			}
			answerer.OnDataChannel(echoOn)
			c := &echoClient{}
			if tc.early {
				tc.install(offerer, answerer, c, closeIt)
			}
			dc, err := offerer.CreateDataChannel("c", nil)
			if tc.early && errors.Is(err, ErrClosed) {
				// The callback closed the connection while the channel
				// was being made: that is the answer Close promises.
				recv(t, closed, "close from "+tc.name)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.dc = dc
			if !tc.early {
				tc.install(offerer, answerer, c, closeIt)
			}
			// Signal by hand: a side may close at any point, so errors
			// from a closed side are expected.
			offer, err := offerer.CreateOffer()
			if err == nil {
				_ = offerer.SetLocalDescription(offer)
			}
			select {
			case <-offerer.GatheringComplete():
			case <-closed:
			case <-time.After(5 * time.Second):
			}
			if ld := offerer.LocalDescription(); ld != nil {
				if answerer.SetRemoteDescription(*ld) == nil {
					if ans, err := answerer.CreateAnswer(); err == nil && answerer.SetLocalDescription(ans) == nil {
						select {
						case <-answerer.GatheringComplete():
						case <-closed:
						case <-time.After(5 * time.Second):
						}
						if ald := answerer.LocalDescription(); ald != nil {
							_ = offerer.SetRemoteDescription(*ald)
						}
					}
				}
			}
			recv(t, closed, "close from "+tc.name)
			_ = offerer.Close()
			_ = answerer.Close()
		})
	}
}

func TestCheckTransition(t *testing.T) {
	states := []SignalingState{SignalingStateStable, SignalingStateHaveLocalOffer, SignalingStateHaveRemoteOffer, SignalingStateClosed}
	allowed := map[string]bool{
		"SetLocalDescription offer stable":             true,
		"SetLocalDescription offer have-local-offer":   true,
		"SetLocalDescription answer have-remote-offer": true,
		"SetRemoteDescription offer stable":            true,
		"SetRemoteDescription offer have-remote-offer": true,
		"SetRemoteDescription answer have-local-offer": true,
	}
	for _, call := range []string{"SetLocalDescription", "SetRemoteDescription"} {
		for _, typ := range []SDPType{SDPTypeOffer, SDPTypeAnswer} {
			for _, st := range states {
				key := call + " " + string(typ) + " " + st.String()
				err := checkTransition(call, typ, st)
				if allowed[key] != (err == nil) {
					t.Errorf("%s: err %v", key, err)
				}
				if err != nil && !errors.Is(err, ErrInvalidState) {
					t.Errorf("%s: %v is not ErrInvalidState", key, err)
				}
			}
		}
	}
	if err := checkTransition("SetLocalDescription", "pranswer", SignalingStateHaveRemoteOffer); !errors.Is(err, ErrInvalidSDP) {
		t.Errorf("pranswer: %v", err)
	}
}

// TestMalformedCandidateRefused: a candidate that does not parse is refused
// by AddICECandidate whether or not the agent has started (before it
// starts, candidates are kept, and a bad one would otherwise be dropped
// silently later).
func TestMalformedCandidateRefused(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	if _, err := offerer.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"candidate:garbage", "candidate:1 1 udp 1 127.0.0.1 notaport typ host", "candidate:1 1 udp 1 127.0.0.1 9 typ nosuchtype"} {
		if err := answerer.AddICECandidate(ICECandidateInit{Candidate: bad}); !errors.Is(err, ErrInvalidSDP) {
			t.Errorf("AddICECandidate(%q) before ICE started: %v, want ErrInvalidSDP", bad, err)
		}
	}
	if err := answerer.AddICECandidate(ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"}); err != nil {
		t.Errorf("a well-formed candidate: %v", err)
	}
	if err := answerer.AddICECandidate(ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 abcd.local 9 typ host"}); err != nil {
		t.Errorf("an mDNS candidate: %v", err)
	}
}

// TestRemoteDescriptionShowsTrickledCandidates: what AddICECandidate took
// appears in RemoteDescription, end-of-candidates included (W3C
// remoteDescription), so that it can be stored or forwarded whole.
func TestRemoteDescriptionShowsTrickledCandidates(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	c := newEchoClient(t, offerer, "x", nil)
	signalTrickle(t, offerer, answerer)
	recv(t, c.opened, "open")
	for _, pcs := range [][2]*PeerConnection{{offerer, answerer}, {answerer, offerer}} {
		local, remote := pcs[0], pcs[1]
		waitGathered(t, local)
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(remote.RemoteDescription().SDP, "a=end-of-candidates") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // the last trickle may still be on its way
		}
		shown := remote.RemoteDescription().SDP
		n := 0
		for _, l := range strings.Split(local.LocalDescription().SDP, "\r\n") {
			if strings.HasPrefix(l, "a=candidate:") {
				n++
				if !strings.Contains(shown, l+"\r\n") {
					t.Errorf("trickled %q is not in the remote description:\n%s", l, shown)
				}
			}
		}
		if n == 0 || !strings.Contains(shown, "a=end-of-candidates\r\n") {
			t.Errorf("%d candidates gathered; remote description:\n%s", n, shown)
		}
	}
}
