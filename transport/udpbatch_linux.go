package transport

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// wrapUDP puts a host socket behind batched writes when the kernel offers
// UDP GSO (Linux 4.18+), and coalesced reads (GRO, Linux 5.0+) when it
// offers those too; otherwise the socket is used as it is.
func wrapUDP(c *net.UDPConn, drop func([]byte) bool) udpConn {
	if gsoSupported(c) {
		return newBatchConn(c, drop)
	}
	return plainUDP(c, drop)
}

// gsoSupported asks the socket for its UDP_SEGMENT option, which kernels
// without GSO do not know.
func gsoSupported(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		_, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
	}); err != nil {
		return false
	}
	return serr == nil
}

// sendGSO sends b as datagrams of segment bytes each (the last may be
// shorter) in one sendmsg.
func sendGSO(c *net.UDPConn, b []byte, segment int, to netip.AddrPort) error {
	var oob [64]byte
	space := unix.CmsgSpace(2)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = unix.IPPROTO_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	*(*uint16)(unsafe.Pointer(&oob[unix.CmsgLen(0)])) = uint16(segment)
	_, _, err := c.WriteMsgUDPAddrPort(b, oob[:space], to)
	return err
}

// gsoRefused reports a send error that means this socket's path cannot do
// GSO (EIO: the device has no checksum offload) rather than a bad packet.
func gsoRefused(err error) bool {
	return errors.Is(err, unix.EIO) || errors.Is(err, unix.EOPNOTSUPP)
}

// groReader reads a host socket with UDP_GRO on: the kernel hands over a
// run of datagrams from one sender in one buffer, with their size in a
// control message, and read returns them one at a time. The buffer is an
// arena taken only once the socket is readable and given back when its
// last datagram is read, so an idle socket holds none.
type groReader struct {
	rc   syscall.RawConn
	mu   sync.Mutex // serializes readers; guards the fields below
	buf  []byte     // the coalesced datagrams not yet read
	seg  int        // their size (the last may be shorter)
	from netip.AddrPort

	// The recvmsg arguments, kept here so that a read allocates nothing.
	fill  func(fd uintptr) bool
	arena []byte
	n     int
	err   error
	msg   unix.Msghdr
	iov   unix.Iovec
	name  unix.RawSockaddrInet6 // large enough for either family
	oob   [64]byte
}

func newGROReader(c *net.UDPConn) *groReader {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1)
	}); err != nil || serr != nil {
		return nil
	}
	r := &groReader{rc: rc}
	r.fill = r.recvmsg
	return r
}

func (r *groReader) read(b []byte) (int, netip.AddrPort, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		r.err = nil
		if err := r.rc.Read(r.fill); err != nil {
			return 0, netip.AddrPort{}, err
		}
		if r.err != nil {
			return 0, netip.AddrPort{}, r.err
		}
		r.buf, r.seg = r.arena[:r.n], groSegment(r.oob[:r.msg.Controllen], r.n)
		r.from = sockaddrAddrPort(&r.name)
	}
	seg := min(r.seg, len(r.buf))
	n := copy(b, r.buf[:seg])
	r.buf = r.buf[seg:]
	if len(r.buf) == 0 {
		putArena(r.arena)
		r.arena, r.buf = nil, nil
	}
	return n, r.from, nil
}

// recvmsg is the RawConn.Read callback: false means "not readable yet".
func (r *groReader) recvmsg(fd uintptr) bool {
	if r.arena == nil {
		r.arena = getArena()[:arenaSize]
	}
	r.iov.Base = &r.arena[0]
	r.iov.SetLen(len(r.arena))
	r.msg = unix.Msghdr{Name: (*byte)(unsafe.Pointer(&r.name)), Namelen: uint32(unsafe.Sizeof(r.name)), Iov: &r.iov}
	r.msg.SetIovlen(1)
	r.msg.Control = &r.oob[0]
	r.msg.SetControllen(len(r.oob))
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&r.msg)), unix.MSG_DONTWAIT)
	switch errno {
	case 0:
		r.n = int(n)
		return true
	case unix.EAGAIN:
		putArena(r.arena)
		r.arena = nil
		return false
	case unix.EINTR:
		return r.recvmsg(fd)
	default:
		putArena(r.arena)
		r.arena = nil
		r.err = errno
		return true
	}
}

// groSegment finds the UDP_GRO control message: the size of each coalesced
// datagram. Without one, the read is a single datagram of n bytes.
func groSegment(oob []byte, n int) int {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return n
		}
		if h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_GRO && len(data) >= 4 {
			if seg := int(binary.NativeEndian.Uint32(data)); seg > 0 {
				return seg
			}
		}
		oob = rest
	}
	return n
}

func sockaddrAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	if sa.Family == unix.AF_INET {
		v4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(v4.Addr), port)
	}
	addr := netip.AddrFrom16(sa.Addr)
	if sa.Scope_id != 0 {
		// A link-local sender: name its zone as the net package does.
		if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
			addr = addr.WithZone(ifi.Name)
		}
	}
	return netip.AddrPortFrom(addr, port)
}
