package jsep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file reads the RTP attributes of an audio/video m-section: formats,
// a=rtpmap, a=fmtp, a=rtcp-fb (RFC 4585), RTX (RFC 4588), a=extmap
// (RFC 8285), a=ssrc and a=ssrc-group (RFC 5576), a=msid (RFC 8830) and
// a=rtcp-mux/a=rtcp-rsize. Only the counts are judged: a malformed line
// makes what it describes unusable (a codec without a valid rtpmap is left
// out, a bad extmap is skipped), it does not fail the description, so one
// odd codec does not cost the peer its call. Values kept are safe to write
// back into an answer.

// rtpProtos are the media profiles JSEP implementations accept and echo
// (RFC 8829 5.1.3); all of them mean SRTP keyed by DTLS in WebRTC.
var rtpProtos = []string{
	"UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/SAVP",
	"TCP/DTLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVP",
	"TCP/TLS/RTP/SAVPF", "TCP/TLS/RTP/SAVP",
	"RTP/SAVPF", "RTP/SAVP",
}

// offerProtos is the profile of the media sections we offer.
var offerProtos = []string{"UDP", "TLS", "RTP", "SAVPF"}

// isRTPMedia reports whether m is an audio or video section with a profile
// we can negotiate.
func isRTPMedia(m Media) bool {
	return (m.Kind == "audio" || m.Kind == "video") && slices.Contains(rtpProtos, strings.Join(m.Protos, "/"))
}

// staticCodecs are the RFC 3551 audio payload types that may appear without
// an a=rtpmap. G722 really runs at 16 kHz but is signalled as 8000.
var staticCodecs = map[uint8]Codec{
	0:  {PayloadType: 0, Name: "PCMU", ClockRate: 8000},
	3:  {PayloadType: 3, Name: "GSM", ClockRate: 8000},
	4:  {PayloadType: 4, Name: "G723", ClockRate: 8000},
	8:  {PayloadType: 8, Name: "PCMA", ClockRate: 8000},
	9:  {PayloadType: 9, Name: "G722", ClockRate: 8000},
	13: {PayloadType: 13, Name: "CN", ClockRate: 8000},
	18: {PayloadType: 18, Name: "G729", ClockRate: 8000},
}

// checkRTPCounts enforces the per-section limits on RTP attributes. It runs
// on every section, rejected or not, since it bounds work, not meaning.
func checkRTPCounts(m Media, a attrSet) error {
	if (m.Kind == "audio" || m.Kind == "video") && len(m.Formats) > maxCodecs {
		return fmt.Errorf("%d formats, limit %d", len(m.Formats), maxCodecs)
	}
	for _, c := range []struct {
		what  string
		n     int
		limit int
	}{
		{"a=rtpmap", len(a.rtpmaps), maxCodecs},
		{"a=fmtp", len(a.fmtps), maxCodecs},
		{"a=rtcp-fb", len(a.rtcpFbs), maxFeedbackLines},
		{"a=extmap", len(a.extmaps), maxExtensions},
		{"a=ssrc", len(a.ssrcs), maxSSRCLines},
		{"a=ssrc-group", len(a.ssrcGroups), maxSSRCLines},
	} {
		if c.n > c.limit {
			return fmt.Errorf("%d %s lines, limit %d", c.n, c.what, c.limit)
		}
	}
	return nil
}

// readRTP fills the RTP fields of m from its attributes. The only errors are
// exceeded limits.
func readRTP(m *Media, a attrSet) error {
	m.RTCPMux, m.RTCPRsize = a.rtcpMux, a.rtcpRsize
	codecs, err := readCodecs(m.Kind, m.Formats, a)
	if err != nil {
		return err
	}
	m.Codecs = codecs
	m.Extensions = readExtensions(a.extmaps)
	m.SSRCs, m.RTXSSRCs = readSSRCs(a.ssrcs, a.ssrcGroups)
	if a.msid.ok {
		m.StreamID, m.TrackID, _ = parseMSID(a.msid.v)
	}
	if m.StreamID == "" {
		for _, s := range m.SSRCs {
			if s.StreamID != "" {
				m.StreamID, m.TrackID = s.StreamID, s.TrackID
				break
			}
		}
	}
	return nil
}

// rtpmapEntry is one valid a=rtpmap.
type rtpmapEntry struct {
	ok       bool
	name     string
	clock    uint32
	channels uint16
}

