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
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chanrtc/chanrtc"
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
	// H.264, Opus and G.711 are reflected frame by frame; VP8 (what
	// browsers prefer) packet by packet.
	cfg.Codecs = append(chanrtc.DefaultCodecs(), chanrtc.CodecVP8)
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
	echo := newServer(cfg, log)
	srv := &http.Server{
		Handler:           echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      offer.GatherTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "loopback", cfg.LoopbackOnly,
		"ice_servers", len(ice.Servers), "relay", ice.Relay, "url", "http://"+ln.Addr().String()+"/")

	select {
	case err := <-served:
		echo.Close()
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process
	log.Info("shutting down", "peers", echo.Peers())
	// Close the PeerConnections first: that ends the handlers still waiting
	// for gathering, so Shutdown does not wait for them.
	echo.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
