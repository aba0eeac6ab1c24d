// Command play streams an H.264 file and an Opus file to browsers, in real
// time, over WebRTC.
//
//	go run ./examples/play -video testdata/h264/clip.h264 -audio testdata/opus/clip.ogg -addr 127.0.0.1:8080
//
// Open http://127.0.0.1:8080/ and press Connect: the page offers to
// receive one video and one audio track (H.264 preferred), and the server
// answers with a track of each on the offered transceivers, then sends the
// files frame by frame: video at -fps, audio by the duration of each Opus
// packet. With -loop (the default) both start over together once both
// have ended, the shorter one followed by a pause as long as the
// difference, so that they stay in step round after round. A keyframe
// request from the browser (PLI or FIR) is answered at the next frame time
// by sending the latest keyframe again, and the frames after it: a file
// cannot encode a new keyframe, and the frames that follow it in the file
// are the ones that decode after it (the video then runs that much behind
// the audio). Streaming stops when the connection closes or fails.
//
// The HTTP side is the one of examples/echo: POST /offer with a complete
// SDP offer (Content-Type: application/sdp, non-trickle) answers 201
// Created with the complete SDP answer; GET / serves the page. The offer
// must ask to receive video, audio or both: an offer that cannot receive
// anything this server sends gets 400.
//
// The files are read into memory once, at start: -video is an H.264
// Annex-B elementary stream (.h264, as ffmpeg -f h264 writes it),
// Constrained Baseline for browsers to decode it; -audio is an Ogg Opus
// file (.ogg, .opus). Either may be omitted, not both.
//
// With -loopback (the default when -addr is a loopback address) ICE gathers
// only 127.0.0.1 host candidates, plus relay candidates from -ice-server.
// For a browser on another machine, listen on a reachable address, e.g.
// -addr 0.0.0.0:8080. SIGINT or SIGTERM closes every connection and exits.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/chanrtc/chanrtc/examples/internal/flags"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "HTTP listen `address`")
	videoPath := flag.String("video", "", "H.264 Annex-B `file` to stream (e.g. testdata/h264/clip.h264)")
	audioPath := flag.String("audio", "", "Ogg Opus `file` to stream (e.g. testdata/opus/clip.ogg)")
	fps := flag.Float64("fps", 30, "video frame `rate`, in frames per second")
	loop := flag.Bool("loop", true, "start over at the end of the files")
	verbose := flag.Bool("v", false, "also log chanrtc's own diagnostics")
	var ice flags.ICE
	ice.Register(flag.CommandLine, "the host of -addr")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "play: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if *videoPath == "" && *audioPath == "" {
		fmt.Fprintln(os.Stderr, "play: give -video, -audio or both")
		flag.Usage()
		os.Exit(2)
	}
	if !(*fps > 0 && *fps <= 240) {
		fmt.Fprintf(os.Stderr, "play: -fps %v: want a rate above 0, up to 240\n", *fps)
		os.Exit(2)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	m, err := loadMedia(*videoPath, *audioPath, *fps, *loop)
	if err != nil {
		log.Error("play: " + err.Error())
		os.Exit(1)
	}
	if err := run(*addr, &ice, m, *verbose, log); err != nil {
		log.Error("play: " + err.Error())
		os.Exit(1)
	}
}

func run(addr string, ice *flags.ICE, m *media, verbose bool, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	cfg := ice.Config(host)
	if verbose {
		lib := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Logger = lib.With("from", "chanrtc")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/", "loopback", cfg.LoopbackOnly,
		"ice_servers", len(ice.Servers), "relay", ice.Relay)
	m.describe(log)
	return offer.Serve(ln, newServer(cfg, m, log), log)
}
