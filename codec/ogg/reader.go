package ogg

import (
	"encoding/binary"
	"io"
	"slices"

	"github.com/chanrtc/chanrtc/codec/opus"
)

// Reader reads the packets of an Ogg Opus stream. It is not safe for
// concurrent use.
type Reader struct {
	src    io.Reader
	hdr    [headerSize]byte
	lacing [maxSegments]byte
	body   []byte // the current page's body; grows to at most 255*255 bytes
	pg     page   // the current page

	serial  uint32 // of the Opus stream
	nextSeq uint32 // page sequence number expected next
	tags    bool   // still reading the comment header

	partial   []byte // a packet continued from earlier pages
	inPacket  bool   // the last page ended inside a packet
	truncated bool   // the comment header outgrew maxTagsSize

	queue       []queued // packets completed on the current page
	next        int      // index of the next packet to return
	lastGranule uint64   // granule position after the last packet queued
	eos         bool     // the stream's last page has been read
	err         error    // sticky

	head     Head
	tagsRead Tags
}

type page struct {
	flags   byte
	granule uint64
	serial  uint32
	seq     uint32
	lacing  []byte
	body    []byte
}

type queued struct {
	data    []byte
	granule uint64
}

// NewReader reads the identification and comment headers of the first
// Opus stream in r and validates them. Errors wrap ErrInvalid, ErrBadCRC
// or ErrUnsupported, or are the reader's own.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{src: r}
	// The stream starts with its BOS page, which holds the OpusHead packet
	// alone; BOS pages of other multiplexed streams may come first.
	for {
		if err := rd.readPage(); err != nil {
			if err == io.EOF {
				err = wrapf(ErrInvalid, "no Opus stream")
			}
			return nil, err
		}
		if rd.pg.flags&flagBOS == 0 {
			return nil, wrapf(ErrInvalid, "no Opus stream among the beginning-of-stream pages")
		}
		if first := rd.firstPacket(); len(first) >= len(headMagic) && string(first[:len(headMagic)]) == headMagic {
			break
		}
	}
	pg := &rd.pg
	n := len(pg.lacing)
	if int(pg.lacing[n-1]) == 255 || len(rd.firstPacket()) != len(pg.body) {
		return nil, wrapf(ErrInvalid, "the OpusHead page must hold exactly the OpusHead packet")
	}
	h, err := parseHead(pg.body)
	if err != nil {
		return nil, err
	}
	rd.head = h
	rd.serial = pg.serial
	rd.nextSeq = pg.seq + 1
	rd.eos = pg.flags&flagEOS != 0
	rd.tags = true
	for rd.tags {
		if err := rd.fill(); err != nil {
			if err == io.EOF {
				err = wrapf(ErrInvalid, "no OpusTags")
			}
			return nil, err
		}
	}
	return rd, nil
}

// Head returns the stream's identification header.
func (r *Reader) Head() Head {
	h := r.head
	h.ChannelMapping = slices.Clone(h.ChannelMapping)
	return h
}

// Tags returns the stream's comment header.
func (r *Reader) Tags() Tags {
	t := r.tagsRead
	t.Comments = slices.Clone(t.Comments)
	return t
}

// ReadPacket returns the next Opus packet and the granule position at its
// end: the number of 48 kHz samples decoded up to the end of this packet,
// pre-skip included. A page gives the position after its last packet;
// positions of the packets before it are derived from their durations
// (RFC 7845 §4). The packet is the caller's to keep.
//
// At the end of the stream it returns io.EOF; if the data ends before
// the stream's last page, io.EOF at a page boundary or io.ErrUnexpectedEOF
// inside a page or packet. Errors are sticky.
func (r *Reader) ReadPacket() (packet []byte, granule uint64, err error) {
	for r.next >= len(r.queue) {
		if r.err != nil {
			return nil, 0, r.err
		}
		if err := r.fill(); err != nil {
			r.err = err
			r.queue, r.next = nil, 0
			return nil, 0, err
		}
	}
	p := r.queue[r.next]
	r.queue[r.next] = queued{}
	r.next++
	return p.data, p.granule, nil
}

