// Command dial is the client side of chanrtc's echo contract.
//
//	go run ./examples/dial -url http://127.0.0.1:8080/offer -messages 1000 -size 65536
//
// It creates a PeerConnection with a DataChannel "echo", POSTs its complete
// offer (Content-Type: application/sdp) to -url, expects 201 Created with
// the complete answer, and once the channel is open sends -messages
// messages, alternating text and binary, of sizes up to -size (capped by
// the answer's a=max-message-size; the empty message and the largest one
// are always among them). It checks that every echo comes back intact,
// with its type, and in order, then prints a one-line summary and exits 0.
// On any failure it prints the reason to stderr and exits 1 (2 for bad
// flags).
//
// Sends are flow-controlled (BufferedAmount kept under 1 MiB through
// OnBufferedAmountLow, and at most a few MiB awaiting their echo), so any
// -messages and -size run in bounded memory. Messages come from a PRNG
// seeded by -seed, so a failing run can be repeated exactly.
//
// With -media it also sends an H.264 video and an Opus audio track, played
// in real time from -video and -audio (the clips under testdata by
// default: run it from the repository root), and checks that at least 90%
// of the frames come back identical, as the echo reflects them.
//
// With -loopback (the default when the -url host is a loopback address)
// ICE gathers only 127.0.0.1 host candidates, plus relay candidates from
// -ice-server.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chanrtc/chanrtc/examples/internal/flags"
)

func main() {
	var o options
	flag.StringVar(&o.URL, "url", "http://127.0.0.1:8080/offer", "the echo server's offer `URL`")
	flag.IntVar(&o.Messages, "messages", 100, "number of messages, alternating text and binary")
	flag.IntVar(&o.Size, "size", 1024, "largest message in `bytes` (capped by the answer's max-message-size)")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the message sizes and contents")
	flag.DurationVar(&o.Timeout, "timeout", 30*time.Second, "overall time limit")
	flag.BoolVar(&o.Media, "media", false, "also send an H.264 video and an Opus audio track from files and check they come back")
	flag.StringVar(&o.VideoFile, "video", "testdata/h264/clip.h264", "H.264 Annex-B `file` sent with -media")
	flag.StringVar(&o.AudioFile, "audio", "testdata/opus/clip.ogg", "Ogg Opus `file` sent with -media")
	var ice flags.ICE
	ice.Register(flag.CommandLine, "the host of -url")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "dial: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(os.Stderr, "dial: -url %q: want http://HOST:PORT/offer\n", o.URL)
		os.Exit(2)
	}
	o.Config = ice.Config(u.Hostname())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial: FAIL:", err)
		stop()
		os.Exit(1)
	}
	fmt.Println(sum)
}
