package ogg

import "testing"

func TestReadFile(t *testing.T) {
	pkts, err := ReadFile("../../testdata/opus/clip.ogg")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 101 {
		t.Fatalf("%d packets, want 101", len(pkts))
	}
	if _, err := ReadFile("no-such-file.ogg"); err == nil {
		t.Fatal("missing file read")
	}
}
