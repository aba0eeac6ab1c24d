package main

import (
	"strings"
	"time"

	"github.com/chanrtc/chanrtc"
)

// The echo reflects every media track back to the sender on the same
// transceiver: H.264, Opus and G.711 frame by frame (through the jitter
// buffer, so lost packets are recovered before the frame goes back), any
// other codec packet by packet.

// echoCodecs is what the echo negotiates: H.264, Opus and G.711 are
// reflected frame by frame, H.264 in every profile senders commonly use
// (the depacketizer does not depend on it); VP8 (what browsers prefer),
// VP9 and AV1 packet by packet.
func echoCodecs() []chanrtc.Codec {
	codecs := chanrtc.DefaultCodecs()
	for i, profile := range []string{"4d001f", "640c1f", "64001f"} { // Main, Constrained High, High
		c := chanrtc.CodecH264
		c.Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile
		c.PayloadType, c.RTX = uint8(104+2*i), uint8(105+2*i)
		codecs = append(codecs, c)
	}
	return append(codecs, chanrtc.CodecVP8, chanrtc.CodecVP9, chanrtc.CodecAV1)
}

// reflectOnTransceivers gives every transceiver the remote offered a local
// track to send the reflection on, before the answer is made, so that the
// answer says sendrecv.
func (p peer) reflectOnTransceivers() {
	for _, tr := range p.PC.GetTransceivers() {
		if tr.Sender().Track() != nil {
			continue
		}
		codec := chanrtc.CodecOpus
		if tr.Kind() == chanrtc.MediaKindVideo {
			codec = chanrtc.CodecH264
		}
		lt, err := chanrtc.NewLocalTrack(codec, "echo-"+tr.Mid(), "echo")
		if err != nil {
			continue
		}
		_ = tr.Sender().ReplaceTrack(lt)
		_ = tr.SetDirection(chanrtc.DirectionSendRecv)
	}
}

// reflect runs for each remote track, on its own goroutine, until the
// track ends.
func (p peer) reflect(remote *chanrtc.RemoteTrack, recv *chanrtc.RTPReceiver) {
	local := recv.Transceiver().Sender().Track()
	if local == nil {
		return
	}
	// Keyframe requests for the reflection go to the original sender.
	local.OnKeyframeRequest(remote.RequestKeyframe)
	p.Log.Info("reflecting track", "kind", remote.Kind(), "mid", remote.MID())
	if !frameCodec(remote.Codec().Name) {
		for {
			pkt, err := remote.ReadRTP()
			if err != nil {
				return
			}
			_ = local.WriteRTP(pkt)
		}
	}
	var prev uint32
	var have bool
	clock := remote.Codec().ClockRate
	for {
		f, err := remote.ReadFrame()
		if err != nil {
			return
		}
		// Each frame plays until the next: the timestamp step says how long.
		d := 20 * time.Millisecond
		if remote.Kind() == chanrtc.MediaKindVideo {
			d = time.Second / 30
		}
		if have && clock > 0 && f.Timestamp != prev {
			d = time.Duration(f.Timestamp-prev) * time.Second / time.Duration(clock)
		}
		prev, have = f.Timestamp, true
		_ = local.WriteFrame(chanrtc.Frame{Data: f.Data, Duration: d})
	}
}

func frameCodec(name string) bool {
	switch strings.ToLower(name) {
	case "h264", "opus", "pcmu", "pcma":
		return true
	}
	return false
}
