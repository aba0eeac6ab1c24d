package jsep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// defaultSCTPPort is the SCTP port when a=sctp-port is absent (RFC 8841).
const defaultSCTPPort = 5000

// ParseDescription parses and validates remote (or our own) SDP text. Every
// error wraps ErrInvalidSDP. Hostile input is refused early by the limits in
// limits.go, so time and memory stay linear in the (bounded) input size.
func ParseDescription(text string) (*Description, error) {
	pre, err := normalize(text)
	if err != nil {
		return nil, err
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(pre.text); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSDP, clip(err.Error()))
	}
	// pion stops without error at the end of input in any state, so a
	// truncated text parses. Its grammar puts t= after v=, o= and s=, so a
	// t= line proves the session header is complete.
	if len(sd.TimeDescriptions) == 0 {
		return nil, fmt.Errorf("%w: missing v=, o=, s= or t= line", ErrInvalidSDP)
	}

	p := parser{sess: readAttrs(sd.Attributes)}
	if err := p.readMedia(&sd, pre.rewritten); err != nil {
		return nil, err
	}
	if err := p.checkSession(); err != nil {
		return nil, fmt.Errorf("%w: session level: %w", ErrInvalidSDP, err)
	}
	for i := range p.media {
		if err := p.checkSection(i); err != nil {
			m := p.media[i]
			return nil, fmt.Errorf("%w: m-section %d (%s, mid %q): %w", ErrInvalidSDP, i, clip(m.Kind), m.MID, err)
		}
	}

	d := &Description{
		SessionID:      sd.Origin.SessionID,
		SessionVersion: sd.Origin.SessionVersion,
		ICELite:        p.sess.iceLite,
		BundleMIDs:     p.sess.bundle,
		Media:          p.media,
	}
	p.fillTransport(d)
	if err := p.fillData(d); err != nil {
		return nil, err
	}
	return d, nil
}

// parser holds the intermediate state of one ParseDescription call.
type parser struct {
	sess     attrSet
	media    []Media
	attrs    []attrSet // per m-section, parallel to media
	inBundle map[string]bool
	tag      int // index of the BUNDLE tagged m-section, -1 if none
	// Supported fingerprints, filled in by the checks.
	sessFps []Fingerprint
	fps     [][]Fingerprint // per m-section
}

// readMedia builds the Media slice and decides which sections are rejected,
// which are bundled and which one carries the BUNDLE transport.
func (p *parser) readMedia(sd *sdp.SessionDescription, rewritten map[int]rawMLine) error {
	n := len(sd.MediaDescriptions)
	p.media = make([]Media, n)
	p.attrs = make([]attrSet, n)
	p.fps = make([][]Fingerprint, n)
	p.inBundle = make(map[string]bool, len(p.sess.bundle))
	for _, mid := range p.sess.bundle {
		p.inBundle[mid] = true
	}
	byMID := make(map[string]int, n)
	for i, md := range sd.MediaDescriptions {
		a := readAttrs(md.Attributes)
		m := Media{
			MID:       a.mid.v,
			Kind:      md.MediaName.Media,
			Port:      md.MediaName.Port.Value,
			Protos:    md.MediaName.Protos,
			Formats:   md.MediaName.Formats,
			Direction: a.direction,
		}
		if raw, ok := rewritten[i]; ok {
			m.Kind, m.Protos = raw.kind, raw.protos
		}
		if m.Direction == "" {
			m.Direction = p.sess.direction
		}
		if err := checkMLine(m); err != nil {
			return fmt.Errorf("%w: m-section %d: %w", ErrInvalidSDP, i, err)
		}
		if a.mid.ok {
			if !isToken(m.MID) {
				return fmt.Errorf("%w: m-section %d: a=mid %q is not a token", ErrInvalidSDP, i, clip(m.MID))
			}
			if j, dup := byMID[m.MID]; dup {
				return fmt.Errorf("%w: m-sections %d and %d share mid %q", ErrInvalidSDP, j, i, m.MID)
			}
			byMID[m.MID] = i
		}
		// A bundle-only section has port 0 in an offer but is not rejected:
		// it is meant to share the BUNDLE transport (RFC 8843).
		m.BundleOnly = m.Port == 0 && a.bundleOnly && a.mid.ok && p.inBundle[m.MID]
		m.Rejected = m.Port == 0 && !m.BundleOnly
		if !m.Rejected && n > 1 && !a.mid.ok {
			return fmt.Errorf("%w: m-section %d (%s): a=mid is required when there are several m-sections", ErrInvalidSDP, i, clip(m.Kind))
		}
		if err := checkRTPCounts(m, a); err != nil {
			return fmt.Errorf("%w: m-section %d (%s): %w", ErrInvalidSDP, i, clip(m.Kind), err)
		}
		if !m.Rejected && (m.Kind == "audio" || m.Kind == "video") {
			if err := readRTP(&m, a); err != nil {
				return fmt.Errorf("%w: m-section %d (%s): %w", ErrInvalidSDP, i, clip(m.Kind), err)
			}
		}
		m.LegacySCTP = isLegacySCTP(m, a)
		p.media[i], p.attrs[i] = m, a
	}

	p.tag = bundleTag(p.media, p.sess.bundle)
	return nil
}

