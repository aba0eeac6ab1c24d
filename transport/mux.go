package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/chanrtc/chanrtc/actors"
	"github.com/chanrtc/chanrtc/internal/demux"
)

// packetSize is the pooled buffer size and the largest datagram the mux
// takes: every packet of a WebRTC session on a normal path fits (SCTP uses
// ~1200-byte packets, DTLS handshakes fragment at 1200, media ~1200, and a
// 1500-byte Ethernet MTU carries at most 1472 bytes of UDP payload). A
// longer datagram is dropped and counted, as a path of that MTU would.
const packetSize = 1500

// freePackets recycles packet buffers between the mux, the endpoints and
// the media actors. A sync.Pool of array pointers (boxing a pointer
// allocates nothing, unlike boxing a slice): each processor reuses the
// buffers it just freed without a lock, where a shared channel of buffers
// cost two contended channel operations per packet (8% of a media
// receiver's CPU). The collector takes back what a quiet process holds.
var freePackets = sync.Pool{New: func() any { return new([packetSize]byte) }}

func getPacket(n int) []byte {
	if n > packetSize {
		return make([]byte, n)
	}
	return freePackets.Get().(*[packetSize]byte)[:n]
}

// putPacket recycles b if it is a whole pooled buffer; a sub-slice that
// does not start at the buffer's beginning is left to the collector.
func putPacket(b []byte) {
	if cap(b) != packetSize {
		return
	}
	freePackets.Put((*[packetSize]byte)(b[:packetSize]))
}

// Conn is what the mux reads: the ICE connection.
type Conn interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	Close() error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// Mux is the actor that owns reading the ICE connection. It classifies each
// datagram by its first byte (RFC 7983) and hands it to the endpoint of its
// layer without blocking; unknown and not-yet-wanted packets are dropped and
// counted.
type Mux struct {
	conn  Conn
	dtls  *Endpoint
	media atomic.Pointer[Media]

	dropped atomic.Uint64

	// The DTLS session over the DTLS endpoint, adopted once its handshake
	// is done, so that no goroutine has to stay behind just to close it.
	sessMu   sync.Mutex // guards the hand-over of session and stopping only
	session  io.Closer
	stopping bool
}

// endpointDepth bounds each endpoint's queue, in packets. The DTLS
// endpoint makes the mux wait rather than drop, so depth buys no delivery,
// only slack between the mux and the DTLS reader: 64 packets (one SCTP
// window burst of ~75 KB) keep both busy, and an idle connection pays
// 1.5 KiB for the queue instead of the 12 KiB of 512.
const endpointDepth = 64

// NewMux creates the mux and its DTLS endpoint over conn.
func NewMux(conn Conn) *Mux {
	m := &Mux{conn: conn}
	m.dtls = newEndpoint(endpointDepth, conn.Write, conn.LocalAddr, conn.RemoteAddr)
	return m
}

// DTLS is the endpoint carrying DTLS records.
func (m *Mux) DTLS() *Endpoint { return m.dtls }

// SetMedia routes SRTP and SRTCP to the media actor from now on; before,
// they are dropped (and counted): there is nothing to decrypt them with.
func (m *Mux) SetMedia(md *Media) { m.media.Store(md) }

// Adopt hands the mux the DTLS session over its DTLS endpoint: when the mux
// stops it closes the session first (its close_notify still goes out) and
// then the ICE connection. It reports false if the mux is already
// stopping; the caller then closes the session itself.
func (m *Mux) Adopt(session io.Closer) bool {
	m.sessMu.Lock()
	defer m.sessMu.Unlock()
	if m.stopping {
		return false
	}
	m.session = session
	return true
}

func (m *Mux) stop() {
	m.sessMu.Lock()
	m.stopping = true
	session := m.session
	m.sessMu.Unlock()
	if session != nil {
		_ = session.Close()
	}
	_ = m.conn.Close()
}

// Dropped counts datagrams no endpoint wanted.
func (m *Mux) Dropped() uint64 { return m.dropped.Load() }

// Run reads until ctx ends or the connection fails. Ending ctx closes the
// adopted DTLS session and the connection, which is what unblocks the read.
func (m *Mux) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, m.stop)
	defer stop()
	defer m.dtls.Close()
	// Each datagram is read straight into the pooled buffer that carries it
	// to its layer: no copy, and an idle mux holds 1.5 KB, not a scratch
	// buffer of the largest size it might read.
	sup := actors.SupervisorOf(ctx)
	for {
		p := getPacket(packetSize)
		n, err := m.conn.Read(p)
		switch {
		case errors.Is(err, io.ErrShortBuffer):
			putPacket(p)
			m.dropped.Add(1)
			continue
		case err != nil:
			// The agent is closed (by us or by ICE failing, which the ICE
			// state reports): nothing more will arrive.
			putPacket(p)
			return nil
		}
		sup.Checkpoint("mux")
		m.dispatch(ctx, p[:n])
	}
}

// dispatch hands p to its layer, which then owns it.
func (m *Mux) dispatch(ctx context.Context, p []byte) {
	switch demux.Classify(p) {
	case demux.DTLS:
		m.dtls.deliver(p, ctx.Done())
	case demux.RTP, demux.RTCP:
		md := m.media.Load()
		if md == nil {
			putPacket(p)
			m.dropped.Add(1)
			return
		}
		md.offer(p)
	default:
		putPacket(p)
		m.dropped.Add(1)
	}
}
