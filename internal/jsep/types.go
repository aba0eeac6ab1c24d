package jsep

import "errors"

// ErrInvalidSDP is wrapped by every error that is caused by the content of a
// description, ours or the remote's, so callers can tell bad input from bugs.
var ErrInvalidSDP = errors.New("chanrtc: invalid SDP")

// DefaultMaxMessageSize is the max-message-size a peer is assumed to accept
// when its application section has no a=max-message-size (RFC 8841).
const DefaultMaxMessageSize = 65536

// Setup is the DTLS role attribute a=setup (RFC 4145, RFC 8842).
type Setup string

// The a=setup values. Holdconn is parsed (it is legal SDP) but never used by
// WebRTC, so BuildAnswer refuses it.
const (
	SetupActpass  Setup = "actpass"
	SetupActive   Setup = "active"
	SetupPassive  Setup = "passive"
	SetupHoldconn Setup = "holdconn"
)

// Fingerprint is one a=fingerprint attribute (RFC 8122).
type Fingerprint struct {
	Algorithm string // lower case, e.g. "sha-256"
	Value     string // upper-case hex with colons, as in SDP
}

// Local describes what our side puts into an offer or an answer. The same
// Local may be built into text again (to add candidates): the output only
// depends on its fields.
type Local struct {
	SessionID      uint64 // o= session id; the caller picks it at random, < 2^63
	SessionVersion uint64 // o= version; the caller increments it per new description
	ICEUfrag       string
	ICEPwd         string
	ICELite        bool // emit a=ice-lite (normally false)
	Fingerprints   []Fingerprint
	Setup          Setup // actpass in offers; active or passive in answers
	// Candidates are full attribute values after "a=", such as
	// "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host".
	Candidates      []string
	EndOfCandidates bool   // emit a=end-of-candidates (gathering complete)
	DataChannel     bool   // include the application m-section (offers only; answers follow the remote)
	NoData          bool   // answers reject the remote's application m-section (no DataChannel support)
	MaxMessageSize  uint32 // a=max-message-size we accept (0 = omit the attribute)

	// Media are our audio/video m-sections (transceivers). Offers carry
	// each of them; answers use the entry whose MID equals the mid of a
	// remote audio/video section to answer that section, and reject remote
	// sections that have none.
	Media []LocalMedia
	// DataMID is the mid of the application section in offers; "0" when
	// empty. It must differ from every Media mid.
	DataMID string
	// Order fixes the m-line order of offers by mid (JSEP 5.2.2: the order
	// never changes across renegotiations). Sections it names come first,
	// in its order; the others follow in the default order: Media in
	// order, then the application section. Answers ignore it.
	Order []string
}

// Description is a parsed and validated session description. The transport
// fields (ICE, fingerprints, setup, candidates) describe the one transport we
// would use: the BUNDLE transport when the data channel is bundled, otherwise
// the data channel's own section.
type Description struct {
	Type           string // not filled by ParseDescription; informative
	SessionID      uint64
	SessionVersion uint64
	ICEUfrag       string // from the transport section, falling back to session level
	ICEPwd         string
	ICELite        bool
	ICEOptions     []string      // e.g. "trickle"
	Fingerprints   []Fingerprint // supported algorithms only, normalized
	Setup          Setup         // "" if absent
	// Candidates are "candidate:..." values (no "a=") from every section of
	// the transport, deduplicated, in order of appearance.
	Candidates      []string
	EndOfCandidates bool
	BundleMIDs      []string // from the first a=group:BUNDLE (empty if none)
	Media           []Media
	Data            *DataSection // the first application section we can accept, nil if none
}

// Media is one m-section. The fields up to Rejected are filled for every
// section; the RTP fields after them only for audio and video sections that
// are not rejected (they stay nil/zero otherwise).
type Media struct {
	MID        string
	Kind       string   // "audio", "video", "application", or other
	Port       int      // 0 means rejected unless BundleOnly
	Protos     []string // e.g. ["UDP", "TLS", "RTP", "SAVPF"]
	Formats    []string
	Direction  string // sendrecv/sendonly/recvonly/inactive ("" if absent)
	BundleOnly bool   // port 0 with a=bundle-only inside the BUNDLE group (RFC 8843)
	Rejected   bool   // Port == 0 and not BundleOnly
	// LegacySCTP marks a data channel section in the pre-RFC 8841 form
	// (draft-ietf-mmusic-sctp-sdp-05) that older stacks still send:
	// "m=application 9 DTLS/SCTP 5000" with "a=sctpmap:5000
	// webrtc-datachannel 1024"; its SCTP port is its one format.
	LegacySCTP bool

	// Codecs are the usable formats of the m= line, in its order (the
	// sender's preference). Each RTX format (RFC 4588) is folded into the
	// codec its apt names, as that codec's RTX; formats without a usable
	// rtpmap (other than the static audio ones) are left out.
	Codecs     []Codec
	Extensions []Extension // a=extmap, in order; unique IDs and URIs
	// SSRCs lists every a=ssrc source in order of first appearance, RTX
	// sources included.
	SSRCs []SSRCInfo
	// RTXSSRCs maps a primary SSRC to its RTX SSRC (a=ssrc-group:FID).
	RTXSSRCs map[uint32]uint32
	// StreamID and TrackID come from the first a=msid (RFC 8830), or, when
	// there is none, from the first a=ssrc msid. StreamID "-" means no stream.
	StreamID, TrackID string
	RTCPMux           bool // a=rtcp-mux (RFC 5761)
	RTCPRsize         bool // a=rtcp-rsize (RFC 5506)
}

