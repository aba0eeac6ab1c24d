package jsep

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBuildOfferMediaText(t *testing.T) {
	l := testLocal()
	l.Setup = ""
	l.DataChannel, l.DataMID = true, "2"
	l.Media = []LocalMedia{ourAudio("0"), ourVideo("1")}
	l.Media[0].Direction = "recvonly"
	got, err := BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	transport := `a=ice-ufrag:ufrg
a=ice-pwd:passwordpasswordpasswo
a=ice-options:trickle
a=fingerprint:sha-256 ` + testFP + `
a=setup:actpass
`
	want := strings.ReplaceAll(`v=0
o=- 123456789 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
`+transport+`a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host
m=video 9 UDP/TLS/RTP/SAVPF 102 103
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
`+transport+`a=mid:1
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:ours video1
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:102 H264/90000
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=rtcp-fb:102 ccm fir
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=ssrc-group:FID 1001 1002
a=ssrc:1001 cname:chanrtc
a=ssrc:1001 msid:ours video1
a=ssrc:1002 cname:chanrtc
a=ssrc:1002 msid:ours video1
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
`+transport+`a=mid:2
a=sctp-port:5000
a=max-message-size:262144
`, "\n", "\r\n")
	if got != want {
		t.Errorf("offer:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildOfferMediaRoundTrip(t *testing.T) {
	l := testLocal()
	l.Setup, l.EndOfCandidates = "", true
	l.DataChannel, l.DataMID = true, "data"
	audio, video := ourAudio("a"), ourVideo("v")
	audio.Extensions = append(audio.Extensions, Extension{ID: 3, URI: twccURI, Direction: "recvonly"})
	audio.StreamID = "" // written as "-"
	video.Codecs = append(video.Codecs, Codec{PayloadType: 96, Name: "VP8", ClockRate: 90000, Feedback: []string{"nack"}})
	l.Media = []LocalMedia{audio, video}
	text, err := BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, text)
	if !reflect.DeepEqual(d.BundleMIDs, []string{"a", "v", "data"}) || d.Data == nil || d.Data.MID != "data" {
		t.Errorf("bundle %q data %+v", d.BundleMIDs, d.Data)
	}
	if !reflect.DeepEqual(d.Candidates, l.Candidates) || !d.EndOfCandidates || d.Setup != SetupActpass || d.ICEUfrag != l.ICEUfrag {
		t.Errorf("transport %q %v %q %q", d.Candidates, d.EndOfCandidates, d.Setup, d.ICEUfrag)
	}
	// Candidates only on the tag; credentials everywhere.
	for _, mid := range []string{"a", "v", "data"} {
		s := section(t, text, mid)
		if strings.Contains(s, "a=candidate") != (mid == "a") || strings.Contains(s, "a=end-of-candidates") != (mid == "a") {
			t.Errorf("section %s candidates:\n%s", mid, s)
		}
		if !strings.Contains(s, "a=ice-ufrag:ufrg") || !strings.Contains(s, "a=fingerprint:") || !strings.Contains(s, "a=setup:actpass") {
			t.Errorf("section %s lacks transport attributes", mid)
		}
	}
	for i, lm := range l.Media {
		m := d.Media[i]
		if m.MID != lm.MID || m.Kind != lm.Kind || m.Direction != "sendrecv" || !m.RTCPMux || !m.RTCPRsize ||
			!reflect.DeepEqual(m.Protos, []string{"UDP", "TLS", "RTP", "SAVPF"}) || m.Port != 9 {
			t.Errorf("section %d: %+v", i, m)
		}
		if !reflect.DeepEqual(m.Codecs, lm.Codecs) {
			t.Errorf("section %d codecs\n got %+v\nwant %+v", i, m.Codecs, lm.Codecs)
		}
		if !reflect.DeepEqual(m.Extensions, lm.Extensions) {
			t.Errorf("section %d extensions %+v", i, m.Extensions)
		}
	}
	a, v := d.Media[0], d.Media[1]
	if a.StreamID != "-" || a.TrackID != "audioa" || !reflect.DeepEqual(a.SSRCs, []SSRCInfo{{SSRC: 2001, CNAME: "chanrtc", StreamID: "-", TrackID: "audioa"}}) || a.RTXSSRCs != nil {
		t.Errorf("audio msid %q %q SSRCs %+v RTX %v", a.StreamID, a.TrackID, a.SSRCs, a.RTXSSRCs)
	}
	wantSSRCs := []SSRCInfo{
		{SSRC: 1001, CNAME: "chanrtc", StreamID: "ours", TrackID: "videov"},
		{SSRC: 1002, CNAME: "chanrtc", StreamID: "ours", TrackID: "videov"},
	}
	if v.StreamID != "ours" || !reflect.DeepEqual(v.SSRCs, wantSSRCs) || !reflect.DeepEqual(v.RTXSSRCs, map[uint32]uint32{1001: 1002}) {
		t.Errorf("video msid %q SSRCs %+v RTX %v", v.StreamID, v.SSRCs, v.RTXSSRCs)
	}
}

func TestBuildOfferSendingInfo(t *testing.T) {
	tests := []struct {
		name       string
		modify     func(*LocalMedia)
		msid, ssrc bool
		fid        bool
	}{
		{"sendrecv", func(*LocalMedia) {}, true, true, true},
		{"sendonly", func(l *LocalMedia) { l.Direction = "sendonly" }, true, true, true},
		{"recvonly", func(l *LocalMedia) { l.Direction = "recvonly" }, false, false, false},
		{"inactive", func(l *LocalMedia) { l.Direction = "inactive" }, false, false, false},
		{"no SSRC yet", func(l *LocalMedia) { l.SSRC, l.RTXSSRC = 0, 0 }, true, false, false},
		{"no RTX SSRC", func(l *LocalMedia) { l.RTXSSRC = 0 }, true, true, false},
		{"no RTX codec", func(l *LocalMedia) { l.Codecs[0].RTX = 0 }, true, true, false},
		{"no msid", func(l *LocalMedia) { l.StreamID, l.TrackID = "", "" }, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLocal()
			l.Setup = ""
			v := ourVideo("0")
			tt.modify(&v)
			l.Media = []LocalMedia{v}
			text, err := BuildOffer(l)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text, "a=msid:") != tt.msid || strings.Contains(text, "a=ssrc:1001 cname:chanrtc") != tt.ssrc ||
				strings.Contains(text, "a=ssrc-group:FID 1001 1002") != tt.fid || strings.Contains(text, "a=ssrc:1002") != tt.fid {
				t.Errorf("offer:\n%s", text)
			}
			if strings.Contains(text, " msid:") != (tt.msid && tt.ssrc) {
				t.Errorf("a=ssrc msid lines:\n%s", text)
			}
			mustParse(t, text)
		})
	}
}

