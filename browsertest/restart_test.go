package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
)

// restartPage is the page side of TestRestartICEChromium, on top of
// helperPage: a PeerConnection with a negotiated DataChannel (so that
// either side may make the first offer) that echoes every message, and
// non-trickle signalling steps that Go calls one by one.
const restartPage = `(() => {
	const pc = new RTCPeerConnection();
	window.pc = pc;
	const dc = pc.createDataChannel('echo', {negotiated: true, id: 0});
	dc.binaryType = 'arraybuffer';
	dc.onmessage = (m) => dc.send(m.data);
	window.dc = dc;
	window.iceLog = [];
	pc.oniceconnectionstatechange = () => iceLog.push(pc.iceConnectionState + '@' + Math.round(performance.now()));
	// endOfCandidates resolves at the null candidate that ends the
	// gathering a setLocalDescription starts; made before it, so that a
	// restart's new generation is waited for, not the old one's state.
	const endOfCandidates = () => withTimeout(new Promise((resolve) => {
		pc.onicecandidate = (ev) => { if (!ev.candidate) resolve(); };
	}), 10000, 'end of candidates');
	window.makeOffer = async (restart) => {
		if (restart) pc.restartIce();
		const done = endOfCandidates();
		await pc.setLocalDescription();
		await done;
		return pc.localDescription.sdp;
	};
	window.makeAnswer = async (offer) => {
		await pc.setRemoteDescription({type: 'offer', sdp: offer});
		const done = endOfCandidates();
		await pc.setLocalDescription();
		await done;
		return pc.localDescription.sdp;
	};
	window.takeAnswer = async (answer) => {
		await pc.setRemoteDescription({type: 'answer', sdp: answer});
		return true;
	};
	// iceNow waits until the connection is connected on a selected pair
	// whose remote port is one of ports, and describes that pair.
	window.iceNow = (ports) => withTimeout((async () => {
		for (;;) {
			const stats = await pc.getStats();
			let transport = null;
			stats.forEach((s) => { if (s.type === 'transport') transport = s; });
			const pair = transport && stats.get(transport.selectedCandidatePairId);
			const local = pair && stats.get(pair.localCandidateId);
			const remote = pair && stats.get(pair.remoteCandidateId);
			if (pc.connectionState === 'connected' && remote && ports.includes(remote.port)) {
				return JSON.stringify({
					state: pc.connectionState + '/' + pc.iceConnectionState + '/' + dc.readyState,
					ufrag: transport.iceLocalUsernameFragment || '',
					localPort: local.port,
					remotePort: remote.port,
				});
			}
			await new Promise((r) => setTimeout(r, 20));
		}
	})(), 15000, 'connected on a pair to one of ' + ports + ' (now ' + pc.connectionState + '/' + pc.iceConnectionState + ')');
	return true;
})()`

// TestRestartICEChromium: chanrtc and Chromium, connected with a reliable
// ordered DataChannel that the page echoes, restart ICE, Chromium by
// restartIce() and renegotiating, chanrtc by CreateOffer with
// ICERestart, each after making the first offer or after answering it.
// Both sides must have new credentials in their new descriptions,
// Chromium must be connected again on a pair to one of chanrtc's new
// candidates, and every message sent before, during and after the
// restart must come back intact and in order.
func TestRestartICEChromium(t *testing.T) {
	for _, chromiumRestarts := range []bool{true, false} {
		for _, restarterOffersFirst := range []bool{true, false} {
			by, first := "chanrtc-restarts", "chanrtc"
			if chromiumRestarts {
				by = "chromium-restarts"
			}
			if chromiumRestarts == restarterOffersFirst {
				first = "chromium"
			}
			t.Run(by+"/"+first+"-offered-first", func(t *testing.T) {
				testRestartICEChromium(t, chromiumRestarts, first == "chanrtc")
			})
		}
	}
}

