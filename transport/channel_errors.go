package transport

import "errors"

// Errors of the DataChannel paths. They are defined in every build (also
// with chanrtc_nodatachannel) because the facade exports them.
var (
	ErrChannelNotOpen  = errors.New("chanrtc: DataChannel is not open")
	ErrMessageTooLarge = errors.New("chanrtc: message larger than the remote's max-message-size")
	ErrSendBufferFull  = errors.New("chanrtc: DataChannel send buffer full")
	// ErrRemoteMessageTooLarge is the close reason of a channel whose
	// remote sent a message larger than the max-message-size we advertised.
	ErrRemoteMessageTooLarge = errors.New("chanrtc: remote sent a message larger than our max-message-size")
)
