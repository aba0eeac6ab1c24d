//go:build !chanrtc_nomedia

package transport

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/jitter"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// RTPIn is one decrypted RTP packet handed by the router to a receiver.
// Payload aliases the router's buffer: valid only until the receiver's
// handling of it returns.
type RTPIn struct {
	SSRC        uint32
	Seq         uint16
	Timestamp   uint32
	Marker      bool
	PayloadType uint8
	Payload     []byte
	Arrival     time.Time
	RTX         bool

	// buf is the pooled buffer Payload lies in, given back once the
	// receiver is done with the packet (nil: not pooled).
	buf []byte
}

// FrameAssembler rebuilds a frame from the RTP payloads of one timestamp
// (codec/h264, codec/opus).
type FrameAssembler interface {
	Depacketize(dst []byte, payloads [][]byte) ([]byte, bool, error)
}

// ReceiverCodec is one negotiated payload type of a remote stream.
type ReceiverCodec struct {
	PayloadType uint8
	RTX         uint8 // its RTX payload type, 0 = none
	ClockRate   uint32
	Assembler   FrameAssembler // nil: RTP-level only (no frames)
	Jitter      jitter.Codec   // video keyframe/frame-start knowledge
}

// ReceiverConfig configures one remote stream.
type ReceiverConfig struct {
	MID      string
	MIDExtID uint8
	Video    bool
	SSRCs    []uint32 // signalled (a=ssrc); may be empty (learned by mid/PT)
	RTXSSRCs []uint32
	Codecs   []ReceiverCodec
	NACK     bool
	PLI      bool
	Conn     MediaConn
	Keys     SRTPKeys
	RTT      *atomic.Int64 // the connection's RTT estimate in ns, from senders
	Logger   *slog.Logger
}

// MediaFrame is a whole frame out of the jitter buffer.
type MediaFrame struct {
	Data       []byte // owned by the reader
	Timestamp  uint32
	Arrival    time.Time
	Keyframe   bool
	LostBefore bool
}

// Receiver is the actor of one remote stream: SRTP-decrypted packets in,
// jitter buffer, depacketizer, whole frames out; it sends Receiver Reports,
// NACKs and keyframe requests. Its queues are bounded; when the
// application does not read, the oldest frames are dropped and counted.
type Receiver struct {
	cfg   ReceiverConfig
	in    chan RTPIn
	fb    chan feedback
	kf    chan struct{}
	done  chan struct{}
	ssrc  uint32 // our SSRC as a reporter
	clock uint32

	frames  chan MediaFrame
	rtpOut  chan *rtp.Packet
	wantRTP atomic.Bool

	// Owned by the actor goroutine.
	jb      *jitter.Buffer
	enc     *srtp.Context
	stats   receptionStats
	srNTP   uint64 // middle 32 bits are LSR
	srAt    time.Time
	nacks   []uint16
	kfAsked bool // a keyframe request waits for the remote's SSRC

	PacketsLost      atomic.Uint64 // given up on by the jitter buffer
	PacketsRecovered atomic.Uint64 // arrived after a NACK
	Dropped          atomic.Uint64 // packets refused: queue full
	FramesDropped    atomic.Uint64 // frames the application did not read in time
	FramesBroken     atomic.Uint64
	KeyframeAsked    atomic.Uint64
	FramesReceived   atomic.Uint64
	Replayed         atomic.Uint64 // SRTP packets refused as replays (counted by Media)
	Unauthentic      atomic.Uint64 // SRTP packets that failed authentication (counted by Media)
}

type feedback struct {
	sr *rtcp.SenderReport
	at time.Time
}

// NewReceiver creates the actor; Run starts it.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	r := &Receiver{
		cfg:    cfg,
		in:     make(chan RTPIn, 512),
		fb:     make(chan feedback, 8),
		kf:     make(chan struct{}, 1),
		done:   make(chan struct{}),
		ssrc:   rand.Uint32(),
		frames: make(chan MediaFrame, 64),
		rtpOut: make(chan *rtp.Packet, 256),
	}
	if len(cfg.Codecs) > 0 {
		r.clock = cfg.Codecs[0].ClockRate
	}
	jc := jitter.Config{ClockRate: r.clock, Video: cfg.Video, NACK: cfg.NACK}
	if cfg.Video && len(cfg.Codecs) > 0 {
		jc.Codec = cfg.Codecs[0].Jitter
	}
	r.jb = jitter.New(jc)
	return r
}

