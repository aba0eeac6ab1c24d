// Package ogg reads and writes Opus audio in Ogg files (.opus, .ogg): Ogg
// pages as in RFC 3533, carrying one Opus logical stream as in RFC 7845.
//
// It is pure code over an io.Reader or io.Writer: no goroutine, no clock.
// Everything read is treated as untrusted: every page's CRC is checked,
// sizes are bounded, and no input makes it panic.
//
// # Usage
//
//	r, err := ogg.NewReader(f)
//	fmt.Println(r.Head().Channels, r.Head().PreSkip)
//	for {
//		pkt, granule, err := r.ReadPacket()
//		if err == io.EOF {
//			break
//		}
//		...
//	}
//
//	w, err := ogg.NewWriter(f, 2, 312, 48000)
//	err = w.WritePacket(pkt, granule) // granule: 48 kHz samples so far, pre-skip included
//	err = w.Close()                   // marks the end of the stream
//
// # Limitations
//
//   - The Reader follows the first Opus stream in the file; other logical
//     streams multiplexed with it are skipped, and reading ends at that
//     stream's end (chained streams after it are not read).
//   - Channel mapping families 0 and 1 only (up to 8 channels). The Writer
//     writes family 0: mono or stereo.
//   - Audio packets larger than MaxPacketSize are rejected. A comment header
//     larger than that is read only in part (Tags.Truncated), so that files
//     with embedded cover art still play.
//   - The Reader stops at the first damaged page (bad CRC, lost page): it
//     does not resynchronise. Its errors are sticky.
//   - The Writer puts one packet on each page (27 bytes of page header plus
//     the lacing per packet).
package ogg

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. Returned errors wrap them with context.
var (
	// ErrInvalid: the bytes are not a well-formed Ogg Opus stream, or a
	// page or packet exceeds the limits.
	ErrInvalid = errors.New("ogg: invalid stream")
	// ErrBadCRC: a page's checksum does not match its contents.
	ErrBadCRC = errors.New("ogg: page checksum mismatch")
	// ErrUnsupported: a well-formed stream this package does not handle
	// (an OpusHead major version above 0, a channel mapping family other
	// than 0 or 1), or a Writer configuration it cannot write.
	ErrUnsupported = errors.New("ogg: unsupported stream")
	// ErrClosed: the Writer is closed.
	ErrClosed = errors.New("ogg: writer closed")
)

// MaxPacketSize is the largest audio packet the Reader returns and the
// Writer accepts, in bytes. The largest legal Opus packet of one stream is
// under 61,300 bytes (RFC 7845 §6).
const MaxPacketSize = 64 << 10

// maxTagsSize is how much of the comment header the Reader keeps.
const maxTagsSize = 64 << 10

// Page layout (RFC 3533 §6).
const (
	headerSize     = 27
	flagContinued  = 0x01
	flagBOS        = 0x02
	flagEOS        = 0x04
	noGranule      = ^uint64(0) // no packet ends on the page
	maxGranule     = 1<<63 - 1
	maxSegments    = 255
	capturePattern = "OggS"
)

// Head is the Opus identification header (RFC 7845 §5.1).
type Head struct {
	// Version of the encapsulation; 1 today, up to 15 are compatible.
	Version uint8
	// Channels is the number of output channels, 1-255.
	Channels int
	// PreSkip is the number of 48 kHz samples to drop from the start of
	// the decoded output.
	PreSkip uint16
	// InputSampleRate is the sample rate of the original input, for
	// information only; 0 if unknown. Opus always decodes at 48 kHz.
	InputSampleRate uint32
	// OutputGain is a gain to apply on output, in dB as Q7.8.
	OutputGain int16
	// MappingFamily is 0 (mono/stereo, RTP mapping) or 1 (Vorbis order,
	// 1-8 channels).
	MappingFamily uint8
	// StreamCount and CoupledCount are the number of Opus streams in each
	// packet and how many of them are stereo. Family 0: 1, and Channels-1.
	StreamCount, CoupledCount int
	// ChannelMapping maps each output channel to a decoded one (255:
	// silence). Nil for family 0.
	ChannelMapping []byte
}

// Tags is the Opus comment header (RFC 7845 §5.2).
type Tags struct {
	Vendor string
	// Comments are "NAME=value" strings, as written.
	Comments []string
	// Truncated reports a comment header larger than the Reader keeps:
	// Vendor and Comments hold what fitted.
	Truncated bool
}

const (
	headMagic = "OpusHead"
	tagsMagic = "OpusTags"
)

