// Package g711 carries G.711 audio (PCMU: μ-law, PCMA: A-law) over RTP
// (RFC 3551 §4.5.14) and converts between 16-bit linear PCM and the two
// companded encodings (ITU-T G.711).
//
// A G.711 RTP payload is the 8-bit samples themselves, one byte per sample
// at 8 kHz, so a 20 ms frame is 160 bytes and its RTP timestamp step is 160.
//
// It is pure code: no goroutine, no I/O, no clock.
//
// # Usage
//
//	chunk := make([]byte, 0, 160)
//	for _, s := range pcm[:160] {
//		chunk = append(chunk, g711.EncodeULaw(s))
//	}
//	p := g711.Packetizer{MTU: 1200}
//	err := p.Packetize(chunk, func(payload []byte, marker bool) { send(payload, marker, ts) })
//	ts += g711.Samples(chunk)
package g711

import (
	"errors"
	"fmt"
)

// ClockRate is the RTP clock rate of PCMU and PCMA.
const ClockRate = 8000

// DefaultMTU is the largest payload a Packetizer emits when its MTU is 0,
// in bytes (and samples): 150 ms.
const DefaultMTU = 1200

// ErrInvalidPacket: the RTP payloads do not form a G.711 frame.
var ErrInvalidPacket = errors.New("g711: invalid packet")

// Samples returns the RTP timestamp increment for chunk: one per byte.
func Samples(chunk []byte) uint32 { return uint32(len(chunk)) }

// Packetizer splits chunks of G.711 samples into RTP payloads. The zero
// value is ready to use.
type Packetizer struct {
	// MTU is the largest payload, in bytes; 0 means DefaultMTU.
	MTU int
}

// Packetize emits chunk as one payload, or, if it is larger than MTU, as
// consecutive payloads of MTU bytes and a remainder, all with the marker
// bit clear. Payloads alias chunk. An empty chunk emits nothing. It
// returns no error.
//
// Each payload after the first starts as many samples later as the bytes
// before it (RFC 3551): a sender that gives every payload of one chunk the
// same RTP timestamp must keep its chunks within MTU.
func (p Packetizer) Packetize(chunk []byte, emit func(payload []byte, marker bool)) error {
	mtu := p.MTU
	if mtu <= 0 {
		mtu = DefaultMTU
	}
	for len(chunk) > 0 {
		n := min(len(chunk), mtu)
		emit(chunk[:n:n], false)
		chunk = chunk[n:]
	}
	return nil
}

// Depacketizer joins RTP payloads back into G.711 samples. The zero value
// is ready to use and it holds no state.
type Depacketizer struct{}

// Depacketize appends the samples of payloads, the RTP payloads of one
// timestamp, in order, to dst and returns the extended slice. No payload at
// all returns dst unchanged and an error wrapping ErrInvalidPacket.
// keyframe is always false: G.711 has no keyframes.
func (Depacketizer) Depacketize(dst []byte, payloads [][]byte) (samples []byte, keyframe bool, err error) {
	if len(payloads) == 0 {
		return dst, false, fmt.Errorf("%w: no payload", ErrInvalidPacket)
	}
	for _, p := range payloads {
		dst = append(dst, p...)
	}
	return dst, false, nil
}
