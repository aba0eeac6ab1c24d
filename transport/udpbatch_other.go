//go:build !linux

package transport

import (
	"errors"
	"net"
	"net/netip"
)

// wrapUDP uses the socket as it is: batched sends need Linux's UDP GSO.
func wrapUDP(c *net.UDPConn, drop func([]byte) bool) udpConn { return plainUDP(c, drop) }

func gsoSupported(*net.UDPConn) bool { return false }

func sendGSO(*net.UDPConn, []byte, int, netip.AddrPort) error { return errGSO }

func gsoRefused(error) bool { return true }

var errGSO = errors.New("UDP GSO is Linux only")
