//go:build !chanrtc_nodatachannel

package transport

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/dcep"
	"github.com/pion/sctp"
)

// readBufferSize is a reader's reusable buffer, the one a blocked reader
// holds while its channel is idle. A message that fits is copied out of it;
// a longer one is read straight into a buffer of its own size, handed to
// the application as is. Either way a message costs one allocation of its
// size, and an idle channel costs only this buffer, whatever it received
// before.
const readBufferSize = 1024

// readLoop is a stream's reader goroutine. c is nil for a stream the remote
// opened, until DCEP (or a negotiated channel) names its channel.
func (s *SCTP) readLoop(ctx context.Context, st *sctp.Stream, c *Channel) {
	defer actors.Contain(ctx, "sctp reader")
	buf := make([]byte, readBufferSize)
	var endErr error
	defer func() { s.post(ctx, streamEnded{st: st, ch: c, err: endErr}) }()
	sup := actors.SupervisorOf(ctx)
	for {
		n, ppi, err := st.ReadSCTP(buf)
		sup.Checkpoint("sctp reader")
		var msg []byte
		fromBuf := false
		switch {
		case errors.Is(err, io.ErrShortBuffer):
			if c != nil && uint32(n) > s.cfg.MaxMessageSize {
				endErr = fmt.Errorf("%w: %d bytes", ErrRemoteMessageTooLarge, n)
				_ = st.Close()
				return
			}
			msg = make([]byte, n)
			if n, ppi, err = st.ReadSCTP(msg); err != nil {
				return
			}
		case err != nil:
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				endErr = err
			}
			return
		default:
			msg, fromBuf = buf[:n], true
		}
		switch uint32(ppi) {
		case dcep.PPID:
			if c = s.handleDCEP(ctx, st, c, msg); c == nil && ctx.Err() != nil {
				return
			}
			continue
		case dcep.PPIDString, dcep.PPIDBinary, dcep.PPIDStringEmpty, dcep.PPIDBinaryEmpty:
		default:
			continue // deprecated or unknown PPIDs carry nothing for us
		}
		if c == nil {
			if c = s.claim(ctx, st); c == nil {
				return
			}
		}
		if uint32(len(msg)) > s.cfg.MaxMessageSize {
			endErr = fmt.Errorf("%w: %d bytes", ErrRemoteMessageTooLarge, len(msg))
			_ = st.Close()
			return
		}
		text := uint32(ppi) == dcep.PPIDString || uint32(ppi) == dcep.PPIDStringEmpty
		var data []byte
		switch {
		case uint32(ppi) == dcep.PPIDStringEmpty || uint32(ppi) == dcep.PPIDBinaryEmpty:
			data = []byte{}
		case fromBuf:
			data = append([]byte(nil), msg...)
		default:
			data = msg
		}
		if !c.sink.Message(ctx.Done(), data, text) { // not s.done: shutdown waits for us first
			return
		}
	}
}

// handleDCEP processes a DCEP message on st and returns the stream's channel.
func (s *SCTP) handleDCEP(ctx context.Context, st *sctp.Stream, c *Channel, msg []byte) *Channel {
	m, err := dcep.Parse(msg)
	if err != nil {
		s.log("bad DCEP message", err)
		return c
	}
	switch m := m.(type) {
	case *dcep.Open:
		if c != nil {
			return c // a repeated OPEN on an open channel is ignored
		}
		got, err := actors.Ask(ctx, s.done, s.inbox, func(r chan<- *Channel) sctpMsg {
			return remoteOpen{st: st, open: m, reply: r}
		})
		if err != nil {
			return nil
		}
		return got
	case dcep.Ack:
		if c != nil {
			s.post(ctx, ackReceived{ch: c})
		}
	}
	return c
}

// claim finds the channel of a stream that carried user data before any
// DCEP, waiting for the application to create the negotiated channel.
func (s *SCTP) claim(ctx context.Context, st *sctp.Stream) *Channel {
	cl, err := actors.Ask(ctx, s.done, s.inbox, func(r chan<- claim) sctpMsg {
		return unclaimedData{st: st, reply: r}
	})
	if err != nil {
		return nil
	}
	if cl.ch != nil || cl.attach == nil {
		return cl.ch
	}
	select {
	case c := <-cl.attach:
		return c
	case <-ctx.Done():
		return nil
	}
}
