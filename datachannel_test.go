//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// pair is two connected PeerConnections with an echoing answerer.
type pair struct {
	offerer, answerer *PeerConnection
}

// newEchoPair connects two PeerConnections; the answerer echoes every
// message on every channel the offerer opens. mk creates the offerer's
// channels before signalling.
func newEchoPair(t *testing.T, trickle bool) *pair {
	t.Helper()
	p := &pair{offerer: newTestPC(t), answerer: newTestPC(t)}
	p.answerer.OnDataChannel(func(dc *DataChannel) { echoOn(dc) })
	return p
}

func echoOn(dc *DataChannel) {
	dc.OnMessage(func(m DataChannelMessage) {
		if m.IsString {
			_ = dc.SendText(string(m.Data))
		} else {
			_ = dc.Send(m.Data)
		}
	})
}

func (p *pair) connect(t *testing.T, trickle bool) {
	t.Helper()
	if trickle {
		signalTrickle(t, p.offerer, p.answerer)
	} else {
		signalNonTrickle(t, p.offerer, p.answerer)
	}
}

// signalTrickle exchanges descriptions at once and candidates as they come.
func signalTrickle(t *testing.T, offerer, answerer *PeerConnection) {
	t.Helper()
	forward := func(from, to *PeerConnection) {
		from.OnICECandidate(func(c *ICECandidate) {
			init := ICECandidateInit{}
			if c != nil {
				init = c.ToJSON()
			}
			if err := to.AddICECandidate(init); err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("AddICECandidate: %v", err)
			}
		})
	}
	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	// The answerer must have the offer before candidates arrive, so set it
	// first and only then let the offerer gather.
	if err := answerer.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	forward(offerer, answerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if err := offerer.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	forward(answerer, offerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
}

// openChannel creates a channel on the offerer that records echoes.
type echoClient struct {
	dc     *DataChannel
	opened chan struct{}
	got    chan DataChannelMessage
}

func newEchoClient(t *testing.T, pc *PeerConnection, label string, init *DataChannelInit) *echoClient {
	t.Helper()
	dc, err := pc.CreateDataChannel(label, init)
	if err != nil {
		t.Fatal(err)
	}
	c := &echoClient{dc: dc, opened: make(chan struct{}), got: make(chan DataChannelMessage, 4096)}
	var once sync.Once
	dc.OnOpen(func() { once.Do(func() { close(c.opened) }) })
	dc.OnMessage(func(m DataChannelMessage) { c.got <- m })
	return c
}

func TestDataChannelModes(t *testing.T) {
	u16 := func(v uint16) *uint16 { return &v }
	f := false
	modes := []struct {
		name string
		init *DataChannelInit
	}{
		{"reliable-ordered", nil},
		{"reliable-unordered", &DataChannelInit{Ordered: &f}},
		{"rexmit-0", &DataChannelInit{Ordered: &f, MaxRetransmits: u16(0)}},
		{"rexmit-3-ordered", &DataChannelInit{MaxRetransmits: u16(3)}},
		{"lifetime-500ms", &DataChannelInit{Ordered: &f, MaxPacketLifeTime: u16(500)}},
		{"protocol", &DataChannelInit{Protocol: "chat.v1"}},
	}
	for _, trickle := range []bool{false, true} {
		t.Run(fmt.Sprintf("trickle=%v", trickle), func(t *testing.T) {
			checkLeaks(t)
			p := newEchoPair(t, trickle)
			remote := make(chan *DataChannel, len(modes))
			p.answerer.OnDataChannel(func(dc *DataChannel) { remote <- dc; echoOn(dc) })
			clients := make([]*echoClient, len(modes))
			for i, m := range modes {
				clients[i] = newEchoClient(t, p.offerer, m.name, m.init)
			}
			p.connect(t, trickle)
			seen := map[string]*DataChannel{}
			for range modes {
				dc := recv(t, remote, "remote channel")
				seen[dc.Label()] = dc
			}
			for i, m := range modes {
				c := clients[i]
				recv(t, c.opened, m.name+" open")
				r := seen[m.name]
				if r == nil {
					t.Fatalf("%s: remote never saw it", m.name)
				}
				wantOrdered := m.init == nil || m.init.Ordered == nil || *m.init.Ordered
				if r.Ordered() != wantOrdered || c.dc.Ordered() != wantOrdered {
					t.Errorf("%s: ordered local %v remote %v, want %v", m.name, c.dc.Ordered(), r.Ordered(), wantOrdered)
				}
				if m.init != nil {
					if !eqPtr(r.MaxRetransmits(), m.init.MaxRetransmits) || !eqPtr(r.MaxPacketLifeTime(), m.init.MaxPacketLifeTime) {
						t.Errorf("%s: remote reliability %v/%v", m.name, r.MaxRetransmits(), r.MaxPacketLifeTime())
					}
					if r.Protocol() != m.init.Protocol {
						t.Errorf("%s: protocol %q", m.name, r.Protocol())
					}
				}
				// The offerer is the DTLS client here (the answer says
				// active? then the offerer is server): ids have the parity
				// of its role and match on both sides.
				if *r.ID() != *c.dc.ID() {
					t.Errorf("%s: id local %d remote %d", m.name, *c.dc.ID(), *r.ID())
				}
				const n = 20
				for j := 0; j < n; j++ {
					if err := c.dc.SendText(fmt.Sprintf("%s-%d", m.name, j)); err != nil {
						t.Fatal(err)
					}
				}
				got := map[string]bool{}
				for j := 0; j < n; j++ {
					msg := recv(t, c.got, m.name+" echo")
					if !msg.IsString {
						t.Fatalf("%s: echo lost its text type", m.name)
					}
					got[string(msg.Data)] = true
					if wantOrdered && string(msg.Data) != fmt.Sprintf("%s-%d", m.name, j) {
						t.Fatalf("%s: out of order: %q at %d", m.name, msg.Data, j)
					}
				}
				if len(got) != n {
					t.Fatalf("%s: %d distinct echoes, want %d", m.name, len(got), n)
				}
			}
		})
	}
}

func eqPtr(a, b *uint16) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func TestStreamIDParity(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	c := newEchoClient(t, p.offerer, "a", nil)
	p.connect(t, false)
	recv(t, c.opened, "open")
	// Our answers take the DTLS client role (a=setup:active), so the
	// offerer is the DTLS server and uses odd ids (RFC 8832 §6).
	if id := *c.dc.ID(); id%2 != 1 {
		t.Fatalf("offerer (DTLS server) got id %d, want odd", id)
	}
	// And the answerer, as DTLS client, even ones.
	dc, err := p.answerer.CreateDataChannel("b", nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for dc.ID() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if dc.ID() == nil || *dc.ID()%2 != 0 {
		t.Fatalf("answerer (DTLS client) got id %v, want even", dc.ID())
	}
}

func TestHundredChannels(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	const n = 120
	clients := make([]*echoClient, n)
	for i := range clients {
		clients[i] = newEchoClient(t, p.offerer, fmt.Sprintf("ch-%d", i), nil)
	}
	p.connect(t, false)
	for i, c := range clients {
		recv(t, c.opened, "open")
		if err := c.dc.SendText(fmt.Sprintf("msg-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		m := recv(t, c.got, "echo")
		if string(m.Data) != fmt.Sprintf("msg-%d", i) {
			t.Fatalf("channel %d got %q", i, m.Data)
		}
	}
}

func TestLargeMessages(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	c := newEchoClient(t, p.offerer, "big", nil)
	p.connect(t, false)
	recv(t, c.opened, "open")
	if max := c.dc.MaxMessageSize(); max < 256<<10 {
		t.Fatalf("max message size %d, want at least 256 KiB", max)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 1199, 1200, 65535, 65536, 65537, 256 << 10, int(c.dc.MaxMessageSize())}
	var sent [][]byte
	for _, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := c.dc.Send(b); err != nil {
			t.Fatalf("send %d bytes: %v", n, err)
		}
		sent = append(sent, b)
	}
	for i, b := range sent {
		m := recv(t, c.got, "large echo")
		if m.IsString || !bytes.Equal(m.Data, b) {
			t.Fatalf("message %d (%d bytes): echo differs (%d bytes)", i, len(b), len(m.Data))
		}
	}
	// One byte over the remote's limit is refused and nothing is sent.
	before := c.dc.BufferedAmount()
	err := c.dc.Send(make([]byte, c.dc.MaxMessageSize()+1))
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("oversized send: %v, want ErrMessageTooLarge", err)
	}
	if c.dc.BufferedAmount() != before {
		t.Fatal("oversized send queued data")
	}
}

func TestMessagesBeforeOnMessageAreKept(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	remote := make(chan *DataChannel, 1)
	// The answerer does not set OnMessage until all messages were sent.
	answerer.OnDataChannel(func(dc *DataChannel) { remote <- dc })
	c := newEchoClient(t, offerer, "early", nil)
	signalNonTrickle(t, offerer, answerer)
	recv(t, c.opened, "open")
	const n = 50
	for i := 0; i < n; i++ {
		if err := c.dc.SendText(fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	dc := recv(t, remote, "remote channel")
	// Wait until the messages surely arrived (acknowledged by SCTP).
	deadline := time.Now().Add(5 * time.Second)
	for c.dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	got := make(chan string, n)
	dc.OnMessage(func(m DataChannelMessage) { got <- string(m.Data) })
	for i := 0; i < n; i++ {
		if s := recv(t, got, "held message"); s != fmt.Sprint(i) {
			t.Fatalf("held message %d is %q", i, s)
		}
	}
}

func TestNegotiatedChannel(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	id := uint16(7)
	a := newEchoClient(t, offerer, "neg", &DataChannelInit{Negotiated: true, ID: &id})
	b := newEchoClient(t, answerer, "neg", &DataChannelInit{Negotiated: true, ID: &id})
	answerer.OnDataChannel(func(dc *DataChannel) { t.Errorf("negotiated channel announced: %s", dc.Label()) })
	signalNonTrickle(t, offerer, answerer)
	recv(t, a.opened, "open a")
	recv(t, b.opened, "open b")
	if err := a.dc.SendText("ping"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b.got, "ping"); string(m.Data) != "ping" {
		t.Fatalf("got %q", m.Data)
	}
	if err := b.dc.Send([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a.got, "pong"); string(m.Data) != "pong" || m.IsString {
		t.Fatalf("got %+v", m)
	}
	if _, err := offerer.CreateDataChannel("dup", &DataChannelInit{Negotiated: true, ID: &id}); err == nil {
		t.Fatal("a second channel with id 7 was accepted")
	}
}

func TestChannelClose(t *testing.T) {
	checkLeaks(t)
	p := newEchoPair(t, false)
	remote := make(chan *DataChannel, 1)
	p.answerer.OnDataChannel(func(dc *DataChannel) { remote <- dc })
	c := newEchoClient(t, p.offerer, "closing", nil)
	p.connect(t, false)
	recv(t, c.opened, "open")
	r := recv(t, remote, "remote")
	localClosed, remoteClosed := make(chan struct{}), make(chan struct{})
	c.dc.OnClose(func() { close(localClosed) })
	r.OnClose(func() { close(remoteClosed) })
	if err := c.dc.Close(); err != nil {
		t.Fatal(err)
	}
	recv(t, remoteClosed, "remote close")
	recv(t, localClosed, "local close")
	if c.dc.ReadyState() != DataChannelStateClosed || r.ReadyState() != DataChannelStateClosed {
		t.Fatalf("states %s / %s", c.dc.ReadyState(), r.ReadyState())
	}
	if err := c.dc.SendText("x"); !errors.Is(err, ErrDataChannelNotOpen) {
		t.Fatalf("send on closed channel: %v", err)
	}
}

func TestSendBufferIsBounded(t *testing.T) {
	checkLeaks(t)
	offerer, answerer := newTestPC(t), newTestPC(t)
	remote := make(chan *DataChannel, 1)
	// The answerer never reads: its window fills and our queue grows.
	answerer.OnDataChannel(func(dc *DataChannel) { remote <- dc })
	c := newEchoClient(t, offerer, "flood", nil)
	signalNonTrickle(t, offerer, answerer)
	recv(t, c.opened, "open")
	msg := make([]byte, 64<<10)
	var err error
	sent := 0
	for ; sent < 1000; sent++ {
		if err = c.dc.Send(msg); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrSendBufferFull) {
		t.Fatalf("flooding a channel that is not read: %v, want ErrSendBufferFull", err)
	}
	if b := c.dc.BufferedAmount(); b > 16<<20 {
		t.Fatalf("buffered %d bytes, over the bound", b)
	}
	// Reading resumes: every message that Send took arrives intact.
	r := recv(t, remote, "remote")
	got := make(chan int, 1024)
	r.OnMessage(func(m DataChannelMessage) { got <- len(m.Data) })
	for i := 0; i < sent; i++ {
		if n := recv(t, got, "drained message"); n != len(msg) {
			t.Fatalf("message %d has %d bytes", i, n)
		}
	}
}

// checkEcho sends text on c's channel and waits for it to come back.
func checkEcho(t *testing.T, c *echoClient, text string) {
	t.Helper()
	if err := c.dc.SendText(text); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c.got, "echo"); string(m.Data) != text {
		t.Fatalf("echo %q, want %q", m.Data, text)
	}
}
