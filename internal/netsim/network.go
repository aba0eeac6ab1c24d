package netsim

import (
	"container/heap"
	"errors"
	"net/netip"
	"sync"
	"time"
)

// ErrClosed is returned by a Network or socket that has been closed.
var ErrClosed = errors.New("netsim: closed")

// Network is a set of hosts and the links between them. It is safe for
// concurrent use.
type Network struct {
	seed uint64

	mu     sync.Mutex
	hosts  map[netip.Addr]*Host
	links  map[linkKey]*pipe
	nextIP netip.Addr
	nextID uint64
	closed bool
}

// linkKey names a link by its hosts, not their addresses, so that a link
// keeps its impairment when a host moves.
type linkKey struct{ from, to *Host }

// New creates an empty network whose random decisions derive from seed.
func New(seed uint64) *Network {
	return &Network{
		seed:   seed,
		hosts:  make(map[netip.Addr]*Host),
		links:  make(map[linkKey]*pipe),
		nextIP: netip.AddrFrom4([4]byte{10, 0, 0, 1}),
	}
}

// AddHost adds a host with the next free address (10.0.0.1, 10.0.0.2, ...).
func (n *Network) AddHost() *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nextID++
	h := newHost(n, n.nextID, n.freeIP())
	n.hosts[h.ip] = h
	return h
}

// freeIP is called with n.mu held.
func (n *Network) freeIP() netip.Addr {
	ip := n.nextIP
	n.nextIP = ip.Next()
	return ip
}

// Move gives a host a new address, as when a device switches networks:
// datagrams to the old address find nobody, and sockets bound to it stay
// open but cut off (what they send is lost), so the host must open new
// ones. A socket bound to the unspecified address moves with the host. It
// returns the new address.
func (n *Network) Move(h *Host) netip.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	ip := n.freeIP()
	h.mu.Lock()
	delete(n.hosts, h.ip)
	h.ip = ip
	h.mu.Unlock()
	n.hosts[ip] = h
	return ip
}

// SetLink sets what the link from one host to another does from now on.
// Datagrams already in flight keep the fate they were given.
func (n *Network) SetLink(from, to *Host, im Impairment) {
	p := n.pipe(from, to)
	p.mu.Lock()
	p.link.im = im
	p.mu.Unlock()
}

// SetPath sets both directions between two hosts to the same impairment
// (each direction has its own random source).
func (n *Network) SetPath(a, b *Host, im Impairment) {
	n.SetLink(a, b, im)
	n.SetLink(b, a, im)
}

// Stats returns the counters of the link from one host to another.
func (n *Network) Stats(from, to *Host) LinkStats {
	p := n.pipe(from, to)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.link.stats
}

// Close stops every link and closes every socket; datagrams in flight are
// dropped. It is idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	hosts := make([]*Host, 0, len(n.hosts))
	for _, h := range n.hosts {
		hosts = append(hosts, h)
	}
	pipes := make([]*pipe, 0, len(n.links))
	for _, p := range n.links {
		pipes = append(pipes, p)
	}
	n.mu.Unlock()
	for _, p := range pipes {
		p.close()
	}
	for _, h := range hosts {
		h.closeAll()
	}
	return nil
}

func (n *Network) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// pipe returns the link from one host to another, creating a perfect one
// on first use. Its seed mixes the network's seed with both hosts' ids, so
// each direction draws its own sequence whatever the other links do.
func (n *Network) pipe(from, to *Host) *pipe {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := linkKey{from, to}
	p := n.links[k]
	if p == nil {
		seed := n.seed
		for _, v := range []uint64{from.id, to.id} {
			seed = (seed ^ v) * 1099511628211 // FNV-style mixing
		}
		p = &pipe{src: from, dst: to, link: newLink(Impairment{}, seed)}
		n.links[k] = p
	}
	return p
}

func (n *Network) host(ip netip.Addr) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hosts[ip]
}

// datagram is one copy of a packet on its way.
type datagram struct {
	at   time.Time
	seq  uint64 // ties at the same time leave in sending order
	from netip.AddrPort
	to   netip.AddrPort
	data []byte
}

// pipe is the shell around one link's model: the datagrams in flight,
// ordered by arrival, and one timer set to the earliest.
type pipe struct {
	src, dst *Host

	mu   sync.Mutex
	link *link

	inFlight flight
	seq      uint64
	timer    *time.Timer
	closed   bool
	arrivals []time.Time
}

// send puts a copy of data on the link. It never blocks.
func (p *pipe) send(from, to netip.AddrPort, data []byte) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.link.down = p.src.down.Load() || p.dst.down.Load()
	p.arrivals = p.link.send(now, len(data), p.arrivals[:0])
	for i, at := range p.arrivals {
		b := data
		if i > 0 {
			b = append([]byte(nil), data...)
		}
		p.seq++
		heap.Push(&p.inFlight, &datagram{at: at, seq: p.seq, from: from, to: to, data: b})
	}
	if len(p.arrivals) > 0 {
		p.arm(now)
	}
}

// arm sets the timer for the earliest datagram in flight.
func (p *pipe) arm(now time.Time) {
	if len(p.inFlight) == 0 {
		return
	}
	d := p.inFlight[0].at.Sub(now)
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.deliverDue)
		return
	}
	p.timer.Reset(d)
}

// deliverDue runs on the timer: it hands every datagram whose time has come
// to its socket, in arrival order, and re-arms for the rest.
func (p *pipe) deliverDue() {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	for len(p.inFlight) > 0 && !p.inFlight[0].at.After(now) {
		d := heap.Pop(&p.inFlight).(*datagram)
		if p.dst.deliver(d.from, d.to, d.data) {
			p.link.stats.Delivered++
		} else {
			p.link.stats.Unreached++
		}
	}
	p.arm(now)
}

func (p *pipe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
	}
	p.inFlight = nil
}

// flight is a min-heap of datagrams by arrival time, then sending order.
type flight []*datagram

func (f flight) Len() int { return len(f) }
func (f flight) Less(i, j int) bool {
	if f[i].at.Equal(f[j].at) {
		return f[i].seq < f[j].seq
	}
	return f[i].at.Before(f[j].at)
}
func (f flight) Swap(i, j int) { f[i], f[j] = f[j], f[i] }
func (f *flight) Push(x any)   { *f = append(*f, x.(*datagram)) }
func (f *flight) Pop() any {
	old := *f
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*f = old[:len(old)-1]
	return d
}
