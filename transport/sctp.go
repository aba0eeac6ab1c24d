//go:build !chanrtc_nodatachannel

package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/dcep"
	"github.com/pion/sctp"
)

// DefaultRemoteMaxMessageSize applies when the remote's description has no
// a=max-message-size (RFC 8841 §6).
const DefaultRemoteMaxMessageSize = 65536

// ErrTooManyChannels means no stream id of our parity is free.
var ErrTooManyChannels = errors.New("chanrtc: no free DataChannel stream id")

// ErrIDInUse means a negotiated DataChannel asked for an id already taken.
var ErrIDInUse = errors.New("chanrtc: DataChannel id already in use")

// SCTPConfig configures the SCTP actor.
type SCTPConfig struct {
	// MaxMessageSize is the largest message we accept, as we advertise it
	// in a=max-message-size.
	MaxMessageSize uint32
	// ReceiveBufferSize bounds the association's receive buffer (and so
	// the advertised window). It must exceed MaxMessageSize.
	ReceiveBufferSize uint32
	// NewRemote builds the facade of a channel the remote opened (DCEP)
	// and announces it; it returns the sink for the channel's events.
	NewRemote func(*Channel) ChannelSink
	Logger    *slog.Logger
}

// SCTP is the actor that owns the SCTP association and every DataChannel's
// protocol state. Each stream has a reader goroutine that hands messages to
// the channel's sink; DCEP and stream lifecycle go through the actor.
type SCTP struct {
	cfg   SCTPConfig
	inbox chan sctpMsg
	done  chan struct{}

	// Owned by the actor goroutine.
	assoc      *sctp.Association
	starting   bool
	dtlsClient bool
	remoteMax  uint32
	streams    map[uint16]*streamEntry
	pending    []*Channel // created before the association was up
	helpers    sync.WaitGroup
}

type streamEntry struct {
	ch        *Channel
	st        *sctp.Stream
	hasReader bool
	attach    chan *Channel // capacity 1: wakes a reader waiting for a negotiated channel
}

type sctpMsg interface{ sctpMsg() }

type (
	sctpStart struct {
		conn       net.Conn
		dtlsClient bool
		remoteMax  uint32
	}
	assocReady struct {
		assoc *sctp.Association
		err   error
	}
	openChannel struct {
		ch    *Channel
		reply chan<- error
	}
	closeChannel struct {
		ch    *Channel
		reply chan<- error
	}
	streamAccepted struct{ st *sctp.Stream }
	remoteOpen     struct {
		st    *sctp.Stream
		open  *dcep.Open
		reply chan<- *Channel
	}
	unclaimedData struct {
		st    *sctp.Stream
		reply chan<- claim
	}
	ackReceived struct{ ch *Channel }
	streamEnded struct {
		st  *sctp.Stream
		ch  *Channel
		err error
	}
)

type claim struct {
	ch     *Channel
	attach <-chan *Channel
}

func (sctpStart) sctpMsg()      {}
func (assocReady) sctpMsg()     {}
func (openChannel) sctpMsg()    {}
func (closeChannel) sctpMsg()   {}
func (streamAccepted) sctpMsg() {}
func (remoteOpen) sctpMsg()     {}
func (unclaimedData) sctpMsg()  {}
func (ackReceived) sctpMsg()    {}
func (streamEnded) sctpMsg()    {}

// sctpInboxDepth bounds the actor's inbox. Every sender blocks until the
// actor takes its message (nothing is dropped), so depth only smooths
// bursts; it is paid by every idle connection.
const sctpInboxDepth = 8

// NewSCTP creates the actor; Run starts it.
func NewSCTP(cfg SCTPConfig) *SCTP {
	return &SCTP{
		cfg:     cfg,
		inbox:   make(chan sctpMsg, sctpInboxDepth),
		done:    make(chan struct{}),
		streams: make(map[uint16]*streamEntry),
	}
}

// Done is closed when the actor has stopped.
func (s *SCTP) Done() <-chan struct{} { return s.done }

// Start hands the actor the DTLS connection; the association is set up in
// the background and pending channels open when it is up.
func (s *SCTP) Start(ctx context.Context, conn net.Conn, dtlsClient bool, remoteMax uint32) error {
	return actors.Send(ctx, s.done, s.inbox, sctpMsg(sctpStart{conn: conn, dtlsClient: dtlsClient, remoteMax: remoteMax}))
}

