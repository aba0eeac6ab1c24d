//go:build !linux

package transport

import "net"

// wrapUDP uses the socket as it is: batched sends need Linux's UDP GSO.
func wrapUDP(c *net.UDPConn, drop func([]byte) bool) udpConn { return plainUDP(c, drop) }
