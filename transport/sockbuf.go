package transport

import (
	"net"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// socketBuffer is the UDP receive and send buffer asked for on every host
// socket. The kernel's default (about 208 KiB on Linux) overflows under a
// DataChannel burst, and each drop costs SCTP a retransmission; 4 MiB
// absorbs a full receive window.
const socketBuffer = 4 << 20

// bufferedNet is the operating system's network with large UDP buffers.
type bufferedNet struct{ *stdnet.Net }

func newBufferedNet() (transport.Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return bufferedNet{n}, nil
}

// ListenUDP opens a host candidate's socket and enlarges its buffers.
func (n bufferedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	if uc, ok := c.(*net.UDPConn); ok {
		growBuffers(uc, socketBuffer)
	}
	return c, nil
}
