package h264

import "testing"

func TestReadFileAndEqualAU(t *testing.T) {
	aus, err := ReadFile("../../testdata/h264/clip.h264")
	if err != nil {
		t.Fatal(err)
	}
	if len(aus) != 60 || !IsKeyframe(aus[0]) {
		t.Fatalf("%d access units, first keyframe %v", len(aus), IsKeyframe(aus[0]))
	}
	// Three-byte start codes and an AUD do not make a different AU.
	var other []byte
	other = append(other, 0, 0, 1, NALUAUD, 0xf0)
	SplitAnnexB(aus[1], func(n []byte) { other = append(append(other, 0, 0, 1), n...) })
	if !EqualAU(aus[1], other) {
		t.Fatal("same NAL units compared unequal")
	}
	if EqualAU(aus[1], aus[2]) {
		t.Fatal("different frames compared equal")
	}
	if _, err := ReadFile("no-such-file.h264"); err == nil {
		t.Fatal("missing file read")
	}
}
