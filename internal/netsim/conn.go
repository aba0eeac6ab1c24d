package netsim

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/transport/v5"
)

// ReceiveBuffer is how many bytes of datagrams a socket holds before it
// drops new ones, as a kernel's socket receive buffer does.
const ReceiveBuffer = 4 << 20

// Conn is a UDP socket on a Host. Writes never block; reads wait for a
// datagram, the read deadline or Close.
type Conn struct {
	host    *Host
	local   netip.AddrPort
	anyAddr bool           // bound to the unspecified address: moves with the host
	remote  netip.AddrPort // set for a dialled socket

	mu        sync.Mutex
	queue     []received
	queued    int // bytes in queue
	limit     int
	deadline  time.Time
	closed    bool
	readable  chan struct{} // capacity 1: a datagram was queued
	newDL     chan struct{} // closed (and replaced) when the deadline changes
	closedSig chan struct{}
}

type received struct {
	from netip.AddrPort
	data []byte
}

var (
	_ transport.UDPConn = (*Conn)(nil)
	_ net.Conn          = (*Conn)(nil)
)

func newConn(h *Host, local netip.AddrPort, anyAddr bool, remote netip.AddrPort) *Conn {
	return &Conn{
		host:      h,
		local:     local,
		anyAddr:   anyAddr,
		remote:    remote,
		limit:     ReceiveBuffer,
		readable:  make(chan struct{}, 1),
		newDL:     make(chan struct{}),
		closedSig: make(chan struct{}),
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// enqueue takes a datagram from the network; false if the socket is closed
// or its buffer is full.
func (c *Conn) enqueue(from netip.AddrPort, data []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.remote.IsValid() && from != c.remote || c.queued+len(data) > c.limit {
		return false
	}
	c.queue = append(c.queue, received{from: from, data: data})
	c.queued += len(data)
	signal(c.readable)
	return true
}

// ReadFromAddrPort reads one datagram (the rest of a datagram longer than b
// is lost, as with UDP).
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, netip.AddrPort{}, c.opErr("read", net.ErrClosed)
		}
		if len(c.queue) > 0 {
			r := c.queue[0]
			c.queue[0] = received{}
			c.queue = c.queue[1:]
			c.queued -= len(r.data)
			if len(c.queue) > 0 {
				signal(c.readable) // another reader may be waiting too
			} else {
				c.queue = nil
			}
			c.mu.Unlock()
			return copy(b, r.data), r.from, nil
		}
		dl, changed := c.deadline, c.newDL
		c.mu.Unlock()

		var expired <-chan time.Time
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return 0, netip.AddrPort{}, c.opErr("read", os.ErrDeadlineExceeded)
			}
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			expired = timer.C
		}
		select {
		case <-c.readable:
		case <-changed:
		case <-c.closedSig:
		case <-expired:
		}
	}
}

// WriteToAddrPort sends one datagram.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if c.isClosed() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	if !addr.IsValid() {
		return 0, c.opErr("write", errors.New("no destination address"))
	}
	c.host.send(c, addr, append([]byte(nil), b...))
	return len(b), nil
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDP is ReadFrom with a *net.UDPAddr.
func (c *Conn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadMsgUDP reads a datagram; there is never out-of-band data.
func (c *Conn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = c.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

// Read reads a datagram from any sender (the remote one, if dialled).
func (c *Conn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFromAddrPort(b)
	return n, err
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, c.opErr("write", transport.ErrNotUDPAddress)
	}
	return c.WriteToAddrPort(b, toAddrPort(ua))
}

// WriteToUDP is WriteTo with a *net.UDPAddr.
func (c *Conn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return c.WriteToAddrPort(b, toAddrPort(addr))
}

// WriteMsgUDP writes a datagram; out-of-band data is ignored.
func (c *Conn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	if addr == nil {
		n, err = c.Write(b)
	} else {
		n, err = c.WriteToUDP(b, addr)
	}
	return n, len(oob), err
}

// Write sends to the remote address of a dialled socket.
func (c *Conn) Write(b []byte) (int, error) {
	if !c.remote.IsValid() {
		return 0, c.opErr("write", errors.New("socket is not connected"))
	}
	return c.WriteToAddrPort(b, c.remote)
}

// Close closes the socket and wakes its readers.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.opErr("close", net.ErrClosed)
	}
	c.closed = true
	c.queue = nil
	close(c.closedSig)
	c.mu.Unlock()
	c.host.unbind(c)
	return nil
}

// LocalAddr returns the socket's address.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

// RemoteAddr returns the dialled address, or nil.
func (c *Conn) RemoteAddr() net.Addr {
	if !c.remote.IsValid() {
		return nil
	}
	return net.UDPAddrFromAddrPort(c.remote)
}

// SetDeadline sets the read deadline (writes never block).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline sets when blocked and future reads give up.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.newDL)
	c.newDL = make(chan struct{})
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is accepted and ignored: writes never block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

// SetReadBuffer sets how many bytes the socket holds before dropping.
func (c *Conn) SetReadBuffer(n int) error {
	c.mu.Lock()
	c.limit = n
	c.mu.Unlock()
	return nil
}

// SetWriteBuffer is accepted and ignored: writes go straight to the link.
func (c *Conn) SetWriteBuffer(int) error { return nil }

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
