package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
)

//go:embed index.html
var indexHTML []byte

// disconnectedTimeout closes a connection disconnected this long: shorter
// than offer's default, so that a recording ends soon after its client.
const disconnectedTimeout = 10 * time.Second

// server answers offers to send media with a connection whose tracks it
// records to files in dir. A recording ends when its connection fails,
// closes, stays disconnected or never connects, when the client DELETEs
// it, and on Close.
type server struct {
	*offer.Server
	dir string
	mux *http.ServeMux
	// onDone, if set, is called with each recording once its files are
	// closed (for tests).
	onDone func(summary)
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
	s := &server{Server: offer.New(cfg, log), dir: dir, mux: http.NewServeMux()}
	s.DisconnectedTimeout = disconnectedTimeout
	s.Setup = s.setupPeer
	// The recording's URL, for DELETE.
	s.Header = func(p *offer.Peer, h http.Header) { h.Set("Location", "/recordings/"+p.ID) }
	s.mux.Handle("/offer", s.Server)
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

// handleStop is DELETE /recordings/{id}: it ends the recording, closing
// its files, and answers what they hold.
func (s *server) handleStop(w http.ResponseWriter, r *http.Request) {
	op := s.Lookup(r.PathValue("id"))
	if op == nil {
		http.Error(w, "no such recording in progress", http.StatusNotFound)
		return
	}
	sum := op.Value.(*peer).close("stopped by the client")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sum)
}

// peer is one browser's connection, and its recording.
type peer struct {
	*offer.Peer
	mu      sync.Mutex // guards the fields below
	results []fileResult
	sum     summary // set once closed
}

// setupPeer names the recording, records every track the connection
// receives, refuses an offer that sends none, and sums the files up once
// the connection is closed: Peer.Close waits for the track recorders.
func (s *server) setupPeer(op *offer.Peer) {
	p := &peer{Peer: op}
	p.ID = newID(time.Now(), p.N)
	p.Log = s.Log.With("recording", p.ID)
	op.Value = p
	// Runs on the connection's event goroutine: hand the track over.
	p.PC.OnTrack(func(t *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) {
		p.Go(func() {
			res := recordTrack(t, s.dir, p.ID, p.Log)
			if res.Path != "" {
				p.Log.Info("file closed", res.logArgs()...)
			}
			p.mu.Lock()
			p.results = append(p.results, res)
			p.mu.Unlock()
		})
	})
	p.Check = func(string) error {
		if !p.receives() {
			return errors.New("the offer sends nothing this server records: offer to send video (H.264) or audio (Opus)")
		}
		return nil
	}
	p.Closed = func(reason string) {
		p.mu.Lock()
		p.sum = summary{ID: p.ID, Reason: reason, Files: p.results}
		p.mu.Unlock()
		var args []any
		for _, r := range p.sum.Files {
			if r.Path != "" {
				args = append(args, r.Kind, fmt.Sprintf("%s (%d frames)", r.Path, r.Frames))
			}
		}
		if len(p.sum.Files) == 0 {
			args = append(args, "files", "none")
		}
		p.LogClosed("recording ended", reason, args...)
		if s.onDone != nil {
			s.onDone(p.sum)
		}
	}
}

// receives reports whether the answer receives a track.
func (p *peer) receives() bool {
	for _, tr := range p.PC.GetTransceivers() {
		if d := tr.CurrentDirection(); d == chanrtc.DirectionRecvOnly || d == chanrtc.DirectionSendRecv {
			return true
		}
	}
	return false
}

// close ends the recording once, and returns what its files hold. Every
// call returns that; it is safe from any goroutine but the track
// recorders'.
func (p *peer) close(reason string) summary {
	p.Close(reason)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sum
}
