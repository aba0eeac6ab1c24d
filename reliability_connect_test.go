//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/internal/netsim"
)

// recvWithin waits for ch or fails the test after limit.
func recvWithin[T any](t *testing.T, ch <-chan T, limit time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(limit):
		t.Fatalf("no %s within %v", what, limit)
		panic("unreachable")
	}
}

// TestConnectUnderHeavyLoss: at 25% loss and 80 ms delay each way, on 100
// seeds, ICE and DTLS connect and the DataChannel opens on both sides.
// Every handshake retransmits on a doubling timer (DTLS and SCTP from 1 s;
// pion/sctp's RTO.Max is 60 s), so a run of losses has a tail no
// implementation avoids: all seeds must get there within 5 minutes and at
// least 85% within 30 s (about 95% do; the margin keeps the test from
// failing on scheduling noise, which reorders what the seeded links lose). Each connection then stays up for a minute on
// that path (consent checks may flap it to disconnected and back, never to
// failed).
func TestConnectUnderHeavyLoss(t *testing.T) {
	const seeds, target, limit = 100, 30 * time.Second, 5 * time.Minute
	var connected, opened []time.Duration
	flaps := 0
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newSimPair(t, seed, nil)
				p.impair(netsim.Impairment{Loss: 0.25, Delay: 80 * time.Millisecond})
				remoteOpen := make(chan struct{})
				p.answerer.OnDataChannel(func(dc *DataChannel) { close(remoteOpen) })
				c := newEchoClient(t, p.offerer, "x", nil)
				offStates, ansStates := watchConnStates(p.offerer), watchConnStates(p.answerer)
				start := time.Now()
				signalNonTrickle(t, p.offerer, p.answerer)
				offConn := offStates.waitConnected(t, start, limit)
				ansConn := ansStates.waitConnected(t, start, limit)
				recvWithin(t, c.opened, limit-time.Since(start), "DataChannel open")
				localOpen := time.Since(start)
				recvWithin(t, remoteOpen, limit-time.Since(start), "remote DataChannel")
				remoteOpened := time.Since(start)
				if remoteOpened > target {
					t.Logf("slow: connected after %v (offerer) / %v (answerer), DataChannel open after %v (offerer) / %v (answerer)",
						offConn.Round(time.Millisecond), ansConn.Round(time.Millisecond), localOpen.Round(time.Millisecond), remoteOpened.Round(time.Millisecond))
				}
				connected = append(connected, max(offConn, ansConn))
				opened = append(opened, remoteOpened)

				// A minute on the same path: it may flap, but never fails.
				end := time.Now().Add(time.Minute)
				for _, w := range []*stateWatch{offStates, ansStates} {
					for {
						select {
						case e := <-w.events:
							if e.s == PeerConnectionStateFailed {
								t.Fatalf("failed %v after connecting", e.at.Sub(start))
							}
							if e.s == PeerConnectionStateDisconnected {
								flaps++
							}
							continue
						case <-time.After(time.Until(end)):
						}
						break
					}
				}
			})
		})
	}
	if len(connected) < seeds {
		return // a seed failed and said why
	}
	within := func(ds []time.Duration) int {
		return sort.Search(len(ds), func(i int) bool { return ds[i] > target })
	}
	slices.Sort(connected)
	slices.Sort(opened)
	t.Logf("%d seeds at 25%% loss, 80 ms: connected (both sides) median %v, max %v, %d within %v; DataChannel open (both sides) median %v, max %v, %d within %v; %d flaps to disconnected in the following minute over all seeds",
		seeds, connected[seeds/2].Round(time.Millisecond), connected[seeds-1].Round(time.Millisecond), within(connected), target,
		opened[seeds/2].Round(time.Millisecond), opened[seeds-1].Round(time.Millisecond), within(opened), target, flaps)
	if n := within(connected); n < seeds*85/100 {
		t.Fatalf("only %d of %d seeds connected within %v", n, seeds, target)
	}
	if n := within(opened); n < seeds*85/100 {
		t.Fatalf("only %d of %d seeds opened the DataChannel within %v", n, seeds, target)
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
				states := watchConnStates(p.offerer)
				start := time.Now()
				signalNonTrickle(t, p.offerer, p.answerer)
				states.waitConnected(t, start, 10*time.Second)
				recvWithin(t, c.opened, 10*time.Second, "open")

				time.Sleep(10 * time.Second) // a while of healthy traffic first
				if s := p.offerer.ConnectionState(); s != PeerConnectionStateConnected {
					t.Fatalf("state %v before the peer vanished", s)
				}
				p.ansHost.SetDown(true)
				gone := time.Now()
				var disconnected, failed time.Duration
				for failed == 0 {
					switch e := states.next(t, 2*tc.maxFail); e.s {
					case PeerConnectionStateDisconnected:
						disconnected = e.at.Sub(gone)
					case PeerConnectionStateFailed:
						failed = e.at.Sub(gone)
					default:
						t.Fatalf("%v %v after the peer vanished", e.s, e.at.Sub(gone))
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
