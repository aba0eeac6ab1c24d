//go:build !chanrtc_nomedia

package transport

import (
	"bytes"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// FuzzMediaPacket drives the inbound media path with what a remote can
// send after DTLS: datagrams that are raw bytes, or RTP/RTCP built from the
// input and protected with the remote's real SRTP keys (so they pass
// authentication and reach parsing, routing and feedback handling), or
// protected and then altered. Each datagram goes through the router
// (SRTP check, RTP header and extension parsing, routing by SSRC, mid and
// payload type, RTCP dispatch); what it hands on is run through the
// receiver (RTX unwrapping, reception statistics, jitter buffer, frames,
// reports, NACKs) and the sender (NACK retransmission, keyframe requests,
// RTT from reception reports).
//
// It checks that only authentic packets are ever delivered, each once;
// that signalled SSRCs and learned routes never move to another stream;
// that every NACKed sequence number is either resent or counted as
// unmatched; that the RTT is never negative; and that every datagram is
// accounted for in the router's counters.
//
// Layout: a run of datagrams, each a flag byte (flag%4: 0 raw, 1 SRTP,
// 2 SRTCP, 3 SRTP then one byte altered at flag>>2), a big-endian 2-byte
// length and that many bytes (fewer at the end).
func FuzzMediaPacket(f *testing.F) {
	for _, s := range mediaFuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newMediaHarness(t)
		for len(data) >= 3 {
			flag := data[0]
			n := min(int(data[1])<<8|int(data[2]), len(data)-3)
			body := data[3 : 3+n]
			data = data[3+n:]
			h.datagram(flag, body)
		}
		h.finish()
	})
}

// Fuzz harness identities: two remote streams (video with RTX and a mid
// extension, audio by payload type) and one local sender.
const (
	fuzzVideoSSRC = 0x11111111
	fuzzVideoRTX  = 0x22222222
	fuzzSendSSRC  = 0x55555555
	fuzzSendRTX   = 0x66666666
	fuzzMIDExt    = 3
)

// fuzzKeys returns our keys and the remote's: each side's local key is
// the other's remote key, as DTLS-SRTP derives them.
func fuzzKeys() (ours, theirs SRTPKeys) {
	k := srtp.SessionKeys{
		LocalMasterKey:   bytes.Repeat([]byte{1}, 16),
		LocalMasterSalt:  bytes.Repeat([]byte{2}, 14),
		RemoteMasterKey:  bytes.Repeat([]byte{3}, 16),
		RemoteMasterSalt: bytes.Repeat([]byte{4}, 14),
	}
	ours = SRTPKeys{profile: srtp.ProtectionProfileAes128CmHmacSha1_80, keys: k}
	theirs = ours
	theirs.keys.LocalMasterKey, theirs.keys.RemoteMasterKey = k.RemoteMasterKey, k.LocalMasterKey
	theirs.keys.LocalMasterSalt, theirs.keys.RemoteMasterSalt = k.RemoteMasterSalt, k.LocalMasterSalt
	return ours, theirs
}

// countConn counts what the actors under test write.
type countConn struct{ n int }

func (c *countConn) Write(b []byte) (int, error) { c.n++; return len(b), nil }

// joinAssembler concatenates a frame's payloads; an empty frame is broken.
type joinAssembler struct{}

func (joinAssembler) Depacketize(dst []byte, pls [][]byte) ([]byte, bool, error) {
	start := len(dst)
	for _, p := range pls {
		dst = append(dst, p...)
	}
	if len(dst) == start {
		return dst, false, errEmptyFrame
	}
	return dst, false, nil
}

var errEmptyFrame = errors.New("empty frame")

type mediaHarness struct {
	t         *testing.T
	m         *Media
	video     *Receiver
	audio     *Receiver
	sender    *Sender
	remote    *srtp.Context
	conn      countConn
	rtt       atomic.Int64
	now       time.Time
	sent      int      // datagrams handed to the router
	authentic [][]byte // plaintext RTP payloads the remote really sent
	delivered [][]byte // payloads handed to a receiver
	routes    map[uint32]*Receiver
}

