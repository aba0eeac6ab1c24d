//go:build !chanrtc_nomedia

package transport

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/demux"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Media is the actor that owns the inbound SRTP/SRTCP session: it checks
// and decrypts every media packet the mux hands it (replay protection on),
// routes RTP to the receiver of its stream — by SSRC, then by the mid
// header extension, then by payload type, in that order (RFC 8843 §9.2) —
// and hands RTCP feedback to the sender or receiver it concerns. It never
// blocks on them: media and feedback are offered and counted when refused.
type Media struct {
	in   chan []byte
	ctl  chan mediaMsg
	done chan struct{}
	log  *slog.Logger

	// Owned by the actor goroutine.
	dec       *srtp.Context
	receivers []*Receiver
	bySSRC    map[uint32]route
	senders   map[uint32]*Sender // by our media and RTX SSRCs
	header    rtp.Header
	early     [][]byte // packets that came before the keys, replayed once keyed

	Stats MediaStats
}

// MediaStats counts what the router did not deliver.
type MediaStats struct {
	QueueFull   atomic.Uint64 // the router's own queue was full
	Rejected    atomic.Uint64 // failed SRTP/SRTCP authentication or replay check
	Replayed    atomic.Uint64 // of Rejected, those that failed the replay check
	Unroutable  atomic.Uint64 // no receiver for the stream
	Malformed   atomic.Uint64
	PacketsIn   atomic.Uint64
	RTCPPackets atomic.Uint64
}

type route struct {
	r   *Receiver
	rtx bool
}

type mediaMsg interface{ mediaMsg() }

type (
	mediaStart struct {
		keys  SRTPKeys
		reply chan<- error
	}
	addReceiver struct{ r *Receiver }
	addSender   struct{ s *Sender }
	delSender   struct{ s *Sender }
)

func (mediaStart) mediaMsg()  {}
func (addReceiver) mediaMsg() {}
func (addSender) mediaMsg()   {}
func (delSender) mediaMsg()   {}

// mediaQueue bounds the packets waiting for the router; maxEarly those
// held until the session is keyed.
const (
	mediaQueue = 1024
	maxEarly   = 256
)

// NewMedia creates the router; Run starts it.
func NewMedia(log *slog.Logger) *Media {
	return &Media{
		in:      make(chan []byte, mediaQueue),
		ctl:     make(chan mediaMsg, 16),
		done:    make(chan struct{}),
		log:     log,
		bySSRC:  make(map[uint32]route),
		senders: make(map[uint32]*Sender),
	}
}

// offer is the mux's way in: never blocks, drops when full.
func (m *Media) offer(p []byte) {
	select {
	case m.in <- p:
	default:
		putPacket(p)
		m.Stats.QueueFull.Add(1)
	}
}

// Start keys the session once DTLS is up.
func (m *Media) Start(ctx context.Context, keys SRTPKeys) error {
	err, aerr := actors.Ask(ctx, m.done, m.ctl, func(r chan<- error) mediaMsg { return mediaStart{keys: keys, reply: r} })
	if aerr != nil {
		return aerr
	}
	return err
}

// AddReceiver registers a remote stream's receiver.
func (m *Media) AddReceiver(ctx context.Context, r *Receiver) error {
	return actors.Send(ctx, m.done, m.ctl, mediaMsg(addReceiver{r: r}))
}

// AddSender registers a sender for the feedback about its SSRCs.
func (m *Media) AddSender(ctx context.Context, s *Sender) error {
	return actors.Send(ctx, m.done, m.ctl, mediaMsg(addSender{s: s}))
}

// RemoveSender stops routing feedback to s.
func (m *Media) RemoveSender(ctx context.Context, s *Sender) error {
	return actors.Send(ctx, m.done, m.ctl, mediaMsg(delSender{s: s}))
}

// Run is the actor loop.
func (m *Media) Run(ctx context.Context) error {
	defer close(m.done)
	sup := actors.SupervisorOf(ctx)
	for {
		select {
		case c := <-m.ctl:
			m.handle(c)
		case p := <-m.in:
			sup.Checkpoint("media")
			if m.dec == nil && len(m.early) < maxEarly {
				// The remote finished DTLS first and is already sending.
				m.early = append(m.early, p)
				continue
			}
			if !m.packet(p, time.Now()) {
				putPacket(p)
			}
		case <-ctx.Done():
			return nil
		}
	}
}

func (m *Media) handle(c mediaMsg) {
	switch c := c.(type) {
	case mediaStart:
		dec, err := c.keys.Decrypter()
		if err == nil {
			m.dec = dec
		}
		c.reply <- err
		early := m.early
		m.early = nil
		for _, p := range early {
			if !m.packet(p, time.Now()) {
				putPacket(p)
			}
		}
	case addReceiver:
		m.receivers = append(m.receivers, c.r)
		for _, ssrc := range c.r.cfg.SSRCs {
			m.bySSRC[ssrc] = route{r: c.r}
		}
		for _, ssrc := range c.r.cfg.RTXSSRCs {
			m.bySSRC[ssrc] = route{r: c.r, rtx: true}
		}
	case addSender:
		m.senders[c.s.cfg.SSRC] = c.s
		if c.s.cfg.RTXSSRC != 0 {
			m.senders[c.s.cfg.RTXSSRC] = c.s
		}
	case delSender:
		for k, v := range m.senders {
			if v == c.s {
				delete(m.senders, k)
			}
		}
	default:
		panic("media actor: unknown message")
	}
}

