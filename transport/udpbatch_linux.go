package transport

import (
	"errors"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// wrapUDP puts a host socket behind batched writes when the kernel offers
// UDP GSO (Linux 4.18+); otherwise the socket is used as it is.
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