// Open creates a local channel: it opens now if the association is up,
// otherwise as soon as it is.
func (s *SCTP) Open(ctx context.Context, p ChannelParams, sink ChannelSink) (*Channel, error) {
	ch, err := newChannel(p, s)
	if err != nil {
		return nil, err
	}
	ch.SetSink(sink)
	err, aerr := actors.Ask(ctx, s.done, s.inbox, func(r chan<- error) sctpMsg { return openChannel{ch: ch, reply: r} })
	if aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func (s *SCTP) closeChannel(c *Channel) error {
	err, aerr := actors.Ask(context.Background(), s.done, s.inbox, func(r chan<- error) sctpMsg { return closeChannel{ch: c, reply: r} })
	if errors.Is(aerr, actors.ErrStopped) {
		return nil // the whole transport is closed: so is the channel
	}
	if aerr != nil {
		return aerr
	}
	return err
}

// Run is the actor loop.
func (s *SCTP) Run(ctx context.Context) error {
	defer close(s.done)
	defer s.shutdown()
	sup := actors.SupervisorOf(ctx)
	for {
		select {
		case m := <-s.inbox:
			sup.Checkpoint("sctp")
			if err := s.handle(ctx, m); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *SCTP) shutdown() {
	if s.assoc != nil {
		_ = s.assoc.Close() // also closes the DTLS conn; readers see errors
	}
	s.helpers.Wait()
	for _, e := range s.streams {
		if e.ch != nil {
			e.ch.state.Store(int32(ChannelClosed))
		}
	}
	for _, c := range s.pending {
		c.state.Store(int32(ChannelClosed))
	}
}

func (s *SCTP) handle(ctx context.Context, m sctpMsg) error {
	switch m := m.(type) {
	case sctpStart:
		s.start(ctx, m)
	case assocReady:
		if m.err != nil {
			return fmt.Errorf("chanrtc: SCTP association: %w", m.err)
		}
		s.assoc = m.assoc
		s.assoc.SetMaxMessageSize(s.remoteMax)
		s.spawn(func() { s.acceptLoop(ctx) })
		// Negotiated channels first: their ids are fixed, and freeID must
		// see them taken before it picks ids for in-band channels.
		pending := s.pending
		s.pending = nil
		slices.SortStableFunc(pending, func(a, b *Channel) int {
			switch {
			case a.Params.Negotiated == b.Params.Negotiated:
				return 0
			case a.Params.Negotiated:
				return -1
			}
			return 1
		})
		for _, c := range pending {
			if err := s.openLocal(ctx, c); err != nil {
				c.state.Store(int32(ChannelClosed))
				c.sink.Closed(err)
			}
		}
	case openChannel:
		m.reply <- s.open(ctx, m.ch)
	case closeChannel:
		m.reply <- s.close(m.ch)
	case streamAccepted:
		s.accepted(ctx, m.st)
	case remoteOpen:
		m.reply <- s.remoteOpened(m.st, m.open)
	case unclaimedData:
		m.reply <- s.unclaimed(m.st)
	case ackReceived:
		applyReliability(m.ch)
	case streamEnded:
		s.ended(m)
	default:
		panic(fmt.Sprintf("sctp actor: unknown message %T", m))
	}
	return nil
}

func (s *SCTP) spawn(f func()) {
	s.helpers.Add(1)
	go func() {
		defer s.helpers.Done()
		f()
	}()
}

// post delivers a message from one of the actor's own goroutines.
func (s *SCTP) post(ctx context.Context, m sctpMsg) bool {
	return actors.Send(ctx, s.done, s.inbox, m) == nil
}

func (s *SCTP) start(ctx context.Context, m sctpStart) {
	if s.starting {
		return
	}
	s.starting = true
	s.dtlsClient = m.dtlsClient
	s.remoteMax = m.remoteMax
	if s.remoteMax == 0 {
		s.remoteMax = DefaultRemoteMaxMessageSize
	}
	for _, c := range s.pending {
		c.remoteMax.Store(s.remoteMax)
	}
	s.spawn(func() {
		a, err := sctp.ClientContext(ctx,
			sctp.WithNetConn(m.conn),
			sctp.WithMaxReceiveBufferSize(s.cfg.ReceiveBufferSize),
			sctp.WithMaxMessageSize(s.remoteMax),
			sctp.WithLoggerFactory(pionLogger(s.cfg.Logger)),
		)
		if err != nil && ctx.Err() != nil {
			return
		}
		s.post(ctx, assocReady{assoc: a, err: err})
	})
}

func (s *SCTP) open(ctx context.Context, c *Channel) error {
	if c.Params.Negotiated {
		if c.Params.ID == nil {
			return fmt.Errorf("chanrtc: a negotiated DataChannel needs an ID")
		}
		if e := s.streams[*c.Params.ID]; e != nil && e.ch != nil {
			return fmt.Errorf("%w: %d", ErrIDInUse, *c.Params.ID)
		}
		for _, p := range s.pending {
			if p.Params.Negotiated && *p.Params.ID == *c.Params.ID {
				return fmt.Errorf("%w: %d", ErrIDInUse, *c.Params.ID)
			}
		}
		if *c.Params.ID == 65535 {
			return fmt.Errorf("chanrtc: DataChannel id 65535 is reserved")
		}
	}
	if s.assoc == nil {
		if s.starting {
			c.remoteMax.Store(s.remoteMax)
		}
		s.pending = append(s.pending, c)
		return nil
	}
	return s.openLocal(ctx, c)
}

// openLocal opens a channel we created, on an association that is up.
func (s *SCTP) openLocal(ctx context.Context, c *Channel) error {
	var id uint16
	if c.Params.Negotiated {
		id = *c.Params.ID
	} else {
		var ok bool
		if id, ok = s.freeID(); !ok {
			return ErrTooManyChannels
		}
	}
	st, err := s.assoc.OpenStream(id, sctp.PayloadTypeWebRTCBinary)
	if err != nil {
		return fmt.Errorf("chanrtc: open SCTP stream %d: %w", id, err)
	}
	c.id.Store(int32(id))
	c.remoteMax.Store(s.remoteMax)
	e := s.streams[id]
	if e == nil {
		e = &streamEntry{st: st}
		s.streams[id] = e
	}
	e.ch = c
	if c.Params.Negotiated {
		applyReliability(c)
	} else {
		// Until the ACK, user data goes reliable and ordered, so that it
		// cannot overtake the DATA_CHANNEL_OPEN (RFC 8832 §6).
		st.SetReliabilityParams(false, sctp.ReliabilityTypeReliable, 0)
		open := dcep.Open{ChannelType: c.chanType, ReliabilityParameter: c.relParam, Label: c.Params.Label, Protocol: c.Params.Protocol}
		if _, err := st.WriteSCTP(open.Marshal(), sctp.PayloadProtocolIdentifier(dcep.PPID)); err != nil {
			delete(s.streams, id)
			return fmt.Errorf("chanrtc: send DATA_CHANNEL_OPEN: %w", err)
		}
	}
	c.attach(st)
	c.state.Store(int32(ChannelOpen))
	c.sink.Opened()
	switch {
	case e.attach != nil:
		// A reader already waits on this stream: data came first.
		e.attach <- c
		e.attach = nil
	case !e.hasReader:
		e.hasReader = true
		s.spawn(func() { s.readLoop(ctx, st, c) })
	}
	return nil
}

// freeID picks the lowest free stream id of our parity: even when we are
// the DTLS client, odd when the server (RFC 8832 §6).
func (s *SCTP) freeID() (uint16, bool) {
	start := 1
	if s.dtlsClient {
		start = 0
	}
	for id := start; id < 65535; id += 2 {
		if _, used := s.streams[uint16(id)]; used {
			continue
		}
		if s.pendingNegotiated(uint16(id)) {
			continue
		}
		return uint16(id), true
	}
	return 0, false
}

func (s *SCTP) pendingNegotiated(id uint16) bool {
	for _, p := range s.pending {
		if p.Params.Negotiated && *p.Params.ID == id {
			return true
		}
	}
	return false
}

func applyReliability(c *Channel) {
	st := c.stream.Load()
	if st == nil {
		return
	}
	relType := sctp.ReliabilityTypeReliable
	switch {
	case c.Params.MaxRetransmits != nil:
		relType = sctp.ReliabilityTypeRexmit
	case c.Params.MaxPacketLifeTime != nil:
		relType = sctp.ReliabilityTypeTimed
	}
	st.SetReliabilityParams(!c.Params.Ordered, relType, c.relParam)
}

func (s *SCTP) close(c *Channel) error {
	switch c.State() {
	case ChannelClosing, ChannelClosed:
		return nil
	}
	id, ok := c.ID()
	if !ok || s.assoc == nil {
		// Never opened: drop it from the pending list.
		for i, p := range s.pending {
			if p == c {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
		c.state.Store(int32(ChannelClosed))
		c.sink.Closed(nil)
		return nil
	}
	c.state.Store(int32(ChannelClosing))
	if e := s.streams[id]; e != nil {
		// Resetting our outgoing stream; the remote resets its own in
		// turn, which ends the reader and completes the close.
		return e.st.Close()
	}
	return nil
}

func (s *SCTP) acceptLoop(ctx context.Context) {
	defer actors.Contain(ctx, "sctp accept")
	for {
		st, err := s.assoc.AcceptStream()
		if err != nil {
			return
		}
		if !s.post(ctx, streamAccepted{st: st}) {
			return
		}
	}
}

func (s *SCTP) accepted(ctx context.Context, st *sctp.Stream) {
	id := st.StreamIdentifier()
	if e := s.streams[id]; e != nil {
		return // a channel we opened, or one already being read
	}
	s.streams[id] = &streamEntry{st: st, hasReader: true}
	s.spawn(func() { s.readLoop(ctx, st, nil) })
}

func (s *SCTP) remoteOpened(st *sctp.Stream, o *dcep.Open) *Channel {
	id := st.StreamIdentifier()
	e := s.streams[id]
	if e == nil || e.ch != nil {
		return e.chOrNil()
	}
	p := ChannelParams{
		Label:    o.Label,
		Protocol: o.Protocol,
		Ordered:  !o.ChannelType.Unordered(),
		ID:       &id,
	}
	switch o.ChannelType &^ 0x80 {
	case dcep.ChannelPartialReliableRexmit:
		v := uint16(min(o.ReliabilityParameter, 65535))
		p.MaxRetransmits = &v
	case dcep.ChannelPartialReliableTimed:
		v := uint16(min(o.ReliabilityParameter, 65535))
		p.MaxPacketLifeTime = &v
	}
	c := &Channel{Params: p, owner: s, chanType: o.ChannelType, relParam: o.ReliabilityParameter}
	c.id.Store(int32(id))
	c.remoteMax.Store(s.remoteMax)
	c.sink = s.cfg.NewRemote(c)
	if _, err := st.WriteSCTP(dcep.MarshalAck(), sctp.PayloadProtocolIdentifier(dcep.PPID)); err != nil {
		s.log("send DATA_CHANNEL_ACK", err)
	}
	e.ch = c
	c.attach(st)
	applyReliability(c)
	c.state.Store(int32(ChannelOpen))
	c.sink.Opened()
	return c
}

func (e *streamEntry) chOrNil() *Channel {
	if e == nil {
		return nil
	}
	return e.ch
}

// unclaimed answers a reader that got user data on a stream nobody opened:
// a negotiated channel the application has not created yet. The reader
// waits (reading nothing more, so SCTP flow control holds the sender) until
// the channel is created or the transport stops.
func (s *SCTP) unclaimed(st *sctp.Stream) claim {
	e := s.streams[st.StreamIdentifier()]
	if e == nil {
		return claim{}
	}
	if e.ch != nil {
		return claim{ch: e.ch}
	}
	if e.attach == nil {
		e.attach = make(chan *Channel, 1)
	}
	return claim{attach: e.attach}
}

func (s *SCTP) ended(m streamEnded) {
	id := m.st.StreamIdentifier()
	e := s.streams[id]
	if e != nil && e.st == m.st {
		delete(s.streams, id)
	}
	c := m.ch
	if c == nil {
		return
	}
	if c.State() != ChannelClosing {
		// The remote closed first: reset our side too (RFC 8831 §6.7).
		_ = m.st.Close()
	}
	c.state.Store(int32(ChannelClosed))
	c.sink.Closed(m.err)
}

func (s *SCTP) log(what string, err error) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Warn("sctp: "+what, "err", err)
	}
}