// Frames delivers whole frames.
func (r *Receiver) Frames() <-chan MediaFrame { return r.frames }

// RTP delivers packets as they arrive (for forwarding), once asked for.
func (r *Receiver) RTP() <-chan *rtp.Packet {
	r.wantRTP.Store(true)
	return r.rtpOut
}

// Done is closed when the actor has stopped.
func (r *Receiver) Done() <-chan struct{} { return r.done }

// RequestKeyframe asks the remote sender for a keyframe (PLI).
func (r *Receiver) RequestKeyframe() {
	select {
	case r.kf <- struct{}{}:
	default:
	}
}

// offer queues p without waiting; the receiver then owns p.buf. It
// reports false, and the caller keeps the buffer, if the queue is full.
func (r *Receiver) offer(p RTPIn) bool {
	select {
	case r.in <- p:
		return true
	default:
		r.Dropped.Add(1)
		return false
	}
}

func (r *Receiver) offerFeedback(f feedback) {
	select {
	case r.fb <- f:
	default:
	}
}

func (r *Receiver) hasPayloadType(pt uint8) bool {
	for _, c := range r.cfg.Codecs {
		if c.PayloadType == pt || c.RTX != 0 && c.RTX == pt {
			return true
		}
	}
	return false
}

func (r *Receiver) isRTXPayloadType(pt uint8) bool {
	for _, c := range r.cfg.Codecs {
		if c.RTX != 0 && c.RTX == pt {
			return true
		}
	}
	return false
}

func (r *Receiver) codecOf(pt uint8) *ReceiverCodec {
	for i := range r.cfg.Codecs {
		if r.cfg.Codecs[i].PayloadType == pt {
			return &r.cfg.Codecs[i]
		}
	}
	return nil
}

// reportInterval is how often Receiver Reports go out (RFC 3550 §6.2 lets
// WebRTC use short intervals; browsers send about one a second).
const reportInterval = time.Second

// Run is the actor loop.
func (r *Receiver) Run(ctx context.Context) error {
	defer close(r.done)
	enc, err := r.cfg.Keys.Encrypter()
	if err != nil {
		return err
	}
	r.enc = enc
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	nextReport := time.Now().Add(reportInterval)
	sup := actors.SupervisorOf(ctx)
	// armed is the deadline the timer is set for: packets of one frame
	// share a deadline, and resetting the timer for each costs a lock on
	// the runtime's timer heap per packet.
	var armed time.Time
	for {
		sup.Checkpoint("receiver")
		now := time.Now()
		r.flush(now)
		if !now.Before(nextReport) {
			r.sendReport(now)
			nextReport = now.Add(reportInterval)
		}
		deadline := nextReport
		if d := r.jb.NextDeadline(); !d.IsZero() && d.Before(deadline) {
			deadline = d
		}
		if !deadline.Equal(armed) {
			timer.Reset(max(deadline.Sub(now), 0))
			armed = deadline
		}
		select {
		case p := <-r.in:
			r.packet(p)
			r.drain()
		case f := <-r.fb:
			r.srNTP, r.srAt = f.sr.NTPTime, f.at
		case <-r.kf:
			r.requestKeyframe()
		case <-timer.C:
			armed = time.Time{}
		case <-ctx.Done():
			return nil
		}
	}
}

// maxBurst bounds how many queued packets the receiver takes before it
// flushes again.
const maxBurst = 128

// drain takes the packets already queued behind the one just handled, so
// that a burst (a video frame's packets arrive back to back) is pushed
// whole before the jitter buffer is asked for frames, NACKs and its next
// deadline, each of which walks the head frame: once per burst rather
// than once per packet.
func (r *Receiver) drain() {
	for range maxBurst {
		select {
		case p := <-r.in:
			r.packet(p)
		default:
			return
		}
	}
}

