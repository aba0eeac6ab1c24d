//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/internal/netsim"
)

// TestICERestartAfterAddressChange: the answerer's device moves to another
// network (a new address; its old sockets are cut off) while a reliable
// DataChannel streams. Consent freshness sees the path die, the offerer's
// application restarts ICE, both sides gather on their current addresses,
// and the connection comes back over the new path with every message
// delivered once, in order.
func TestICERestartAfterAddressChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 1 << 10
		p := newSimPair(t, 21, nil)
		p.impair(netsim.Impairment{Loss: 0.01, Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond})

		var next uint32 // owned by the answerer's event goroutine
		bad := make(chan error, 1)
		p.answerer.OnDataChannel(func(dc *DataChannel) {
			dc.OnMessage(func(m DataChannelMessage) {
				seq, err := checkNumbered(m.Data, size)
				if err == nil && seq != next {
					err = fmt.Errorf("message %d arrived when %d was due", seq, next)
				}
				if err != nil {
					select {
					case bad <- err:
					default:
					}
					return
				}
				next++
			})
		})
		delivered := func() uint32 {
			n := make(chan uint32, 1)
			p.answerer.emitter.Emit(func() { n <- next })
			return <-n
		}
		c := newEchoClient(t, p.offerer, "stream", nil)
		offStates := watchConnStates(p.offerer)
		start := time.Now()
		signalNonTrickle(t, p.offerer, p.answerer)
		offStates.waitConnected(t, start, 10*time.Second)
		recvWithin(t, c.opened, 10*time.Second, "open")

		// 50 messages a second, all along.
		stop := make(chan struct{})
		sent := make(chan uint32, 1)
		go func() {
			n := uint32(0)
			defer func() { sent <- n }()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if err := c.dc.Send(numbered(n, size)); err != nil {
						t.Errorf("send %d: %v", n, err)
						return
					}
					n++
				}
			}
		}()
		time.Sleep(10 * time.Second)
		before := delivered()

		oldAddr := p.ansHost.Addr()
		newAddr := p.net.Move(p.ansHost)
		moved := time.Now()
		for e := offStates.next(t, time.Minute); e.s != PeerConnectionStateDisconnected; e = offStates.next(t, time.Minute) {
			if e.s == PeerConnectionStateFailed {
				t.Fatalf("failed before disconnected")
			}
		}
		detected := time.Since(moved)
		stalled := delivered()

		// The application restarts ICE as soon as it sees disconnected.
		restarted := time.Now()
		offer, err := p.offerer.CreateOffer(OfferOptions{ICERestart: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.offerer.SetLocalDescription(offer); err != nil {
			t.Fatal(err)
		}
		waitGathered(t, p.offerer)
		if err := p.answerer.SetRemoteDescription(*p.offerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
		answer, err := p.answerer.CreateAnswer()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.answerer.SetLocalDescription(answer); err != nil {
			t.Fatal(err)
		}
		waitGathered(t, p.answerer)
		if err := p.offerer.SetRemoteDescription(*p.answerer.LocalDescription()); err != nil {
			t.Fatal(err)
		}
		back := offStates.waitConnected(t, restarted, 30*time.Second)

		// Ten more seconds of streaming over the new path, then everything
		// sent must arrive.
		time.Sleep(10 * time.Second)
		close(stop)
		total := <-sent
		stopped := time.Now()
		for deadline := time.Now().Add(time.Minute); delivered() < total; time.Sleep(100 * time.Millisecond) {
			select {
			case err := <-bad:
				t.Fatal(err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d messages delivered after the restart", delivered(), total)
			}
		}
		select {
		case err := <-bad:
			t.Fatal(err)
		default:
		}
		if ans := p.answerer.LocalDescription().SDP; !containsAddr(ans, newAddr.String()) || containsAddr(ans, oldAddr.String()) {
			t.Fatalf("the restart answer does not carry the new address %v only:\n%s", newAddr, ans)
		}
		t.Logf("answerer moved %v -> %v: offerer disconnected after %v (delivery stalled at message %d; %d at the move); connected again %v after the restart began; all %d messages delivered once, in order, the last %v after the stream stopped",
			oldAddr, newAddr, detected.Round(time.Millisecond), stalled, before, back.Round(time.Millisecond), total, time.Since(stopped).Round(time.Millisecond))
	})
}

// containsAddr reports whether a candidate line of sdp has addr.
func containsAddr(sdp, addr string) bool { return strings.Contains(sdp, " "+addr+" ") }