func readCodecs(kind string, formats []string, a attrSet) ([]Codec, error) {
	var maps [128]rtpmapEntry
	for _, v := range a.rtpmaps {
		pt, rest, ok := cutPayloadType(v)
		if !ok || maps[pt].ok {
			continue
		}
		name, clock, channels, ok := parseEncoding(rest)
		if ok {
			maps[pt] = rtpmapEntry{ok: true, name: name, clock: clock, channels: channels}
		}
	}
	var fmtps [128]stringOpt
	for _, v := range a.fmtps {
		if pt, rest, ok := cutPayloadType(v); ok {
			fmtps[pt].setOnce(rest)
		}
	}

	var (
		codecs []Codec
		seen   [128]bool
		rtx    []Codec // rtx formats, Fmtp holding the apt value
	)
	for _, f := range formats {
		pt, ok := parsePayloadType(f)
		if !ok || seen[pt] {
			continue
		}
		seen[pt] = true
		c := Codec{PayloadType: pt}
		switch static, isStatic := staticCodecs[pt]; {
		case maps[pt].ok:
			c.Name, c.ClockRate, c.Channels = maps[pt].name, maps[pt].clock, maps[pt].channels
		case isStatic && kind == "audio":
			c = static
		default:
			continue
		}
		if fmtps[pt].ok {
			if !isSafeValue(fmtps[pt].v) {
				continue // unusable parameters make the codec unusable
			}
			c.Fmtp = fmtps[pt].v
		}
		if strings.EqualFold(c.Name, "rtx") {
			rtx = append(rtx, c)
			continue
		}
		codecs = append(codecs, c)
	}

	// Fold each RTX format into the codec it repairs; the first one wins.
	for _, r := range rtx {
		apt, ok := parsePayloadType(fmtpParams(r.Fmtp)["apt"])
		if !ok {
			continue
		}
		i := slices.IndexFunc(codecs, func(c Codec) bool { return c.PayloadType == apt })
		if i >= 0 && codecs[i].RTX == 0 && codecs[i].ClockRate == r.ClockRate {
			codecs[i].RTX = r.PayloadType
		}
	}

	// Feedback, with "*" meaning every codec of the section (RFC 4585):
	// the values for a payload type come first, then the wildcard ones.
	var (
		perPT    [128][]string
		wildcard []string
	)
	tooMany := func(pt string) error {
		return fmt.Errorf("more than %d a=rtcp-fb values for payload type %s", maxFeedback, pt)
	}
	for _, v := range a.rtcpFbs {
		f := strings.Fields(v)
		if len(f) < 2 {
			continue
		}
		fb := strings.Join(f[1:], " ")
		if !isSafeValue(fb) {
			continue
		}
		list := &wildcard
		if f[0] != "*" {
			pt, ok := parsePayloadType(f[0])
			if !ok {
				continue
			}
			list = &perPT[pt]
		}
		if !containsFold(*list, fb) {
			if len(*list) == maxFeedback {
				return nil, tooMany(f[0])
			}
			*list = append(*list, fb)
		}
	}
	for i := range codecs {
		own := perPT[codecs[i].PayloadType]
		if len(own) == 0 {
			codecs[i].Feedback = slices.Clone(wildcard)
			continue
		}
		fbs := slices.Clone(own)
		for _, w := range wildcard {
			if !containsFold(fbs, w) {
				if len(fbs) == maxFeedback {
					return nil, tooMany(strconv.Itoa(int(codecs[i].PayloadType)))
				}
				fbs = append(fbs, w)
			}
		}
		codecs[i].Feedback = fbs
	}
	return codecs, nil
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// cutPayloadType splits "<pt> <rest>" as in a=rtpmap and a=fmtp.
func cutPayloadType(v string) (uint8, string, bool) {
	v = strings.TrimSpace(v)
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return 0, "", false
	}
	pt, ok := parsePayloadType(v[:i])
	rest := strings.TrimSpace(v[i:])
	return pt, rest, ok && rest != ""
}

// parsePayloadType reads an RTP payload type, 0..127.
func parsePayloadType(s string) (uint8, bool) {
	if s == "" || len(s) > 3 || !isDigits(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 8)
	if err != nil || v > 127 {
		return 0, false
	}
	return uint8(v), true
}

