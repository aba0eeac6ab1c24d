package transport

import (
	"net"
	"syscall"
)

// growBuffers asks for size-byte socket buffers. The plain request is capped
// by net.core.rmem_max/wmem_max; a process with CAP_NET_ADMIN may go past
// that with the FORCE options, which is tried first. Failure is harmless:
// the socket keeps what it has.
func growBuffers(c *net.UDPConn, size int) {
	if rc, err := c.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, size)
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, size)
		})
	}
	if n, err := readBuffer(c); err == nil && n >= size {
		return
	}
	_ = c.SetReadBuffer(size)
	_ = c.SetWriteBuffer(size)
}

func readBuffer(c *net.UDPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil {
		return 0, err
	}
	return n, serr
}
