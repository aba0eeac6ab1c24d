//go:build linux

package transport

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// batchConn is a host candidate's UDP socket whose writes are queued and
// sent in batches by a flusher goroutine, so that a burst of packets to one
// destination (a DataChannel's SCTP packets, a video frame's RTP packets)
// costs one sendmsg with UDP generic segmentation offload (GSO) instead of
// one sendto each. Every ~1.2 KB SCTP packet being its own system call is
// what bounds DataChannel throughput otherwise.
//
// Writes never wait for the system call: they copy the packet into the
// queue and return. The flusher exists only while there is something to
// send: the first write into an empty queue starts it, and it exits when
// it finds the queue empty, so an idle connection has no goroutine and a
// lone packet goes out at once. The queue is bounded (one arena of
// arenaSize bytes); a writer that finds it full waits for the flusher to
// take it, which is the back-pressure a blocking sendto would give.
type batchConn struct {
	*net.UDPConn
	drop func([]byte) bool // test hook: loses the outgoing datagrams it picks

	mu       sync.Mutex
	room     *sync.Cond // signalled when the flusher takes the queue, or it stops
	pending  sendQueue  // filled by writers
	spare    []queued   // the flusher's previous entry slice, for reuse
	flushing bool       // a flusher goroutine is running
	closed   bool
	gso      bool // the kernel takes UDP_SEGMENT; cleared if a send says otherwise

	rd *groReader // nil when the kernel does not coalesce received datagrams
}

// sendQueue is packets laid end to end in one arena, so that a run of
// equal-sized packets to one address is already the buffer GSO sends.
type sendQueue struct {
	arena []byte
	pkts  []queued
}

type queued struct {
	to  netip.AddrPort
	off int
	n   int
}

// arenaSize bounds what one connection queues: a GSO send carries at most
// 64 KiB, and a burst larger than that waits for the previous one to go.
const arenaSize = 64 << 10

// maxSegments is the most datagrams one GSO send may carry (the kernel's
// UDP_MAX_SEGMENTS is 64 on older kernels).
const maxSegments = 64

// smallArenaSize is the arena a send queue starts with: room for a few
// packets. Most queues never hold more (a keepalive, a handshake flight,
// an RTP packet), and the pool then caches small arenas, not 64 KiB ones
// a thousand idle connections would keep alive between collections. A
// queue that outgrows it moves to a full arena once per burst.
const smallArenaSize = 4 << 10

// arenas and smallArenas recycle arenas between connections: an idle
// connection holds none, and a busy one at most two (the one filling, the
// one sending). A sync.Pool rather than a fixed free list: with many busy
// connections each processor reuses its own arenas instead of allocating
// whenever a shared list runs dry, and the arenas a quiet process no
// longer needs go back to the garbage collector instead of staying cached.
var (
	arenas      = sync.Pool{New: func() any { return new([arenaSize]byte) }}
	smallArenas = sync.Pool{New: func() any { return new([smallArenaSize]byte) }}
)

// getArena returns an empty full-size arena.
func getArena() []byte {
	return arenas.Get().(*[arenaSize]byte)[:0]
}

// getSendArena returns an empty arena for a send queue whose first packet
// is n bytes long.
func getSendArena(n int) []byte {
	if n <= smallArenaSize {
		return smallArenas.Get().(*[smallArenaSize]byte)[:0]
	}
	return getArena()
}

// appendArena appends b to the queue's arena a, moving a small arena's
// contents to a full one when b does not fit; offsets stay valid. The
// caller has checked that the result fits in arenaSize.
func appendArena(a, b []byte) []byte {
	if len(a)+len(b) > cap(a) {
		big := append(getArena(), a...)
		putArena(a)
		a = big
	}
	return append(a, b...)
}

func putArena(a []byte) {
	switch cap(a) {
	case arenaSize:
		arenas.Put((*[arenaSize]byte)(a[:arenaSize]))
	case smallArenaSize:
		smallArenas.Put((*[smallArenaSize]byte)(a[:smallArenaSize]))
	}
}

func newBatchConn(c *net.UDPConn, drop func([]byte) bool) *batchConn {
	b := &batchConn{UDPConn: c, drop: drop, gso: true, rd: newGROReader(c)}
	b.room = sync.NewCond(&b.mu)
	return b
}

