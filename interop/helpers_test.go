package interop

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

// timeout bounds every wait in these tests.
const timeout = 15 * time.Second

// chanrtcConfig keeps chanrtc on 127.0.0.1 with mDNS off.
func chanrtcConfig() chanrtc.Config {
	return chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled}
}

// pionAPI builds a pion/webrtc API that gathers only 127.0.0.1 host
// candidates over UDP4, with mDNS off; tweak adjusts the settings further.
func pionAPI(tweak ...func(*webrtc.SettingEngine)) *webrtc.API {
	return webrtc.NewAPI(webrtc.WithSettingEngine(pionSettingEngine(tweak...)))
}

// pionSettingEngine is the SettingEngine of pionAPI.
func pionSettingEngine(tweak ...func(*webrtc.SettingEngine)) webrtc.SettingEngine {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	for _, f := range tweak {
		f(&se)
	}
	return se
}

// checkLeaks fails the test if goroutines started during it are still
// running once every other cleanup has run. It must be called first in a
// test, so that its cleanup runs last.
//
// No pion goroutine is filtered out: pion is closed with GracefulClose,
// which waits for its own goroutines, so nothing of pion's lingers. (A
// filter on pion/ice, pion/dtls or pion/sctp functions would hide chanrtc's
// leaks too, since chanrtc runs those packages.)
func checkLeaks(t *testing.T) {
	t.Helper()
	opts := []goleak.Option{goleak.IgnoreCurrent()}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

// pair is one chanrtc and one pion PeerConnection.
type pair struct {
	c *chanrtc.PeerConnection
	p *webrtc.PeerConnection

	cStates chan chanrtc.PeerConnectionState
	pStates chan webrtc.PeerConnectionState
}

// newPair creates both PeerConnections and records their connection
// states. Cleanup closes pion first (waiting for its goroutines), then
// chanrtc.
func newPair(t *testing.T) *pair {
	t.Helper()
	return newPairWith(t, chanrtcConfig(), pionAPI())
}

// newPairWith is newPair with a given chanrtc Config and pion API.
func newPairWith(t *testing.T, cfg chanrtc.Config, api *webrtc.API) *pair {
	t.Helper()
	c, err := chanrtc.NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = c.Close()
		t.Fatal(err)
	}
	pr := &pair{
		c:       c,
		p:       p,
		cStates: make(chan chanrtc.PeerConnectionState, 16),
		pStates: make(chan webrtc.PeerConnectionState, 16),
	}
	c.OnConnectionStateChange(func(s chanrtc.PeerConnectionState) {
		select {
		case pr.cStates <- s:
		default:
		}
	})
	p.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		select {
		case pr.pStates <- s:
		default:
		}
	})
	t.Cleanup(pr.close)
	return pr
}

func (pr *pair) close() {
	_ = pr.p.GracefulClose()
	_ = pr.c.Close()
}

// waitConnected waits until both sides report connected.
func (pr *pair) waitConnected(t *testing.T) {
	t.Helper()
	deadline := time.After(timeout)
	for s := chanrtc.PeerConnectionStateNew; s != chanrtc.PeerConnectionStateConnected; {
		select {
		case s = <-pr.cStates:
			if s == chanrtc.PeerConnectionStateFailed || s == chanrtc.PeerConnectionStateClosed {
				t.Fatalf("chanrtc connection state %s (err %v)", s, pr.c.Err())
			}
		case <-deadline:
			t.Fatalf("chanrtc did not connect: state %s", pr.c.ConnectionState())
		}
	}
	for s := webrtc.PeerConnectionStateNew; s != webrtc.PeerConnectionStateConnected; {
		select {
		case s = <-pr.pStates:
			if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
				t.Fatalf("pion connection state %s", s)
			}
		case <-deadline:
			t.Fatalf("pion did not connect: state %s", pr.p.ConnectionState())
		}
	}
}

// closeAndCheck closes pion, then chanrtc, and checks both report closed.
func (pr *pair) closeAndCheck(t *testing.T) {
	t.Helper()
	pr.close()
	if s := pr.c.ConnectionState(); s != chanrtc.PeerConnectionStateClosed {
		t.Errorf("chanrtc connection state after Close: %s", s)
	}
	if s := pr.c.SignalingState(); s != chanrtc.SignalingStateClosed {
		t.Errorf("chanrtc signaling state after Close: %s", s)
	}
	if s := pr.p.ConnectionState(); s != webrtc.PeerConnectionStateClosed {
		t.Errorf("pion connection state after Close: %s", s)
	}
}

// endpoint is one side of the signalling, seen through the JSON that
// browsers exchange: {"type","sdp"} descriptions and RTCIceCandidateInit
// candidates. Going through JSON checks that the two libraries agree on
// the wire form too.
type endpoint interface {
	name() string
	createOffer() ([]byte, error)
	createAnswer() ([]byte, error)
	setLocal(desc []byte) error
	setRemote(desc []byte) error
	// localDescription returns the current local description.
	localDescription() []byte
	gatheringComplete() <-chan struct{}
	// onCandidate registers f for gathered candidates; f gets nil at the end
	// of gathering.
	onCandidate(f func(cand []byte))
	addCandidate(cand []byte) error
}