func newMediaHarness(t *testing.T) *mediaHarness {
	ours, theirs := fuzzKeys()
	h := &mediaHarness{t: t, now: time.Unix(1_700_000_000, 0), routes: map[uint32]*Receiver{}}
	var err error
	if h.remote, err = theirs.Encrypter(); err != nil {
		t.Fatal(err)
	}
	h.m = NewMedia(nil)
	reply := make(chan error, 1)
	h.m.handle(mediaStart{keys: ours, reply: reply})
	if err := <-reply; err != nil {
		t.Fatal(err)
	}
	h.video = NewReceiver(ReceiverConfig{MID: "0", MIDExtID: fuzzMIDExt, Video: true, NACK: true, PLI: true,
		SSRCs: []uint32{fuzzVideoSSRC}, RTXSSRCs: []uint32{fuzzVideoRTX},
		Codecs: []ReceiverCodec{{PayloadType: 96, RTX: 97, ClockRate: 90000, Assembler: joinAssembler{}}},
		Conn:   &h.conn, Keys: ours, RTT: &h.rtt})
	h.audio = NewReceiver(ReceiverConfig{MID: "1", MIDExtID: fuzzMIDExt,
		Codecs: []ReceiverCodec{{PayloadType: 111, ClockRate: 48000, Assembler: joinAssembler{}}},
		Conn:   &h.conn, Keys: ours, RTT: &h.rtt})
	for _, r := range []*Receiver{h.video, h.audio} {
		if r.enc, err = ours.Encrypter(); err != nil {
			t.Fatal(err)
		}
		h.m.handle(addReceiver{r: r})
	}
	h.sender = NewSender(SenderConfig{SSRC: fuzzSendSSRC, RTXSSRC: fuzzSendRTX, PayloadType: 96, RTXType: 97,
		ClockRate: 90000, MID: "0", MIDExtID: fuzzMIDExt, Conn: &h.conn, Keys: ours, RTT: &h.rtt})
	if h.sender.enc, err = ours.Encrypter(); err != nil {
		t.Fatal(err)
	}
	h.sender.seq = 1000
	for i := range 40 { // a history for NACKs to hit: 1000..1039
		h.sender.send(96, []byte{byte(i), 1, 2, 3}, uint32(i)*3000, i%4 == 3, h.now)
	}
	h.m.handle(addSender{s: h.sender})
	return h
}

func (h *mediaHarness) datagram(flag byte, body []byte) {
	t := h.t
	var p []byte
	switch flag % 4 {
	case 0:
		p = slices.Clone(body)
	case 1, 3:
		var hdr rtp.Header
		n, err := hdr.Unmarshal(body)
		if err != nil {
			p = slices.Clone(body)
			break
		}
		out, err := h.remote.EncryptRTP(nil, body, nil)
		if err != nil {
			p = slices.Clone(body)
			break
		}
		p = out
		if flag%4 == 3 {
			p[int(flag>>2)%len(p)] ^= 0x5a // now it is not what was authenticated
		} else {
			h.authentic = append(h.authentic, slices.Clone(body[n:]))
		}
	case 2:
		out, err := h.remote.EncryptRTCP(nil, body, nil)
		if err != nil {
			p = slices.Clone(body)
			break
		}
		p = out
	}
	h.now = h.now.Add(time.Duration(flag) * time.Millisecond)
	h.m.packet(p, h.now)
	h.sent++
	h.drain()
	if got := h.m.Stats.PacketsIn.Load(); got != uint64(h.sent) {
		t.Fatalf("router counted %d packets in, handed %d", got, h.sent)
	}
}

