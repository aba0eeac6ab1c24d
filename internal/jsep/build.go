package jsep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// dataFormat is the only fmt of an SCTP data channel section (RFC 8841).
const dataFormat = "webrtc-datachannel"

// offerDataMID is the mid of the application section in our offers when
// Local.DataMID is empty.
const offerDataMID = "0"

// BuildOffer returns the SDP text of an offer: session lines, then one
// m-section per entry of l.Media and, when l.DataChannel is set, the
// application section with mid l.DataMID ("0" by default); in l.Order when
// given, else in that order. Every section that is not stopped is in the
// one BUNDLE group and carries ICE credentials, fingerprints and a=setup;
// candidates go on the first of them, the BUNDLE tag.
func BuildOffer(l Local) (string, error) {
	setup := l.Setup
	switch setup {
	case "":
		setup = SetupActpass
	case SetupActpass, SetupActive, SetupPassive:
		// active/passive keep a role already negotiated (RFC 8842).
	default:
		return "", fmt.Errorf("%w: local setup %q is not allowed in an offer", ErrInvalidSDP, clip(string(setup)))
	}
	sd, err := newSession(l)
	if err != nil {
		return "", err
	}
	items, err := offerItems(l)
	if err != nil {
		return "", err
	}
	var (
		tr     *ourTransport
		bundle []string
	)
	for _, it := range items {
		if it.media != nil && it.media.Stopped {
			sd.MediaDescriptions = append(sd.MediaDescriptions, stoppedSection(*it.media))
			continue
		}
		if tr == nil {
			if tr, err = newTransport(l, setup); err != nil {
				return "", err
			}
		}
		first := len(bundle) == 0
		var md *sdp.MediaDescription
		if it.media == nil {
			md = dataSection(l, tr, it.mid, []string{"UDP", "DTLS", "SCTP"}, false, first)
		} else {
			lm := it.media
			md, err = mediaSection(mediaOut{
				kind:      lm.Kind,
				protos:    offerProtos,
				mid:       lm.MID,
				direction: wantedDirection(lm.Direction),
				codecs:    lm.Codecs,
				exts:      lm.Extensions,
				rsize:     true,
				local:     lm,
			}, tr, first)
			if err != nil {
				return "", err
			}
		}
		sd.MediaDescriptions = append(sd.MediaDescriptions, md)
		bundle = append(bundle, it.mid)
	}
	if len(bundle) > 0 {
		sd.Attributes = append(sd.Attributes, sdp.NewAttribute("group", "BUNDLE "+strings.Join(bundle, " ")))
	}
	return marshal(sd)
}

// offerItem is one m-section of an offer: a LocalMedia, or the application
// section when media is nil.
type offerItem struct {
	mid   string
	media *LocalMedia
}

// offerItems checks the sections of an offer and puts them in m-line order.
func offerItems(l Local) ([]offerItem, error) {
	var items []offerItem
	for i := range l.Media {
		lm := &l.Media[i]
		if err := checkLocalMedia(*lm, true); err != nil {
			return nil, err
		}
		items = append(items, offerItem{mid: lm.MID, media: lm})
	}
	if l.DataChannel {
		mid := l.DataMID
		if mid == "" {
			mid = offerDataMID
		}
		if !isToken(mid) {
			return nil, fmt.Errorf("%w: data mid %q is not a token", ErrInvalidSDP, clip(mid))
		}
		items = append(items, offerItem{mid: mid})
	}
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if seen[it.mid] {
			return nil, fmt.Errorf("%w: two local m-sections share mid %q", ErrInvalidSDP, it.mid)
		}
		seen[it.mid] = true
	}
	if len(l.Order) == 0 {
		return items, nil
	}
	ordered := make([]offerItem, 0, len(items))
	for _, mid := range l.Order {
		i := slices.IndexFunc(items, func(it offerItem) bool { return it.mid == mid })
		if i < 0 {
			if slices.ContainsFunc(ordered, func(it offerItem) bool { return it.mid == mid }) {
				return nil, fmt.Errorf("%w: Order names mid %q twice", ErrInvalidSDP, clip(mid))
			}
			return nil, fmt.Errorf("%w: Order names mid %q, which is neither in Media nor the data section", ErrInvalidSDP, clip(mid))
		}
		ordered = append(ordered, items[i])
		items = slices.Delete(items, i, i+1)
	}
	return append(ordered, items...), nil
}

