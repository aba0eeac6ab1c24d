package jsep

import (
	"fmt"
	"strings"
)

// ICE credential bounds from the RFC 8839 5.4 grammar.
const (
	minUfragLen = 4
	maxUfragLen = 256
	minPwdLen   = 22
	maxPwdLen   = 256
)

// The checks in this file serve both directions: remote text is refused when
// it breaks them, and our own output is refused before it is written, so that
// a caller mistake (or a hostile value copied from a remote description)
// never turns into broken or injected SDP lines.

// checkICECredential checks an ice-ufrag or ice-pwd value: length bounds and
// ice-char = ALPHA / DIGIT / "+" / "/".
func checkICECredential(name, v string, minLen, maxLen int) error {
	if len(v) < minLen || len(v) > maxLen {
		return fmt.Errorf("%s length %d outside %d..%d", name, len(v), minLen, maxLen)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isAlnum(c) && c != '+' && c != '/' {
			return fmt.Errorf("%s contains invalid character %q", name, c)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isToken reports whether s is a non-empty RFC 8866 token: visible ASCII
// except the separators. mid values, media types, proto parts and formats
// are tokens; checking them keeps spaces and line breaks out of our output.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]`, c) >= 0 {
			return false
		}
	}
	return true
}

// parseSetup maps an a=setup value to a Setup, refusing unknown values.
func parseSetup(v string) (Setup, error) {
	switch s := Setup(v); s {
	case SetupActpass, SetupActive, SetupPassive, SetupHoldconn:
		return s, nil
	}
	return "", fmt.Errorf("a=setup value %q is not actpass, active, passive or holdconn", clip(v))
}

// checkCandidate checks one of our own candidate attribute values.
func checkCandidate(c string) error {
	rest, ok := strings.CutPrefix(c, "candidate:")
	if !ok || strings.TrimSpace(rest) == "" {
		return fmt.Errorf("candidate %q does not start with \"candidate:\" followed by a value", clip(c))
	}
	if len(c) > maxLineSize-len("a=") {
		return fmt.Errorf("candidate is %d bytes, limit %d", len(c), maxLineSize)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < ' ' || c[i] == 0x7f {
			return fmt.Errorf("candidate %q contains a control character", clip(c))
		}
	}
	return nil
}
