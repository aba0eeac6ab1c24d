package chanrtc

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
)

// PeerConnection is RTCPeerConnection: the facade over chanrtc's actors.
// Every method is safe for concurrent use and from inside any callback,
// Close included. Callbacks run one at a time, in order, on the
// PeerConnection's event goroutine, never while any internal state is held.
type PeerConnection struct {
	cfg     Config
	sup     *actors.Supervisor
	emitter *actors.Emitter
	inbox   chan peerMsg
	done    chan struct{} // closed when the peer actor has returned

	closeOnce sync.Once
	closed    atomic.Bool

	// Snapshots published by the peer actor.
	signaling  atomic.Int32
	iceState   atomic.Int32
	gathering  atomic.Int32
	connState  atomic.Int32
	localDesc  atomic.Pointer[SessionDescription]
	remoteDesc atomic.Pointer[SessionDescription]
	// gatherDone is closed when the current ICE generation's gathering
	// completes; an ICE restart replaces it.
	gatherDone atomic.Pointer[chan struct{}]

	handlers
}

// handlers holds the user's callbacks; the event goroutine loads them when
// it runs an event, so a callback set late still sees later events.
type handlers struct {
	onICECandidate       atomic.Pointer[func(*ICECandidate)]
	onICEConnectionState atomic.Pointer[func(ICEConnectionState)]
	onICEGatheringState  atomic.Pointer[func(ICEGatheringState)]
	onSignalingState     atomic.Pointer[func(SignalingState)]
	onConnectionState    atomic.Pointer[func(PeerConnectionState)]
	dataHandlers         // data_on.go: OnDataChannel's; empty when built with chanrtc_nodatachannel
	onNegotiationNeeded  atomic.Pointer[func()]
	mediaHandlers        // media_on.go: OnTrack's; empty when built with chanrtc_nomedia
}

// emitterQueue bounds the event queue (see actors.Emitter).
const emitterQueue = 1 << 16

// NewPeerConnection creates a PeerConnection. Nothing touches the network
// until a description is set.
func NewPeerConnection(cfg Config) (*PeerConnection, error) {
	var cert tls.Certificate
	if cfg.Certificate != nil {
		cert = *cfg.Certificate
		if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
			return nil, errors.New("chanrtc: Config.Certificate has no certificate or key")
		}
	} else {
		var err error
		if cert, err = transport.NewCertificate(); err != nil {
			return nil, fmt.Errorf("chanrtc: certificate: %w", err)
		}
	}
	if _, err := transport.ParseICEServers(cfg.iceConfig("", "").Servers); err != nil {
		return nil, err
	}
	pc := &PeerConnection{
		cfg:   cfg,
		inbox: make(chan peerMsg, 32),
		done:  make(chan struct{}),
	}
	gatherDone := make(chan struct{})
	pc.gatherDone.Store(&gatherDone)
	pc.emitter = actors.NewEmitter(emitterQueue, func(v any) {
		if cfg.Logger != nil {
			cfg.Logger.Error("chanrtc: a callback panicked", "panic", v, "stack", string(v.(*actors.PanicError).Stack))
		}
	})
	pc.sup = actors.NewSupervisor(pc.failed)
	a := &peerActor{
		pc:        pc,
		cert:      cert,
		ufrag:     randomICEString(16),
		pwd:       randomICEString(32),
		sessionID: randomSessionID(),
		cname:     randomID(16),
	}
	a.fingerprint = jsep.FingerprintOf(cert.Certificate[0])
	if err := pc.sup.Go("peer", a.run); err != nil {
		pc.emitter.Stop()
		return nil, err
	}
	return pc, nil
}

// failed is the supervisor's failure handler: the PeerConnection moves to
// failed with the error and everything stops. It runs on the failing
// actor's goroutine and must not block, so the stop runs on its own.
func (pc *PeerConnection) failed(err error) {
	if pc.cfg.Logger != nil {
		pc.cfg.Logger.Error("chanrtc: PeerConnection failed", "err", err)
	}
	pc.publishConnState(PeerConnectionStateFailed)
	go pc.sup.Stop()
}

