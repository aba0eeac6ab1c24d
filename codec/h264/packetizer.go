package h264

import (
	"errors"
	"fmt"
)

// DefaultMTU is the payload size limit a zero [Packetizer] uses: the figure
// browsers use, which leaves room for RTP and SRTP headers, header
// extensions and a TURN relay's framing within common path MTUs.
const DefaultMTU = 1200

// minMTU is the smallest payload size limit that can carry any NAL unit: an
// FU-A needs two header bytes and one byte of data.
const minMTU = 3

var (
	// ErrInvalidNAL is returned by [Packetizer.Packetize] for an access unit
	// holding a NAL unit whose type is reserved by H.264 or RFC 6184 (0 and
	// 24 to 31); such a unit would be misread by the receiver.
	ErrInvalidNAL = errors.New("h264: NAL unit type not allowed in an access unit")
	// ErrInvalidMTU is returned by [Packetizer.Packetize] when MTU is too
	// small to carry a fragment (less than 3 bytes).
	ErrInvalidMTU = errors.New("h264: MTU too small")
)

// Packetizer splits access units into RTP payloads of packetization-mode 1
// (RFC 6184 §6.3). Its zero value is ready to use with a [DefaultMTU] limit.
// A Packetizer is not safe for concurrent use.
type Packetizer struct {
	// MTU is the largest payload, in bytes, that Packetize emits. Zero or
	// negative means DefaultMTU.
	MTU int

	buf []byte // STAP-A and FU-A payloads are built here
}

// Packetize splits the Annex-B access unit au into RTP payloads no larger
// than p.MTU and calls emit for each, in order; marker is true for the last
// payload of the access unit, the one whose RTP marker bit must be set.
//
//   - A NAL unit that fits goes alone in a single NAL unit packet, unless the
//     next ones fit with it in one STAP-A (parameter sets, SEI, small
//     slices).
//   - A NAL unit larger than MTU is split into FU-A fragments of nearly
//     equal size.
//   - Access unit delimiters are dropped, as browsers do.
//
// The payload given to emit is only valid during the call; it may alias au.
// An access unit with no NAL unit (other than delimiters) emits nothing.
// Packetize checks the whole access unit before emitting anything: on error
// nothing was emitted. After the first calls it does not allocate.
func (p *Packetizer) Packetize(au []byte, emit func(payload []byte, marker bool)) error {
	mtu := p.MTU
	if mtu <= 0 {
		mtu = DefaultMTU
	}
	for rest := au; len(rest) > 0; {
		var nal []byte
		nal, rest = nextNonEmptyNAL(rest)
		if t := NALType(nal); len(nal) > 0 && (t == 0 || t >= NALUSTAPA) {
			return fmt.Errorf("%w: type %d", ErrInvalidNAL, t)
		}
		if len(nal) > mtu && mtu < minMTU && NALType(nal) != NALUAUD {
			return fmt.Errorf("%w: %d bytes", ErrInvalidMTU, mtu)
		}
	}

	nal, rest := p.next(au)
	for nal != nil {
		var next []byte
		next, rest = p.next(rest)
		if len(nal) > mtu {
			p.fragment(nal, mtu, next == nil, emit)
			nal = next
			continue
		}
		// Aggregate nal with as many following NAL units as fit.
		if len(nal) > 0xffff || !p.fits(3+len(nal), next, mtu) {
			emit(nal, next == nil)
			nal = next
			continue
		}
		hdr := nal[0] & 0x80 // F: set if any aggregated unit has it
		nri := nal[0] & 0x60 // NRI: the highest of the aggregated units
		b := append(p.buf[:0], NALUSTAPA)
		b = appendAggregationUnit(b, nal)
		for p.fits(len(b), next, mtu) {
			hdr |= next[0] & 0x80
			nri = max(nri, next[0]&0x60)
			b = appendAggregationUnit(b, next)
			next, rest = p.next(rest)
		}
		b[0] = hdr | nri | NALUSTAPA
		p.buf = b
		emit(b, next == nil)
		nal = next
	}
	return nil
}

// next returns the next NAL unit to send, skipping empty units and access
// unit delimiters, and nil when there is none.
func (p *Packetizer) next(b []byte) (nal, rest []byte) {
	for {
		nal, b = nextNonEmptyNAL(b)
		if nal == nil || NALType(nal) != NALUAUD {
			return nal, b
		}
	}
}

// fits reports whether next can be added to a STAP-A of size bytes so far
// without exceeding mtu. The 16-bit size field bounds each unit too.
func (p *Packetizer) fits(size int, next []byte, mtu int) bool {
	return next != nil && len(next) <= 0xffff && size+2+len(next) <= mtu
}

func appendAggregationUnit(b, nal []byte) []byte {
	b = append(b, byte(len(nal)>>8), byte(len(nal)))
	return append(b, nal...)
}

// fragment emits nal, which is larger than mtu, as FU-A fragments (RFC 6184
// §5.8) of nearly equal size; last says whether nal ends the access unit.
func (p *Packetizer) fragment(nal []byte, mtu int, last bool, emit func([]byte, bool)) {
	indicator := nal[0]&0xe0 | NALUFUA
	typ := nal[0] & 0x1f
	data := nal[1:]
	room := mtu - 2
	n := (len(data) + room - 1) / room // fragments
	size, extra := len(data)/n, len(data)%n
	for i := range n {
		k := size
		if i < extra {
			k++
		}
		fu := typ
		if i == 0 {
			fu |= 0x80 // S
		}
		if i == n-1 {
			fu |= 0x40 // E
		}
		b := append(p.buf[:0], indicator, fu)
		b = append(b, data[:k]...)
		data = data[k:]
		p.buf = b
		emit(b, last && i == n-1)
	}
}
