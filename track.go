//go:build !chanrtc_nomedia

package chanrtc

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc/transport"
	"github.com/pion/rtp"
)

// Frame is one media frame: an H.264 access unit (Annex-B), an Opus
// packet, or a G.711 chunk.
type Frame struct {
	Data []byte
	// Duration is how long the frame plays; on WriteFrame it advances the
	// RTP timestamp (1/30 s for 30 fps video, 20 ms for usual Opus).
	Duration time.Duration
	// On ReadFrame: the RTP timestamp, the arrival time of the frame's last
	// packet, whether it is a keyframe, and whether frames were lost before
	// it (decoding resumed at a keyframe).
	Timestamp  uint32
	Time       time.Time
	Keyframe   bool
	LostBefore bool
}

// Errors of the media path.
var (
	ErrFramesUnsupported = errors.New("chanrtc: this codec is carried at the RTP level only (use WriteRTP/ReadRTP)")
	ErrTrackNotSending   = errors.New("chanrtc: track is not being sent (not added, not negotiated, or not connected yet)")
	ErrFrameDropped      = errors.New("chanrtc: frame dropped: the sender's queue is full")
	ErrKindMismatch      = errors.New("chanrtc: track kind does not match the transceiver")
)

// LocalTrack is a track we send. Create it with NewLocalTrack, add it with
// AddTrack; WriteFrame then sends once the connection is up.
type LocalTrack struct {
	codec    Codec
	id       string
	streamID string

	sender     atomic.Pointer[transport.Sender]
	onKeyframe atomic.Pointer[func()]
}

// NewLocalTrack creates a track of codec (CodecH264, CodecOpus, ...).
func NewLocalTrack(codec Codec, id, streamID string) (*LocalTrack, error) {
	if codec.Kind != MediaKindAudio && codec.Kind != MediaKindVideo {
		return nil, fmt.Errorf("chanrtc: codec %q has no media kind", codec.Name)
	}
	if id == "" {
		id = randomID(16)
	}
	if streamID == "" {
		streamID = randomID(16)
	}
	if !msidToken(id) || !msidToken(streamID) {
		return nil, fmt.Errorf("chanrtc: track id %q / stream id %q: want 1-64 letters, digits or one of !#$%%&'*+-.^_`{|}~ (RFC 8830)", id, streamID)
	}
	return &LocalTrack{codec: codec, id: id, streamID: streamID}, nil
}

// ID returns the track id (a=msid).
func (t *LocalTrack) ID() string { return t.id }

// StreamID returns the stream id (a=msid).
func (t *LocalTrack) StreamID() string { return t.streamID }

// Kind returns audio or video.
func (t *LocalTrack) Kind() MediaKind { return t.codec.Kind }

// Codec returns the track's codec.
func (t *LocalTrack) Codec() Codec { return t.codec }

// WriteFrame packetizes and sends one frame. It never blocks: when the
// sender is behind, the frame is dropped and ErrFrameDropped returned.
// The frame is queued without a copy: f.Data must not be modified after
// the call (hand over a buffer per frame, as a decoder or file reader
// does).
func (t *LocalTrack) WriteFrame(f Frame) error {
	if newPacketizer(t.codec) == nil {
		return ErrFramesUnsupported
	}
	s := t.sender.Load()
	if s == nil {
		return ErrTrackNotSending
	}
	if !s.Write(transport.OutFrame{Data: f.Data, Duration: f.Duration}) {
		return ErrFrameDropped
	}
	return nil
}

// WriteRTP sends a packet as is (for forwarding), with the sender's SSRC
// and sequence numbers and the packet's own payload type: map it first if
// it comes from a connection that numbered the codec differently.
func (t *LocalTrack) WriteRTP(p *rtp.Packet) error {
	s := t.sender.Load()
	if s == nil {
		return ErrTrackNotSending
	}
	if !s.Write(transport.OutFrame{RTP: p}) {
		return ErrFrameDropped
	}
	return nil
}

// OnKeyframeRequest sets the handler for the remote asking for a keyframe
// (PLI or FIR): the application should encode one next.
func (t *LocalTrack) OnKeyframeRequest(f func()) { t.onKeyframe.Store(&f) }

// RemoteTrack is a track the remote sends, announced by OnTrack.
type RemoteTrack struct {
	kind MediaKind
	// Set by the peer actor as negotiation learns them; read from anywhere.
	ids atomic.Pointer[trackIDs]

	codec  atomic.Pointer[Codec]
	recv   atomic.Pointer[transport.Receiver]
	ready  chan struct{} // closed once a receiver is bound
	closed chan struct{}
}

type trackIDs struct{ mid, id, streamID string }

func newRemoteTrack(kind MediaKind) *RemoteTrack {
	t := &RemoteTrack{kind: kind, ready: make(chan struct{}), closed: make(chan struct{})}
	t.ids.Store(&trackIDs{})
	return t
}

