package interop

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// closeCase is one channel of the closing test: who creates it and who
// closes it.
type closeCase struct {
	label         string
	chanrtcOpens  bool
	chanrtcCloses bool
}

var closeCases = []closeCase{
	{label: "chanrtc-opens-chanrtc-closes", chanrtcOpens: true, chanrtcCloses: true},
	{label: "chanrtc-opens-pion-closes", chanrtcOpens: true, chanrtcCloses: false},
	{label: "pion-opens-chanrtc-closes", chanrtcOpens: false, chanrtcCloses: true},
	{label: "pion-opens-pion-closes", chanrtcOpens: false, chanrtcCloses: false},
}

// closeChannel is both ends of one channel, with their close signals.
type closeChannel struct {
	closeCase
	c        *chanrtc.DataChannel
	p        *webrtc.DataChannel
	cOpen    *event // OnOpen, or chanrtc's OnDataChannel (it announces open channels)
	pOpen    *event // OnOpen
	pReading *event // pion read the probe (see waitPionReading)
	cClosed  *event
	pClosed  *event
}

// event is a callback that must fire exactly once.
type event struct {
	ch chan struct{}
	n  atomic.Int32
}

func newEvent() *event { return &event{ch: make(chan struct{})} }

func (e *event) fire() {
	if e.n.Add(1) == 1 {
		close(e.ch)
	}
}

// TestDataChannelClose: a channel closed on one side closes on the other
// (OnClose fires on both), whoever opened it, in both offer/answer roles;
// the rest of the association keeps working.
func TestDataChannelClose(t *testing.T) {
	for _, chanrtcOffers := range []bool{true, false} {
		name := "pion-offers"
		if chanrtcOffers {
			name = "chanrtc-offers"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			testDataChannelClose(t, chanrtcOffers)
		})
	}
}