func TestBuildOfferOrderAndStopped(t *testing.T) {
	l := testLocal()
	l.Setup = ""
	l.DataChannel, l.DataMID = true, "2"
	l.Media = []LocalMedia{ourAudio("0"), ourVideo("1"), ourVideo("3")}
	l.Media[0].Stopped = true
	l.Order = []string{"2", "0"} // the rest follows: 1, 3
	text, err := BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, text)
	var mids []string
	for _, m := range d.Media {
		mids = append(mids, m.MID)
	}
	if !reflect.DeepEqual(mids, []string{"2", "0", "1", "3"}) || !reflect.DeepEqual(d.BundleMIDs, []string{"2", "1", "3"}) {
		t.Errorf("mids %q bundle %q", mids, d.BundleMIDs)
	}
	if s := section(t, text, "2"); !strings.Contains(s, "a=candidate:") {
		t.Errorf("the data section leads the bundle but has no candidates:\n%s", s)
	}
	stopped := section(t, text, "0")
	if !d.Media[1].Rejected || !strings.HasPrefix(stopped, "m=audio 0 UDP/TLS/RTP/SAVPF 111 0 8\r\n") || strings.Contains(stopped, "ice-ufrag") {
		t.Errorf("stopped section:\n%s", stopped)
	}
	if len(d.Media[2].Codecs) != 1 || len(d.Media[3].Codecs) != 1 || d.Data == nil {
		t.Errorf("media %+v", d.Media)
	}

	// Only stopped media: no BUNDLE group, nothing to carry a transport.
	l = testLocal()
	l.Media = []LocalMedia{{MID: "0", Kind: "video", Stopped: true}}
	l.ICEUfrag = "" // not needed: nothing is live
	text, err = BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	if d := mustParse(t, text); len(d.BundleMIDs) != 0 || !d.Media[0].Rejected || !strings.Contains(text, "m=video 0 UDP/TLS/RTP/SAVPF 0\r\n") {
		t.Errorf("offer:\n%s", text)
	}
}

