// Package transport holds chanrtc's layers, one actor each: ICE (an adapter
// around pion/ice's agent, whose own loop is the ICE actor), the mux that
// demultiplexes the ICE connection by first byte (RFC 7983), the DTLS
// handshake over pion/dtls, and the SCTP actor that owns the association and
// every DataChannel's protocol state (DCEP, RFC 8832).
//
// Nothing here runs user code: events go out through functions and sinks the
// caller supplies, which must not block on this package.
package transport
