// Package transport holds chanrtc's layers, one actor each: ICE (an adapter
// around pion/ice's agent, whose own loop is the ICE actor), the mux that
// demultiplexes the ICE connection by first byte (RFC 7983), the DTLS
// handshake over pion/dtls, and the SCTP actor that owns the association and
// every DataChannel's protocol state (DCEP, RFC 8832).
//
// Nothing here runs user code: events go out through functions and sinks the
// caller supplies, which must not block on this package.
//
// # Goroutine budget
//
// A connected PeerConnection with one open DataChannel runs 16 goroutines
// (pion/webrtc v4 runs 17 for the same), and each further DataChannel adds
// one. Every layer keeps its actor; what only has work for a while ends with
// it. BenchmarkIdleFootprint and TestGoroutineBudget (root package) measure
// the total.
//
// chanrtc's own, 6:
//   - the peer actor (JSEP and the wiring of the layers);
//   - the event goroutine that runs user callbacks;
//   - the mux, blocked reading the ICE connection (it also owns closing the
//     DTLS connection, so no goroutine stays behind for that);
//   - the SCTP actor;
//   - its accept loop, blocked in pion's AcceptStream;
//   - one reader per DataChannel stream, blocked in pion's ReadSCTP (pion
//     offers no other way to learn of a message).
//
// pion's, 10, which chanrtc does not control:
//   - ICE 4: the agent's task loop, a context watcher that loop starts, the
//     connectivity-check and keepalive ticker, and one receive loop per
//     local candidate socket (one on a single-interface host);
//   - DTLS 3: the handshake state machine (it stays to answer a
//     retransmitted final flight), the record reader, and the read-deadline
//     watcher its context-aware read starts for every read;
//   - SCTP 3: the association's read, write and timer loops.
//
// Only for a while: the DTLS handshake actor (until the handshake is done)
// and the association's setup. With media: one media router per
// connection plus one actor per sender and per receiver. A connection
// without DataChannels has no SCTP goroutines and one DTLS watcher instead.
package transport
