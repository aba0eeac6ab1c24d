package jsep

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzApplyAnswer is the offerer's side of negotiation: we sent fuzzOffer
// and the remote answers with anything. The answer goes through what the
// peer does with it — ParseDescription, NegotiateMedia for each of our
// sections paired by mid, FingerprintMatches against a certificate — and
// what is agreed must stay inside what we offered: our codecs (by name and
// clock rate, with RTX only where we offered it), unique payload types,
// extensions we offered with one-byte IDs, and a direction that never has
// us send or receive where our offer said we would not.
func FuzzApplyAnswer(f *testing.F) {
	offer := fuzzOfferLocal()
	for _, s := range fuzzAnswerSeeds(f, offer) {
		f.Add(s)
	}
	der := []byte("not really a certificate, but any bytes hash")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDescription(text)
		if err != nil {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("error does not wrap ErrInvalidSDP: %v", err)
			}
			return
		}
		if ok, err := FingerprintMatches(der, d.Fingerprints); err != nil {
			if !errors.Is(err, ErrInvalidSDP) {
				t.Fatalf("FingerprintMatches error does not wrap ErrInvalidSDP: %v", err)
			}
		} else if ok {
			t.Fatalf("fingerprints %+v match a certificate nobody sent", d.Fingerprints)
		}
		for _, lm := range offer.Media {
			i := slices.IndexFunc(d.Media, func(m Media) bool { return m.MID == lm.MID })
			if i < 0 {
				continue
			}
			neg, ok := NegotiateMedia(d.Media[i], lm)
			if ok {
				checkAgreed(t, lm, d.Media[i], neg)
			}
		}
	})
}

func checkAgreed(t *testing.T, lm LocalMedia, remote Media, neg NegotiatedMedia) {
	t.Helper()
	if neg.MID != lm.MID || neg.Kind != lm.Kind || remote.Rejected {
		t.Fatalf("agreed %s/%s for our %s/%s (remote rejected: %v)", neg.MID, neg.Kind, lm.MID, lm.Kind, remote.Rejected)
	}
	if len(neg.Codecs) == 0 {
		t.Fatalf("mid %s agreed with no codec", lm.MID)
	}
	pts := map[uint8]bool{}
	for _, c := range neg.Codecs {
		if c.PayloadType > 127 || pts[c.PayloadType] {
			t.Fatalf("mid %s: payload type %d out of range or repeated in %+v", lm.MID, c.PayloadType, neg.Codecs)
		}
		pts[c.PayloadType] = true
		j := slices.IndexFunc(lm.Codecs, func(o Codec) bool {
			return strings.EqualFold(o.Name, c.Name) && o.ClockRate == c.ClockRate
		})
		if j < 0 {
			t.Fatalf("mid %s: agreed codec %s/%d that we did not offer", lm.MID, c.Name, c.ClockRate)
		}
		if c.RTX != 0 && lm.Codecs[j].RTX == 0 {
			t.Fatalf("mid %s: RTX %d agreed for %s, offered without RTX", lm.MID, c.RTX, c.Name)
		}
		for _, fb := range c.Feedback {
			if !slices.Contains(lm.Codecs[j].Feedback, fb) {
				t.Fatalf("mid %s: feedback %q agreed, not offered", lm.MID, fb)
			}
		}
	}
	for _, e := range neg.Extensions {
		if e.ID < 1 || e.ID > 14 {
			t.Fatalf("mid %s: extension %s with ID %d", lm.MID, e.URI, e.ID)
		}
		if !slices.ContainsFunc(lm.Extensions, func(o Extension) bool { return o.URI == e.URI }) {
			t.Fatalf("mid %s: extension %s agreed, not offered", lm.MID, e.URI)
		}
	}
	switch neg.Direction {
	case "sendrecv", "sendonly", "recvonly", "inactive":
	default:
		t.Fatalf("mid %s: direction %q", lm.MID, neg.Direction)
	}
	if sends(neg.Direction) && (!sends(lm.Direction) || !receives(remote.Direction)) {
		t.Fatalf("mid %s: we send (%s) though we offered %q and the answer says %q", lm.MID, neg.Direction, lm.Direction, remote.Direction)
	}
	if receives(neg.Direction) && (!receives(lm.Direction) || !sends(remote.Direction)) {
		t.Fatalf("mid %s: we receive (%s) though we offered %q and the answer says %q", lm.MID, neg.Direction, lm.Direction, remote.Direction)
	}
}

// fuzzOfferLocal is our offer: audio to send and receive, video to send
// only, audio to receive only, and a DataChannel.
func fuzzOfferLocal() Local {
	l := testLocal()
	l.Setup = SetupActpass
	l.DataChannel = true
	l.DataMID = "3"
	video := ourVideo("1")
	video.Direction = "sendonly"
	recv := ourAudio("2")
	recv.Direction = "recvonly"
	l.Media = []LocalMedia{ourAudio("0"), video, recv}
	return l
}

// fuzzAnswerSeeds are answers to our offer — from a peer like us, from one
// that accepts only part, from one that rejects everything — and the
// browser answer in testdata.
func fuzzAnswerSeeds(f testing.TB, l Local) []string {
	offerText, err := BuildOffer(l)
	if err != nil {
		f.Fatal(err)
	}
	offer := mustParse(f, offerText)
	var seeds []string
	answerer := testLocal()
	answerer.Setup = SetupActive
	full := answerer
	full.Media = ourMediaFor(offer)
	partial := answerer
	partial.Media = ourMediaFor(offer)[:1]
	partial.Media[0].Direction = "recvonly"
	swapped := answerer
	for _, lm := range ourMediaFor(offer) {
		lm.Direction = "sendonly"
		lm.Codecs = slices.Clone(lm.Codecs)
		slices.Reverse(lm.Codecs)
		swapped.Media = append(swapped.Media, lm)
	}
	for _, a := range []Local{full, partial, swapped, answerer} {
		s, err := BuildAnswer(offer, a)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, s)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "chrome_answer.sdp"))
	if err != nil {
		f.Fatal(err)
	}
	return append(seeds, string(b))
}