// bundleTag returns the index of the BUNDLE tagged m-section, -1 if none:
// the first mid of the group that is in use; it carries the shared
// transport (RFC 8843). One with a real port is preferred, since a
// bundle-only section cannot be the offerer's tag.
func bundleTag(media []Media, bundle []string) int {
	if len(bundle) == 0 {
		return -1
	}
	byMID := make(map[string]int, len(media))
	for i, m := range media {
		if _, dup := byMID[m.MID]; m.MID != "" && !dup {
			byMID[m.MID] = i
		}
	}
	for _, wantPort := range []bool{true, false} {
		for _, mid := range bundle {
			if i, ok := byMID[mid]; ok && !media[i].Rejected && (!wantPort || media[i].Port != 0) {
				return i
			}
		}
	}
	return -1
}

// bundledNonTag reports whether section i rides on the transport of the
// tagged section; such a section may omit transport attributes.
func bundledNonTag(media []Media, inBundle map[string]bool, tag, i int) bool {
	return tag >= 0 && i != tag && media[i].MID != "" && inBundle[media[i].MID]
}

// transportIndex picks the m-section whose transport we would use: the
// BUNDLE tag if the data channel is bundled (or there is no data channel),
// else the data channel's own section, else the first RTP media section in
// use, else the first section in use. -1 when every section is rejected.
func transportIndex(media []Media, inBundle map[string]bool, tag int) int {
	data := slices.IndexFunc(media, isAcceptableData)
	if data >= 0 && data != tag && !bundledNonTag(media, inBundle, tag, data) {
		return data // the data channel has a transport of its own
	}
	if tag >= 0 {
		return tag
	}
	if i := slices.IndexFunc(media, func(m Media) bool { return !m.Rejected && isRTPMedia(m) }); i >= 0 {
		return i
	}
	return slices.IndexFunc(media, func(m Media) bool { return !m.Rejected })
}

// sharesTransport reports whether section i uses the transport of section
// t: it is t, or both are in the BUNDLE group whose tag is t.
func sharesTransport(media []Media, inBundle map[string]bool, tag, t, i int) bool {
	return t >= 0 && (i == t || (t == tag && bundledNonTag(media, inBundle, tag, i)))
}

