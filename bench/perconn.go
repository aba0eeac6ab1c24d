package main

import "fmt"

// perconn: N connected pairs idle in one process (a fresh child process
// per measurement, so heaps do not mix), one open DataChannel each. Per
// PeerConnection: live heap after runtime.GC, RSS and goroutines, each
// the growth over the process before the first PeerConnection divided by
// 2N; the time to set them all up; goroutines still running 5 s after
// every PeerConnection is closed.

func runPerConn(o options, r *results) {
	sizes := []int{100, 300}
	if o.quick {
		sizes = []int{20}
	}
	for round := 1; round <= o.rounds; round++ {
		for _, n := range sizes {
			for _, impl := range impls {
				progress("perconn round %d/%d %s N=%d", round, o.rounds, impl, n)
				v, _, err := runConns(impl, n, o.parallel, 0)
				if err != nil {
					r.note("perconn %s N=%d round %d failed: %v", impl, n, round, err)
					continue
				}
				name := fmt.Sprintf("N=%d", n)
				r.add("perconn", name+": heap per PC (KiB)", impl, v["heap_per_pc_kib"])
				r.add("perconn", name+": RSS per PC (KiB)", impl, v["rss_per_pc_kib"])
				r.add("perconn", name+": goroutines per PC", impl, v["goroutines_per_pc"])
				r.add("perconn", name+": time to set up all (s)", impl, v["establish_s"])
				r.add("perconn", name+": goroutines left after Close", impl, v["goroutines_left"])
			}
		}
	}
	r.note("perconn: N pairs = 2N PeerConnections in one process, %d pairs set up at once; measured 1 s after the last DataChannel opened", o.parallel)
}
