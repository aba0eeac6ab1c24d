//go:build !chanrtc_nodatachannel

package transport

import (
	"fmt"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/internal/dcep"
	"github.com/pion/sctp"
)

// ChannelState mirrors RTCDataChannelState.
type ChannelState int32

// The four states of a DataChannel.
const (
	ChannelConnecting ChannelState = iota
	ChannelOpen
	ChannelClosing
	ChannelClosed
)

// MaxBufferedAmount bounds what one channel may have queued and not yet
// acknowledged (browsers use the same 16 MiB): past it Send refuses the
// message rather than let memory grow without bound.
const MaxBufferedAmount = 16 << 20

// ChannelParams are a DataChannel's options (W3C RTCDataChannelInit).
type ChannelParams struct {
	Label             string
	Protocol          string
	Ordered           bool
	MaxRetransmits    *uint16
	MaxPacketLifeTime *uint16 // milliseconds
	Negotiated        bool
	ID                *uint16
}

// ChannelSink receives one channel's events, in order. The facade
// implements it by handing each event to the PeerConnection's emitter; only
// Message may block (it waits for the channel's receive credit, which is
// how a slow reader holds the remote sender back), and it gives up when
// done is closed.
type ChannelSink interface {
	Opened()
	Message(done <-chan struct{}, data []byte, text bool) bool
	Closed(err error)
	BufferedAmountLow()
}

// Channel is one DataChannel's protocol side. Its identity is fixed at
// creation; its state, stream id and stream are owned by the SCTP actor and
// published through atomics, so the facade can read them from any goroutine.
type Channel struct {
	Params ChannelParams
	sink   ChannelSink
	owner  *SCTP

	chanType dcep.ChannelType
	relParam uint32

	id        atomic.Int32 // -1 until assigned
	state     atomic.Int32
	stream    atomic.Pointer[sctp.Stream]
	remoteMax atomic.Uint32
	lowMark   atomic.Uint64
}

func newChannel(p ChannelParams, owner *SCTP) (*Channel, error) {
	t, rel, err := dcep.TypeFor(p.Ordered, p.MaxRetransmits, p.MaxPacketLifeTime)
	if err != nil {
		return nil, err
	}
	if len(p.Label) > dcep.MaxLen || len(p.Protocol) > dcep.MaxLen {
		return nil, fmt.Errorf("chanrtc: DataChannel label or protocol longer than %d bytes", dcep.MaxLen)
	}
	c := &Channel{Params: p, owner: owner, chanType: t, relParam: rel}
	c.id.Store(-1)
	return c, nil
}

// SetSink sets where events go; it must be called before the channel is
// handed to the SCTP actor.
func (c *Channel) SetSink(s ChannelSink) { c.sink = s }

// ID returns the SCTP stream id, once assigned.
func (c *Channel) ID() (uint16, bool) {
	id := c.id.Load()
	return uint16(id), id >= 0
}

// State returns the channel's ready state.
func (c *Channel) State() ChannelState { return ChannelState(c.state.Load()) }

// MaxMessageSize is the largest message Send accepts: the remote's
// a=max-message-size.
func (c *Channel) MaxMessageSize() uint32 { return c.remoteMax.Load() }

// Send writes one message without blocking: it is queued in the SCTP
// association (BufferedAmount tells how much is queued). An empty message
// travels as the one-byte empty-message PPID of RFC 8831 §6.6.
func (c *Channel) Send(data []byte, text bool) error {
	st := c.stream.Load()
	if st == nil || c.State() != ChannelOpen {
		return ErrChannelNotOpen
	}
	if max := c.remoteMax.Load(); uint64(len(data)) > uint64(max) {
		return fmt.Errorf("%w: %d > %d bytes", ErrMessageTooLarge, len(data), max)
	}
	if st.BufferedAmount()+uint64(len(data)) > MaxBufferedAmount {
		return fmt.Errorf("%w: %d bytes queued", ErrSendBufferFull, st.BufferedAmount())
	}
	ppi := dcep.PPIDBinary
	switch {
	case text && len(data) == 0:
		ppi, data = dcep.PPIDStringEmpty, []byte{0}
	case text:
		ppi = dcep.PPIDString
	case len(data) == 0:
		ppi, data = dcep.PPIDBinaryEmpty, []byte{0}
	}
	if _, err := st.WriteSCTP(data, sctp.PayloadProtocolIdentifier(ppi)); err != nil {
		return fmt.Errorf("chanrtc: DataChannel send: %w", err)
	}
	return nil
}

// BufferedAmount is the number of bytes queued and not yet acknowledged.
func (c *Channel) BufferedAmount() uint64 {
	if st := c.stream.Load(); st != nil {
		return st.BufferedAmount()
	}
	return 0
}

// BufferedAmountLowThreshold returns the low-water mark.
func (c *Channel) BufferedAmountLowThreshold() uint64 { return c.lowMark.Load() }

// SetBufferedAmountLowThreshold sets the low-water mark below which
// BufferedAmountLow is reported.
func (c *Channel) SetBufferedAmountLowThreshold(v uint64) {
	c.lowMark.Store(v)
	if st := c.stream.Load(); st != nil {
		st.SetBufferedAmountLowThreshold(v)
	}
}

// Close starts the closing procedure (RFC 8831 §6.7: reset the stream).
func (c *Channel) Close() error {
	if c.owner == nil {
		return nil
	}
	return c.owner.closeChannel(c)
}

func (c *Channel) attach(st *sctp.Stream) {
	sink := c.sink
	st.OnBufferedAmountLow(func() { sink.BufferedAmountLow() })
	// Publish the stream before applying the mark, so that a concurrent
	// SetBufferedAmountLowThreshold reaches the stream one way or the other.
	c.stream.Store(st)
	st.SetBufferedAmountLowThreshold(c.lowMark.Load())
}
