//go:build !chanrtc_nodatachannel

package chanrtc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"
)

// footprintPair is two PeerConnections connected over loopback with one
// open DataChannel, as the cost-per-connection scenario keeps them idle.
type footprintPair struct {
	offerer, answerer *PeerConnection
}

func (p footprintPair) close() {
	_ = p.offerer.Close()
	_ = p.answerer.Close()
}

// connectFootprintPair connects two PeerConnections (non-trickle) and
// returns once the offerer's DataChannel is open and the answerer has it.
func connectFootprintPair() (footprintPair, error) {
	offerer, err := NewPeerConnection(testConfig())
	if err != nil {
		return footprintPair{}, err
	}
	answerer, err := NewPeerConnection(testConfig())
	if err != nil {
		_ = offerer.Close()
		return footprintPair{}, err
	}
	p := footprintPair{offerer, answerer}
	if err := p.connect(); err != nil {
		p.close()
		return footprintPair{}, err
	}
	return p, nil
}

func (p footprintPair) connect() error {
	announced := make(chan struct{})
	p.answerer.OnDataChannel(func(*DataChannel) { close(announced) })
	dc, err := p.offerer.CreateDataChannel("idle", nil)
	if err != nil {
		return err
	}
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	offer, err := p.offerer.CreateOffer()
	if err != nil {
		return err
	}
	if err := p.offerer.SetLocalDescription(offer); err != nil {
		return err
	}
	timeout := time.After(30 * time.Second)
	wait := func(ch <-chan struct{}, what string) error {
		select {
		case <-ch:
			return nil
		case <-timeout:
			return errors.New("timed out waiting for " + what)
		}
	}
	if err := wait(p.offerer.GatheringComplete(), "offerer gathering"); err != nil {
		return err
	}
	if err := p.answerer.SetRemoteDescription(*p.offerer.LocalDescription()); err != nil {
		return err
	}
	answer, err := p.answerer.CreateAnswer()
	if err != nil {
		return err
	}
	if err := p.answerer.SetLocalDescription(answer); err != nil {
		return err
	}
	if err := wait(p.answerer.GatheringComplete(), "answerer gathering"); err != nil {
		return err
	}
	if err := p.offerer.SetRemoteDescription(*p.answerer.LocalDescription()); err != nil {
		return err
	}
	if err := wait(opened, "DataChannel open"); err != nil {
		return err
	}
	return wait(announced, "remote DataChannel")
}

// connectPairs connects n pairs, at most parallel at a time, and returns
// them with the wall time it took.
func connectPairs(n, parallel int) ([]footprintPair, time.Duration, error) {
	pairs := make([]footprintPair, n)
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range pairs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pairs[i], errs[i] = connectFootprintPair()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ok []footprintPair
	for i, p := range pairs {
		if errs[i] == nil {
			ok = append(ok, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		closePairs(ok)
		return nil, elapsed, err
	}
	return pairs, elapsed, nil
}

func closePairs(pairs []footprintPair) {
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close()
		}()
	}
	wg.Wait()
}

// settledHeap returns the live heap and the heap in use (live objects plus
// the free room of the spans holding them) after the garbage collector has
// run (twice: finalizers of the first pass free more in the second).
func settledHeap() (live, inuse uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapInuse
}

// footprint is what n idle connected pairs cost, per PeerConnection.
type footprint struct {
	pcs           int
	liveHeapPerPC float64 // bytes: live objects (what the bench module reports)
	heapPerPC     float64 // bytes: heap in use, which also counts free room in spans
	goroutinesPC  float64
	establish     time.Duration
	leftAfterStop int
}

