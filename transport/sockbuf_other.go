//go:build !linux

package transport

import "net"

// growBuffers asks for size-byte socket buffers; the system may cap them.
func growBuffers(c *net.UDPConn, size int) {
	_ = c.SetReadBuffer(size)
	_ = c.SetWriteBuffer(size)
}
