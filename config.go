package chanrtc

import (
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/chanrtc/chanrtc/transport"
	pionnet "github.com/pion/transport/v5"
)

// ICEServer is a STUN or TURN server (RTCIceServer).
type ICEServer struct {
	URLs       []string // stun:host:port, turn:host:port?transport=udp, turns:...
	Username   string   // TURN only
	Credential string   // TURN only
}

// ICETransportPolicy is RTCIceTransportPolicy.
type ICETransportPolicy int

const (
	// ICETransportPolicyAll uses every candidate type.
	ICETransportPolicyAll ICETransportPolicy = iota
	// ICETransportPolicyRelay uses TURN relay candidates only.
	ICETransportPolicyRelay
)

// MDNSMode says what ICE does with multicast DNS (.local) candidates.
type MDNSMode = transport.MDNSMode

// mDNS modes.
const (
	// MDNSQueryOnly (the default) resolves remote .local candidates, as
	// browsers send them, and gathers host candidates as plain IPs.
	MDNSQueryOnly = transport.MDNSQueryOnly
	// MDNSDisabled ignores .local candidates and opens no mDNS socket.
	MDNSDisabled = transport.MDNSDisabled
	// MDNSGather also hides our host addresses behind .local names.
	MDNSGather = transport.MDNSGather
)

// Config configures a PeerConnection. The zero value is a working default.
type Config struct {
	ICEServers         []ICEServer
	ICETransportPolicy ICETransportPolicy

	// Certificate is the DTLS identity. Nil: a fresh ECDSA P-256
	// certificate per PeerConnection (see GenerateCertificate to keep one).
	Certificate *tls.Certificate

	// LoopbackOnly gathers only 127.0.0.1 host candidates (plus relay
	// candidates from ICEServers): for tests and checks that must not
	// leave the machine.
	LoopbackOnly bool
	// IPFilter and InterfaceFilter restrict host candidates.
	IPFilter        func(net.IP) bool
	InterfaceFilter func(string) bool
	// MDNS is the multicast DNS mode; the zero value resolves remote .local
	// candidates.
	MDNS MDNSMode

	// Consent freshness (RFC 7675): how long without an answer from the
	// remote before the connection is disconnected, then failed, and how
	// often to check. Zero values mean 5 s, 25 s and 2 s.
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	ICEKeepaliveInterval   time.Duration

	// MaxMessageSize is the largest DataChannel message we accept, as
	// advertised in a=max-message-size. Zero means 1 MiB.
	MaxMessageSize uint32
	// SCTPReceiveBuffer bounds the SCTP receive buffer (the window the
	// remote may fill). Zero means 4 MiB.
	SCTPReceiveBuffer uint32

	// Codecs are the media formats negotiated, in preference order; empty
	// means DefaultCodecs (H.264, Opus, PCMU, PCMA).
	Codecs []Codec

	// Logger receives diagnostics; nil means silent.
	Logger *slog.Logger

	// dropOutgoing is a test hook: it loses the datagrams it picks.
	dropOutgoing func([]byte) bool
	// testNet is a test hook: the network ICE gathers and sends on (an
	// internal/netsim host) instead of the operating system's.
	testNet pionnet.Net
}

const (
	defaultMaxMessageSize    = 1 << 20
	defaultSCTPReceiveBuffer = 4 << 20
)

func (c Config) maxMessageSize() uint32 {
	if c.MaxMessageSize == 0 {
		return defaultMaxMessageSize
	}
	return c.MaxMessageSize
}

func (c Config) sctpReceiveBuffer() uint32 {
	b := c.SCTPReceiveBuffer
	if b == 0 {
		b = defaultSCTPReceiveBuffer
	}
	// A whole message must fit in the receive buffer to be reassembled.
	return max(b, c.maxMessageSize()+64<<10)
}

func (c Config) iceConfig(ufrag, pwd string) transport.ICEConfig {
	servers := make([]transport.ICEServer, len(c.ICEServers))
	for i, s := range c.ICEServers {
		servers[i] = transport.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential}
	}
	return transport.ICEConfig{
		Servers:             servers,
		RelayOnly:           c.ICETransportPolicy == ICETransportPolicyRelay,
		LoopbackOnly:        c.LoopbackOnly,
		IPFilter:            c.IPFilter,
		InterfaceFilter:     c.InterfaceFilter,
		MDNS:                c.MDNS,
		Ufrag:               ufrag,
		Pwd:                 pwd,
		DisconnectedTimeout: c.ICEDisconnectedTimeout,
		FailedTimeout:       c.ICEFailedTimeout,
		KeepaliveInterval:   c.ICEKeepaliveInterval,
		Logger:              c.Logger,
		DropOutgoing:        c.dropOutgoing,
		Net:                 c.testNet,
	}
}

// GenerateCertificate makes an ECDSA P-256 certificate for Config.Certificate,
// for a device that keeps its DTLS identity (and so its fingerprint) across
// connections.
func GenerateCertificate() (tls.Certificate, error) { return transport.NewCertificate() }
