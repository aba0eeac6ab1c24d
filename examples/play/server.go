package main

import (
	"context"
	_ "embed"
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
	disconnectedTimeout = 15 * time.Second // close a connection disconnected this long
)

var errShuttingDown = errors.New("server is shutting down")

// server answers offers to receive media with a connection that streams
// the files. It closes every connection that fails, closes, stays
// disconnected or never connects, and all of them on Close.
type server struct {
	cfg   chanrtc.Config
	media *media
	log   *slog.Logger
	mux   *http.ServeMux

	gatherTimeout       time.Duration
	connectTimeout      time.Duration
	disconnectedTimeout time.Duration

	ids atomic.Uint64
	// wg counts every goroutine the server starts for a connection. Adds
	// happen under mu (watchers) or under the peer's mu while it is open
	// (streams); Close closes every peer before it waits.
	wg sync.WaitGroup

	mu     sync.Mutex // guards peers and closed
	peers  map[*peer]struct{}
	closed bool
}

func newServer(cfg chanrtc.Config, m *media, log *slog.Logger) *server {
	if len(cfg.Codecs) == 0 {
		// Only what this server handles, so that an offer without it is
		// refused rather than answered with a format it cannot use.
		cfg.Codecs = []chanrtc.Codec{chanrtc.CodecH264, chanrtc.CodecOpus}
	}
	s := &server{
		cfg:                 cfg,
		media:               m,
		log:                 log,
		mux:                 http.NewServeMux(),
		gatherTimeout:       gatherTimeout,
		connectTimeout:      connectTimeout,
		disconnectedTimeout: disconnectedTimeout,
		peers:               make(map[*peer]struct{}),
	}
	s.mux.HandleFunc("/offer", s.handleOffer)
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
// SDP answer out.
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
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// Close closes every connection, refuses new offers, and returns once
// every goroutine of the server has ended.
func (s *server) Close() {
	s.mu.Lock()
	s.closed = true
	peers := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.close("server shutting down")
	}
	s.wg.Wait()
}

// Peers returns how many connections are open.
func (s *server) Peers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// peer is one browser's connection.
type peer struct {
	srv    *server
	pc     *chanrtc.PeerConnection
	log    *slog.Logger
	start  time.Time
	ctx    context.Context // ends when the peer closes: streaming stops
	cancel context.CancelFunc
	states chan chanrtc.PeerConnectionState
	stats  streamStats

	keyframe chan struct{} // a keyframe request for video, pending

	mu           sync.Mutex          // guards the fields below
	video, audio *chanrtc.LocalTrack // nil: not sent on this connection
	closed       bool
	closing      sync.Once
}

func (s *server) newPeer(remote string) (*peer, error) {
	pc, err := chanrtc.NewPeerConnection(s.cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &peer{
		srv:      s,
		pc:       pc,
		log:      s.log.With("peer", s.ids.Add(1)),
		start:    time.Now(),
		ctx:      ctx,
		cancel:   cancel,
		states:   make(chan chanrtc.PeerConnectionState, 8),
		keyframe: make(chan struct{}, 1),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = pc.Close()
		return nil, errShuttingDown
	}
	s.peers[p] = struct{}{}
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
	return p, nil
}

// answer applies the offer, puts a track on the first video and the first
// audio transceiver it offered, and returns the complete answer, or an
// error with the HTTP status that fits it.
func (p *peer) answer(ctx context.Context, offer string) (string, int, error) {
	if err := p.pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", http.StatusBadRequest, err
	}
	if err := p.addTracks(); err != nil {
		return "", http.StatusInternalServerError, err
	}
	answer, err := p.pc.CreateAnswer()
	if err != nil {
		return "", http.StatusInternalServerError, err
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", http.StatusInternalServerError, err
	}
	if !p.negotiated() {
		return "", http.StatusBadRequest, errors.New(p.srv.nothingToSend())
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
	video, audio := p.tracks()
	p.log.Info("answer", "video", video != nil, "audio", audio != nil, "after", time.Since(p.start).Round(time.Millisecond))
	return d.SDP, 0, nil
}

// addTracks gives the first transceiver of each kind the remote offered a
// track of ours, and makes it send.
func (p *peer) addTracks() error {
	m := p.srv.media
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range p.pc.GetTransceivers() {
		var codec chanrtc.Codec
		switch {
		case tr.Kind() == chanrtc.MediaKindVideo && m.video != nil && p.video == nil:
			codec = chanrtc.CodecH264
		case tr.Kind() == chanrtc.MediaKindAudio && m.audio != nil && p.audio == nil:
			codec = chanrtc.CodecOpus
		default:
			continue
		}
		t, err := chanrtc.NewLocalTrack(codec, string(tr.Kind()), "play")
		if err != nil {
			return err
		}
		if err := tr.Sender().ReplaceTrack(t); err != nil {
			return err
		}
		if err := tr.SetDirection(chanrtc.DirectionSendOnly); err != nil {
			return err
		}
		if codec.Kind == chanrtc.MediaKindVideo {
			p.video = t
			// Runs on the connection's event goroutine: never block it.
			t.OnKeyframeRequest(func() {
				select {
				case p.keyframe <- struct{}{}:
				default:
				}
			})
		} else {
			p.audio = t
		}
	}
	return nil
}

// negotiated reports whether the answer sends at least one of our
// tracks, dropping those it does not send (their codec was not offered).
func (p *peer) negotiated() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range p.pc.GetTransceivers() {
		t := tr.Sender().Track()
		if t == nil {
			continue
		}
		if d := tr.CurrentDirection(); d != chanrtc.DirectionSendOnly && d != chanrtc.DirectionSendRecv {
			p.log.Warn("not sending: the offer cannot receive it", "kind", t.Kind(), "direction", d)
			if t == p.video {
				p.video = nil
			} else if t == p.audio {
				p.audio = nil
			}
		}
	}
	return p.video != nil || p.audio != nil
}

