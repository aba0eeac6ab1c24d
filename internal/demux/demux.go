// Package demux classifies packets arriving on the one UDP 5-tuple that
// WebRTC multiplexes STUN, DTLS, SRTP and SRTCP over, by their first byte
// (RFC 7983 §7, as updated by RFC 9443 §3).
package demux

import "strconv"

// Class is the protocol a packet belongs to.
type Class uint8

// Classes, in the order of their first-byte ranges.
const (
	Drop        Class = iota // empty, too short, or a range no one here handles
	STUN                     // 0..3 (RFC 7983 §7)
	ZRTP                     // 16..19; classified so callers can count it, then dropped
	DTLS                     // 20..63 (RFC 7983 §7)
	TURNChannel              // 64..79 (RFC 9443 §3, ChannelData)
	RTP                      // 128..191, not RTCP
	RTCP                     // 128..191 with RTCP packet type 192..223 (RFC 5761 §4)
)

// Classify returns the class of packet b. It does not allocate and never
// panics. Bytes 4..15 and 80..127 (QUIC since RFC 9443) and 192..255 are
// not used by WebRTC and are dropped.
func Classify(b []byte) Class {
	if len(b) == 0 {
		return Drop
	}
	switch c := b[0]; {
	case c <= 3:
		return STUN
	case c >= 16 && c <= 19:
		return ZRTP
	case c >= 20 && c <= 63:
		return DTLS
	case c >= 64 && c <= 79:
		return TURNChannel
	case c >= 128 && c <= 191:
		// RTP and RTCP share the range; RFC 5761 §4 separates them by the
		// second byte, which is the RTCP packet type (192..223) or the RTP
		// marker bit plus payload type. One byte is neither.
		if len(b) < 2 {
			return Drop
		}
		if b[1] >= 192 && b[1] <= 223 {
			return RTCP
		}
		return RTP
	}
	return Drop
}

var names = [...]string{
	Drop:        "Drop",
	STUN:        "STUN",
	ZRTP:        "ZRTP",
	DTLS:        "DTLS",
	TURNChannel: "TURNChannel",
	RTP:         "RTP",
	RTCP:        "RTCP",
}

// String returns the class name, or "Class(n)" for an unknown value.
func (c Class) String() string {
	if int(c) < len(names) {
		return names[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}
