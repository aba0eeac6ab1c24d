package interop

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

// TestCloseAfterSend: messages sent just before Close are all delivered,
// in order, before the remote sees the channel close (the stream reset
// follows the data, RFC 8831 §6.7 / RFC 6525).
func TestCloseAfterSend(t *testing.T) {
	const n = 100
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 1000+i*37) }
	for _, chanrtcSends := range []bool{true, false} {
		name := "pion-sends"
		if chanrtcSends {
			name = "chanrtc-sends"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			pr := newPair(t)
			errs := newAsyncErrs()

			// The receiver's messages and close, in the order it saw them;
			// nil data marks OnClose. (Only the receiver's: the sender's
			// close completes when the receiver's stack resets its side,
			// which may be before the receiver's application has had
			// every message.)
			events := make(chan []byte, n+2)
			record := func(b []byte) {
				select {
				case events <- b:
				default:
					errs.add("too many events")
				}
			}
			cClosed, pClosed, pReading := newEvent(), newEvent(), newEvent()
			pChannel := make(chan *webrtc.DataChannel, 1)
			pr.p.OnDataChannel(func(d *webrtc.DataChannel) {
				d.OnMessage(func(m webrtc.DataChannelMessage) {
					if string(m.Data) == readyProbe && pReading.n.Load() == 0 {
						pReading.fire()
						return
					}
					if chanrtcSends {
						record(m.Data)
					} else {
						errs.add("pion got a message")
					}
				})
				d.OnClose(func() {
					if chanrtcSends {
						record(nil)
					}
					pClosed.fire()
				})
				// pion announces a channel before it is open: hand it over
				// once it is.
				d.OnOpen(func() { pChannel <- d })
			})
			dc, err := pr.c.CreateDataChannel("flush", nil)
			if err != nil {
				t.Fatal(err)
			}
			cOpened := openedChanrtc(dc)[0]
			dc.OnMessage(func(m chanrtc.DataChannelMessage) {
				if !chanrtcSends {
					record(m.Data)
				} else {
					errs.add("chanrtc got a message")
				}
			})
			dc.OnClose(func() {
				if !chanrtcSends {
					record(nil)
				}
				cClosed.fire()
			})

			signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
			pr.waitConnected(t)
			closedWithin(t, cOpened, "chanrtc open")
			pd := recv(t, pChannel, "pion remote channel open")
			waitPionReading(t, dc, pReading)

			for i := range n {
				if chanrtcSends {
					err = dc.Send(payload(i))
				} else {
					err = pd.Send(payload(i))
				}
				if err != nil {
					t.Fatalf("send #%d: %v", i, err)
				}
			}
			if chanrtcSends {
				err = dc.Close()
			} else {
				err = pd.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				got := recv(t, events, fmt.Sprintf("message #%d", i))
				if got == nil {
					t.Fatalf("the channel closed after %d of %d messages", i, n)
				}
				if !bytes.Equal(got, payload(i)) {
					t.Fatalf("message #%d: %d bytes, want %d bytes of %d", i, len(got), len(payload(i)), i)
				}
			}
			if got := recv(t, events, "OnClose"); got != nil {
				t.Fatalf("got a %d-byte message where OnClose was due", len(got))
			}
			closedWithin(t, cClosed.ch, "chanrtc OnClose")
			closedWithin(t, pClosed.ch, "pion OnClose")
			errs.check(t)
			pr.closeAndCheck(t)
		})
	}
}

// readyProbe is a message that proves pion reads a channel.
const readyProbe = "ready?"

// waitPionReading sends readyProbe on a channel the remote pion opened for
// us, and waits until pion's OnMessage has seen it (pionReading fired).
//
// pion/webrtc v4 (4.2.26) runs the OnOpen handler of a channel the remote
// opened on a goroutine of its own, concurrently with the rest of
// DataChannel.handleOpen, which only then starts the channel's read loop,
// and not at all if Close was called in between. So a pion application
// that closes such a channel right after OnOpen may never get OnClose (nor
// any message). The probe makes sure the read loop runs before the tests
// close anything.
func waitPionReading(t *testing.T, c *chanrtc.DataChannel, pionReading *event) {
	t.Helper()
	if err := c.SendText(readyProbe); err != nil {
		t.Fatalf("%s: probe: %v", c.Label(), err)
	}
	closedWithin(t, pionReading.ch, c.Label()+": pion reading")
}
