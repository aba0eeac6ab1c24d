package interop

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestICERestart: chanrtc and pion, connected with a reliable ordered
// DataChannel that pion echoes, run an ICE restart (RFC 8839
// §4.4.1.1.1) offered by either side, the one that made the first offer
// or the one that answered it, with and without trickle, on a healthy
// path. Both sides must put new credentials in their new
// descriptions, gather a new generation of candidates on new ports,
// move the connection onto a pair of those and be connected again; every
// message sent before, while and after the restart is signalled must come
// back intact and in order.
func TestICERestart(t *testing.T) {
	for _, chanrtcRestarts := range []bool{true, false} {
		for _, restarterOfferedFirst := range []bool{true, false} {
			for _, trickled := range []bool{false, true} {
				by, first := "pion-restarts", "pion"
				if chanrtcRestarts {
					by = "chanrtc-restarts"
				}
				if chanrtcRestarts == restarterOfferedFirst {
					first = "chanrtc"
				}
				t.Run(by+"/"+first+"-offered-first/"+modeName(trickled), func(t *testing.T) {
					testICERestart(t, chanrtcRestarts, restarterOfferedFirst, trickled)
				})
			}
		}
	}
}

func testICERestart(t *testing.T, chanrtcRestarts, restarterOfferedFirst, trickled bool) {
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	cICE, pICE := watchICE(pr)

	dc, err := pr.c.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedChanrtc(dc)[0]
	s := newRestartStream(t, dc, errs)

	c, p := chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p)
	restarter, other := endpoint(p), endpoint(c)
	if chanrtcRestarts {
		restarter, other = c, p
	}
	offerer, answerer := other, restarter
	if restarterOfferedFirst {
		offerer, answerer = restarter, other
	}
	if offerer == p {
		if _, err := pr.p.CreateDataChannel("pion", nil); err != nil {
			t.Fatal(err) // pion needs something to offer
		}
	}
	signal(t, offerer, answerer, trickled)
	pr.waitConnected(t)
	closedWithin(t, opened, "DataChannel open")
	s.send("before")
	s.expect("before")
	before := snapshotICE(t, pr)

	cMark, pMark := cICE.mark(), pICE.mark()
	start := time.Now()
	restartICE(t, restarter, other, trickled, s.send)
	s.send("restart signalled")
	pair := waitRestarted(t, pr, before)
	took := time.Since(start)
	s.send("after")
	s.expectAll()
	echoed := time.Since(start)

	after := snapshotICE(t, pr)
	after.checkRestartedFrom(t, before, nil)
	if pair.Local.Port == uint16(before.pionPair.localPort) || pair.Remote.Port == uint16(before.pionPair.remotePort) {
		t.Errorf("pion's selected pair %s after the restart reuses a port of %v", pair, before.pionPair)
	}
	for what, states := range map[string][]string{"chanrtc": cICE.since(cMark), "pion": pICE.since(pMark)} {
		for _, st := range states {
			if st == "failed" || st == "closed" {
				t.Errorf("%s ICE went %s during the restart (states %v)", what, st, states)
			}
		}
	}
	t.Logf("restart by %s (first offer by %s, %s): connected on the new pair %s %v after the restart offer; ICE states since: chanrtc %v, pion %v; %d messages echoed in order, the last %v after the restart offer",
		restarter.name(), offerer.name(), modeName(trickled), pair, took.Round(time.Millisecond), cICE.since(cMark), pICE.since(pMark), s.sent, echoed.Round(time.Millisecond))
	errs.check(t)
	pr.closeAndCheck(t)
}

// TestICERestartAfterPathChange: chanrtc and pion talk through a UDP
// relay on 127.0.0.1 (each told the other is at the relay), with a
// reliable DataChannel that pion echoes. The relay goes dead, dropping
// everything both ways; once both sides see ICE disconnected, one of them
// restarts ICE, this time signalling addresses at a second relay: the
// connection must come back over the new relay, and every message, the
// ones sent into the dead path included, must come back once, in order.
func TestICERestartAfterPathChange(t *testing.T) {
	for _, chanrtcRestarts := range []bool{true, false} {
		name := "pion-restarts"
		if chanrtcRestarts {
			name = "chanrtc-restarts"
		}
		t.Run(name, func(t *testing.T) { testICERestartAfterPathChange(t, chanrtcRestarts) })
	}
}

