package jsep

import (
	"strings"
	"testing"
)

const testFP = "54:BB:3C:EA:ED:EC:83:D2:DA:F6:F1:C3:45:91:0D:36:F7:F9:6E:35:A0:6F:BB:5B:A9:E2:87:73:F4:9F:B8:7E"

// dataOnly is the smallest valid offer: one data channel section.
const dataOnly = `v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
t=0 0
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 ` + testFP + `
a=setup:actpass
a=sctp-port:5000
a=max-message-size:65536
`

// audioAndData bundles an audio section (the tag) with a data section.
const audioAndData = `v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=mid:0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 ` + testFP + `
a=setup:actpass
a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host
a=sendrecv
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=mid:1
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:sha-256 ` + testFP + `
a=setup:actpass
a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host
a=candidate:2 1 udp 2130706431 10.0.0.2 5000 typ host
a=sctp-port:5000
`

// edit replaces the first occurrence of each old/new pair in s and fails the
// test when old is missing, so a table row cannot silently test nothing.
func edit(t testing.TB, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not found", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// testLocal is a valid Local for building answers.
func testLocal() Local {
	return Local{
		SessionID:      123456789,
		SessionVersion: 2,
		ICEUfrag:       "ufrg",
		ICEPwd:         "passwordpasswordpasswo",
		Fingerprints:   []Fingerprint{{Algorithm: "sha-256", Value: testFP}},
		Setup:          SetupActive,
		Candidates:     []string{"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"},
		MaxMessageSize: 262144,
	}
}

func mustParse(t testing.TB, text string) *Description {
	t.Helper()
	d, err := ParseDescription(text)
	if err != nil {
		t.Fatalf("ParseDescription: %v\n%s", err, text)
	}
	return d
}
