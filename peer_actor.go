package chanrtc

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
)

// The peer actor owns the JSEP state machine and the wiring of the layers.
// It never blocks on a layer that could be waiting for it: the ICE agent's
// callbacks, the DTLS actor and the SCTP actor post to its inbox, while it
// only calls the agent (which never waits on those callbacks) and asks the
// SCTP actor (which never waits on the peer).
type peerActor struct {
	pc          *PeerConnection
	cert        tls.Certificate
	fingerprint jsep.Fingerprint
	ufrag, pwd  string
	sessionID   uint64
	version     uint64

	signaling SignalingState
	// What we created last, so SetLocalDescription can find its parameters.
	created *localDesc
	// The applied descriptions; pending ones are replaced by current ones
	// when signaling returns to stable.
	local  *localDesc
	remote *remoteDesc

	ice              *transport.ICE
	gatherStarted    bool
	localCandidates  []string
	gatherComplete   bool
	remoteCandidates []remoteCandidate // waiting for the agent to take them
	iceStarted       bool
	// ICE generations (see icerestart.go).
	iceGen        uint64           // the agent's; older candidate events are dropped
	iceRemote     jsep.Credentials // the remote credentials the agent checks with
	restartWanted bool             // RestartICE: the next offer restarts ICE
	restarting    restartPhase
	controlling   bool
	iceState      ice.ConnectionState
	dtlsStarted   bool
	dtlsUp        bool
	dtlsClient    bool
	dtlsConn      net.Conn
	mux           *transport.Mux

	dataState         // data_on.go: the SCTP actor; empty when built with chanrtc_nodatachannel
	remoteClosed bool // the remote closed DTLS
	dtlsWatched  bool // a watcher reads DTLS (no SCTP was negotiated)
	wantData     bool // a DataChannel exists: offers carry an application section

	// Media.
	mediaState // media_on.go; empty when built with chanrtc_nomedia
	dataMID    string
	cname      string
	iceConn    *transport.ICEConn
	dtls       *dtls.Conn
}

type localDesc struct {
	typ      SDPType
	params   jsep.Local
	remote   *jsep.Description // for answers: the offer answered
	sdp      string
	firstMID string // the mid trickled candidates are signalled with
	firstIdx uint16 // and its m-line index
	own      *jsep.Description
}

// findTransport parses our own description to learn what it really says:
// the DTLS role an answer took (BuildAnswer fits it to the offer), which
// sections it rejected, and the section carrying the transport (the
// BUNDLE tag), whose mid trickled candidates are signalled with.
func (l *localDesc) findTransport() error {
	own, err := jsep.ParseDescription(l.sdp)
	if err != nil {
		return fmt.Errorf("chanrtc: our own description does not parse: %w", err)
	}
	l.own = own
	tag := ""
	if len(own.BundleMIDs) > 0 {
		tag = own.BundleMIDs[0]
	}
	for i, m := range own.Media {
		if tag == "" && !m.Rejected || m.MID == tag {
			l.firstMID, l.firstIdx = m.MID, uint16(i)
			return nil
		}
	}
	return nil
}

type remoteDesc struct {
	typ    SDPType
	parsed *jsep.Description
	sdp    string
}

type peerMsg interface{ peerMsg() }

type (
	createOffer struct {
		opts  OfferOptions
		reply chan<- descResult
	}
	restartICE   struct{ reply chan<- struct{} }
	createAnswer struct{ reply chan<- descResult }
	setLocal     struct {
		desc  SessionDescription
		reply chan<- error
	}
	setRemote struct {
		desc  SessionDescription
		reply chan<- error
	}
	addCandidate struct {
		init  ICECandidateInit
		reply chan<- error
	}
	iceEvent  struct{ ev transport.ICEEvent }
	dtlsReady struct{ conn *dtls.Conn }
	// dtlsClosed: the remote closed DTLS (close_notify) or it failed.
	dtlsClosed struct{ err error }
)