func testDataChannelClose(t *testing.T, chanrtcOffers bool) {
	pr := newPair(t)
	errs := newAsyncErrs()

	chans := map[string]*closeChannel{}
	for _, cc := range closeCases {
		chans[cc.label] = &closeChannel{
			closeCase: cc,
			cOpen:     newEvent(),
			pReading:  newEvent(),
			pOpen:     newEvent(),
			cClosed:   newEvent(),
			pClosed:   newEvent(),
		}
	}
	hookChanrtc := func(ch *closeChannel, d *chanrtc.DataChannel) {
		ch.c = d
		d.OnClose(func() { ch.cClosed.fire() })
		d.OnError(func(err error) { errs.add("chanrtc %q OnError: %v", d.Label(), err) })
	}
	hookPion := func(ch *closeChannel, d *webrtc.DataChannel) {
		ch.p = d
		d.OnClose(func() { ch.pClosed.fire() })
		d.OnError(func(err error) { errs.add("pion %q OnError: %v", d.Label(), err) })
	}

	// The remote side's channels arrive through OnDataChannel; "alive" is
	// echoed by pion and must keep working after the others close.
	pr.c.OnDataChannel(func(d *chanrtc.DataChannel) {
		ch := chans[d.Label()]
		if ch == nil || ch.chanrtcOpens {
			errs.add("chanrtc: unexpected channel %q", d.Label())
			return
		}
		hookChanrtc(ch, d)
		ch.cOpen.fire()
	})
	pr.p.OnDataChannel(func(d *webrtc.DataChannel) {
		if d.Label() == "alive" {
			d.OnMessage(func(m webrtc.DataChannelMessage) {
				if err := d.Send(m.Data); err != nil {
					errs.add("pion echo on alive: %v", err)
				}
			})
			return
		}
		ch := chans[d.Label()]
		if ch == nil || !ch.chanrtcOpens {
			errs.add("pion: unexpected channel %q", d.Label())
			return
		}
		hookPion(ch, d)
		// pion announces a channel before it is open; OnOpen follows.
		d.OnOpen(ch.pOpen.fire)
		d.OnMessage(func(m webrtc.DataChannelMessage) {
			if string(m.Data) == readyProbe {
				ch.pReading.fire()
			}
		})
	})

	for _, cc := range closeCases {
		ch := chans[cc.label]
		if cc.chanrtcOpens {
			d, err := pr.c.CreateDataChannel(cc.label, nil)
			if err != nil {
				t.Fatal(err)
			}
			hookChanrtc(ch, d)
			d.OnOpen(func() { ch.cOpen.fire() })
		} else {
			d, err := pr.p.CreateDataChannel(cc.label, nil)
			if err != nil {
				t.Fatal(err)
			}
			hookPion(ch, d)
			d.OnOpen(func() { ch.pOpen.fire() })
		}
	}
	alive, err := pr.c.CreateDataChannel("alive", nil)
	if err != nil {
		t.Fatal(err)
	}
	aliveOpen := openedChanrtc(alive)[0]
	aliveGot, aliveAdd := collect(4, errs)
	alive.OnMessage(func(m chanrtc.DataChannelMessage) { aliveAdd(m.IsString, m.Data) })

	if chanrtcOffers {
		signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	} else {
		signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
	}
	pr.waitConnected(t)
	closedWithin(t, aliveOpen, "alive open")
	for _, cc := range closeCases {
		ch := chans[cc.label]
		closedWithin(t, ch.cOpen.ch, cc.label+": chanrtc side open")
		closedWithin(t, ch.pOpen.ch, cc.label+": pion side open")
		if cc.chanrtcOpens {
			waitPionReading(t, ch.c, ch.pReading)
		}
	}
	errs.check(t)
	if t.Failed() {
		return
	}

	for _, cc := range closeCases {
		ch := chans[cc.label]
		var err error
		if cc.chanrtcCloses {
			err = ch.c.Close()
		} else {
			err = ch.p.Close()
		}
		if err != nil {
			t.Fatalf("%s: Close: %v", cc.label, err)
		}
	}
	for _, cc := range closeCases {
		ch := chans[cc.label]
		closedWithin(t, ch.cClosed.ch, cc.label+": chanrtc OnClose")
		closedWithin(t, ch.pClosed.ch, cc.label+": pion OnClose")
		if s := ch.c.ReadyState(); s != chanrtc.DataChannelStateClosed {
			t.Errorf("%s: chanrtc ReadyState after OnClose: %s", cc.label, s)
		}
		if s := ch.p.ReadyState(); s != webrtc.DataChannelStateClosed {
			t.Errorf("%s: pion ReadyState after OnClose: %s", cc.label, s)
		}
		if err := ch.c.SendText("late"); err == nil {
			t.Errorf("%s: chanrtc SendText on a closed channel succeeded", cc.label)
		} else if !errors.Is(err, chanrtc.ErrDataChannelNotOpen) && !errors.Is(err, chanrtc.ErrClosed) {
			t.Errorf("%s: chanrtc SendText on a closed channel: %v, want ErrDataChannelNotOpen", cc.label, err)
		}
		if err := ch.p.SendText("late"); err == nil {
			t.Errorf("%s: pion SendText on a closed channel succeeded", cc.label)
		}
	}

	// The association survives the stream resets.
	if err := alive.Send([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, aliveGot, "echo on alive"); m.text || string(m.data) != "still here" {
		t.Fatalf("echo on alive: %s", m)
	}
	if s := alive.ReadyState(); s != chanrtc.DataChannelStateOpen {
		t.Errorf("alive ReadyState: %s", s)
	}
	for _, cc := range closeCases {
		ch := chans[cc.label]
		for what, e := range map[string]*event{
			"chanrtc open": ch.cOpen, "pion open": ch.pOpen,
			"chanrtc OnClose": ch.cClosed, "pion OnClose": ch.pClosed,
		} {
			if n := e.n.Load(); n != 1 {
				t.Errorf("%s: %s fired %d times", cc.label, what, n)
			}
		}
	}
	errs.check(t)
	pr.closeAndCheck(t)
}
