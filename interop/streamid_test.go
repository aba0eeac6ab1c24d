package interop

import (
	"fmt"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestStreamIDs: both sides open in-band channels at once, next to
// negotiated channels whose IDs are of both parities. The stream IDs must
// follow the DTLS roles (RFC 8832 §6: the DTLS client uses even IDs, the
// server odd), never collide with a negotiated ID, and every channel must
// carry its own messages.
//
// The channels are all created before the connection is up, the negotiated
// ones first or last: chanrtc must reserve a negotiated ID whatever the
// order of creation.
func TestStreamIDs(t *testing.T) {
	for _, chanrtcOffers := range []bool{true, false} {
		for _, negotiatedFirst := range []bool{true, false} {
			name := "pion-offers"
			if chanrtcOffers {
				name = "chanrtc-offers"
			}
			if negotiatedFirst {
				name += "/negotiated-first"
			} else {
				name += "/negotiated-last"
			}
			t.Run(name, func(t *testing.T) {
				checkLeaks(t)
				testStreamIDs(t, chanrtcOffers, negotiatedFirst)
			})
		}
	}
}

func testStreamIDs(t *testing.T, chanrtcOffers, negotiatedFirst bool) {
	const inBand = 3
	negotiated := []uint16{0, 1, 3}

	pr := newPair(t)
	errs := newAsyncErrs()
	pionEcho(pr.p, errs, nil)
	chanrtcEcho(pr.c, errs, nil)

	type end struct {
		label string
		id    func() *uint16
		send  func(string) error
		got   chan msg
		open  chan struct{}
	}
	var ends []end
	createInBand := func() {
		for i := range inBand {
			label := fmt.Sprintf("c%d", i)
			d, err := pr.c.CreateDataChannel(label, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, add := collect(2, errs)
			d.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })
			ends = append(ends, end{label, d.ID, d.SendText, got, openedChanrtc(d)[0]})
		}
		for i := range inBand {
			label := fmt.Sprintf("p%d", i)
			d, err := pr.p.CreateDataChannel(label, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, add := collect(2, errs)
			d.OnMessage(func(m webrtc.DataChannelMessage) { add(m.IsString, m.Data) })
			ends = append(ends, end{label, d.ID, d.SendText, got, openedPion(d)[0]})
		}
	}
	createNegotiated := func() {
		for _, id := range negotiated {
			label := fmt.Sprintf("n%d", id)
			c, err := pr.c.CreateDataChannel(label, &chanrtc.DataChannelInit{Negotiated: true, ID: ptr(id)})
			if err != nil {
				t.Fatal(err)
			}
			p, err := pr.p.CreateDataChannel(label, &webrtc.DataChannelInit{Negotiated: ptr(true), ID: ptr(id)})
			if err != nil {
				t.Fatal(err)
			}
			// pion echoes what chanrtc sends on the negotiated channels.
			p.OnMessage(func(m webrtc.DataChannelMessage) {
				if err := p.SendText(string(m.Data)); err != nil {
					errs.add("pion echo on %s: %v", label, err)
				}
			})
			got, add := collect(2, errs)
			c.OnMessage(func(m chanrtc.DataChannelMessage) { add(m.IsString, m.Data) })
			ends = append(ends, end{label, c.ID, c.SendText, got, openedChanrtc(c)[0]})
			openedPion(p) // OnOpen set: pion must not choke on a handler-less open
		}
	}
	if negotiatedFirst {
		createNegotiated()
		createInBand()
	} else {
		createInBand()
		createNegotiated()
	}

	if chanrtcOffers {
		signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	} else {
		signal(t, newPionEndpoint(pr.p), chanrtcEndpoint{pr.c}, false)
	}
	pr.waitConnected(t)
	for _, e := range ends {
		closedWithin(t, e.open, e.label+" open")
	}

	// pion answers with a=setup:active and chanrtc prefers active too, so
	// the answerer is the DTLS client either way.
	chanrtcParity := uint16(1) // odd: DTLS server
	if !chanrtcOffers {
		chanrtcParity = 0
	}
	seen := map[uint16]string{}
	for _, e := range ends {
		p := e.id()
		if p == nil {
			t.Errorf("%s: no stream id once open", e.label)
			continue
		}
		id := *p
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share stream id %d", other, e.label, id)
		}
		seen[id] = e.label
		switch e.label[0] {
		case 'c':
			if id%2 != chanrtcParity {
				t.Errorf("chanrtc channel %s got stream id %d, want parity %d", e.label, id, chanrtcParity)
			}
		case 'p':
			if id%2 == chanrtcParity {
				t.Errorf("pion channel %s got stream id %d, want parity %d", e.label, id, 1-chanrtcParity)
			}
		}
	}
	if t.Failed() {
		return
	}
	for _, e := range ends {
		if err := e.send("to " + e.label); err != nil {
			t.Fatalf("%s: send: %v", e.label, err)
		}
	}
	for _, e := range ends {
		if m := recv(t, e.got, "echo on "+e.label); !m.text || string(m.data) != "to "+e.label {
			t.Errorf("%s: echo %s", e.label, m)
		}
	}
	errs.check(t)
	pr.closeAndCheck(t)
}
