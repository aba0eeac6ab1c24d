package transport

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// socketBuffer is the UDP receive and send buffer asked for on every host
// socket. The kernel's default (about 208 KiB on Linux) overflows under a
// DataChannel burst, and each drop costs SCTP a retransmission; 4 MiB
// absorbs a full receive window.
const socketBuffer = 4 << 20

// bufferedNet is the operating system's network with large UDP buffers.
// drop, when set (tests only), decides which outgoing datagrams are lost.
type bufferedNet struct {
	*stdnet.Net
	drop func([]byte) bool
}

func newBufferedNet(drop func([]byte) bool) (transport.Net, error) {
	n, err := hostNet()
	if err != nil {
		return nil, err
	}
	return bufferedNet{Net: n, drop: drop}, nil
}

// hostInterfaces is one snapshot of the host's interfaces, shared by the
// ICE agents created within interfacesMaxAge of each other. Each snapshot
// costs a netlink dump and keeps ~7 KB; a thousand PeerConnections created
// together need one. A snapshot is never modified once made (a refresh
// makes a new one), so agents holding an older one are not disturbed.
var hostInterfaces struct {
	mu sync.Mutex // guards the cache only
	n  *stdnet.Net
	at time.Time
}

const interfacesMaxAge = time.Second

func hostNet() (*stdnet.Net, error) {
	hostInterfaces.mu.Lock()
	defer hostInterfaces.mu.Unlock()
	if hostInterfaces.n == nil || time.Since(hostInterfaces.at) > interfacesMaxAge {
		n, err := stdnet.NewNet()
		if err != nil {
			return nil, err
		}
		hostInterfaces.n, hostInterfaces.at = n, time.Now()
	}
	return hostInterfaces.n, nil
}

// ListenUDP opens a host candidate's socket and enlarges its buffers.
func (n bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return c, nil
	}
	growBuffers(uc, socketBuffer)
	if laddr != nil && laddr.IP.IsMulticast() {
		// The mDNS socket: x/net's ipv4/ipv6 packet conns read it and
		// accept only a bare *net.UDPConn. It carries no media or data.
		return uc, nil
	}
	return wrapUDP(uc, n.drop), nil
}

// udpConn is what ListenUDP hands pion/ice.
type udpConn = transport.UDPConn

// plainUDP is the socket itself, behind the loss filter when there is one.
func plainUDP(uc *net.UDPConn, drop func([]byte) bool) udpConn {
	if drop != nil {
		return &lossyConn{UDPConn: uc, drop: drop}
	}
	return uc
}

// lossyConn loses the outgoing datagrams drop picks: the impairment tests
// put between two peers on one machine.
type lossyConn struct {
	*net.UDPConn
	drop func([]byte) bool
}

func (c *lossyConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.drop(b) {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

// ReadFromAddrPort and WriteToAddrPort keep pion/ice on its allocation-free
// path while going through the filter.
func (c *lossyConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(b)
}

func (c *lossyConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if c.drop(b) {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}