// DataSection is the SCTP data channel section (RFC 8841).
type DataSection struct {
	MID      string
	SCTPPort uint16 // a=sctp-port, 5000 when absent; the sctpmap port in the legacy form
	Legacy   bool   // the legacy form (Media.LegacySCTP): an answer mirrors it
	// MaxMessageSize is a=max-message-size: 0 if absent (the caller applies
	// DefaultMaxMessageSize); an explicit 0, which RFC 8841 defines as "no
	// limit", and values beyond 32 bits are reported as math.MaxUint32.
	MaxMessageSize uint32
}

// ExtensionMID is the URI of the RTP header extension that carries the mid
// (RFC 8843 section 15.2); bundled media needs it to be demultiplexed.
const ExtensionMID = "urn:ietf:params:rtp-hdrext:sdes:mid"

// Codec is one RTP payload format of an m-section.
type Codec struct {
	PayloadType uint8
	Name        string // as in a=rtpmap: "H264", "opus", "PCMU", "VP8", ...
	ClockRate   uint32
	Channels    uint16 // audio channels (opus: 2); 0 = not given (1 for audio)
	// Fmtp is the a=fmtp value, e.g.
	// "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f".
	Fmtp string
	// Feedback holds the a=rtcp-fb values: "nack", "nack pli", "ccm fir",
	// "goog-remb", "transport-cc".
	Feedback []string
	// RTX is the payload type of this codec's retransmission format
	// (RFC 4588: a=rtpmap:<RTX> rtx/<ClockRate>, a=fmtp:<RTX> apt=<PayloadType>);
	// 0 means none.
	RTX uint8
}

// Extension is one a=extmap RTP header extension (RFC 8285).
type Extension struct {
	ID  int // 1..14 in what we write (one-byte headers); parsing accepts 1..255
	URI string
	// Direction is the direction of the extension from the point of view of
	// the side that wrote it; "" means sendrecv.
	Direction string
}

// SSRCInfo is what a=ssrc lines (RFC 5576) say about one source.
type SSRCInfo struct {
	SSRC              uint32
	CNAME             string
	StreamID, TrackID string // from a=ssrc:<ssrc> msid:<stream> <track>
}

// LocalMedia is one of our audio/video m-sections: a transceiver.
type LocalMedia struct {
	MID  string
	Kind string // "audio" or "video"
	// Direction is what we want: sendrecv (also when empty), sendonly,
	// recvonly or inactive.
	Direction string
	// Codecs are what we support, in order of preference. Offers use these
	// payload types; answers use the offerer's (see NegotiateMedia).
	Codecs []Codec
	// Extensions we support; include ExtensionMID when media is bundled.
	Extensions []Extension
	// Sending side, written when the (negotiated) direction includes send:
	// SSRC (0 = no a=ssrc lines), RTXSSRC (0 = none; written only when a
	// codec has RTX), the RTCP CNAME (required with an SSRC), and
	// a=msid:<StreamID> <TrackID> (StreamID "" is written as "-"; no a=msid
	// when both are empty).
	SSRC, RTXSSRC     uint32
	CNAME             string
	StreamID, TrackID string
	// Stopped is a stopped transceiver: port 0 in offers and answers, and
	// left out of the BUNDLE group.
	Stopped bool
}

// NegotiatedMedia is the outcome of offer/answer for one audio/video
// section, from our point of view.
type NegotiatedMedia struct {
	MID, Kind string
	// Direction is ours: sendonly means we send and the peer receives.
	Direction string
	// Codecs are the common codecs in the remote's order with the remote's
	// payload types, RTX payload types and fmtp; Feedback is the common set.
	Codecs     []Codec
	Extensions []Extension // the common extensions with the remote's IDs; Direction is ours
}
