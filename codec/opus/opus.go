// Package opus carries Opus audio over RTP (RFC 7587) and reads the
// duration of an Opus packet from its table of contents (RFC 6716 §3).
//
// It is pure code: no goroutine, no I/O, no clock. It does not decode audio.
//
// # Usage
//
//	d, err := opus.PacketDuration(pkt)   // e.g. 20ms
//	ts += opus.Samples(d)                // RTP timestamp step at 48 kHz
//	var p opus.Packetizer
//	err = p.Packetize(pkt, func(payload []byte, marker bool) { send(payload, marker, ts) })
//
//	var dp opus.Depacketizer
//	buf, _, err = dp.Depacketize(buf[:0], [][]byte{rtpPayload})
//
// Ogg Opus files are read and written by package codec/ogg.
package opus

import (
	"errors"
	"fmt"
	"time"
)

// ClockRate is the RTP clock rate of Opus, whatever the audio bandwidth
// (RFC 7587 §4.1).
const ClockRate = 48000

// MaxDuration is the longest audio an Opus packet may carry (RFC 6716 §3.2.5).
const MaxDuration = 120 * time.Millisecond

// maxSamples is MaxDuration in 48 kHz samples.
const maxSamples = 5760

// maxFrameSize is the largest compressed Opus frame (RFC 6716 §3.2.1, R2).
const maxFrameSize = 1275

// ErrInvalidPacket: the bytes are not a well-formed Opus packet.
var ErrInvalidPacket = errors.New("opus: invalid packet")

// frameSamples is the duration of one frame for each TOC configuration
// number (RFC 6716 §3.1, Table 2), in 48 kHz samples.
// Configs 0-11 are SILK-only (10/20/40/60 ms), 12-15 hybrid (10/20 ms),
// 16-31 CELT-only (2.5/5/10/20 ms).
var frameSamples = [32]uint16{
	480, 960, 1920, 2880, // SILK NB
	480, 960, 1920, 2880, // SILK MB
	480, 960, 1920, 2880, // SILK WB
	480, 960, // Hybrid SWB
	480, 960, // Hybrid FB
	120, 240, 480, 960, // CELT NB
	120, 240, 480, 960, // CELT WB
	120, 240, 480, 960, // CELT SWB
	120, 240, 480, 960, // CELT FB
}

// PacketDuration returns the duration of the audio in an Opus packet, read
// from its TOC byte and, for code 3, its frame count byte. The packet's
// framing is checked against RFC 6716 §3.4 (R1-R7): frame lengths must fit
// the packet and no frame may exceed 1275 bytes. An empty or malformed
// packet, or one longer than 120 ms, returns an error wrapping
// ErrInvalidPacket. It does not allocate on success.
func PacketDuration(packet []byte) (time.Duration, error) {
	n, err := packetSamples(packet)
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Second / ClockRate, nil
}

