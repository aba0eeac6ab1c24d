package jsep

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseInvalid(t *testing.T) {
	long := strings.Repeat("a", 257)
	tests := []struct {
		name string
		text string
		want string // substring of the error
	}{
		{"empty", "", "missing v="},
		{"header only", "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\n", "missing v="},
		{"garbage", "hello world", "sdp:"},
		{"version 1", edit(t, dataOnly, "v=0", "v=1"), "sdp:"},
		{"no t line", edit(t, dataOnly, "t=0 0\n", ""), "sdp:"},
		{"origin overflow", edit(t, dataOnly, "o=- 1 1", "o=- 99999999999999999999 1"), "64-bit"},
		{"carriage return inside line", edit(t, dataOnly, "a=mid:0", "a=mid:0\rx"), "carriage return"},
		{"missing ice-ufrag", edit(t, dataOnly, "a=ice-ufrag:abcd\n", ""), "missing a=ice-ufrag"},
		{"missing ice-pwd", edit(t, dataOnly, "a=ice-pwd:abcdefghijklmnopqrstuv\n", ""), "missing a=ice-pwd"},
		{"ufrag too short", edit(t, dataOnly, "ice-ufrag:abcd", "ice-ufrag:abc"), "ice-ufrag length 3"},
		{"ufrag too long", edit(t, dataOnly, "ice-ufrag:abcd", "ice-ufrag:"+long), "ice-ufrag length 257"},
		{"ufrag bad char", edit(t, dataOnly, "ice-ufrag:abcd", "ice-ufrag:ab-d"), "invalid character"},
		{"empty ufrag", edit(t, dataOnly, "ice-ufrag:abcd", "ice-ufrag:"), "ice-ufrag length 0"},
		{"pwd too short", edit(t, dataOnly, "ice-pwd:abcdefghijklmnopqrstuv", "ice-pwd:abcdefghijklmnopqrstu"), "ice-pwd length 21"},
		{"pwd too long", edit(t, dataOnly, "ice-pwd:abcdefghijklmnopqrstuv", "ice-pwd:"+long), "ice-pwd length 257"},
		{"missing fingerprint", edit(t, dataOnly, "a=fingerprint:sha-256 "+testFP+"\n", ""), "missing a=fingerprint"},
		{"only md5 fingerprint", edit(t, dataOnly, "sha-256 "+testFP, "md5 AB:CD"), "no a=fingerprint with a supported hash"},
		{"fingerprint wrong length", edit(t, dataOnly, "sha-256 "+testFP, "sha-256 AB:CD"), "characters"},
		{"fingerprint not hex", edit(t, dataOnly, "sha-256 54:BB", "sha-256 54:BG"), "not hex"},
		{"fingerprint no colons", edit(t, dataOnly, "sha-256 54:BB", "sha-256 54.BB"), "misses ':'"},
		{"fingerprint one field", edit(t, dataOnly, "sha-256 "+testFP, "sha-256"), "is not"},
		{"setup unknown", edit(t, dataOnly, "a=setup:actpass", "a=setup:both"), "a=setup value"},
		{"session setup unknown", edit(t, dataOnly, "t=0 0\n", "t=0 0\na=setup:x\n"), "session level"},
		{"mid missing with several sections", edit(t, audioAndData, "a=mid:1\n", ""), "a=mid is required"},
		{"duplicate mid", edit(t, audioAndData, "a=mid:1", "a=mid:0"), "share mid"},
		{"mid not a token", edit(t, dataOnly, "a=mid:0", "a=mid:a,b"), "not a token"},
		{"max-message-size text", edit(t, dataOnly, "max-message-size:65536", "max-message-size:big"), "not a number"},
		{"max-message-size negative", edit(t, dataOnly, "max-message-size:65536", "max-message-size:-1"), "not a number"},
		{"max-message-size empty", edit(t, dataOnly, "max-message-size:65536", "max-message-size:"), "not a number"},
		{"sctp-port zero", edit(t, dataOnly, "sctp-port:5000", "sctp-port:0"), "1..65535"},
		{"sctp-port too big", edit(t, dataOnly, "sctp-port:5000", "sctp-port:65536"), "1..65535"},
		{"sctp-port text", edit(t, dataOnly, "sctp-port:5000", "sctp-port:x"), "1..65535"},
		{"m line without proto", edit(t, dataOnly, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "m=application 9"), "sdp:"},
		{"empty proto part", edit(t, dataOnly, "UDP/DTLS/SCTP", "UDP//SCTP"), "proto part"},
		{"bad port", edit(t, dataOnly, "m=application 9", "m=application 70000"), "sdp:"},
		{"too big", dataOnly + strings.Repeat("a=x:"+strings.Repeat("y", 1000)+"\n", 1100), "limit"},
		{"long line", dataOnly + "a=x:" + strings.Repeat("y", 65*1024) + "\n", "line 14"},
		{"too many m-sections", dataOnly + strings.Repeat("m=audio 0 RTP/AVP 0\n", 1024), "more than 1024 m-sections"},
		{"too many candidates", dataOnly + strings.Repeat("a=candidate:1 1 udp 1 1.2.3.4 5 typ host\n", 1025), "more than 1024 candidates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDescription(tt.text)
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("err = %v (description %+v), want ErrInvalidSDP", err, d)
			}
			if d != nil {
				t.Errorf("description = %+v, want nil with an error", d)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	const sessionLevel = `v=0
o=mozilla...THIS_IS_SDPARTA-99.0 7 0 IN IP4 0.0.0.0
s=-
t=0 0
a=fingerprint:sha-256 ` + testFP + `
a=ice-ufrag:sessufrag
a=ice-pwd:sessionpasswordsession
a=ice-options:trickle
a=ice-lite
a=setup:passive
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
`
	tests := []struct {
		name  string
		text  string
		check func(t *testing.T, d *Description)
	}{
		{"data only", dataOnly, func(t *testing.T, d *Description) {
			want := &Description{
				SessionID: 1, SessionVersion: 1,
				ICEUfrag: "abcd", ICEPwd: "abcdefghijklmnopqrstuv",
				Fingerprints: []Fingerprint{{"sha-256", testFP}},
				Setup:        SetupActpass,
				Media: []Media{{
					MID: "0", Kind: "application", Port: 9,
					Protos: []string{"UDP", "DTLS", "SCTP"}, Formats: []string{"webrtc-datachannel"},
				}},
				Data: &DataSection{MID: "0", SCTPPort: 5000, MaxMessageSize: 65536},
			}
			if !reflect.DeepEqual(d, want) {
				t.Errorf("got  %+v\nwant %+v", d, want)
			}
		}},
		{"LF, CRLF mix and no final newline", strings.TrimSuffix(strings.Replace(dataOnly, "\n", "\r\n", 3), "\n"), func(t *testing.T, d *Description) {
			if d.Data == nil || d.Data.MaxMessageSize != 65536 {
				t.Errorf("Data = %+v", d.Data)
			}
		}},
		{"blank lines", strings.ReplaceAll(dataOnly, "\n", "\n\n"), func(t *testing.T, d *Description) {
			if d.Data == nil {
				t.Error("no data section")
			}
		}},
		{"session-level transport, no mid, defaults", sessionLevel, func(t *testing.T, d *Description) {
			if d.ICEUfrag != "sessufrag" || d.ICEPwd != "sessionpasswordsession" || !d.ICELite || d.Setup != SetupPassive {
				t.Errorf("transport = %q %q lite=%v setup=%q", d.ICEUfrag, d.ICEPwd, d.ICELite, d.Setup)
			}
			if !reflect.DeepEqual(d.ICEOptions, []string{"trickle"}) || len(d.Fingerprints) != 1 {
				t.Errorf("options %q fingerprints %v", d.ICEOptions, d.Fingerprints)
			}
			if want := (&DataSection{SCTPPort: 5000}); !reflect.DeepEqual(d.Data, want) {
				t.Errorf("Data = %+v, want %+v", d.Data, want)
			}
		}},
		{"bundled sections share candidates", audioAndData, func(t *testing.T, d *Description) {
			want := []string{
				"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host",
				"candidate:2 1 udp 2130706431 10.0.0.2 5000 typ host",
			}
			if !reflect.DeepEqual(d.Candidates, want) {
				t.Errorf("Candidates = %q, want %q", d.Candidates, want)
			}
			if !reflect.DeepEqual(d.BundleMIDs, []string{"0", "1"}) || d.Data == nil || d.Data.MID != "1" {
				t.Errorf("bundle %q data %+v", d.BundleMIDs, d.Data)
			}
			if d.Media[0].Direction != "sendrecv" || d.Media[1].Direction != "" {
				t.Errorf("directions %q %q", d.Media[0].Direction, d.Media[1].Direction)
			}
		}},
		{"bundled non-tag section without transport attributes", edit(t, audioAndData,
			"a=mid:1\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n", "a=mid:1\n"),
			func(t *testing.T, d *Description) {
				if d.ICEUfrag != "abcd" || d.Setup != SetupActpass || d.Data == nil {
					t.Errorf("ufrag %q setup %q data %+v", d.ICEUfrag, d.Setup, d.Data)
				}
			}},
		{"unbundled data uses its own transport", edit(t, audioAndData,
			"a=group:BUNDLE 0 1\n", "", "a=mid:1\na=ice-ufrag:abcd", "a=mid:1\na=ice-ufrag:wxyz"),
			func(t *testing.T, d *Description) {
				if d.ICEUfrag != "wxyz" || len(d.Candidates) != 2 {
					t.Errorf("ufrag %q candidates %q", d.ICEUfrag, d.Candidates)
				}
			}},
		{"rejected section needs nothing", edit(t, audioAndData,
			"m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=mid:0\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 "+testFP+"\na=setup:actpass\n",
			"m=audio 0 UDP/TLS/RTP/SAVPF 111\na=ice-ufrag:x\na=setup:bogus\n"),
			func(t *testing.T, d *Description) {
				if !d.Media[0].Rejected || d.Media[0].MID != "" || d.Data == nil || d.ICEUfrag != "abcd" {
					t.Errorf("media %+v data %+v ufrag %q", d.Media[0], d.Data, d.ICEUfrag)
				}
			}},
		{"explicit zero max-message-size means unlimited", edit(t, dataOnly, "max-message-size:65536", "max-message-size:0"), func(t *testing.T, d *Description) {
			if d.Data.MaxMessageSize != math.MaxUint32 {
				t.Errorf("MaxMessageSize = %d", d.Data.MaxMessageSize)
			}
		}},
		{"huge max-message-size is clamped", edit(t, dataOnly, "max-message-size:65536", "max-message-size:123456789012345678901234567890"), func(t *testing.T, d *Description) {
			if d.Data.MaxMessageSize != math.MaxUint32 {
				t.Errorf("MaxMessageSize = %d", d.Data.MaxMessageSize)
			}
		}},
		{"other sctp-port", edit(t, dataOnly, "sctp-port:5000", "sctp-port:5001"), func(t *testing.T, d *Description) {
			if d.Data.SCTPPort != 5001 {
				t.Errorf("SCTPPort = %d", d.Data.SCTPPort)
			}
		}},
		{"unsupported fingerprint next to a supported one is skipped", edit(t, dataOnly,
			"a=fingerprint:", "a=fingerprint:md5 01:02\na=fingerprint:SHA-1 0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d\na=fingerprint:"),
			func(t *testing.T, d *Description) {
				want := []Fingerprint{
					{"sha-1", "0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D"},
					{"sha-256", testFP},
				}
				if !reflect.DeepEqual(d.Fingerprints, want) {
					t.Errorf("Fingerprints = %v, want %v", d.Fingerprints, want)
				}
			}},
		{"TCP/DTLS/SCTP is a data channel", edit(t, dataOnly, "UDP/DTLS/SCTP", "TCP/DTLS/SCTP"), func(t *testing.T, d *Description) {
			if d.Data == nil {
				t.Error("no data section")
			}
		}},
		{"legacy DTLS/SCTP with a=sctpmap is a data channel", edit(t, dataOnly,
			"UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5001", "a=sctp-port:5000", "a=sctpmap:5001 webrtc-datachannel 1024"),
			func(t *testing.T, d *Description) {
				if d.Data == nil || !d.Data.Legacy || d.Data.SCTPPort != 5001 || !d.Media[0].LegacySCTP || d.ICEUfrag != "abcd" {
					t.Errorf("data %+v media %+v", d.Data, d.Media[0])
				}
			}},
		{"legacy DTLS/SCTP whose sctpmap names another port is not", edit(t, dataOnly,
			"UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000", "a=sctp-port:5000", "a=sctpmap:5001 webrtc-datachannel 1024"),
			func(t *testing.T, d *Description) {
				if d.Data != nil || d.Media[0].LegacySCTP || d.Media[0].Rejected {
					t.Errorf("data %+v media %+v", d.Data, d.Media[0])
				}
			}},
		{"unknown media type and proto are kept", edit(t, audioAndData,
			"m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=hologram 9 UDP/QUANTUM 7 8"),
			func(t *testing.T, d *Description) {
				m := d.Media[0]
				if m.Kind != "hologram" || !reflect.DeepEqual(m.Protos, []string{"UDP", "QUANTUM"}) || !reflect.DeepEqual(m.Formats, []string{"7", "8"}) {
					t.Errorf("media = %+v", m)
				}
			}},
		{"bundle-only data section is not rejected", edit(t, audioAndData,
			"m=application 9", "m=application 0", "a=mid:1\n", "a=mid:1\na=bundle-only\n"),
			func(t *testing.T, d *Description) {
				m := d.Media[1]
				if !m.BundleOnly || m.Rejected || d.Data == nil || d.ICEUfrag != "abcd" {
					t.Errorf("media %+v data %+v", m, d.Data)
				}
			}},
		{"session-level end-of-candidates", edit(t, dataOnly, "t=0 0\n", "t=0 0\na=end-of-candidates\n"), func(t *testing.T, d *Description) {
			if !d.EndOfCandidates {
				t.Error("EndOfCandidates = false")
			}
		}},
		{"holdconn parses", edit(t, dataOnly, "a=setup:actpass", "a=setup:holdconn"), func(t *testing.T, d *Description) {
			if d.Setup != SetupHoldconn {
				t.Errorf("Setup = %q", d.Setup)
			}
		}},
		{"no m-sections", "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n", func(t *testing.T, d *Description) {
			if len(d.Media) != 0 || d.Data != nil {
				t.Errorf("%+v", d)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, tt.text))
		})
	}
}