// BuildAnswer answers a parsed remote offer. Every remote m-section gets one
// answer m-section in the same order with the same mid and proto
// (RFC 8829 5.3.1).
//
// We use one transport, so only the sections that share the transport the
// Description describes can be accepted: the BUNDLE group of the offer, or
// else that one section. Among those, the first data channel section we can
// accept is accepted, and each audio/video section is answered with the
// l.Media entry of the same mid as NegotiateMedia describes. Everything else
// is rejected with port 0.
//
// Our BUNDLE group lists the accepted sections of the offer's group, in the
// group's order; its first mid is our tag (RFC 8843 7.3: the offerer's tag
// when we accept it, else the next accepted mid). Every accepted section
// carries our ICE credentials, fingerprints and a=setup; the tag (or, with
// no BUNDLE, the one accepted section) also carries the candidates.
func BuildAnswer(remote *Description, l Local) (string, error) {
	if remote == nil {
		return "", fmt.Errorf("%w: no remote description to answer", ErrInvalidSDP)
	}
	sd, err := newSession(l)
	if err != nil {
		return "", err
	}
	locals, err := localMediaByMID(l.Media)
	if err != nil {
		return "", err
	}
	inBundle := make(map[string]bool, len(remote.BundleMIDs))
	for _, mid := range remote.BundleMIDs {
		inBundle[mid] = true
	}
	tag := bundleTag(remote.Media, remote.BundleMIDs)
	t := transportIndex(remote.Media, inBundle, tag)
	data := slices.IndexFunc(remote.Media, isAcceptableData)
	if l.NoData {
		data = -1
	}

	// Decide every section first: the tag must be known before writing.
	accepted := make([]bool, len(remote.Media))
	negotiated := make([]NegotiatedMedia, len(remote.Media))
	acceptedMIDs := make(map[string]bool)
	carrier := -1 // the section that carries the candidates
	for i, m := range remote.Media {
		// Remote words are echoed, so they are checked again here: the
		// Description may have been built or changed by hand.
		if err := checkMLine(m); err != nil {
			return "", fmt.Errorf("%w: remote m-section %d: %w", ErrInvalidSDP, i, err)
		}
		if m.MID != "" && !isToken(m.MID) {
			return "", fmt.Errorf("%w: remote m-section %d: mid %q is not a token", ErrInvalidSDP, i, clip(m.MID))
		}
		if !sharesTransport(remote.Media, inBundle, tag, t, i) {
			continue
		}
		switch {
		case i == data:
			accepted[i] = true
		case isRTPMedia(m):
			if lm, found := locals[m.MID]; found {
				negotiated[i], accepted[i] = NegotiateMedia(m, *lm)
			}
		}
		if accepted[i] {
			if carrier < 0 {
				carrier = i
			}
			if m.MID != "" {
				acceptedMIDs[m.MID] = true
			}
		}
	}
	var bundle []string
	for _, mid := range remote.BundleMIDs {
		if acceptedMIDs[mid] && !slices.Contains(bundle, mid) {
			bundle = append(bundle, mid)
		}
	}
	if len(bundle) > 0 {
		carrier = slices.IndexFunc(remote.Media, func(m Media) bool { return m.MID == bundle[0] })
	}

	var tr *ourTransport
	if carrier >= 0 {
		setup, err := answerSetup(remote.Setup, l.Setup)
		if err != nil {
			return "", err
		}
		if tr, err = newTransport(l, setup); err != nil {
			return "", err
		}
	}
	for i, m := range remote.Media {
		var md *sdp.MediaDescription
		switch {
		case !accepted[i]:
			md = rejectedSection(m)
		case i == data:
			md = dataSection(l, tr, m.MID, m.Protos, m.LegacySCTP, i == carrier)
		default:
			neg := negotiated[i]
			md, err = mediaSection(mediaOut{
				kind:      m.Kind,
				protos:    m.Protos,
				mid:       m.MID,
				direction: neg.Direction,
				codecs:    neg.Codecs,
				exts:      neg.Extensions,
				rsize:     m.RTCPRsize,
				local:     locals[m.MID],
			}, tr, i == carrier)
			if err != nil {
				return "", err
			}
		}
		sd.MediaDescriptions = append(sd.MediaDescriptions, md)
	}
	if len(bundle) > 0 {
		group := sdp.NewAttribute("group", "BUNDLE "+strings.Join(bundle, " "))
		sd.Attributes = append(sd.Attributes, group)
	}
	return marshal(sd)
}