// WriteToAddrPort queues b for addr. pion/ice writes through it.
func (c *batchConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if c.drop != nil && c.drop(b) {
		return len(b), nil
	}
	if len(b) > arenaSize {
		return c.UDPConn.WriteToUDPAddrPort(b, addr)
	}
	c.mu.Lock()
	for !c.closed && len(c.pending.arena)+len(b) > arenaSize {
		c.room.Wait()
	}
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if c.pending.arena == nil {
		c.pending.arena = getSendArena(len(b))
	}
	off := len(c.pending.arena)
	c.pending.arena = appendArena(c.pending.arena, b)
	c.pending.pkts = append(c.pending.pkts, queued{to: addr, off: off, n: len(b)})
	if !c.flushing {
		c.flushing = true
		go c.flush()
	}
	c.mu.Unlock()
	return len(b), nil
}

// WriteToUDPAddrPort is WriteToAddrPort under net.UDPConn's name.
func (c *batchConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteToAddrPort(b, addr)
}

// WriteTo queues b like WriteToAddrPort when addr is a UDP address.
func (c *batchConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return c.WriteToAddrPort(b, ua.AddrPort())
	}
	if c.drop != nil && c.drop(b) {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

// WriteToUDP queues b like WriteToAddrPort.
func (c *batchConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	return c.WriteToAddrPort(b, addr.AddrPort())
}

// ReadFromAddrPort returns one datagram: pion/ice reads through it. With
// GRO, it is the next segment of the last coalesced read.
func (c *batchConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	if c.rd == nil {
		return c.UDPConn.ReadFromUDPAddrPort(b)
	}
	return c.rd.read(b)
}

// The other read methods go the same way, so that no caller ever sees a
// coalesced buffer.

func (c *batchConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return c.ReadFromAddrPort(b)
}

func (c *batchConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

func (c *batchConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

func (c *batchConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFromAddrPort(b)
	return n, err
}

func (c *batchConn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = c.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

func (c *batchConn) ReadMsgUDPAddrPort(b, _ []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	n, addr, err = c.ReadFromAddrPort(b)
	return n, 0, 0, addr, err
}

// flush is the flusher goroutine: it takes the whole queue, sends it, and
// repeats until it finds the queue empty.
func (c *batchConn) flush() {
	// Yield once first: the writer that started us is usually in the
	// middle of a burst (SCTP writes all it may send in one go), and on a
	// busy processor this lets it queue the rest, so that one send carries
	// it all. On an idle processor it costs a fraction of a microsecond.
	runtime.Gosched()
	for {
		c.mu.Lock()
		q := c.pending
		if len(q.pkts) == 0 {
			c.flushing = false
			c.room.Broadcast()
			c.mu.Unlock()
			return
		}
		c.pending = sendQueue{pkts: c.spare[:0]}
		gso := c.gso
		c.room.Broadcast()
		c.mu.Unlock()

		if !c.sendQueue(q, gso) {
			c.mu.Lock()
			c.gso = false
			c.mu.Unlock()
		}
		putArena(q.arena)
		c.mu.Lock()
		c.spare = q.pkts[:0]
		c.mu.Unlock()
	}
}

// sendQueue sends q, grouping runs of packets to one address whose sizes
// are equal (the run's last may be shorter) into GSO sends. It reports
// false if the kernel refused GSO on this socket; the packets still went
// out one by one.
func (c *batchConn) sendQueue(q sendQueue, gso bool) bool {
	ok := true
	for i := 0; i < len(q.pkts); {
		j := i + 1
		if gso {
			j = runEnd(q.pkts, i)
		}
		first := q.pkts[i]
		if j-i == 1 {
			_, _ = c.UDPConn.WriteToUDPAddrPort(q.arena[first.off:first.off+first.n], first.to)
			i = j
			continue
		}
		last := q.pkts[j-1]
		if err := sendGSO(c.UDPConn, q.arena[first.off:last.off+last.n], first.n, first.to); err != nil {
			if gsoRefused(err) {
				ok, gso = false, false
			}
			for _, p := range q.pkts[i:j] {
				_, _ = c.UDPConn.WriteToUDPAddrPort(q.arena[p.off:p.off+p.n], p.to)
			}
		}
		i = j
	}
	return ok
}

// runEnd returns the end of the GSO run starting at pkts[i]: same address,
// same size as the first, except that the last may be shorter.
func runEnd(pkts []queued, i int) int {
	first := pkts[i]
	total := first.n
	j := i + 1
	for ; j < len(pkts) && j-i < maxSegments; j++ {
		p := pkts[j]
		if p.to != first.to || p.n > first.n || total+p.n > arenaSize-1024 {
			break
		}
		total += p.n
		if p.n < first.n {
			return j + 1
		}
	}
	return j
}

// Close sends what is queued (for a short while at most), then closes the
// socket; the flusher has stopped when it returns.
func (c *batchConn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.flushing {
		_ = c.UDPConn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	}
	for c.flushing {
		c.room.Wait()
	}
	c.room.Broadcast()
	c.mu.Unlock()
	return c.UDPConn.Close()
}