func testRestartICEChromium(t *testing.T, chromiumRestarts, chanrtcOffersFirst bool) {
	ctx := testContext(t)
	b := startBrowser(t, ctx)
	openHelperPage(t, b)
	mustEval[bool](b, "page setup", restartPage)

	pc := newPC(t)
	id := uint16(0)
	dc, err := pc.CreateDataChannel("echo", &chanrtc.DataChannelInit{Negotiated: true, ID: &id})
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	s := &echoStream{t: t, ctx: ctx, dc: dc, got: make(chan chanrtc.DataChannelMessage, 256)}
	dc.OnMessage(func(m chanrtc.DataChannelMessage) {
		select {
		case s.got <- m:
		default:
			t.Errorf("more echoes than messages sent")
		}
	})

	// The first offer/answer, non-trickle.
	if chanrtcOffersFirst {
		offer := chanrtcOffer(t, ctx, pc)
		answer := mustEval[string](b, "Chromium answering", `makeAnswer(`+jsString(offer)+`)`)
		setRemote(t, pc, chanrtc.SDPTypeAnswer, answer)
	} else {
		offer := mustEval[string](b, "Chromium offering", `makeOffer(false)`)
		setRemote(t, pc, chanrtc.SDPTypeOffer, offer)
		mustEval[bool](b, "Chromium taking the answer", `takeAnswer(`+jsString(chanrtcAnswer(t, ctx, pc))+`)`)
	}
	await(t, ctx, opened, "the DataChannel to open")
	oldC := pc.LocalDescription().SDP
	oldB := pc.RemoteDescription().SDP
	firstPair := chromiumICE(t, b, candidatePorts(t, "chanrtc", oldC))
	s.send("before")
	s.expect()

	var tl lockedBuffer
	start := time.Now()
	pc.OnICEConnectionStateChange(func(st chanrtc.ICEConnectionState) {
		fmt.Fprintf(&tl, "%s@%v ", st, time.Since(start).Round(time.Millisecond))
	})
	mustEval[bool](b, "page clock", `(window.t0 = performance.now(), iceLog.length = 0, true)`)
	var newC, newB string
	if chromiumRestarts {
		newB = mustEval[string](b, "Chromium restartIce() and offering", `makeOffer(true)`)
		setRemote(t, pc, chanrtc.SDPTypeOffer, newB)
		s.send("restart offer applied")
		newC = chanrtcAnswer(t, ctx, pc)
		s.send("restart answer applied")
		mustEval[bool](b, "Chromium taking the restart answer", `takeAnswer(`+jsString(newC)+`)`)
	} else {
		offer, err := pc.CreateOffer(chanrtc.OfferOptions{ICERestart: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := pc.SetLocalDescription(offer); err != nil {
			t.Fatal(err)
		}
		s.send("restart offer applied")
		waitGathered(t, ctx, pc)
		newC = pc.LocalDescription().SDP
		newB = mustEval[string](b, "Chromium answering the restart", `makeAnswer(`+jsString(newC)+`)`)
		setRemote(t, pc, chanrtc.SDPTypeAnswer, newB)
		s.send("restart answer applied")
	}
	signalled := time.Since(start)
	newPorts := candidatePorts(t, "chanrtc", newC)
	pair := chromiumICE(t, b, newPorts)
	connectedAgain := time.Since(start)
	s.send("after")
	s.expect()
	echoed := time.Since(start)

	for _, side := range []struct{ who, old, now string }{{"chanrtc", oldC, newC}, {"Chromium", oldB, newB}} {
		oldU, oldP := sdpAttr(side.old, "ice-ufrag"), sdpAttr(side.old, "ice-pwd")
		newU, newP := sdpAttr(side.now, "ice-ufrag"), sdpAttr(side.now, "ice-pwd")
		if oldU == "" || newU == "" || oldU == newU || oldP == newP {
			t.Errorf("%s's ICE credentials across the restart: ufrag %q -> %q, pwd %q -> %q", side.who, oldU, newU, oldP, newP)
		}
	}
	if u := pair.Ufrag; u != "" && u != sdpAttr(newB, "ice-ufrag") {
		t.Errorf("Chromium's transport uses ufrag %q, not its new %q", u, sdpAttr(newB, "ice-ufrag"))
	}
	for _, port := range candidatePorts(t, "chanrtc", oldC) {
		if slices.Contains(newPorts, port) {
			t.Errorf("chanrtc's new candidates %v reuse a port of the old ones", newPorts)
		}
	}
	if got := pc.ConnectionState(); got != chanrtc.PeerConnectionStateConnected {
		t.Errorf("chanrtc connection state %s after the restart", got)
	}
	if got := pc.ICEConnectionState(); got != chanrtc.ICEConnectionStateConnected {
		t.Errorf("chanrtc ICE connection state %s after the restart", got)
	}
	t.Logf("ICE states since the restart began: chanrtc %s; Chromium %s", tl.String(),
		mustEval[string](b, "Chromium's ICE states", `iceLog.map((e) => e.replace(/@(\d+)/, (_, ms) => '@' + Math.round(ms - t0) + 'ms')).join(' ') || 'no change'`))
	t.Logf("Chromium's pair :%d <-> chanrtc :%d before, :%d <-> :%d (%s, ufrag %q) %v after the restart began (its signalling took %v); %d messages echoed in order, the last %v after it began",
		firstPair.LocalPort, firstPair.RemotePort, pair.LocalPort, pair.RemotePort, pair.State, pair.Ufrag,
		connectedAgain.Round(time.Millisecond), signalled.Round(time.Millisecond), s.sent, echoed.Round(time.Millisecond))

	mustEval[bool](b, "closing", `(pc.close(), true)`)
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
}

func chanrtcOffer(t *testing.T, ctx context.Context, pc *chanrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, ctx, pc)
	return pc.LocalDescription().SDP
}

func chanrtcAnswer(t *testing.T, ctx context.Context, pc *chanrtc.PeerConnection) string {
	t.Helper()
	answer, err := pc.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, ctx, pc)
	return pc.LocalDescription().SDP
}