// setIDs updates what is known; empty values keep what was there.
func (t *RemoteTrack) setIDs(mid, id, streamID string) {
	cur := *t.ids.Load()
	if mid != "" {
		cur.mid = mid
	}
	if id != "" {
		cur.id, cur.streamID = id, streamID
	}
	t.ids.Store(&cur)
}

// Kind returns audio or video.
func (t *RemoteTrack) Kind() MediaKind { return t.kind }

// ID returns the remote's track id (a=msid), if it sent one.
func (t *RemoteTrack) ID() string { return t.ids.Load().id }

// StreamID returns the remote's stream id (a=msid), if it sent one.
func (t *RemoteTrack) StreamID() string { return t.ids.Load().streamID }

// MID returns the mid of the track's transceiver.
func (t *RemoteTrack) MID() string { return t.ids.Load().mid }

// Codec returns the negotiated codec (zero until negotiated).
func (t *RemoteTrack) Codec() Codec {
	if c := t.codec.Load(); c != nil {
		return *c
	}
	return Codec{}
}

func (t *RemoteTrack) receiver() (*transport.Receiver, error) {
	select {
	case <-t.ready:
		return t.recv.Load(), nil
	case <-t.closed:
		return nil, ErrClosed
	}
}

// ReadFrame returns the next whole frame, waiting for it. Frames come out
// of the jitter buffer in order; lost packets were asked for again (NACK)
// and, for video, a frame that could not be recovered makes the next frame
// returned a keyframe with LostBefore set.
func (t *RemoteTrack) ReadFrame() (Frame, error) {
	r, err := t.receiver()
	if err != nil {
		return Frame{}, err
	}
	select {
	case f := <-r.Frames():
		return Frame{Data: f.Data, Timestamp: f.Timestamp, Time: f.Arrival, Keyframe: f.Keyframe, LostBefore: f.LostBefore}, nil
	case <-t.closed:
		return Frame{}, ErrClosed
	}
}

// ReadRTP returns the next RTP packet as it arrived (decrypted, RTX
// unwrapped), for forwarding.
func (t *RemoteTrack) ReadRTP() (*rtp.Packet, error) {
	r, err := t.receiver()
	if err != nil {
		return nil, err
	}
	select {
	case p := <-r.RTP():
		return p, nil
	case <-t.closed:
		return nil, ErrClosed
	}
}

// RequestKeyframe asks the remote for a keyframe (PLI).
func (t *RemoteTrack) RequestKeyframe() {
	if r := t.recv.Load(); r != nil {
		r.RequestKeyframe()
	}
}

func (t *RemoteTrack) bind(r *transport.Receiver, c Codec) {
	t.codec.Store(&c)
	t.recv.Store(r)
	close(t.ready)
}

func (t *RemoteTrack) close() {
	select {
	case <-t.closed:
	default:
		close(t.closed)
	}
}

// msidToken reports whether s can stand as an msid id: an SDP token
// (RFC 8866 §9) of at most 64 characters (RFC 8830 §2).
func msidToken(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`{|}~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// SendStats counts what a LocalTrack's sender did.
type SendStats struct {
	PacketsSent          uint64
	PacketsRetransmitted uint64 // answers to NACKs
	FramesDropped        uint64 // refused because the sender was behind
	KeyframeRequests     uint64 // PLI/FIR from the remote
}

// Stats returns the sender's counters (zero before it starts).
func (t *LocalTrack) Stats() SendStats {
	s := t.sender.Load()
	if s == nil {
		return SendStats{}
	}
	return SendStats{PacketsSent: s.PacketsSent.Load(), PacketsRetransmitted: s.Retransmitted.Load(),
		FramesDropped: s.Dropped.Load(), KeyframeRequests: s.KeyframeAsked.Load()}
}

// ReceiveStats counts what a RemoteTrack's receiver did.
type ReceiveStats struct {
	FramesReceived   uint64 // whole frames out of the jitter buffer
	FramesDropped    uint64 // not read in time by the application (oldest dropped)
	FramesBroken     uint64 // could not be depacketized
	PacketsLost      uint64 // never arrived in time, despite NACKs
	PacketsRecovered uint64 // arrived after a NACK
	KeyframeRequests uint64 // PLIs sent
	PacketsReplayed  uint64 // SRTP packets dropped as replays of ones already received
	PacketsRejected  uint64 // SRTP packets dropped because authentication failed (altered or forged)
}

// Stats returns the receiver's counters (zero before it starts).
func (t *RemoteTrack) Stats() ReceiveStats {
	r := t.recv.Load()
	if r == nil {
		return ReceiveStats{}
	}
	return ReceiveStats{FramesReceived: r.FramesReceived.Load(), FramesDropped: r.FramesDropped.Load(),
		FramesBroken: r.FramesBroken.Load(), PacketsLost: r.PacketsLost.Load(),
		PacketsRecovered: r.PacketsRecovered.Load(), KeyframeRequests: r.KeyframeAsked.Load(),
		PacketsReplayed: r.Replayed.Load(), PacketsRejected: r.Unauthentic.Load()}
}
