package main

import (
	"fmt"
	"time"
)

// scale: 500 pairs (1,000 PeerConnections) in one process with echo
// traffic: every pair sends 100 bytes every 100 ms, echoed back.
func runScale(o options, r *results) {
	pairs, traffic := 500, 10*time.Second
	if o.quick {
		pairs, traffic = 50, time.Second
	}
	for round := 1; round <= o.rounds; round++ {
		for _, impl := range impls {
			progress("scale round %d/%d %s %d PeerConnections", round, o.rounds, impl, 2*pairs)
			v, cpu, err := runConns(impl, pairs, o.parallel, traffic)
			if err != nil {
				r.note("scale %s round %d failed: %v", impl, round, err)
				continue
			}
			name := fmt.Sprintf("%d PCs", 2*pairs)
			r.add("scale", name+": time to set up all (s)", impl, v["establish_s"])
			r.add("scale", name+": CPU to set up all (s)", impl, v["establish_cpu_s"])
			r.add("scale", name+": RSS idle (MiB)", impl, v["rss_mib"])
			r.add("scale", name+": RSS with traffic (MiB)", impl, v["rss_traffic_mib"])
			r.add("scale", name+": CPU s per 1000 echoes", impl, v["traffic_cpu_s"]/max(v["echo_received"], 1)*1000)
			if v["echo_sent"] > 0 {
				r.add("scale", name+": echoes back within 3 s / sent", impl, v["echo_received"]/v["echo_sent"])
			}
			r.add("scale", name+": process CPU total (s)", impl, cpu)
		}
	}
	r.note("scale: %d pairs set up %d at a time, then %v of echo traffic (100 bytes every 100 ms per pair)", pairs, o.parallel, traffic)
}
