package jsep

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func TestNewCredentials(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		c, err := NewCredentials(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		// RFC 8839 §5.4: ice-chars only, at least 4 and 22 of them.
		if err := checkICECredential("ufrag", c.Ufrag, minUfragLen, maxUfragLen); err != nil {
			t.Fatal(err)
		}
		if err := checkICECredential("pwd", c.Pwd, minPwdLen, maxPwdLen); err != nil {
			t.Fatal(err)
		}
		if len(c.Ufrag) != 16 || len(c.Pwd) != 32 {
			t.Fatalf("lengths %d/%d, want 16/32", len(c.Ufrag), len(c.Pwd))
		}
		if seen[c.Ufrag] || seen[c.Pwd] {
			t.Fatalf("credentials repeat: %+v", c)
		}
		seen[c.Ufrag], seen[c.Pwd] = true, true
	}
	// Random bytes map onto ice-chars one to one (modulo 64): 48
	// consecutive byte values give 48 different characters.
	seq := make([]byte, 16+32)
	for i := range seq {
		seq[i] = byte(64 + i)
	}
	c, err := NewCredentials(bytes.NewReader(seq))
	if err != nil {
		t.Fatal(err)
	}
	chars := map[rune]bool{}
	for _, r := range c.Ufrag + c.Pwd {
		chars[r] = true
	}
	if len(chars) != 48 || c.Ufrag[:3] != "ABC" {
		t.Fatalf("credentials %+v from consecutive bytes", c)
	}
	if _, err := NewCredentials(bytes.NewReader(make([]byte, 10))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short random source: err = %v, want unexpected EOF", err)
	}
}

// restartOffer builds an offer with the given credentials and otherwise
// what the first offer had.
func restartOffer(t *testing.T, cred Credentials) *Description {
	t.Helper()
	l := testLocal()
	l.Setup = SetupActpass
	l.DataChannel = true
	l.Media = []LocalMedia{{MID: "0", Kind: "video", Codecs: []Codec{{PayloadType: 96, Name: "H264", ClockRate: 90000,
		Fmtp: "packetization-mode=1;profile-level-id=42e01f"}}, Extensions: []Extension{{ID: 1, URI: ExtensionMID}}}}
	l.DataMID = "1"
	l.ICEUfrag, l.ICEPwd = cred.Ufrag, cred.Pwd
	text, err := BuildOffer(l)
	if err != nil {
		t.Fatal(err)
	}
	return mustParse(t, text)
}

func TestRestartOfferAndAnswer(t *testing.T) {
	first := Credentials{Ufrag: "ufrg", Pwd: "passwordpasswordpasswo"}
	offer1 := restartOffer(t, first)
	fresh, err := NewCredentials(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	offer2 := restartOffer(t, fresh)

	// The restart offer: new credentials, the same DTLS identity, role and
	// sections.
	if got := offer2.Credentials(); got != fresh {
		t.Fatalf("restart offer credentials %+v, want %+v", got, fresh)
	}
	if !offer1.Credentials().Restarts(offer2.Credentials()) {
		t.Fatal("a changed ufrag and pwd is not a restart")
	}
	if offer2.Setup != offer1.Setup || offer2.Fingerprints[0] != offer1.Fingerprints[0] {
		t.Fatalf("DTLS changed: %v %v -> %v %v", offer1.Setup, offer1.Fingerprints, offer2.Setup, offer2.Fingerprints)
	}
	if len(offer2.Media) != len(offer1.Media) {
		t.Fatalf("%d sections, want %d", len(offer2.Media), len(offer1.Media))
	}
	for i := range offer1.Media {
		if offer2.Media[i].MID != offer1.Media[i].MID {
			t.Fatalf("section %d mid %q, want %q", i, offer2.Media[i].MID, offer1.Media[i].MID)
		}
	}

	// The answer to it, with new credentials of the answerer's.
	answerer := Credentials{Ufrag: "ansr", Pwd: "answeransweransweransw"}
	l := testLocal()
	l.Media = []LocalMedia{{MID: "0", Kind: "video", Codecs: offer2.Media[0].Codecs}}
	l.ICEUfrag, l.ICEPwd = answerer.Ufrag, answerer.Pwd
	answer1 := mustParse(t, mustAnswer(t, offer1, l))
	newer, err := NewCredentials(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	l.ICEUfrag, l.ICEPwd = newer.Ufrag, newer.Pwd
	answer2 := mustParse(t, mustAnswer(t, offer2, l))
	if !answer1.Credentials().Restarts(answer2.Credentials()) || answer2.Credentials() != newer {
		t.Fatalf("answer credentials %+v after %+v", answer2.Credentials(), answer1.Credentials())
	}
	if answer2.Setup != answer1.Setup {
		t.Fatalf("answer setup %v, was %v", answer2.Setup, answer1.Setup)
	}
}

func mustAnswer(t *testing.T, offer *Description, l Local) string {
	t.Helper()
	text, err := BuildAnswer(offer, l)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestRestarts(t *testing.T) {
	a := Credentials{Ufrag: "ufrg", Pwd: "passwordpasswordpasswo"}
	tests := []struct {
		name        string
		inUse, next Credentials
		want        bool
	}{
		{"unchanged", a, a, false},
		{"new ufrag", a, Credentials{Ufrag: "ufr2", Pwd: a.Pwd}, true},
		{"new pwd", a, Credentials{Ufrag: a.Ufrag, Pwd: "passwordpasswordpassw2"}, true},
		{"both new", a, Credentials{Ufrag: "ufr2", Pwd: "passwordpasswordpassw2"}, true},
		{"nothing in use yet", Credentials{}, a, false},
		{"no transport in next", a, Credentials{}, false},
	}
	for _, tt := range tests {
		if got := tt.inUse.Restarts(tt.next); got != tt.want {
			t.Errorf("%s: Restarts = %v, want %v", tt.name, got, tt.want)
		}
	}
	// An unchanged description parsed twice is no restart.
	d1, d2 := mustParse(t, dataOnly), mustParse(t, dataOnly)
	if d1.Credentials().Restarts(d2.Credentials()) {
		t.Fatal("the same description restarts")
	}
	d3 := mustParse(t, edit(t, dataOnly, "ice-ufrag:abcd", "ice-ufrag:wxyz"))
	if !d1.Credentials().Restarts(d3.Credentials()) {
		t.Fatal("a new ufrag in the same description is no restart")
	}
}

func TestCandidateUfrag(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host", "", false},
		{"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host generation 0 ufrag abcd network-id 1", "abcd", true},
		{"candidate:2 1 udp 1694498815 1.2.3.4 6000 typ srflx raddr 10.0.0.1 rport 5000 generation 0 ufrag x1Y/ network-cost 10", "x1Y/", true},
		{"candidate:3 1 tcp 1518280447 10.0.0.1 9 typ host tcptype active ufrag wxyz", "wxyz", true},
		// "ufrag" as a value, not a name, is not an extension.
		{"candidate:4 1 udp 1 10.0.0.1 5000 typ host foo ufrag", "", false},
		{"candidate:5 1 udp 1 10.0.0.1 5000 typ host ufrag", "", false},
		{"candidate:", "", false},
	}
	for _, tt := range tests {
		got, ok := CandidateUfrag(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CandidateUfrag(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}
