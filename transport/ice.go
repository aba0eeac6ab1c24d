package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
)

// ICEServer is one STUN or TURN server (RFC 7064/7065 URIs).
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// MDNSMode says what ICE does with multicast DNS (.local) candidates.
type MDNSMode int

const (
	// MDNSQueryOnly resolves remote .local candidates, as browsers send
	// them, and gathers host candidates as plain IPs.
	MDNSQueryOnly MDNSMode = iota
	// MDNSDisabled ignores .local candidates and opens no mDNS socket.
	MDNSDisabled
	// MDNSGather also hides our host addresses behind .local names.
	MDNSGather
)

// ICEConfig configures the ICE layer.
type ICEConfig struct {
	Servers         []ICEServer
	RelayOnly       bool
	LoopbackOnly    bool // gather only 127.0.0.1 host candidates (plus relays)
	IPFilter        func(net.IP) bool
	InterfaceFilter func(string) bool
	MDNS            MDNSMode
	Ufrag, Pwd      string

	DisconnectedTimeout time.Duration
	FailedTimeout       time.Duration
	KeepaliveInterval   time.Duration

	Logger *slog.Logger

	// DropOutgoing, when set, loses the outgoing datagrams it picks (a test
	// hook for loss between peers on one machine).
	DropOutgoing func([]byte) bool
}

// ICEEvent is what the ICE layer reports: exactly one field is meaningful.
type ICEEvent struct {
	Candidate        string // "candidate:..." of a newly gathered local candidate
	GatheringDone    bool
	State            ice.ConnectionState
	StateChanged     bool
	SelectedPairDesc string
}

// ErrBadICEServer is returned for an ICE server URL that cannot be used.
var ErrBadICEServer = errors.New("chanrtc: bad ICE server")

// ICE adapts a pion/ice agent. The agent runs its own loop (the ICE actor);
// its callbacks are turned into ICEEvents handed to deliver, which may block
// until the owner takes them — the owner never waits on the agent's
// callbacks, and Close releases any delivery in progress.
type ICE struct {
	agent   *ice.Agent
	closing chan struct{}
	closed  bool
}

