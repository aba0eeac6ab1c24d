package netsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pion/transport/v5"
)

// Host is one machine on the network, with one interface ("eth0") and one
// IPv4 address. It implements transport.Net for UDP; TCP is not supported.
type Host struct {
	net  *Network
	id   uint64 // order of creation, for link seeds
	down atomic.Bool

	mu       sync.Mutex
	ip       netip.Addr // changed by Network.Move
	sockets  map[uint16]*Conn
	nextPort uint16
}

var _ transport.Net = (*Host)(nil)

// Ephemeral ports are handed out from here, as Linux does.
const firstEphemeralPort = 32768

func newHost(n *Network, id uint64, ip netip.Addr) *Host {
	return &Host{net: n, id: id, ip: ip, sockets: make(map[uint16]*Conn), nextPort: firstEphemeralPort}
}

// Addr returns the host's current address.
func (h *Host) Addr() netip.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ip
}

// SetDown cuts the host off (every datagram from or to it is lost, as if it
// vanished) or brings it back.
func (h *Host) SetDown(down bool) { h.down.Store(down) }

// ListenUDP opens a socket on the host's address or on the unspecified
// address (which is the same thing here); port 0 picks a free port.
func (h *Host) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	return h.listen(network, laddr, netip.AddrPort{})
}

// ListenPacket is ListenUDP with a "host:port" address.
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	a, err := h.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	return h.listen(network, a, netip.AddrPort{})
}

// DialUDP opens a socket whose Write sends to raddr and whose reads take
// only what comes from raddr.
func (h *Host) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	if raddr == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("no remote address")}
	}
	return h.listen(network, laddr, toAddrPort(raddr))
}

// Dial supports the UDP networks only.
func (h *Host) Dial(network, address string) (net.Conn, error) {
	if !isUDP(network) {
		return nil, unsupported("dial", network)
	}
	r, err := h.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	return h.DialUDP(network, nil, r)
}

func (h *Host) listen(network string, laddr *net.UDPAddr, remote netip.AddrPort) (*Conn, error) {
	if network != "udp" && network != "udp4" {
		return nil, unsupported("listen", network)
	}
	var port uint16
	anyAddr := true
	h.mu.Lock()
	current := h.ip
	h.mu.Unlock()
	if laddr != nil {
		ip, ok := netip.AddrFromSlice(laddr.IP)
		ip = ip.Unmap()
		if ok && !ip.IsUnspecified() && ip != current {
			return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: errors.New("cannot assign requested address")}
		}
		anyAddr = !ok || ip.IsUnspecified()
		if laddr.Port < 0 || laddr.Port > 0xffff {
			return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: errors.New("invalid port")}
		}
		port = uint16(laddr.Port)
	}
	if h.net.isClosed() {
		return nil, &net.OpError{Op: "listen", Net: network, Err: ErrClosed}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if port == 0 {
		p, ok := h.freePort()
		if !ok {
			return nil, &net.OpError{Op: "listen", Net: network, Err: errors.New("no free port")}
		}
		port = p
	} else if h.sockets[port] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: errors.New("address already in use")}
	}
	c := newConn(h, netip.AddrPortFrom(h.ip, port), anyAddr, remote)
	h.sockets[port] = c
	return c, nil
}

// freePort is called with h.mu held.
func (h *Host) freePort() (uint16, bool) {
	for range 0x10000 - firstEphemeralPort {
		p := h.nextPort
		h.nextPort++
		if h.nextPort == 0 {
			h.nextPort = firstEphemeralPort
		}
		if h.sockets[p] == nil {
			return p, true
		}
	}
	return 0, false
}

func (h *Host) unbind(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sockets[c.local.Port()] == c {
		delete(h.sockets, c.local.Port())
	}
}

// deliver hands a datagram to the socket bound to its port; false if there
// is none or it has no room, or the host has moved from the address.
func (h *Host) deliver(from, to netip.AddrPort, data []byte) bool {
	h.mu.Lock()
	c := h.sockets[to.Port()]
	here := to.Addr() == h.ip
	h.mu.Unlock()
	return here && c != nil && c.enqueue(from, data)
}

