package main

import (
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
)

//go:embed index.html
var indexHTML []byte

// server answers offers to receive media with a connection that streams
// the files. offer.Server closes every connection that fails, closes,
// stays disconnected or never connects, and all of them on Close.
type server struct {
	*offer.Server
	media *media
	mux   *http.ServeMux
}

func newServer(cfg chanrtc.Config, m *media, log *slog.Logger) *server {
	if len(cfg.Codecs) == 0 {
		// Only what this server handles, so that an offer without it is
		// refused rather than answered with a format it cannot use.
		cfg.Codecs = []chanrtc.Codec{chanrtc.CodecH264, chanrtc.CodecOpus}
	}
	s := &server{Server: offer.New(cfg, log), media: m, mux: http.NewServeMux()}
	s.Setup = s.setupPeer
	s.mux.Handle("/offer", s.Server)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(indexHTML)
	})
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// peer is one browser's connection, and what it streams.
type peer struct {
	*offer.Peer
	srv   *server
	stats streamStats

	keyframe chan struct{} // a keyframe request for video, pending

	mu           sync.Mutex          // guards the fields below
	video, audio *chanrtc.LocalTrack // nil: not sent on this connection
}

// setupPeer puts a track on the first video and the first audio
// transceiver the offer has, refuses an offer that receives neither, and
// streams once connected.
func (s *server) setupPeer(op *offer.Peer) {
	p := &peer{Peer: op, srv: s, keyframe: make(chan struct{}, 1)}
	p.Prepare = p.addTracks
	p.Check = func(string) error {
		if !p.negotiated() {
			return errors.New(s.nothingToSend())
		}
		return nil
	}
	p.AnswerLog = func() []any {
		video, audio := p.tracks()
		return []any{"video", video != nil, "audio", audio != nil}
	}
	p.Connected = p.startStreaming
	p.Closed = func(reason string) {
		args := []any{"video_frames", p.stats.videoFrames.Load(), "audio_packets", p.stats.audioFrames.Load(),
			"keyframe_requests", p.stats.keyframeRequests.Load(), "keyframes_resent", p.stats.keyframesResent.Load()}
		if n := p.stats.dropped.Load(); n > 0 {
			args = append(args, "dropped", n)
		}
		p.LogClosed("closed", reason, args...)
	}
}

// addTracks gives the first transceiver of each kind the remote offered a
// track of ours, and makes it send.
func (p *peer) addTracks() error {
	m := p.srv.media
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tr := range p.PC.GetTransceivers() {
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
	for _, tr := range p.PC.GetTransceivers() {
		t := tr.Sender().Track()
		if t == nil {
			continue
		}
		if d := tr.CurrentDirection(); d != chanrtc.DirectionSendOnly && d != chanrtc.DirectionSendRecv {
			p.Log.Warn("not sending: the offer cannot receive it", "kind", t.Kind(), "direction", d)
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

func (p *peer) startStreaming() {
	m := p.srv.media
	video, audio := p.tracks()
	if video != nil {
		p.Go(func() {
			streamVideo(p.Context(), video, p.keyframe, m.video, m.frame, m.videoPad, m.loop, &p.stats)
			if p.Context().Err() == nil {
				p.Log.Info("video ended", "frames", p.stats.videoFrames.Load())
			}
		})
	}
	if audio != nil {
		p.Go(func() {
			streamAudio(p.Context(), audio, m.audio, m.audioPad, m.loop, &p.stats)
			if p.Context().Err() == nil {
				p.Log.Info("audio ended", "packets", p.stats.audioFrames.Load())
			}
		})
	}
	p.Log.Info("streaming", "video", video != nil, "audio", audio != nil)
}

// tracks returns the tracks this connection sends (nil: not sent).
func (p *peer) tracks() (video, audio *chanrtc.LocalTrack) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.video, p.audio
}
