//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"testing"
	"time"
)

// TestVanishedPeerIsDetected: once the remote is gone, consent freshness
// (RFC 7675) moves the connection to disconnected and then failed within
// the configured times, and open channels close.
func TestVanishedPeerIsDetected(t *testing.T) {
	checkLeaks(t)
	cfg := testConfig()
	cfg.ICEDisconnectedTimeout = 500 * time.Millisecond
	cfg.ICEFailedTimeout = 1500 * time.Millisecond
	cfg.ICEKeepaliveInterval = 100 * time.Millisecond
	offerer, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer offerer.Close()
	answerer := newTestPC(t)
	answerer.OnDataChannel(echoOn)
	c := newEchoClient(t, offerer, "x", nil)
	states := make(chan PeerConnectionState, 10)
	offerer.OnConnectionStateChange(func(s PeerConnectionState) { states <- s })
	closed := make(chan struct{})
	c.dc.OnClose(func() { close(closed) })
	signalNonTrickle(t, offerer, answerer)
	recv(t, c.opened, "open")
	for s := recv(t, states, "connected"); s != PeerConnectionStateConnected; s = recv(t, states, "connected") {
	}

	answerer.Close()
	gone := time.Now()
	recv(t, closed, "channel close")
	var disconnected, failed time.Duration
	for failed == 0 {
		switch recv(t, states, "state") {
		case PeerConnectionStateDisconnected:
			disconnected = time.Since(gone)
		case PeerConnectionStateFailed:
			failed = time.Since(gone)
		}
	}
	t.Logf("disconnected after %v, failed after %v", disconnected, failed)
	if disconnected == 0 || disconnected > 3*time.Second {
		t.Fatalf("disconnected after %v", disconnected)
	}
	if failed > 6*time.Second {
		t.Fatalf("failed after %v", failed)
	}
}
