//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/transport"
)

// DataChannelInit is RTCDataChannelInit. A nil *DataChannelInit means a
// reliable, ordered channel announced in-band (DCEP).
type DataChannelInit struct {
	Ordered           *bool   // default true
	MaxRetransmits    *uint16 // partial reliability by retransmissions
	MaxPacketLifeTime *uint16 // partial reliability by time, in milliseconds
	Protocol          string
	Negotiated        bool    // both sides create it with the same ID; no DCEP
	ID                *uint16 // required when Negotiated
}

// DataChannelMessage is one received message.
type DataChannelMessage struct {
	IsString bool // sent as text (SendText / a JS string)
	Data     []byte
}

// DataChannel is RTCDataChannel. Send never blocks: messages queue in SCTP
// and BufferedAmount tells how much; use BufferedAmountLowThreshold and
// OnBufferedAmountLow for flow control.
type DataChannel struct {
	pc *PeerConnection
	ch *transport.Channel

	onOpen    atomic.Pointer[func()]
	onClose   atomic.Pointer[func()]
	onLow     atomic.Pointer[func()]
	onMessage atomic.Pointer[func(DataChannelMessage)]
	onError   atomic.Pointer[func(error)]

	// Receive credit: bytes and messages queued for the event goroutine,
	// including those held until OnMessage is set. A reader waits while
	// either is over its bound, which holds the remote sender back through
	// SCTP flow control instead of growing memory.
	queuedBytes atomic.Int64
	queuedMsgs  atomic.Int64
	credit      actors.Wake

	// remote: the remote opened it; Opened announces it (OnDataChannel).
	remote bool

	// Owned by the event goroutine.
	held []DataChannelMessage
	// openPending: the channel opened and no OnOpen handler has run for it
	// yet; the open event is held for a handler set later, as messages are.
	openPending bool
}

const (
	creditBytes = 1 << 20
	creditMsgs  = 1024
)

// CreateDataChannel creates a DataChannel. It opens once the connection is
// up (adding it before the first offer puts a DataChannel section in it).
func (pc *PeerConnection) CreateDataChannel(label string, init *DataChannelInit) (*DataChannel, error) {
	p := transport.ChannelParams{Label: label, Ordered: true}
	if init != nil {
		if init.Ordered != nil {
			p.Ordered = *init.Ordered
		}
		p.MaxRetransmits, p.MaxPacketLifeTime = init.MaxRetransmits, init.MaxPacketLifeTime
		p.Protocol, p.Negotiated, p.ID = init.Protocol, init.Negotiated, init.ID
	}
	r, err := ask(pc, func(c chan<- sctpResult) peerMsg { return getSCTP{reply: c} })
	if err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	dc := newDataChannel(pc)
	ch, err := r.sctp.Open(context.Background(), p, dc)
	if errors.Is(err, actors.ErrStopped) {
		return nil, ErrClosed // closed while the channel was being created
	}
	if err != nil {
		return nil, err
	}
	dc.ch = ch
	return dc, nil
}

func newDataChannel(pc *PeerConnection) *DataChannel {
	return &DataChannel{pc: pc, credit: actors.NewWake()}
}

// newRemoteChannel is called by the SCTP actor for a channel the remote
// opened: it builds the facade, which Opened announces once the channel is
// open (W3C: readyState is "open" when the datachannel event fires, so the
// handler can send at once).
func (pc *PeerConnection) newRemoteChannel(ch *transport.Channel) transport.ChannelSink {
	dc := newDataChannel(pc)
	dc.ch = ch
	dc.remote = true
	return dc
}

// Label returns the channel's label.
func (dc *DataChannel) Label() string { return dc.ch.Params.Label }

// Protocol returns the subprotocol.
func (dc *DataChannel) Protocol() string { return dc.ch.Params.Protocol }

// Ordered reports whether delivery is ordered.
func (dc *DataChannel) Ordered() bool { return dc.ch.Params.Ordered }

// MaxRetransmits returns the retransmission limit, or nil.
func (dc *DataChannel) MaxRetransmits() *uint16 { return dc.ch.Params.MaxRetransmits }

// MaxPacketLifeTime returns the lifetime limit in milliseconds, or nil.
func (dc *DataChannel) MaxPacketLifeTime() *uint16 { return dc.ch.Params.MaxPacketLifeTime }

// Negotiated reports whether the channel was negotiated out of band.
func (dc *DataChannel) Negotiated() bool { return dc.ch.Params.Negotiated }

// ID returns the SCTP stream id, or nil before it is assigned (it is
// assigned when the connection comes up, by DTLS role: RFC 8832 §6).
func (dc *DataChannel) ID() *uint16 {
	if id, ok := dc.ch.ID(); ok {
		return &id
	}
	return nil
}

// ReadyState returns the channel's state.
func (dc *DataChannel) ReadyState() DataChannelState { return DataChannelState(dc.ch.State()) }

// MaxMessageSize is the largest message Send accepts (the remote's
// a=max-message-size; 0 before the connection is up).
func (dc *DataChannel) MaxMessageSize() uint32 { return dc.ch.MaxMessageSize() }

// Send sends a binary message. A message larger than the remote accepts
// returns ErrMessageTooLarge and sends nothing.
func (dc *DataChannel) Send(data []byte) error {
	if dc.pc.closed.Load() {
		return ErrClosed
	}
	return dc.ch.Send(data, false)
}

