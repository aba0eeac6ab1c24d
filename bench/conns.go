package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The conns child holds many connected PeerConnection pairs in one
// process (perconn and scale run it): it sets them up, -par pairs at a
// time, each with one DataChannel whose answering side echoes; measures
// heap, RSS and goroutines once they idle; optionally sends echo traffic
// for -d; closes them all and counts the goroutines left.

// connPair is one connected pair in the conns child.
type connPair struct {
	offer, answer peer
	dc            channel
	echoed        *atomic.Int64
}

func connsChild(cf childFlags) {
	link := newParentLink()
	vals, err := holdConns(cf)
	if err != nil {
		link.fail(err)
	}
	link.send(msg{Op: "result", Vals: vals})
	_, _ = link.recv() // until the parent closes stdin
}

func holdConns(cf childFlags) (map[string]float64, error) {
	st, err := newStack(cf.impl)
	if err != nil {
		return nil, err
	}
	n, par := cf.pairs, max(cf.parallel, 1)
	v := map[string]float64{}
	heap0, rss0, gr0 := footprint()

	start := time.Now()
	cpu0 := cpuSeconds()
	pairs := make([]*connPair, n)
	var firstErr error
	var errOnce sync.Once
	forEach(n, par, func(i int) {
		p, err := connectPair(st)
		if err != nil {
			errOnce.Do(func() { firstErr = fmt.Errorf("pair %d: %w", i, err) })
			return
		}
		pairs[i] = p
	})
	v["establish_s"] = time.Since(start).Seconds()
	v["establish_cpu_s"] = cpuSeconds() - cpu0
	defer closeAll(pairs, par)
	if firstErr != nil {
		return nil, firstErr
	}

	time.Sleep(time.Second) // let handshake leftovers settle
	heap1, rss1, gr1 := footprint()
	pcs := float64(2 * n)
	v["heap_per_pc_kib"] = float64(heap1-heap0) / pcs / 1024
	v["rss_per_pc_kib"] = float64(rss1-rss0) / pcs / 1024
	v["goroutines_per_pc"] = float64(gr1-gr0) / pcs
	v["rss_mib"] = float64(rss1) / (1 << 20)

	if cf.duration > 0 {
		sent, echoed, cpu := echoTraffic(pairs, cf.duration)
		v["echo_sent"], v["echo_received"], v["traffic_cpu_s"] = sent, echoed, cpu
		_, rss2, _ := footprint()
		v["rss_traffic_mib"] = float64(rss2) / (1 << 20)
	}

	closeAll(pairs, par)
	// Goroutines that outlive Close: wait up to 5 s for them to end.
	for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > gr0 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	v["goroutines_left"] = float64(max(runtime.NumGoroutine()-gr0, 0))
	return v, nil
}

// connectPair connects an offerer and an answerer in this process and
// waits for the DataChannel to be open on both sides.
func connectPair(st stack) (*connPair, error) {
	o, err := st.NewPeer()
	if err != nil {
		return nil, err
	}
	a, err := st.NewPeer()
	if err != nil {
		_ = o.Close()
		return nil, err
	}
	p := &connPair{offer: o, answer: a, echoed: &atomic.Int64{}}
	fail := func(err error) (*connPair, error) {
		_ = o.Close()
		_ = a.Close()
		return nil, err
	}
	remote := make(chan struct{})
	var remoteOnce sync.Once
	a.OnDataChannel(func(ch channel) {
		ch.OnMessage(func(b []byte) { _ = ch.Send(b) })
		remoteOnce.Do(func() { close(remote) })
	})
	if p.dc, err = o.CreateDataChannel("echo", false, nil); err != nil {
		return fail(err)
	}
	opened := make(chan struct{})
	var openOnce sync.Once
	p.dc.OnOpen(func() { openOnce.Do(func() { close(opened) }) })
	p.dc.OnMessage(func([]byte) { p.echoed.Add(1) })
	offer, err := o.CreateOffer()
	if err != nil {
		return fail(err)
	}
	answer, err := a.Answer(offer)
	if err != nil {
		return fail(err)
	}
	if err := o.SetAnswer(answer); err != nil {
		return fail(err)
	}
	timeout := time.After(60 * time.Second)
	for _, c := range []chan struct{}{opened, remote} {
		select {
		case <-c:
		case <-timeout:
			return fail(errors.New("the DataChannel did not open on both sides within 60 s"))
		}
	}
	return p, nil
}

// echoTraffic has every pair send a 100-byte message every 100 ms for d
// and returns how many were sent, how many came back, and the CPU spent.
func echoTraffic(pairs []*connPair, d time.Duration) (sent, echoed, cpu float64) {
	var wg sync.WaitGroup
	var nsent atomic.Int64
	cpu0 := cpuSeconds()
	var before int64
	for _, p := range pairs {
		before += p.echoed.Load()
	}
	msg := make([]byte, 100)
	end := time.Now().Add(d)
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the pairs over the interval.
			time.Sleep(time.Duration(i) * 100 * time.Millisecond / time.Duration(len(pairs)))
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for time.Now().Before(end) {
				if p.dc.Send(msg) == nil {
					nsent.Add(1)
				}
				<-t.C
			}
		}()
	}
	wg.Wait()
	echoes := func() int64 {
		n := -before
		for _, p := range pairs {
			n += p.echoed.Load()
		}
		return n
	}
	// The last echoes: wait until all are back, or 3 s.
	for wait := time.Now().Add(3 * time.Second); echoes() < nsent.Load() && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	return float64(nsent.Load()), float64(echoes()), cpuSeconds() - cpu0
}

func closeAll(pairs []*connPair, par int) {
	forEach(len(pairs), par, func(i int) {
		if p := pairs[i]; p != nil {
			_ = p.offer.Close()
			_ = p.answer.Close()
			pairs[i] = nil
		}
	})
}

// forEach calls f(0..n-1) on par goroutines.
func forEach(n, par int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(par, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// footprint is the live heap after a full GC, the resident set size and
// the number of goroutines.
func footprint() (heap, rss uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, vmRSS(), runtime.NumGoroutine()
}

// vmRSS reads VmRSS from /proc/self/status (0 where there is none).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// cpuSeconds is this process's user+system time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// runConns runs one conns child and returns its measurements and CPU.
func runConns(impl string, pairs, parallel int, traffic time.Duration) (map[string]float64, float64, error) {
	c, err := startChild(fmt.Sprintf("%s conns(%d pairs)", impl, pairs), "-child", "conns", "-impl", impl,
		"-pairs", strconv.Itoa(pairs), "-par", strconv.Itoa(parallel), "-d", traffic.String())
	if err != nil {
		return nil, 0, err
	}
	defer c.kill()
	m, err := c.recv(traffic + 5*time.Minute)
	if err != nil {
		return nil, 0, err
	}
	if err := c.finish(30 * time.Second); err != nil {
		return nil, 0, err
	}
	return m.Vals, c.cpu, nil
}