// localMediaByMID checks our media for an answer and indexes it by mid.
func localMediaByMID(media []LocalMedia) (map[string]*LocalMedia, error) {
	byMID := make(map[string]*LocalMedia, len(media))
	for i := range media {
		lm := &media[i]
		if err := checkLocalMedia(*lm, false); err != nil {
			return nil, err
		}
		if _, dup := byMID[lm.MID]; dup {
			return nil, fmt.Errorf("%w: two local media share mid %q", ErrInvalidSDP, lm.MID)
		}
		byMID[lm.MID] = lm
	}
	return byMID, nil
}

// answerSetup picks our DTLS role from the offerer's (RFC 8842). An
// absent a=setup is taken as actpass, which is what every browser sends.
func answerSetup(remote, ours Setup) (Setup, error) {
	switch remote {
	case SetupActpass, "":
		switch ours {
		case "":
			return SetupActive, nil // what browsers answer with
		case SetupActive, SetupPassive:
			return ours, nil
		}
		return "", fmt.Errorf("%w: local setup %q is not allowed in an answer", ErrInvalidSDP, clip(string(ours)))
	case SetupActive:
		return SetupPassive, nil
	case SetupPassive:
		return SetupActive, nil
	}
	return "", fmt.Errorf("%w: remote a=setup:%s cannot be answered", ErrInvalidSDP, clip(string(remote)))
}

// newSession fills the session-level lines shared by offers and answers.
func newSession(l Local) (*sdp.SessionDescription, error) {
	// JSEP 5.2.1: the session id must fit a signed 64-bit integer, since
	// some implementations parse it as one.
	if l.SessionID > math.MaxInt64 {
		return nil, fmt.Errorf("%w: session id %d is not below 2^63", ErrInvalidSDP, l.SessionID)
	}
	sd := &sdp.SessionDescription{
		Origin: sdp.Origin{
			Username:       "-",
			SessionID:      l.SessionID,
			SessionVersion: l.SessionVersion,
			NetworkType:    "IN",
			AddressType:    "IP4",
			UnicastAddress: "127.0.0.1",
		},
		SessionName:      "-",
		TimeDescriptions: []sdp.TimeDescription{{}}, // t=0 0
	}
	if l.ICELite {
		sd.Attributes = append(sd.Attributes, sdp.NewPropertyAttribute("ice-lite"))
	}
	return sd, nil
}

// ourTransport is our checked transport attributes, written into every
// section we accept or offer.
type ourTransport struct {
	ufrag, pwd      string
	fingerprints    []string // "<alg> <value>", normalized
	setup           Setup
	candidates      []string // values after "a=candidate:"
	endOfCandidates bool
}

