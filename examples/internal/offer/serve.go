package offer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// PeerHandler is an example's HTTP side: its pages and POST /offer, and the
// PeerConnections it made (an embedded *Server provides Close and Peers).
type PeerHandler interface {
	http.Handler
	Close()
	Peers() int
}

// Serve serves h on ln until SIGINT or SIGTERM (a second one kills the
// process) or a serving error. On a signal it closes h's PeerConnections
// first — that ends the handlers still waiting for gathering, so the HTTP
// shutdown does not wait for them — then shuts the server down within 5 s.
func Serve(ln net.Listener, h PeerHandler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      GatherTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		h.Close()
		return err
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "peers", h.Peers())
	h.Close()
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
