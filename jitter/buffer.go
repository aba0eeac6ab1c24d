package jitter

import "time"

// Codec tells the buffer about payloads. A nil Codec (fine for audio) treats
// every packet as a possible frame start and every frame as a keyframe.
type Codec interface {
	IsKeyframe(payload []byte) bool   // (part of) a keyframe: decoding may resume here
	IsFrameStart(payload []byte) bool // may be the first packet of a frame
}

// Config shapes a Buffer. The zero value is a working audio buffer.
type Config struct {
	ClockRate uint32 // RTP clock: 0 means 90000 for video, 48000 for audio

	// Video: frames span packets (the marker bit ends a frame) and decoding
	// resumes only at keyframes. Audio: one packet is one frame, no
	// keyframe logic, no keyframe requests.
	Video bool
	Codec Codec // frame starts and keyframes; see Codec for nil

	// Playout delay bounds. MaxDelay 0 means 1 s for video, 500 ms for
	// audio; it also bounds how long a hole is waited for (except while
	// video awaits a keyframe: then the NACK retries bound it).
	MinDelay, MaxDelay time.Duration

	// MaxPackets bounds the packets held (0: 1024 video, 256 audio; at most
	// 16384). When a packet would need more, the oldest frames are dropped
	// and counted; before that, from three-quarters full, complete frames
	// leave ahead of their playout time.
	MaxPackets int

	// MaxPayload bounds the bytes stored per packet (0: 1500, at most
	// 65536). Larger payloads are dropped and counted.
	MaxPayload int

	NACK           bool // request retransmission of missing packets
	MaxNACKRetries int  // requests per missing packet (0: 10)
}

const maxMaxPackets = 1 << 14

func (c Config) withDefaults() Config {
	if c.ClockRate == 0 {
		c.ClockRate = 48000
		if c.Video {
			c.ClockRate = 90000
		}
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 500 * time.Millisecond
		if c.Video {
			c.MaxDelay = time.Second
		}
	}
	c.MinDelay = min(max(c.MinDelay, 0), c.MaxDelay)
	if c.MaxPackets <= 0 {
		c.MaxPackets = 256
		if c.Video {
			c.MaxPackets = 1024
		}
	}
	c.MaxPackets = min(c.MaxPackets, maxMaxPackets)
	if c.MaxPayload <= 0 {
		c.MaxPayload = 1500
	}
	c.MaxPayload = min(c.MaxPayload, 1<<16)
	if c.MaxNACKRetries <= 0 {
		c.MaxNACKRetries = 10
	}
	if c.Codec == nil {
		c.Codec = anyCodec{}
	}
	return c
}

// anyCodec is the nil Codec: every packet may start a frame, every frame is
// a place where decoding may resume.
type anyCodec struct{}

func (anyCodec) IsKeyframe([]byte) bool   { return true }
func (anyCodec) IsFrameStart([]byte) bool { return true }

// Frame is one complete frame, in order.
type Frame struct {
	Timestamp         uint32   // RTP timestamp
	Payloads          [][]byte // RTP payloads in sequence order; valid until the next call on the Buffer
	FirstSeq, LastSeq uint16
	Keyframe          bool      // one of its packets is (part of) a keyframe
	Arrival           time.Time // arrival of the frame's last-arriving packet: when it became complete
	LostBefore        bool      // frames or packets were skipped since the previous frame
}

// Buffer is the receive-side jitter buffer of one RTP stream. It is a pure
// state machine: not safe for concurrent use, no goroutine, no timer, and it
// never reads the clock; every input carries its own now.
type Buffer struct {
	cfg Config

	// The window [next, highest] of extended sequence numbers; every number
	// in it has a slot (missing, present or dead). Its span never exceeds
	// cfg.MaxPackets, which is what bounds memory.
	slots   []slot
	mask    int64
	next    int64 // the first packet not yet delivered or given up
	highest int64 // the highest packet seen; next-1 when the window is empty
	started bool
	held    int // present slots
	missing int // missing slots

	// Payload storage: buffers of capacity MaxPayload, made on demand and
	// recycled, so at most MaxPackets of them ever exist.
	free      [][]byte
	allocated int
	out       [][]byte // Frame.Payloads of the last Pop

	// What left the window last, to judge whether the head starts a frame.
	prevKind        prevKind
	prevTs          uint32
	prevEnd         bool // it ended a frame (marker or padding)
	lastPresentTs   uint32
	lastPresentEnd  bool
	haveLastPresent bool

	// Output order: frames leave in increasing (serial) timestamp order.
	lastTs     uint32
	haveLastTs bool
	backwards  int // frames dropped in a row for going back in time

	lostBefore  bool
	needKey     bool // video: withhold frames until a keyframe
	kfRaised    bool // a keyframe request is needed
	kfSent      bool
	lastKF      int64
	keyHint     int64 // a recent packet that starts a keyframe
	haveKeyHint bool

	// RFC 3550 A.1 probation: a huge jump is a restart only once the next
	// packet confirms it.
	probation bool
	probSeq   uint16
	probAt    int64

	epoch     time.Time
	haveEpoch bool
	now       int64 // the latest time seen, in ns since epoch

	rtt   int64 // ns; 0 until SetRTT
	est   estimates
	delay int64 // current target playout delay, ns
	late  lateRing
	stats Stats
}

