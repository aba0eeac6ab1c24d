// Command echo is the server side of chanrtc's echo contract.
//
//	go run ./examples/echo -addr 127.0.0.1:8080
//
// POST /offer with a complete SDP offer (Content-Type: application/sdp,
// non-trickle) answers 201 Created with the complete SDP answer. Every
// DataChannel the client opens echoes each message back on the same
// channel with the same type. GET / serves a page to try it from a
// browser. Any WebRTC implementation can be checked against it, and
// examples/dial is its client.
//
// Responses: 201 with the answer; 400 for an offer that cannot be parsed
// or satisfied (the body says why); 405 for a method other than POST; 413
// for an offer over 1 MiB; 503 while shutting down.
//
// With -loopback (the default when -addr is a loopback address) ICE gathers
// only 127.0.0.1 host candidates, plus relay candidates from -ice-server.
// For a browser on another machine, listen on a reachable address, e.g.
// -addr 0.0.0.0:8080. Each connection event is logged to stderr; SIGINT or
// SIGTERM closes every PeerConnection and exits.
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
	verbose := flag.Bool("v", false, "also log chanrtc's own diagnostics")
	var ice flags.ICE
	ice.Register(flag.CommandLine, "the host of -addr")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "echo: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, &ice, *verbose, log); err != nil {
		log.Error("echo: " + err.Error())
		os.Exit(1)
	}
}

func run(addr string, ice *flags.ICE, verbose bool, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	cfg := ice.Config(host)
	cfg.Codecs = echoCodecs()
	if verbose {
		lib := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Logger = lib.With("from", "chanrtc")
	}
	// Config.MDNS stays at its default, query-only: browsers hide their
	// host addresses behind .local names that we must resolve.

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "loopback", cfg.LoopbackOnly,
		"ice_servers", len(ice.Servers), "relay", ice.Relay, "url", "http://"+ln.Addr().String()+"/")
	return offer.Serve(ln, newServer(cfg, log), log)
}