func newTransport(l Local, setup Setup) (*ourTransport, error) {
	if err := checkICECredential("local ice-ufrag", l.ICEUfrag, minUfragLen, maxUfragLen); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	if err := checkICECredential("local ice-pwd", l.ICEPwd, minPwdLen, maxPwdLen); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	if len(l.Fingerprints) == 0 {
		return nil, fmt.Errorf("%w: no local fingerprint", ErrInvalidSDP)
	}
	if len(l.Candidates) > maxCandidates {
		return nil, fmt.Errorf("%w: %d local candidates, limit %d", ErrInvalidSDP, len(l.Candidates), maxCandidates)
	}
	tr := &ourTransport{ufrag: l.ICEUfrag, pwd: l.ICEPwd, setup: setup, endOfCandidates: l.EndOfCandidates}
	for _, fp := range l.Fingerprints {
		// Round-trip through the parser to refuse unknown algorithms and
		// malformed values, and to write the normalized form.
		norm, ok, err := parseFingerprint(fp.Algorithm + " " + fp.Value)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: local fingerprint %q %q is not usable", ErrInvalidSDP, clip(fp.Algorithm), clip(fp.Value))
		}
		tr.fingerprints = append(tr.fingerprints, norm.Algorithm+" "+norm.Value)
	}
	for _, c := range l.Candidates {
		if err := checkCandidate(c); err != nil {
			return nil, fmt.Errorf("%w: local %w", ErrInvalidSDP, err)
		}
		tr.candidates = append(tr.candidates, strings.TrimPrefix(c, "candidate:"))
	}
	return tr, nil
}

// addTransport writes ICE credentials, fingerprints and a=setup.
func (tr *ourTransport) addTransport(md *sdp.MediaDescription) {
	add(md, "ice-ufrag", tr.ufrag)
	add(md, "ice-pwd", tr.pwd)
	add(md, "ice-options", "trickle")
	for _, fp := range tr.fingerprints {
		add(md, "fingerprint", fp)
	}
	add(md, "setup", string(tr.setup))
}

// addCandidates writes the candidates; only the first section of the bundle
// carries them.
func (tr *ourTransport) addCandidates(md *sdp.MediaDescription) {
	for _, c := range tr.candidates {
		add(md, "candidate", c)
	}
	if tr.endOfCandidates {
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("end-of-candidates"))
	}
}

func add(md *sdp.MediaDescription, key, value string) {
	md.Attributes = append(md.Attributes, sdp.NewAttribute(key, value))
}

// dataSection is our accepted application section; legacy answers a
// legacy offer in its own form (the SCTP port as the format, a=sctpmap).
func dataSection(l Local, tr *ourTransport, mid string, protos []string, legacy, withCandidates bool) *sdp.MediaDescription {
	port := strconv.Itoa(defaultSCTPPort)
	format := dataFormat
	if legacy {
		format = port
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   "application",
			Port:    sdp.RangedPort{Value: 9}, // the discard port: real addresses are in candidates
			Protos:  slices.Clone(protos),
			Formats: []string{format},
		},
		ConnectionInformation: anyAddress(),
	}
	tr.addTransport(md)
	if mid != "" {
		add(md, "mid", mid)
	}
	if legacy {
		// The third field is the legacy stream count; 1024 as browsers wrote.
		add(md, "sctpmap", port+" "+dataFormat+" 1024")
	} else {
		add(md, "sctp-port", port)
	}
	if l.MaxMessageSize > 0 {
		add(md, "max-message-size", strconv.FormatUint(uint64(l.MaxMessageSize), 10))
	}
	if withCandidates {
		tr.addCandidates(md)
	}
	return md
}

// rejectedSection echoes a remote m-section with port 0 (RFC 8829 5.3.1).
// It needs no transport attributes: nothing will flow on it.
func rejectedSection(m Media) *sdp.MediaDescription {
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   m.Kind,
			Port:    sdp.RangedPort{Value: 0},
			Protos:  slices.Clone(m.Protos),
			Formats: slices.Clone(m.Formats),
		},
		ConnectionInformation: anyAddress(),
	}
	if m.MID != "" {
		add(md, "mid", m.MID)
	}
	return md
}

// anyAddress is the placeholder c= line JSEP uses before ICE picks a path.
func anyAddress() *sdp.ConnectionInformation {
	return &sdp.ConnectionInformation{
		NetworkType: "IN",
		AddressType: "IP4",
		Address:     &sdp.Address{Address: "0.0.0.0"},
	}
}

func marshal(sd *sdp.SessionDescription) (string, error) {
	b, err := sd.Marshal()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	return string(b), nil
}