func TestBuildInvalidLocalMedia(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Local)
		want   string
		offer  bool // only offers refuse it
	}{
		{"mid clash with the data section", func(l *Local) { l.Media[0].MID = "0" }, "share mid", true},
		{"same mid twice", func(l *Local) { l.Media[1].MID = l.Media[0].MID }, "share mid", false},
		{"empty mid", func(l *Local) { l.Media[0].MID = "" }, "not a token", true},
		{"mid with a space", func(l *Local) { l.Media[0].MID = "a b" }, "not a token", false},
		{"data mid with a space", func(l *Local) { l.DataMID = "a b" }, "not a token", true},
		{"unknown mid in Order", func(l *Local) { l.Order = []string{"x"} }, "neither in Media", true},
		{"mid twice in Order", func(l *Local) { l.Order = []string{"a", "a"} }, "twice", true},
		{"kind", func(l *Local) { l.Media[0].Kind = "text" }, "not audio or video", false},
		{"direction", func(l *Local) { l.Media[0].Direction = "both" }, "direction", false},
		{"no codec", func(l *Local) { l.Media[0].Codecs = nil }, "no codec", true},
		{"payload type twice", func(l *Local) { l.Media[0].Codecs[1].PayloadType = 111 }, "used twice", false},
		{"RTX payload type clash", func(l *Local) { l.Media[1].Codecs[0].RTX = 102 }, "used twice", false},
		{"payload type too big", func(l *Local) { l.Media[0].Codecs[1].PayloadType = 128 }, "not 0..127", false},
		{"codec name", func(l *Local) { l.Media[0].Codecs[0].Name = "op us" }, "not a codec name", false},
		{"codec named rtx", func(l *Local) { l.Media[0].Codecs[0].Name = "rtx" }, "not a codec name", false},
		{"no clock rate", func(l *Local) { l.Media[0].Codecs[0].ClockRate = 0 }, "not a codec name", false},
		{"fmtp line break", func(l *Local) { l.Media[0].Codecs[0].Fmtp = "a=1\r\na=x" }, "fmtp", false},
		{"feedback line break", func(l *Local) { l.Media[1].Codecs[0].Feedback[0] = "nack\na=x" }, "feedback", false},
		{"empty feedback", func(l *Local) { l.Media[1].Codecs[0].Feedback[0] = "" }, "feedback", false},
		{"extension ID 15", func(l *Local) { l.Media[0].Extensions[0].ID = 15 }, "not 1..14", false},
		{"extension URI with space", func(l *Local) { l.Media[0].Extensions[0].URI = "urn:a b" }, "URI", false},
		{"extension twice", func(l *Local) {
			l.Media[0].Extensions = append(l.Media[0].Extensions, Extension{ID: 2, URI: ExtensionMID})
		}, "twice", false},
		{"extension direction", func(l *Local) { l.Media[0].Extensions[0].Direction = "up" }, "extension direction", false},
		{"SSRC without CNAME", func(l *Local) { l.Media[0].CNAME = "" }, "CNAME", false},
		{"CNAME with space", func(l *Local) { l.Media[0].CNAME = "a b" }, "CNAME", false},
		{"RTX SSRC equals SSRC", func(l *Local) { l.Media[1].RTXSSRC = l.Media[1].SSRC }, "RTX SSRC", false},
		{"RTX SSRC without SSRC", func(l *Local) { l.Media[1].SSRC = 0 }, "RTX SSRC", false},
		{"track id with space", func(l *Local) { l.Media[0].TrackID = "a b" }, "msid", false},
		{"stream id too long", func(l *Local) { l.Media[0].StreamID = strings.Repeat("s", 65) }, "msid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLocal()
			l.Setup, l.DataChannel = SetupActpass, true
			l.Media = []LocalMedia{ourAudio("a"), ourVideo("v")}
			tt.modify(&l)
			_, err := BuildOffer(l)
			checkErr(t, "BuildOffer", err, tt.want)
			if tt.offer {
				return
			}
			l.Setup = SetupActive
			_, err = BuildAnswer(mustParse(t, avOffer), l)
			checkErr(t, "BuildAnswer", err, tt.want)
		})
	}
}

