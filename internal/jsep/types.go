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

// Local describes what our side puts into an offer or an answer.
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
	MaxMessageSize  uint32 // a=max-message-size we accept (0 = omit the attribute)
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

// Media is one m-section. It carries what an answer must echo for any kind,
// so that media negotiation can be added later by growing this struct.
type Media struct {
	MID        string
	Kind       string   // "audio", "video", "application", or other
	Port       int      // 0 means rejected unless BundleOnly
	Protos     []string // e.g. ["UDP", "TLS", "RTP", "SAVPF"]
	Formats    []string
	Direction  string // sendrecv/sendonly/recvonly/inactive ("" if absent)
	BundleOnly bool   // port 0 with a=bundle-only inside the BUNDLE group (RFC 8843)
	Rejected   bool   // Port == 0 and not BundleOnly
}

// DataSection is the SCTP data channel section (RFC 8841).
type DataSection struct {
	MID      string
	SCTPPort uint16 // a=sctp-port, 5000 when absent
	// MaxMessageSize is a=max-message-size: 0 if absent (the caller applies
	// DefaultMaxMessageSize); an explicit 0, which RFC 8841 defines as "no
	// limit", and values beyond 32 bits are reported as math.MaxUint32.
	MaxMessageSize uint32
}
