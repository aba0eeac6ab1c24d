package interop

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

const negotiatedID = 7

func ptr[T any](v T) *T { return &v }

func fmtPtr[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}

// params is what one side says about a channel.
type params struct {
	label             string
	ordered           bool
	maxRetransmits    *uint16
	maxPacketLifeTime *uint16
	protocol          string
	negotiated        bool
}

func (p params) equal(q params) bool {
	eq := func(a, b *uint16) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	return p.label == q.label && p.ordered == q.ordered && p.protocol == q.protocol &&
		p.negotiated == q.negotiated && eq(p.maxRetransmits, q.maxRetransmits) &&
		eq(p.maxPacketLifeTime, q.maxPacketLifeTime)
}

func (p params) String() string {
	return fmt.Sprintf("{label=%q protocol=%q ordered=%v negotiated=%v maxRetransmits=%v maxPacketLifeTime=%v}",
		p.label, p.protocol, p.ordered, p.negotiated, fmtPtr(p.maxRetransmits), fmtPtr(p.maxPacketLifeTime))
}

func chanrtcParams(d *chanrtc.DataChannel) params {
	return params{d.Label(), d.Ordered(), d.MaxRetransmits(), d.MaxPacketLifeTime(), d.Protocol(), d.Negotiated()}
}

func pionParams(d *webrtc.DataChannel) params {
	return params{d.Label(), d.Ordered(), d.MaxRetransmits(), d.MaxPacketLifeTime(), d.Protocol(), d.Negotiated()}
}

// The in-band channels each test opens, with the parameters the remote
// must see.
var (
	partialParams  = params{label: "partial", ordered: false, maxRetransmits: ptr[uint16](0), protocol: "proto"}
	lifetimeParams = params{label: "lifetime", ordered: true, maxPacketLifeTime: ptr[uint16](500), protocol: "json"}
	negParams      = params{label: "neg", ordered: true, negotiated: true}
)