// TestBuildAnswerBrowserMedia answers the browser offers with what we
// support: H.264 Constrained Baseline with RTX, Opus, PCMU and PCMA.
func TestBuildAnswerBrowserMedia(t *testing.T) {
	tests := []struct {
		file       string
		audio      []uint8 // negotiated payload types
		video      uint8
		videoRTX   uint8
		videoFB    []string
		videoDir   string
		audioFirst bool
	}{
		{"chrome_offer.sdp", []uint8{111, 0, 8}, 106, 107, []string{"ccm fir", "nack", "nack pli"}, "sendrecv", true},
		{"firefox_offer.sdp", []uint8{109, 0, 8}, 126, 127, []string{"nack", "nack pli", "ccm fir"}, "sendrecv", true},
		// Safari offers High (640c1f) first and a recvonly video.
		{"safari_offer.sdp", []uint8{111, 0, 8}, 98, 99, []string{"ccm fir", "nack", "nack pli"}, "sendonly", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			offer := mustParse(t, readTestdata(t, tt.file))
			l := testLocal()
			l.EndOfCandidates = true
			l.Media = ourMediaFor(offer)
			text, err := BuildAnswer(offer, l)
			if err != nil {
				t.Fatal(err)
			}
			ans := mustParse(t, text)
			if !reflect.DeepEqual(ans.BundleMIDs, []string{"0", "1", "2"}) || ans.Data == nil || ans.Setup != SetupActive {
				t.Errorf("bundle %q data %+v setup %q", ans.BundleMIDs, ans.Data, ans.Setup)
			}
			if first := section(t, text, "0"); !strings.Contains(first, "a=candidate:") || strings.Count(text, "a=candidate:") != 1 || strings.Count(text, "a=end-of-candidates") != 1 {
				t.Errorf("candidates are not on the first section only:\n%s", text)
			}
			for i, m := range ans.Media {
				o := offer.Media[i]
				if m.Rejected || m.MID != o.MID || m.Kind != o.Kind || !reflect.DeepEqual(m.Protos, o.Protos) {
					t.Errorf("section %d: %+v for %+v", i, m, o)
				}
				if o.Kind == "application" {
					continue
				}
				neg, ok := NegotiateMedia(o, l.Media[slices.IndexFunc(l.Media, func(lm LocalMedia) bool { return lm.MID == o.MID })])
				if !ok {
					t.Fatalf("section %d not negotiated", i)
				}
				// The answer says exactly what NegotiateMedia computed.
				if !reflect.DeepEqual(m.Codecs, neg.Codecs) || !reflect.DeepEqual(m.Extensions, neg.Extensions) || m.Direction != neg.Direction {
					t.Errorf("section %d: answer %+v %+v %q, negotiated %+v", i, m.Codecs, m.Extensions, m.Direction, neg)
				}
				if !m.RTCPMux || m.RTCPRsize != o.RTCPRsize {
					t.Errorf("section %d: rtcp-mux %v rsize %v", i, m.RTCPMux, m.RTCPRsize)
				}
				if !reflect.DeepEqual(m.Extensions, []Extension{{ID: extID(t, o, ExtensionMID), URI: ExtensionMID}}) {
					t.Errorf("section %d extensions %+v", i, m.Extensions)
				}
				switch m.Kind {
				case "audio":
					var pts []uint8
					for _, c := range m.Codecs {
						pts = append(pts, c.PayloadType)
						if c.RTX != 0 || c.Feedback != nil {
							t.Errorf("audio codec %+v", c)
						}
					}
					if !reflect.DeepEqual(pts, tt.audio) || m.Direction != "sendrecv" || m.SSRCs[0].SSRC != 2001 {
						t.Errorf("audio %v %q %+v", pts, m.Direction, m.SSRCs)
					}
				case "video":
					if len(m.Codecs) != 1 {
						t.Fatalf("video codecs %+v", m.Codecs)
					}
					c := m.Codecs[0]
					oc := o.Codecs[slices.IndexFunc(o.Codecs, func(x Codec) bool { return x.PayloadType == c.PayloadType })]
					if c.PayloadType != tt.video || c.RTX != tt.videoRTX || !reflect.DeepEqual(c.Feedback, tt.videoFB) || c.Fmtp != oc.Fmtp {
						t.Errorf("video codec %+v", c)
					}
					if m.Direction != tt.videoDir || !reflect.DeepEqual(m.RTXSSRCs, map[uint32]uint32{1001: 1002}) || m.StreamID != "ours" {
						t.Errorf("video %q RTX SSRCs %v msid %q", m.Direction, m.RTXSSRCs, m.StreamID)
					}
				}
			}
		})
	}
}

