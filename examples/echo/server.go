package main

import (
	_ "embed"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/chanrtc/chanrtc/examples/internal/offer"
)

//go:embed index.html
var indexHTML []byte

// echoHighWater bounds what a channel may have queued to send: past it the
// echo waits, which stops reading, which holds the client back through
// SCTP flow control instead of growing our memory.
const echoHighWater = 1 << 20

// server is the echo side of the echo contract: POST /offer answers an
// offer, and every PeerConnection it creates echoes whatever its
// DataChannels receive. offer.Server closes every PeerConnection that
// fails, closes, stays disconnected or never connects, and all of them on
// Close.
type server struct {
	*offer.Server
	mux *http.ServeMux
}

func newServer(cfg chanrtc.Config, log *slog.Logger) *server {
	s := &server{Server: offer.New(cfg, log), mux: http.NewServeMux()}
	s.Setup = setupPeer
	s.mux.Handle("/offer", s.Server)
	s.mux.HandleFunc("GET /{$}", servePage)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(indexHTML)
}

// peer is one client's PeerConnection.
type peer struct{ *offer.Peer }

// setupPeer makes p echo: DataChannels back to the client, and tracks
// back on the transceivers they came on.
func setupPeer(op *offer.Peer) {
	p := peer{op}
	p.PC.OnICEConnectionStateChange(func(st chanrtc.ICEConnectionState) {
		p.Log.Info("ice state", "state", st)
	})
	p.PC.OnDataChannel(p.echoDataChannel)
	p.PC.OnTrack(func(t *chanrtc.RemoteTrack, r *chanrtc.RTPReceiver) {
		p.Go(func() { p.reflect(t, r) })
	})
	p.Prepare = func() error { p.reflectOnTransceivers(); return nil }
	p.Check = func(answer string) error {
		if !acceptsSection(answer) {
			return errors.New("the offer has no section this server can echo: offer a DataChannel, or audio/video in a codec it negotiates (H.264, Opus, PCMU, PCMA, VP8, VP9, AV1)")
		}
		return nil
	}
	p.AnswerLog = func() []any { return []any{"gathered", p.PC.ICEGatheringState()} }
}

// echoDataChannel echoes every message dc receives back on dc, with the
// same type. Handlers run on the peer's event goroutine, one at a time.
func (p peer) echoDataChannel(dc *chanrtc.DataChannel) {
	log := p.Log.With("label", dc.Label())
	if id := dc.ID(); id != nil {
		log = log.With("id", *id)
	}
	log.Info("datachannel", "protocol", dc.Protocol(), "ordered", dc.Ordered(), "state", dc.ReadyState())
	var msgs, bytes int64
	var sendErr error
	dc.OnMessage(func(m chanrtc.DataChannelMessage) {
		msgs++
		bytes += int64(len(m.Data))
		if !p.waitBuffered(dc) {
			return
		}
		var err error
		if m.IsString {
			err = dc.SendText(string(m.Data))
		} else {
			err = dc.Send(m.Data)
		}
		if err != nil && sendErr == nil {
			sendErr = err // logged once, when the channel closes
		}
	})
	dc.OnError(func(err error) { log.Warn("datachannel error", "err", err) })
	dc.OnClose(func() {
		args := []any{"messages", msgs, "bytes", bytes}
		if sendErr != nil {
			args = append(args, "send_err", sendErr)
		}
		log.Info("datachannel closed", args...)
	})
}

// waitBuffered waits until dc has room under echoHighWater. It reports
// false if the channel or the peer closes first. It polls because
// OnBufferedAmountLow runs on the event goroutine this handler is holding;
// holding it is the point, since it stops reading and so holds back the
// remote sender.
func (p peer) waitBuffered(dc *chanrtc.DataChannel) bool {
	if dc.BufferedAmount() <= echoHighWater {
		return true
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for dc.BufferedAmount() > echoHighWater {
		if dc.ReadyState() != chanrtc.DataChannelStateOpen {
			return false
		}
		select {
		case <-tick.C:
		case <-p.Context().Done():
			return false
		}
	}
	return true
}

// acceptsSection reports whether an answer accepts at least one m= section
// (a rejected one has port 0, RFC 8829 §5.3.1): otherwise the client would
// get an answer on which nothing can ever flow.
func acceptsSection(answer string) bool {
	for line := range strings.Lines(answer) {
		media, ok := strings.CutPrefix(line, "m=")
		if f := strings.Fields(media); ok && len(f) > 1 && f[1] != "0" {
			return true
		}
	}
	return false
}
