//go:build !chanrtc_nomedia

package chanrtc

import (
	"fmt"
	"sync/atomic"
)

// Direction is RTCRtpTransceiverDirection.
type Direction string

// Transceiver directions.
const (
	DirectionSendRecv Direction = "sendrecv"
	DirectionSendOnly Direction = "sendonly"
	DirectionRecvOnly Direction = "recvonly"
	DirectionInactive Direction = "inactive"
)

func (d Direction) sends() bool    { return d == DirectionSendRecv || d == DirectionSendOnly }
func (d Direction) receives() bool { return d == DirectionSendRecv || d == DirectionRecvOnly }

func directionOf(send, recv bool) Direction {
	switch {
	case send && recv:
		return DirectionSendRecv
	case send:
		return DirectionSendOnly
	case recv:
		return DirectionRecvOnly
	}
	return DirectionInactive
}

// RTPTransceiver is RTCRtpTransceiver: one m-section, a sender and a
// receiver. Its negotiation state belongs to the peer actor; what the
// application reads is published here.
type RTPTransceiver struct {
	pc        *PeerConnection
	kind      MediaKind
	mid       atomic.Pointer[string]
	direction atomic.Pointer[Direction]
	current   atomic.Pointer[Direction]
	sender    *RTPSender
	receiver  *RTPReceiver
}

// TransceiverInit is RTCRtpTransceiverInit.
type TransceiverInit struct {
	Direction Direction // default sendrecv
}

// Kind returns audio or video.
func (t *RTPTransceiver) Kind() MediaKind { return t.kind }

// Mid returns the mid, once negotiated ("" before).
func (t *RTPTransceiver) Mid() string {
	if m := t.mid.Load(); m != nil {
		return *m
	}
	return ""
}

// Direction returns the preferred direction.
func (t *RTPTransceiver) Direction() Direction { return *t.direction.Load() }

// CurrentDirection returns the negotiated direction ("" before).
func (t *RTPTransceiver) CurrentDirection() Direction {
	if d := t.current.Load(); d != nil {
		return *d
	}
	return ""
}

// SetDirection changes the preferred direction; it takes effect with the
// next offer/answer.
func (t *RTPTransceiver) SetDirection(d Direction) error {
	switch d {
	case DirectionSendRecv, DirectionSendOnly, DirectionRecvOnly, DirectionInactive:
	default:
		return fmt.Errorf("%w: direction %q", ErrInvalidState, d)
	}
	r, err := ask(t.pc, func(c chan<- error) peerMsg { return setDirection{t: t, d: d, reply: c} })
	if err != nil {
		return err
	}
	return r
}

// Sender returns the transceiver's sender.
func (t *RTPTransceiver) Sender() *RTPSender { return t.sender }

// Receiver returns the transceiver's receiver.
func (t *RTPTransceiver) Receiver() *RTPReceiver { return t.receiver }

// RTPSender is RTCRtpSender.
type RTPSender struct {
	tr    *RTPTransceiver
	track atomic.Pointer[LocalTrack]
}

// Track returns the track being sent, or nil.
func (s *RTPSender) Track() *LocalTrack { return s.track.Load() }

// Transceiver returns the sender's transceiver.
func (s *RTPSender) Transceiver() *RTPTransceiver { return s.tr }

// ReplaceTrack sends t instead of the current track, without
// renegotiation (t must be of the same kind; nil stops sending frames).
func (s *RTPSender) ReplaceTrack(t *LocalTrack) error {
	if t != nil && t.Kind() != s.tr.kind {
		return ErrKindMismatch
	}
	r, err := ask(s.tr.pc, func(c chan<- error) peerMsg { return replaceTrack{s: s, t: t, reply: c} })
	if err != nil {
		return err
	}
	return r
}

// RTPReceiver is RTCRtpReceiver.
type RTPReceiver struct {
	tr    *RTPTransceiver
	track *RemoteTrack
}

// Track returns the remote track.
func (r *RTPReceiver) Track() *RemoteTrack { return r.track }

// Transceiver returns the receiver's transceiver.
func (r *RTPReceiver) Transceiver() *RTPTransceiver { return r.tr }

// AddTrack sends track: on a transceiver of its kind that has never sent,
// or on a new one. Negotiation is needed.
func (pc *PeerConnection) AddTrack(track *LocalTrack) (*RTPSender, error) {
	r, err := ask(pc, func(c chan<- trResult) peerMsg { return addTrack{t: track, reply: c} })
	if err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	return r.tr.sender, nil
}

// AddTransceiver adds a transceiver of kind.
func (pc *PeerConnection) AddTransceiver(kind MediaKind, init *TransceiverInit) (*RTPTransceiver, error) {
	d := DirectionSendRecv
	if init != nil && init.Direction != "" {
		d = init.Direction
	}
	r, err := ask(pc, func(c chan<- trResult) peerMsg { return addTransceiver{kind: kind, d: d, reply: c} })
	if err != nil {
		return nil, err
	}
	return r.tr, r.err
}

// RemoveTrack stops sending the sender's track; negotiation is needed.
func (pc *PeerConnection) RemoveTrack(s *RTPSender) error {
	r, err := ask(pc, func(c chan<- error) peerMsg { return removeTrack{s: s, reply: c} })
	if err != nil {
		return err
	}
	return r
}

// GetTransceivers returns the transceivers, in m-line order of creation.
func (pc *PeerConnection) GetTransceivers() []*RTPTransceiver {
	r, err := ask(pc, func(c chan<- []*RTPTransceiver) peerMsg { return getTransceivers{reply: c} })
	if err != nil {
		return nil
	}
	return r
}

// OnTrack sets the handler for remote tracks; it runs when a remote
// description announces a track (before media flows: ReadFrame waits).
func (pc *PeerConnection) OnTrack(f func(*RemoteTrack, *RTPReceiver)) { pc.onTrack.Store(&f) }
