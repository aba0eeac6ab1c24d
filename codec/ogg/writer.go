package ogg

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
)

// Vendor is the vendor string the Writer puts in the comment header.
const Vendor = "chanrtc"

// Writer writes an Ogg Opus stream, one packet per page. It holds the
// latest packet back until the next one or Close, so that the stream's
// last page can carry the end-of-stream flag. It is not safe for
// concurrent use.
type Writer struct {
	w      io.Writer
	serial uint32
	seq    uint32
	page   []byte // the page being built, reused

	pending        []byte // the packet held back, copied
	pendingGranule uint64
	hasPending     bool
	lastGranule    uint64

	closed bool
	err    error // sticky write error
}

// NewWriter starts an Ogg Opus stream on w with a random serial number and
// writes its two header pages: OpusHead (channel mapping family 0, so
// channels is 1 or 2) and OpusTags (vendor "chanrtc", no comments).
// preSkip is the number of samples the decoder drops at the start (the
// encoder's lookahead, 312 for libopus); sampleRate is the original input
// rate, for information, or 0.
func NewWriter(w io.Writer, channels int, preSkip uint16, sampleRate uint32) (*Writer, error) {
	if channels != 1 && channels != 2 {
		return nil, wrapf(ErrUnsupported, "%d channels: the Writer writes mono or stereo", channels)
	}
	wr := &Writer{w: w, serial: rand.Uint32(), page: make([]byte, 0, headerSize+maxSegments+1024)}
	if err := wr.writePacket(appendHead(nil, channels, preSkip, sampleRate), 0, flagBOS); err != nil {
		return nil, err
	}
	if err := wr.writePacket(appendTags(nil, Vendor), 0, 0); err != nil {
		return nil, err
	}
	return wr, nil
}

// WritePacket adds an Opus packet to the stream. granule is the granule
// position at the packet's end: the number of 48 kHz samples of all
// packets so far, this one included, pre-skip included; it must not
// decrease. On the last packet it may be less, to trim the end of the
// audio (RFC 7845 §4.4). packet may be reused once WritePacket returns.
// A packet that is empty or larger than MaxPacketSize returns ErrInvalid
// and is not written; write errors are sticky.
func (w *Writer) WritePacket(packet []byte, granule uint64) error {
	switch {
	case w.closed:
		return ErrClosed
	case w.err != nil:
		return w.err
	case len(packet) == 0 || len(packet) > MaxPacketSize:
		return wrapf(ErrInvalid, "packet of %d bytes", len(packet))
	case granule > maxGranule:
		return wrapf(ErrInvalid, "granule position %d out of range", granule)
	case granule < w.pendingGranule: // the previous packet's, 0 at first
		return wrapf(ErrInvalid, "granule position %d after %d", granule, w.pendingGranule)
	}
	if w.hasPending {
		if err := w.writePacket(w.pending, w.pendingGranule, 0); err != nil {
			return err
		}
	}
	w.pending = append(w.pending[:0], packet...)
	w.pendingGranule = granule
	w.hasPending = true
	return nil
}

// Close writes the last packet with the end-of-stream flag (or, if no
// packet was written, an empty end-of-stream page). It does not close the
// underlying writer. Closing twice is a no-op.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.hasPending {
		w.hasPending = false
		return w.writePacket(w.pending, w.pendingGranule, flagEOS)
	}
	return w.writePage(nil, nil, flagEOS, w.lastGranule)
}

// writePacket writes data as one packet on as many pages as it needs
// (255 segments per page). flags carries BOS and EOS: BOS goes on the
// first page, EOS on the last.
func (w *Writer) writePacket(data []byte, granule uint64, flags byte) error {
	var lacing [maxSegments]byte
	for first := true; ; first = false {
		pageFlags := flags & flagBOS
		if !first {
			pageFlags = flagContinued
		}
		n, size, done := 0, 0, false
		for n < maxSegments && !done {
			l := min(len(data)-size, 255)
			lacing[n] = byte(l)
			n++
			size += l
			done = l < 255
		}
		gp := noGranule
		if done {
			gp = granule
			pageFlags |= flags & flagEOS
		}
		if err := w.writePage(lacing[:n], data[:size], pageFlags, gp); err != nil {
			return err
		}
		data = data[size:]
		if done {
			w.lastGranule = granule
			return nil
		}
	}
}

// writePage builds one page and writes it.
func (w *Writer) writePage(lacing, body []byte, flags byte, granule uint64) error {
	p := append(w.page[:0], capturePattern...)
	p = append(p, 0, flags)
	p = binary.LittleEndian.AppendUint64(p, granule)
	p = binary.LittleEndian.AppendUint32(p, w.serial)
	p = binary.LittleEndian.AppendUint32(p, w.seq)
	p = binary.LittleEndian.AppendUint32(p, 0) // checksum, below
	p = append(p, byte(len(lacing)))
	p = append(p, lacing...)
	p = append(p, body...)
	binary.LittleEndian.PutUint32(p[22:], crcUpdate(0, p))
	w.page = p
	w.seq++
	if _, err := w.w.Write(p); err != nil {
		w.err = err
		return err
	}
	return nil
}