// parseEncoding reads "<name>/<clock rate>[/<channels>]" of an a=rtpmap.
func parseEncoding(s string) (name string, clock uint32, channels uint16, ok bool) {
	f := strings.Split(s, "/")
	if len(f) < 2 || len(f) > 3 || !isToken(f[0]) {
		return "", 0, 0, false
	}
	c, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil || c == 0 || !isDigits(f[1]) {
		return "", 0, 0, false
	}
	if len(f) == 3 {
		ch, err := strconv.ParseUint(f[2], 10, 16)
		if err != nil || ch == 0 || !isDigits(f[2]) {
			return "", 0, 0, false
		}
		channels = uint16(ch)
	}
	return f[0], uint32(c), channels, true
}

// readExtensions reads a=extmap:<id>[/<direction>] <uri> [<attributes>].
// Lines with a bad ID, direction or URI, and repeated IDs or URIs, are
// skipped.
func readExtensions(lines []string) []Extension {
	var exts []Extension
	for _, v := range lines {
		f := strings.Fields(v)
		if len(f) < 2 {
			continue
		}
		idText, dir, hasDir := strings.Cut(f[0], "/")
		id, err := strconv.Atoi(idText)
		if err != nil || id < 1 || id > 255 || !isDigits(idText) {
			continue
		}
		if hasDir && !isDirection(dir) {
			continue
		}
		if dir == "sendrecv" {
			dir = ""
		}
		uri := f[1]
		if !isSafeValue(uri) {
			continue
		}
		if slices.ContainsFunc(exts, func(e Extension) bool { return e.ID == id || e.URI == uri }) {
			continue
		}
		exts = append(exts, Extension{ID: id, URI: uri, Direction: dir})
	}
	return exts
}

// readSSRCs reads a=ssrc:<ssrc> cname:<cname> and msid:<stream> [<track>]
// lines and the FID groups of a=ssrc-group.
func readSSRCs(lines, groups []string) ([]SSRCInfo, map[uint32]uint32) {
	var infos []SSRCInfo
	for _, v := range lines {
		idText, attr, _ := strings.Cut(strings.TrimSpace(v), " ")
		ssrc, ok := parseSSRC(idText)
		if !ok {
			continue
		}
		i := slices.IndexFunc(infos, func(s SSRCInfo) bool { return s.SSRC == ssrc })
		if i < 0 {
			i = len(infos)
			infos = append(infos, SSRCInfo{SSRC: ssrc})
		}
		name, value, _ := strings.Cut(strings.TrimSpace(attr), ":")
		switch name {
		case "cname":
			if infos[i].CNAME == "" && isCNAME(value) {
				infos[i].CNAME = value
			}
		case "msid":
			if infos[i].StreamID == "" {
				infos[i].StreamID, infos[i].TrackID, _ = parseMSID(value)
			}
		}
	}
	var rtx map[uint32]uint32
	for _, v := range groups {
		f := strings.Fields(v)
		if len(f) != 3 || f[0] != "FID" {
			continue
		}
		primary, ok1 := parseSSRC(f[1])
		repair, ok2 := parseSSRC(f[2])
		if !ok1 || !ok2 || primary == repair {
			continue
		}
		if rtx == nil {
			rtx = make(map[uint32]uint32)
		}
		if _, dup := rtx[primary]; !dup {
			rtx[primary] = repair
		}
	}
	return infos, rtx
}

func parseSSRC(s string) (uint32, bool) {
	if s == "" || !isDigits(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err == nil
}

// parseMSID reads "<stream id> [<track id>]" (RFC 8830). Values that are not
// msid tokens are refused.
func parseMSID(v string) (stream, track string, ok bool) {
	f := strings.Fields(v)
	if len(f) < 1 || len(f) > 2 || !isMSIDToken(f[0]) {
		return "", "", false
	}
	if len(f) == 2 {
		if !isMSIDToken(f[1]) {
			return "", "", false
		}
		track = f[1]
	}
	return f[0], track, true
}

// isMSIDToken is the RFC 8830 msid-id/msid-appdata grammar: 1 to 64 token
// characters.
func isMSIDToken(s string) bool {
	return len(s) <= 64 && isToken(s)
}

// isCNAME accepts RTCP CNAMEs we can write back: 1 to 255 visible ASCII
// characters (RTCP SDES items are at most 255 bytes).
func isCNAME(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isSafeValue reports whether s can be written as (part of) an attribute
// value: not empty, bounded, no control characters, no surrounding space.
func isSafeValue(s string) bool {
	if s == "" || len(s) > maxValueSize || s != strings.TrimSpace(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func isDirection(s string) bool {
	switch s {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		return true
	}
	return false
}
