package jsep

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Hostile input must be refused quickly and without building large
// structures: these sizes are far beyond the limits. The bound is ~20x what
// a quiet machine takes under the race detector (0.5 s), so that load on a
// shared machine does not fail it, while a superlinear parser (minutes on
// these sizes) still does.
func TestParseBoundedTime(t *testing.T) {
	header := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	tests := map[string]string{
		"5000 m-sections": header + strings.Repeat("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:x\r\n", 5000),
		"2 MiB attribute": header + "a=x:" + strings.Repeat("y", 2<<20) + "\r\n",
		"1 MiB line":      header + "a=x:" + strings.Repeat("y", 1<<20-len(header)-10) + "\r\n",
		"many candidates": header + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" + strings.Repeat("a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n", 20000),
		// Just under 1 MiB of tiny attributes is valid; it must still be fast.
		"many attributes": header + strings.Repeat("a=a\n", 250000),
	}
	for name, text := range tests {
		start := time.Now()
		_, err := ParseDescription(text)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if name == "many attributes" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidSDP) {
			t.Errorf("%s: err = %v, want ErrInvalidSDP", name, err)
		}
		if err != nil && len(err.Error()) > 1000 {
			t.Errorf("%s: error message is %d bytes", name, len(err.Error()))
		}
	}
}

// A description of about 1 MiB of video sections, each at the per-section
// limits, must still be parsed and answered quickly.
func TestAnswerBoundedTime(t *testing.T) {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE")
	sections := 0
	var body strings.Builder
	for body.Len() < maxSDPSize-100<<10 {
		mid := strconv.Itoa(sections)
		b.WriteString(" " + mid)
		body.WriteString("m=video 9 UDP/TLS/RTP/SAVPF")
		for pt := range 128 {
			body.WriteString(" " + strconv.Itoa(pt))
		}
		body.WriteString("\r\na=mid:" + mid + "\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 " + testFP + "\r\n")
		for pt := range 128 {
			p := strconv.Itoa(pt)
			body.WriteString("a=rtpmap:" + p + " H264/90000\r\na=fmtp:" + p + " packetization-mode=1;profile-level-id=42e01f\r\n")
		}
		for i := range 32 {
			body.WriteString("a=rtcp-fb:* fb" + strconv.Itoa(i) + "\r\n")
		}
		sections++
	}
	text := b.String() + "\r\n" + body.String()
	start := time.Now()
	d, err := ParseDescription(text)
	if err != nil {
		t.Fatal(err)
	}
	l := testLocal()
	for _, m := range d.Media {
		l.Media = append(l.Media, ourVideo(m.MID))
	}
	answer, err := BuildAnswer(d, l)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("%d sections of %d bytes: parse and answer took %v", sections, len(text), took)
	}
	if n := strings.Count(answer, "m=video 9 "); n != sections {
		t.Errorf("%d of %d sections accepted", n, sections)
	}
}
