package h264

import (
	"errors"
	"fmt"
)

var (
	// ErrBrokenFrame is returned by [Depacketizer.Depacketize] when the
	// payloads of a frame do not form whole NAL units: an FU-A sequence
	// without its start or its end, one interrupted by another packet or
	// changing NAL type midway, or a truncated STAP-A. It usually means a
	// packet was lost; the receiver should request a keyframe.
	ErrBrokenFrame = errors.New("h264: broken frame")
	// ErrUnsupported is returned for payload types of the interleaved
	// packetization mode (STAP-B, MTAP16, MTAP24, FU-B).
	ErrUnsupported = errors.New("h264: unsupported RTP payload type")
	// ErrNoParameterSets is returned when a frame holds an IDR picture but
	// neither it nor any earlier frame brought a sequence and a picture
	// parameter set, so no decoder can decode it. The receiver should
	// request a keyframe.
	ErrNoParameterSets = errors.New("h264: IDR picture without parameter sets")
)

// Depacketizer rebuilds access units from RTP payloads of packetization
// mode 1. It remembers the latest sequence and picture parameter sets it has
// seen, to put them in front of IDR pictures that arrive without them. The
// zero value is ready to use; a Depacketizer is not safe for concurrent use.
type Depacketizer struct {
	sps, pps []byte // latest parameter sets seen; empty until one is
}

// frameInfo is what the checking pass of Depacketize learns about a frame.
type frameInfo struct {
	idr, sps, pps bool // the frame holds an IDR slice, an SPS, a PPS
}

// Depacketize appends to dst the Annex-B access unit (four-byte start codes)
// carried by payloads, the RTP payloads of one frame (all packets with the
// same timestamp, in sequence number order), and returns the extended
// slice. keyframe reports whether the access unit holds an IDR picture.
//
// When the frame holds an IDR picture but no SPS or no PPS, the latest ones
// seen in earlier frames are put before the first IDR slice (a missing SPS
// before the frame's own PPS, if it has one); if there are
// none, the error is [ErrNoParameterSets] (the parameter sets the frame
// does carry are still remembered). A frame whose payloads do not form whole
// NAL units gives [ErrBrokenFrame]; payloads of the interleaved mode give
// [ErrUnsupported], and nothing is remembered from such a frame. On error,
// dst is returned with its length unchanged.
//
// Empty payloads and NAL units of reserved types (0, 30, 31) are ignored,
// as RFC 6184 asks; a frame made only of those yields dst unchanged and no
// error. Once dst has room and the parameter sets have been seen,
// Depacketize does not allocate.
func (d *Depacketizer) Depacketize(dst []byte, payloads [][]byte) (au []byte, keyframe bool, err error) {
	info, err := checkFrame(payloads)
	if err != nil {
		return dst, false, err
	}
	needSPS := info.idr && !info.sps
	needPPS := info.idr && !info.pps
	// Without parameter sets to insert, the frame is still read through
	// so that the ones it does carry are remembered, then dropped.
	noParams := (needSPS && len(d.sps) == 0) || (needPPS && len(d.pps) == 0)
	if noParams {
		needSPS, needPPS = false, false
	}

	au = dst
	// beginNAL is called before each NAL unit (header byte h) is written.
	// A missing SPS goes before the first PPS or IDR slice, a missing PPS
	// before the first IDR slice, so that each parameter set follows the
	// one it refers to.
	beginNAL := func(h byte) {
		t := int(h & 0x1f)
		if needSPS && (t == NALUIDR || t == NALUPPS) {
			au = AppendAnnexB(au, d.sps)
			needSPS = false
		}
		if needPPS && t == NALUIDR {
			au = AppendAnnexB(au, d.pps)
			needPPS = false
		}
		au = append(au, startCode...)
	}
	fuStart := -1 // offset in au of the NAL unit an FU-A is rebuilding
	for _, pl := range payloads {
		if len(pl) == 0 {
			continue
		}
		switch t := int(pl[0] & 0x1f); {
		case t >= 1 && t <= 23:
			beginNAL(pl[0])
			au = append(au, pl...)
			d.remember(pl)
		case t == NALUSTAPA:
			for b := pl[1:]; len(b) > 0; {
				n := int(b[0])<<8 | int(b[1])
				nal := b[2 : 2+n]
				b = b[2+n:]
				if reserved(NALType(nal)) {
					continue
				}
				beginNAL(nal[0])
				au = append(au, nal...)
				d.remember(nal)
			}
		case t == NALUFUA:
			h := pl[0]&0xe0 | pl[1]&0x1f
			if pl[1]&0x80 != 0 { // S
				if reserved(int(h & 0x1f)) {
					fuStart = -2 // rebuild nothing
					continue
				}
				beginNAL(h)
				fuStart = len(au)
				au = append(au, h)
			}
			if fuStart >= 0 {
				au = append(au, pl[2:]...)
				if pl[1]&0x40 != 0 { // E
					d.remember(au[fuStart:])
				}
			}
		}
	}
	if noParams {
		return dst, false, ErrNoParameterSets
	}
	return au, info.idr, nil
}