func extID(t *testing.T, m Media, uri string) int {
	t.Helper()
	for _, e := range m.Extensions {
		if e.URI == uri {
			return e.ID
		}
	}
	t.Fatalf("no extension %s", uri)
	return 0
}

func TestBuildAnswerMediaSections(t *testing.T) {
	vp8Only := edit(t, avOffer, "a=rtpmap:96 H264/90000", "a=rtpmap:96 VP8/90000", "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\n", "")
	highOnly := edit(t, avOffer, "profile-level-id=42e01f", "profile-level-id=640c1f")
	// The video section is the BUNDLE tag and carries the transport.
	videoFirst := strings.Replace(edit(t, avOffer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0",
		"a=mid:1\n", "a=mid:1\na=ice-ufrag:efgh\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n"), "", "", 1)
	videoFirstVP8 := edit(t, videoFirst, "a=rtpmap:96 H264/90000", "a=rtpmap:96 VP8/90000")
	tests := []struct {
		name     string
		offer    string
		modify   func(*Local)
		accepted []string
		bundle   []string
		first    string // the section with candidates
	}{
		{"audio and video", avOffer, nil, []string{"0", "1"}, []string{"0", "1"}, "0"},
		{"VP8-only video is rejected, audio accepted", vp8Only, nil, []string{"0"}, []string{"0"}, "0"},
		{"H.264 High only is rejected", highOnly, nil, []string{"0"}, []string{"0"}, "0"},
		{"no local media for a mid", avOffer, func(l *Local) { l.Media = l.Media[:1] }, []string{"0"}, []string{"0"}, "0"},
		{"stopped transceiver", avOffer, func(l *Local) { l.Media[1].Stopped = true }, []string{"0"}, []string{"0"}, "0"},
		{"local kind differs", avOffer, func(l *Local) { l.Media[1].Kind = "audio" }, []string{"0"}, []string{"0"}, "0"},
		{"remote port 0", edit(t, avOffer, "m=video 9", "m=video 0"), nil, []string{"0"}, []string{"0"}, "0"},
		{"bundle-only video", edit(t, avOffer, "m=video 9", "m=video 0", "a=mid:1\n", "a=mid:1\na=bundle-only\n"), nil, []string{"0", "1"}, []string{"0", "1"}, "0"},
		{"no rtcp-mux offered", strings.ReplaceAll(avOffer, "a=rtcp-mux\n", ""), nil, []string{"0", "1"}, []string{"0", "1"}, "0"},
		{"tag rejected: the next accepted mid leads", edit(t, avOffer, "a=rtpmap:111 opus", "a=rtpmap:111 speex", "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111"), nil, []string{"1"}, []string{"1"}, "1"},
		{"video tag kept", videoFirst, nil, []string{"0", "1"}, []string{"1", "0"}, "1"},
		{"video tag rejected", videoFirstVP8, nil, []string{"0"}, []string{"0"}, "0"},
		{"no BUNDLE: only the transport section", edit(t, avOffer, "a=group:BUNDLE 0 1\n", "", "a=mid:1\n", "a=mid:1\na=ice-ufrag:efgh\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n"), nil, []string{"0"}, nil, "0"},
		{"no BUNDLE, audio unsupported", edit(t, avOffer, "a=group:BUNDLE 0 1\n", "", "a=mid:1\n", "a=mid:1\na=ice-ufrag:efgh\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n"), func(l *Local) { l.Media = l.Media[1:] }, nil, nil, ""},
		{"no BUNDLE, unknown section first: the first RTP section carries the transport", edit(t, avOffer,
			"a=group:BUNDLE 0 1\n", "m=hologram 9 UDP/QUANTUM 7\nc=IN IP4 0.0.0.0\na=mid:h\na=ice-ufrag:hhhh\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\n",
			"a=mid:1\n", "a=mid:1\na=ice-ufrag:efgh\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n"), nil, []string{"0"}, nil, "0"},
		{"media with data", edit(t, audioAndData, "a=mid:0\n", "a=mid:0\na=rtpmap:111 opus/48000/2\n"), nil, []string{"0", "1"}, []string{"0", "1"}, "0"},
		{"data with rejected media tag", edit(t, audioAndData, "a=mid:0\n", "a=mid:0\na=rtpmap:111 opus/48000/2\n"), func(l *Local) { l.Media = nil }, []string{"1"}, []string{"1"}, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := mustParse(t, tt.offer)
			l := testLocal()
			l.Media = ourMediaFor(offer)
			if tt.modify != nil {
				tt.modify(&l)
			}
			text, err := BuildAnswer(offer, l)
			if err != nil {
				t.Fatal(err)
			}
			ans := mustParse(t, text)
			var accepted []string
			for i, m := range ans.Media {
				if m.MID != offer.Media[i].MID || m.Kind != offer.Media[i].Kind {
					t.Errorf("section %d: %+v", i, m)
				}
				if !m.Rejected {
					accepted = append(accepted, m.MID)
				} else if !reflect.DeepEqual(m.Formats, offer.Media[i].Formats) || m.Codecs != nil {
					t.Errorf("rejected section %d: %+v", i, m)
				}
			}
			if !reflect.DeepEqual(accepted, tt.accepted) || !reflect.DeepEqual(ans.BundleMIDs, tt.bundle) {
				t.Errorf("accepted %q bundle %q, want %q %q\n%s", accepted, ans.BundleMIDs, tt.accepted, tt.bundle, text)
			}
			if tt.first == "" {
				if strings.Contains(text, "a=candidate") || strings.Contains(text, "a=ice-ufrag") {
					t.Errorf("transport without an accepted section:\n%s", text)
				}
				return
			}
			if !strings.Contains(section(t, text, tt.first), "a=candidate:") || strings.Count(text, "a=candidate:") != 1 {
				t.Errorf("candidates not (only) on mid %s:\n%s", tt.first, text)
			}
			if ans.ICEUfrag != "ufrg" || ans.Setup != SetupActive || len(ans.Candidates) != 1 || len(ans.Fingerprints) != 1 {
				t.Errorf("answer transport %q %q %q", ans.ICEUfrag, ans.Setup, ans.Candidates)
			}
			for _, m := range ans.Media {
				if !m.Rejected && m.Kind != "application" && !m.RTCPMux {
					t.Errorf("mid %s without rtcp-mux", m.MID)
				}
			}
		})
	}
}

