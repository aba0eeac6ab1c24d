package chanrtc

import "strings"

// MediaKind is "audio" or "video".
type MediaKind string

// Media kinds.
const (
	MediaKindAudio MediaKind = "audio"
	MediaKindVideo MediaKind = "video"
)

// Codec describes an RTP payload format. H.264, Opus, PCMU and PCMA are
// carried frame by frame (WriteFrame/ReadFrame); any other registered
// codec (VP8, VP9, AV1...) is carried at the RTP level (WriteRTP/ReadRTP).
type Codec struct {
	Kind        MediaKind
	Name        string // as in a=rtpmap: "H264", "opus", "PCMU", "VP8"...
	ClockRate   uint32
	Channels    uint16
	Fmtp        string   // a=fmtp parameters
	Feedback    []string // a=rtcp-fb values
	PayloadType uint8    // used in our offers
	RTX         uint8    // payload type of its RTX in our offers (0: no RTX)
}

var videoFeedback = []string{"nack", "nack pli", "ccm fir"}

// The codecs chanrtc negotiates by default. H.264 is packetization-mode 1
// Constrained Baseline, as every browser sends it.
var (
	CodecH264 = Codec{Kind: MediaKindVideo, Name: "H264", ClockRate: 90000,
		Fmtp:     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		Feedback: videoFeedback, PayloadType: 102, RTX: 103}
	CodecOpus = Codec{Kind: MediaKindAudio, Name: "opus", ClockRate: 48000, Channels: 2,
		Fmtp: "minptime=10;useinbandfec=1", Feedback: []string{"nack"}, PayloadType: 111}
	CodecPCMU = Codec{Kind: MediaKindAudio, Name: "PCMU", ClockRate: 8000, PayloadType: 0}
	CodecPCMA = Codec{Kind: MediaKindAudio, Name: "PCMA", ClockRate: 8000, PayloadType: 8}
	// CodecVP8, CodecVP9 and CodecAV1 are carried at the RTP level
	// (ReadRTP/WriteRTP); add them to Config.Codecs to negotiate them.
	CodecVP8 = Codec{Kind: MediaKindVideo, Name: "VP8", ClockRate: 90000, Feedback: videoFeedback, PayloadType: 96, RTX: 97}
	CodecVP9 = Codec{Kind: MediaKindVideo, Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=0",
		Feedback: videoFeedback, PayloadType: 98, RTX: 99}
	CodecAV1 = Codec{Kind: MediaKindVideo, Name: "AV1", ClockRate: 90000, Feedback: videoFeedback, PayloadType: 100, RTX: 101}
)

// DefaultCodecs is what Config.Codecs means when empty.
func DefaultCodecs() []Codec { return []Codec{CodecH264, CodecOpus, CodecPCMU, CodecPCMA} }

// sameCodec reports whether two descriptions name the same format.
func sameCodec(a, b Codec) bool {
	return strings.EqualFold(a.Name, b.Name) && a.ClockRate == b.ClockRate
}

func (c Config) codecs(kind MediaKind) []Codec {
	all := c.Codecs
	if len(all) == 0 {
		all = DefaultCodecs()
	}
	var out []Codec
	for _, k := range all {
		if k.Kind == kind {
			out = append(out, k)
		}
	}
	return out
}
