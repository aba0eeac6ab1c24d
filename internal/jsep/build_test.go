package jsep

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestBuildOfferText(t *testing.T) {
	l := testLocal()
	l.Setup = ""
	l.DataChannel = true
	l.EndOfCandidates = true
	got, err := BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`v=0
o=- 123456789 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:ufrg
a=ice-pwd:passwordpasswordpasswo
a=ice-options:trickle
a=fingerprint:sha-256 `+testFP+`
a=setup:actpass
a=mid:0
a=sctp-port:5000
a=max-message-size:262144
a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host
a=end-of-candidates
`, "\n", "\r\n")
	if got != want {
		t.Errorf("offer:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildOfferRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Local)
	}{
		{"data channel", func(l *Local) {}},
		{"ice-lite, two fingerprints, lower-case input", func(l *Local) {
			l.ICELite = true
			l.Fingerprints = append(l.Fingerprints, Fingerprint{"SHA-1", strings.ToLower(testFP[:59])})
		}},
		{"no candidates, no max-message-size", func(l *Local) { l.Candidates, l.MaxMessageSize = nil, 0 }},
		{"largest session id", func(l *Local) { l.SessionID = math.MaxInt64 }},
		{"no data channel", func(l *Local) { l.DataChannel = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLocal()
			l.Setup, l.DataChannel, l.EndOfCandidates = SetupActpass, true, true
			tt.modify(&l)
			text, err := BuildOffer(l)
			if err != nil {
				t.Fatal(err)
			}
			d := mustParse(t, text)
			if d.SessionID != l.SessionID || d.SessionVersion != l.SessionVersion || d.ICELite != l.ICELite {
				t.Errorf("session %d %d lite %v", d.SessionID, d.SessionVersion, d.ICELite)
			}
			if !l.DataChannel {
				if len(d.Media) != 0 || len(d.BundleMIDs) != 0 {
					t.Errorf("media %+v bundle %q", d.Media, d.BundleMIDs)
				}
				return
			}
			wantFps := make([]Fingerprint, len(l.Fingerprints))
			for i, fp := range l.Fingerprints {
				wantFps[i] = Fingerprint{strings.ToLower(fp.Algorithm), strings.ToUpper(fp.Value)}
			}
			if d.ICEUfrag != l.ICEUfrag || d.ICEPwd != l.ICEPwd || d.Setup != SetupActpass || !reflect.DeepEqual(d.Fingerprints, wantFps) {
				t.Errorf("transport %q %q %q %v", d.ICEUfrag, d.ICEPwd, d.Setup, d.Fingerprints)
			}
			if !reflect.DeepEqual(d.Candidates, l.Candidates) || !d.EndOfCandidates || !reflect.DeepEqual(d.BundleMIDs, []string{"0"}) {
				t.Errorf("candidates %q eoc %v bundle %q", d.Candidates, d.EndOfCandidates, d.BundleMIDs)
			}
			if want := (&DataSection{MID: "0", SCTPPort: 5000, MaxMessageSize: l.MaxMessageSize}); !reflect.DeepEqual(d.Data, want) {
				t.Errorf("Data = %+v, want %+v", d.Data, want)
			}
		})
	}
}

func TestBuildInvalidLocal(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Local)
		want   string
	}{
		{"short ufrag", func(l *Local) { l.ICEUfrag = "abc" }, "ice-ufrag length"},
		{"ufrag with line break", func(l *Local) { l.ICEUfrag = "abcd\r\na=x" }, "invalid character"},
		{"short pwd", func(l *Local) { l.ICEPwd = "short" }, "ice-pwd length"},
		{"no fingerprint", func(l *Local) { l.Fingerprints = nil }, "no local fingerprint"},
		{"md5 fingerprint", func(l *Local) { l.Fingerprints[0].Algorithm = "md5" }, "not usable"},
		{"fingerprint with space", func(l *Local) { l.Fingerprints[0].Value += " x" }, "not usable"},
		{"candidate without prefix", func(l *Local) { l.Candidates = []string{"1 1 udp 1 1.2.3.4 5 typ host"} }, "does not start"},
		{"candidate with line break", func(l *Local) { l.Candidates = []string{"candidate:1 1 udp 1 1.2.3.4 5 typ host\r\na=x"} }, "control character"},
		{"too many candidates", func(l *Local) { l.Candidates = make([]string, 1025) }, "limit 1024"},
		{"session id too big", func(l *Local) { l.SessionID = 1 << 63 }, "2^63"},
		{"bad setup", func(l *Local) { l.Setup = "holdconn" }, "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLocal()
			l.Setup, l.DataChannel = SetupActpass, true
			tt.modify(&l)
			_, err := BuildOffer(l)
			checkErr(t, "BuildOffer", err, tt.want)
			if l.Setup == SetupActpass {
				l.Setup = SetupActive
			}
			_, err = BuildAnswer(mustParse(t, dataOnly), l)
			checkErr(t, "BuildAnswer", err, tt.want)
		})
	}
}

func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidSDP) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: err = %v, want ErrInvalidSDP containing %q", what, err, want)
	}
}