func setRemote(t *testing.T, pc *chanrtc.PeerConnection, typ chanrtc.SDPType, sdp string) {
	t.Helper()
	checkCandidates(t, "Chromium "+string(typ), sdp)
	if err := pc.SetRemoteDescription(chanrtc.SessionDescription{Type: typ, SDP: sdp}); err != nil {
		t.Fatalf("SetRemoteDescription(Chromium %s): %v\n%s", typ, err, sdp)
	}
}

// candidatePorts returns the ports of an SDP's candidates.
func candidatePorts(t *testing.T, who, sdp string) []int {
	t.Helper()
	checkCandidates(t, who, sdp)
	var ports []int
	for line := range strings.Lines(sdp) {
		if f := strings.Fields(strings.TrimSpace(line)); len(f) >= 6 && strings.HasPrefix(f[0], "a=candidate:") {
			port, err := strconv.Atoi(f[5])
			if err != nil {
				t.Fatalf("%s: candidate port in %q: %v", who, line, err)
			}
			ports = append(ports, port)
		}
	}
	return ports
}

// chromiumPair is what Chromium's getStats says of its transport.
type chromiumPair struct {
	State                 string
	Ufrag                 string
	LocalPort, RemotePort int
}

// chromiumICE waits until Chromium is connected on a pair to one of
// chanrtc's ports and returns it.
func chromiumICE(t *testing.T, b *browser, ports []int) chromiumPair {
	t.Helper()
	list, _ := json.Marshal(ports)
	js := mustEval[string](b, "Chromium's selected pair", `iceNow(`+string(list)+`)`)
	var p chromiumPair
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatalf("Chromium's pair %s: %v", js, err)
	}
	return p
}

// echoStream sends numbered messages of varied type and size on a channel
// the page echoes, and checks the echoes.
type echoStream struct {
	t    *testing.T
	ctx  context.Context
	dc   *chanrtc.DataChannel
	got  chan chanrtc.DataChannelMessage
	want []chanrtc.DataChannelMessage // sent, not yet echoed
	sent int
}

// send sends ten messages tagged with stage, text and binary alternating,
// every fifth several SCTP fragments long.
func (s *echoStream) send(stage string) {
	s.t.Helper()
	for range 10 {
		size := 200 + 37*s.sent
		if s.sent%5 == 4 {
			size = 20 << 10
		}
		m := chanrtc.DataChannelMessage{IsString: s.sent%2 == 0}
		head := fmt.Sprintf("#%03d %s ", s.sent, stage)
		var err error
		if m.IsString {
			m.Data = []byte(head + strings.Repeat("é", size/2))
			err = s.dc.SendText(string(m.Data))
		} else {
			m.Data = append([]byte(head), randomBytes(size)...)
			err = s.dc.Send(m.Data)
		}
		if err != nil {
			s.t.Fatalf("send #%d (%s): %v", s.sent, stage, err)
		}
		s.want = append(s.want, m)
		s.sent++
	}
}

// expect waits for the echoes of everything sent so far, in order.
func (s *echoStream) expect() {
	s.t.Helper()
	for _, w := range s.want {
		g := await(s.t, s.ctx, s.got, fmt.Sprintf("echo of %.12q (%d bytes)", w.Data, len(w.Data)))
		if g.IsString != w.IsString || !bytes.Equal(g.Data, w.Data) {
			s.t.Fatalf("echo out of order or damaged: sent %.12q (text %v, %d bytes), got %.12q (text %v, %d bytes)",
				w.Data, w.IsString, len(w.Data), g.Data, g.IsString, len(g.Data))
		}
	}
	s.want = s.want[:0]
}
