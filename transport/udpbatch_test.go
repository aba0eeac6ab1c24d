//go:build linux

package transport

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func listenLoopback(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	growBuffers(c, socketBuffer)
	return c
}

// packet i of a test burst: its index, then filler; sizes vary so that
// runs of equal sizes alternate with odd ones.
func burstPacket(i int) []byte {
	size := 1200
	switch {
	case i%17 == 16:
		size = 300 // ends a run early
	case i%29 == 0:
		size = 60 // a SACK-sized packet between runs
	}
	p := bytes.Repeat([]byte{byte(i)}, size)
	p[0], p[1] = byte(i>>8), byte(i)
	return p
}

// The burst goes out in GSO runs and, read through a wrapped socket, in
// GRO runs; each datagram must come out alone, whole and in order.
func TestBatchConnDeliversABurstIntactAndInOrder(t *testing.T) {
	for _, wrapped := range []bool{false, true} {
		rx := udpConn(listenLoopback(t))
		if wrapped {
			rx = wrapUDP(rx.(*net.UDPConn), nil)
			if rx.(*batchConn).rd == nil {
				t.Log("no UDP GRO here: reads are plain")
			}
		}
		sendBurst(t, rx)
		_ = rx.Close()
	}
}

func sendBurst(t *testing.T, rx udpConn) {
	raw := listenLoopback(t)
	tx := wrapUDP(raw, nil)
	defer tx.Close()
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	w := tx.(interface {
		WriteToAddrPort([]byte, netip.AddrPort) (int, error)
	})
	const n = 400
	for i := range n {
		p := burstPacket(i)
		if got, err := w.WriteToAddrPort(p, to); err != nil || got != len(p) {
			t.Fatalf("write %d: %d, %v", i, got, err)
		}
	}
	buf := make([]byte, 2048)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	from := raw.LocalAddr().(*net.UDPAddr).AddrPort()
	for i := range n {
		m, src, err := rx.(interface {
			ReadFromUDPAddrPort([]byte) (int, netip.AddrPort, error)
		}).ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if src != from {
			t.Fatalf("read %d: from %v, want %v", i, src, from)
		}
		if want := burstPacket(i); !bytes.Equal(buf[:m], want) {
			t.Fatalf("datagram %d: got %d bytes starting %x, want %d bytes starting %x", i, m, buf[:2], len(want), want[:2])
		}
	}
}

func TestBatchConnDropsWhatTheFilterPicksAndRefusesWritesAfterClose(t *testing.T) {
	rx := listenLoopback(t)
	defer rx.Close()
	tx := wrapUDP(listenLoopback(t), func(b []byte) bool { return b[1]%2 == 1 })
	to := rx.LocalAddr().(*net.UDPAddr)
	for i := range 10 {
		if _, err := tx.WriteTo(burstPacket(i), to); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 2048)
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < 10; i += 2 {
		m, _, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:m], burstPacket(i)) {
			t.Fatalf("got datagram %d, want %d", buf[1], i)
		}
	}
	if err := tx.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.WriteTo(burstPacket(0), to); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v, want net.ErrClosed", err)
	}
}

func TestRunEndGroupsEqualSizesToOneAddress(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1")
	b := netip.MustParseAddrPort("127.0.0.1:2")
	q := func(to netip.AddrPort, sizes ...int) []queued {
		var out []queued
		for _, n := range sizes {
			out = append(out, queued{to: to, n: n})
		}
		return out
	}
	long := make([]int, 70)
	for i := range long {
		long[i] = 1000
	}
	for _, tc := range []struct {
		name string
		pkts []queued
		want int
	}{
		{"one", q(a, 1200), 1},
		{"equal", q(a, 1200, 1200, 1200), 3},
		{"shorter last", q(a, 1200, 1200, 500, 1200), 3},
		{"longer breaks", q(a, 500, 1200), 1},
		{"other address", append(q(a, 1200, 1200), q(b, 1200)...), 2},
		{"segment cap", q(a, long...), maxSegments},
		{"byte cap", q(a, 30000, 30000, 30000), 2},
	} {
		if got := runEnd(tc.pkts, 0); got != tc.want {
			t.Errorf("%s: runEnd = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// BenchmarkBatchConnBurst writes bursts of 32 SCTP-sized packets through
// the batching socket to a reader on loopback; compare with
// BenchmarkPlainUDPBurst, one sendto each.
func BenchmarkBatchConnBurst(b *testing.B) {
	benchUDPBurst(b, func(c *net.UDPConn) udpConn { return wrapUDP(c, nil) })
}

func BenchmarkPlainUDPBurst(b *testing.B) {
	benchUDPBurst(b, func(c *net.UDPConn) udpConn { return c })
}

func benchUDPBurst(b *testing.B, wrap func(*net.UDPConn) udpConn) {
	rx := listenLoopback(b)
	defer rx.Close()
	tx := wrap(listenLoopback(b))
	defer tx.Close()
	to := rx.LocalAddr().(*net.UDPAddr)
	const burst = 32
	got := make(chan int)
	go func() {
		buf := make([]byte, 2048)
		n := 0
		for {
			if _, _, err := rx.ReadFromUDPAddrPort(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	p := make([]byte, 1225)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := tx.WriteTo(p, to); err != nil {
			b.Fatal(err)
		}
		if i%burst == burst-1 {
			time.Sleep(0) // let the flusher run, as a writer between bursts would
		}
	}
	_ = tx.Close()
	_ = rx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	b.ReportMetric(float64(<-got)/float64(b.N), "delivered")
}

// The mDNS socket must stay a bare *net.UDPConn: pion/mdns reads it
// through x/net's ipv4.PacketConn, which refuses anything else (and its
// read loop then spins on the error).
func TestMulticastSocketIsNotWrapped(t *testing.T) {
	n, err := newBufferedNet(nil)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251)})
	if err != nil {
		t.Skipf("no multicast socket here: %v", err)
	}
	defer mc.Close()
	if _, ok := mc.(*net.UDPConn); !ok {
		t.Fatalf("multicast socket wrapped as %T", mc)
	}
	uc, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	if _, ok := uc.(*net.UDPConn); ok && gsoSupported(uc.(*net.UDPConn)) {
		t.Fatal("unicast socket not wrapped although the kernel has GSO")
	}
}

// A send queue starts in a small arena and moves to a full one when a
// packet does not fit: what was queued keeps its offsets and bytes.
func TestSendArenaGrowsKeepingContents(t *testing.T) {
	a := getSendArena(100)
	if cap(a) != smallArenaSize {
		t.Fatalf("first arena for a 100-byte packet has cap %d, want %d", cap(a), smallArenaSize)
	}
	var want []byte
	for i := range 40 { // 40 × 1200 B: crosses the small arena's end
		p := burstPacket(i)
		a = appendArena(a, p)
		want = append(want, p...)
	}
	if cap(a) != arenaSize || !bytes.Equal(a, want) {
		t.Fatalf("after growing: cap %d, contents equal %v", cap(a), bytes.Equal(a, want))
	}
	putArena(a)
	if big := getSendArena(smallArenaSize + 1); cap(big) != arenaSize {
		t.Fatalf("first packet larger than a small arena got cap %d", cap(big))
	}
}