func testICERestartAfterPathChange(t *testing.T, chanrtcRestarts bool) {
	checkLeaks(t)
	// A dead path shows within a second; nothing fails for 20 s.
	cfg := chanrtcConfig()
	cfg.ICEDisconnectedTimeout = time.Second
	cfg.ICEFailedTimeout = 20 * time.Second
	cfg.ICEKeepaliveInterval = 200 * time.Millisecond
	pr := newPairWith(t, cfg, pionAPI(func(se *webrtc.SettingEngine) {
		se.SetICETimeouts(time.Second, 20*time.Second, 200*time.Millisecond)
	}))
	var dead atomic.Bool
	drop := func([]byte) bool { return dead.Load() }
	oldPath := newRelay(t, drop, drop)
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	cICE, pICE := watchICE(pr)

	dc, err := pr.c.CreateDataChannel("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedChanrtc(dc)[0]
	s := newRestartStream(t, dc, errs)
	c, p := chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p)
	restarter, other := endpoint(p), endpoint(c)
	if chanrtcRestarts {
		restarter, other = c, p
	}
	signalThroughRelay(t, oldPath, c, p)
	pr.waitConnected(t)
	closedWithin(t, opened, "DataChannel open")
	s.send("before")
	s.expect("before")
	before := snapshotICE(t, pr)
	if want := relayPort(oldPath.toP); before.pionPair.remotePort != want {
		t.Fatalf("pion's selected pair %v does not go through the relay (:%d)", before.pionPair, want)
	}

	cMark, pMark := cICE.mark(), pICE.mark()
	dead.Store(true)
	broke := time.Now()
	s.send("into the dead path")
	waitICEState(t, "chanrtc", func() string { return pr.c.ICEConnectionState().String() }, "disconnected")
	waitICEState(t, "pion", func() string { return pr.p.ICEConnectionState().String() }, "disconnected")
	seen := time.Since(broke)

	newPath := newRelay(t, nil, nil)
	start := time.Now()
	signalThroughRelayWith(t, newPath, restarter, other, restartOffer)
	s.send("restart signalled")
	pair := waitRestarted(t, pr, before)
	took := time.Since(start)
	s.send("after")
	s.expectAll()
	echoed := time.Since(start)

	after := snapshotICE(t, pr)
	after.checkRestartedFrom(t, before, newPath)
	if newPath.fromC.Load() == 0 || newPath.fromP.Load() == 0 {
		t.Errorf("the new relay carried %d datagrams from chanrtc, %d from pion", newPath.fromC.Load(), newPath.fromP.Load())
	}
	t.Logf("old path dead: disconnected seen on both sides after %v; restart by %s: connected through the new relay (pion's pair %s) %v after the restart offer; ICE states since the path died: chanrtc %v, pion %v; %d messages echoed in order, the last %v after the restart offer; new relay forwarded %d datagrams from chanrtc, %d from pion",
		seen.Round(time.Millisecond), restarter.name(), pair, took.Round(time.Millisecond), cICE.since(cMark), pICE.since(pMark),
		s.sent, echoed.Round(time.Millisecond), newPath.fromC.Load(), newPath.fromP.Load())
	errs.check(t)
	pr.closeAndCheck(t)
}

