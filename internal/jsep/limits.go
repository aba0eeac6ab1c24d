package jsep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits for hostile input. A real browser description is a few KiB with a
// handful of m-sections and tens of candidates; these bounds are orders of
// magnitude above that and keep parsing time and memory small and linear.
const (
	maxSDPSize     = 1 << 20  // whole description
	maxLineSize    = 64 << 10 // one line
	maxMediaCount  = 1024     // m-sections
	maxCandidates  = 1024     // a=candidate lines in total
	maxErrorDetail = 200      // bytes of a pion error message we repeat

	// Per m-section bounds. RTP has 128 payload types, a browser offers
	// about 25 formats with 5 feedback values each, 15 extensions and 4
	// a=ssrc lines per section.
	maxCodecs        = 128  // formats of an audio/video m= line; a=rtpmap and a=fmtp lines
	maxFeedbackLines = 512  // a=rtcp-fb lines
	maxFeedback      = 32   // distinct a=rtcp-fb values of one codec
	maxExtensions    = 64   // a=extmap lines
	maxSSRCLines     = 256  // a=ssrc lines, and a=ssrc-group lines
	maxValueSize     = 4096 // an fmtp, feedback, URI, CNAME or msid value we keep or write
)

// pion/sdp accepts only the IANA media types and proto tokens it knows and
// fails the whole description on anything else. JSEP wants an unknown
// m-section to be rejected in the answer instead, so such m= lines are handed
// to pion in a neutral form and their original words are restored afterwards.
var (
	pionKinds  = []string{"audio", "video", "text", "application", "message"}
	pionProtos = []string{
		"UDP", "RTP", "AVP", "SAVP", "SAVPF", "TLS", "DTLS", "SCTP", "AVPF",
		"TCP", "MSRP", "BFCP", "UDT", "IX", "MRCPv2", "FEC",
	}
)

// rawMLine keeps the words of an m= line that pion could not take as they were.
type rawMLine struct {
	kind   string
	protos []string
}

// prescanned is the result of normalize.
type prescanned struct {
	text      string           // CRLF-terminated lines, ready for pion
	rewritten map[int]rawMLine // m-section index -> original words
}

// normalize enforces the size limits before any real parsing, so hostile
// input is refused in one linear pass. It also makes the text acceptable to
// pion: LF-only endings become CRLF, a missing final newline is added (pion
// fails at EOF inside a line), blank lines are dropped and unknown m= words
// are neutralized.
func normalize(text string) (prescanned, error) {
	if len(text) > maxSDPSize {
		return prescanned{}, fmt.Errorf("%w: description is %d bytes, limit %d", ErrInvalidSDP, len(text), maxSDPSize)
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/16 + 2)
	out := prescanned{}
	media, candidates := 0, 0
	for lineNo := 1; text != ""; lineNo++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if len(line) > maxLineSize {
			return prescanned{}, fmt.Errorf("%w: line %d is %d bytes, limit %d", ErrInvalidSDP, lineNo, len(line), maxLineSize)
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return prescanned{}, fmt.Errorf("%w: line %d: carriage return inside a line", ErrInvalidSDP, lineNo)
		}
		if line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "m="):
			if media++; media > maxMediaCount {
				return prescanned{}, fmt.Errorf("%w: more than %d m-sections", ErrInvalidSDP, maxMediaCount)
			}
			if l, raw, ok := neutralMLine(line); ok {
				if out.rewritten == nil {
					out.rewritten = make(map[int]rawMLine)
				}
				out.rewritten[media-1] = raw
				line = l
			}
		case line == "a=candidate" || strings.HasPrefix(line, "a=candidate:"):
			if candidates++; candidates > maxCandidates {
				return prescanned{}, fmt.Errorf("%w: more than %d candidates", ErrInvalidSDP, maxCandidates)
			}
		case strings.HasPrefix(line, "o="):
			if err := checkOriginNumbers(line); err != nil {
				return prescanned{}, fmt.Errorf("%w: line %d: %w", ErrInvalidSDP, lineNo, err)
			}
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	out.text = b.String()
	return out, nil
}

// neutralMLine returns a replacement for an m= line whose media type or proto
// pion would refuse, and the original words. ok is false when the line can
// go to pion unchanged (including lines too short to judge: pion reports
// those).
func neutralMLine(line string) (string, rawMLine, bool) {
	f := strings.Fields(line[len("m="):])
	if len(f) < 3 {
		return "", rawMLine{}, false
	}
	protos := strings.Split(f[2], "/")
	known := slices.Contains(pionKinds, f[0])
	for _, p := range protos {
		known = known && slices.Contains(pionProtos, p)
	}
	if known {
		return "", rawMLine{}, false
	}
	// "text" and "UDP" are words we never accept, so the section can only
	// end up rejected, which is what JSEP asks for.
	neutral := "m=text " + f[1] + " UDP"
	if len(f) > 3 {
		neutral += " " + strings.Join(f[3:], " ")
	}
	return neutral, rawMLine{kind: f[0], protos: protos}, true
}

// checkOriginNumbers catches o= numbers beyond 64 bits, which pion would
// silently wrap around.
func checkOriginNumbers(line string) error {
	f := strings.Fields(line[len("o="):])
	for i := 1; i <= 2 && i < len(f); i++ {
		if _, err := strconv.ParseUint(f[i], 10, 64); err != nil {
			return fmt.Errorf("o= field %d %q is not a 64-bit number", i+1, clip(f[i]))
		}
	}
	return nil
}

// clip shortens text repeated in error messages so that a hostile line does
// not turn into a huge error string.
func clip(s string) string {
	if len(s) <= maxErrorDetail {
		return s
	}
	return s[:maxErrorDetail] + "..."
}