// Err returns the error that failed the PeerConnection, or nil.
func (pc *PeerConnection) Err() error { return pc.sup.Err() }

// Close shuts the PeerConnection down: every actor stops, every socket
// closes, and no goroutine is left once it returns. Called from another
// goroutine, it waits for a callback that is running to return (after the
// actors stopped, so a callback blocked in ReadFrame or ReadRTP is released)
// and no callback runs after it. Called from inside a callback it returns
// at once and the event goroutine exits when that callback returns. It is
// idempotent. A callback must not wait for a Close made on another
// goroutine: that Close waits for the callback.
func (pc *PeerConnection) Close() error {
	pc.closeOnce.Do(func() {
		pc.closed.Store(true)
		pc.sup.Stop()
		pc.signaling.Store(int32(SignalingStateClosed))
		pc.iceState.Store(int32(ICEConnectionStateClosed))
		pc.connState.Store(int32(PeerConnectionStateClosed))
	})
	pc.emitter.Stop()
	return nil
}

// ask sends a request to the peer actor and waits for its reply.
func ask[R any](pc *PeerConnection, mk func(chan<- R) peerMsg) (R, error) {
	var zero R
	if pc.closed.Load() {
		return zero, ErrClosed
	}
	if e := pc.sup.Err(); e != nil { // failed: the actors are stopping
		return zero, fmt.Errorf("%w: failed: %v", ErrClosed, e)
	}
	r, err := actors.Ask(context.Background(), pc.done, pc.inbox, mk)
	if err != nil {
		if e := pc.sup.Err(); e != nil {
			return zero, fmt.Errorf("%w: failed: %v", ErrClosed, e)
		}
		return zero, ErrClosed
	}
	return r, nil
}

type descResult struct {
	desc SessionDescription
	err  error
}

// CreateOffer creates an offer for the current state: a DataChannel
// section once a DataChannel exists. OfferOptions{ICERestart: true}, or a
// RestartICE before, makes it an ICE restart offer.
func (pc *PeerConnection) CreateOffer(opts ...OfferOptions) (SessionDescription, error) {
	var o OfferOptions
	for _, x := range opts {
		o.ICERestart = o.ICERestart || x.ICERestart
	}
	r, err := ask(pc, func(c chan<- descResult) peerMsg { return createOffer{opts: o, reply: c} })
	if err != nil {
		return SessionDescription{}, err
	}
	return r.desc, r.err
}

// CreateAnswer answers the remote offer that was set.
func (pc *PeerConnection) CreateAnswer() (SessionDescription, error) {
	r, err := ask(pc, func(c chan<- descResult) peerMsg { return createAnswer{reply: c} })
	if err != nil {
		return SessionDescription{}, err
	}
	return r.desc, r.err
}

// SetLocalDescription applies a description made by CreateOffer or
// CreateAnswer. An empty SDP creates the right one implicitly (W3C
// parameterless setLocalDescription). Gathering starts here.
func (pc *PeerConnection) SetLocalDescription(d SessionDescription) error {
	r, err := ask(pc, func(c chan<- error) peerMsg { return setLocal{desc: d, reply: c} })
	if err != nil {
		return err
	}
	return r
}

// SetRemoteDescription applies the remote's offer or answer. Bad SDP, a
// call in the wrong state or a description that cannot be satisfied
// returns an error and changes nothing.
func (pc *PeerConnection) SetRemoteDescription(d SessionDescription) error {
	r, err := ask(pc, func(c chan<- error) peerMsg { return setRemote{desc: d, reply: c} })
	if err != nil {
		return err
	}
	return r
}

// AddICECandidate adds a remote candidate (trickle ICE). An empty
// Candidate signals end-of-candidates.
func (pc *PeerConnection) AddICECandidate(c ICECandidateInit) error {
	r, err := ask(pc, func(ch chan<- error) peerMsg { return addCandidate{init: c, reply: ch} })
	if err != nil {
		return err
	}
	return r
}

// LocalDescription returns the local description with the candidates
// gathered so far (pending if there is one, else current), or nil.
func (pc *PeerConnection) LocalDescription() *SessionDescription {
	return copyDesc(pc.localDesc.Load())
}

