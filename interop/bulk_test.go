package interop

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/webrtc/v4"
)

const (
	bulkTotal     = 4 << 20
	bulkChunk     = 32 << 10
	bulkHighWater = 1 << 20
	bulkTimeout   = 60 * time.Second
)

// bulkChunkData is chunk i of the transfer: its index, then a pattern.
func bulkChunkData(i int) []byte {
	b := make([]byte, bulkChunk)
	binary.BigEndian.PutUint32(b, uint32(i))
	for j := 4; j < len(b); j++ {
		b[j] = byte(i*31 + j)
	}
	return b
}

// bulkReceiver checks chunks arrive whole and in order and hashes them.
type bulkReceiver struct {
	mu   sync.Mutex
	next int
	bad  string
	done chan struct{}
}

func newBulkReceiver() *bulkReceiver { return &bulkReceiver{done: make(chan struct{})} }

func (r *bulkReceiver) add(text bool, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad != "" || r.next == bulkTotal/bulkChunk {
		return
	}
	want := bulkChunkData(r.next)
	if text || sha256.Sum256(data) != sha256.Sum256(want) {
		r.bad = fmt.Sprintf("chunk %d: %d bytes, text %v: corrupt or out of order", r.next, len(data), text)
		close(r.done)
		return
	}
	r.next++
	if r.next == bulkTotal/bulkChunk {
		close(r.done)
	}
}

func (r *bulkReceiver) wait(t *testing.T, who string) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(bulkTimeout):
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("%s received %d of %d chunks", who, r.next, bulkTotal/bulkChunk)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bad != "" {
		t.Fatalf("%s: %s (after %d good chunks)", who, r.bad, r.next)
	}
}

// TestBulk sends 4 MiB each way at the same time on one reliable ordered
// channel, each sender pacing itself with BufferedAmountLowThreshold.
func TestBulk(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk transfer")
	}
	checkLeaks(t)
	pr := newPair(t)
	errs := newAsyncErrs()
	cRecv, pRecv := newBulkReceiver(), newBulkReceiver()

	pChannel := make(chan *webrtc.DataChannel, 1)
	pr.p.OnDataChannel(func(d *webrtc.DataChannel) {
		d.OnMessage(func(m webrtc.DataChannelMessage) { pRecv.add(m.IsString, m.Data) })
		// pion announces a channel before it is open: hand it over once it is.
		d.OnOpen(func() { pChannel <- d })
	})
	dc, err := pr.c.CreateDataChannel("bulk", nil)
	if err != nil {
		t.Fatal(err)
	}
	opened := openedChanrtc(dc)[0]
	dc.OnMessage(func(m chanrtc.DataChannelMessage) { cRecv.add(m.IsString, m.Data) })

	signal(t, chanrtcEndpoint{pr.c}, newPionEndpoint(pr.p), false)
	pr.waitConnected(t)
	closedWithin(t, opened, "chanrtc open")
	pd := recv(t, pChannel, "pion remote channel open")

	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()

	cLow := make(chan struct{}, 1)
	dc.SetBufferedAmountLowThreshold(bulkHighWater / 2)
	dc.OnBufferedAmountLow(func() {
		select {
		case cLow <- struct{}{}:
		default:
		}
	})
	wg.Go(func() {
		for i := range bulkTotal / bulkChunk {
			for dc.BufferedAmount() > bulkHighWater {
				select {
				case <-cLow:
				case <-time.After(100 * time.Millisecond): // a missed wake-up must not hang
				case <-stop:
					return
				}
			}
			if err := dc.Send(bulkChunkData(i)); err != nil {
				errs.add("chanrtc send chunk %d: %v", i, err)
				return
			}
		}
	})

	pLow := make(chan struct{}, 1)
	pd.SetBufferedAmountLowThreshold(bulkHighWater / 2)
	pd.OnBufferedAmountLow(func() {
		select {
		case pLow <- struct{}{}:
		default:
		}
	})
	wg.Go(func() {
		for i := range bulkTotal / bulkChunk {
			for pd.BufferedAmount() > bulkHighWater {
				select {
				case <-pLow:
				case <-time.After(100 * time.Millisecond):
				case <-stop:
					return
				}
			}
			if err := pd.Send(bulkChunkData(i)); err != nil {
				errs.add("pion send chunk %d: %v", i, err)
				return
			}
		}
	})

	pRecv.wait(t, "pion")
	cRecv.wait(t, "chanrtc")
	t.Logf("4 MiB each way in %v", time.Since(start).Round(time.Millisecond))
	errs.check(t)
	pr.closeAndCheck(t)
}
