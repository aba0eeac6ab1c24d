package interop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// msg is one DataChannel message, as sent or as received.
type msg struct {
	text bool
	data []byte
}

func (m msg) String() string {
	kind := "binary"
	if m.text {
		kind = "text"
	}
	head := m.data
	if len(head) > 16 {
		head = head[:16]
	}
	return fmt.Sprintf("%s(%d bytes, starts %q)", kind, len(m.data), head)
}

const (
	bigMessage = 64 << 10
	// pionDefaultMaxMessageSize is what pion/webrtc v4 advertises in
	// a=max-message-size unless SettingEngine.SetSCTPMaxMessageSize says
	// otherwise.
	pionDefaultMaxMessageSize = 1073741823
	// chanrtcDefaultMaxMessageSize is chanrtc's Config.MaxMessageSize default.
	chanrtcDefaultMaxMessageSize = 1 << 20
)

// echoMessages is what the sending side sends: the edge cases first (text,
// binary, empty text, empty binary, 64 KiB binary), then 200 mixed
// messages, alternating text and binary, of varied sizes.
func echoMessages() []msg {
	rnd := rand.New(rand.NewPCG(7, 11))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	ms := []msg{
		{text: true, data: []byte("hello from the offerer ✓")},
		{text: false, data: []byte{0, 1, 2, 0x7f, 0x80, 0xfe, 0xff}},
		{text: true, data: []byte{}},
		{text: false, data: []byte{}},
		{text: false, data: randomBytes(bigMessage)},
	}
	const pattern = "héllo wörld ✓ 0123456789 abcdefghijklmnopqrstuvwxyz "
	for i := range 200 {
		var size int
		switch {
		case i%25 == 3:
			size = 0
		case i%17 == 5:
			size = 8<<10 + rnd.IntN(12<<10) // several SCTP fragments
		default:
			size = rnd.IntN(1500)
		}
		if i%2 == 0 {
			s := fmt.Sprintf("#%03d ", i) + strings.Repeat(pattern, size/len(pattern)+1)
			if size == 0 {
				s = ""
			} else {
				s = s[:size]
				for !utf8.ValidString(s) { // do not cut a rune in two
					s = s[:len(s)-1]
				}
			}
			ms = append(ms, msg{text: true, data: []byte(s)})
		} else {
			b := randomBytes(size)
			if size >= 2 {
				b[0], b[1] = byte(i>>8), byte(i)
			}
			ms = append(ms, msg{text: false, data: b})
		}
	}
	return ms
}

// expectEchoes checks that every message comes back intact, with the same
// type, in order.
func expectEchoes(t *testing.T, want []msg, got <-chan msg) {
	t.Helper()
	for i, w := range want {
		g := recv(t, got, fmt.Sprintf("echo #%d of %d (%s)", i, len(want), w))
		if g.text != w.text || !bytes.Equal(g.data, w.data) {
			t.Fatalf("echo #%d: sent %s, got back %s", i, w, g)
		}
	}
	select {
	case g := <-got:
		t.Fatalf("unexpected extra echo %s", g)
	default:
	}
}

func modeName(trickled bool) string {
	if trickled {
		return "trickle"
	}
	return "non-trickle"
}

// pionEcho makes pion echo every message on every channel the remote opens,
// with the same type.
func pionEcho(pc *webrtc.PeerConnection, errs asyncErrs, channels chan<- *webrtc.DataChannel) {
	pc.OnDataChannel(func(d *webrtc.DataChannel) {
		if channels != nil {
			channels <- d
		}
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			var err error
			if m.IsString {
				err = d.SendText(string(m.Data))
			} else {
				err = d.Send(m.Data)
			}
			if err != nil {
				errs.add("pion echo on %q: %v", d.Label(), err)
			}
		})
	})
}

// chanrtcEcho makes chanrtc echo every message on every channel the remote
// opens, with the same type.
func chanrtcEcho(pc *chanrtc.PeerConnection, errs asyncErrs, channels chan<- *chanrtc.DataChannel) {
	pc.OnDataChannel(func(d *chanrtc.DataChannel) {
		if channels != nil {
			channels <- d
		}
		d.OnMessage(func(m chanrtc.DataChannelMessage) {
			var err error
			if m.IsString {
				err = d.SendText(string(m.Data))
			} else {
				err = d.Send(m.Data)
			}
			if err != nil {
				errs.add("chanrtc echo on %q: %v", d.Label(), err)
			}
		})
	})
}

// collect returns a channel that a message callback feeds without ever
// blocking; an overflow is reported as an error.
func collect(n int, errs asyncErrs) (chan msg, func(text bool, data []byte)) {
	ch := make(chan msg, n)
	return ch, func(text bool, data []byte) {
		select {
		case ch <- msg{text: text, data: data}:
		default:
			errs.add("more messages than expected")
		}
	}
}

