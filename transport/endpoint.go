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

	readMu sync.Mutex // serializes readers, who share held
	held   []byte     // taken from in while coalescing, read next

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
//
// A datagram made only of DTLS application-data records is returned
// together with the ones queued behind it that are made the same way, as
// many as fit in b: DTLS allows several records in one datagram, and
// pion/dtls spends a goroutine and a pooled buffer per read, which this
// shares among a burst's packets. Handshake datagrams always come alone, so
// that the handshake sees its flights exactly as they were sent.
func (e *Endpoint) ReadFrom(b []byte) (int, net.Addr, error) {
	e.readMu.Lock()
	defer e.readMu.Unlock()
	if p := e.held; p != nil {
		e.held = nil
		return e.take(b, p), e.remoteAddr(), nil
	}
	// Under load a packet is usually waiting: take it without setting up
	// the deadline wait.
	select {
	case p := <-e.in:
		return e.take(b, p), e.remoteAddr(), nil
	default:
	}
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
			return e.take(b, p), e.remoteAddr(), nil
		case <-e.closed:
			return 0, nil, net.ErrClosed
		case <-changed:
		case <-expired:
			return 0, nil, os.ErrDeadlineExceeded
		}
	}
}

// take copies p into b, and after it the application-data datagrams that
// are waiting and fit; the first that does not is held for the next read.
func (e *Endpoint) take(b, p []byte) int {
	n := copy(b, p)
	putPacket(p)
	if n < len(p) || !onlyAppData(b[:n]) {
		return n
	}
	for {
		select {
		case q := <-e.in:
			if n+len(q) > len(b) || !onlyAppData(q) {
				e.held = q
				return n
			}
			n += copy(b[n:], q)
			putPacket(q)
		default:
			return n
		}
	}
}

// dtlsHeaderSize is a DTLS 1.2 record header without a connection id:
// type, version, epoch, sequence number, length.
const dtlsHeaderSize = 13

// onlyAppData reports whether d is whole DTLS 1.2 application-data records
// (content type 23) and nothing else.
func onlyAppData(d []byte) bool {
	for len(d) > 0 {
		if len(d) < dtlsHeaderSize || d[0] != 23 || d[1] != 0xFE {
			return false
		}
		end := dtlsHeaderSize + (int(d[11])<<8 | int(d[12]))
		if end > len(d) {
			return false
		}
		d = d[end:]
	}
	return true
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
