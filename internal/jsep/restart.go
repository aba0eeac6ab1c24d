package jsep

import (
	"fmt"
	"io"
	"strings"
)

// ICE restart (RFC 8839 §4.4.1.1.1, JSEP RFC 8829 §5.2.1 and §5.3.1): a
// description starts a new ICE generation when its ice-ufrag or ice-pwd
// differs from the ones in use. An offer restarts ICE by carrying new
// credentials; the answer to such an offer carries new credentials too.
// Everything else about the transport (fingerprints, DTLS role, mids)
// stays, so the DTLS association continues over the new path.

// Credentials are the ice-ufrag and ice-pwd of one ICE generation.
type Credentials struct {
	Ufrag, Pwd string
}

// Lengths of the credentials NewCredentials makes: 16 and 32 ice-chars of
// 6 random bits each, 96 and 192 bits, above RFC 8839 §5.4's minimum of 24
// bits for the ufrag and 128 bits for the password.
const (
	ufragLen = 16
	pwdLen   = 32
)

// iceChars are the 64 ice-chars of RFC 8839 §5.4: a random byte's low 6
// bits pick one uniformly.
const iceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// NewCredentials draws fresh credentials from random (crypto/rand.Reader
// outside tests).
func NewCredentials(random io.Reader) (Credentials, error) {
	b := make([]byte, ufragLen+pwdLen)
	if _, err := io.ReadFull(random, b); err != nil {
		return Credentials{}, fmt.Errorf("chanrtc: ICE credentials: %w", err)
	}
	for i := range b {
		b[i] = iceChars[b[i]&63]
	}
	return Credentials{Ufrag: string(b[:ufragLen]), Pwd: string(b[ufragLen:])}, nil
}

// Credentials returns the ICE credentials of the description's transport.
func (d *Description) Credentials() Credentials {
	return Credentials{Ufrag: d.ICEUfrag, Pwd: d.ICEPwd}
}

// Restarts reports whether next starts a new ICE generation after inUse:
// either value changed. Zero credentials in use (ICE not started) or in
// next (no transport) are no restart.
func (inUse Credentials) Restarts(next Credentials) bool {
	if inUse == (Credentials{}) || next == (Credentials{}) {
		return false
	}
	return inUse != next
}

// CandidateUfrag returns the value of a candidate's "ufrag" extension
// attribute, which browsers add to tell ICE generations apart, and false
// when the candidate has none. line is "candidate:..." (RFC 8839 §5.1:
// eight fixed fields, raddr and rport, then name/value pairs).
func CandidateUfrag(line string) (string, bool) {
	f := strings.Fields(line)
	for i := 8; i+1 < len(f); i += 2 {
		if f[i] == "ufrag" {
			return f[i+1], true
		}
	}
	return "", false
}
