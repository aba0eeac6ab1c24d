//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chanrtc/chanrtc/internal/netsim"
)

// badWiFi is the lossy path, applied to each direction.
var badWiFi = netsim.Impairment{
	Loss:      0.10,
	Delay:     30 * time.Millisecond,
	Jitter:    10 * time.Millisecond,
	Reorder:   0.05,
	Duplicate: 0.01,
}

// numbered builds message seq of size bytes: the sequence number, bytes
// drawn from a generator seeded with it, and a SHA-256 of all that.
func numbered(seq uint32, size int) []byte {
	m := make([]byte, size)
	binary.BigEndian.PutUint32(m, seq)
	body := m[4 : size-sha256.Size]
	r := rand.NewChaCha8([32]byte{byte(seq), byte(seq >> 8), byte(seq >> 16), byte(seq >> 24)})
	_, _ = r.Read(body)
	sum := sha256.Sum256(m[:size-sha256.Size])
	copy(m[size-sha256.Size:], sum[:])
	return m
}

// checkNumbered returns the sequence number of an intact message.
func checkNumbered(m []byte, size int) (uint32, error) {
	if len(m) != size {
		return 0, fmt.Errorf("%d bytes, want %d", len(m), size)
	}
	seq := binary.BigEndian.Uint32(m)
	if !bytes.Equal(m, numbered(seq, size)) {
		return seq, fmt.Errorf("message %d corrupted", seq)
	}
	return seq, nil
}

// TestReliableOrderedUnderLoss: 2,000 4 KiB messages on a reliable ordered
// channel over a path with 10% loss, 30 ± 10 ms delay, 5% reordering and 1%
// duplication each way all arrive, intact and in order.
func TestReliableOrderedUnderLoss(t *testing.T) {
	const count, size = 2000, 4 << 10
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		p := newSimPair(t, 2026, nil)
		p.impair(badWiFi)

		type result struct {
			got int
			err error
		}
		done := make(chan result, 1)
		p.answerer.OnDataChannel(func(dc *DataChannel) {
			next := uint32(0)
			dc.OnMessage(func(m DataChannelMessage) {
				if next == count {
					return
				}
				seq, err := checkNumbered(m.Data, size)
				if err == nil && seq != next {
					err = fmt.Errorf("message %d arrived when %d was due", seq, next)
				}
				if err != nil {
					next = count
					done <- result{int(seq), err}
					return
				}
				if next++; next == count {
					done <- result{got: count}
				}
			})
		})
		c := newEchoClient(t, p.offerer, "bulk", nil)
		start := time.Now()
		signalNonTrickle(t, p.offerer, p.answerer)
		recv(t, c.opened, "open")
		opened := time.Since(start)

		sendStart := time.Now()
		for i := range uint32(count) {
			if err := c.dc.Send(numbered(i, size)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Minute):
			t.Fatalf("not delivered within 10 virtual minutes")
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		took := time.Since(sendStart)
		ab, ba := p.net.Stats(p.offHost, p.ansHost), p.net.Stats(p.ansHost, p.offHost)
		t.Logf("%d x %d B delivered intact and in order in %v of virtual time (%.0f KB/s); connected and open after %v",
			count, size, took, float64(count*size)/took.Seconds()/1e3, opened)
		t.Logf("link offerer->answerer %+v", ab)
		t.Logf("link answerer->offerer %+v", ba)
	})
	t.Logf("wall-clock time for the whole run: %v", time.Since(wall).Round(time.Millisecond))
}