// TestBuildAnswerDirections drives the JSEP direction table through whole
// answers and checks that a=msid and a=ssrc appear only when we send.
func TestBuildAnswerDirections(t *testing.T) {
	dirs := []string{"sendrecv", "sendonly", "recvonly", "inactive"}
	for _, offered := range dirs {
		for _, ours := range append(dirs, "") {
			offer := mustParse(t, strings.ReplaceAll(avOffer, "a=sendrecv", "a="+offered))
			l := testLocal()
			l.Media = ourMediaFor(offer)
			for i := range l.Media {
				l.Media[i].Direction = ours
			}
			text, err := BuildAnswer(offer, l)
			if err != nil {
				t.Fatal(err)
			}
			want := agreedDirection(offered, ours)
			ans := mustParse(t, text)
			for _, m := range ans.Media {
				s := section(t, text, m.MID)
				send := want == "sendrecv" || want == "sendonly"
				if m.Direction != want || strings.Contains(s, "a=msid:") != send || strings.Contains(s, "a=ssrc:") != send {
					t.Errorf("offer %s, ours %q: mid %s answered %q (want %q):\n%s", offered, ours, m.MID, m.Direction, want, s)
				}
				if send && (len(m.SSRCs) == 0 || m.StreamID != "ours") {
					t.Errorf("offer %s, ours %q: SSRCs %+v msid %q", offered, ours, m.SSRCs, m.StreamID)
				}
			}
		}
	}
}

