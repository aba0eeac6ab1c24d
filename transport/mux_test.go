package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeConn is an ICE connection fed from a channel.
type fakeConn struct {
	in     chan []byte
	closed chan struct{}
	wrote  chan []byte
}

func newFakeConn() *fakeConn {
	return &fakeConn{in: make(chan []byte, 16), closed: make(chan struct{}), wrote: make(chan []byte, 16)}
}

func (f *fakeConn) Read(b []byte) (int, error) {
	select {
	case p := <-f.in:
		// As pion's ice.Conn: a short buffer gets what fits, the rest of
		// the datagram is gone, and the read says so.
		n := copy(b, p)
		if n < len(p) {
			return n, io.ErrShortBuffer
		}
		return n, nil
	case <-f.closed:
		return 0, io.EOF
	}
}

func (f *fakeConn) Write(b []byte) (int, error) {
	f.wrote <- append([]byte(nil), b...)
	return len(b), nil
}

func (f *fakeConn) Close() error {
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	return nil
}

// Fixed addresses, as an ICE connection returns the selected pair's:
// allocating them on each call would show in the mux benchmarks.
var (
	fakeLocal  = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	fakeRemote = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}
)

func (f *fakeConn) LocalAddr() net.Addr  { return fakeLocal }
func (f *fakeConn) RemoteAddr() net.Addr { return fakeRemote }

func TestMuxRoutesDTLSAndDropsTheRest(t *testing.T) {
	conn := newFakeConn()
	m := NewMux(conn)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	conn.in <- []byte{0x80, 96, 0, 1} // RTP: nobody wants it yet
	conn.in <- []byte{}               // empty
	conn.in <- []byte{5}              // nothing
	conn.in <- []byte{22, 254, 253, 1, 2, 3}
	buf := make([]byte, 100)
	n, addr, err := m.DTLS().ReadFrom(buf)
	if err != nil || string(buf[:n]) != string([]byte{22, 254, 253, 1, 2, 3}) {
		t.Fatalf("DTLS endpoint read %v %v", buf[:n], err)
	}
	if addr.String() != conn.RemoteAddr().String() {
		t.Fatalf("remote address %v", addr)
	}
	if got := m.Dropped(); got != 3 {
		t.Fatalf("dropped %d, want 3", got)
	}
	if _, err := m.DTLS().WriteTo([]byte{22, 1}, nil); err != nil {
		t.Fatal(err)
	}
	if w := <-conn.wrote; len(w) != 2 {
		t.Fatalf("wrote %v", w)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, _, err := m.DTLS().ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after stop: %v", err)
	}
}

// A datagram longer than any WebRTC path carries is dropped and counted;
// the mux carries on with the next one.
func TestMuxDropsOversizedDatagrams(t *testing.T) {
	conn := newFakeConn()
	m := NewMux(conn)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	big := make([]byte, 9000)
	big[0] = 22
	conn.in <- big
	full := make([]byte, packetSize)
	full[0] = 23
	conn.in <- full
	buf := make([]byte, 2*packetSize)
	n, _, err := m.DTLS().ReadFrom(buf)
	if err != nil || n != packetSize || buf[0] != 23 {
		t.Fatalf("DTLS endpoint read %d bytes starting %d: %v", n, buf[0], err)
	}
	if got := m.Dropped(); got != 1 {
		t.Fatalf("dropped %d, want 1", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestEndpointDeadlines(t *testing.T) {
	conn := newFakeConn()
	m := NewMux(conn)
	ep := m.DTLS()
	buf := make([]byte, 10)
	_ = ep.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	start := time.Now()
	if _, _, err := ep.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("deadline not honoured promptly")
	}
	// A deadline set while a read is blocked wakes it (this is how
	// pion's context-aware reads cancel).
	_ = ep.SetReadDeadline(time.Time{})
	errc := make(chan error)
	go func() { _, _, err := ep.ReadFrom(buf); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	_ = ep.SetReadDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("woken read: %v", err)
	}
	_ = ep.Close()
	if _, err := ep.WriteTo([]byte{1}, nil); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}
