package jsep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParseDescription checks that no input makes the parser or the answer
// builder panic, that every refusal wraps ErrInvalidSDP, and that an answer we
// build from an accepted description is one we accept ourselves and says
// what NegotiateMedia computed. Audio/video sections are answered with local
// media derived from the offer itself, so that codecs, feedback, RTX and
// extensions are really negotiated rather than all rejected.
func FuzzParseDescription(f *testing.F) {
	f.Add(dataOnly)
	f.Add(audioAndData)
	f.Add(avOffer)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDescription(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("error does not wrap ErrInvalidSDP: %v", err)
			}
			return
		}
		for _, l := range []Local{testLocal(), fuzzLocal(d)} {
			checkFuzzAnswer(t, text, d, l)
		}
		// A candidate's ufrag, when it names one, is one of its fields.
		for _, c := range d.Candidates {
			if u, ok := CandidateUfrag(c); ok && !slices.Contains(strings.Fields(c), u) {
				t.Fatalf("CandidateUfrag(%q) = %q", c, u)
			}
		}
	})
}

func checkFuzzAnswer(t *testing.T, text string, d *Description, l Local) {
	answer, err := BuildAnswer(d, l)
	if err != nil {
		if !errors.Is(err, ErrInvalidSDP) {
			t.Fatalf("BuildAnswer error does not wrap ErrInvalidSDP: %v", err)
		}
		return
	}
	if len(answer) > maxSDPSize {
		return // echoing a near-limit offer may cross the limit
	}
	ans, err := ParseDescription(answer)
	if err != nil {
		t.Fatalf("our answer does not parse: %v\noffer:\n%q\nanswer:\n%q", err, text, answer)
	}
	if len(ans.Media) != len(d.Media) || (ans.Data != nil) != (d.Data != nil) {
		t.Fatalf("answer has %d sections (data %v) for %d offered (data %v)", len(ans.Media), ans.Data != nil, len(d.Media), d.Data != nil)
	}
	for _, mid := range ans.BundleMIDs {
		if !slices.Contains(d.BundleMIDs, mid) {
			t.Fatalf("answer bundles mid %q, which the offer did not", mid)
		}
	}
	for i, m := range ans.Media {
		o := d.Media[i]
		if m.Rejected || m.Kind == "application" {
			continue
		}
		if o.Rejected || !isRTPMedia(o) {
			t.Fatalf("section %d accepted although the offer's is rejected or not RTP: %+v", i, o)
		}
		lm := l.Media[slices.IndexFunc(l.Media, func(lm LocalMedia) bool { return lm.MID == o.MID })]
		neg, ok := NegotiateMedia(o, lm)
		if !ok {
			t.Fatalf("section %d accepted, NegotiateMedia says rejected", i)
		}
		if m.Direction != neg.Direction || !reflect.DeepEqual(m.Codecs, neg.Codecs) || !reflect.DeepEqual(m.Extensions, neg.Extensions) {
			t.Fatalf("section %d: answer says %q %+v %+v, NegotiateMedia %+v\noffer:\n%q\nanswer:\n%q", i, m.Direction, m.Codecs, m.Extensions, neg, text, answer)
		}
		for _, c := range m.Codecs {
			oc := slices.IndexFunc(o.Codecs, func(x Codec) bool { return x.PayloadType == c.PayloadType })
			if oc < 0 || (c.RTX != 0 && c.RTX != o.Codecs[oc].RTX) {
				t.Fatalf("section %d: answered codec %+v was not offered", i, c)
			}
		}
		if sending := m.Direction == "sendrecv" || m.Direction == "sendonly"; sending != (len(m.SSRCs) > 0) {
			t.Fatalf("section %d: direction %q with SSRCs %+v", i, m.Direction, m.SSRCs)
		}
	}
}

// fuzzLocal answers every audio/video section: odd ones support exactly
// what was offered, even ones what a chanrtc peer supports; directions and
// sending details vary with the position.
func fuzzLocal(d *Description) Local {
	l := testLocal()
	dirs := []string{"", "sendrecv", "sendonly", "recvonly", "inactive"}
	seen := make(map[string]bool)
	for i, m := range d.Media {
		if (m.Kind != "audio" && m.Kind != "video") || seen[m.MID] {
			continue
		}
		seen[m.MID] = true
		var lm LocalMedia
		if m.Kind == "audio" {
			lm = ourAudio(m.MID)
		} else {
			lm = ourVideo(m.MID)
		}
		lm.Direction = dirs[i%len(dirs)]
		if i%2 == 1 {
			lm.Codecs = m.Codecs
			lm.Extensions = slices.DeleteFunc(slices.Clone(m.Extensions), func(e Extension) bool { return e.ID > 14 })
		}
		if i%3 == 2 {
			lm.SSRC, lm.RTXSSRC, lm.StreamID = 0, 0, ""
		}
		lm.Stopped = i%7 == 6
		l.Media = append(l.Media, lm)
	}
	return l
}
