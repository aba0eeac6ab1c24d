//go:build !chanrtc_nomedia

package transport

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Packetizer splits a frame into RTP payloads (codec/h264, codec/opus,
// codec/g711); emit's payload is only valid during the call.
type Packetizer interface {
	Packetize(frame []byte, emit func(payload []byte, marker bool)) error
}

// SenderConfig configures one local stream.
type SenderConfig struct {
	SSRC, RTXSSRC uint32
	PayloadType   uint8
	RTXType       uint8 // 0 = no RTX: NACKed packets are resent as they were
	ClockRate     uint32
	MID           string
	MIDExtID      uint8 // 0 = no mid extension
	Packetizer    Packetizer
	Conn          MediaConn
	Keys          SRTPKeys
	RTT           *atomic.Int64 // published for the connection's receivers
	OnKeyframe    func()        // must not block (it emits to the user)
	Logger        *slog.Logger
}

// OutFrame is one frame to send.
type OutFrame struct {
	Data     []byte
	Duration time.Duration // advances the RTP timestamp after this frame
	RTP      *rtp.Packet   // set instead of Data to forward a packet as is
}

// historySize bounds the packets kept for retransmission.
const historySize = 1024

// senderQueue bounds the frames and forwarded packets waiting for the
// actor. A forwarder hands over a video keyframe as a burst of packets
// (a 300 KB keyframe is ~250 of them): the queue must take one whole while
// the actor is not running, or the keyframe loses packets and the
// receiver asks for another. 256 entries cost 10 KiB per sender.
const senderQueue = 256

// Sender is the actor of one local stream: frames in, packetized,
// timestamped, protected and sent; it keeps a bounded history to answer
// NACKs (over RTX when negotiated), sends Sender Reports, and reports
// keyframe requests. Frames are offered: when its queue is full the frame
// is dropped and counted.
type Sender struct {
	cfg  SenderConfig
	in   chan OutFrame
	fb   chan senderFeedback
	done chan struct{}

	// Owned by the actor goroutine.
	enc       *srtp.Context
	seq       uint16
	rtxSeq    uint16
	ts        uint32
	lastTS    uint32
	lastAt    time.Time
	packets   uint32
	octets    uint32
	history   [historySize]histEntry
	hdr       rtp.Header
	out       []byte
	plain     []byte
	nextSR    time.Time
	lastKFReq time.Time

	Dropped        atomic.Uint64
	PacketsSent    atomic.Uint64
	Retransmitted  atomic.Uint64
	KeyframeAsked  atomic.Uint64
	NACKsUnmatched atomic.Uint64
}

type histEntry struct {
	seq    uint16
	ts     uint32
	marker bool
	valid  bool
	pt     uint8
	data   []byte // payload, reused
}

type senderFeedback struct {
	nack      *rtcp.TransportLayerNack
	keyframe  bool
	report    rtcp.ReceptionReport
	hasReport bool
	at        time.Time
}

// NewSender creates the actor; Run starts it.
func NewSender(cfg SenderConfig) *Sender {
	return &Sender{
		cfg:    cfg,
		in:     make(chan OutFrame, senderQueue),
		fb:     make(chan senderFeedback, 64),
		done:   make(chan struct{}),
		seq:    uint16(rand.Uint32()),
		rtxSeq: uint16(rand.Uint32()),
		ts:     rand.Uint32(),
	}
}

// Done is closed when the actor has stopped.
func (s *Sender) Done() <-chan struct{} { return s.done }

// Write offers a frame without blocking; false means it was dropped.
func (s *Sender) Write(f OutFrame) bool {
	select {
	case <-s.done:
		return false
	default:
	}
	select {
	case s.in <- f:
		return true
	default:
		s.Dropped.Add(1)
		return false
	}
}

func (s *Sender) offerFeedback(f senderFeedback) {
	select {
	case s.fb <- f:
	default:
	}
}

// srInterval is the Sender Report period.
const srInterval = time.Second

// Run is the actor loop.
func (s *Sender) Run(ctx context.Context) error {
	defer close(s.done)
	enc, err := s.cfg.Keys.Encrypter()
	if err != nil {
		return err
	}
	s.enc = enc
	timer := time.NewTimer(srInterval)
	defer timer.Stop()
	sup := actors.SupervisorOf(ctx)
	for {
		sup.Checkpoint("sender")
		select {
		case f := <-s.in:
			s.frame(f, time.Now())
		case f := <-s.fb:
			s.feedback(f)
		case <-timer.C:
			s.senderReport(time.Now())
			timer.Reset(srInterval)
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *Sender) frame(f OutFrame, now time.Time) {
	if f.RTP != nil {
		s.forward(f.RTP, now)
		return
	}
	ts := s.ts
	_ = s.cfg.Packetizer.Packetize(f.Data, func(payload []byte, marker bool) {
		s.send(s.cfg.PayloadType, payload, ts, marker, now)
	})
	s.lastTS, s.lastAt = ts, now
	s.ts += uint32(f.Duration.Seconds()*float64(s.cfg.ClockRate) + 0.5)
}

// forward sends a packet from elsewhere with our SSRC and sequence numbers
// and its own payload type (the caller maps it if the two connections
// numbered the codec differently); timestamps keep their spacing.
func (s *Sender) forward(p *rtp.Packet, now time.Time) {
	pt := p.PayloadType
	if pt == 0 && s.cfg.PayloadType != 0 {
		pt = s.cfg.PayloadType // an unset PT (PCMU's is 0 and equal anyway)
	}
	s.send(pt, p.Payload, p.Timestamp, p.Marker, now)
	s.lastTS, s.lastAt = p.Timestamp, now
}

func (s *Sender) send(pt uint8, payload []byte, ts uint32, marker bool, now time.Time) {
	h := &s.history[s.seq%historySize]
	h.seq, h.ts, h.marker, h.valid, h.pt = s.seq, ts, marker, true, pt
	h.data = append(h.data[:0], payload...)
	s.write(s.cfg.SSRC, pt, s.seq, ts, marker, payload)
	s.seq++
	s.packets++
	s.octets += uint32(len(payload))
	s.PacketsSent.Add(1)
}

func (s *Sender) write(ssrc uint32, pt uint8, seq uint16, ts uint32, marker bool, payload []byte) {
	if s.hdr.Version == 0 {
		// Built once: the mid extension is the same on every packet.
		s.hdr.Version = 2
		if s.cfg.MIDExtID != 0 {
			_ = s.hdr.SetExtension(s.cfg.MIDExtID, []byte(s.cfg.MID))
		}
	}
	s.hdr.Marker, s.hdr.PayloadType, s.hdr.SequenceNumber, s.hdr.Timestamp, s.hdr.SSRC = marker, pt, seq, ts, ssrc
	n := s.hdr.MarshalSize()
	if cap(s.plain) < n+len(payload) {
		s.plain = make([]byte, n, n+len(payload)+packetSize)
	}
	s.plain = s.plain[:n]
	if _, err := s.hdr.MarshalTo(s.plain); err != nil {
		return
	}
	s.plain = append(s.plain, payload...)
	out, err := s.enc.EncryptRTP(s.out[:0], s.plain, &s.hdr)
	if err != nil {
		return
	}
	s.out = out
	_, _ = s.cfg.Conn.Write(out)
}

func (s *Sender) feedback(f senderFeedback) {
	switch {
	case f.nack != nil:
		for _, pair := range f.nack.Nacks {
			pair.Range(func(seq uint16) bool {
				s.retransmit(seq)
				return true
			})
		}
	case f.keyframe:
		// Browsers repeat PLIs while they wait; one report per ~RTT is
		// enough for the application.
		if time.Since(s.lastKFReq) < 100*time.Millisecond {
			return
		}
		s.lastKFReq = time.Now()
		s.KeyframeAsked.Add(1)
		if s.cfg.OnKeyframe != nil {
			s.cfg.OnKeyframe()
		}
	case f.hasReport:
		s.rtt(f.report, f.at)
	}
}

func (s *Sender) retransmit(seq uint16) {
	h := &s.history[seq%historySize]
	if !h.valid || h.seq != seq {
		s.NACKsUnmatched.Add(1)
		return
	}
	s.Retransmitted.Add(1)
	if s.cfg.RTXType == 0 || s.cfg.RTXSSRC == 0 || h.pt != s.cfg.PayloadType {
		// No RTX (or none for this forwarded codec): resend as it was.
		s.write(s.cfg.SSRC, h.pt, h.seq, h.ts, h.marker, h.data)
		return
	}
	// RFC 4588 §4: the original sequence number, then the payload.
	buf := make([]byte, 2+len(h.data))
	buf[0], buf[1] = byte(seq>>8), byte(seq)
	copy(buf[2:], h.data)
	s.write(s.cfg.RTXSSRC, s.cfg.RTXType, s.rtxSeq, h.ts, h.marker, buf)
	s.rtxSeq++
}

// rtt computes the round-trip time from a reception report about our
// stream (RFC 3550 §6.4.1: now - LSR - DLSR, in 1/65536 s).
func (s *Sender) rtt(r rtcp.ReceptionReport, at time.Time) {
	if r.LastSenderReport == 0 || s.cfg.RTT == nil {
		return
	}
	now := uint32(ntpTime(at) >> 16)
	d := int64(now) - int64(r.LastSenderReport) - int64(r.Delay)
	if d < 0 {
		return
	}
	rtt := time.Duration(d) * time.Second / 65536
	s.cfg.RTT.Store(int64(rtt))
}

func (s *Sender) senderReport(now time.Time) {
	if s.packets == 0 {
		return
	}
	rtpNow := s.lastTS + uint32(now.Sub(s.lastAt).Seconds()*float64(s.cfg.ClockRate))
	sr := &rtcp.SenderReport{SSRC: s.cfg.SSRC, NTPTime: ntpTime(now), RTPTime: rtpNow, PacketCount: s.packets, OctetCount: s.octets}
	raw, err := sr.Marshal()
	if err != nil {
		return
	}
	out, err := s.enc.EncryptRTCP(nil, raw, nil)
	if err != nil {
		return
	}
	_, _ = s.cfg.Conn.Write(out)
}

// ntpTime is t as a 64-bit NTP timestamp (RFC 5905).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}