// drain runs what the router handed on, as the actors' loops would.
func (h *mediaHarness) drain() {
	t := h.t
	for _, r := range []*Receiver{h.video, h.audio} {
		for len(r.in) > 0 {
			p := <-r.in
			h.checkDelivery(r, p)
			r.packet(p)
			r.flush(h.now)
		}
		for len(r.fb) > 0 {
			f := <-r.fb
			r.srNTP, r.srAt = f.sr.NTPTime, f.at
		}
		for len(r.frames) > 0 {
			<-r.frames
		}
		for len(r.rtpOut) > 0 {
			<-r.rtpOut
		}
		r.sendReport(h.now)
	}
	for len(h.sender.fb) > 0 {
		f := <-h.sender.fb
		before := h.sender.Retransmitted.Load() + h.sender.NACKsUnmatched.Load()
		asked := 0
		if f.nack != nil {
			for _, pair := range f.nack.Nacks {
				pair.Range(func(uint16) bool { asked++; return true })
			}
		}
		h.sender.feedback(f)
		if f.nack != nil {
			if after := h.sender.Retransmitted.Load() + h.sender.NACKsUnmatched.Load(); after-before != uint64(asked) {
				t.Fatalf("NACK for %d packets: %d resent or unmatched", asked, after-before)
			}
		}
		if rtt := h.rtt.Load(); rtt < 0 {
			t.Fatalf("negative RTT %v", time.Duration(rtt))
		}
	}
}

// checkDelivery holds a packet the router handed to r against what the
// remote really sent and where its stream was routed before.
func (h *mediaHarness) checkDelivery(r *Receiver, p RTPIn) {
	t := h.t
	i := slices.IndexFunc(h.authentic, func(a []byte) bool { return bytes.HasPrefix(a, p.Payload) })
	if i < 0 {
		t.Fatalf("delivered %d-byte payload from ssrc %#x that the remote never sent authentically", len(p.Payload), p.SSRC)
	}
	h.delivered = append(h.delivered, p.Payload)
	if len(h.delivered) > len(h.authentic) {
		t.Fatalf("%d packets delivered, %d authentic sent", len(h.delivered), len(h.authentic))
	}
	for _, other := range []*Receiver{h.video, h.audio} {
		if other != r && (slices.Contains(other.cfg.SSRCs, p.SSRC) || slices.Contains(other.cfg.RTXSSRCs, p.SSRC)) {
			t.Fatalf("ssrc %#x signalled for mid %s delivered to mid %s", p.SSRC, other.cfg.MID, r.cfg.MID)
		}
	}
	if prev, ok := h.routes[p.SSRC]; ok && prev != r {
		t.Fatalf("ssrc %#x moved from mid %s to mid %s", p.SSRC, prev.cfg.MID, r.cfg.MID)
	}
	h.routes[p.SSRC] = r
}

func (h *mediaHarness) finish() {
	st := &h.m.Stats
	if st.Replayed.Load() > st.Rejected.Load() {
		h.t.Fatalf("%d replays counted, more than %d rejected", st.Replayed.Load(), st.Rejected.Load())
	}
	var perStream uint64
	for _, r := range []*Receiver{h.video, h.audio} {
		perStream += r.Replayed.Load() + r.Unauthentic.Load()
	}
	if perStream > st.Rejected.Load() {
		h.t.Fatalf("streams counted %d refused packets, the router %d", perStream, st.Rejected.Load())
	}
}