// measureFootprint connects n pairs with one open DataChannel each and
// measures heap in use and goroutines per PeerConnection while they idle,
// then closes them all. If profile is not empty, heap and goroutine
// profiles of the idle state are written to profile+".heap" and
// profile+".goroutine".
func measureFootprint(tb testing.TB, n, parallel int, profile string) footprint {
	tb.Helper()
	if profile != "" {
		// Every allocation sampled: the idle state is a few MB, and the
		// default rate (one sample per 512 KiB) would hide most sites.
		defer func(r int) { runtime.MemProfileRate = r }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	// A first pair warms up what is shared by the process (pools, maps of
	// the runtime, lazily built tables) so it is not counted per PC.
	warm, err := connectFootprintPair()
	if err != nil {
		tb.Fatal(err)
	}
	warm.close()
	time.Sleep(100 * time.Millisecond)
	g0 := runtime.NumGoroutine()
	l0, h0 := settledHeap()

	pairs, elapsed, err := connectPairs(n, parallel)
	if err != nil {
		tb.Fatal(err)
	}
	// Let the handshakes' leftovers (retransmission timers, the last
	// flights) settle: the connections are measured idle.
	time.Sleep(500 * time.Millisecond)
	l1, h1 := settledHeap()
	g1 := runtime.NumGoroutine()
	if profile != "" {
		writeProfile(tb, "heap", profile+".heap")
		writeProfile(tb, "goroutine", profile+".goroutine")
	}
	closePairs(pairs)
	time.Sleep(100 * time.Millisecond)
	pcs := 2 * n
	return footprint{
		pcs:           pcs,
		liveHeapPerPC: float64(int64(l1)-int64(l0)) / float64(pcs),
		heapPerPC:     float64(int64(h1)-int64(h0)) / float64(pcs),
		goroutinesPC:  float64(g1-g0) / float64(pcs),
		establish:     elapsed,
		leftAfterStop: runtime.NumGoroutine() - g0,
	}
}

func writeProfile(tb testing.TB, name, path string) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	debug := 0
	if name == "goroutine" {
		debug = 2 // every stack with its creator, readable as text
	}
	if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
		tb.Fatal(err)
	}
}

func (f footprint) String() string {
	return fmt.Sprintf("%d PCs: %.1f KiB live heap/PC, %.1f KiB heap in use/PC, %.2f goroutines/PC, established in %v, %d goroutines left after Close",
		f.pcs, f.liveHeapPerPC/1024, f.heapPerPC/1024, f.goroutinesPC, f.establish.Round(time.Millisecond), f.leftAfterStop)
}

// BenchmarkIdleFootprint connects FOOTPRINT_PAIRS pairs (default 50) in one
// process, each with one open DataChannel, and reports heap in use and
// goroutines per idle PeerConnection and the time to establish them all.
// FOOTPRINT_PROFILE=path writes heap and goroutine profiles of the idle
// state. Run with -benchtime=1x:
//
//	go test -run '^$' -bench IdleFootprint -benchtime=1x .
//	FOOTPRINT_PAIRS=500 go test -run '^$' -bench IdleFootprint -benchtime=1x -timeout 10m .
func BenchmarkIdleFootprint(b *testing.B) {
	n := envInt("FOOTPRINT_PAIRS", 50)
	parallel := envInt("FOOTPRINT_PARALLEL", 64)
	for range b.N {
		f := measureFootprint(b, n, parallel, os.Getenv("FOOTPRINT_PROFILE"))
		b.Log(f)
		b.ReportMetric(f.liveHeapPerPC/1024, "KiB-live/PC")
		b.ReportMetric(f.heapPerPC/1024, "KiB-inuse/PC")
		b.ReportMetric(f.goroutinesPC, "goroutines/PC")
		b.ReportMetric(float64(f.establish.Milliseconds()), "ms-establish")
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// goroutinesPerConnection is the budget of transport/doc.go: a connected
// PeerConnection with one open DataChannel runs 16 goroutines, 6 of
// chanrtc's and 10 of pion's.
const goroutinesPerConnection = 16

// TestGoroutineBudget holds idle connected pairs and checks that each
// PeerConnection stays within the goroutine budget, and that Close leaves
// none.
func TestGoroutineBudget(t *testing.T) {
	checkLeaks(t)
	const n = 3
	g0 := runtime.NumGoroutine()
	pairs, _, err := connectPairs(n, n)
	if err != nil {
		t.Fatal(err)
	}
	defer closePairs(pairs)
	// Goroutines that only serve the setup (the DTLS handshake actor, the
	// association's setup) end shortly after the channels open.
	budget := g0 + 2*n*goroutinesPerConnection
	got := runtime.NumGoroutine()
	for end := time.Now().Add(5 * time.Second); got > budget && time.Now().Before(end); got = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	if got > budget {
		t.Fatalf("%d goroutines for %d idle PeerConnections, budget %d each: %.1f each", got-g0, 2*n, goroutinesPerConnection, float64(got-g0)/(2*n))
	}
	t.Logf("%.1f goroutines per idle PeerConnection (budget %d)", float64(got-g0)/(2*n), goroutinesPerConnection)
}
