// Package offer is the signalling the examples echo, play and record
// share: POST /offer takes a complete SDP offer and answers 201 with the
// complete SDP answer, on a PeerConnection the server closes when it
// fails, closes, stays disconnected or never connects, and on Close. What
// an example does with its connections it plugs in through hooks.
package offer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc"
)

// Limits and default timeouts. New copies the timeouts into fields, so
// that tests can shorten them.
const (
	MaxBytes            = 1 << 20          // larger offers get 413
	GatherTimeout       = 10 * time.Second // answer with the candidates so far after this
	ConnectTimeout      = 30 * time.Second // close a connection not up by then
	DisconnectedTimeout = 15 * time.Second // close a connection disconnected this long
)

var errShuttingDown = errors.New("server is shutting down")

// Server serves POST /offer and owns the connections it creates.
type Server struct {
	cfg chanrtc.Config
	Log *slog.Logger // each peer logs with "peer" and its N added

	GatherTimeout       time.Duration
	ConnectTimeout      time.Duration
	DisconnectedTimeout time.Duration

	// Setup, if set, runs on each new peer before it is registered, so
	// that nothing else sees it yet: it sets the peer's callbacks and
	// hooks, and may change its ID and Log.
	Setup func(p *Peer)
	// Header, if set, adds headers to a 201 answer for p.
	Header func(p *Peer, h http.Header)

	ids atomic.Uint64
	// wg counts every goroutine the server starts for a connection. Adds
	// happen under mu (watchers) or under a peer's mu while it is open
	// (Peer.Go); Close closes every peer before it waits.
	wg sync.WaitGroup

	mu     sync.Mutex // guards peers and closed
	peers  map[string]*Peer
	closed bool
}

// New returns a Server making its PeerConnections with cfg.
func New(cfg chanrtc.Config, log *slog.Logger) *Server {
	return &Server{
		cfg:                 cfg,
		Log:                 log,
		GatherTimeout:       GatherTimeout,
		ConnectTimeout:      ConnectTimeout,
		DisconnectedTimeout: DisconnectedTimeout,
		peers:               make(map[string]*Peer),
	}
}

// ServeHTTP is POST /offer: a complete SDP offer in, 201 and the complete
// SDP answer out.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an SDP offer (Content-Type: application/sdp)", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("offer larger than %d bytes", MaxBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading offer: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) == 0 {
		http.Error(w, "empty offer: POST the SDP offer as the request body", http.StatusBadRequest)
		return
	}
	p, err := s.newPeer(r.RemoteAddr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	answer, status, err := p.answer(r.Context(), string(body))
	if err != nil {
		p.Close("answer failed: " + err.Error())
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	if s.Header != nil {
		s.Header(p, w.Header())
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func (s *Server) newPeer(remote string) (*Peer, error) {
	pc, err := chanrtc.NewPeerConnection(s.cfg)
	if err != nil {
		return nil, err
	}
	p := newPeer(s, pc, s.ids.Add(1))
	if s.Setup != nil {
		s.Setup(p)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		p.cancel()
		_ = pc.Close()
		return nil, errShuttingDown
	}
	s.peers[p.ID] = p
	s.wg.Go(p.watch) // under mu, so Close's Wait sees it
	s.mu.Unlock()

	p.Log.Info("offer", "remote", remote)
	return p, nil
}

// Lookup returns the open peer with the given ID, or nil.
func (s *Server) Lookup(id string) *Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peers[id]
}

// Close closes every connection, refuses new offers, and returns once
// every goroutine of the server has ended. Peers close in parallel, since
// closing one may wait for its goroutines (record's files).
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	peers := make([]*Peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() { p.Close("server shutting down") })
	}
	wg.Wait()
	s.wg.Wait()
}

// Peers returns how many connections are open.
func (s *Server) Peers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

func (s *Server) remove(p *Peer) {
	s.mu.Lock()
	delete(s.peers, p.ID)
	s.mu.Unlock()
}

// id is the default ID of the n-th peer.
func id(n uint64) string { return strconv.FormatUint(n, 10) }