func (s *server) nothingToSend() string {
	var what string
	switch {
	case s.media.video != nil && s.media.audio != nil:
		what = "video (H.264) or audio (Opus)"
	case s.media.video != nil:
		what = "video (H.264)"
	default:
		what = "audio (Opus)"
	}
	return "the offer cannot receive anything this server sends: offer to receive " + what
}

// watch streams once the connection is up, and closes the peer when its
// connection fails or closes, stays disconnected for too long, or does not
// connect in time.
func (p *peer) watch() {
	deadline := time.NewTimer(p.srv.connectTimeout)
	defer deadline.Stop()
	reason := "not connected in time"
	streaming := false
	for {
		select {
		case <-p.ctx.Done():
			return
		case st := <-p.states:
			switch st {
			case chanrtc.PeerConnectionStateConnected:
				deadline.Stop()
				if !streaming {
					streaming = true
					p.startStreaming()
				}
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

func (p *peer) startStreaming() {
	m := p.srv.media
	video, audio := p.tracks()
	if video != nil {
		p.spawn(func() {
			streamVideo(p.ctx, video, p.keyframe, m.video, m.frame, m.videoPad, m.loop, &p.stats)
			if p.ctx.Err() == nil {
				p.log.Info("video ended", "frames", p.stats.videoFrames.Load())
			}
		})
	}
	if audio != nil {
		p.spawn(func() {
			streamAudio(p.ctx, audio, m.audio, m.audioPad, m.loop, &p.stats)
			if p.ctx.Err() == nil {
				p.log.Info("audio ended", "packets", p.stats.audioFrames.Load())
			}
		})
	}
	p.log.Info("streaming", "video", video != nil, "audio", audio != nil)
}

// tracks returns the tracks this connection sends (nil: not sent).
func (p *peer) tracks() (video, audio *chanrtc.LocalTrack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.video, p.audio
}

// spawn runs f on a goroutine the server waits for, unless the peer is
// closed.
func (p *peer) spawn(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.srv.wg.Go(f)
	}
}

// close closes the connection once, which stops its streams; it is safe
// from any goroutine, callbacks included.
func (p *peer) close(reason string) {
	p.closing.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
		_ = p.pc.Close()
		p.srv.mu.Lock()
		delete(p.srv.peers, p)
		p.srv.mu.Unlock()
		args := []any{"reason", reason, "lifetime", time.Since(p.start).Round(time.Millisecond),
			"video_frames", p.stats.videoFrames.Load(), "audio_packets", p.stats.audioFrames.Load(),
			"keyframe_requests", p.stats.keyframeRequests.Load(), "keyframes_resent", p.stats.keyframesResent.Load()}
		if n := p.stats.dropped.Load(); n > 0 {
			args = append(args, "dropped", n)
		}
		if err := p.pc.Err(); err != nil {
			args = append(args, "err", err)
		}
		p.log.Info("closed", args...)
	})
}