func (createOffer) peerMsg()  {}
func (restartICE) peerMsg()   {}
func (createAnswer) peerMsg() {}
func (setLocal) peerMsg()     {}
func (setRemote) peerMsg()    {}
func (addCandidate) peerMsg() {}
func (iceEvent) peerMsg()     {}
func (dtlsReady) peerMsg()    {}
func (dtlsClosed) peerMsg()   {}

func (a *peerActor) run(ctx context.Context) error {
	defer close(a.pc.done)
	defer a.closeICE()
	defer a.closeTracks()
	for {
		select {
		case m := <-a.pc.inbox:
			a.pc.sup.Checkpoint("peer")
			if err := a.handle(ctx, m); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func (a *peerActor) closeICE() {
	if a.ice != nil {
		_ = a.ice.Close()
	}
}

func (a *peerActor) handle(ctx context.Context, m peerMsg) error {
	switch m := m.(type) {
	case createOffer:
		d, err := a.createOffer(m.opts.ICERestart)
		m.reply <- descResult{desc: d, err: err}
	case restartICE:
		a.requestRestart()
		m.reply <- struct{}{}
	case createAnswer:
		d, err := a.createAnswer()
		m.reply <- descResult{desc: d, err: err}
	case setLocal:
		m.reply <- a.setLocal(ctx, m.desc)
	case setRemote:
		m.reply <- a.setRemote(ctx, m.desc)
	case addCandidate:
		m.reply <- a.addCandidate(m.init)
	case iceEvent:
		return a.onICE(ctx, m.ev)
	case dtlsReady:
		a.dtlsUp = true
		a.dtlsConn = m.conn
		a.dtls = m.conn
		// Senders first: an application that starts writing on connected
		// finds its tracks bound.
		if err := a.startMedia(ctx); err != nil {
			return err
		}
		a.updateConnState()
		if !a.negotiatedData() {
			// Nothing else reads DTLS records: watch for the remote's
			// close_notify, or it goes unnoticed until consent fails.
			a.dtlsWatched = true
			a.watchDTLS(m.conn)
		}
		return a.maybeStartSCTP(ctx)
	case dtlsClosed:
		if a.remoteClosed {
			return nil
		}
		a.remoteClosed = true
		a.closeTracks()
		a.updateConnState()
	default:
		if !a.handleMedia(ctx, m) && !a.handleData(m) {
			panic(fmt.Sprintf("peer actor: unknown message %T", m))
		}
	}
	return nil
}

func (a *peerActor) localParams() jsep.Local {
	a.version++
	return jsep.Local{
		SessionID:      a.sessionID,
		SessionVersion: a.version,
		ICEUfrag:       a.ufrag,
		ICEPwd:         a.pwd,
		Fingerprints:   []jsep.Fingerprint{a.fingerprint},
		MaxMessageSize: a.pc.cfg.maxMessageSize(),
	}
}

func (a *peerActor) createOffer(restart bool) (SessionDescription, error) {
	switch a.signaling {
	case SignalingStateStable, SignalingStateHaveLocalOffer:
	default:
		return SessionDescription{}, fmt.Errorf("%w: CreateOffer in %s", ErrInvalidState, a.signaling)
	}
	cred, err := a.offerCredentials(restart)
	if err != nil {
		return SessionDescription{}, err
	}
	p := a.localParams()
	p.ICEUfrag, p.ICEPwd = cred.Ufrag, cred.Pwd
	p.Setup = jsep.SetupActpass
	p.DataChannel = a.wantData || a.negotiatedData()
	a.offerMedia(&p)
	sdp, err := jsep.BuildOffer(p)
	if err != nil {
		return SessionDescription{}, err
	}
	a.created = &localDesc{typ: SDPTypeOffer, params: p, sdp: sdp}
	if err := a.created.findTransport(); err != nil {
		return SessionDescription{}, err
	}
	return SessionDescription{Type: SDPTypeOffer, SDP: sdp}, nil
}

func (a *peerActor) createAnswer() (SessionDescription, error) {
	if a.signaling != SignalingStateHaveRemoteOffer {
		return SessionDescription{}, fmt.Errorf("%w: CreateAnswer in %s", ErrInvalidState, a.signaling)
	}
	cred, err := a.answerCredentials()
	if err != nil {
		return SessionDescription{}, err
	}
	p := a.localParams()
	p.ICEUfrag, p.ICEPwd = cred.Ufrag, cred.Pwd
	// We take the DTLS client role when the offerer lets us choose: the
	// handshake then starts as soon as ICE connects (RFC 8842 §5.3). Once
	// the transport is up, an answer to a re-offer (an ICE restart too)
	// keeps the role we have: another role would mean a new DTLS
	// association (RFC 8842 §5), which browsers refuse.
	p.Setup = jsep.SetupActive
	if a.iceStarted && !a.dtlsClient {
		p.Setup = jsep.SetupPassive
	}
	p.NoData = !dataChannelsBuilt
	a.answerMedia(&p, a.remote.parsed)
	sdp, err := jsep.BuildAnswer(a.remote.parsed, p)
	if err != nil {
		return SessionDescription{}, err
	}
	// BuildAnswer may flip our role to fit the offer's a=setup: keep what
	// the answer really says.
	a.created = &localDesc{typ: SDPTypeAnswer, params: p, remote: a.remote.parsed, sdp: sdp}
	if err := a.created.findTransport(); err != nil {
		return SessionDescription{}, err
	}
	a.created.params.Setup = a.created.own.Setup
	return SessionDescription{Type: SDPTypeAnswer, SDP: sdp}, nil
}

// negotiatedData reports whether the applied descriptions carry an
// accepted application section.
func (a *peerActor) negotiatedData() bool {
	return dataChannelsBuilt && a.remote != nil && a.remote.parsed.Data != nil && a.local != nil
}

func (a *peerActor) setLocal(ctx context.Context, d SessionDescription) error {
	if d.Type == SDPTypeRollback {
		return a.rollback()
	}
	if d.SDP == "" {
		var err error
		switch {
		case d.Type == SDPTypeAnswer || d.Type == "" && a.signaling == SignalingStateHaveRemoteOffer:
			d, err = a.createAnswer()
		default:
			d, err = a.createOffer(false)
		}
		if err != nil {
			return err
		}
	}
	if err := checkTransition("SetLocalDescription", d.Type, a.signaling); err != nil {
		return err
	}
	if a.created == nil || a.created.typ != d.Type || a.created.sdp != d.SDP {
		return ErrModifiedSDP
	}
	if err := a.ensureICE(); err != nil {
		return err
	}
	a.local = a.created
	if d.Type == SDPTypeOffer {
		a.setSignaling(SignalingStateHaveLocalOffer)
	} else {
		a.setSignaling(SignalingStateStable)
	}
	if err := a.applyLocalCredentials(); err != nil {
		return err
	}
	a.publishLocal()
	if !a.gatherStarted {
		a.gatherStarted = true
		a.setGathering(ICEGatheringStateGathering)
		if err := a.ice.Gather(); err != nil {
			return fmt.Errorf("chanrtc: ICE gathering: %w", err)
		}
	}
	if d.Type == SDPTypeAnswer {
		a.applyNegotiation()
		return a.startTransports(ctx)
	}
	return nil
}

func (a *peerActor) rollback() error {
	switch a.signaling {
	case SignalingStateHaveLocalOffer:
		a.local = nil
		a.rollbackRestart()
	case SignalingStateHaveRemoteOffer:
		a.remote = nil
		a.pc.remoteDesc.Store(nil)
		a.rollbackRestart()
	default:
		return fmt.Errorf("%w: rollback in %s", ErrInvalidState, a.signaling)
	}
	a.setSignaling(SignalingStateStable)
	a.publishLocal()
	return nil
}

func (a *peerActor) setRemote(ctx context.Context, d SessionDescription) error {
	if d.Type == SDPTypeRollback {
		return a.rollback()
	}
	if err := checkTransition("SetRemoteDescription", d.Type, a.signaling); err != nil {
		return err
	}
	parsed, err := jsep.ParseDescription(d.SDP)
	if err != nil {
		return err
	}
	if err := a.checkRemote(d.Type, parsed); err != nil {
		return err
	}
	if err := a.ensureICE(); err != nil {
		return err
	}
	a.remote = &remoteDesc{typ: d.Type, parsed: parsed, sdp: d.SDP}
	a.pc.remoteDesc.Store(&SessionDescription{Type: d.Type, SDP: d.SDP})
	if d.Type == SDPTypeOffer && a.iceStarted && a.iceRemote.Restarts(parsed.Credentials()) {
		// The remote restarts ICE: our answer restarts the agent.
		a.restarting = restartAnswering
		a.remoteCandidates = nil
	}
	for _, c := range parsed.Candidates {
		if err := a.takeRemoteCandidate(c, ""); err != nil && a.pc.cfg.Logger != nil {
			a.pc.cfg.Logger.Warn("chanrtc: remote candidate ignored", "candidate", c, "err", err)
		}
	}
	if parsed.Data != nil {
		if err := a.prepareData(); err != nil {
			return err
		}
	}
	if d.Type == SDPTypeOffer {
		a.remoteMediaOffer(parsed)
		a.setSignaling(SignalingStateHaveRemoteOffer)
		return nil
	}
	a.setSignaling(SignalingStateStable)
	if a.restarting == restartOffered {
		// The answer to our restart offer: its credentials and candidates
		// are the remote's new generation.
		a.restarting = restartNone
		if err := a.useRemoteCredentials(); err != nil {
			return err
		}
	}
	a.applyNegotiation()
	return a.startTransports(ctx)
}

// checkTransition is the JSEP signaling state machine (RFC 8829 §3.2,
// without provisional answers): which description may be applied in which
// state. Rollback is handled before it.
func checkTransition(call string, typ SDPType, state SignalingState) error {
	var ok bool
	local := call == "SetLocalDescription"
	switch typ {
	case SDPTypeOffer:
		ok = state == SignalingStateStable ||
			local && state == SignalingStateHaveLocalOffer ||
			!local && state == SignalingStateHaveRemoteOffer
	case SDPTypeAnswer:
		ok = local && state == SignalingStateHaveRemoteOffer || !local && state == SignalingStateHaveLocalOffer
	default:
		return fmt.Errorf("%w: description type %q", ErrInvalidSDP, typ)
	}
	if !ok {
		return fmt.Errorf("%w: %s(%s) in %s", ErrInvalidState, call, typ, state)
	}
	return nil
}

// checkRemote rejects what we cannot satisfy, before any state changes.
func (a *peerActor) checkRemote(typ SDPType, d *jsep.Description) error {
	live := 0
	for _, m := range d.Media {
		if !m.Rejected {
			live++
		}
	}
	if live > 0 && (d.ICEUfrag == "" || d.ICEPwd == "") {
		return fmt.Errorf("%w: no ICE credentials", ErrUnsatisfiable)
	}
	if a.iceStarted && typ == SDPTypeAnswer && a.restarting != restartOffered && a.iceRemote.Restarts(d.Credentials()) {
		// Only an offer restarts ICE (RFC 8839 §4.4.1.1.1).
		return fmt.Errorf("%w: the answer changed the ICE credentials but our offer did not restart ICE", ErrUnsatisfiable)
	}
	if typ == SDPTypeAnswer && d.Setup == jsep.SetupActpass {
		return fmt.Errorf("%w: an answer must not use a=setup:actpass", ErrInvalidSDP)
	}
	// An answer that rejects our DataChannel section is fine: the
	// connection goes on without DataChannels.
	return nil
}

func (a *peerActor) addCandidate(c ICECandidateInit) error {
	if a.remote == nil {
		return fmt.Errorf("%w: AddICECandidate before SetRemoteDescription", ErrInvalidState)
	}
	if c.Candidate == "" {
		// End-of-candidates: nothing to do for a full ICE agent.
		a.showRemoteCandidate(c, "end-of-candidates")
		return nil
	}
	line, err := candidateLine(c.Candidate)
	if err != nil {
		return err
	}
	ufrag := ""
	if c.UsernameFragment != nil {
		ufrag = *c.UsernameFragment
	}
	if err := a.takeRemoteCandidate(line, ufrag); err != nil {
		return err
	}
	a.showRemoteCandidate(c, line)
	return nil
}

// showRemoteCandidate adds a candidate AddICECandidate took to the remote
// description RemoteDescription returns, as W3C remoteDescription has it.
func (a *peerActor) showRemoteCandidate(c ICECandidateInit, attr string) {
	d := a.pc.remoteDesc.Load()
	if d == nil {
		return
	}
	mid, index := "", -1
	if c.SDPMid != nil {
		mid = *c.SDPMid
	}
	if c.SDPMLineIndex != nil {
		index = int(*c.SDPMLineIndex)
	}
	a.pc.remoteDesc.Store(&SessionDescription{Type: d.Type, SDP: jsep.AddRemoteCandidate(d.SDP, mid, index, attr)})
}

func (a *peerActor) ensureICE() error {
	if a.ice != nil {
		return nil
	}
	pc := a.pc
	t, err := transport.NewICE(pc.cfg.iceConfig(a.ufrag, a.pwd), func(ev transport.ICEEvent, closing <-chan struct{}) {
		// Runs on the agent's notifier goroutine: wait for the peer actor,
		// but never past its end or the agent's close.
		defer pc.sup.Contain("ice")
		pc.sup.Checkpoint("ice")
		select {
		case pc.inbox <- iceEvent{ev: ev}:
		case <-pc.done:
		case <-closing:
		}
	})
	if err != nil {
		return err
	}
	a.ice = t
	return nil
}

// startTransports begins ICE checks once both descriptions are applied.
func (a *peerActor) startTransports(ctx context.Context) error {
	if a.iceStarted {
		if err := a.startMedia(ctx); err != nil {
			return err
		}
		return a.maybeStartSCTP(ctx)
	}
	r := a.remote.parsed
	if r.ICEUfrag == "" || r.Data == nil && !a.hasNegotiatedMedia() {
		// No section was accepted: there is no transport to bring up
		// (RFC 8829 §5.3.1). Media sections will widen this.
		return nil
	}
	// The offerer controls, unless the remote is ICE-lite: a lite agent
	// never sends checks or nominates, so the full one must control
	// (RFC 8445 §6.1.1), as answerer too.
	a.controlling = a.local.typ == SDPTypeOffer || r.ICELite
	a.dtlsClient = a.isDTLSClient()
	conn, err := a.ice.Start(a.controlling, r.ICEUfrag, r.ICEPwd)
	if err != nil {
		return fmt.Errorf("chanrtc: ICE start: %w", err)
	}
	a.iceStarted = true
	a.iceConn = conn
	a.iceRemote = r.Credentials()
	a.flushRemoteCandidates()
	mux := transport.NewMux(conn)
	if err := a.pc.sup.Go("mux", mux.Run); err != nil {
		return ErrClosed
	}
	a.mux = mux
	a.updateConnState()
	return nil
}

// isDTLSClient derives our DTLS role from a=setup (RFC 8842 §5).
func (a *peerActor) isDTLSClient() bool {
	if a.local.typ == SDPTypeAnswer {
		return a.local.params.Setup == jsep.SetupActive || a.remote.parsed.Setup == jsep.SetupPassive
	}
	// Our offer said actpass; the answer picks.
	return a.remote.parsed.Setup == jsep.SetupPassive
}