// TestEchoChanrtcOffers: chanrtc offers and creates "echo"; pion answers and
// echoes. chanrtc checks every echo.
func TestEchoChanrtcOffers(t *testing.T) {
	for _, trickled := range []bool{false, true} {
		t.Run(modeName(trickled), func(t *testing.T) {
			checkLeaks(t)
			pr := newPair(t)
			errs := newAsyncErrs()
			pionChannels := make(chan *webrtc.DataChannel, 1)
			pionEcho(pr.p, errs, pionChannels)

			dc, err := pr.c.CreateDataChannel("echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			opened := make(chan struct{})
			dc.OnOpen(func() { close(opened) })
			want := echoMessages()
			got, add := collect(len(want)+1, errs)
			dc.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })

			signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), trickled)
			pr.waitConnected(t)
			closedWithin(t, opened, "chanrtc DataChannel open")
			if s := dc.ReadyState(); s != chanrtc.DataChannelStateOpen {
				t.Fatalf("chanrtc ReadyState after OnOpen: %s", s)
			}

			pd := recv(t, pionChannels, "pion OnDataChannel")
			if pd.Label() != "echo" || !pd.Ordered() || pd.Negotiated() || pd.Protocol() != "" ||
				pd.MaxRetransmits() != nil || pd.MaxPacketLifeTime() != nil {
				t.Errorf("pion sees label %q ordered %v negotiated %v protocol %q maxRetransmits %v maxPacketLifeTime %v",
					pd.Label(), pd.Ordered(), pd.Negotiated(), pd.Protocol(), pd.MaxRetransmits(), pd.MaxPacketLifeTime())
			}
			if id, pid := dc.ID(), pd.ID(); id == nil || pid == nil || *id != *pid {
				t.Errorf("stream id: chanrtc %v, pion %v", id, pid)
			}
			// pion advertises a=max-message-size:1073741823 by default.
			if mms := dc.MaxMessageSize(); mms != pionDefaultMaxMessageSize {
				t.Fatalf("chanrtc MaxMessageSize %d, want pion's default %d", mms, pionDefaultMaxMessageSize)
			}

			for i, m := range want {
				if m.text {
					err = dc.SendText(string(m.data))
				} else {
					err = dc.Send(m.data)
				}
				if err != nil {
					t.Fatalf("chanrtc send #%d (%s): %v", i, m, err)
				}
			}
			expectEchoes(t, want, got)
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}

// TestEchoPionOffers: pion offers and creates "echo"; chanrtc answers and
// echoes. pion checks every echo.
func TestEchoPionOffers(t *testing.T) {
	for _, trickled := range []bool{false, true} {
		t.Run(modeName(trickled), func(t *testing.T) {
			checkLeaks(t)
			pr := newPair(t)
			errs := newAsyncErrs()
			chanrtcChannels := make(chan *chanrtc.DataChannel, 1)
			chanrtcEcho(pr.c, errs, chanrtcChannels)

			dc, err := pr.p.CreateDataChannel("echo", nil)
			if err != nil {
				t.Fatal(err)
			}
			opened := make(chan struct{})
			dc.OnOpen(func() { close(opened) })
			want := echoMessages()
			got, add := collect(len(want)+1, errs)
			dc.OnMessage(func(m webrtc.DataChannelMessage) { add(m.IsString, m.Data) })

			signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, trickled)
			pr.waitConnected(t)
			closedWithin(t, opened, "pion DataChannel open")

			cd := recv(t, chanrtcChannels, "chanrtc OnDataChannel")
			if cd.Label() != "echo" || !cd.Ordered() || cd.Negotiated() || cd.Protocol() != "" ||
				cd.MaxRetransmits() != nil || cd.MaxPacketLifeTime() != nil {
				t.Errorf("chanrtc sees label %q ordered %v negotiated %v protocol %q maxRetransmits %v maxPacketLifeTime %v",
					cd.Label(), cd.Ordered(), cd.Negotiated(), cd.Protocol(), cd.MaxRetransmits(), cd.MaxPacketLifeTime())
			}
			if id, pid := cd.ID(), dc.ID(); id == nil || pid == nil || *id != *pid {
				t.Errorf("stream id: chanrtc %v, pion %v", id, pid)
			}
			// What chanrtc advertised (1 MiB by default), as pion read it.
			if mms := pr.p.SCTP().GetCapabilities().MaxMessageSize; mms != chanrtcDefaultMaxMessageSize {
				t.Fatalf("pion sees max-message-size %d, want chanrtc's default %d", mms, chanrtcDefaultMaxMessageSize)
			}
			if mms := cd.MaxMessageSize(); mms != pionDefaultMaxMessageSize {
				t.Fatalf("chanrtc MaxMessageSize %d, want pion's default %d", mms, pionDefaultMaxMessageSize)
			}

			for i, m := range want {
				if m.text {
					err = dc.SendText(string(m.data))
				} else {
					err = dc.Send(m.data)
				}
				if err != nil {
					t.Fatalf("pion send #%d (%s): %v", i, m, err)
				}
			}
			expectEchoes(t, want, got)
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}
