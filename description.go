package chanrtc

import (
	"fmt"
	"strings"
)

// SDPType is RTCSdpType.
type SDPType string

// Description types. Provisional answers are not supported.
const (
	SDPTypeOffer    SDPType = "offer"
	SDPTypeAnswer   SDPType = "answer"
	SDPTypeRollback SDPType = "rollback"
)

// SessionDescription is RTCSessionDescriptionInit; it marshals to the JSON
// browsers exchange ({"type": "offer", "sdp": "..."}).
type SessionDescription struct {
	Type SDPType `json:"type"`
	SDP  string  `json:"sdp"`
}

// ICECandidateInit is RTCIceCandidateInit, as signalled in trickle ICE. An
// empty Candidate means end-of-candidates.
type ICECandidateInit struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// ICECandidate is a gathered local candidate, handed to OnICECandidate.
type ICECandidate struct {
	Candidate        string // "candidate:..." (the a= attribute value)
	SDPMid           string
	SDPMLineIndex    uint16
	UsernameFragment string
}

// ToJSON returns the init form to signal to the remote.
func (c *ICECandidate) ToJSON() ICECandidateInit {
	mid, idx, uf := c.SDPMid, c.SDPMLineIndex, c.UsernameFragment
	return ICECandidateInit{Candidate: c.Candidate, SDPMid: &mid, SDPMLineIndex: &idx, UsernameFragment: &uf}
}

// candidateLine normalises a signalled candidate to "candidate:..." form;
// browsers send it with the prefix, some stacks prefix "a=".
func candidateLine(s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "a="))
	if !strings.HasPrefix(s, "candidate:") {
		return "", fmt.Errorf("%w: candidate %q does not start with \"candidate:\"", ErrInvalidSDP, s)
	}
	return s, nil
}