// fill reads pages until one of the Opus stream has been taken in.
func (r *Reader) fill() error {
	for {
		if r.eos {
			if r.inPacket {
				return io.ErrUnexpectedEOF
			}
			return io.EOF
		}
		if err := r.readPage(); err != nil {
			if err == io.EOF && r.inPacket {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if r.pg.serial != r.serial {
			continue // another logical stream
		}
		return r.takePage()
	}
}

// readPage reads and checks the next page, of any logical stream.
func (r *Reader) readPage() error {
	if _, err := io.ReadFull(r.src, r.hdr[:]); err != nil {
		return err // io.EOF only if no byte was read
	}
	h := r.hdr[:]
	if string(h[:4]) != capturePattern {
		return wrapf(ErrInvalid, "no page capture pattern")
	}
	if h[4] != 0 {
		return wrapf(ErrInvalid, "page version %d", h[4])
	}
	lacing := r.lacing[:h[26]]
	if _, err := io.ReadFull(r.src, lacing); err != nil {
		return noEOF(err)
	}
	size := 0
	for _, l := range lacing {
		size += int(l)
	}
	if cap(r.body) < size {
		r.body = make([]byte, size, min(max(size, 2*cap(r.body)), maxSegments*255))
	}
	body := r.body[:size]
	if _, err := io.ReadFull(r.src, body); err != nil {
		return noEOF(err)
	}
	want := binary.LittleEndian.Uint32(h[22:])
	clear(h[22:26])
	crc := crcUpdate(crcUpdate(crcUpdate(0, h), lacing), body)
	binary.LittleEndian.PutUint32(h[22:], want)
	if crc != want {
		return wrapf(ErrBadCRC, "page %d of stream %#x", binary.LittleEndian.Uint32(h[18:]), binary.LittleEndian.Uint32(h[14:]))
	}
	r.pg = page{
		flags:   h[5],
		granule: binary.LittleEndian.Uint64(h[6:]),
		serial:  binary.LittleEndian.Uint32(h[14:]),
		seq:     binary.LittleEndian.Uint32(h[18:]),
		lacing:  lacing,
		body:    body,
	}
	return nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// firstPacket returns the part of the current page's body that belongs to
// its first packet (all of its segments on this page).
func (r *Reader) firstPacket() []byte {
	n := 0
	for _, l := range r.pg.lacing {
		n += int(l)
		if l < 255 {
			break
		}
	}
	return r.pg.body[:n]
}

// takePage splits the current page, one of the Opus stream, into packets:
// it completes a packet continued from earlier pages, queues the packets
// that end on this page, and keeps the start of one that continues.
func (r *Reader) takePage() error {
	pg := &r.pg
	if pg.seq != r.nextSeq {
		return wrapf(ErrInvalid, "page %d where %d was expected (lost page)", pg.seq, r.nextSeq)
	}
	r.nextSeq++
	if pg.flags&flagBOS != 0 {
		return wrapf(ErrInvalid, "beginning-of-stream flag on page %d", pg.seq)
	}
	if continued := pg.flags&flagContinued != 0; continued != r.inPacket {
		if continued {
			return wrapf(ErrInvalid, "page %d continues a packet that was not started", pg.seq)
		}
		return wrapf(ErrInvalid, "page %d does not continue the unfinished packet", pg.seq)
	}
	r.queue, r.next = r.queue[:0], 0
	start, off := 0, 0 // the current packet's bytes on this page: body[start:off]
	for i, l := range pg.lacing {
		off += int(l)
		if err := r.checkSize(len(r.partial) + off - start); err != nil {
			return err
		}
		if l == 255 {
			continue
		}
		// A packet ends here.
		var data []byte
		if len(r.partial) == 0 {
			data = r.appendPartial(nil, pg.body[start:off])
		} else {
			data = r.appendPartial(make([]byte, 0, len(r.partial)+off-start), r.partial)
			data = r.appendPartial(data, pg.body[start:off])
			r.partial = r.partial[:0]
		}
		start = off
		if r.tags {
			if i != len(pg.lacing)-1 {
				return wrapf(ErrInvalid, "audio data on the page that ends the comment header")
			}
			t, err := parseTags(data, r.truncated)
			if err != nil {
				return err
			}
			r.tagsRead, r.tags = t, false
			continue
		}
		r.queue = append(r.queue, queued{data: data})
	}
	if n := len(pg.lacing); n > 0 {
		r.inPacket = pg.lacing[n-1] == 255
	}
	if r.inPacket {
		r.partial = r.appendPartial(r.partial, pg.body[start:])
	}
	if pg.flags&flagEOS != 0 {
		r.eos = true
	}
	if !r.tags {
		r.assignGranules(pg.granule, pg.flags&flagEOS != 0)
	}
	return nil
}

// checkSize rejects an audio packet that grows past MaxPacketSize, and
// notes a comment header that grows past maxTagsSize.
func (r *Reader) checkSize(n int) error {
	if r.tags {
		if n > maxTagsSize {
			r.truncated = true
		}
		return nil
	}
	if n > MaxPacketSize {
		return wrapf(ErrInvalid, "packet larger than %d bytes", MaxPacketSize)
	}
	return nil
}

// appendPartial appends b to dst, keeping at most maxTagsSize bytes when
// reading a comment header (audio packets were bounded by checkSize).
func (r *Reader) appendPartial(dst, b []byte) []byte {
	if r.tags {
		b = b[:min(len(b), max(0, maxTagsSize-len(dst)))]
	}
	return append(dst, b...)
}

// assignGranules gives each queued packet the granule position at its end.
// On most pages that is counted back from the page's position, which is
// the one after its last packet. On the last page, whose position may cut
// the final packet short (end trimming), and on a page that lacks a
// position, it is counted on from the previous page.
func (r *Reader) assignGranules(gp uint64, eos bool) {
	q := r.queue
	if len(q) == 0 {
		return
	}
	if gp != noGranule && !eos {
		g := gp
		for i := len(q) - 1; i >= 0; i-- {
			q[i].granule = g
			g -= min(g, samples(q[i].data))
		}
	} else {
		g := r.lastGranule
		for i := range q {
			g += samples(q[i].data)
			q[i].granule = g
			if gp != noGranule {
				q[i].granule = min(g, gp)
			}
		}
		if gp != noGranule {
			q[len(q)-1].granule = gp
		}
	}
	r.lastGranule = q[len(q)-1].granule
}

// samples is the duration of an Opus packet in 48 kHz samples, 0 if the
// packet is malformed.
func samples(p []byte) uint64 {
	d, err := opus.PacketDuration(p)
	if err != nil {
		return 0
	}
	return uint64(opus.Samples(d))
}
