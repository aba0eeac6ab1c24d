package chanrtc

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/internal/netsim"
)

// waitFor waits for ch or fails the test after limit.
func waitFor[T any](t *testing.T, ch <-chan T, limit time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(limit):
		t.Fatalf("no %s within %v", what, limit)
		panic("unreachable")
	}
}

// TestConnectUnderHeavyLoss: at 25% loss and 80 ms delay each way, ICE,
// DTLS and SCTP still come up, and a DataChannel opens, within 30 s.
func TestConnectUnderHeavyLoss(t *testing.T) {
	const limit = 30 * time.Second
	for seed := uint64(1); seed <= 30; seed++ {
		synctest.Test(t, func(t *testing.T) {
			p := newSimPair(t, seed, nil)
			p.impair(netsim.Impairment{Loss: 0.25, Delay: 80 * time.Millisecond})
			opened := make(chan struct{})
			p.answerer.OnDataChannel(func(dc *DataChannel) { close(opened) })
			c := newEchoClient(t, p.offerer, "x", nil)
			start := time.Now()
			signalNonTrickle(t, p.offerer, p.answerer)
			offConn := waitConnected(t, p.offerer, start, limit)
			ansConn := waitConnected(t, p.answerer, start, limit)
			waitFor(t, c.opened, limit-time.Since(start), "DataChannel open")
			waitFor(t, opened, limit-time.Since(start), "remote DataChannel")
			t.Logf("seed %d: connected after %v (offerer) / %v (answerer), DataChannel open after %v",
				seed, offConn.Round(time.Millisecond), ansConn.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestVanishedPeerOnSimNetwork: when the remote's host drops off the
// network, consent freshness (RFC 7675) turns the connection disconnected
// within a few seconds and failed within about 30 s by default, and within
// the configured times when they are set.
func TestVanishedPeerOnSimNetwork(t *testing.T) {
	cases := []struct {
		name                string
		tweak               func(*Config)
		maxDisconn, maxFail time.Duration
	}{
		{name: "default", maxDisconn: 8 * time.Second, maxFail: 35 * time.Second},
		{name: "configured 1s/3s/200ms", tweak: func(c *Config) {
			c.ICEDisconnectedTimeout = time.Second
			c.ICEFailedTimeout = 3 * time.Second
			c.ICEKeepaliveInterval = 200 * time.Millisecond
		}, maxDisconn: 2 * time.Second, maxFail: 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newSimPair(t, 3, tc.tweak)
				p.impair(netsim.Impairment{Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond})
				p.answerer.OnDataChannel(echoOn)
				c := newEchoClient(t, p.offerer, "x", nil)
				start := time.Now()
				signalNonTrickle(t, p.offerer, p.answerer)
				waitConnected(t, p.offerer, start, 10*time.Second)
				waitFor(t, c.opened, 10*time.Second, "open")

				states := make(chan PeerConnectionState, 16)
				p.offerer.OnConnectionStateChange(func(s PeerConnectionState) { states <- s })
				time.Sleep(10 * time.Second) // a while of healthy traffic first
				if s := p.offerer.ConnectionState(); s != PeerConnectionStateConnected {
					t.Fatalf("state %v before the peer vanished", s)
				}
				p.ansHost.SetDown(true)
				gone := time.Now()
				var disconnected, failed time.Duration
				for failed == 0 {
					switch waitFor(t, states, 2*tc.maxFail, "state change") {
					case PeerConnectionStateDisconnected:
						disconnected = time.Since(gone)
					case PeerConnectionStateFailed:
						failed = time.Since(gone)
					case PeerConnectionStateConnected:
						t.Fatalf("connected again after %v with the peer gone", time.Since(gone))
					}
				}
				t.Logf("%s: disconnected after %v, failed after %v (virtual time); DataChannel then %v",
					tc.name, disconnected, failed, c.dc.ReadyState())
				if disconnected == 0 || disconnected > tc.maxDisconn {
					t.Fatalf("disconnected after %v, want within %v", disconnected, tc.maxDisconn)
				}
				if failed > tc.maxFail {
					t.Fatalf("failed after %v, want within %v", failed, tc.maxFail)
				}
			})
		})
	}
}
