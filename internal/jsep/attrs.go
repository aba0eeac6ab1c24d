package jsep

import (
	"strings"

	"github.com/pion/sdp/v3"
)

// attrSet is what we read from the a= lines of one level (session or one
// m-section). It only collects; judging the values is left to parse.go, which
// knows whether the section matters (rejected sections are not judged).
// When an attribute that should appear once appears several times, the
// first one wins.
type attrSet struct {
	mid             stringOpt
	ufrag           stringOpt
	pwd             stringOpt
	iceOptions      stringOpt
	setup           stringOpt
	sctpPort        stringOpt
	sctpmaps        []string // legacy a=sctpmap values, in order
	maxMessageSize  stringOpt
	fingerprints    []string // raw values, in order
	candidates      []string // "candidate:..." values, in order
	direction       string
	bundle          []string // mids of the first a=group:BUNDLE (session level)
	iceLite         bool
	bundleOnly      bool
	endOfCandidates bool

	// RTP media attributes, raw values in order (judged in rtp.go).
	rtpmaps    []string
	fmtps      []string
	rtcpFbs    []string
	extmaps    []string
	ssrcs      []string
	ssrcGroups []string
	msid       stringOpt
	rtcpMux    bool
	rtcpRsize  bool
}

// stringOpt is a value that may be absent, which is not the same as empty:
// "a=ice-ufrag:" is present and invalid, while a missing line may be
// inherited from the session level.
type stringOpt struct {
	v  string
	ok bool
}

func (o *stringOpt) setOnce(v string) {
	if !o.ok {
		*o = stringOpt{v: strings.TrimSpace(v), ok: true}
	}
}

func readAttrs(list []sdp.Attribute) attrSet {
	var s attrSet
	for _, a := range list {
		switch a.Key {
		case "mid":
			s.mid.setOnce(a.Value)
		case "ice-ufrag":
			s.ufrag.setOnce(a.Value)
		case "ice-pwd":
			s.pwd.setOnce(a.Value)
		case "ice-options":
			s.iceOptions.setOnce(a.Value)
		case "ice-lite":
			s.iceLite = true
		case "setup":
			s.setup.setOnce(a.Value)
		case "fingerprint":
			s.fingerprints = append(s.fingerprints, a.Value)
		case "candidate":
			if v := strings.TrimSpace(a.Value); v != "" {
				s.candidates = append(s.candidates, "candidate:"+v)
			}
		case "end-of-candidates":
			s.endOfCandidates = true
		case "sendrecv", "sendonly", "recvonly", "inactive":
			if s.direction == "" {
				s.direction = a.Key
			}
		case "bundle-only":
			s.bundleOnly = true
		case "sctp-port":
			s.sctpPort.setOnce(a.Value)
		case "sctpmap":
			s.sctpmaps = append(s.sctpmaps, a.Value)
		case "max-message-size":
			s.maxMessageSize.setOnce(a.Value)
		case "rtpmap":
			s.rtpmaps = append(s.rtpmaps, a.Value)
		case "fmtp":
			s.fmtps = append(s.fmtps, a.Value)
		case "rtcp-fb":
			s.rtcpFbs = append(s.rtcpFbs, a.Value)
		case "extmap":
			s.extmaps = append(s.extmaps, a.Value)
		case "ssrc":
			s.ssrcs = append(s.ssrcs, a.Value)
		case "ssrc-group":
			s.ssrcGroups = append(s.ssrcGroups, a.Value)
		case "msid":
			s.msid.setOnce(a.Value)
		case "rtcp-mux":
			s.rtcpMux = true
		case "rtcp-rsize":
			s.rtcpRsize = true
		case "group":
			if f := strings.Fields(a.Value); s.bundle == nil && len(f) > 0 && f[0] == "BUNDLE" {
				s.bundle = f[1:]
			}
		}
	}
	return s
}
