//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/pion/turn/v5"
)

// startTURN runs a TURN server on 127.0.0.1 that relays on 127.0.0.1 and
// accepts user/pass.
// startTURN runs a TURN server on 127.0.0.1 that clients reach over
// transport ("udp" or "tcp"; relays are UDP either way, RFC 6062 aside)
// and returns its URL.
func startTURN(t *testing.T, transport string) string {
	t.Helper()
	relay := &turn.RelayAddressGeneratorStatic{RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1"}
	cfg := turn.ServerConfig{
		Realm: "chanrtc.test",
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			if ra.Username != "user" {
				return "", nil, false
			}
			return ra.Username, turn.GenerateAuthKey(ra.Username, ra.Realm, "pass"), true
		},
	}
	var addr net.Addr
	switch transport {
	case "udp":
		udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = udp.LocalAddr()
		cfg.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: relay}}
	case "tcp":
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = ln.Addr()
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relay}}
	default:
		t.Fatalf("TURN transport %q", transport)
	}
	srv, err := turn.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return fmt.Sprintf("turn:%s?transport=%s", addr, transport)
}

// TestRelayOnlyOverTURN: with the relay policy both peers gather only
// relay candidates and connect through the TURN server, reached over UDP
// and, as on networks that let only TCP out, over TCP.
func TestRelayOnlyOverTURN(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) { testRelayOnly(t, transport) })
	}
}

func testRelayOnly(t *testing.T, transport string) {
	checkLeaks(t)
	url := startTURN(t, transport)
	cfg := testConfig()
	cfg.ICEServers = []ICEServer{{URLs: []string{url}, Username: "user", Credential: "pass"}}
	cfg.ICETransportPolicy = ICETransportPolicyRelay
	offerer, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer offerer.Close()
	answerer, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer answerer.Close()
	answerer.OnDataChannel(echoOn)
	c := newEchoClient(t, offerer, "relayed", nil)
	signalNonTrickle(t, offerer, answerer)
	for _, pc := range []*PeerConnection{offerer, answerer} {
		cands := 0
		for _, l := range strings.Split(pc.LocalDescription().SDP, "\r\n") {
			if strings.HasPrefix(l, "a=candidate:") {
				cands++
				if !strings.Contains(l, " typ relay") {
					t.Fatalf("relay policy gathered %q", l)
				}
			}
		}
		if cands == 0 {
			t.Fatal("no relay candidate gathered")
		}
	}
	recv(t, c.opened, "open over TURN")
	if err := c.dc.SendText("via relay"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c.got, "echo"); string(m.Data) != "via relay" {
		t.Fatalf("got %q", m.Data)
	}
	offerer.Close()
	answerer.Close()
}

func TestTURNWrongCredentialsGathersNoRelay(t *testing.T) {
	checkLeaks(t)
	url := startTURN(t, "udp")
	cfg := testConfig()
	cfg.ICEServers = []ICEServer{{URLs: []string{url}, Username: "user", Credential: "wrong"}}
	cfg.ICETransportPolicy = ICETransportPolicyRelay
	pc, err := NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.CreateDataChannel("x", nil); err != nil {
		t.Fatal(err)
	}
	offer, _ := pc.CreateOffer()
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, pc)
	if strings.Contains(pc.LocalDescription().SDP, "a=candidate:") {
		t.Fatal("gathered a candidate with wrong TURN credentials")
	}
}

func TestICEServerValidation(t *testing.T) {
	for _, s := range []ICEServer{
		{URLs: []string{"http://example.org"}},
		{URLs: []string{"turn:127.0.0.1:3478"}}, // no credentials
		{URLs: []string{"stun:"}},
	} {
		if _, err := NewPeerConnection(Config{ICEServers: []ICEServer{s}}); !errors.Is(err, ErrBadICEServer) {
			t.Errorf("%v: err %v, want ErrBadICEServer", s.URLs, err)
		}
	}
	pc, err := NewPeerConnection(Config{ICEServers: []ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}})
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
}
