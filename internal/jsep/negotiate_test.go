package jsep

import (
	"reflect"
	"testing"
)

func TestCodecsMatch(t *testing.T) {
	h264 := func(fmtp string) Codec { return Codec{Name: "H264", ClockRate: 90000, Fmtp: fmtp} }
	ours := h264("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	tests := []struct {
		name          string
		remote, local Codec
		kind          string
		want          bool
	}{
		{"same H264", h264("packetization-mode=1;profile-level-id=42e01f"), ours, "video", true},
		{"constrained baseline spelled 42c0", h264("packetization-mode=1;profile-level-id=42c01f"), ours, "video", true},
		{"constrained baseline spelled 4240", h264("packetization-mode=1;profile-level-id=42401f"), ours, "video", true},
		{"constrained baseline spelled 4de0 (Main with set1)", h264("packetization-mode=1;profile-level-id=4de01f"), ours, "video", true},
		{"upper-case hex and spaces", h264(" packetization-mode = 1 ; PROFILE-LEVEL-ID=42E01F"), ours, "video", true},
		{"level may differ", h264("packetization-mode=1;profile-level-id=42e034"), ours, "video", true},
		{"baseline is not constrained baseline", h264("packetization-mode=1;profile-level-id=42001f"), ours, "video", false},
		{"main", h264("packetization-mode=1;profile-level-id=4d001f"), ours, "video", false},
		{"constrained high", h264("packetization-mode=1;profile-level-id=640c1f"), ours, "video", false},
		{"high", h264("packetization-mode=1;profile-level-id=64001f"), ours, "video", false},
		{"high matches high", h264("packetization-mode=1;profile-level-id=64001f"), h264("packetization-mode=1;profile-level-id=640028"), "video", true},
		{"unknown profiles compare exactly", h264("packetization-mode=1;profile-level-id=6e001f"), h264("packetization-mode=1;profile-level-id=6e0028"), "video", true},
		{"unknown profiles differ", h264("packetization-mode=1;profile-level-id=6e001f"), h264("packetization-mode=1;profile-level-id=7a001f"), "video", false},
		{"packetization mode 0", h264("packetization-mode=0;profile-level-id=42e01f"), ours, "video", false},
		{"packetization mode absent is 0", h264("profile-level-id=42e01f"), h264("packetization-mode=0;profile-level-id=42e01f"), "video", true},
		{"profile absent is constrained baseline", h264("packetization-mode=1"), ours, "video", true},
		{"bad profile-level-id", h264("packetization-mode=1;profile-level-id=42e0"), ours, "video", false},
		{"non-hex profile-level-id", h264("packetization-mode=1;profile-level-id=42g01f"), ours, "video", false},
		{"name is case-insensitive", h264("packetization-mode=1;profile-level-id=42e01f"), Codec{Name: "h264", ClockRate: 90000, Fmtp: "packetization-mode=1"}, "video", true},
		{"clock rate", Codec{Name: "H264", ClockRate: 9000}, Codec{Name: "H264", ClockRate: 90000}, "video", false},
		{"opus needs 2 channels", Codec{Name: "opus", ClockRate: 48000}, Codec{Name: "opus", ClockRate: 48000, Channels: 2}, "audio", false},
		{"opus", Codec{Name: "OPUS", ClockRate: 48000, Channels: 2, Fmtp: "stereo=1"}, Codec{Name: "opus", ClockRate: 48000, Channels: 2}, "audio", true},
		{"one channel is the default", Codec{Name: "G722", ClockRate: 8000, Channels: 1}, Codec{Name: "G722", ClockRate: 8000}, "audio", true},
		{"PCMU is not PCMA", Codec{Name: "PCMU", ClockRate: 8000}, Codec{Name: "PCMA", ClockRate: 8000}, "audio", false},
		{"VP9 profile 0 by default", Codec{Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=0"}, Codec{Name: "VP9", ClockRate: 90000}, "video", true},
		{"VP9 profile 2", Codec{Name: "VP9", ClockRate: 90000, Fmtp: "profile-id=2"}, Codec{Name: "VP9", ClockRate: 90000}, "video", false},
		{"AV1 profile", Codec{Name: "AV1", ClockRate: 90000, Fmtp: "level-idx=5;profile=1;tier=0"}, Codec{Name: "AV1", ClockRate: 90000}, "video", false},
		{"AV1 levels differ", Codec{Name: "AV1", ClockRate: 90000, Fmtp: "level-idx=5;profile=0;tier=0"}, Codec{Name: "AV1", ClockRate: 90000}, "video", true},
		{"rtx never matches as a codec", Codec{Name: "rtx", ClockRate: 90000}, Codec{Name: "rtx", ClockRate: 90000}, "video", false},
	}
	for _, tt := range tests {
		if got := codecsMatch(tt.remote, tt.local, tt.kind); got != tt.want {
			t.Errorf("%s: codecsMatch = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAgreedDirection(t *testing.T) {
	// rows: the remote's direction; columns: ours.
	ours := []string{"sendrecv", "sendonly", "recvonly", "inactive"}
	table := map[string][4]string{
		"sendrecv": {"sendrecv", "sendonly", "recvonly", "inactive"},
		"":         {"sendrecv", "sendonly", "recvonly", "inactive"},
		"sendonly": {"recvonly", "inactive", "recvonly", "inactive"},
		"recvonly": {"sendonly", "sendonly", "inactive", "inactive"},
		"inactive": {"inactive", "inactive", "inactive", "inactive"},
	}
	for remote, row := range table {
		for i, o := range ours {
			if got := agreedDirection(remote, o); got != row[i] {
				t.Errorf("remote %q ours %q: %q, want %q", remote, o, got, row[i])
			}
		}
		if got := agreedDirection(remote, ""); got != row[0] {
			t.Errorf("remote %q ours \"\": %q, want %q", remote, got, row[0])
		}
	}
}

func TestNegotiateMedia(t *testing.T) {
	offer := mustParse(t, avOffer)
	audio, video := offer.Media[0], offer.Media[1]

	got, ok := NegotiateMedia(video, ourVideo("1"))
	want := NegotiatedMedia{
		MID: "1", Kind: "video", Direction: "sendrecv",
		Codecs: []Codec{{
			PayloadType: 96, Name: "H264", ClockRate: 90000, Fmtp: h264Fmtp,
			Feedback: []string{"nack", "nack pli"}, RTX: 97,
		}},
		Extensions: []Extension{{ID: 4, URI: ExtensionMID}},
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("video:\n got %+v %v\nwant %+v", got, ok, want)
	}

	got, ok = NegotiateMedia(audio, ourAudio("0"))
	want = NegotiatedMedia{
		MID: "0", Kind: "audio", Direction: "sendrecv",
		Codecs: []Codec{
			{PayloadType: 111, Name: "opus", ClockRate: 48000, Channels: 2, Fmtp: opusFmtp},
			{PayloadType: 0, Name: "PCMU", ClockRate: 8000},
		},
		Extensions: []Extension{{ID: 4, URI: ExtensionMID}},
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("audio:\n got %+v %v\nwant %+v", got, ok, want)
	}

	tests := []struct {
		name   string
		remote func(*Media)
		local  func(*LocalMedia)
		want   func(*testing.T, NegotiatedMedia, bool)
	}{
		{"no RTX on our side", nil, func(l *LocalMedia) { l.Codecs[0].RTX = 0 }, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || n.Codecs[0].RTX != 0 {
				t.Errorf("%+v", n)
			}
		}},
		{"no RTX on theirs", func(m *Media) { m.Codecs[0].RTX = 0 }, nil, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || n.Codecs[0].RTX != 0 {
				t.Errorf("%+v", n)
			}
		}},
		{"no feedback in common", nil, func(l *LocalMedia) { l.Codecs[0].Feedback = []string{"ccm fir"} }, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || n.Codecs[0].Feedback != nil {
				t.Errorf("%+v", n)
			}
		}},
		{"extension direction", func(m *Media) { m.Extensions[1].Direction = "recvonly" }, func(l *LocalMedia) {
			l.Extensions = append(l.Extensions, Extension{ID: 9, URI: twccURI})
		}, func(t *testing.T, n NegotiatedMedia, ok bool) {
			want := []Extension{{ID: 4, URI: ExtensionMID}, {ID: 5, URI: twccURI, Direction: "sendonly"}}
			if !ok || !reflect.DeepEqual(n.Extensions, want) {
				t.Errorf("%+v", n.Extensions)
			}
		}},
		{"inactive extension left out", func(m *Media) { m.Extensions[1].Direction = "sendonly" }, func(l *LocalMedia) {
			l.Extensions = append(l.Extensions, Extension{ID: 9, URI: twccURI, Direction: "sendonly"})
		}, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || len(n.Extensions) != 1 {
				t.Errorf("%+v", n.Extensions)
			}
		}},
		{"two-byte extension IDs left out", func(m *Media) { m.Extensions[0].ID = 15 }, nil, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || len(n.Extensions) != 0 {
				t.Errorf("%+v", n.Extensions)
			}
		}},
		{"direction", func(m *Media) { m.Direction = "sendonly" }, func(l *LocalMedia) { l.Direction = "sendrecv" }, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || n.Direction != "recvonly" {
				t.Errorf("%+v", n)
			}
		}},
		{"offerer's order and payload types", func(m *Media) {
			m.Codecs = []Codec{
				{PayloadType: 100, Name: "VP8", ClockRate: 90000},
				{PayloadType: 101, Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1", RTX: 102},
				{PayloadType: 103, Name: "H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"},
			}
		}, func(l *LocalMedia) {
			l.Codecs = append([]Codec{{PayloadType: 96, Name: "VP8", ClockRate: 90000}}, l.Codecs...)
		}, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || len(n.Codecs) != 3 || n.Codecs[0].PayloadType != 100 || n.Codecs[1].PayloadType != 101 || n.Codecs[1].RTX != 102 || n.Codecs[2].RTX != 0 {
				t.Errorf("%+v", n.Codecs)
			}
		}},
		{"red without its codec is dropped", func(m *Media) {
			m.Codecs = []Codec{
				{PayloadType: 63, Name: "red", ClockRate: 90000, Fmtp: "96/96"},
				{PayloadType: 64, Name: "red", ClockRate: 90000, Fmtp: "97/97"},
				{PayloadType: 65, Name: "red", ClockRate: 90000, Fmtp: "63"},
				{PayloadType: 96, Name: "H264", ClockRate: 90000, Fmtp: h264Fmtp},
			}
		}, func(l *LocalMedia) {
			l.Codecs = append(l.Codecs, Codec{PayloadType: 120, Name: "RED", ClockRate: 90000})
		}, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok || len(n.Codecs) != 2 || n.Codecs[0].PayloadType != 63 || n.Codecs[1].PayloadType != 96 {
				t.Errorf("%+v", n.Codecs)
			}
		}},
		{"no codec in common", func(m *Media) { m.Codecs[0].Name = "VP8" }, nil, rejected},
		{"remote rejected", func(m *Media) { m.Rejected = true }, nil, rejected},
		{"stopped", nil, func(l *LocalMedia) { l.Stopped = true }, rejected},
		{"kinds differ", nil, func(l *LocalMedia) { l.Kind = "audio" }, rejected},
		{"not SRTP", func(m *Media) { m.Protos = []string{"RTP", "AVP"} }, nil, rejected},
		{"legacy RTP/SAVPF is fine", func(m *Media) { m.Protos = []string{"RTP", "SAVPF"} }, nil, func(t *testing.T, n NegotiatedMedia, ok bool) {
			if !ok {
				t.Error("rejected")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote := mustParse(t, avOffer).Media[1]
			local := ourVideo("1")
			if tt.remote != nil {
				tt.remote(&remote)
			}
			if tt.local != nil {
				tt.local(&local)
			}
			n, ok := NegotiateMedia(remote, local)
			tt.want(t, n, ok)
		})
	}
}

func rejected(t *testing.T, n NegotiatedMedia, ok bool) {
	t.Helper()
	if ok || !reflect.DeepEqual(n, NegotiatedMedia{}) {
		t.Errorf("accepted: %+v", n)
	}
}
