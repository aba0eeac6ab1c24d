package transport

import (
	"net"
	"os"
	"sync"
	"time"
)

// Endpoint is one demultiplexed stream of packets of the ICE connection (the
// DTLS records, later SRTP): a bounded queue filled by the mux, read as a
// net.PacketConn by the layer above. Writes go straight to the ICE
// connection, which is safe for concurrent use.
//
// Policy when full depends on what the endpoint carries. DTLS records carry
// SCTP, whose every loss costs a retransmission (and pion/sctp's timer
// floor is a second), so the mux waits for room: the kernel's socket
// buffer absorbs the burst and SCTP flow control does the rest. Media is
// real-time: there the newest packet is dropped and counted.
type Endpoint struct {
	in     chan []byte
	write  func([]byte) (int, error)
	remote func() net.Addr
	local  func() net.Addr

	closed    chan struct{}
	closeOnce sync.Once

	dlMu       sync.Mutex // guards the read deadline only
	deadline   time.Time
	deadlineCh chan struct{} // closed when the deadline changes

}

func newEndpoint(depth int, write func([]byte) (int, error), local, remote func() net.Addr) *Endpoint {
	return &Endpoint{
		in:         make(chan []byte, depth),
		write:      write,
		local:      local,
		remote:     remote,
		closed:     make(chan struct{}),
		deadlineCh: make(chan struct{}),
	}
}

// deliver hands a packet to the reader, waiting for room unless the
// endpoint or the mux (stop) is closed.
func (e *Endpoint) deliver(p []byte, stop <-chan struct{}) {
	select {
	case e.in <- p:
	case <-e.closed:
		putPacket(p)
	case <-stop:
		putPacket(p)
	}
}

// ReadFrom implements net.PacketConn.
func (e *Endpoint) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		e.dlMu.Lock()
		dl, changed := e.deadline, e.deadlineCh
		e.dlMu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			expired = t.C
		}
		select {
		case p := <-e.in:
			n := copy(b, p)
			putPacket(p)
			return n, e.remoteAddr(), nil
		case <-e.closed:
			return 0, nil, net.ErrClosed
		case <-changed:
		case <-expired:
			return 0, nil, os.ErrDeadlineExceeded
		}
	}
}

// WriteTo implements net.PacketConn; the address is ignored, as the ICE
// connection has one remote.
func (e *Endpoint) WriteTo(b []byte, _ net.Addr) (int, error) {
	select {
	case <-e.closed:
		return 0, net.ErrClosed
	default:
	}
	return e.write(b)
}

// Close implements net.PacketConn. It does not close the ICE connection.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() { close(e.closed) })
	return nil
}

// LocalAddr implements net.PacketConn.
func (e *Endpoint) LocalAddr() net.Addr { return orNone(e.local()) }

// RemoteAddr returns the selected remote address.
func (e *Endpoint) RemoteAddr() net.Addr { return e.remoteAddr() }

func (e *Endpoint) remoteAddr() net.Addr { return orNone(e.remote()) }

// SetDeadline implements net.PacketConn (the read side only matters here).
func (e *Endpoint) SetDeadline(t time.Time) error { return e.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn; a blocked ReadFrom notices.
func (e *Endpoint) SetReadDeadline(t time.Time) error {
	e.dlMu.Lock()
	e.deadline = t
	close(e.deadlineCh)
	e.deadlineCh = make(chan struct{})
	e.dlMu.Unlock()
	return nil
}

// SetWriteDeadline implements net.PacketConn; writes never block.
func (e *Endpoint) SetWriteDeadline(time.Time) error { return nil }

type noAddr struct{}

func (noAddr) Network() string { return "udp" }
func (noAddr) String() string  { return "ice" }

func orNone(a net.Addr) net.Addr {
	if a == nil {
		return noAddr{}
	}
	return a
}
