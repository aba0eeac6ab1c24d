package jsep

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRTPChromium(t *testing.T) {
	d := mustParse(t, readTestdata(t, "chrome_offer.sdp"))
	audio, video := d.Media[0], d.Media[1]

	wantAudio := []Codec{
		{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: opusFmtp, Feedback: []string{"transport-cc"}},
		{PayloadType: 63, Name: "red", ClockRate: 48000, Channels: 2, Fmtp: "111/111"},
		{PayloadType: 9, Name: "G722", ClockRate: 8000},
		{PayloadType: 0, Name: "PCMU", ClockRate: 8000},
		{PayloadType: 8, Name: "PCMA", ClockRate: 8000},
		{PayloadType: 13, Name: "CN", ClockRate: 8000},
		{PayloadType: 110, Name: "telephone-event", ClockRate: 48000},
		{PayloadType: 126, Name: "telephone-event", ClockRate: 8000},
	}
	if !reflect.DeepEqual(audio.Codecs, wantAudio) {
		t.Errorf("audio codecs\n got %+v\nwant %+v", audio.Codecs, wantAudio)
	}
	wantExt := []Extension{
		{ID: 1, URI: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"},
		{ID: 2, URI: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"},
		{ID: 3, URI: twccURI},
		{ID: 4, URI: ExtensionMID},
	}
	if !reflect.DeepEqual(audio.Extensions, wantExt) {
		t.Errorf("audio extensions %+v", audio.Extensions)
	}
	wantSSRC := []SSRCInfo{{
		SSRC: 1966458234, CNAME: "Q3m8p0sJ2tF1vZ7e",
		StreamID: "5c2e6a4e-1a5f-4b9a-9e0d-5e1f3c2b7a10", TrackID: "8d2f1b3c-6e4a-4f0b-a1d2-3c4e5f6a7b8c",
	}}
	if !reflect.DeepEqual(audio.SSRCs, wantSSRC) || audio.RTXSSRCs != nil {
		t.Errorf("audio SSRCs %+v RTX %v", audio.SSRCs, audio.RTXSSRCs)
	}
	if audio.StreamID != wantSSRC[0].StreamID || audio.TrackID != wantSSRC[0].TrackID || !audio.RTCPMux || !audio.RTCPRsize {
		t.Errorf("audio msid %q %q mux %v rsize %v", audio.StreamID, audio.TrackID, audio.RTCPMux, audio.RTCPRsize)
	}

	// 25 formats: 13 codecs, 12 of them with RTX folded in.
	var got []string
	for _, c := range video.Codecs {
		got = append(got, c.Name+" "+itoa(c.PayloadType)+"/"+itoa(c.RTX))
	}
	want := []string{
		"VP8 96/97", "H264 102/103", "H264 104/105", "H264 106/107", "H264 108/109", "H264 127/125",
		"H264 39/40", "AV1 45/46", "VP9 98/99", "VP9 100/101", "H264 112/113", "red 116/117", "ulpfec 118/0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("video codecs\n got %q\nwant %q", got, want)
	}
	h := video.Codecs[3]
	if h.Fmtp != "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" ||
		!reflect.DeepEqual(h.Feedback, []string{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}) {
		t.Errorf("H264 106: %+v", h)
	}
	if len(video.Extensions) != 11 || !reflect.DeepEqual(video.RTXSSRCs, map[uint32]uint32{2846181340: 1200953285}) {
		t.Errorf("video extensions %d RTX SSRCs %v", len(video.Extensions), video.RTXSSRCs)
	}
	if len(video.SSRCs) != 2 || video.SSRCs[1].SSRC != 1200953285 || video.SSRCs[1].CNAME != "Q3m8p0sJ2tF1vZ7e" {
		t.Errorf("video SSRCs %+v", video.SSRCs)
	}

	// The application section has no RTP fields.
	if data := d.Media[2]; data.Codecs != nil || data.Extensions != nil || data.SSRCs != nil || data.RTCPMux {
		t.Errorf("application section %+v", data)
	}
}

func itoa(pt uint8) string { return strconv.Itoa(int(pt)) }

func TestParseRTPFirefox(t *testing.T) {
	d := mustParse(t, readTestdata(t, "firefox_offer.sdp"))
	audio, video := d.Media[0], d.Media[1]
	wantAudio := []Codec{
		{PayloadType: 109, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: "maxplaybackrate=48000;stereo=1;useinbandfec=1"},
		{PayloadType: 9, Name: "G722", ClockRate: 8000, Channels: 1},
		{PayloadType: 0, Name: "PCMU", ClockRate: 8000},
		{PayloadType: 8, Name: "PCMA", ClockRate: 8000},
		{PayloadType: 101, Name: "telephone-event", ClockRate: 8000, Channels: 1, Fmtp: "0-15"},
	}
	if !reflect.DeepEqual(audio.Codecs, wantAudio) {
		t.Errorf("audio codecs\n got %+v\nwant %+v", audio.Codecs, wantAudio)
	}
	if want := (Extension{ID: 2, URI: "urn:ietf:params:rtp-hdrext:csrc-audio-level", Direction: "recvonly"}); audio.Extensions[1] != want {
		t.Errorf("extension with direction: %+v", audio.Extensions[1])
	}
	if audio.StreamID != "{b3a4c2d1-5e6f-4a8b-9c0d-1e2f3a4b5c6d}" || audio.TrackID != "{f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b}" || audio.RTCPRsize {
		t.Errorf("audio msid %q %q rsize %v", audio.StreamID, audio.TrackID, audio.RTCPRsize)
	}
	// Firefox writes fmtp before rtpmap and the FID group after the
	// sources; order of attributes does not matter.
	var got []string
	for _, c := range video.Codecs {
		got = append(got, c.Name+" "+itoa(c.PayloadType)+"/"+itoa(c.RTX))
	}
	want := []string{"VP8 120/124", "VP9 121/125", "H264 126/127", "H264 97/98", "ulpfec 123/0", "red 122/119"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("video codecs %q, want %q", got, want)
	}
	if !reflect.DeepEqual(video.RTXSSRCs, map[uint32]uint32{3712084391: 1283742902}) || len(video.SSRCs) != 2 {
		t.Errorf("RTX SSRCs %v SSRCs %+v", video.RTXSSRCs, video.SSRCs)
	}
	if !reflect.DeepEqual(video.Codecs[5].Feedback, []string{"nack", "nack pli"}) {
		t.Errorf("red feedback %q", video.Codecs[5].Feedback)
	}
}

func TestParseRTPEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		check func(t *testing.T, m Media)
	}{
		{"static payload types without rtpmap", edit(t, avOffer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 9 77 abc"), func(t *testing.T, m Media) {
			want := []Codec{{PayloadType: 0, Name: "PCMU", ClockRate: 8000}, {PayloadType: 8, Name: "PCMA", ClockRate: 8000}, {PayloadType: 9, Name: "G722", ClockRate: 8000}}
			if !reflect.DeepEqual(m.Codecs, want) {
				t.Errorf("codecs %+v", m.Codecs)
			}
		}},
		{"malformed rtpmaps make their codec unusable", edit(t, avOffer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/x/2\na=rtpmap:0 PCMU/8000/0"), func(t *testing.T, m Media) {
			// PT 0 falls back to its static meaning.
			if want := []Codec{staticCodecs[0]}; !reflect.DeepEqual(m.Codecs, want) {
				t.Errorf("codecs %+v", m.Codecs)
			}
		}},
		{"first rtpmap and fmtp win", edit(t, avOffer, "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000/2\na=rtpmap:111 G722/8000", "a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111 a=1\na=fmtp:111 b=2"), func(t *testing.T, m Media) {
			if m.Codecs[0].Name != "opus" || m.Codecs[0].Fmtp != "a=1" {
				t.Errorf("codec %+v", m.Codecs[0])
			}
		}},
		{"fmtp with a control character makes the codec unusable", edit(t, avOffer, "a=fmtp:111 minptime=10", "a=fmtp:111 minptime=10\x01"), func(t *testing.T, m Media) {
			if len(m.Codecs) != 1 || m.Codecs[0].PayloadType != 0 {
				t.Errorf("codecs %+v", m.Codecs)
			}
		}},
		{"wildcard feedback applies to every codec", edit(t, avOffer, "a=rtcp-mux\na=rtpmap:111", "a=rtcp-mux\na=rtcp-fb:* nack\na=rtcp-fb:* pli\na=rtcp-fb:0  nack\na=rtcp-fb:111 NACK\na=rtcp-fb:111\na=rtcp-fb:x y\na=rtpmap:111"), func(t *testing.T, m Media) {
			// A payload type's own values come first and keep their spelling.
			if !reflect.DeepEqual(m.Codecs[0].Feedback, []string{"NACK", "pli"}) || !reflect.DeepEqual(m.Codecs[1].Feedback, []string{"nack", "pli"}) {
				t.Errorf("feedback %q %q", m.Codecs[0].Feedback, m.Codecs[1].Feedback)
			}
		}},
		{"bad and repeated extmaps are skipped", edit(t, avOffer, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=sendrecv\na=msid:stream audiotrack",
			"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=extmap:4 urn:x\na=extmap:5 urn:ietf:params:rtp-hdrext:sdes:mid\na=extmap:0 urn:y\na=extmap:256 urn:z\na=extmap:6/sideways urn:w\na=extmap:7\na=extmap:8/sendrecv urn:v attr\na=sendrecv\na=msid:stream audiotrack"), func(t *testing.T, m Media) {
			want := []Extension{{ID: 4, URI: ExtensionMID}, {ID: 8, URI: "urn:v"}}
			if !reflect.DeepEqual(m.Extensions, want) {
				t.Errorf("extensions %+v", m.Extensions)
			}
		}},
		{"msid falls back to the a=ssrc msid", edit(t, avOffer, "a=msid:stream audiotrack\n", "", "a=ssrc:11 cname:peer", "a=ssrc:x cname:bad\na=ssrc:11 cname:peer\na=ssrc:11 msid:s2 t2\na=ssrc:12 msid:a b c"), func(t *testing.T, m Media) {
			if m.StreamID != "s2" || m.TrackID != "t2" {
				t.Errorf("msid %q %q", m.StreamID, m.TrackID)
			}
			want := []SSRCInfo{{SSRC: 11, CNAME: "peer", StreamID: "s2", TrackID: "t2"}, {SSRC: 12}}
			if !reflect.DeepEqual(m.SSRCs, want) {
				t.Errorf("SSRCs %+v", m.SSRCs)
			}
		}},
		{"RTX without a usable apt is dropped", edit(t, avOffer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 96 97 98 99",
			"a=ssrc:11 cname:peer", "a=rtpmap:96 rtx/48000\na=rtpmap:97 rtx/48000\na=fmtp:97 apt=55\na=rtpmap:98 rtx/8000\na=fmtp:98 apt=111\na=rtpmap:99 RTX/8000\na=fmtp:99 apt=0;rtx-time=3000"), func(t *testing.T, m Media) {
			if len(m.Codecs) != 2 || m.Codecs[0].RTX != 0 || m.Codecs[1].RTX != 99 {
				t.Errorf("codecs %+v", m.Codecs)
			}
		}},
		{"session-level direction, no rtcp-mux", edit(t, avOffer, "a=group:BUNDLE 0 1\n", "a=group:BUNDLE 0 1\na=recvonly\n", "a=sendrecv\n", "", "a=rtcp-mux\n", ""), func(t *testing.T, m Media) {
			if m.Direction != "recvonly" || m.RTCPMux {
				t.Errorf("direction %q mux %v", m.Direction, m.RTCPMux)
			}
		}},
		{"rejected sections are not read", edit(t, avOffer, "m=video 9", "m=video 0"), func(t *testing.T, m Media) {
			if m.MID != "1" || !m.Rejected || m.Codecs != nil || m.Extensions != nil || m.SSRCs != nil || m.StreamID != "" || m.RTCPMux {
				t.Errorf("%+v", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.text)
			m := d.Media[0]
			if d.Media[1].Rejected {
				m = d.Media[1]
			}
			tt.check(t, m)
		})
	}
}

func TestParseRTPLimits(t *testing.T) {
	many := func(line string, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(strings.ReplaceAll(line, "#", itoa(uint8(i%128))) + "\n")
		}
		return b.String()
	}
	formats := strings.Repeat(" 0", 129)
	tests := []struct {
		name, text, want string
	}{
		{"formats", edit(t, avOffer, "SAVPF 111 0\n", "SAVPF"+formats+"\n"), "129 formats, limit 128"},
		{"formats of a rejected section", edit(t, avOffer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\n", "m=audio 0 UDP/TLS/RTP/SAVPF"+formats+"\n"), "129 formats"},
		{"rtpmap", avOffer + many("a=rtpmap:# x/1", 129), "a=rtpmap lines, limit 128"},
		{"fmtp", avOffer + many("a=fmtp:# x", 129), "a=fmtp lines, limit 128"},
		{"rtcp-fb", avOffer + many("a=rtcp-fb:* x", 513), "a=rtcp-fb lines, limit 512"},
		{"extmap", avOffer + many("a=extmap:1 urn:x", 65), "a=extmap lines, limit 64"},
		{"ssrc", avOffer + many("a=ssrc:1 cname:x", 257), "a=ssrc lines, limit 256"},
		{"ssrc-group", avOffer + many("a=ssrc-group:FID 1 2", 257), "a=ssrc-group lines, limit 256"},
		{"feedback values of one codec", avOffer + many("a=rtcp-fb:96 v#", 33), "more than 32 a=rtcp-fb values for payload type 96"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDescription(tt.text)
			if !errors.Is(err, ErrInvalidSDP) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidSDP containing %q", err, tt.want)
			}
		})
	}
	// At the limits, descriptions are fine.
	at := avOffer + many("a=ssrc:1000# cname:x", 254) + many("a=extmap:# urn:x#", 62) + many("a=rtcp-fb:96 v#", 29)
	if d := mustParse(t, at); len(d.Media[1].SSRCs) != 128+2 || len(d.Media[1].Codecs[0].Feedback) != 32 {
		t.Errorf("%d SSRCs, %d feedback values", len(d.Media[1].SSRCs), len(d.Media[1].Codecs[0].Feedback))
	}
}
