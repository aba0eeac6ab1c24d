package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/stun/v4"
	pionnet "github.com/pion/transport/v5"
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
	// Net, when set, replaces the operating system's network (a test hook
	// for an in-memory network); DropOutgoing does not apply to it.
	Net pionnet.Net
}

// ICEEvent is what the ICE layer reports: exactly one field is meaningful.
type ICEEvent struct {
	Candidate        string // "candidate:..." of a newly gathered local candidate
	GatheringDone    bool
	State            ice.ConnectionState
	StateChanged     bool
	SelectedPairDesc string
	// Generation is the ICE generation a Candidate or GatheringDone belongs
	// to: 0 at first, one more after each Restart.
	Generation uint64
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
	// generation counts Restarts. It is written by the owner and read on
	// the agent's notifier goroutine to tag candidate events.
	generation atomic.Uint64
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
	// A pair is given up after this many unanswered requests. pion's 7 at
	// its 200 ms pace allow 1.4 s; at 50 ms they would allow 0.35 s, which
	// a loaded host (a thousand connections starting together) exceeds,
	// and both agents then stop checking their only pair and sit in
	// "checking" until the failed timeout. 40 requests allow 2 s.
	maxRequests := uint16(40)
	ac.MaxBindingRequests = &maxRequests
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
	if cfg.Net != nil {
		ac.Net = cfg.Net
	} else if ac.Net, err = newBufferedNet(cfg.DropOutgoing); err != nil {
		return nil, fmt.Errorf("chanrtc: network: %w", err)
	}
	agent, err := ice.NewAgent(ac)
	if err != nil {
		return nil, fmt.Errorf("chanrtc: ICE agent: %w", err)
	}
	t := &ICE{agent: agent, closing: make(chan struct{})}
	send := func(ev ICEEvent) { deliver(ev, t.closing) }
	// Candidate events of a generation before a Restart may still be
	// queued in pion's notifier, which calls this handler for one event at
	// a time, in order; seen lists what it passed on of the current
	// generation.
	var (
		seenGen uint64
		seen    []ice.Candidate
	)
	if err := agent.OnCandidate(func(c ice.Candidate) {
		// Load the generation before looking at the agent: an event that
		// passes the checks but was queued before a Restart then carries
		// the old generation, and the owner drops it.
		gen := t.generation.Load()
		if gen != seenGen {
			seenGen, seen = gen, nil
		}
		local, err := agent.GetLocalCandidates()
		if err != nil {
			return
		}
		if c != nil {
			// A candidate a Restart closed is no longer the agent's.
			if !slices.Contains(local, c) {
				return
			}
			seen = append(seen, c)
			send(ICEEvent{Candidate: "candidate:" + c.Marshal(), Generation: gen})
			return
		}
		// The end of a gathering that a Restart abandoned comes before the
		// new generation's candidates: the new gathering is not complete
		// yet, or it is but its candidates have not all been passed on.
		state, err := agent.GetGatheringState()
		if err != nil || state != ice.GatheringStateComplete ||
			slices.ContainsFunc(local, func(x ice.Candidate) bool { return !slices.Contains(seen, x) }) {
			return
		}
		send(ICEEvent{GatheringDone: true, Generation: gen})
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
func (t *ICE) Start(controlling bool, remoteUfrag, remotePwd string) (*ICEConn, error) {
	var (
		c   *ice.Conn
		err error
	)
	if controlling {
		c, err = t.agent.StartDial(remoteUfrag, remotePwd)
	} else {
		c, err = t.agent.StartAccept(remoteUfrag, remotePwd)
	}
	if err != nil {
		return nil, err
	}
	return &ICEConn{Conn: c}, nil
}

// Restart begins a new ICE generation (RFC 8445 §2.4, RFC 8839
// §4.4.1.1.1) with new local credentials, and returns its number. The agent
// drops its candidates, their sockets and the selected pair, and forgets
// the remote's credentials; it stays in its role and, once started, goes
// back to checking. The caller then gathers again (Gather) and gives the
// remote's new credentials (SetRemoteCredentials) and candidates once it
// has them. The connection returned by Start stays the same: what the
// layers above send while there is no pair is lost (see ICEConn).
func (t *ICE) Restart(ufrag, pwd string) (uint64, error) {
	if err := t.agent.Restart(ufrag, pwd); err != nil {
		return 0, fmt.Errorf("chanrtc: ICE restart: %w", err)
	}
	// After the agent's Restart, so that an event tagged with the new
	// generation was checked against the new agent state.
	return t.generation.Add(1), nil
}

// SetRemoteCredentials gives the agent the remote's ufrag and password of
// the current generation (after a Restart).
func (t *ICE) SetRemoteCredentials(ufrag, pwd string) error {
	return t.agent.SetRemoteCredentials(ufrag, pwd)
}

// ICEConn is the ICE connection as the layers above use it. During an ICE
// restart there is a moment without a candidate pair; a datagram written
// then is lost, as on a path without a route, instead of failing the
// writer: DTLS and SCTP take a write error as the end of their connection,
// while their retransmissions repair the loss once the new pair is up.
type ICEConn struct {
	*ice.Conn
}

// Write sends b on the selected pair, or loses it when there is none.
func (c *ICEConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if errors.Is(err, ice.ErrNoCandidatePairs) {
		return len(b), nil
	}
	return n, err
}

// AddRemoteCandidate adds one "candidate:..." line from the remote.
// .local (mDNS) candidates are resolved by the agent as browsers send them.
func (t *ICE) AddRemoteCandidate(line string) error {
	c, err := parseCandidate(line)
	if err != nil {
		return err
	}
	return t.agent.AddRemoteCandidate(c)
}

// CheckCandidate reports whether a remote candidate line parses, so that
// a candidate kept until the agent can take it is refused as soon as it
// arrives, not dropped later where nobody hears of it.
func CheckCandidate(line string) error {
	_, err := parseCandidate(line)
	return err
}

func parseCandidate(line string) (ice.Candidate, error) {
	c, err := ice.UnmarshalCandidate(line)
	if err != nil {
		return nil, fmt.Errorf("bad ICE candidate %q: %w", line, err)
	}
	return c, nil
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