func (h *Host) closeAll() {
	h.mu.Lock()
	cs := make([]*Conn, 0, len(h.sockets))
	for _, c := range h.sockets {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
}

// send routes a datagram from one of this host's sockets: c's own address,
// or the host's current one for a socket bound to the unspecified address.
// A socket left on an address the host has moved from sends nothing.
func (h *Host) send(c *Conn, to netip.AddrPort, data []byte) {
	h.mu.Lock()
	ip := h.ip
	h.mu.Unlock()
	from := c.local
	if c.anyAddr {
		from = netip.AddrPortFrom(ip, from.Port())
	} else if from.Addr() != ip {
		return
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	dst := h.net.host(to.Addr())
	if dst == nil {
		return // nobody there: UDP loses it silently
	}
	h.net.pipe(h, dst).send(from, to, data)
}

// ResolveUDPAddr parses a literal "ip:port"; there is no DNS on the network.
func (h *Host) ResolveUDPAddr(network, address string) (*net.UDPAddr, error) {
	ap, err := parseAddrPort(address)
	if err != nil {
		return nil, &net.AddrError{Err: err.Error(), Addr: address}
	}
	return net.UDPAddrFromAddrPort(ap), nil
}

// ResolveTCPAddr parses a literal "ip:port".
func (h *Host) ResolveTCPAddr(network, address string) (*net.TCPAddr, error) {
	ap, err := parseAddrPort(address)
	if err != nil {
		return nil, &net.AddrError{Err: err.Error(), Addr: address}
	}
	return net.TCPAddrFromAddrPort(ap), nil
}

// ResolveIPAddr parses a literal IP address.
func (h *Host) ResolveIPAddr(network, address string) (*net.IPAddr, error) {
	ip, err := netip.ParseAddr(address)
	if err != nil {
		return nil, &net.AddrError{Err: "not a literal IP address (netsim has no DNS)", Addr: address}
	}
	return &net.IPAddr{IP: ip.AsSlice()}, nil
}

// parseAddrPort accepts "ip:port" and ":port" (the unspecified address).
func parseAddrPort(address string) (netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", portStr)
	}
	ip := netip.IPv4Unspecified()
	if host != "" {
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, errors.New("not a literal IP address (netsim has no DNS)")
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// Interfaces returns the host's one interface, eth0, up, with its address.
func (h *Host) Interfaces() ([]*transport.Interface, error) {
	return []*transport.Interface{h.iface()}, nil
}

// InterfaceByIndex returns eth0 for index 1.
func (h *Host) InterfaceByIndex(index int) (*transport.Interface, error) {
	if index != 1 {
		return nil, transport.ErrInterfaceNotFound
	}
	return h.iface(), nil
}

// InterfaceByName returns eth0.
func (h *Host) InterfaceByName(name string) (*transport.Interface, error) {
	if name != "eth0" {
		return nil, transport.ErrInterfaceNotFound
	}
	return h.iface(), nil
}

func (h *Host) iface() *transport.Interface {
	ifc := transport.NewInterface(net.Interface{
		Index: 1,
		MTU:   1500,
		Name:  "eth0",
		Flags: net.FlagUp | net.FlagRunning | net.FlagMulticast,
	})
	ifc.AddAddress(&net.IPNet{IP: h.Addr().AsSlice(), Mask: net.CIDRMask(8, 32)})
	return ifc
}

// ListenTCP is not supported.
func (h *Host) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	return nil, unsupported("listen", network)
}

// DialTCP is not supported.
func (h *Host) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	return nil, unsupported("dial", network)
}

// CreateDialer returns a dialer that dials UDP on this host.
func (h *Host) CreateDialer(*net.Dialer) transport.Dialer { return dialer{h} }

// CreateListenConfig returns a ListenConfig that listens for UDP on this host.
func (h *Host) CreateListenConfig(*net.ListenConfig) transport.ListenConfig { return listenConfig{h} }

type dialer struct{ h *Host }

func (d dialer) Dial(network, address string) (net.Conn, error) { return d.h.Dial(network, address) }

type listenConfig struct{ h *Host }

func (l listenConfig) Listen(_ context.Context, network, _ string) (net.Listener, error) {
	return nil, unsupported("listen", network)
}

func (l listenConfig) ListenPacket(_ context.Context, network, address string) (net.PacketConn, error) {
	return l.h.ListenPacket(network, address)
}

func isUDP(network string) bool { return network == "udp" || network == "udp4" }

func unsupported(op, network string) error {
	return &net.OpError{Op: op, Net: network, Err: transport.ErrNotSupported}
}

func toAddrPort(a *net.UDPAddr) netip.AddrPort {
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