// checkMLine makes sure the words of an m= line are tokens, so an answer that
// echoes them is well-formed.
func checkMLine(m Media) error {
	if !isToken(m.Kind) {
		return fmt.Errorf("media type %q is not a token", clip(m.Kind))
	}
	if len(m.Protos) == 0 {
		return fmt.Errorf("m= line has no proto")
	}
	for _, pr := range m.Protos {
		if !isToken(pr) {
			return fmt.Errorf("proto part %q is not a token", clip(pr))
		}
	}
	for _, f := range m.Formats {
		if !isToken(f) {
			return fmt.Errorf("format %q is not a token", clip(f))
		}
	}
	return nil
}

func (p *parser) bundledNonTag(i int) bool {
	return bundledNonTag(p.media, p.inBundle, p.tag, i)
}

// checkSession judges the session-level values that are present.
func (p *parser) checkSession() error {
	var err error
	p.sessFps, err = checkLevel(p.sess)
	return err
}

// checkSection judges one m-section. Rejected sections are not judged: the
// answer only echoes their m= line and mid.
func (p *parser) checkSection(i int) error {
	if p.media[i].Rejected {
		return nil
	}
	a := p.attrs[i]
	fps, err := checkLevel(a)
	if err != nil {
		return err
	}
	p.fps[i] = fps
	if p.media[i].Kind == "application" {
		if _, err := sctpPort(a); err != nil {
			return err
		}
		if _, err := maxMessageSize(a); err != nil {
			return err
		}
	}
	if p.bundledNonTag(i) {
		return nil
	}
	// This section carries a transport, so it needs ICE credentials and a
	// usable fingerprint, its own or inherited from the session level.
	if !a.ufrag.ok && !p.sess.ufrag.ok {
		return fmt.Errorf("missing a=ice-ufrag")
	}
	if !a.pwd.ok && !p.sess.pwd.ok {
		return fmt.Errorf("missing a=ice-pwd")
	}
	if len(fps) == 0 && len(p.sessFps) == 0 {
		if len(a.fingerprints) == 0 && len(p.sess.fingerprints) == 0 {
			return fmt.Errorf("missing a=fingerprint")
		}
		return fmt.Errorf("no a=fingerprint with a supported hash function")
	}
	return nil
}

// checkLevel judges the transport values present at one level and returns
// its supported fingerprints.
func checkLevel(a attrSet) ([]Fingerprint, error) {
	if a.ufrag.ok {
		if err := checkICECredential("ice-ufrag", a.ufrag.v, minUfragLen, maxUfragLen); err != nil {
			return nil, err
		}
	}
	if a.pwd.ok {
		if err := checkICECredential("ice-pwd", a.pwd.v, minPwdLen, maxPwdLen); err != nil {
			return nil, err
		}
	}
	if a.setup.ok {
		if _, err := parseSetup(a.setup.v); err != nil {
			return nil, err
		}
	}
	var fps []Fingerprint
	for _, v := range a.fingerprints {
		fp, ok, err := parseFingerprint(v)
		if err != nil {
			return nil, err
		}
		if ok {
			fps = append(fps, fp)
		}
	}
	return fps, nil
}

// fillTransport copies the values of the transport we would use into d.
func (p *parser) fillTransport(d *Description) {
	t := p.transportIndex()
	sess := p.sess
	own := attrSet{}
	ownFps := []Fingerprint(nil)
	if t >= 0 {
		own, ownFps = p.attrs[t], p.fps[t]
	}
	d.ICEUfrag = pick(own.ufrag, sess.ufrag)
	d.ICEPwd = pick(own.pwd, sess.pwd)
	d.Setup = Setup(pick(own.setup, sess.setup))
	if opts := pick(own.iceOptions, sess.iceOptions); opts != "" {
		d.ICEOptions = strings.Fields(opts)
	}
	d.Fingerprints = ownFps
	if len(d.Fingerprints) == 0 {
		d.Fingerprints = p.sessFps
	}

	// Candidates of a bundle come from all its sections: browsers repeat
	// them per section or spread them, and both must give the same list.
	d.EndOfCandidates = sess.endOfCandidates
	seen := make(map[string]bool)
	for i, a := range p.attrs {
		if p.media[i].Rejected || !(i == t || (t == p.tag && p.bundledNonTag(i))) {
			continue
		}
		d.EndOfCandidates = d.EndOfCandidates || a.endOfCandidates
		for _, c := range a.candidates {
			if !seen[c] {
				seen[c] = true
				d.Candidates = append(d.Candidates, c)
			}
		}
	}
}