// TestChannelOptionsChanrtcOffers: chanrtc opens an unordered channel with
// MaxRetransmits 0 and a protocol, and one limited by packet lifetime; pion
// must see their parameters as given. A negotiated channel with ID 7,
// created on both sides, carries messages both ways.
func TestChannelOptionsChanrtcOffers(t *testing.T) {
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()
	pionChannels := make(chan *webrtc.DataChannel, 4)
	pionEcho(pr.p, errs, pionChannels)

	partial, err := pr.c.CreateDataChannel("partial", &chanrtc.DataChannelInit{
		Ordered: ptr(false), MaxRetransmits: ptr[uint16](0), Protocol: "proto",
	})
	if err != nil {
		t.Fatal(err)
	}
	lifetime, err := pr.c.CreateDataChannel("lifetime", &chanrtc.DataChannelInit{
		MaxPacketLifeTime: ptr[uint16](500), Protocol: "json",
	})
	if err != nil {
		t.Fatal(err)
	}
	cNeg, err := pr.c.CreateDataChannel("neg", &chanrtc.DataChannelInit{Negotiated: true, ID: ptr[uint16](negotiatedID)})
	if err != nil {
		t.Fatal(err)
	}
	pNeg, err := pr.p.CreateDataChannel("neg", &webrtc.DataChannelInit{Negotiated: ptr(true), ID: ptr[uint16](negotiatedID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dc   *chanrtc.DataChannel
		want params
	}{{partial, partialParams}, {lifetime, lifetimeParams}, {cNeg, negParams}} {
		if got := chanrtcParams(c.dc); !got.equal(c.want) {
			t.Errorf("chanrtc local channel: %v, want %v", got, c.want)
		}
	}

	cOpened := openedChanrtc(partial, lifetime, cNeg)
	pNegOpened := make(chan struct{})
	pNeg.OnOpen(func() { close(pNegOpened) })
	cGot, cAdd := collect(8, errs)
	for _, d := range []*chanrtc.DataChannel{partial, lifetime, cNeg} {
		d.OnMessage(func(m chanrtc.DataChannelMessage) { cAdd(m.IsString, []byte(d.Label()+":"+string(m.Data))) })
	}
	pGot, pAdd := collect(8, errs)
	pNeg.OnMessage(func(m webrtc.DataChannelMessage) { pAdd(m.IsString, m.Data) })

	signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	pr.waitConnected(t)
	for i, ch := range cOpened {
		closedWithin(t, ch, "chanrtc channel open #"+fmt.Sprint(i))
	}
	closedWithin(t, pNegOpened, "pion negotiated channel open")

	// pion sees the in-band channels as chanrtc announced them, and only
	// those: a negotiated channel is never announced.
	seen := map[string]*webrtc.DataChannel{}
	for range 2 {
		d := recv(t, pionChannels, "pion OnDataChannel")
		seen[d.Label()] = d
	}
	for _, want := range []params{partialParams, lifetimeParams} {
		d := seen[want.label]
		if d == nil {
			t.Fatalf("pion did not see channel %q", want.label)
		}
		if got := pionParams(d); !got.equal(want) {
			t.Errorf("pion sees %v, want %v", got, want)
		}
	}
	if got := pionParams(pNeg); !got.equal(negParams) {
		t.Errorf("pion negotiated channel: %v, want %v", got, negParams)
	}
	if id, pid := cNeg.ID(), pNeg.ID(); id == nil || *id != negotiatedID || pid == nil || *pid != negotiatedID {
		t.Errorf("negotiated channel ids: chanrtc %v, pion %v, want %d", fmtPtr(id), fmtPtr(pid), negotiatedID)
	}
	for _, d := range []*chanrtc.DataChannel{partial, lifetime} {
		if id := d.ID(); id == nil || *id == negotiatedID {
			t.Errorf("in-band channel %q got stream id %v", d.Label(), fmtPtr(id))
		}
	}

	// The partially reliable channels work (one message each way, echoed
	// by pion; on loopback nothing is lost).
	if err := partial.SendText("p"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cGot, "echo on partial"); string(got.data) != "partial:p" || !got.text {
		t.Fatalf("echo on partial: %s", got)
	}
	if err := lifetime.Send([]byte("l")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cGot, "echo on lifetime"); string(got.data) != "lifetime:l" || got.text {
		t.Fatalf("echo on lifetime: %s", got)
	}

	// The negotiated channel carries messages both ways.
	exchangeNegotiated(t, cNeg, pNeg, cGot, pGot)

	select {
	case d := <-pionChannels:
		t.Errorf("pion announced an unexpected channel %q", d.Label())
	default:
	}
	errs.check(t)
	pr.closeAndCheck(t)
}

// TestChannelOptionsPionOffers is the other way round: pion opens the
// channels, chanrtc must see their parameters as given.
func TestChannelOptionsPionOffers(t *testing.T) {
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()
	chanrtcChannels := make(chan *chanrtc.DataChannel, 4)
	chanrtcEcho(pr.c, errs, chanrtcChannels)

	partial, err := pr.p.CreateDataChannel("partial", &webrtc.DataChannelInit{
		Ordered: ptr(false), MaxRetransmits: ptr[uint16](0), Protocol: ptr("proto"),
	})
	if err != nil {
		t.Fatal(err)
	}
	lifetime, err := pr.p.CreateDataChannel("lifetime", &webrtc.DataChannelInit{
		MaxPacketLifeTime: ptr[uint16](500), Protocol: ptr("json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	pNeg, err := pr.p.CreateDataChannel("neg", &webrtc.DataChannelInit{Negotiated: ptr(true), ID: ptr[uint16](negotiatedID)})
	if err != nil {
		t.Fatal(err)
	}
	cNeg, err := pr.c.CreateDataChannel("neg", &chanrtc.DataChannelInit{Negotiated: true, ID: ptr[uint16](negotiatedID)})
	if err != nil {
		t.Fatal(err)
	}

	pOpened := openedPion(partial, lifetime, pNeg)
	cNegOpened := openedChanrtc(cNeg)[0]
	pGot, pAdd := collect(8, errs)
	for _, d := range []*webrtc.DataChannel{partial, lifetime, pNeg} {
		d.OnMessage(func(m webrtc.DataChannelMessage) { pAdd(m.IsString, []byte(d.Label()+":"+string(m.Data))) })
	}
	cGot, cAdd := collect(8, errs)
	cNeg.OnMessage(func(m chanrtc.DataChannelMessage) { cAdd(m.IsString, m.Data) })

	signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
	pr.waitConnected(t)
	for i, ch := range pOpened {
		closedWithin(t, ch, "pion channel open #"+fmt.Sprint(i))
	}
	closedWithin(t, cNegOpened, "chanrtc negotiated channel open")

	seen := map[string]*chanrtc.DataChannel{}
	for range 2 {
		d := recv(t, chanrtcChannels, "chanrtc OnDataChannel")
		seen[d.Label()] = d
	}
	for _, want := range []params{partialParams, lifetimeParams} {
		d := seen[want.label]
		if d == nil {
			t.Fatalf("chanrtc did not see channel %q", want.label)
		}
		if got := chanrtcParams(d); !got.equal(want) {
			t.Errorf("chanrtc sees %v, want %v", got, want)
		}
	}
	if got := chanrtcParams(cNeg); !got.equal(negParams) {
		t.Errorf("chanrtc negotiated channel: %v, want %v", got, negParams)
	}
	if id, pid := cNeg.ID(), pNeg.ID(); id == nil || *id != negotiatedID || pid == nil || *pid != negotiatedID {
		t.Errorf("negotiated channel ids: chanrtc %v, pion %v, want %d", fmtPtr(id), fmtPtr(pid), negotiatedID)
	}

	if err := partial.SendText("p"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pGot, "echo on partial"); string(got.data) != "partial:p" || !got.text {
		t.Fatalf("echo on partial: %s", got)
	}
	if err := lifetime.Send([]byte("l")); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pGot, "echo on lifetime"); string(got.data) != "lifetime:l" || got.text {
		t.Fatalf("echo on lifetime: %s", got)
	}

	exchangeNegotiated(t, cNeg, pNeg, cGot, pGot)

	select {
	case d := <-chanrtcChannels:
		t.Errorf("chanrtc announced an unexpected channel %q", d.Label())
	default:
	}
	errs.check(t)
	pr.closeAndCheck(t)
}

// exchangeNegotiated sends one text and one binary message each way on the
// negotiated channel. pGot carries what pion received on it, prefixed
// "neg:" when pion's handler adds the label.
func exchangeNegotiated(t *testing.T, cNeg *chanrtc.DataChannel, pNeg *webrtc.DataChannel, cGot, pGot <-chan msg) {
	t.Helper()
	strip := func(m msg) string {
		s := string(m.data)
		if len(s) > 4 && s[:4] == "neg:" {
			s = s[4:]
		}
		return s
	}
	if err := cNeg.SendText("from chanrtc"); err != nil {
		t.Fatal(err)
	}
	if err := cNeg.Send([]byte{0xc0}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, pGot, "pion receives on the negotiated channel"); !got.text || strip(got) != "from chanrtc" {
		t.Fatalf("pion got %s on the negotiated channel", got)
	}
	if got := recv(t, pGot, "pion receives on the negotiated channel"); got.text || strip(got) != "\xc0" {
		t.Fatalf("pion got %s on the negotiated channel", got)
	}
	if err := pNeg.SendText("from pion"); err != nil {
		t.Fatal(err)
	}
	if err := pNeg.Send([]byte{0x9e}); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, cGot, "chanrtc receives on the negotiated channel"); !got.text || strip(got) != "from pion" {
		t.Fatalf("chanrtc got %s on the negotiated channel", got)
	}
	if got := recv(t, cGot, "chanrtc receives on the negotiated channel"); got.text || strip(got) != "\x9e" {
		t.Fatalf("chanrtc got %s on the negotiated channel", got)
	}
	// Nothing was echoed back on a negotiated channel: neither side's
	// OnDataChannel saw it, so no echo handler is attached to it.
	time.Sleep(50 * time.Millisecond)
	select {
	case m := <-cGot:
		t.Fatalf("chanrtc got unexpected %s", m)
	case m := <-pGot:
		t.Fatalf("pion got unexpected %s", m)
	default:
	}
}

// openedChanrtc returns, for each channel, a channel closed once it is
// open. chanrtc does not call an OnOpen set after the channel opened (as
// documented), which a channel created on a connected PeerConnection may
// already be: so check ReadyState after setting it.
func openedChanrtc(dcs ...*chanrtc.DataChannel) []chan struct{} {
	out := make([]chan struct{}, len(dcs))
	for i, d := range dcs {
		ch := make(chan struct{})
		opened := sync.OnceFunc(func() { close(ch) })
		d.OnOpen(opened)
		if d.ReadyState() == chanrtc.DataChannelStateOpen {
			opened()
		}
		out[i] = ch
	}
	return out
}

// openedPion returns, for each channel, a channel closed by its OnOpen.
func openedPion(dcs ...*webrtc.DataChannel) []chan struct{} {
	out := make([]chan struct{}, len(dcs))
	for i, d := range dcs {
		ch := make(chan struct{})
		d.OnOpen(func() { close(ch) })
		out[i] = ch
	}
	return out
}