// packetSamples is PacketDuration in 48 kHz samples.
func packetSamples(p []byte) (int, error) {
	if len(p) < 1 {
		return 0, fmt.Errorf("%w: empty", ErrInvalidPacket) // R1
	}
	toc := p[0]
	per := int(frameSamples[toc>>3])
	rest := p[1:]
	switch toc & 3 {
	case 0: // one frame
		if len(rest) > maxFrameSize {
			return 0, fmt.Errorf("%w: frame of %d bytes", ErrInvalidPacket, len(rest)) // R2
		}
		return per, nil
	case 1: // two frames of equal size
		if len(rest)%2 != 0 {
			return 0, fmt.Errorf("%w: code 1 with odd payload length", ErrInvalidPacket) // R3
		}
		if len(rest)/2 > maxFrameSize {
			return 0, fmt.Errorf("%w: frame of %d bytes", ErrInvalidPacket, len(rest)/2) // R2
		}
		return 2 * per, nil
	case 2: // two frames, the first length coded
		n1, k, ok := frameLength(rest)
		if !ok || n1 > len(rest)-k {
			return 0, fmt.Errorf("%w: code 2 frame length", ErrInvalidPacket) // R4
		}
		if len(rest)-k-n1 > maxFrameSize {
			return 0, fmt.Errorf("%w: code 2 second frame too long", ErrInvalidPacket) // R2
		}
		return 2 * per, nil
	}
	// Code 3: an arbitrary number of frames (RFC 6716 §3.2.5).
	if len(rest) < 1 {
		return 0, fmt.Errorf("%w: code 3 without frame count", ErrInvalidPacket)
	}
	fc := rest[0]
	rest = rest[1:]
	m := int(fc & 0x3f)
	if m == 0 || m*per > maxSamples {
		return 0, fmt.Errorf("%w: code 3 with %d frames of %d samples", ErrInvalidPacket, m, per) // R5
	}
	if fc&0x40 != 0 {
		// Padding length: bytes of 0-254, where 255 means 254 more bytes
		// of padding and another length byte to follow (§3.2.5).
		for more := true; more; {
			if len(rest) < 1 {
				return 0, fmt.Errorf("%w: truncated padding length", ErrInvalidPacket)
			}
			v := int(rest[0])
			rest = rest[1:]
			if more = v == 255; more {
				v = 254
			}
			if v > len(rest) {
				return 0, fmt.Errorf("%w: padding longer than packet", ErrInvalidPacket) // R6, R7
			}
			rest = rest[:len(rest)-v] // the padding itself sits at the end
		}
	}
	if fc&0x80 == 0 { // CBR
		if len(rest)%m != 0 || len(rest)/m > maxFrameSize {
			return 0, fmt.Errorf("%w: code 3 CBR length", ErrInvalidPacket) // R6
		}
		return m * per, nil
	}
	// VBR: m-1 coded lengths, the last frame takes what remains.
	total := 0
	hdr := rest
	for i := 0; i < m-1; i++ {
		n, k, ok := frameLength(hdr)
		if !ok {
			return 0, fmt.Errorf("%w: code 3 VBR frame length", ErrInvalidPacket) // R7
		}
		hdr = hdr[k:]
		total += n
	}
	if total > len(hdr) {
		return 0, fmt.Errorf("%w: code 3 VBR frames longer than packet", ErrInvalidPacket) // R7
	}
	if len(hdr)-total > maxFrameSize {
		return 0, fmt.Errorf("%w: code 3 VBR last frame too long", ErrInvalidPacket) // R2
	}
	return m * per, nil
}

// frameLength decodes a one- or two-byte frame length (RFC 6716 §3.2.1):
// it returns the length, the bytes it took, and false if b is too short.
func frameLength(b []byte) (n, k int, ok bool) {
	if len(b) < 1 {
		return 0, 0, false
	}
	if b[0] < 252 {
		return int(b[0]), 1, true
	}
	if len(b) < 2 {
		return 0, 0, false
	}
	return int(b[1])*4 + int(b[0]), 2, true
}

// Samples returns the RTP timestamp increment for d at 48 kHz, rounded to
// the nearest sample; negative durations give 0. It wraps modulo 2^32 like
// RTP timestamps do.
func Samples(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	whole := uint64(d / time.Second)
	frac := uint64(d % time.Second)
	return uint32(whole*ClockRate + (frac*ClockRate+uint64(time.Second)/2)/uint64(time.Second))
}

// Packetizer frames Opus packets as RTP payloads: one packet per payload,
// never fragmented (RFC 7587 §4.2). The zero value is ready to use and it
// holds no state.
type Packetizer struct{}

// Packetize emits frame, one Opus packet, as a single RTP payload with the
// marker bit clear. The payload aliases frame. An empty frame, which is not
// an Opus packet, emits nothing and returns an error wrapping
// ErrInvalidPacket.
func (Packetizer) Packetize(frame []byte, emit func(payload []byte, marker bool)) error {
	if len(frame) == 0 {
		return fmt.Errorf("%w: empty frame", ErrInvalidPacket)
	}
	emit(frame, false)
	return nil
}

// Depacketizer turns RTP payloads back into Opus packets. The zero value is
// ready to use and it holds no state.
type Depacketizer struct{}

// Depacketize appends the Opus packet carried by payloads, the RTP
// payloads of one timestamp, to dst and returns the extended slice. There
// must be exactly one, non-empty; otherwise it returns dst unchanged and an
// error wrapping ErrInvalidPacket. keyframe is always false: Opus has no
// keyframes.
func (Depacketizer) Depacketize(dst []byte, payloads [][]byte) (packet []byte, keyframe bool, err error) {
	if len(payloads) != 1 {
		return dst, false, fmt.Errorf("%w: %d payloads for one packet, want 1", ErrInvalidPacket, len(payloads))
	}
	if len(payloads[0]) == 0 {
		return dst, false, fmt.Errorf("%w: empty payload", ErrInvalidPacket)
	}
	return append(dst, payloads[0]...), false, nil
}
