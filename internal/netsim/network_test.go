package netsim

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

func listen(t *testing.T, h *Host) *Conn {
	t.Helper()
	c, err := h.ListenUDP("udp4", &net.UDPAddr{IP: h.Addr().AsSlice()})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Conn)
}

// TestDatagramsCrossTheNetwork sends numbered datagrams through an impaired
// link inside a bubble and checks what arrives against the link's counters
// and the model's bounds.
func TestDatagramsCrossTheNetwork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		a, b := n.AddHost(), n.AddHost()
		im := Impairment{Loss: 0.1, Delay: 30 * time.Millisecond, Jitter: 10 * time.Millisecond, Reorder: 0.05, Duplicate: 0.01}
		n.SetLink(a, b, im)
		ca, cb := listen(t, a), listen(t, b)

		const count = 2000
		start := time.Now()
		go func() {
			for i := range count {
				msg := make([]byte, 100)
				binary.BigEndian.PutUint32(msg, uint32(i))
				binary.BigEndian.PutUint64(msg[4:], uint64(time.Since(start)))
				msg[99] = byte(i * 7)
				if _, err := ca.WriteTo(msg, cb.LocalAddr()); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()

		seen := make(map[uint32]int)
		got, outOfOrder, maxSeq := 0, 0, -1
		buf := make([]byte, 1500)
		for {
			_ = cb.SetReadDeadline(time.Now().Add(time.Second))
			k, from, err := cb.ReadFromUDP(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if from.String() != ca.LocalAddr().String() || k != 100 {
				t.Fatalf("datagram of %d bytes from %v", k, from)
			}
			seq := binary.BigEndian.Uint32(buf)
			sentAt := time.Duration(binary.BigEndian.Uint64(buf[4:]))
			if buf[99] != byte(seq*7) {
				t.Fatalf("datagram %d corrupted", seq)
			}
			d := time.Since(start) - sentAt
			if d < im.Delay-im.Jitter || d > im.Delay+im.Jitter+im.reorderDelay() {
				t.Fatalf("datagram %d took %v", seq, d)
			}
			seen[seq]++
			got++
			if int(seq) < maxSeq {
				outOfOrder++
			}
			maxSeq = max(maxSeq, int(seq))
		}
		st := n.Stats(a, b)
		t.Logf("sent %d, received %d (%d distinct, %d out of order); link %+v", count, got, len(seen), outOfOrder, st)
		if st.Sent != count || uint64(got) != st.Delivered || st.Delivered != st.Sent-st.Lost+st.Duplicated {
			t.Fatalf("received %d, link %+v", got, st)
		}
		if got-len(seen) != int(st.Duplicated) {
			t.Fatalf("%d repeats, %d duplicated", got-len(seen), st.Duplicated)
		}
		if outOfOrder == 0 || outOfOrder > int(st.Reordered) {
			t.Fatalf("%d out of order, %d reordered", outOfOrder, st.Reordered)
		}
		if st.Lost < count/20 || st.Lost > count/5 {
			t.Fatalf("lost %d of %d at 10%%", st.Lost, count)
		}
		if rev := n.Stats(b, a); rev.Sent != 0 {
			t.Fatalf("reverse link used: %+v", rev)
		}
	})
}

func TestReadDeadlineAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		c := listen(t, n.AddHost())
		start := time.Now()
		_ = c.SetReadDeadline(start.Add(2 * time.Second))
		_, _, err := c.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("deadline fired after %v", d)
		}

		// Moving the deadline wakes a blocked reader; so does Close.
		_ = c.SetReadDeadline(time.Time{})
		errs := make(chan error, 1)
		go func() { _, _, err := c.ReadFrom(make([]byte, 10)); errs <- err }()
		synctest.Wait()
		_ = c.SetReadDeadline(time.Now())
		if err := <-errs; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("after moving the deadline: %v", err)
		}
		_ = c.SetReadDeadline(time.Time{})
		go func() { _, _, err := c.ReadFrom(make([]byte, 10)); errs <- err }()
		synctest.Wait()
		_ = c.Close()
		if err := <-errs; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	})
}

func TestHostAsNet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		h := n.AddHost()
		ifs, err := h.Interfaces()
		if err != nil || len(ifs) != 1 {
			t.Fatalf("interfaces %v, %v", ifs, err)
		}
		addrs, err := ifs[0].Addrs()
		if err != nil || len(addrs) != 1 || !addrs[0].(*net.IPNet).IP.Equal(h.Addr().AsSlice()) {
			t.Fatalf("addresses %v, %v", addrs, err)
		}
		if ifc, err := h.InterfaceByName("eth0"); err != nil || ifc.Index != 1 {
			t.Fatalf("eth0: %v %v", ifc, err)
		}
		if _, err := h.InterfaceByName("wlan0"); err == nil {
			t.Fatal("found a missing interface")
		}

		pc, err := h.ListenPacket("udp4", "0.0.0.0:5000")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ListenUDP("udp4", &net.UDPAddr{Port: 5000}); err == nil {
			t.Fatal("bound a port twice")
		}
		if _, err := h.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(192, 168, 1, 1)}); err == nil {
			t.Fatal("bound an address the host does not have")
		}
		if _, err := h.ResolveUDPAddr("udp4", "example.com:80"); err == nil {
			t.Fatal("resolved a name without DNS")
		}
		ra, err := h.ResolveUDPAddr("udp4", h.Addr().String()+":5000")
		if err != nil {
			t.Fatal(err)
		}

		// A dialled socket on another host talks to the listener.
		other := n.AddHost()
		dc, err := other.DialUDP("udp4", nil, ra)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dc.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		k, from, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "hello" || from.String() != dc.LocalAddr().String() {
			t.Fatalf("read %q from %v: %v", buf[:k], from, err)
		}
		if _, err := pc.WriteTo([]byte("back"), from); err != nil {
			t.Fatal(err)
		}
		k, err = dc.Read(buf)
		if err != nil || string(buf[:k]) != "back" {
			t.Fatalf("read %q: %v", buf[:k], err)
		}

		// Closing frees the port.
		_ = pc.Close()
		again, err := h.ListenPacket("udp4", ":5000")
		if err != nil {
			t.Fatal(err)
		}
		_ = again.Close()
		if _, err := h.ListenTCP("tcp4", nil); err == nil {
			t.Fatal("TCP is not supported, yet ListenTCP worked")
		}
	})
}

func TestHostDownLosesEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		a, b := n.AddHost(), n.AddHost()
		ca, cb := listen(t, a), listen(t, b)
		send := func() {
			if _, err := ca.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort(cb.LocalAddr().String())); err != nil {
				t.Fatal(err)
			}
			if _, err := cb.WriteToAddrPort([]byte("y"), netip.MustParseAddrPort(ca.LocalAddr().String())); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		b.SetDown(true)
		send()
		if ab, ba := n.Stats(a, b), n.Stats(b, a); ab.Lost != 1 || ba.Lost != 1 || ab.Delivered+ba.Delivered != 0 {
			t.Fatalf("down: %+v %+v", ab, ba)
		}
		b.SetDown(false)
		send()
		if ab, ba := n.Stats(a, b), n.Stats(b, a); ab.Delivered != 1 || ba.Delivered != 1 {
			t.Fatalf("up again: %+v %+v", ab, ba)
		}
	})
}

func TestReceiveBufferOverflows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		a, b := n.AddHost(), n.AddHost()
		ca, cb := listen(t, a), listen(t, b)
		_ = cb.SetReadBuffer(10_000)
		for range 20 {
			_, _ = ca.WriteTo(make([]byte, 1000), cb.LocalAddr())
		}
		synctest.Wait()
		if st := n.Stats(a, b); st.Delivered != 10 || st.Unreached != 10 {
			t.Fatalf("%+v", st)
		}
	})
}

func TestMoveCutsOffOldSockets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(1)
		defer n.Close()
		a, b := n.AddHost(), n.AddHost()
		n.SetLink(a, b, Impairment{Delay: 10 * time.Millisecond})
		ca := listen(t, a)
		old := listen(t, b) // bound to b's address
		anyConn, err := b.ListenUDP("udp4", &net.UDPAddr{Port: 7000})
		if err != nil {
			t.Fatal(err)
		}
		oldAddr := b.Addr()
		newAddr := n.Move(b)
		if newAddr == oldAddr || b.Addr() != newAddr {
			t.Fatalf("moved from %v to %v, Addr says %v", oldAddr, newAddr, b.Addr())
		}
		ifs, _ := b.Interfaces()
		if addrs, _ := ifs[0].Addrs(); !addrs[0].(*net.IPNet).IP.Equal(newAddr.AsSlice()) {
			t.Fatal("the interface does not show the new address")
		}
		fresh := listen(t, b)
		if fresh.LocalAddr().(*net.UDPAddr).AddrPort().Addr() != newAddr {
			t.Fatalf("new socket on %v", fresh.LocalAddr())
		}

		// To the old address: nobody. To the new one: the fresh socket and
		// the one on the unspecified address.
		for _, to := range []net.Addr{old.LocalAddr(), fresh.LocalAddr(), net.UDPAddrFromAddrPort(netip.AddrPortFrom(newAddr, 7000))} {
			if _, err := ca.WriteTo([]byte("x"), to); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond)
		buf := make([]byte, 8)
		for _, c := range []net.PacketConn{fresh, anyConn} {
			_ = c.SetReadDeadline(time.Now())
			if _, _, err := c.ReadFrom(buf); err != nil {
				t.Fatalf("%v got nothing: %v", c.LocalAddr(), err)
			}
		}
		_ = old.SetReadDeadline(time.Now())
		if _, _, err := old.ReadFrom(buf); err == nil {
			t.Fatal("a socket on the old address still receives")
		}
		// Nothing routes to the old address; the link to the host carried
		// the other two.
		if st := n.Stats(a, b); st.Sent != 2 || st.Delivered != 2 {
			t.Fatalf("link after the move: %+v", st)
		}

		// What the old socket sends is lost; the new ones are heard from
		// their new address.
		_, _ = old.WriteTo([]byte("y"), ca.LocalAddr())
		_, _ = anyConn.WriteTo([]byte("z"), ca.LocalAddr())
		time.Sleep(time.Millisecond)
		_ = ca.SetReadDeadline(time.Now())
		k, from, err := ca.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "z" || from.(*net.UDPAddr).AddrPort() != netip.AddrPortFrom(newAddr, 7000) {
			t.Fatalf("read %q from %v: %v", buf[:k], from, err)
		}
		if _, _, err := ca.ReadFrom(buf); err == nil {
			t.Fatal("the old socket's datagram arrived")
		}
	})
}