// mediaFuzzSeeds are real traffic: RTP with the mid extension, RTX, audio
// found by payload type, and the RTCP a browser sends (SR, RR with a
// report about our stream, NACK, PLI, FIR), plus a replay, an alteration
// and an unauthenticated packet.
func mediaFuzzSeeds() [][]byte {
	dg := func(flag byte, b []byte) []byte {
		return append([]byte{flag, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	pkt := func(ssrc uint32, pt uint8, seq uint16, ts uint32, marker bool, mid string, payload []byte) []byte {
		p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: payload}
		if mid != "" {
			_ = p.Header.SetExtension(fuzzMIDExt, []byte(mid))
		}
		b, _ := p.Marshal()
		return b
	}
	rtcpOf := func(ps ...rtcp.Packet) []byte {
		b, _ := rtcp.Marshal(ps)
		return b
	}
	payload := bytes.Repeat([]byte{0xab}, 40)
	var video []byte
	for i := range 6 {
		video = append(video, dg(1, pkt(fuzzVideoSSRC, 96, uint16(10+i), uint32(i/2)*3000, i%2 == 1, "0", payload))...)
	}
	rtx := dg(1, pkt(fuzzVideoRTX, 97, 500, 3000, true, "0", append([]byte{0, 12}, payload...)))
	lossy := slices.Concat(video[:len(video)/2], dg(5, nil), rtx, video[len(video)/2:])
	var audio []byte
	for i := range 5 {
		audio = append(audio, dg(21, pkt(0x77777777, 111, uint16(60000+i*3000), uint32(i)*960, false, "", payload[:20]))...)
	}
	byMID := dg(1, pkt(0x88888888, 96, 1, 1, true, "0", payload))
	replay := slices.Concat(video[:len(video)/3], video[:len(video)/3])
	altered := dg(3|(30<<2), pkt(fuzzVideoSSRC, 96, 30, 9000, true, "0", payload))
	forged := dg(0, pkt(fuzzVideoSSRC, 96, 31, 9000, true, "0", payload))
	feedback := slices.Concat(
		dg(2, rtcpOf(&rtcp.SenderReport{SSRC: fuzzVideoSSRC, NTPTime: 0xe0000000_80000000, RTPTime: 3000, PacketCount: 6, OctetCount: 240,
			Reports: []rtcp.ReceptionReport{{SSRC: fuzzSendSSRC, LastSenderReport: 0x12345678, Delay: 0x10000}}})),
		dg(2, rtcpOf(&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{{SSRC: fuzzSendSSRC, FractionLost: 20, TotalLost: 3, LastSequenceNumber: 1039, LastSenderReport: 0xfff0, Delay: 1}}})),
		dg(2, rtcpOf(&rtcp.TransportLayerNack{SenderSSRC: 9, MediaSSRC: fuzzSendSSRC, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{1001, 1003, 1004, 1020, 2000})})),
		dg(2, rtcpOf(&rtcp.PictureLossIndication{SenderSSRC: 9, MediaSSRC: fuzzSendSSRC}, &rtcp.FullIntraRequest{SenderSSRC: 9, FIR: []rtcp.FIREntry{{SSRC: fuzzSendSSRC, SequenceNumber: 1}}})),
		dg(2, rtcpOf(&rtcp.TransportLayerNack{SenderSSRC: 9, MediaSSRC: fuzzSendRTX, Nacks: []rtcp.NackPair{{PacketID: 990, LostPackets: 0xffff}}})),
	)
	return [][]byte{video, lossy, audio, slices.Concat(byMID, video), replay, slices.Concat(video, altered, forged), feedback, slices.Concat(video, feedback, audio)}
}

// TestMediaFuzzSeedsReachTheirTargets runs all seeds as one stream and
// checks that the harness really gets packets through: otherwise the
// fuzzer would only ever exercise the SRTP refusal.
func TestMediaFuzzSeedsReachTheirTargets(t *testing.T) {
	h := newMediaHarness(t)
	for _, data := range mediaFuzzSeeds() {
		for len(data) >= 3 {
			n := min(int(data[1])<<8|int(data[2]), len(data)-3)
			h.datagram(data[0], data[3:3+n])
			data = data[3+n:]
		}
	}
	h.finish()
	st := &h.m.Stats
	checks := []struct {
		what string
		got  uint64
	}{
		{"video frames", h.video.FramesReceived.Load()},
		{"audio frames", h.audio.FramesReceived.Load()},
		{"RTCP packets", st.RTCPPackets.Load()},
		{"replays counted", h.video.Replayed.Load()},
		{"alterations counted", h.video.Unauthentic.Load()},
		{"retransmissions", h.sender.Retransmitted.Load()},
		{"unmatched NACKs", h.sender.NACKsUnmatched.Load()},
		{"keyframe requests", h.sender.KeyframeAsked.Load()},
		{"RTT", uint64(h.rtt.Load())},
	}
	for _, c := range checks {
		if c.got == 0 {
			t.Errorf("no %s", c.what)
		}
	}
	if len(h.routes) < 3 {
		t.Errorf("%d SSRCs routed, want the signalled, the RTX, the audio and the mid-learned ones", len(h.routes))
	}
}
