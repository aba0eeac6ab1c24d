//go:build !chanrtc_nomedia

package chanrtc

import (
	"strings"

	"github.com/chanrtc/chanrtc/codec/g711"
	"github.com/chanrtc/chanrtc/codec/h264"
	"github.com/chanrtc/chanrtc/codec/opus"
	"github.com/chanrtc/chanrtc/jitter"
	"github.com/chanrtc/chanrtc/transport"
)

// rtpMTU is the largest RTP payload we send: 1200 bytes keeps packets
// under every path MTU WebRTC meets, with SRTP and TURN overhead.
const rtpMTU = 1200

// newPacketizer returns the frame packetizer of a codec, or nil when the
// codec is carried at the RTP level only.
func newPacketizer(c Codec) transport.Packetizer {
	switch strings.ToLower(c.Name) {
	case "h264":
		return &h264.Packetizer{MTU: rtpMTU}
	case "opus":
		return opus.Packetizer{}
	case "pcmu", "pcma":
		return &g711.Packetizer{MTU: rtpMTU}
	}
	return nil
}

// newAssembler returns the frame depacketizer of a codec, or nil.
func newAssembler(c Codec) transport.FrameAssembler {
	switch strings.ToLower(c.Name) {
	case "h264":
		return &h264.Depacketizer{}
	case "opus":
		return opus.Depacketizer{}
	case "pcmu", "pcma":
		return &g711.Depacketizer{}
	}
	return nil
}

// h264Frames tells the jitter buffer where H.264 frames start and which
// carry keyframes.
type h264Frames struct{}

func (h264Frames) IsKeyframe(p []byte) bool   { return h264.PayloadIsKeyframe(p) }
func (h264Frames) IsFrameStart(p []byte) bool { return h264.PayloadIsFrameStart(p) }

// anyFrames is for video codecs we do not parse: every packet may start a
// frame and none is known to be a keyframe.
type anyFrames struct{}

func (anyFrames) IsKeyframe([]byte) bool   { return false }
func (anyFrames) IsFrameStart([]byte) bool { return true }

func jitterCodec(c Codec) jitter.Codec {
	if strings.EqualFold(c.Name, "h264") {
		return h264Frames{}
	}
	return anyFrames{}
}
