package h264

import (
	"bytes"
	"errors"
	"io"
)

// ErrTooLarge is returned by [Reader.Next] when a NAL unit or an access unit
// exceeds [MaxAccessUnitSize].
var ErrTooLarge = errors.New("h264: access unit too large")

// MaxAccessUnitSize bounds the memory a [Reader] uses: a NAL unit or access
// unit larger than this is an error rather than a reason to keep reading.
// 16 MiB is far beyond the pictures of any stream fit for real-time use.
const MaxAccessUnitSize = 16 << 20

const readChunk = 32 << 10

// Reader reads an H.264 Annex-B elementary stream (a .h264 file) and returns
// it one access unit at a time.
//
// A new access unit begins at an access unit delimiter, at a sequence or
// picture parameter set, SEI or NAL unit of types 14 to 18 that follows a
// coded slice, and at a coded slice with first_mb_in_slice equal to 0 that
// follows a coded slice (H.264 7.4.1.2.3, without the comparisons of
// frame_num and picture order count that arbitrary slice order would need).
type Reader struct {
	r   io.Reader
	buf []byte // read buffer; buf[pos:] is not consumed yet
	pos int    // start of the NAL unit being scanned
	// scan is where the search for the next start code resumes, relative to
	// the start of buf; everything in buf[pos:scan] holds no start code.
	scan  int
	eof   bool  // r returned io.EOF
	err   error // read error; the whole NAL units read before it come first
	fatal error // returned by every later call to Next

	au     []byte // access unit being assembled, Annex-B, 4-byte start codes
	hasVCL bool   // au holds a coded slice
}

// NewReader returns a Reader that reads the Annex-B stream r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r}
}

// Next returns the next access unit, in Annex-B form with four-byte start
// codes. The returned slice belongs to the caller. At the end of the stream
// Next returns io.EOF; a read error from the underlying reader is returned
// once the access units read before it have been returned.
func (r *Reader) Next() ([]byte, error) {
	if r.fatal != nil {
		return nil, r.fatal
	}
	for {
		nal, err := r.nextNAL()
		if err == io.EOF && len(r.au) > 0 {
			return r.take(nil), nil
		}
		if err != nil {
			// A read error may have cut the access unit being assembled
			// short: drop it rather than return it as if it were whole.
			r.fatal, r.au, r.buf = err, nil, nil
			return nil, err
		}
		if len(nal) == 0 {
			continue
		}
		if len(r.au) > 0 && r.startsAU(nal) {
			return r.take(nal), nil
		}
		if len(r.au)+4+len(nal) > MaxAccessUnitSize {
			r.fatal, r.au, r.buf = ErrTooLarge, nil, nil
			return nil, ErrTooLarge
		}
		r.au = AppendAnnexB(r.au, nal)
		r.hasVCL = r.hasVCL || isVCL(NALType(nal))
	}
}

// take returns the access unit assembled so far and starts the next one
// with nal, if any.
func (r *Reader) take(nal []byte) []byte {
	au := r.au
	r.au, r.hasVCL = nil, false
	if nal != nil {
		r.au = AppendAnnexB(make([]byte, 0, len(au)), nal)
		r.hasVCL = isVCL(NALType(nal))
	}
	return au
}

// startsAU reports whether nal begins a new access unit, given what r.au
// already holds.
func (r *Reader) startsAU(nal []byte) bool {
	switch t := NALType(nal); {
	case t == NALUAUD:
		return true
	case t == NALUSEI, t == NALUSPS, t == NALUPPS, t >= 14 && t <= 18:
		return r.hasVCL
	case isVCL(t):
		// first_mb_in_slice is the first ue(v) of the slice header; it is
		// 0 exactly when the first bit after the NAL header is 1.
		return r.hasVCL && len(nal) > 1 && nal[1]&0x80 != 0
	}
	return false
}

// nextNAL returns the next NAL unit of the stream, possibly empty, with its
// start code and trailing zero bytes removed. It is valid until the next
// call. At the end of the stream it returns io.EOF or the read error.
func (r *Reader) nextNAL() ([]byte, error) {
	for {
		if i := bytes.Index(r.buf[r.scan:], startCode[1:]); i >= 0 {
			end := r.scan + i
			nal := trimZeros(r.buf[r.pos:end])
			r.pos = end + 3
			r.scan = r.pos
			return nal, nil
		}
		// No start code in buf[pos:]; the last two bytes may begin one.
		r.scan = max(r.pos, len(r.buf)-2)
		if r.err != nil {
			return nil, r.err
		}
		if r.eof {
			if r.pos >= len(r.buf) {
				return nil, io.EOF
			}
			nal := trimZeros(r.buf[r.pos:])
			r.pos = len(r.buf)
			r.scan = r.pos
			return nal, nil
		}
		if len(r.buf)-r.pos > MaxAccessUnitSize {
			return nil, ErrTooLarge
		}
		r.fill()
	}
}

// fill reads more of the stream into buf, first moving the unconsumed bytes
// to the front. It sets eof or err when the stream ends.
func (r *Reader) fill() {
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:])
		r.buf = r.buf[:n]
		r.scan -= r.pos
		r.pos = 0
	}
	if cap(r.buf)-len(r.buf) < readChunk {
		nb := make([]byte, len(r.buf), 2*cap(r.buf)+readChunk)
		copy(nb, r.buf)
		r.buf = nb
	}
	for range 100 {
		n, err := r.r.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		switch {
		case err == io.EOF:
			r.eof = true
			return
		case err != nil:
			r.err = err
			return
		case n > 0:
			return
		}
	}
	r.err = io.ErrNoProgress
}

// Writer writes access units to an H.264 Annex-B elementary stream.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer that writes the Annex-B stream to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// WriteAU writes the Annex-B access unit au, each NAL unit with a four-byte
// start code, in one Write call. An access unit without NAL units writes
// nothing.
func (w *Writer) WriteAU(au []byte) error {
	w.buf = w.buf[:0]
	for len(au) > 0 {
		var nal []byte
		nal, au = nextNAL(au)
		if len(nal) > 0 {
			w.buf = AppendAnnexB(w.buf, nal)
		}
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	return err
}