func relayPort(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

// waitICEState waits until state() returns want.
func waitICEState(t *testing.T, who string, state func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for state() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s ICE state %s, want %s", who, state(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// restartOffer makes an offer that restarts ICE, in each library's own
// way: chanrtc's OfferOptions.ICERestart, pion's OfferOptions.ICERestart.
func restartOffer(e endpoint) ([]byte, error) {
	switch e := e.(type) {
	case chanrtcEndpoint:
		d, err := e.pc.CreateOffer(chanrtc.OfferOptions{ICERestart: true})
		if err != nil {
			return nil, err
		}
		return json.Marshal(d)
	case pionEndpoint:
		d, err := e.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
		if err != nil {
			return nil, err
		}
		return json.Marshal(d)
	}
	panic(fmt.Sprintf("restartOffer: unknown endpoint %T", e))
}

// restartICE runs a restart offer from offerer and its answer, trickled or
// complete. at runs right after each local description is applied, while
// the restart is under way ("restart offer applied", "restart answer
// applied").
func restartICE(t *testing.T, offerer, answerer endpoint, trickled bool, at func(stage string)) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("ICE restart: %s: %v", what, err)
		}
	}
	waitGathered := func(e endpoint) []byte {
		t.Helper()
		closedWithin(t, e.gatheringComplete(), e.name()+" gathering the new generation")
		return e.localDescription()
	}
	// The new generation's candidates go to new trickles, set up before
	// the offer: pion gathers from CreateOffer on (when it offers) or
	// SetRemoteDescription (when it answers).
	var toAnswerer, toOfferer *trickle
	done := make(chan struct{})
	var wg sync.WaitGroup
	if trickled {
		toAnswerer = newTrickle(offerer, answerer)
		toOfferer = newTrickle(answerer, offerer)
		t.Cleanup(func() {
			close(done)
			wg.Wait()
		})
	}

	offer, err := restartOffer(offerer)
	must(offerer.name()+" CreateOffer(ICERestart)", err)
	must(offerer.name()+" SetLocalDescription(restart offer)", offerer.setLocal(offer))
	at("restart offer applied")
	if !trickled {
		offer = waitGathered(offerer)
	}
	must(offerer.name()+" restart offer", checkRestartCandidates(offer, trickled))
	must(answerer.name()+" SetRemoteDescription(restart offer)", answerer.setRemote(offer))
	if trickled {
		toAnswerer.start(done, &wg)
	}
	answer, err := answerer.createAnswer()
	must(answerer.name()+" CreateAnswer", err)
	must(answerer.name()+" SetLocalDescription(restart answer)", answerer.setLocal(answer))
	at("restart answer applied")
	if !trickled {
		answer = waitGathered(answerer)
	}
	must(answerer.name()+" restart answer", checkRestartCandidates(answer, trickled))
	must(offerer.name()+" SetRemoteDescription(restart answer)", offerer.setRemote(answer))
	if !trickled {
		return
	}
	toOfferer.start(done, &wg)
	// Both trickles end with the new generation's end of candidates.
	for _, tr := range []*trickle{toAnswerer, toOfferer} {
		deadline := time.After(timeout)
		for {
			tr.mu.Lock()
			count, ended := tr.count, tr.ended
			tr.mu.Unlock()
			if ended {
				if count == 0 {
					t.Fatalf("%s trickled no candidate of the new generation", tr.from.name())
				}
				break
			}
			select {
			case err := <-tr.errs:
				t.Fatalf("trickle: %v", err)
			case <-deadline:
				t.Fatalf("%s trickled %d candidates of the new generation and no end of candidates", tr.from.name(), count)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// checkRestartCandidates checks the candidates of a restart description:
// a complete one has some, all on 127.0.0.1. A trickled one may have
// some already (pion gathers from the remote restart offer on, so its
// answer carries what it has), all on 127.0.0.1.
func checkRestartCandidates(desc []byte, trickled bool) error {
	if !trickled {
		return checkDescriptionCandidates(desc, true)
	}
	var d struct {
		SDP string `json:"sdp"`
	}
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	for line := range strings.Lines(d.SDP) {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "a=candidate:") {
			if err := checkCandidate(line); err != nil {
				return err
			}
		}
	}
	return nil
}

// restartStream sends numbered messages of varied sizes and types on a
// reliable ordered channel that the remote echoes, and checks the echoes.
type restartStream struct {
	t    *testing.T
	dc   *chanrtc.DataChannel
	got  chan msg
	rnd  *rand.Rand
	want []msg // sent, not yet echoed
	sent int
}

// restartBatch is how many messages each send sends.
const restartBatch = 20

func newRestartStream(t *testing.T, dc *chanrtc.DataChannel, errs asyncErrs) *restartStream {
	got, add := collect(8*restartBatch, errs)
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })
	return &restartStream{t: t, dc: dc, got: got, rnd: rand.New(rand.NewPCG(5, 8))}
}