func (p *parser) transportIndex() int {
	return transportIndex(p.media, p.inBundle, p.tag)
}

// fillData describes the first application section we can accept.
func (p *parser) fillData(d *Description) error {
	i := slices.IndexFunc(p.media, isAcceptableData)
	if i < 0 {
		return nil
	}
	port, err := sctpPort(p.attrs[i])
	if p.media[i].LegacySCTP {
		port, err = legacySCTPPort(p.media[i])
	}
	if err != nil { // already checked in checkSection; kept for safety
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	size, err := maxMessageSize(p.attrs[i])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	d.Data = &DataSection{MID: p.media[i].MID, SCTPPort: port, Legacy: p.media[i].LegacySCTP, MaxMessageSize: size}
	return nil
}

// isAcceptableData reports whether m is an SCTP data channel section we can
// accept: the RFC 8841 form, or the legacy one (Media.LegacySCTP).
func isAcceptableData(m Media) bool {
	if m.Rejected || m.Kind != "application" {
		return false
	}
	if m.LegacySCTP {
		return true
	}
	return slices.Contains(m.Formats, dataFormat) &&
		(slices.Equal(m.Protos, []string{"UDP", "DTLS", "SCTP"}) ||
			slices.Equal(m.Protos, []string{"TCP", "DTLS", "SCTP"}))
}

// isLegacySCTP reports whether m is a data channel section in the legacy
// form: proto DTLS/SCTP, one format that is the SCTP port, and an
// a=sctpmap for that port naming webrtc-datachannel.
func isLegacySCTP(m Media, a attrSet) bool {
	if m.Kind != "application" || !slices.Equal(m.Protos, []string{"DTLS", "SCTP"}) || len(m.Formats) != 1 {
		return false
	}
	if _, err := legacySCTPPort(m); err != nil {
		return false
	}
	for _, v := range a.sctpmaps {
		if f := strings.Fields(v); len(f) >= 2 && f[0] == m.Formats[0] && f[1] == dataFormat {
			return true
		}
	}
	return false
}

// legacySCTPPort is the SCTP port of a legacy section: its format.
func legacySCTPPort(m Media) (uint16, error) {
	v, err := strconv.ParseUint(m.Formats[0], 10, 16)
	if err != nil || v == 0 || !isDigits(m.Formats[0]) {
		return 0, fmt.Errorf("legacy SCTP port %q is not 1..65535", clip(m.Formats[0]))
	}
	return uint16(v), nil
}

func sctpPort(a attrSet) (uint16, error) {
	if !a.sctpPort.ok {
		return defaultSCTPPort, nil
	}
	v, err := strconv.ParseUint(a.sctpPort.v, 10, 16)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("a=sctp-port %q is not 1..65535", clip(a.sctpPort.v))
	}
	return uint16(v), nil
}

// maxMessageSize reads a=max-message-size. 0 means absent; "no limit" (an
// explicit 0) and values beyond 32 bits become math.MaxUint32, which is
// larger than any message we would ever buffer.
func maxMessageSize(a attrSet) (uint32, error) {
	if !a.maxMessageSize.ok {
		return 0, nil
	}
	s := a.maxMessageSize.v
	if s == "" || !isDigits(s) {
		return 0, fmt.Errorf("a=max-message-size %q is not a number", clip(s))
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 || v > math.MaxUint32 { // err can only be ErrRange here
		return math.MaxUint32, nil
	}
	return uint32(v), nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pick returns the first present value.
func pick(own, fallback stringOpt) string {
	if own.ok {
		return own.v
	}
	return fallback.v
}
