//go:build !chanrtc_nomedia

package transport

import (
	"time"

	"github.com/pion/rtcp"
)

// receptionStats is the RFC 3550 §6.4.1 / Appendix A.3 and A.8 bookkeeping
// of one remote source, for its Receiver Reports.
type receptionStats struct {
	ssrc        uint32
	pt          uint8
	started     bool
	baseSeq     uint32
	maxSeq      uint16
	cycles      uint32
	received    uint32
	expectPrior uint32
	recvPrior   uint32
	transit     int64
	jitter      float64 // in timestamp units
}

func (s *receptionStats) update(p RTPIn, clock uint32) {
	if !s.started || p.SSRC != s.ssrc {
		*s = receptionStats{ssrc: p.SSRC, pt: p.PayloadType, started: true, baseSeq: uint32(p.Seq), maxSeq: p.Seq}
	}
	s.pt = p.PayloadType
	s.received++
	if delta := p.Seq - s.maxSeq; delta < 0x8000 && delta != 0 {
		if p.Seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = p.Seq
	}
	if clock == 0 {
		return
	}
	arrival := int64(float64(p.Arrival.UnixNano()) * float64(clock) / 1e9)
	transit := arrival - int64(p.Timestamp)
	if s.transit != 0 {
		d := transit - s.transit
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.transit = transit
}

func (s *receptionStats) report(now time.Time, srNTP uint64, srAt time.Time) rtcp.ReceptionReport {
	extMax := s.cycles + uint32(s.maxSeq)
	expected := extMax - s.baseSeq + 1
	lost := int64(expected) - int64(s.received)
	expInterval := expected - s.expectPrior
	recvInterval := s.received - s.recvPrior
	s.expectPrior, s.recvPrior = expected, s.received
	var fraction uint8
	if lostInterval := int64(expInterval) - int64(recvInterval); expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / int64(expInterval))
	}
	lost = max(min(lost, 0x7fffff), -0x800000)
	rep := rtcp.ReceptionReport{
		SSRC:               s.ssrc,
		FractionLost:       fraction,
		TotalLost:          uint32(lost) & 0xffffff,
		LastSequenceNumber: extMax,
		Jitter:             uint32(s.jitter),
	}
	if !srAt.IsZero() {
		rep.LastSenderReport = uint32(srNTP >> 16)
		rep.Delay = uint32(now.Sub(srAt).Seconds() * 65536)
	}
	return rep
}
