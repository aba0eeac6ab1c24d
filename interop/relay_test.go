package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// udpRelay stands between chanrtc and pion on 127.0.0.1, like a link that
// loses packets: each peer is told (by rewriting the candidate in the
// description it receives) that the other is at one of the relay's ports,
// so every datagram goes through the relay, which forwards it from its
// other port. dropC and dropP pick what it loses of what chanrtc and pion
// send (each is called by one goroutine only; nil loses nothing).
type udpRelay struct {
	toC *net.UDPConn // chanrtc sends here: pion's address as chanrtc sees it
	toP *net.UDPConn // pion sends here: chanrtc's address as pion sees it

	mu           sync.Mutex
	cAddr, pAddr *net.UDPAddr // the peers' real addresses

	wg sync.WaitGroup

	fromC, fromP atomic.Uint64 // datagrams forwarded or dropped
	dropped      atomic.Uint64
}

// newRelay opens the relay's two sockets; its cleanup closes them and
// waits for its goroutines.
func newRelay(t *testing.T, dropC, dropP func([]byte) bool) *udpRelay {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadBuffer(1 << 20)
		_ = c.SetWriteBuffer(1 << 20)
		return c
	}
	r := &udpRelay{toC: listen(), toP: listen()}
	r.wg.Go(func() { r.forward(r.toC, r.toP, func() *net.UDPAddr { return r.peer(&r.pAddr) }, &r.fromC, dropC) })
	r.wg.Go(func() { r.forward(r.toP, r.toC, func() *net.UDPAddr { return r.peer(&r.cAddr) }, &r.fromP, dropP) })
	t.Cleanup(func() {
		r.toC.Close()
		r.toP.Close()
		r.wg.Wait()
	})
	return r
}

func (r *udpRelay) peer(a **net.UDPAddr) *net.UDPAddr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return *a
}

// forward copies datagrams arriving on in to the peer, out of out.
func (r *udpRelay) forward(in, out *net.UDPConn, to func() *net.UDPAddr, count *atomic.Uint64, drop func([]byte) bool) {
	buf := make([]byte, 64<<10)
	for {
		n, _, err := in.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		count.Add(1)
		if drop != nil && drop(buf[:n]) {
			r.dropped.Add(1)
			continue
		}
		if dst := to(); dst != nil {
			_, _ = out.WriteToUDP(buf[:n], dst)
		}
	}
}

// candidateRE matches the address of a UDP host candidate on 127.0.0.1.
var candidateRE = regexp.MustCompile(`(?m)^(a=candidate:\S+ \d+ (?i:udp) \d+ 127\.0\.0\.1 )(\d+)( typ host)`)

// rewrite replaces the port of the candidates of a JSON description (all
// for one address) with the relay socket's, and returns the port it
// replaced.
func rewrite(desc []byte, via *net.UDPConn) ([]byte, int, error) {
	var d map[string]any
	if err := json.Unmarshal(desc, &d); err != nil {
		return nil, 0, err
	}
	sdp, _ := d["sdp"].(string)
	// One address: pion lists it again as component 2, which rtcp-mux
	// leaves unused.
	m := candidateRE.FindAllStringSubmatch(sdp, -1)
	for _, c := range m[min(1, len(m)):] {
		if c[2] != m[0][2] {
			return nil, 0, fmt.Errorf("want candidates on one 127.0.0.1 port, found %s and %s in:\n%s", m[0][2], c[2], sdp)
		}
	}
	if len(m) == 0 {
		return nil, 0, fmt.Errorf("no candidate on 127.0.0.1 in:\n%s", sdp)
	}
	port, err := strconv.Atoi(m[0][2])
	if err != nil {
		return nil, 0, err
	}
	relayPort := strconv.Itoa(via.LocalAddr().(*net.UDPAddr).Port)
	d["sdp"] = candidateRE.ReplaceAllString(sdp, "${1}"+relayPort+"${3}")
	out, err := json.Marshal(d)
	return out, port, err
}

// signalThroughRelay runs a non-trickle offer/answer between chanrtc and
// pion (either one offering), each told that the other is at the relay.
func signalThroughRelay(t *testing.T, r *udpRelay, offerer, answerer endpoint) {
	t.Helper()
	signalThroughRelayWith(t, r, offerer, answerer, endpoint.createOffer)
}

// signalThroughRelayWith is signalThroughRelay with the offer made by
// createOffer (an ICE restart offer, say).
func signalThroughRelayWith(t *testing.T, r *udpRelay, offerer, answerer endpoint, createOffer func(endpoint) ([]byte, error)) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// relayed waits for e's complete description and points it at the
	// relay, remembering e's real address.
	relayed := func(e endpoint) []byte {
		t.Helper()
		select {
		case <-e.gatheringComplete():
		case <-time.After(timeout):
			t.Fatalf("%s: gathering did not complete", e.name())
		}
		via, addr := r.toP, &r.cAddr // chanrtc's address, as pion will see it
		if _, ok := e.(pionEndpoint); ok {
			via, addr = r.toC, &r.pAddr
		}
		desc, port, err := rewrite(e.localDescription(), via)
		must(e.name()+" description", err)
		r.mu.Lock()
		*addr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
		r.mu.Unlock()
		return desc
	}
	offer, err := createOffer(offerer)
	must(offerer.name()+" CreateOffer", err)
	must(offerer.name()+" SetLocalDescription(offer)", offerer.setLocal(offer))
	must(answerer.name()+" SetRemoteDescription(offer)", answerer.setRemote(relayed(offerer)))
	answer, err := answerer.createAnswer()
	must(answerer.name()+" CreateAnswer", err)
	must(answerer.name()+" SetLocalDescription(answer)", answerer.setLocal(answer))
	must(offerer.name()+" SetRemoteDescription(answer)", offerer.setRemote(relayed(answerer)))
}

// rtpHeader parses the clear header of an SRTP packet; ok is false for
// anything else (STUN, DTLS, SRTCP).
func rtpHeader(b []byte) (h rtp.Header, ok bool) {
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
		return h, false
	}
	if _, err := h.Unmarshal(b); err != nil {
		return h, false
	}
	return h, true
}