// parseHead parses and validates an OpusHead packet.
func parseHead(b []byte) (Head, error) {
	var h Head
	if len(b) < 19 || string(b[:8]) != headMagic {
		return h, wrapf(ErrInvalid, "no OpusHead")
	}
	h.Version = b[8]
	h.Channels = int(b[9])
	h.PreSkip = binary.LittleEndian.Uint16(b[10:])
	h.InputSampleRate = binary.LittleEndian.Uint32(b[12:])
	h.OutputGain = int16(binary.LittleEndian.Uint16(b[16:]))
	h.MappingFamily = b[18]
	switch {
	case h.Version == 0:
		return h, wrapf(ErrInvalid, "OpusHead version 0")
	case h.Version > 15: // major version above 0 (RFC 7845 §5.1)
		return h, wrapf(ErrUnsupported, "OpusHead version %d", h.Version)
	case h.Channels == 0:
		return h, wrapf(ErrInvalid, "OpusHead with 0 channels")
	}
	switch h.MappingFamily {
	case 0:
		if h.Channels > 2 {
			return h, wrapf(ErrInvalid, "mapping family 0 with %d channels", h.Channels)
		}
		h.StreamCount, h.CoupledCount = 1, h.Channels-1
	case 1:
		if h.Channels > 8 {
			return h, wrapf(ErrInvalid, "mapping family 1 with %d channels", h.Channels)
		}
		if len(b) < 21+h.Channels {
			return h, wrapf(ErrInvalid, "OpusHead channel mapping table truncated")
		}
		h.StreamCount, h.CoupledCount = int(b[19]), int(b[20])
		if h.StreamCount == 0 || h.CoupledCount > h.StreamCount {
			return h, wrapf(ErrInvalid, "OpusHead with %d streams, %d coupled", h.StreamCount, h.CoupledCount)
		}
		if h.StreamCount+h.CoupledCount > 255 {
			return h, wrapf(ErrInvalid, "OpusHead with %d streams, %d coupled", h.StreamCount, h.CoupledCount)
		}
		h.ChannelMapping = append([]byte(nil), b[21:21+h.Channels]...)
		for _, c := range h.ChannelMapping {
			if c != 255 && int(c) >= h.StreamCount+h.CoupledCount {
				return h, wrapf(ErrInvalid, "OpusHead maps a channel to stream %d of %d", c, h.StreamCount+h.CoupledCount)
			}
		}
	default:
		return h, wrapf(ErrUnsupported, "channel mapping family %d", h.MappingFamily)
	}
	return h, nil
}

// appendHead appends the OpusHead packet for mapping family 0.
func appendHead(b []byte, channels int, preSkip uint16, sampleRate uint32) []byte {
	b = append(b, headMagic...)
	b = append(b, 1, byte(channels))
	b = binary.LittleEndian.AppendUint16(b, preSkip)
	b = binary.LittleEndian.AppendUint32(b, sampleRate)
	b = binary.LittleEndian.AppendUint16(b, 0) // output gain
	return append(b, 0)                        // mapping family
}

// parseTags parses an OpusTags packet. If truncated, b is only the start
// of it, and parsing keeps what is complete.
func parseTags(b []byte, truncated bool) (Tags, error) {
	t := Tags{Truncated: truncated}
	if len(b) < 8 || string(b[:8]) != tagsMagic {
		return t, wrapf(ErrInvalid, "no OpusTags")
	}
	b = b[8:]
	field := func() ([]byte, bool) {
		if len(b) < 4 {
			return nil, false
		}
		n := binary.LittleEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, false
		}
		s := b[4 : 4+n]
		b = b[4+n:]
		return s, true
	}
	vendor, ok := field()
	if !ok {
		if truncated {
			return t, nil
		}
		return t, wrapf(ErrInvalid, "OpusTags vendor string truncated")
	}
	t.Vendor = string(vendor)
	if len(b) < 4 {
		if truncated {
			return t, nil
		}
		return t, wrapf(ErrInvalid, "OpusTags without comment count")
	}
	count := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(count) > uint64(len(b)/4) && !truncated {
		return t, wrapf(ErrInvalid, "OpusTags claims %d comments in %d bytes", count, len(b))
	}
	t.Comments = make([]string, 0, min(uint64(count), uint64(len(b)/4)))
	for range count {
		c, ok := field()
		if !ok {
			if truncated {
				return t, nil
			}
			return t, wrapf(ErrInvalid, "OpusTags comment truncated")
		}
		t.Comments = append(t.Comments, string(c))
	}
	return t, nil // anything after the comments is ignored (RFC 7845 §5.2)
}

// appendTags appends an OpusTags packet with the vendor and no comments.
func appendTags(b []byte, vendor string) []byte {
	b = append(b, tagsMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vendor)))
	b = append(b, vendor...)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// wrapf returns an error that wraps sentinel, with context.
func wrapf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