// TestOfferAnswerBetweenPeers runs offer/answer between two of our own
// peers whose payload types differ, and checks both ends agree.
func TestOfferAnswerBetweenPeers(t *testing.T) {
	offerer := testLocal()
	offerer.Setup, offerer.DataChannel, offerer.DataMID = "", true, "2"
	offerer.Media = []LocalMedia{ourAudio("0"), ourVideo("1")}
	offerer.Media[1].Codecs = append([]Codec{{PayloadType: 96, Name: "VP8", ClockRate: 90000, RTX: 97}}, offerer.Media[1].Codecs...)
	offerText, err := BuildOffer(offerer)
	if err != nil {
		t.Fatal(err)
	}
	offer := mustParse(t, offerText)

	answerer := testLocal()
	answerer.Media = []LocalMedia{ourAudio("0"), ourVideo("1")}
	answerer.Media[0].Codecs[0].PayloadType = 109
	answerer.Media[1].Codecs[0].PayloadType, answerer.Media[1].Codecs[0].RTX = 120, 121
	answerer.Media[1].Direction = "recvonly"
	answerer.Media[1].SSRC, answerer.Media[1].RTXSSRC = 3001, 3002
	answerText, err := BuildAnswer(offer, answerer)
	if err != nil {
		t.Fatal(err)
	}
	answer := mustParse(t, answerText)

	for i, lm := range offerer.Media {
		remote := answer.Media[i]
		got, ok := NegotiateMedia(remote, lm) // the offerer's view
		if !ok {
			t.Fatalf("mid %s rejected", lm.MID)
		}
		theirs, _ := NegotiateMedia(offer.Media[i], answerer.Media[i]) // the answerer's view
		if !reflect.DeepEqual(got.Codecs, theirs.Codecs) {
			t.Errorf("mid %s: offerer sees %+v, answerer %+v", lm.MID, got.Codecs, theirs.Codecs)
		}
		for _, c := range got.Codecs {
			if !slices.ContainsFunc(lm.Codecs, func(o Codec) bool { return o.PayloadType == c.PayloadType && o.RTX == c.RTX }) {
				t.Errorf("mid %s: codec %+v does not use the offerer's payload types", lm.MID, c)
			}
		}
		wantDir := map[string]string{"0": "sendrecv", "1": "sendonly"}[lm.MID]
		if got.Direction != wantDir || !reflect.DeepEqual(got.Extensions, lm.Extensions) {
			t.Errorf("mid %s: direction %q extensions %+v", lm.MID, got.Direction, got.Extensions)
		}
	}
	if v := answer.Media[1]; v.SSRCs != nil || v.StreamID != "" || v.Codecs[0].PayloadType != 102 || v.Codecs[0].RTX != 103 {
		t.Errorf("recvonly video answer: %+v", v)
	}
	if a := answer.Media[0]; a.Codecs[0].PayloadType != 111 || a.SSRCs[0].SSRC != 2001 {
		t.Errorf("audio answer: %+v", a)
	}
	if !reflect.DeepEqual(answer.BundleMIDs, []string{"0", "1", "2"}) || answer.Data == nil {
		t.Errorf("bundle %q data %+v", answer.BundleMIDs, answer.Data)
	}
}