// RemoteDescription returns the remote description, or nil.
func (pc *PeerConnection) RemoteDescription() *SessionDescription {
	return copyDesc(pc.remoteDesc.Load())
}

func copyDesc(d *SessionDescription) *SessionDescription {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// GatheringComplete is closed when ICE gathering completes: wait on it for
// non-trickle signalling, then send LocalDescription. An ICE restart
// gathers again: from the SetLocalDescription that restarts, it returns a
// new channel, closed when the new generation's gathering completes.
func (pc *PeerConnection) GatheringComplete() <-chan struct{} { return *pc.gatherDone.Load() }

// SignalingState returns the signaling state.
func (pc *PeerConnection) SignalingState() SignalingState {
	return SignalingState(pc.signaling.Load())
}

// ICEConnectionState returns the ICE connection state.
func (pc *PeerConnection) ICEConnectionState() ICEConnectionState {
	return ICEConnectionState(pc.iceState.Load())
}

// ICEGatheringState returns the ICE gathering state.
func (pc *PeerConnection) ICEGatheringState() ICEGatheringState {
	return ICEGatheringState(pc.gathering.Load())
}

// ConnectionState returns the aggregate connection state.
func (pc *PeerConnection) ConnectionState() PeerConnectionState {
	return PeerConnectionState(pc.connState.Load())
}

// OnICECandidate sets the handler for gathered candidates; it gets nil
// once gathering is complete.
func (pc *PeerConnection) OnICECandidate(f func(*ICECandidate)) { pc.onICECandidate.Store(&f) }

// OnICEConnectionStateChange sets the ICE connection state handler.
func (pc *PeerConnection) OnICEConnectionStateChange(f func(ICEConnectionState)) {
	pc.onICEConnectionState.Store(&f)
}

// OnICEGatheringStateChange sets the gathering state handler.
func (pc *PeerConnection) OnICEGatheringStateChange(f func(ICEGatheringState)) {
	pc.onICEGatheringState.Store(&f)
}

// OnSignalingStateChange sets the signaling state handler.
func (pc *PeerConnection) OnSignalingStateChange(f func(SignalingState)) {
	pc.onSignalingState.Store(&f)
}

// OnConnectionStateChange sets the connection state handler.
func (pc *PeerConnection) OnConnectionStateChange(f func(PeerConnectionState)) {
	pc.onConnectionState.Store(&f)
}

// OnNegotiationNeeded sets the handler called when a change (such as the
// first DataChannel) needs a new offer/answer exchange.
func (pc *PeerConnection) OnNegotiationNeeded(f func()) { pc.onNegotiationNeeded.Store(&f) }

// emit queues a callback invocation; h is loaded when the event runs.
func emit[T any](pc *PeerConnection, h *atomic.Pointer[func(T)], v T) {
	pc.emitter.Emit(func() {
		if f := h.Load(); f != nil && *f != nil {
			(*f)(v)
		}
	})
}

func (pc *PeerConnection) emitNegotiationNeeded() {
	pc.emitter.Emit(func() {
		if f := pc.onNegotiationNeeded.Load(); f != nil && *f != nil {
			(*f)()
		}
	})
}

func (pc *PeerConnection) publishConnState(s PeerConnectionState) {
	// Closed and failed-by-error are final.
	if pc.closed.Load() || s != PeerConnectionStateFailed && pc.sup.Err() != nil {
		return
	}
	if PeerConnectionState(pc.connState.Swap(int32(s))) != s {
		emit(pc, &pc.onConnectionState, s)
	}
}

const (
	iceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	idChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomICEString returns n ice-chars (RFC 8839 §5.4) from crypto/rand.
func randomICEString(n int) string { return randomString(iceChars, n) }

// randomID returns n letters and digits: safe in every SDP token (msid
// ids, RFC 8830, and CNAMEs).
func randomID(n int) string { return randomString(idChars, n) }

func randomString(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = chars[v.Int64()]
	}
	return string(b)
}

func randomSessionID() uint64 {
	v, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return v.Uint64()
}