// send sends a batch tagged with stage: text and binary alternating, most
// under one packet, every fifth several SCTP fragments.
func (s *restartStream) send(stage string) {
	s.t.Helper()
	for range restartBatch {
		size := s.rnd.IntN(1200)
		if s.sent%5 == 4 {
			size = 12<<10 + s.rnd.IntN(8<<10)
		}
		head := fmt.Sprintf("#%04d %s ", s.sent, stage)
		m := msg{text: s.sent%2 == 0, data: []byte(head + strings.Repeat("x", size))}
		var err error
		if m.text {
			err = s.dc.SendText(string(m.data))
		} else {
			for i := len(head); i < len(m.data); i++ {
				m.data[i] = byte(s.rnd.Uint32())
			}
			err = s.dc.Send(m.data)
		}
		if err != nil {
			s.t.Fatalf("send #%d (%s): %v", s.sent, stage, err)
		}
		s.want = append(s.want, m)
		s.sent++
	}
}

// expect waits for the echoes of everything sent so far; what names it.
func (s *restartStream) expect(what string) {
	s.t.Helper()
	for _, w := range s.want {
		g := recv(s.t, s.got, fmt.Sprintf("echo of %s (%s)", w, what))
		if g.text != w.text || string(g.data) != string(w.data) {
			s.t.Fatalf("echo out of order or damaged (%s): sent %s, got back %s", what, w, g)
		}
	}
	s.want = s.want[:0]
}

// expectAll is expect for the end: nothing more may come back.
func (s *restartStream) expectAll() {
	s.t.Helper()
	s.expect("all")
	select {
	case g := <-s.got:
		s.t.Fatalf("unexpected extra echo %s", g)
	case <-time.After(50 * time.Millisecond):
	}
}

// iceLog records one side's ICE connection states by name.
type iceLog struct {
	mu     sync.Mutex
	states []string
}

func (l *iceLog) add(s fmt.Stringer) {
	l.mu.Lock()
	l.states = append(l.states, s.String())
	l.mu.Unlock()
}

func (l *iceLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.states)
}

func (l *iceLog) since(i int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.states[i:])
}

func watchICE(pr *pair) (c, p *iceLog) {
	c, p = new(iceLog), new(iceLog)
	pr.c.OnICEConnectionStateChange(func(s chanrtc.ICEConnectionState) { c.add(s) })
	pr.p.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) { p.add(s) })
	return c, p
}

// iceSnapshot is what both sides' descriptions say of their ICE
// generations, and the pair pion uses.
type iceSnapshot struct {
	cLocal, pLocal   iceParams // each side's local description
	cRemote, pRemote iceParams // each side's remote description
	pionPair         portPair
}

type iceParams struct {
	ufrag, pwd string
	ports      []int // of the candidates in the description
}

type portPair struct{ localPort, remotePort int }

func (p portPair) String() string {
	return fmt.Sprintf("pion :%d <-> chanrtc :%d", p.localPort, p.remotePort)
}

// snapshotICE reads both sides' current descriptions (once gathering is
// complete, so that they carry every candidate) and pion's selected pair.
func snapshotICE(t *testing.T, pr *pair) iceSnapshot {
	t.Helper()
	closedWithin(t, pr.c.GatheringComplete(), "chanrtc gathering")
	closedWithin(t, webrtc.GatheringCompletePromise(pr.p), "pion gathering")
	var s iceSnapshot
	s.cLocal = descICE(t, "chanrtc local", pr.c.LocalDescription().SDP)
	// chanrtc's RemoteDescription leaves out the candidates added to it.
	s.cRemote = descICE(t, "chanrtc remote", pr.c.RemoteDescription().SDP)
	s.pLocal = descICE(t, "pion local", pr.p.LocalDescription().SDP)
	s.pRemote = descICE(t, "pion remote", pr.p.RemoteDescription().SDP)
	pair, err := pr.p.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("pion's selected candidate pair: %v, %v", pair, err)
	}
	s.pionPair = portPair{int(pair.Local.Port), int(pair.Remote.Port)}
	return s
}

