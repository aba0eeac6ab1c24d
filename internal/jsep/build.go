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

// offerDataMID is the mid of the application section in our offers.
const offerDataMID = "0"

// BuildOffer returns the SDP text of an offer: session lines, and, when
// l.DataChannel is set, one bundled application section with mid "0".
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
	if l.DataChannel {
		md, err := dataSection(l, setup, offerDataMID, []string{"UDP", "DTLS", "SCTP"})
		if err != nil {
			return "", err
		}
		sd.Attributes = append(sd.Attributes, sdp.NewAttribute("group", "BUNDLE "+offerDataMID))
		sd.MediaDescriptions = append(sd.MediaDescriptions, md)
	}
	return marshal(sd)
}

// BuildAnswer answers a parsed remote offer. Every remote m-section gets one
// answer m-section in the same order with the same mid (RFC 8829 5.3.1). The
// first data channel section we can accept is accepted; everything else is
// rejected with port 0 and left out of the BUNDLE group.
func BuildAnswer(remote *Description, l Local) (string, error) {
	if remote == nil {
		return "", fmt.Errorf("%w: no remote description to answer", ErrInvalidSDP)
	}
	sd, err := newSession(l)
	if err != nil {
		return "", err
	}
	accept := slices.IndexFunc(remote.Media, isAcceptableData)
	var bundle []string
	for i, m := range remote.Media {
		// Remote words are echoed, so they are checked again here: the
		// Description may have been built or changed by hand.
		if err := checkMLine(m); err != nil {
			return "", fmt.Errorf("%w: remote m-section %d: %w", ErrInvalidSDP, i, err)
		}
		if m.MID != "" && !isToken(m.MID) {
			return "", fmt.Errorf("%w: remote m-section %d: mid %q is not a token", ErrInvalidSDP, i, clip(m.MID))
		}
		if i != accept {
			sd.MediaDescriptions = append(sd.MediaDescriptions, rejectedSection(m))
			continue
		}
		setup, err := answerSetup(remote.Setup, l.Setup)
		if err != nil {
			return "", err
		}
		// The proto is echoed from the offer (RFC 8829 5.3.1).
		md, err := dataSection(l, setup, m.MID, m.Protos)
		if err != nil {
			return "", err
		}
		sd.MediaDescriptions = append(sd.MediaDescriptions, md)
		if m.MID != "" && slices.Contains(remote.BundleMIDs, m.MID) {
			bundle = append(bundle, m.MID)
		}
	}
	if len(bundle) > 0 {
		group := sdp.NewAttribute("group", "BUNDLE "+strings.Join(bundle, " "))
		sd.Attributes = append(sd.Attributes, group)
	}
	return marshal(sd)
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

// dataSection is our accepted application section; it carries the transport.
func dataSection(l Local, setup Setup, mid string, protos []string) (*sdp.MediaDescription, error) {
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

	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   "application",
			Port:    sdp.RangedPort{Value: 9}, // the discard port: real addresses are in candidates
			Protos:  slices.Clone(protos),
			Formats: []string{dataFormat},
		},
		ConnectionInformation: anyAddress(),
	}
	add := func(key, value string) {
		md.Attributes = append(md.Attributes, sdp.NewAttribute(key, value))
	}
	add("ice-ufrag", l.ICEUfrag)
	add("ice-pwd", l.ICEPwd)
	add("ice-options", "trickle")
	for _, fp := range l.Fingerprints {
		// Round-trip through the parser to refuse unknown algorithms and
		// malformed values, and to write the normalized form.
		norm, ok, err := parseFingerprint(fp.Algorithm + " " + fp.Value)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: local fingerprint %q %q is not usable", ErrInvalidSDP, clip(fp.Algorithm), clip(fp.Value))
		}
		add("fingerprint", norm.Algorithm+" "+norm.Value)
	}
	add("setup", string(setup))
	if mid != "" {
		add("mid", mid)
	}
	add("sctp-port", strconv.Itoa(defaultSCTPPort))
	if l.MaxMessageSize > 0 {
		add("max-message-size", strconv.FormatUint(uint64(l.MaxMessageSize), 10))
	}
	for _, c := range l.Candidates {
		if err := checkCandidate(c); err != nil {
			return nil, fmt.Errorf("%w: local %w", ErrInvalidSDP, err)
		}
		add("candidate", strings.TrimPrefix(c, "candidate:"))
	}
	if l.EndOfCandidates {
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute("end-of-candidates"))
	}
	return md, nil
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
		md.Attributes = append(md.Attributes, sdp.NewAttribute("mid", m.MID))
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
