// Command loopback connects two chanrtc PeerConnections in one process over
// real loopback UDP and reports what happened and how fast.
//
//	go run ./examples/loopback
//
// Both peers gather only 127.0.0.1 host candidates (Config.LoopbackOnly)
// and trickle them to each other through in-process signalling
// (OnICECandidate -> AddICECandidate). Once connected they exchange
// messages of several sizes, text and binary, both ways at once on
// "chat"; measure round trips on "ping", a channel the answerer opens; and
// push a burst one way on "bulk". It prints the time to connect and to
// open, the round-trip p50/p99 and the throughput, and exits 0 when every
// message arrived intact and in order (1 otherwise).
//
// The offerer also sends an H.264 video and an Opus audio track, played in
// real time from the clips under testdata (-video, -audio; run it from the
// repository root, or -video ” for no media); the answerer reads whole
// frames back and the run reports how many came back intact, how many
// packets NACK recovered and how many were lost.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.Messages, "messages", 256, `messages each way on "chat"`)
	flag.IntVar(&o.Pings, "pings", 500, `round trips on "ping"`)
	burstMiB := flag.Int("burst", 16, `MiB sent one way on "bulk"`)
	timeout := flag.Duration("timeout", 20*time.Second, "overall time limit")
	verbose := flag.Bool("v", false, "log chanrtc's diagnostics to stderr")
	flag.StringVar(&o.VideoFile, "video", "testdata/h264/clip.h264", "H.264 Annex-B `file` to send ('' for no media)")
	flag.StringVar(&o.AudioFile, "audio", "testdata/opus/clip.ogg", "Ogg Opus `file` to send")
	flag.Parse()
	if flag.NArg() > 0 || o.Messages < 0 || o.Pings < 0 || *burstMiB < 0 {
		flag.Usage()
		os.Exit(2)
	}
	o.BurstBytes = *burstMiB << 20
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopback: FAIL:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout, o)
}

func (r report) print(w io.Writer, o options) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
	us := func(d time.Duration) string { return fmt.Sprintf("%dµs", d.Microseconds()) }
	mbps := func(n int64, d time.Duration) float64 { return float64(n) / 1e6 / max(d.Seconds(), 1e-9) }

	fmt.Fprintln(w, "chanrtc loopback: two PeerConnections over 127.0.0.1 UDP, trickle ICE signalled in-process")
	fmt.Fprintf(w, "  candidates   offerer %d, answerer %d, trickled\n", r.Candidates[0], r.Candidates[1])
	fmt.Fprintf(w, "  connected    offerer %s, answerer %s after the start\n", ms(r.Connected[0]), ms(r.Connected[1]))
	fmt.Fprintf(w, "  open         \"chat\" open on both sides %s after the start\n", ms(r.Open))
	fmt.Fprintf(w, "  messages     %d each way on \"chat\" (0 B to 64 KiB, text and binary), all intact and in order: %.2f MB both ways together in %s, %.1f MB/s\n",
		o.Messages, float64(r.MessageBytes)/1e6, ms(r.Exchange), mbps(r.MessageBytes, r.Exchange))
	if len(r.RTT) > 0 {
		fmt.Fprintf(w, "  round trip   %d pings on \"ping\": p50 %s, p99 %s (min %s, max %s)\n",
			len(r.RTT), us(percentile(r.RTT, .5)), us(percentile(r.RTT, .99)), us(r.RTT[0]), us(r.RTT[len(r.RTT)-1]))
	}
	if r.BurstBytes > 0 {
		fmt.Fprintf(w, "  throughput   %d MiB one way on \"bulk\" in %s: %.1f MB/s\n", r.BurstBytes>>20, ms(r.Burst), mbps(r.BurstBytes, r.Burst))
	}
	if m := r.Media; m != nil {
		fmt.Fprintf(w, "  video        H.264 %d/%d frames back intact in %s; sender %s; receiver %s\n", m.VideoGot, m.VideoSent, ms(m.Took), m.Send[0], m.Receive[0])
		fmt.Fprintf(w, "  audio        Opus %d/%d frames back intact; sender %s; receiver %s\n", m.AudioGot, m.AudioSent, m.Send[1], m.Receive[1])
	}
	fmt.Fprintf(w, "ok in %s\n", ms(r.Total))
}
