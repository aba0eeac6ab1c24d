package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc"
)

//go:embed index.html
var indexHTML []byte

// Limits and timeouts. newServer copies the timeouts into fields, so that
// tests can shorten them.
const (
	maxOfferBytes       = 1 << 20          // larger offers get 413
	gatherTimeout       = 10 * time.Second // answer with the candidates so far after this
	connectTimeout      = 30 * time.Second // close a connection not up by then
	disconnectedTimeout = 10 * time.Second // close a connection disconnected this long
)

var errShuttingDown = errors.New("server is shutting down")

// server answers offers to send media with a connection whose tracks it
// records to files in dir. A recording ends when its connection fails,
// closes, stays disconnected or never connects, when the client DELETEs
// it, and on Close.
type server struct {
	cfg chanrtc.Config
	dir string
	log *slog.Logger
	mux *http.ServeMux

	gatherTimeout       time.Duration
	connectTimeout      time.Duration
	disconnectedTimeout time.Duration
	// onDone, if set, is called with each recording once its files are
	// closed (for tests).
	onDone func(summary)

	ids atomic.Uint64
	// wg counts every goroutine the server starts for a connection. Adds
	// happen under mu (watchers) or under the peer's mu while it is open
	// (track recorders); Close closes every peer before it waits.
	wg sync.WaitGroup

	mu     sync.Mutex // guards peers and closed
	peers  map[string]*peer
	closed bool
}

// summary is what a recording came to: the answer to DELETE.
type summary struct {
	ID     string       `json:"id"`
	Reason string       `json:"reason"` // why it ended
	Files  []fileResult `json:"files"`
}

func newServer(cfg chanrtc.Config, dir string, log *slog.Logger) *server {
	if len(cfg.Codecs) == 0 {
		// Only what this server handles, so that an offer without it is
		// refused rather than answered with a format it cannot use.
		cfg.Codecs = []chanrtc.Codec{chanrtc.CodecH264, chanrtc.CodecOpus}
	}
	s := &server{
		cfg:                 cfg,
		dir:                 dir,
		log:                 log,
		mux:                 http.NewServeMux(),
		gatherTimeout:       gatherTimeout,
		connectTimeout:      connectTimeout,
		disconnectedTimeout: disconnectedTimeout,
		peers:               make(map[string]*peer),
	}
	s.mux.HandleFunc("/offer", s.handleOffer)
	s.mux.HandleFunc("DELETE /recordings/{id}", s.handleStop)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(indexHTML)
	})
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handleOffer is POST /offer: a complete SDP offer in, 201 and the complete
// SDP answer out, with the recording's URL in Location.
func (s *server) handleOffer(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an SDP offer (Content-Type: application/sdp)", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("offer larger than %d bytes", maxOfferBytes), http.StatusRequestEntityTooLarge)
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
		p.close("answer failed: " + err.Error())
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/recordings/"+p.id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// handleStop is DELETE /recordings/{id}: it ends the recording, closing
// its files, and answers what they hold.
func (s *server) handleStop(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.peers[r.PathValue("id")]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, "no such recording in progress", http.StatusNotFound)
		return
	}
	sum := p.close("stopped by the client")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sum)
}

// Close ends every recording, closing its files, refuses new offers, and
// returns once every goroutine of the server has ended.
func (s *server) Close() {
	s.mu.Lock()
	s.closed = true
	peers := make([]*peer, 0, len(s.peers))
	for _, p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() { p.close("server shutting down") })
	}
	wg.Wait()
	s.wg.Wait()
}

// Peers returns how many recordings are in progress.
func (s *server) Peers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// peer is one browser's connection, and its recording.
type peer struct {
	srv    *server
	id     string
	pc     *chanrtc.PeerConnection
	log    *slog.Logger
	start  time.Time
	ctx    context.Context // ends when the peer closes
	cancel context.CancelFunc
	states chan chanrtc.PeerConnectionState

	mu      sync.Mutex // guards the fields below
	closed  bool
	tracks  sync.WaitGroup // the track recorders; Adds under mu while open
	results []fileResult

	closing sync.Once
	sum     summary // set by close
}

