package jsep

import (
	"strings"
	"testing"
)

func TestAddRemoteCandidate(t *testing.T) {
	sdp := strings.ReplaceAll(audioAndData, "\n", "\r\n") // mids 0 (audio) and 1 (data)
	const cand = "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"
	tests := []struct {
		name  string
		mid   string
		index int
		want  string // the section that gets the line
	}{
		{"by mid", "1", -1, "1"},
		{"mid wins over index", "1", 0, "1"},
		{"by index", "", 1, "1"},
		{"unknown mid, index", "zz", 0, "0"},
		{"neither: the first", "", -1, "0"},
		{"index out of range: the first", "", 7, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AddRemoteCandidate(sdp, tt.mid, tt.index, cand)
			d, err := ParseDescription(got)
			if err != nil {
				t.Fatalf("result does not parse: %v\n%s", err, got)
			}
			section := got[strings.Index(got, "a=mid:"+tt.want):]
			if next := strings.Index(section[1:], "m="); next >= 0 {
				section = section[:next+1]
			}
			if !strings.Contains(section, "a="+cand+"\r\n") || strings.Count(got, cand) != 1 {
				t.Fatalf("candidate not in section %q:\n%s", tt.want, got)
			}
			if len(d.Media) != 2 {
				t.Fatalf("%d sections", len(d.Media))
			}
			if again := AddRemoteCandidate(got, tt.mid, tt.index, cand); again != got {
				t.Fatalf("added twice:\n%s", again)
			}
		})
	}
	if got := AddRemoteCandidate("v=0\r\n", "", -1, cand); got != "v=0\r\n" {
		t.Errorf("no m-section: %q", got)
	}
	got := AddRemoteCandidate(audioAndData, "0", -1, "end-of-candidates") // LF line ends
	if d, err := ParseDescription(got); err != nil || !d.EndOfCandidates || strings.Contains(got, "\r") {
		t.Errorf("LF description (%v):\n%s", err, got)
	}
}
