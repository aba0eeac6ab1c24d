package chanrtc

import (
	"errors"

	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
)

// Sentinel errors, for errors.Is. Returned errors wrap them with context.
var (
	// ErrClosed: the PeerConnection (or DataChannel) is closed, or failed
	// and was shut down.
	ErrClosed = errors.New("chanrtc: closed")
	// ErrInvalidState: the call is not allowed in the current signaling
	// state (W3C InvalidStateError); nothing was changed.
	ErrInvalidState = errors.New("chanrtc: invalid state")
	// ErrInvalidSDP: a description could not be parsed or is not valid.
	ErrInvalidSDP = jsep.ErrInvalidSDP
	// ErrModifiedSDP: SetLocalDescription got SDP other than what
	// CreateOffer/CreateAnswer produced (munging is not supported).
	ErrModifiedSDP = errors.New("chanrtc: local description differs from the one created")
	// ErrUnsatisfiable: a remote description the connection cannot use.
	ErrUnsatisfiable = errors.New("chanrtc: description cannot be satisfied")
	// ErrFingerprintMismatch: the remote's DTLS certificate does not match
	// its a=fingerprint; the connection fails and no data flows.
	ErrFingerprintMismatch = transport.ErrFingerprintMismatch
	// ErrMessageTooLarge: a message larger than the remote accepts
	// (a=max-message-size); nothing was sent.
	ErrMessageTooLarge = transport.ErrMessageTooLarge
	// ErrRemoteMessageTooLarge: the remote sent a message larger than our
	// max-message-size; that channel reports it through OnError and closes.
	ErrRemoteMessageTooLarge = transport.ErrRemoteMessageTooLarge
	// ErrSendBufferFull: the channel already has 16 MiB queued; nothing
	// was sent. Pace sends with BufferedAmountLowThreshold.
	ErrSendBufferFull = transport.ErrSendBufferFull
	// ErrDataChannelNotOpen: Send on a channel that is not open.
	ErrDataChannelNotOpen = transport.ErrChannelNotOpen
	// ErrBadICEServer: an ICE server URL that cannot be used.
	ErrBadICEServer = transport.ErrBadICEServer
)