func TestAnswerSetup(t *testing.T) {
	tests := []struct {
		remote, local, want Setup
		err                 bool
	}{
		{SetupActpass, SetupActive, SetupActive, false},
		{SetupActpass, SetupPassive, SetupPassive, false},
		{SetupActpass, "", SetupActive, false},
		{"", SetupPassive, SetupPassive, false},
		{SetupActive, SetupActive, SetupPassive, false},
		{SetupPassive, SetupPassive, SetupActive, false},
		{SetupActpass, SetupActpass, "", true},
		{SetupHoldconn, SetupActive, "", true},
		{"bogus", SetupActive, "", true},
	}
	for _, tt := range tests {
		remote := mustParse(t, dataOnly)
		remote.Setup = tt.remote
		l := testLocal()
		l.Setup = tt.local
		text, err := BuildAnswer(remote, l)
		if tt.err {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Errorf("remote %q local %q: err = %v, want ErrInvalidSDP", tt.remote, tt.local, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("remote %q local %q: %v", tt.remote, tt.local, err)
			continue
		}
		if got := mustParse(t, text).Setup; got != tt.want {
			t.Errorf("remote %q local %q: answer setup %q, want %q", tt.remote, tt.local, got, tt.want)
		}
	}
}

func TestBuildAnswerSections(t *testing.T) {
	twoData := edit(t, audioAndData, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2") + `m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=mid:2
`
	tests := []struct {
		name     string
		offer    string
		accepted string // mid of the accepted section, "-" for none
		bundle   []string
	}{
		{"audio and data", audioAndData, "1", []string{"1"}},
		{"second data section rejected", twoData, "1", []string{"1"}},
		{"no BUNDLE offered", edit(t, audioAndData, "a=group:BUNDLE 0 1\n", ""), "1", nil},
		{"data outside the BUNDLE group", edit(t, audioAndData, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0"), "1", nil},
		{"DTLS/SCTP without a=sctpmap rejected", edit(t, dataOnly, "UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000"), "-", nil},
		{"legacy DTLS/SCTP with a=sctpmap accepted", legacyDataOffer(t), "0", nil},
		{"rejected data stays rejected", edit(t, audioAndData, "m=application 9", "m=application 0"), "-", nil},
		{"unknown media type echoed", edit(t, audioAndData, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=hologram 9 UDP/QUANTUM 7"), "1", []string{"1"}},
		{"TCP/DTLS/SCTP echoed", edit(t, dataOnly, "UDP/DTLS/SCTP", "TCP/DTLS/SCTP"), "0", nil},
		{"rejected offer section without formats", edit(t, audioAndData, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=audio 0 UDP/TLS/RTP/SAVPF"), "1", []string{"1"}},
		{"no mid on a single section", edit(t, dataOnly, "a=mid:0\n", ""), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := mustParse(t, tt.offer)
			text, err := BuildAnswer(offer, testLocal())
			if err != nil {
				t.Fatal(err)
			}
			ans := mustParse(t, text)
			if len(ans.Media) != len(offer.Media) {
				t.Fatalf("%d answer sections for %d offered", len(ans.Media), len(offer.Media))
			}
			for i, m := range ans.Media {
				o := offer.Media[i]
				if m.MID != o.MID || m.Kind != o.Kind || !reflect.DeepEqual(m.Protos, o.Protos) {
					t.Errorf("section %d: %+v answers %+v", i, m, o)
				}
				if accepted := m.MID == tt.accepted; m.Rejected == accepted {
					t.Errorf("section %d (mid %q): rejected = %v", i, m.MID, m.Rejected)
				}
			}
			if !reflect.DeepEqual(ans.BundleMIDs, tt.bundle) {
				t.Errorf("BUNDLE %q, want %q", ans.BundleMIDs, tt.bundle)
			}
			if (ans.Data != nil) != (tt.accepted != "-") {
				t.Errorf("answer Data = %+v", ans.Data)
			}
		})
	}
}

func TestBuildAnswerRefusesBadRemote(t *testing.T) {
	if _, err := BuildAnswer(nil, testLocal()); !errors.Is(err, ErrInvalidSDP) {
		t.Errorf("nil remote: err = %v", err)
	}
	for _, bad := range []Media{
		{Kind: "audio\r\nx", Protos: []string{"RTP"}},
		{Kind: "audio", Protos: nil},
		{Kind: "audio", Protos: []string{"RTP"}, Formats: []string{"0 1"}},
		{Kind: "audio", Protos: []string{"RTP"}, MID: "a b"},
	} {
		if _, err := BuildAnswer(&Description{Media: []Media{bad}}, testLocal()); !errors.Is(err, ErrInvalidSDP) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

// legacyDataOffer is dataOnly in the pre-RFC 8841 form older stacks send.
func legacyDataOffer(t *testing.T) string {
	return edit(t, dataOnly, "UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000", "a=sctp-port:5000", "a=sctpmap:5000 webrtc-datachannel 1024")
}

// A legacy offer is answered in its own form: format 5000 and a=sctpmap,
// no a=sctp-port, so that a stack that knows only that form understands it.
func TestBuildAnswerMirrorsLegacySCTP(t *testing.T) {
	offer := mustParse(t, legacyDataOffer(t))
	text, err := BuildAnswer(offer, testLocal())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m=application 9 DTLS/SCTP 5000\r\n", "a=sctpmap:5000 webrtc-datachannel 1024\r\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "a=sctp-port") || strings.Contains(text, "webrtc-datachannel\r\n") {
		t.Errorf("answer mixes in the RFC 8841 form:\n%s", text)
	}
	ans := mustParse(t, text)
	if ans.Data == nil || !ans.Data.Legacy || ans.Data.SCTPPort != 5000 {
		t.Fatalf("the answer parses as data %+v", ans.Data)
	}
}