type chanrtcEndpoint struct{ pc *chanrtc.PeerConnection }

func (e chanrtcEndpoint) name() string { return "chanrtc" }

func (e chanrtcEndpoint) createOffer() ([]byte, error) {
	d, err := e.pc.CreateOffer()
	if err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

func (e chanrtcEndpoint) createAnswer() ([]byte, error) {
	d, err := e.pc.CreateAnswer()
	if err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

func (e chanrtcEndpoint) setLocal(desc []byte) error {
	var d chanrtc.SessionDescription
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	return e.pc.SetLocalDescription(d)
}

func (e chanrtcEndpoint) setRemote(desc []byte) error {
	var d chanrtc.SessionDescription
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	return e.pc.SetRemoteDescription(d)
}

func (e chanrtcEndpoint) localDescription() []byte {
	b, _ := json.Marshal(e.pc.LocalDescription())
	return b
}

func (e chanrtcEndpoint) gatheringComplete() <-chan struct{} { return e.pc.GatheringComplete() }

func (e chanrtcEndpoint) onCandidate(f func([]byte)) {
	e.pc.OnICECandidate(func(c *chanrtc.ICECandidate) {
		if c == nil {
			f(nil)
			return
		}
		b, _ := json.Marshal(c.ToJSON())
		f(b)
	})
}

func (e chanrtcEndpoint) addCandidate(cand []byte) error {
	var c chanrtc.ICECandidateInit
	if err := json.Unmarshal(cand, &c); err != nil {
		return err
	}
	return e.pc.AddICECandidate(c)
}

type pionEndpoint struct {
	pc       *webrtc.PeerConnection
	gathered *<-chan struct{}
}

func newPionEndpoint(pc *webrtc.PeerConnection) pionEndpoint {
	return pionEndpoint{pc: pc, gathered: new(<-chan struct{})}
}

func (e pionEndpoint) name() string { return "pion" }

func (e pionEndpoint) createOffer() ([]byte, error) {
	d, err := e.pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

func (e pionEndpoint) createAnswer() ([]byte, error) {
	d, err := e.pc.CreateAnswer(nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

func (e pionEndpoint) setLocal(desc []byte) error {
	var d webrtc.SessionDescription
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	*e.gathered = webrtc.GatheringCompletePromise(e.pc)
	return e.pc.SetLocalDescription(d)
}

func (e pionEndpoint) setRemote(desc []byte) error {
	var d webrtc.SessionDescription
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	return e.pc.SetRemoteDescription(d)
}

func (e pionEndpoint) localDescription() []byte {
	b, _ := json.Marshal(e.pc.LocalDescription())
	return b
}

func (e pionEndpoint) gatheringComplete() <-chan struct{} { return *e.gathered }

func (e pionEndpoint) onCandidate(f func([]byte)) {
	e.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			f(nil)
			return
		}
		b, _ := json.Marshal(c.ToJSON())
		f(b)
	})
}

func (e pionEndpoint) addCandidate(cand []byte) error {
	var c webrtc.ICECandidateInit
	if err := json.Unmarshal(cand, &c); err != nil {
		return err
	}
	return e.pc.AddICECandidate(c)
}

// endOfCandidates is what a trickling peer signals once it has gathered
// everything (an RTCIceCandidateInit with an empty candidate).
var endOfCandidates = []byte(`{"candidate":""}`)

// trickle carries one side's candidates to the other: they queue until the
// receiver has its remote description, then a goroutine adds them.
type trickle struct {
	from endpoint
	to   endpoint
	ch   chan []byte
	errs chan error

	mu    sync.Mutex
	count int  // candidates gathered
	ended bool // end of candidates gathered
}

func newTrickle(from, to endpoint) *trickle {
	tr := &trickle{from: from, to: to, ch: make(chan []byte, 256), errs: make(chan error, 1)}
	from.onCandidate(func(c []byte) {
		tr.mu.Lock()
		if c == nil {
			c = endOfCandidates
			tr.ended = true
		} else {
			tr.count++
		}
		tr.mu.Unlock()
		if err := checkCandidateJSON(c); err != nil {
			tr.fail(fmt.Errorf("%s: %w", from.name(), err))
		}
		select {
		case tr.ch <- c:
		default:
			tr.fail(fmt.Errorf("%s: too many candidates", from.name()))
		}
	})
	return tr
}

func (tr *trickle) fail(err error) {
	select {
	case tr.errs <- err:
	default:
	}
}

// start adds queued and future candidates to the receiver until the end of
// candidates or until done closes; wg tracks the goroutine.
func (tr *trickle) start(done <-chan struct{}, wg *sync.WaitGroup) {
	wg.Go(func() {
		for {
			select {
			case c := <-tr.ch:
				if err := tr.to.addCandidate(c); err != nil {
					tr.fail(fmt.Errorf("%s.AddICECandidate(%s): %w", tr.to.name(), c, err))
				}
				if string(c) == string(endOfCandidates) {
					return
				}
			case <-done:
				return
			}
		}
	})
}

// signal runs offer/answer between the two endpoints. Non-trickle waits for
// gathering to complete and exchanges complete descriptions; trickle
// exchanges the descriptions at once and candidates as they come.
func signal(t *testing.T, offerer, answerer endpoint, trickled bool) {
	t.Helper()
	var toAnswerer, toOfferer *trickle
	done := make(chan struct{})
	var wg sync.WaitGroup
	if trickled {
		toAnswerer = newTrickle(offerer, answerer)
		toOfferer = newTrickle(answerer, offerer)
		t.Cleanup(func() {
			close(done)
			wg.Wait()
			for _, tr := range []*trickle{toAnswerer, toOfferer} {
				select {
				case err := <-tr.errs:
					t.Errorf("trickle: %v", err)
				default:
				}
				tr.mu.Lock()
				count, ended := tr.count, tr.ended
				tr.mu.Unlock()
				if !t.Failed() && (count == 0 || !ended) {
					t.Errorf("%s trickled %d candidates, end of candidates: %v", tr.from.name(), count, ended)
				}
			}
		})
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitGathered := func(e endpoint) {
		t.Helper()
		select {
		case <-e.gatheringComplete():
		case <-time.After(timeout):
			t.Fatalf("%s: gathering did not complete", e.name())
		}
	}

	offer, err := offerer.createOffer()
	must(offerer.name()+" CreateOffer", err)
	must(offerer.name()+" SetLocalDescription(offer)", offerer.setLocal(offer))
	if !trickled {
		waitGathered(offerer)
		offer = offerer.localDescription()
	}
	must(offerer.name()+" offer", checkDescriptionCandidates(offer, !trickled))
	must(answerer.name()+" SetRemoteDescription(offer)", answerer.setRemote(offer))
	if trickled {
		toAnswerer.start(done, &wg)
	}
	answer, err := answerer.createAnswer()
	must(answerer.name()+" CreateAnswer", err)
	must(answerer.name()+" SetLocalDescription(answer)", answerer.setLocal(answer))
	if !trickled {
		waitGathered(answerer)
		answer = answerer.localDescription()
	}
	must(answerer.name()+" answer", checkDescriptionCandidates(answer, !trickled))
	must(offerer.name()+" SetRemoteDescription(answer)", offerer.setRemote(answer))
	if trickled {
		toOfferer.start(done, &wg)
	}
}

// checkCandidate checks that a candidate ("candidate:..." or
// "a=candidate:...") is a UDP host candidate on 127.0.0.1.
func checkCandidate(line string) error {
	f := strings.Fields(strings.TrimPrefix(line, "a="))
	if len(f) < 8 || !strings.HasPrefix(f[0], "candidate:") {
		return fmt.Errorf("malformed candidate %q", line)
	}
	if !strings.EqualFold(f[2], "udp") || f[4] != "127.0.0.1" || f[6] != "typ" || f[7] != "host" {
		return fmt.Errorf("candidate %q is not a UDP host candidate on 127.0.0.1", line)
	}
	return nil
}

// checkCandidateJSON checks a signalled RTCIceCandidateInit.
func checkCandidateJSON(b []byte) error {
	var c struct {
		Candidate string `json:"candidate"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("candidate %s: %w", b, err)
	}
	if c.Candidate == "" {
		return nil // end of candidates
	}
	return checkCandidate(c.Candidate)
}

// checkDescriptionCandidates checks the candidates in a description: a
// complete one (non-trickle) has some, all on 127.0.0.1; an initial one
// (trickle) has none.
func checkDescriptionCandidates(desc []byte, complete bool) error {
	var d struct {
		SDP string `json:"sdp"`
	}
	if err := json.Unmarshal(desc, &d); err != nil {
		return err
	}
	n := 0
	for line := range strings.Lines(d.SDP) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		n++
		if err := checkCandidate(line); err != nil {
			return err
		}
	}
	switch {
	case complete && n == 0:
		return fmt.Errorf("complete description has no candidate:\n%s", d.SDP)
	case !complete && n > 0:
		return fmt.Errorf("initial description already has %d candidates", n)
	}
	return nil
}

// recv waits for a value or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// closedWithin waits for ch to be closed or fails the test.
func closedWithin(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// asyncErrs collects errors from callbacks, which must not call t.Fatal.
type asyncErrs chan error

func newAsyncErrs() asyncErrs { return make(asyncErrs, 16) }

func (e asyncErrs) add(format string, args ...any) {
	select {
	case e <- fmt.Errorf(format, args...):
	default:
	}
}

// check fails the test with any collected error.
func (e asyncErrs) check(t *testing.T) {
	t.Helper()
	for {
		select {
		case err := <-e:
			t.Error(err)
		default:
			return
		}
	}
}

// timeoutC is a channel that fires after timeout.
func timeoutC() <-chan time.Time { return time.After(timeout) }