type prevKind uint8

const (
	prevNone    prevKind = iota // nothing has left the window yet
	prevPresent                 // a received packet left it
	prevMissing                 // a hole (or an unusable packet) was given up
)

// New returns an empty buffer. The zero Config gives an audio buffer.
func New(cfg Config) *Buffer {
	cfg = cfg.withDefaults()
	size := 1
	for size < cfg.MaxPackets {
		size <<= 1
	}
	b := &Buffer{
		cfg:   cfg,
		slots: make([]slot, size),
		mask:  int64(size - 1),
		free:  make([][]byte, 0, cfg.MaxPackets),
		out:   make([][]byte, 0, 16),
	}
	b.needKey = cfg.Video
	b.est.init(cfg)
	b.delay = int64(cfg.MinDelay)
	return b
}

// Push hands the buffer one packet, after SRTP decryption and RTX
// unwrapping. The payload is copied. An empty payload is padding: it holds
// its sequence number but never becomes a frame.
func (b *Buffer) Push(now time.Time, seq uint16, ts uint32, marker bool, payload []byte) {
	t := b.tick(now)
	b.stats.Received++
	if !b.started {
		b.begin(seq)
	}
	e, ok := b.unwrap(seq)
	if !ok {
		if !b.confirmRestart(seq, t) {
			b.stats.Dropped++
			return
		}
		e, _ = b.unwrap(seq)
	} else {
		b.probation = false
	}
	b.insert(t, e, ts, marker, payload)
	b.refreshDelay(t)
}

// SetRTT gives the round-trip time measured by RTCP. It paces NACK retries
// and keyframe requests and sizes the wait for retransmissions. Until it
// is called, 100 ms is assumed.
func (b *Buffer) SetRTT(rtt time.Duration) {
	if rtt > 0 {
		b.rtt = int64(min(rtt, 10*time.Second))
	}
}

// Held reports how many packets the buffer holds.
func (b *Buffer) Held() int { return b.held }

// Reset forgets the stream (for example on an SSRC change): every held
// packet, the sequence and timestamp state. Counters, the RTT and the
// network estimates (jitter, recovery times, delay) are kept.
func (b *Buffer) Reset() {
	for b.started && b.next <= b.highest {
		b.advance(false)
	}
	b.started = false
	b.prevKind = prevNone
	b.haveLastPresent = false
	b.haveLastTs = false
	b.backwards = 0
	b.lostBefore = false
	b.needKey = b.cfg.Video
	b.kfRaised = false
	b.haveKeyHint = false
	b.probation = false
	b.late = lateRing{}
	b.est.jitHave = false
}

// maxTick keeps times far from int64 overflow whatever now the caller passes.
const maxTick = int64(1) << 61

// tick converts now to ns since the first time seen and tracks the latest.
func (b *Buffer) tick(now time.Time) int64 {
	if !b.haveEpoch {
		b.epoch, b.haveEpoch = now, true
	}
	t := min(max(int64(now.Sub(b.epoch)), -maxTick), maxTick)
	if t > b.now {
		b.now = t
	}
	b.refreshDelay(t)
	return t
}

func (b *Buffer) timeAt(t int64) time.Time { return b.epoch.Add(time.Duration(t)) }

// skipped notes a gap in the output: the next frame is LostBefore and, for
// video, decoding must resume at a keyframe, which is requested.
func (b *Buffer) skipped() {
	b.lostBefore = true
	if b.cfg.Video {
		b.needKey = true
		b.kfRaised = true
	}
}