// NewICE creates the agent. deliver is called from the agent's notifier
// goroutine with each event, in order; it gets a channel that is closed when
// the ICE layer is closing, so that it never blocks past Close.
func NewICE(cfg ICEConfig, deliver func(ev ICEEvent, closing <-chan struct{})) (*ICE, error) {
	urls, err := ParseICEServers(cfg.Servers)
	if err != nil {
		return nil, err
	}
	ac := &ice.AgentConfig{
		Urls:          urls,
		LocalUfrag:    cfg.Ufrag,
		LocalPwd:      cfg.Pwd,
		NetworkTypes:  []ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeUDP6},
		LoggerFactory: pionLogger(cfg.Logger),
	}
	// Check pacing at RFC 8445's Ta of 50 ms: pion's 200 ms default delays
	// nomination, and so every connection's setup, by up to a tick.
	checkInterval := 50 * time.Millisecond
	ac.CheckInterval = &checkInterval
	if cfg.DisconnectedTimeout > 0 {
		ac.DisconnectedTimeout = &cfg.DisconnectedTimeout
	}
	if cfg.FailedTimeout > 0 {
		ac.FailedTimeout = &cfg.FailedTimeout
	}
	if cfg.KeepaliveInterval > 0 {
		ac.KeepaliveInterval = &cfg.KeepaliveInterval
	}
	switch cfg.MDNS {
	case MDNSDisabled:
		ac.MulticastDNSMode = ice.MulticastDNSModeDisabled
	case MDNSGather:
		ac.MulticastDNSMode = ice.MulticastDNSModeQueryAndGather
	default:
		ac.MulticastDNSMode = ice.MulticastDNSModeQueryOnly
	}
	if cfg.RelayOnly {
		ac.CandidateTypes = []ice.CandidateType{ice.CandidateTypeRelay}
	}
	ac.IPFilter = cfg.IPFilter
	ac.InterfaceFilter = cfg.InterfaceFilter
	if cfg.LoopbackOnly {
		ac.IncludeLoopback = true
		ac.NetworkTypes = []ice.NetworkType{ice.NetworkTypeUDP4}
		userFilter := cfg.IPFilter
		ac.IPFilter = func(ip net.IP) bool {
			return ip.Equal(net.IPv4(127, 0, 0, 1)) && (userFilter == nil || userFilter(ip))
		}
		userIface := cfg.InterfaceFilter
		ac.InterfaceFilter = func(name string) bool {
			return name == "lo" && (userIface == nil || userIface(name))
		}
	}
	if ac.Net, err = newBufferedNet(cfg.DropOutgoing); err != nil {
		return nil, fmt.Errorf("chanrtc: network: %w", err)
	}
	agent, err := ice.NewAgent(ac)
	if err != nil {
		return nil, fmt.Errorf("chanrtc: ICE agent: %w", err)
	}
	t := &ICE{agent: agent, closing: make(chan struct{})}
	send := func(ev ICEEvent) { deliver(ev, t.closing) }
	if err := agent.OnCandidate(func(c ice.Candidate) {
		if c == nil {
			send(ICEEvent{GatheringDone: true})
			return
		}
		send(ICEEvent{Candidate: "candidate:" + c.Marshal()})
	}); err != nil {
		_ = agent.Close()
		return nil, err
	}
	if err := agent.OnConnectionStateChange(func(s ice.ConnectionState) {
		send(ICEEvent{State: s, StateChanged: true})
	}); err != nil {
		_ = agent.Close()
		return nil, err
	}
	if err := agent.OnSelectedCandidatePairChange(func(l, r ice.Candidate) {
		send(ICEEvent{SelectedPairDesc: l.String() + " <-> " + r.String()})
	}); err != nil {
		_ = agent.Close()
		return nil, err
	}
	return t, nil
}

// Gather starts gathering local candidates; they arrive as events.
func (t *ICE) Gather() error { return t.agent.GatherCandidates() }

// Start begins connectivity checks in the given role and returns the
// connection, which becomes readable once a pair is selected.
func (t *ICE) Start(controlling bool, remoteUfrag, remotePwd string) (*ice.Conn, error) {
	if controlling {
		return t.agent.StartDial(remoteUfrag, remotePwd)
	}
	return t.agent.StartAccept(remoteUfrag, remotePwd)
}

// AddRemoteCandidate adds one "candidate:..." line from the remote.
// .local (mDNS) candidates are resolved by the agent as browsers send them.
func (t *ICE) AddRemoteCandidate(line string) error {
	c, err := ice.UnmarshalCandidate(line)
	if err != nil {
		return fmt.Errorf("chanrtc: bad ICE candidate %q: %w", line, err)
	}
	return t.agent.AddRemoteCandidate(c)
}

// Close closes the agent and waits for its goroutines, first releasing any
// event delivery that is waiting for the owner.
func (t *ICE) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	close(t.closing)
	return t.agent.GracefulClose()
}

// ParseICEServers checks and converts ICE server URLs (RFC 7064/7065).
func ParseICEServers(servers []ICEServer) ([]*stun.URI, error) {
	var out []*stun.URI
	for _, s := range servers {
		for _, raw := range s.URLs {
			u, err := stun.ParseURI(raw)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %v", ErrBadICEServer, raw, err)
			}
			if u.Scheme == stun.SchemeTypeTURN || u.Scheme == stun.SchemeTypeTURNS {
				if s.Username == "" || s.Credential == "" {
					return nil, fmt.Errorf("%w: %q needs a username and credential", ErrBadICEServer, raw)
				}
				u.Username, u.Password = s.Username, s.Credential
			}
			out = append(out, u)
		}
	}
	return out, nil
}

func pionLogger(l *slog.Logger) logging.LoggerFactory {
	return &slogFactory{l: l}
}