func (r *Receiver) packet(p RTPIn) {
	defer putPacket(p.buf)
	if p.RTX {
		// RFC 4588 §4: the original sequence number leads the payload.
		if len(p.Payload) < 2 {
			return
		}
		p.Seq = uint16(p.Payload[0])<<8 | uint16(p.Payload[1])
		p.Payload = p.Payload[2:]
		for _, c := range r.cfg.Codecs {
			if c.RTX == p.PayloadType {
				p.PayloadType = c.PayloadType
			}
		}
	} else {
		r.stats.update(p, r.clock)
		if r.kfAsked {
			r.requestKeyframe()
		}
	}
	if r.wantRTP.Load() {
		pkt := &rtp.Packet{
			Header: rtp.Header{Version: 2, Marker: p.Marker, PayloadType: p.PayloadType,
				SequenceNumber: p.Seq, Timestamp: p.Timestamp, SSRC: p.SSRC},
			Payload: append([]byte(nil), p.Payload...),
		}
		offerDropOldest(r.rtpOut, pkt)
	}
	if r.codecOf(p.PayloadType) == nil {
		return
	}
	r.jb.Push(p.Arrival, p.Seq, p.Timestamp, p.Marker, p.Payload)
}

// flush moves due frames out and sends the feedback the buffer asks for.
func (r *Receiver) flush(now time.Time) {
	if rtt := r.cfg.RTT; rtt != nil && rtt.Load() > 0 {
		r.jb.SetRTT(time.Duration(rtt.Load()))
	}
	for {
		f, ok := r.jb.Pop(now)
		if !ok {
			break
		}
		r.frame(f)
	}
	if r.cfg.NACK {
		r.nacks = r.jb.AppendNACKs(r.nacks[:0], now)
		if len(r.nacks) > 0 {
			r.sendRTCP(&rtcp.TransportLayerNack{SenderSSRC: r.ssrc, MediaSSRC: r.mediaSSRC(), Nacks: rtcp.NackPairsFromSequenceNumbers(r.nacks)})
		}
	}
	st := r.jb.Stats()
	r.PacketsLost.Store(st.Lost)
	r.PacketsRecovered.Store(st.Recovered)
	if r.jb.KeyframeRequested() && r.cfg.PLI {
		r.KeyframeAsked.Add(1)
		r.requestKeyframe()
	}
}

func (r *Receiver) frame(f jitter.Frame) {
	var asm FrameAssembler
	if c := r.codecOf(r.stats.pt); c != nil {
		asm = c.Assembler
	}
	if asm == nil {
		return
	}
	data, key, err := asm.Depacketize(nil, f.Payloads)
	if err != nil {
		r.FramesBroken.Add(1)
		if r.cfg.PLI {
			r.RequestKeyframe()
		}
		return
	}
	r.FramesReceived.Add(1)
	mf := MediaFrame{Data: data, Timestamp: f.Timestamp, Arrival: f.Arrival, Keyframe: key || f.Keyframe, LostBefore: f.LostBefore}
	if !offerDropOldest(r.frames, mf) {
		r.FramesDropped.Add(1)
	}
}

// offerDropOldest queues v, dropping the oldest entry when the queue is
// full (real-time data: the newest matters). It reports whether nothing
// was dropped. Only the owning actor sends on ch.
func offerDropOldest[T any](ch chan T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
	}
	select {
	case <-ch:
	default:
	}
	select {
	case ch <- v:
	default:
	}
	return false
}

// mediaSSRC is the remote stream's SSRC: the one media comes from, else
// the one signalled, else 0 (not known yet).
func (r *Receiver) mediaSSRC() uint32 {
	if r.stats.ssrc != 0 {
		return r.stats.ssrc
	}
	if len(r.cfg.SSRCs) == 1 {
		return r.cfg.SSRCs[0]
	}
	return 0
}

// requestKeyframe sends a PLI; while the remote's SSRC is unknown, the
// request waits for the first packet.
func (r *Receiver) requestKeyframe() {
	ssrc := r.mediaSSRC()
	r.kfAsked = ssrc == 0
	if ssrc != 0 {
		r.sendRTCP(&rtcp.PictureLossIndication{SenderSSRC: r.ssrc, MediaSSRC: ssrc})
	}
}

func (r *Receiver) sendReport(now time.Time) {
	if r.stats.ssrc == 0 {
		return
	}
	rep := r.stats.report(now, r.srNTP, r.srAt)
	r.sendRTCP(&rtcp.ReceiverReport{SSRC: r.ssrc, Reports: []rtcp.ReceptionReport{rep}})
}

func (r *Receiver) sendRTCP(p rtcp.Packet) {
	raw, err := p.Marshal()
	if err != nil {
		return
	}
	out, err := r.enc.EncryptRTCP(nil, raw, nil)
	if err != nil {
		return
	}
	_, _ = r.cfg.Conn.Write(out)
}