// remember keeps nal if it is a parameter set, reusing the buffers.
func (d *Depacketizer) remember(nal []byte) {
	switch NALType(nal) {
	case NALUSPS:
		d.sps = append(d.sps[:0], nal...)
	case NALUPPS:
		d.pps = append(d.pps[:0], nal...)
	}
}

// reserved reports whether t is a NAL unit type a receiver ignores
// (RFC 6184 §5.2, Table 3).
func reserved(t int) bool { return t == 0 || t == 30 || t == 31 }

// checkFrame validates the structure of payloads without writing anything,
// so that Depacketize can fail without side effects, and learns which
// parameter sets the frame carries.
func checkFrame(payloads [][]byte) (frameInfo, error) {
	var info frameInfo
	note := func(t int) {
		switch t {
		case NALUIDR:
			info.idr = true
		case NALUSPS:
			info.sps = true
		case NALUPPS:
			info.pps = true
		}
	}
	fuType := -1 // type of the NAL unit an FU-A sequence is carrying
	for i, pl := range payloads {
		if len(pl) == 0 {
			continue
		}
		t := int(pl[0] & 0x1f)
		if t != NALUFUA && fuType >= 0 && !reserved(t) {
			return info, fmt.Errorf("%w: FU-A without end (packet %d is type %d)", ErrBrokenFrame, i, t)
		}
		switch {
		case reserved(t):
		case t <= 23:
			note(t)
		case t == NALUSTAPA:
			b := pl[1:]
			if len(b) == 0 {
				return info, fmt.Errorf("%w: empty STAP-A (packet %d)", ErrBrokenFrame, i)
			}
			for len(b) > 0 {
				if len(b) < 2 {
					return info, fmt.Errorf("%w: truncated STAP-A (packet %d)", ErrBrokenFrame, i)
				}
				n := int(b[0])<<8 | int(b[1])
				if n == 0 || 2+n > len(b) {
					return info, fmt.Errorf("%w: STAP-A unit of %d bytes (packet %d)", ErrBrokenFrame, n, i)
				}
				nt := int(b[2] & 0x1f)
				if nt >= NALUSTAPA && !reserved(nt) {
					return info, fmt.Errorf("%w: type %d inside STAP-A (packet %d)", ErrBrokenFrame, nt, i)
				}
				note(nt)
				b = b[2+n:]
			}
		case t == NALUFUA:
			if len(pl) < 2 {
				return info, fmt.Errorf("%w: FU-A without header (packet %d)", ErrBrokenFrame, i)
			}
			start, end, ft := pl[1]&0x80 != 0, pl[1]&0x40 != 0, int(pl[1]&0x1f)
			if ft >= NALUSTAPA && !reserved(ft) {
				return info, fmt.Errorf("%w: FU-A of type %d (packet %d)", ErrBrokenFrame, ft, i)
			}
			switch {
			case start && fuType >= 0:
				return info, fmt.Errorf("%w: FU-A start before the end of the previous one (packet %d)", ErrBrokenFrame, i)
			case start:
				fuType = ft
				note(ft)
			case fuType < 0:
				return info, fmt.Errorf("%w: FU-A without start (packet %d)", ErrBrokenFrame, i)
			case ft != fuType:
				return info, fmt.Errorf("%w: FU-A changes NAL type from %d to %d (packet %d)", ErrBrokenFrame, fuType, ft, i)
			}
			if end {
				fuType = -1
			}
		default:
			return info, fmt.Errorf("%w: type %d (packet %d)", ErrUnsupported, t, i)
		}
	}
	if fuType >= 0 {
		return info, fmt.Errorf("%w: FU-A without end", ErrBrokenFrame)
	}
	return info, nil
}

// PayloadIsKeyframe reports whether an RTP payload carries an IDR slice or a
// sequence parameter set, whole or in part: a single NAL unit packet of one
// of those types, a STAP-A holding one, or an FU-A fragment of one. A
// jitter buffer uses it to find where decoding can start.
func PayloadIsKeyframe(payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	key := func(t int) bool { return t == NALUIDR || t == NALUSPS }
	switch t := int(payload[0] & 0x1f); t {
	case NALUSTAPA:
		for b := payload[1:]; len(b) >= 3; {
			n := int(b[0])<<8 | int(b[1])
			if n == 0 || 2+n > len(b) {
				return false
			}
			if key(int(b[2] & 0x1f)) {
				return true
			}
			b = b[2+n:]
		}
		return false
	case NALUFUA:
		return len(payload) >= 2 && key(int(payload[1]&0x1f))
	default:
		return key(t)
	}
}

// PayloadIsFrameStart reports whether an RTP payload can be the first packet
// of an access unit: a single NAL unit packet, a STAP-A, or the first
// fragment (S bit set) of an FU-A.
func PayloadIsFrameStart(payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	switch t := int(payload[0] & 0x1f); {
	case t >= 1 && t <= 23, t == NALUSTAPA:
		return true
	case t == NALUFUA:
		return len(payload) >= 2 && payload[1]&0x80 != 0
	}
	return false
}
