// Command record records the camera and microphone of browsers to files,
// over WebRTC.
//
//	go run ./examples/record -out DIR -addr 127.0.0.1:8080
//
// Open http://127.0.0.1:8080/ and press Start: the page asks for the camera
// and the microphone, offers to send them (H.264 preferred), and the server
// writes what it receives: the video to DIR/ID.h264, an H.264 Annex-B
// elementary stream that starts at the first keyframe (ffplay and VLC play
// it, ffmpeg -i ID.h264 -c copy ID.mp4 wraps it), and the audio to
// DIR/ID.ogg, Ogg Opus (RFC 7845). ID is the time of the offer and a
// counter, e.g. 20260102-150405-1. The files are written as frames arrive
// and closed when the connection ends: Stop on the page, the browser tab
// closed or gone (seen by ICE consent checks after a few seconds), or the
// server shutting down (SIGINT, SIGTERM). Each file's path and frame count
// are logged.
//
// The HTTP side is the one of examples/echo, plus a way to end a
// recording: POST /offer with a complete SDP offer (Content-Type:
// application/sdp, non-trickle) answers 201 Created with the complete SDP
// answer and, in Location, the recording's URL (/recordings/ID); DELETE on
// that URL ends the recording and answers 200 with what was written, in
// JSON. GET / serves the page. An offer that sends neither H.264 video nor
// Opus audio gets 400.
//
// With -loopback (the default when -addr is a loopback address) ICE gathers
// only 127.0.0.1 host candidates, plus relay candidates from -ice-server.
// For a browser on another machine, listen on a reachable address, e.g.
// -addr 0.0.0.0:8080 (browsers give the camera to http:// pages on
// localhost only: use https, or a tunnel, from elsewhere).
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/chanrtc/chanrtc/examples/internal/flags"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "HTTP listen `address`")
	out := flag.String("out", ".", "`directory` to write the recordings to (created if need be)")
	verbose := flag.Bool("v", false, "also log chanrtc's own diagnostics")
	var ice flags.ICE
	ice.Register(flag.CommandLine, "the host of -addr")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "record: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, *out, &ice, *verbose, log); err != nil {
		log.Error("record: " + err.Error())
		os.Exit(1)
	}
}

func run(addr, out string, ice *flags.ICE, verbose bool, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	dir, err := prepareDir(out)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
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
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/", "out", dir, "loopback", cfg.LoopbackOnly,
		"ice_servers", len(ice.Servers), "relay", ice.Relay)
	return offer.Serve(ln, newServer(cfg, dir, log), log)
}

// prepareDir creates dir if need be, checks that files can be made in it,
// and returns its absolute path.
func prepareDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(abs, ".record-check-*")
	if err != nil {
		return "", err
	}
	f.Close()
	return abs, os.Remove(f.Name())
}
