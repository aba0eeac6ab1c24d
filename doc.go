// Package chanrtc is WebRTC for Go, built as goroutine actors connected by
// typed channels, behind a browser-like PeerConnection.
//
// Each layer — the ICE agent, the mux, DTLS, the SCTP association — runs as
// its own actor that owns its state alone; the PeerConnection's JSEP state
// machine is one more. User callbacks run on one event goroutine per
// PeerConnection, in order, never while any internal state is held, so
// every method (Close included) may be called from inside any callback.
// A panic inside an actor fails that PeerConnection, not the process, and
// Close leaves no goroutine behind. A panic inside a callback is treated as
// a browser treats an exception thrown by an event handler: it is logged
// (Config.Logger, with its stack) and the PeerConnection carries on with
// the next event.
//
// # Usage
//
//	pc, err := chanrtc.NewPeerConnection(chanrtc.Config{
//		ICEServers: []chanrtc.ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}},
//	})
//	dc, err := pc.CreateDataChannel("chat", nil)
//	dc.OnOpen(func() { dc.SendText("hello") })
//	dc.OnMessage(func(m chanrtc.DataChannelMessage) { ... })
//	offer, err := pc.CreateOffer()
//	err = pc.SetLocalDescription(offer)
//	<-pc.GatheringComplete() // or trickle: OnICECandidate / AddICECandidate
//	// send pc.LocalDescription() to the remote, get its answer back
//	err = pc.SetRemoteDescription(answer)
//	...
//	pc.Close()
//
// The answering side sets the remote offer, calls CreateAnswer and
// SetLocalDescription, and receives channels through OnDataChannel.
//
// # Flow control
//
// DataChannel.Send never blocks; BufferedAmount, BufferedAmountLowThreshold
// and OnBufferedAmountLow pace a sender. On the receiving side a channel
// whose messages are not consumed (a slow or absent OnMessage) stops reading
// after a bounded amount, and SCTP flow control holds the remote back:
// memory stays bounded and nothing on a reliable channel is lost.
//
// # Limitations
//
// ICE restart, provisional answers, simulcast and SDP munging
// (SetLocalDescription with a modified description) are not supported.
// Only UDP candidates are gathered. Congestion control (bandwidth
// estimation) is the application's: chanrtc sends what it is given.
package chanrtc
