//go:build !chanrtc_nomedia

package transport

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// FuzzReceptionReport feeds the RFC 3550 reception statistics a remote
// stream's packets in any order — sequence jumps and wraps, timestamps
// anywhere, SSRC changes, reports at any time — and checks each Receiver
// Report block: it marshals, the extended highest sequence number never
// goes back while the source stays the same, the cumulative loss fits its
// 24 bits, and the delay since the last Sender Report is the time that
// passed (DLSR). The Sender's RTT from such a block is never negative.
//
// Layout: 8-byte records: flags, seq step (int16), timestamp step
// (int16), arrival step in ms, reserved (2 bytes). flags&1 starts a new
// SSRC, flags&2 sends a report after the packet, flags&4 records a
// Sender Report arrival.
func FuzzReceptionReport(f *testing.F) {
	rec := func(flags byte, seq, ts int16, ms byte) []byte {
		b := make([]byte, 8)
		b[0] = flags
		binary.BigEndian.PutUint16(b[1:], uint16(seq))
		binary.BigEndian.PutUint16(b[3:], uint16(ts))
		b[5] = ms
		return b
	}
	var steady, lossy, wrap []byte
	for i := range 50 {
		steady = append(steady, rec(byte(i%10/9*2), 1, 960, 20)...)
		lossy = append(lossy, rec(byte(i%7/6*6), int16(1+i%3), 960, byte(20+i%5))...)
		wrap = append(wrap, rec(2, 1500, -3000, 1)...)
	}
	f.Add(steady)
	f.Add(lossy)
	f.Add(wrap)
	f.Add(append(rec(1, 0, 0, 0), rec(3, -5, 100, 30)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s receptionStats
		now := time.Unix(1_700_000_000, 0)
		seq, ts := uint16(65000), uint32(1<<32-100_000)
		ssrc := uint32(1)
		var srNTP uint64
		var srAt time.Time
		var lastExt uint32
		haveExt := false
		rtt := &Sender{cfg: SenderConfig{RTT: new(atomic.Int64)}}
		for ; len(data) >= 8; data = data[8:] {
			flags := data[0]
			if flags&1 != 0 {
				ssrc++
				haveExt = false
			}
			seq += binary.BigEndian.Uint16(data[1:])
			ts += uint32(int32(int16(binary.BigEndian.Uint16(data[3:]))))
			now = now.Add(time.Duration(data[5]) * time.Millisecond)
			s.update(RTPIn{SSRC: ssrc, Seq: seq, Timestamp: ts, PayloadType: 111, Arrival: now}, 48000)
			if flags&4 != 0 {
				srNTP, srAt = ntpTime(now), now
			}
			if flags&2 == 0 {
				continue
			}
			rep := s.report(now, srNTP, srAt)
			if rep.SSRC != ssrc {
				t.Fatalf("report about ssrc %d, stream is %d", rep.SSRC, ssrc)
			}
			if haveExt && rep.LastSequenceNumber < lastExt {
				t.Fatalf("extended highest sequence went back from %d to %d", lastExt, rep.LastSequenceNumber)
			}
			lastExt, haveExt = rep.LastSequenceNumber, true
			if rep.TotalLost > 0xffffff {
				t.Fatalf("cumulative loss %#x does not fit 24 bits", rep.TotalLost)
			}
			if !srAt.IsZero() {
				want := uint32(now.Sub(srAt).Seconds() * 65536)
				if rep.Delay != want || rep.LastSenderReport != uint32(srNTP>>16) {
					t.Fatalf("DLSR %d LSR %#x, want %d %#x", rep.Delay, rep.LastSenderReport, want, uint32(srNTP>>16))
				}
			}
			rr := rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{rep}}
			raw, err := rr.Marshal()
			if err != nil {
				t.Fatalf("report does not marshal: %v", err)
			}
			var back rtcp.ReceiverReport
			if err := back.Unmarshal(raw); err != nil || back.Reports[0] != rep {
				t.Fatalf("report does not survive the wire: %v %+v", err, back.Reports)
			}
			rtt.rtt(rep, now.Add(time.Duration(data[6])*time.Millisecond))
			if v := rtt.cfg.RTT.Load(); v < 0 {
				t.Fatalf("negative RTT %v", time.Duration(v))
			}
		}
	})
}
