package jsep

import (
	"strings"
	"testing"
)

// avOffer bundles an audio section (the tag) and a video section that rides
// on its transport.
const avOffer = `v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
m=audio 9 UDP/TLS/RTP/SAVPF 111 0
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 ` + testFP + `
a=setup:actpass
a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:stream audiotrack
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=ssrc:11 cname:peer
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=mid:1
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:5 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:stream videotrack
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 H264/90000
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 goog-remb
a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 21 22
a=ssrc:21 cname:peer
a=ssrc:22 cname:peer
`

const (
	h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	opusFmtp = "minptime=10;useinbandfec=1"
	twccURI  = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
)

// ourVideo and ourAudio are what the brief's PeerConnection supports: H.264
// Constrained Baseline with RTX, and Opus, PCMU and PCMA.
func ourVideo(mid string) LocalMedia {
	return LocalMedia{
		MID: mid, Kind: "video",
		Codecs: []Codec{{
			PayloadType: 102, Name: "H264", ClockRate: 90000, Fmtp: h264Fmtp,
			Feedback: []string{"nack", "nack pli", "ccm fir"}, RTX: 103,
		}},
		Extensions: []Extension{{ID: 1, URI: ExtensionMID}},
		SSRC:       1001, RTXSSRC: 1002, CNAME: "chanrtc",
		StreamID: "ours", TrackID: "video" + mid,
	}
}

func ourAudio(mid string) LocalMedia {
	return LocalMedia{
		MID: mid, Kind: "audio",
		Codecs: []Codec{
			{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: opusFmtp},
			{PayloadType: 0, Name: "PCMU", ClockRate: 8000},
			{PayloadType: 8, Name: "PCMA", ClockRate: 8000},
		},
		Extensions: []Extension{{ID: 1, URI: ExtensionMID}},
		SSRC:       2001, CNAME: "chanrtc",
		StreamID: "ours", TrackID: "audio" + mid,
	}
}

// ourMediaFor gives one LocalMedia per audio/video section of offer.
func ourMediaFor(offer *Description) []LocalMedia {
	var media []LocalMedia
	for _, m := range offer.Media {
		switch m.Kind {
		case "audio":
			media = append(media, ourAudio(m.MID))
		case "video":
			media = append(media, ourVideo(m.MID))
		}
	}
	return media
}

// section returns the text of the m-section with the given mid.
func section(t *testing.T, text, mid string) string {
	t.Helper()
	for _, s := range strings.Split(text, "\r\nm=")[1:] {
		if strings.Contains(s+"\r\n", "\r\na=mid:"+mid+"\r\n") {
			return "m=" + s
		}
	}
	t.Fatalf("no section with mid %q in\n%s", mid, text)
	return ""
}

func mediaByMID(t *testing.T, d *Description, mid string) Media {
	t.Helper()
	for _, m := range d.Media {
		if m.MID == mid {
			return m
		}
	}
	t.Fatalf("no section with mid %q", mid)
	return Media{}
}
