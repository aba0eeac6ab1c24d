package jsep

import "strings"

// AddRemoteCandidate returns sdp with the attribute attr ("candidate:..."
// or "end-of-candidates") at the end of one m-section, as W3C
// remoteDescription shows the candidates AddICECandidate took: the section
// whose a=mid is mid, else the index-th (when index >= 0), else the first.
// sdp is returned unchanged when the attribute is already in that section
// or there is no m-section.
func AddRemoteCandidate(sdp, mid string, index int, attr string) string {
	eol := "\r\n"
	if !strings.Contains(sdp, "\r\n") {
		eol = "\n"
	}
	lines := strings.Split(strings.TrimRight(sdp, "\r\n"), eol)
	var starts []int // line index of each m=
	for i, l := range lines {
		if strings.HasPrefix(l, "m=") {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		return sdp
	}
	section := -1
	if mid != "" {
		for s, start := range starts {
			for _, l := range lines[start:sectionEnd(starts, s, len(lines))] {
				if l == "a=mid:"+mid {
					section = s
				}
			}
		}
	}
	if section < 0 && index >= 0 && index < len(starts) {
		section = index
	}
	if section < 0 {
		section = 0
	}
	end := sectionEnd(starts, section, len(lines))
	line := "a=" + attr
	for _, l := range lines[starts[section]:end] {
		if l == line {
			return sdp
		}
	}
	out := make([]string, 0, len(lines)+1)
	out = append(out, lines[:end]...)
	out = append(out, line)
	out = append(out, lines[end:]...)
	return strings.Join(out, eol) + eol
}

func sectionEnd(starts []int, s, n int) int {
	if s+1 < len(starts) {
		return starts[s+1]
	}
	return n
}
