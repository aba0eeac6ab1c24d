package chanrtc

import (
	"testing"
	"time"

	"github.com/chanrtc/chanrtc/internal/netsim"
)

// simPair is two PeerConnections on their own hosts of an in-memory
// network. Build it inside a synctest bubble: the network and everything
// the peers start then live in the bubble, and time moves only when every
// goroutine in it waits.
type simPair struct {
	net               *netsim.Network
	offHost, ansHost  *netsim.Host
	offerer, answerer *PeerConnection
}

// simConfig is a Config whose ICE runs on host: no loopback filter (the
// host's only address is its 10.0.0.x), mDNS off.
func simConfig(h *netsim.Host) Config {
	return Config{MDNS: MDNSDisabled, testNet: h}
}

// newSimPair creates the network and both peers; tweak adjusts each
// peer's Config before it is created (nil: none). Everything is closed
// when the test ends, the network last.
func newSimPair(t *testing.T, seed uint64, tweak func(*Config)) *simPair {
	t.Helper()
	n := netsim.New(seed)
	t.Cleanup(func() { _ = n.Close() })
	p := &simPair{net: n, offHost: n.AddHost(), ansHost: n.AddHost()}
	mk := func(h *netsim.Host) *PeerConnection {
		cfg := simConfig(h)
		if tweak != nil {
			tweak(&cfg)
		}
		pc, err := NewPeerConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		return pc
	}
	p.offerer, p.answerer = mk(p.offHost), mk(p.ansHost)
	return p
}

// impair sets both directions between the peers.
func (p *simPair) impair(im netsim.Impairment) { p.net.SetPath(p.offHost, p.ansHost, im) }

// stateWatch records a PeerConnection's state changes with their times.
// Create it before signalling so that no change is missed.
type stateWatch struct {
	pc     *PeerConnection
	events chan stateAt
}

type stateAt struct {
	s  PeerConnectionState
	at time.Time
}

func watchConnStates(pc *PeerConnection) *stateWatch {
	w := &stateWatch{pc: pc, events: make(chan stateAt, 256)}
	pc.OnConnectionStateChange(func(s PeerConnectionState) {
		select {
		case w.events <- stateAt{s, time.Now()}:
		default: // the test stopped listening
		}
	})
	return w
}

// next returns the next state change, or fails the test after limit.
func (w *stateWatch) next(t *testing.T, limit time.Duration) stateAt {
	t.Helper()
	select {
	case e := <-w.events:
		return e
	case <-time.After(limit):
		t.Fatalf("no state change within %v (state %v)", limit, w.pc.ConnectionState())
		panic("unreachable")
	}
}

// waitConnected waits for the first connected state and returns how long
// after start it came; it fails the test if failed comes first or if it
// does not come by start+limit.
func (w *stateWatch) waitConnected(t *testing.T, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		e := w.next(t, time.Until(start.Add(limit)))
		switch e.s {
		case PeerConnectionStateConnected:
			return e.at.Sub(start)
		case PeerConnectionStateFailed:
			t.Fatalf("failed after %v: %v", e.at.Sub(start), w.pc.Err())
		}
	}
}
