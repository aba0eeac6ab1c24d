package main

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/pion/rtp"
)

// media: one H.264 video track between two processes, SRTP on; the
// offerer writes RTP packets with 1200-byte payloads (WriteRTP), the
// answerer reads them (ReadRTP), once at a fixed rate and once flat out.
// Packets are shaped as H.264 FU-A fragments of 100-packet frames with a
// keyframe every 100 frames and wall-clock timestamps, so that a receiver
// that parses what it forwards sees plausible video.

const (
	mediaRate         = 10000 // packets per second, the fixed-rate case
	mediaPayload      = 1200
	packetsPerFrame   = 100
	framesPerKeyframe = 100
)

type mediaCase struct {
	name string
	rate float64 // 0: flat out
}

var mediaCases = []mediaCase{
	{"RTP 10k pkt/s", mediaRate},
	{"RTP flat out", 0},
}

func runMedia(o options, r *results) {
	for round := 1; round <= o.rounds; round++ {
		for _, c := range mediaCases {
			for _, impl := range impls {
				progress("media round %d/%d %s %s", round, o.rounds, impl, c.name)
				res, err := runPair(impl, o.duration+90*time.Second, "-mode", "media",
					"-rate", strconv.FormatFloat(c.rate, 'f', -1, 64), "-d", o.duration.String())
				if err != nil {
					r.note("media %s %s round %d failed: %v", c.name, impl, round, err)
					continue
				}
				got, sent := res.answer.Vals["pkts"], res.offer.Vals["sent"]
				tried := sent + res.offer.Vals["refused"]
				if got == 0 || sent == 0 {
					r.note("media %s %s round %d: %v packets sent, %v received", c.name, impl, round, sent, got)
					continue
				}
				if span := res.answer.Vals["span"]; span > 0 {
					r.add("media", c.name+": packets/s received", impl, got/span)
				}
				r.add("media", c.name+": delivered / written", impl, got/tried)
				r.add("media", c.name+": sender CPU s per 100k sent", impl, res.offerCPU/sent*1e5)
				r.add("media", c.name+": receiver CPU s per 100k received", impl, res.answerCPU/got*1e5)
				if refused := res.offer.Vals["refused"]; refused > 0 {
					r.note("media %s %s round %d: the sender refused %.0f writes (queue full)", c.name, impl, round, refused)
				}
			}
		}
	}
	r.note("media: %v per run, %d-byte payloads; flat out retries a refused write after runtime.Gosched (chanrtc's WriteRTP refuses when its queue is full; pion's blocks); CPU is the whole process (setup included)",
		o.duration, mediaPayload)
}

// media connects with a video track and a DataChannel (whose opening says
// the connection is up), then writes RTP for d at rate packets per second,
// or as fast as the sender takes them when rate is 0.
func (o offerer) media(rate float64, d time.Duration) (msg, error) {
	p, _, w, err := o.connect(false, nil, true)
	if err != nil {
		return msg{}, err
	}
	defer p.Close()
	g := &rtpGen{payload: make([]byte, mediaPayload)}
	// The sender may start a moment after the connection opens.
	for wait := time.Now().Add(5 * time.Second); ; {
		err := w.WriteRTP(g.next())
		if err == nil {
			break
		}
		if !errors.Is(err, errBusy) || time.Now().After(wait) {
			return msg{}, fmt.Errorf("the track does not send: %w", err)
		}
		time.Sleep(time.Millisecond)
	}
	var sent, refused float64 = 1, 0
	start := time.Now()
	for {
		el := time.Since(start)
		if el >= d {
			break
		}
		due := int(rate * el.Seconds())
		if rate == 0 {
			due = int(sent) + 64
		}
		for int(sent+refused) < due && time.Since(start) < d {
			pkt := g.next()
			err := w.WriteRTP(pkt)
			for rate == 0 && errors.Is(err, errBusy) && time.Since(start) < d {
				runtime.Gosched() // flat out: the same packet again
				err = w.WriteRTP(pkt)
			}
			switch {
			case err == nil:
				sent++
			case errors.Is(err, errBusy):
				refused++
			default:
				return msg{}, fmt.Errorf("WriteRTP: %w", err)
			}
		}
		if rate > 0 {
			time.Sleep(500 * time.Microsecond)
		}
	}
	time.Sleep(300 * time.Millisecond) // the last packets on their way
	return msg{Vals: map[string]float64{"sent": sent, "refused": refused}}, nil
}

// rtpGen makes the packets: each call returns a new packet with its own
// payload, as a forwarder has from ReadRTP (a stack may keep it).
type rtpGen struct {
	payload []byte
	seq     uint16
	n       int
	start   time.Time
	ts      uint32
}

func (g *rtpGen) next() *rtp.Packet {
	if g.start.IsZero() {
		g.start = time.Now()
	}
	i := g.n % packetsPerFrame
	frame := g.n / packetsPerFrame
	if i == 0 {
		g.ts = uint32(time.Since(g.start) * 90000 / time.Second)
	}
	g.n++
	g.seq++
	nal := byte(1) // non-IDR slice
	if frame%framesPerKeyframe == 0 {
		nal = 5 // IDR slice
	}
	fu := nal
	switch i {
	case 0:
		fu |= 0x80 // start
	case packetsPerFrame - 1:
		fu |= 0x40 // end
	}
	payload := make([]byte, len(g.payload))
	copy(payload[2:], g.payload[2:])
	payload[0], payload[1] = 0x60|28, fu // FU-A, NRI 3
	return &rtp.Packet{
		Header:  rtp.Header{Version: 2, SequenceNumber: g.seq, Timestamp: g.ts, Marker: i == packetsPerFrame-1},
		Payload: payload,
	}
}