func (s *server) newPeer(remote string) (*peer, error) {
	pc, err := chanrtc.NewPeerConnection(s.cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := s.ids.Add(1)
	p := &peer{
		srv:    s,
		id:     newID(time.Now(), n),
		pc:     pc,
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
		states: make(chan chanrtc.PeerConnectionState, 8),
	}
	p.log = s.log.With("recording", p.id)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = pc.Close()
		return nil, errShuttingDown
	}
	s.peers[p.id] = p
	s.wg.Go(p.watch)
	s.mu.Unlock()

	p.log.Info("offer", "remote", remote)
	pc.OnConnectionStateChange(func(st chanrtc.PeerConnectionState) {
		p.log.Info("connection state", "state", st, "after", time.Since(p.start).Round(time.Millisecond))
		select {
		case p.states <- st:
		case <-p.ctx.Done():
		}
	})
	// Runs on the connection's event goroutine: hand the track over.
	pc.OnTrack(func(t *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) {
		p.spawn(func() {
			res := recordTrack(t, s.dir, p.id, p.log)
			if res.Path != "" {
				p.log.Info("file closed", res.logArgs()...)
			}
			p.mu.Lock()
			p.results = append(p.results, res)
			p.mu.Unlock()
		})
	})
	return p, nil
}

// answer applies the offer and returns the complete answer, or an error
// with the HTTP status that fits it.
func (p *peer) answer(ctx context.Context, offer string) (string, int, error) {
	if err := p.pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", http.StatusBadRequest, err
	}
	answer, err := p.pc.CreateAnswer()
	if err != nil {
		return "", http.StatusInternalServerError, err
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", http.StatusInternalServerError, err
	}
	if !p.receives() {
		return "", http.StatusBadRequest, errors.New("the offer sends nothing this server records: offer to send video (H.264) or audio (Opus)")
	}
	t := time.NewTimer(p.srv.gatherTimeout)
	defer t.Stop()
	select {
	case <-p.pc.GatheringComplete():
	case <-t.C:
		p.log.Warn("gathering not complete; answering with the candidates so far", "after", p.srv.gatherTimeout)
	case <-ctx.Done():
		return "", http.StatusServiceUnavailable, fmt.Errorf("request ended while gathering: %w", context.Cause(ctx))
	case <-p.ctx.Done():
		return "", http.StatusServiceUnavailable, errShuttingDown
	}
	d := p.pc.LocalDescription()
	if d == nil {
		return "", http.StatusInternalServerError, errors.New("no local description")
	}
	p.log.Info("answer", "after", time.Since(p.start).Round(time.Millisecond))
	return d.SDP, 0, nil
}

// receives reports whether the answer receives a track.
func (p *peer) receives() bool {
	for _, tr := range p.pc.GetTransceivers() {
		if d := tr.CurrentDirection(); d == chanrtc.DirectionRecvOnly || d == chanrtc.DirectionSendRecv {
			return true
		}
	}
	return false
}

// watch closes the peer when its connection fails or closes, stays
// disconnected for too long, or does not connect in time.
func (p *peer) watch() {
	deadline := time.NewTimer(p.srv.connectTimeout)
	defer deadline.Stop()
	reason := "not connected in time"
	for {
		select {
		case <-p.ctx.Done():
			return
		case st := <-p.states:
			switch st {
			case chanrtc.PeerConnectionStateConnected:
				deadline.Stop()
			case chanrtc.PeerConnectionStateDisconnected:
				deadline.Reset(p.srv.disconnectedTimeout)
				reason = "disconnected too long"
			case chanrtc.PeerConnectionStateFailed, chanrtc.PeerConnectionStateClosed:
				p.close("connection " + st.String())
				return
			}
		case <-deadline.C:
			p.close(reason)
			return
		}
	}
}

// spawn runs f on a goroutine that close waits for, unless the peer is
// closed.
func (p *peer) spawn(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.tracks.Add(1)
	p.srv.wg.Go(func() {
		defer p.tracks.Done()
		f()
	})
}

// close ends the recording once: it closes the connection, which ends
// its tracks, and returns once their files are closed, with what they
// hold. Every call returns that; it is safe from any goroutine but the
// track recorders'.
func (p *peer) close(reason string) summary {
	p.closing.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
		_ = p.pc.Close()
		p.srv.mu.Lock()
		delete(p.srv.peers, p.id)
		p.srv.mu.Unlock()
		p.tracks.Wait()

		p.mu.Lock()
		p.sum = summary{ID: p.id, Reason: reason, Files: p.results}
		p.mu.Unlock()
		args := []any{"reason", reason, "lifetime", time.Since(p.start).Round(time.Millisecond)}
		for _, r := range p.sum.Files {
			if r.Path != "" {
				args = append(args, r.Kind, fmt.Sprintf("%s (%d frames)", r.Path, r.Frames))
			}
		}
		if len(p.sum.Files) == 0 {
			args = append(args, "files", "none")
		}
		if err := p.pc.Err(); err != nil {
			args = append(args, "err", err)
		}
		p.log.Info("recording ended", args...)
		if p.srv.onDone != nil {
			p.srv.onDone(p.sum)
		}
	})
	return p.sum
}