// packet decrypts and routes one SRTP or SRTCP packet p, a pooled buffer.
// It reports true if a receiver took p over (it gives the buffer back);
// otherwise the caller still owns it.
func (m *Media) packet(p []byte, now time.Time) bool {
	if m.dec == nil {
		m.Stats.Unroutable.Add(1) // media before DTLS finished: nothing to key it with
		return false
	}
	m.Stats.PacketsIn.Add(1)
	if demux.Classify(p) == demux.RTCP {
		m.rtcp(p, now)
		return false
	}
	n, err := m.header.Unmarshal(p)
	if err != nil {
		m.Stats.Malformed.Add(1)
		return false
	}
	plain, err := m.dec.DecryptRTP(p, p, &m.header)
	if err != nil {
		m.reject(err, m.bySSRC[m.header.SSRC].r)
		return false
	}
	rt, ok := m.route(&m.header)
	if !ok {
		m.Stats.Unroutable.Add(1)
		return false
	}
	payload := plain[n:]
	if m.header.Padding && len(payload) > 0 {
		pad := int(payload[len(payload)-1])
		if pad == 0 || pad > len(payload) {
			m.Stats.Malformed.Add(1)
			return false
		}
		payload = payload[:len(payload)-pad]
	}
	return rt.r.offer(RTPIn{
		SSRC:        m.header.SSRC,
		Seq:         m.header.SequenceNumber,
		Timestamp:   m.header.Timestamp,
		Marker:      m.header.Marker,
		PayloadType: m.header.PayloadType,
		Payload:     payload,
		Arrival:     now,
		RTX:         rt.rtx,
		buf:         p,
	})
}

// route finds the receiver of a packet and learns its SSRC.
func (m *Media) route(h *rtp.Header) (route, bool) {
	if rt, ok := m.bySSRC[h.SSRC]; ok {
		return rt, true
	}
	for _, r := range m.receivers {
		if r.cfg.MIDExtID == 0 {
			continue
		}
		if mid := h.GetExtension(r.cfg.MIDExtID); mid != nil && string(mid) == r.cfg.MID {
			rt := route{r: r, rtx: r.isRTXPayloadType(h.PayloadType)}
			m.bySSRC[h.SSRC] = rt
			return rt, true
		}
	}
	for _, r := range m.receivers {
		if r.hasPayloadType(h.PayloadType) {
			rt := route{r: r, rtx: r.isRTXPayloadType(h.PayloadType)}
			m.bySSRC[h.SSRC] = rt
			return rt, true
		}
	}
	return route{}, false
}

func (m *Media) rtcp(p []byte, now time.Time) {
	plain, err := m.dec.DecryptRTCP(p, p, nil)
	if err != nil {
		m.reject(err, nil)
		return
	}
	pkts, err := rtcp.Unmarshal(plain)
	if err != nil {
		m.Stats.Malformed.Add(1)
		return
	}
	m.Stats.RTCPPackets.Add(uint64(len(pkts)))
	for _, pkt := range pkts {
		switch pkt := pkt.(type) {
		case *rtcp.SenderReport:
			if rt, ok := m.bySSRC[pkt.SSRC]; ok && !rt.rtx {
				rt.r.offerFeedback(feedback{sr: pkt, at: now})
			}
			m.reports(pkt.Reports, now)
		case *rtcp.ReceiverReport:
			m.reports(pkt.Reports, now)
		case *rtcp.TransportLayerNack:
			if s := m.senders[pkt.MediaSSRC]; s != nil {
				s.offerFeedback(senderFeedback{nack: pkt})
			}
		case *rtcp.PictureLossIndication:
			if s := m.senders[pkt.MediaSSRC]; s != nil {
				s.offerFeedback(senderFeedback{keyframe: true})
			}
		case *rtcp.FullIntraRequest:
			for _, e := range pkt.FIR {
				if s := m.senders[e.SSRC]; s != nil {
					s.offerFeedback(senderFeedback{keyframe: true})
				}
			}
		}
	}
}

// reject counts a packet SRTP refused, on the router and, when its SSRC is
// known, on its stream's receiver: a replay (a copy of a packet already
// accepted) apart from a failed authentication (forged or altered).
func (m *Media) reject(err error, r *Receiver) {
	m.Stats.Rejected.Add(1)
	switch {
	case errors.Is(err, srtp.ErrFailedToVerifyAuthTag):
		if r != nil {
			r.Unauthentic.Add(1)
		}
	case isReplay(err):
		m.Stats.Replayed.Add(1)
		if r != nil {
			r.Replayed.Add(1)
		}
	}
}

// isReplay reports whether SRTP refused a packet as a duplicate. pion/srtp
// v3 keeps that error's type and sentinel unexported; its text is what is
// left to recognise it by.
func isReplay(err error) bool {
	return strings.Contains(err.Error(), "duplicated packet")
}

func (m *Media) reports(rs []rtcp.ReceptionReport, now time.Time) {
	for i := range rs {
		if s := m.senders[rs[i].SSRC]; s != nil {
			s.offerFeedback(senderFeedback{report: rs[i], hasReport: true, at: now})
		}
	}
}

// MediaConn is where senders and receivers write protected packets: the
// ICE connection, safe for concurrent writers.
type MediaConn interface {
	Write([]byte) (int, error)
}
