package chanrtc

// SignalingState is RTCSignalingState.
type SignalingState int32

// Signaling states (W3C names from String).
const (
	SignalingStateStable SignalingState = iota
	SignalingStateHaveLocalOffer
	SignalingStateHaveRemoteOffer
	SignalingStateClosed
)

func (s SignalingState) String() string {
	return [...]string{"stable", "have-local-offer", "have-remote-offer", "closed"}[s]
}

// ICEConnectionState is RTCIceConnectionState.
type ICEConnectionState int32

// ICE connection states.
const (
	ICEConnectionStateNew ICEConnectionState = iota
	ICEConnectionStateChecking
	ICEConnectionStateConnected
	ICEConnectionStateCompleted
	ICEConnectionStateDisconnected
	ICEConnectionStateFailed
	ICEConnectionStateClosed
)

func (s ICEConnectionState) String() string {
	return [...]string{"new", "checking", "connected", "completed", "disconnected", "failed", "closed"}[s]
}

// ICEGatheringState is RTCIceGatheringState.
type ICEGatheringState int32

// ICE gathering states.
const (
	ICEGatheringStateNew ICEGatheringState = iota
	ICEGatheringStateGathering
	ICEGatheringStateComplete
)

func (s ICEGatheringState) String() string {
	return [...]string{"new", "gathering", "complete"}[s]
}

// PeerConnectionState is RTCPeerConnectionState: ICE and DTLS together.
type PeerConnectionState int32

// Connection states.
const (
	PeerConnectionStateNew PeerConnectionState = iota
	PeerConnectionStateConnecting
	PeerConnectionStateConnected
	PeerConnectionStateDisconnected
	PeerConnectionStateFailed
	PeerConnectionStateClosed
)

func (s PeerConnectionState) String() string {
	return [...]string{"new", "connecting", "connected", "disconnected", "failed", "closed"}[s]
}

// DataChannelState is RTCDataChannelState.
type DataChannelState int32

// DataChannel ready states.
const (
	DataChannelStateConnecting DataChannelState = iota
	DataChannelStateOpen
	DataChannelStateClosing
	DataChannelStateClosed
)

func (s DataChannelState) String() string {
	return [...]string{"connecting", "open", "closing", "closed"}[s]
}
