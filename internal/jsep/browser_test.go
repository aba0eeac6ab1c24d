package jsep

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The testdata files have the shape Chromium, Firefox and Safari give to
// createOffer/createAnswer. They are stored with LF endings (Safari without a
// final newline); the test also feeds them with CRLF, as browsers send them.
func TestBrowserDescriptions(t *testing.T) {
	tests := []struct {
		file        string
		ufrag       string
		setup       Setup
		kinds       []string
		mids        []string
		candidates  int
		endOfCands  bool
		fingerprint string
		options     []string
		maxMsg      uint32
		dataMID     string
	}{
		{
			file: "chrome_offer.sdp", ufrag: "kqZ2", setup: SetupActpass,
			kinds: []string{"audio", "video", "application"}, mids: []string{"0", "1", "2"},
			fingerprint: "54:BB:3C", options: []string{"trickle"}, maxMsg: 262144, dataMID: "2",
		},
		{
			file: "chrome_answer.sdp", ufrag: "Wm9S", setup: SetupActive,
			kinds: []string{"audio", "video", "application"}, mids: []string{"0", "1", "2"},
			candidates: 3, fingerprint: "B5:DD:29", options: []string{"trickle"}, maxMsg: 262144, dataMID: "2",
		},
		{
			file: "firefox_offer.sdp", ufrag: "7c3e9a1f", setup: SetupActpass,
			kinds: []string{"audio", "video", "application"}, mids: []string{"0", "1", "2"},
			candidates: 3, endOfCands: true, fingerprint: "94:64:F6", options: []string{"trickle"},
			maxMsg: 1073741823, dataMID: "2",
		},
		{
			file: "safari_offer.sdp", ufrag: "pX2d", setup: SetupActpass,
			kinds: []string{"video", "audio", "application"}, mids: []string{"0", "1", "2"},
			fingerprint: "1E:A7:B7", options: []string{"trickle"}, maxMsg: 262144, dataMID: "2",
		},
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		lf := strings.ReplaceAll(string(raw), "\r\n", "\n")
		for ending, text := range map[string]string{"LF": lf, "CRLF": strings.ReplaceAll(lf, "\n", "\r\n")} {
			t.Run(tt.file+"/"+ending, func(t *testing.T) {
				d := mustParse(t, text)
				if d.ICEUfrag != tt.ufrag || d.Setup != tt.setup || len(d.Candidates) != tt.candidates || d.EndOfCandidates != tt.endOfCands {
					t.Errorf("transport: ufrag %q setup %q candidates %d eoc %v", d.ICEUfrag, d.Setup, len(d.Candidates), d.EndOfCandidates)
				}
				if len(d.Fingerprints) != 1 || d.Fingerprints[0].Algorithm != "sha-256" || !strings.HasPrefix(d.Fingerprints[0].Value, tt.fingerprint) {
					t.Errorf("fingerprints %v", d.Fingerprints)
				}
				if !reflect.DeepEqual(d.ICEOptions, tt.options) || !reflect.DeepEqual(d.BundleMIDs, tt.mids) {
					t.Errorf("options %q bundle %q", d.ICEOptions, d.BundleMIDs)
				}
				var kinds, mids []string
				for _, m := range d.Media {
					kinds, mids = append(kinds, m.Kind), append(mids, m.MID)
					if m.Rejected {
						t.Errorf("media %s rejected", m.MID)
					}
				}
				if !reflect.DeepEqual(kinds, tt.kinds) || !reflect.DeepEqual(mids, tt.mids) {
					t.Errorf("kinds %q mids %q", kinds, mids)
				}
				if want := (&DataSection{MID: tt.dataMID, SCTPPort: 5000, MaxMessageSize: tt.maxMsg}); !reflect.DeepEqual(d.Data, want) {
					t.Errorf("Data = %+v, want %+v", d.Data, want)
				}
				checkAnswer(t, d)
			})
		}
	}
}

// checkAnswer answers d and checks the answer the way a browser would read it:
// one section per offered section, same mids, only the data channel accepted.
func checkAnswer(t *testing.T, offer *Description) {
	t.Helper()
	text, err := BuildAnswer(offer, testLocal())
	if err != nil {
		t.Fatalf("BuildAnswer: %v", err)
	}
	if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
		t.Error("answer has bare LF line endings")
	}
	ans := mustParse(t, text)
	if len(ans.Media) != len(offer.Media) {
		t.Fatalf("answer has %d m-sections, offer %d", len(ans.Media), len(offer.Media))
	}
	for i, m := range ans.Media {
		o := offer.Media[i]
		if m.MID != o.MID || m.Kind != o.Kind || !reflect.DeepEqual(m.Protos, o.Protos) {
			t.Errorf("section %d: answer %+v for offer %+v", i, m, o)
		}
		accepted := offer.Data != nil && o.MID == offer.Data.MID
		if m.Rejected == accepted || (accepted && m.Port != 9) {
			t.Errorf("section %d (%s): rejected=%v port=%d", i, m.Kind, m.Rejected, m.Port)
		}
		if !accepted && !reflect.DeepEqual(m.Formats, o.Formats) {
			t.Errorf("section %d formats %q, offer %q", i, m.Formats, o.Formats)
		}
	}
	if offer.Data == nil {
		return
	}
	want := offer.Setup
	switch offer.Setup {
	case SetupActpass, "":
		want = SetupActive
	case SetupActive:
		want = SetupPassive
	case SetupPassive:
		want = SetupActive
	}
	if ans.Setup != want || ans.ICEUfrag != "ufrg" || ans.Data == nil || ans.Data.MID != offer.Data.MID {
		t.Errorf("answer transport: setup %q ufrag %q data %+v", ans.Setup, ans.ICEUfrag, ans.Data)
	}
	if inBundle := slices.Contains(offer.BundleMIDs, offer.Data.MID); inBundle != reflect.DeepEqual(ans.BundleMIDs, []string{offer.Data.MID}) {
		t.Errorf("answer BUNDLE %q", ans.BundleMIDs)
	}
}