// SendText sends a text message.
func (dc *DataChannel) SendText(s string) error {
	if dc.pc.closed.Load() {
		return ErrClosed
	}
	return dc.ch.Send([]byte(s), true)
}

// BufferedAmount is the number of bytes queued to send and not yet
// acknowledged by the remote.
func (dc *DataChannel) BufferedAmount() uint64 { return dc.ch.BufferedAmount() }

// BufferedAmountLowThreshold returns the low-water mark.
func (dc *DataChannel) BufferedAmountLowThreshold() uint64 {
	return dc.ch.BufferedAmountLowThreshold()
}

// SetBufferedAmountLowThreshold sets the mark below which
// OnBufferedAmountLow fires.
func (dc *DataChannel) SetBufferedAmountLowThreshold(v uint64) {
	dc.ch.SetBufferedAmountLowThreshold(v)
}

// Close closes the channel (the remote sees it close too).
func (dc *DataChannel) Close() error { return dc.ch.Close() }

// OnOpen sets the open handler. An open event that came before any handler
// was set is held and delivered to the first one set, so a handler set
// right after CreateDataChannel is called even if the channel opened first.
func (dc *DataChannel) OnOpen(f func()) {
	dc.onOpen.Store(&f)
	dc.pc.emitter.Emit(dc.deliverOpen)
}

// OnClose sets the close handler.
func (dc *DataChannel) OnClose(f func()) { dc.onClose.Store(&f) }

// OnError sets the error handler (for example, the remote sent a message
// larger than we accept).
func (dc *DataChannel) OnError(f func(error)) { dc.onError.Store(&f) }

// OnBufferedAmountLow sets the handler for BufferedAmount falling to the
// threshold.
func (dc *DataChannel) OnBufferedAmountLow(f func()) { dc.onLow.Store(&f) }

// OnMessage sets the message handler. Messages that arrived before it was
// set are held and delivered to it first, in order.
func (dc *DataChannel) OnMessage(f func(DataChannelMessage)) {
	dc.onMessage.Store(&f)
	dc.pc.emitter.Emit(func() { dc.flushHeld() })
}

// The transport.ChannelSink side: called by the SCTP actor and readers.

// Opened implements transport.ChannelSink. A remote channel is announced
// first, then gets its open event (W3C "announce the data channel as open").
//
// Each callback is an event of its own, as in a browser, so that one that
// panics (see Config.Logger) does not swallow the next.
func (dc *DataChannel) Opened() {
	if dc.remote {
		dc.pc.emitter.Emit(func() {
			if f := dc.pc.onDataChannel.Load(); f != nil && *f != nil {
				(*f)(dc)
			}
		})
	}
	dc.pc.emitter.Emit(func() {
		dc.openPending = true
		dc.deliverOpen()
	})
}

// deliverOpen runs on the event goroutine: it hands a held open event to
// the handler, once.
func (dc *DataChannel) deliverOpen() {
	if !dc.openPending {
		return
	}
	if f := dc.onOpen.Load(); f != nil && *f != nil {
		dc.openPending = false
		(*f)()
	}
}

// Closed implements transport.ChannelSink.
func (dc *DataChannel) Closed(err error) {
	dc.pc.emitter.Emit(func() {
		dc.openPending = false // a channel closed before anyone listened
		if err != nil {
			if f := dc.onError.Load(); f != nil && *f != nil {
				(*f)(err)
			}
		}
	})
	dc.pc.emitter.Emit(func() { call(&dc.onClose) })
}

// BufferedAmountLow implements transport.ChannelSink.
func (dc *DataChannel) BufferedAmountLow() { dc.pc.emitter.Emit(func() { call(&dc.onLow) }) }

// Message implements transport.ChannelSink: it waits for credit, then
// queues the delivery. It reports false when done closes first.
func (dc *DataChannel) Message(done <-chan struct{}, data []byte, text bool) bool {
	for dc.queuedBytes.Load() >= creditBytes || dc.queuedMsgs.Load() >= creditMsgs {
		select {
		case <-dc.credit:
		case <-done:
			return false
		}
	}
	dc.queuedBytes.Add(int64(len(data)))
	dc.queuedMsgs.Add(1)
	msg := DataChannelMessage{IsString: text, Data: data}
	return dc.pc.emitter.EmitWait(done, func() { dc.deliver(msg) })
}

// deliver runs on the event goroutine.
func (dc *DataChannel) deliver(m DataChannelMessage) {
	dc.held = append(dc.held, m)
	dc.flushHeld()
}

// flushHeld hands held messages to the handler, in order, releasing their
// credit as each is delivered.
func (dc *DataChannel) flushHeld() {
	f := dc.onMessage.Load()
	if f == nil || *f == nil {
		return
	}
	// A handler that panics ends this flush: the rest go in another event.
	defer func() {
		if len(dc.held) > 0 {
			dc.pc.emitter.Emit(dc.flushHeld)
		}
	}()
	for len(dc.held) > 0 {
		m := dc.held[0]
		dc.held[0] = DataChannelMessage{}
		dc.held = dc.held[1:]
		dc.queuedBytes.Add(-int64(len(m.Data)))
		dc.queuedMsgs.Add(-1)
		dc.credit.Signal()
		(*f)(m)
	}
	dc.held = nil
}

func call(h *atomic.Pointer[func()]) {
	if f := h.Load(); f != nil && *f != nil {
		(*f)()
	}
}
