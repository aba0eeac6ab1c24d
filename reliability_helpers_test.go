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

// waitConnected waits for pc to report connected and returns how long it
// took from start; it fails the test if failed comes first or limit passes.
func waitConnected(t *testing.T, pc *PeerConnection, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	states := make(chan PeerConnectionState, 16)
	pc.OnConnectionStateChange(func(s PeerConnectionState) { states <- s })
	deadline := time.After(limit)
	for {
		if pc.ConnectionState() == PeerConnectionStateConnected {
			return time.Since(start)
		}
		select {
		case s := <-states:
			if s == PeerConnectionStateFailed {
				t.Fatalf("failed after %v: %v", time.Since(start), pc.Err())
			}
		case <-deadline:
			t.Fatalf("not connected after %v (state %v)", limit, pc.ConnectionState())
		}
	}
}