// descICE reads the ICE credentials and candidate ports of an SDP; only a
// local description must have candidates.
func descICE(t *testing.T, what, sdp string) iceParams {
	t.Helper()
	var p iceParams
	for line := range strings.Lines(sdp) {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok && p.ufrag == "" {
			p.ufrag = v
		}
		if v, ok := strings.CutPrefix(line, "a=ice-pwd:"); ok && p.pwd == "" {
			p.pwd = v
		}
		if strings.HasPrefix(line, "a=candidate:") {
			if err := checkCandidate(line); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			var port int
			if _, err := fmt.Sscan(strings.Fields(line)[5], &port); err != nil {
				t.Fatalf("%s: candidate port: %v", what, err)
			}
			p.ports = append(p.ports, port)
		}
	}
	if p.ufrag == "" || p.pwd == "" || (strings.Contains(what, "local") && len(p.ports) == 0) {
		t.Fatalf("%s description lacks ICE credentials or candidates:\n%s", what, sdp)
	}
	return p
}

// checkRestartedFrom checks that both sides moved to a new ICE
// generation: new credentials and new candidate ports in each local
// description, each side's remote description the other's local one, and
// pion's selected pair made of new-generation candidates, chanrtc's being
// the one pion sees at its remote port through relay (nil: none).
func (s iceSnapshot) checkRestartedFrom(t *testing.T, old iceSnapshot, relay *udpRelay) {
	t.Helper()
	chanrtcPort := s.pionPair.remotePort
	if relay != nil {
		if want := relayPort(relay.toP); chanrtcPort != want {
			t.Errorf("pion's selected pair %v does not go through the new relay (:%d)", s.pionPair, want)
		}
		relay.mu.Lock()
		chanrtcPort = relay.cAddr.Port
		relay.mu.Unlock()
	}
	for _, side := range []struct {
		name          string
		old, now      iceParams
		remoteAtOther iceParams
	}{
		{"chanrtc", old.cLocal, s.cLocal, s.pRemote},
		{"pion", old.pLocal, s.pLocal, s.cRemote},
	} {
		if side.now.ufrag == side.old.ufrag || side.now.pwd == side.old.pwd {
			t.Errorf("%s kept ICE credentials across the restart: ufrag %q -> %q, pwd %q -> %q",
				side.name, side.old.ufrag, side.now.ufrag, side.old.pwd, side.now.pwd)
		}
		if side.remoteAtOther.ufrag != side.now.ufrag || side.remoteAtOther.pwd != side.now.pwd {
			t.Errorf("%s's credentials %q/%q are not what the other side has as remote: %q/%q",
				side.name, side.now.ufrag, side.now.pwd, side.remoteAtOther.ufrag, side.remoteAtOther.pwd)
		}
		for _, port := range side.now.ports {
			if slices.Contains(side.old.ports, port) {
				t.Errorf("%s's new candidates %v reuse a port of the old generation %v", side.name, side.now.ports, side.old.ports)
			}
		}
	}
	if !slices.Contains(s.pLocal.ports, s.pionPair.localPort) || !slices.Contains(s.cLocal.ports, chanrtcPort) {
		t.Errorf("pion's selected pair %v is not made of the new candidates (pion %v, chanrtc %v at :%d)",
			s.pionPair, s.pLocal.ports, s.cLocal.ports, chanrtcPort)
	}
}

// waitRestarted waits until both sides are connected again, pion on a
// pair other than the one in use before the restart, and returns it.
func waitRestarted(t *testing.T, pr *pair, before iceSnapshot) *webrtc.ICECandidatePair {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pair, _ := pr.p.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		moved := pair != nil && (portPair{int(pair.Local.Port), int(pair.Remote.Port)}) != before.pionPair
		if moved &&
			pr.p.ICEConnectionState() == webrtc.ICEConnectionStateConnected &&
			pr.p.ConnectionState() == webrtc.PeerConnectionStateConnected &&
			pr.c.ICEConnectionState() == chanrtc.ICEConnectionStateConnected &&
			pr.c.ConnectionState() == chanrtc.PeerConnectionStateConnected {
			return pair
		}
		if time.Now().After(deadline) {
			t.Fatalf("not connected again after the restart: pion ICE %s, connection %s, pair %v (was %v); chanrtc ICE %s, connection %s (err %v)",
				pr.p.ICEConnectionState(), pr.p.ConnectionState(), pair, before.pionPair,
				pr.c.ICEConnectionState(), pr.c.ConnectionState(), pr.c.Err())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
