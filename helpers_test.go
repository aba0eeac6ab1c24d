package chanrtc

import (
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// testConfig keeps test traffic on 127.0.0.1 with mDNS off.
func testConfig() Config {
	return Config{LoopbackOnly: true, MDNS: MDNSDisabled}
}

func newTestPC(t *testing.T) *PeerConnection {
	t.Helper()
	pc, err := NewPeerConnection(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// checkLeaks fails the test if goroutines are left once it ends.
func checkLeaks(t *testing.T) {
	t.Helper()
	opts := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opts) })
}

// signalNonTrickle runs offer/answer with complete descriptions.
func signalNonTrickle(t *testing.T, offerer, answerer *PeerConnection) {
	t.Helper()
	signalEditingAnswer(t, offerer, answerer, nil)
}

// signalEditingAnswer runs offer/answer with complete descriptions, handing
// the answer through edit (when not nil) on its way to the offerer: how a
// test plays a remote that advertises something else than it does.
func signalEditingAnswer(t *testing.T, offerer, answerer *PeerConnection, edit func(sdp string) string) {
	t.Helper()
	signalEditing(t, offerer, answerer, nil, edit)
}

// signalEditing is signalEditingAnswer that also hands the offer through
// editOffer (when not nil) on its way to the answerer.
func signalEditing(t *testing.T, offerer, answerer *PeerConnection, editOffer, edit func(sdp string) string) {
	t.Helper()
	offer, err := offerer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := offerer.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, offerer)
	remote := *offerer.LocalDescription()
	if editOffer != nil {
		remote.SDP = editOffer(remote.SDP)
	}
	if err := answerer.SetRemoteDescription(remote); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer()
	if err != nil {
		t.Fatal(err)
	}
	if err := answerer.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, answerer)
	desc := *answerer.LocalDescription()
	if edit != nil {
		desc.SDP = edit(desc.SDP)
	}
	if err := offerer.SetRemoteDescription(desc); err != nil {
		t.Fatal(err)
	}
}

// answerNonTrickle lets b answer the offer a has applied, with complete
// descriptions (an implicit SetLocalDescription, as browsers do).
func answerNonTrickle(t *testing.T, a, b *PeerConnection) {
	t.Helper()
	if err := b.SetRemoteDescription(*a.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLocalDescription(SessionDescription{}); err != nil {
		t.Fatal(err)
	}
	waitGathered(t, b)
	if err := a.SetRemoteDescription(*b.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}

func waitGathered(t *testing.T, pc *PeerConnection) {
	t.Helper()
	select {
	case <-pc.GatheringComplete():
	case <-time.After(10 * time.Second):
		t.Fatal("gathering did not complete")
	}
}

// recv waits for a value or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// heapAfterGC is the live heap after full collections.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
