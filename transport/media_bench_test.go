//go:build !chanrtc_nomedia

package transport

import (
	"testing"
	"time"

	"github.com/pion/srtp/v3"
)

// testKeys makes a pair of key sets as the two ends of one DTLS handshake
// would have: what one sends with, the other receives with.
func testKeys() (a, b SRTPKeys) {
	k := func(n byte, l int) []byte {
		out := make([]byte, l)
		for i := range out {
			out[i] = n + byte(i)
		}
		return out
	}
	keys := srtp.SessionKeys{LocalMasterKey: k(1, 16), LocalMasterSalt: k(2, 12), RemoteMasterKey: k(3, 16), RemoteMasterSalt: k(4, 12)}
	a = SRTPKeys{profile: srtp.ProtectionProfileAeadAes128Gcm, keys: keys}
	b = a
	b.keys = srtp.SessionKeys{LocalMasterKey: keys.RemoteMasterKey, LocalMasterSalt: keys.RemoteMasterSalt,
		RemoteMasterKey: keys.LocalMasterKey, RemoteMasterSalt: keys.LocalMasterSalt}
	return a, b
}

// captureConn keeps the last packet written.
type captureConn struct{ last []byte }

func (c *captureConn) Write(b []byte) (int, error) {
	c.last = append(c.last[:0], b...)
	return len(b), nil
}

type onePayload struct{}

func (onePayload) Packetize(frame []byte, emit func([]byte, bool)) error {
	emit(frame, true)
	return nil
}

func newBenchSender(b testing.TB, keys SRTPKeys, conn MediaConn) *Sender {
	s := NewSender(SenderConfig{SSRC: 1234, PayloadType: 102, ClockRate: 90000, MID: "0", MIDExtID: 4,
		Packetizer: onePayload{}, Conn: conn, Keys: keys})
	enc, err := keys.Encrypter()
	if err != nil {
		b.Fatal(err)
	}
	s.enc = enc
	return s
}

// BenchmarkSRTPSend: one 1,200-byte payload through the sender's send
// path: history, RTP header with the mid extension, SRTP (AES-GCM).
func BenchmarkSRTPSend(b *testing.B) {
	ka, _ := testKeys()
	conn := &captureConn{}
	s := newBenchSender(b, ka, conn)
	payload := make([]byte, 1200)
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		s.send(102, payload, 0, true, now)
	}
}

// BenchmarkSRTPReceive: one protected packet through the router (header,
// SRTP check and decrypt, route by SSRC) into a receiver's queue, and the
// receiver taking it off again.
func BenchmarkSRTPReceive(b *testing.B) {
	ka, kb := testKeys()
	conn := &captureConn{}
	s := newBenchSender(b, ka, conn)
	m := NewMedia(nil)
	dec, err := kb.Decrypter()
	if err != nil {
		b.Fatal(err)
	}
	m.dec = dec
	r := NewReceiver(ReceiverConfig{MID: "0", MIDExtID: 4, Video: true, SSRCs: []uint32{1234},
		Codecs: []ReceiverCodec{{PayloadType: 102, ClockRate: 90000, Jitter: anyStart{}}}})
	m.handle(addReceiver{r: r})
	payload := make([]byte, 1200)
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		s.send(102, payload, 0, true, now)
		pkt := append(getPacket(packetSize)[:0], conn.last...) // as the mux reads it
		if !m.packet(pkt, now) {
			b.Fatal("the receiver did not take the packet")
		}
		p := <-r.in
		putPacket(p.buf)
	}
}

type anyStart struct{}

func (anyStart) IsKeyframe([]byte) bool   { return true }
func (anyStart) IsFrameStart([]byte) bool { return true }
