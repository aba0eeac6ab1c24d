package main

import (
	"fmt"

	"github.com/pion/rtp"
)

// A stack is one WebRTC implementation, driven through the same small
// interface so that every scenario runs the same code on both.
type stack interface {
	NewPeer() (peer, error)
}

// peer is the part of a PeerConnection the scenarios use. Signaling is
// non-trickle: CreateOffer and Answer return complete descriptions.
type peer interface {
	// CreateDataChannel adds a channel; unordered with maxRetransmits set
	// makes it partially reliable.
	CreateDataChannel(label string, unordered bool, maxRetransmits *uint16) (channel, error)
	OnDataChannel(func(channel))
	// AddVideoTrack adds an H.264 track sent with WriteRTP.
	AddVideoTrack() (rtpWriter, error)
	OnTrack(func(rtpReader))
	// CreateOffer sets the local offer and returns it once gathering is done.
	CreateOffer() (string, error)
	// Answer applies a remote offer and returns the complete answer.
	Answer(offer string) (string, error)
	SetAnswer(answer string) error
	Close() error
}

type channel interface {
	OnOpen(func())
	OnMessage(func([]byte))
	Send([]byte) error
	BufferedAmount() uint64
	SetBufferedAmountLowThreshold(uint64)
	OnBufferedAmountLow(func())
}

type rtpWriter interface {
	// WriteRTP sends p. The stack may keep p, so each call gets its own.
	// errBusy means the sender refused it because it is behind.
	WriteRTP(p *rtp.Packet) error
}

type rtpReader interface {
	ReadRTP() (*rtp.Packet, error)
}

// impls names the stacks in the order each round runs them.
var impls = []string{"chanrtc", "pion"}

func newStack(name string) (stack, error) {
	switch name {
	case "chanrtc":
		return chanrtcStack{}, nil
	case "pion":
		return newPionStack(), nil
	}
	return nil, fmt.Errorf("unknown implementation %q", name)
}
