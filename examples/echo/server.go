package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chanrtc/chanrtc"
)

//go:embed index.html
var indexHTML []byte

// Limits and timeouts of the echo server. newServer copies the timeouts
// into fields, so tests can shorten them.
const (
	maxOfferBytes       = 1 << 20          // larger offers get 413
	gatherTimeout       = 10 * time.Second // answer with what we have after this
	connectTimeout      = 30 * time.Second // close a peer that never connects
	disconnectedTimeout = 15 * time.Second // close a peer disconnected this long
	// echoHighWater bounds what a channel may have queued to send: past it
	// the echo waits, which stops reading, which holds the client back
	// through SCTP flow control instead of growing our memory.
	echoHighWater = 1 << 20
)

var errShuttingDown = errors.New("server is shutting down")

// server is the echo side of the echo contract: POST /offer answers an
// offer, and every PeerConnection it creates echoes whatever its
// DataChannels receive. It closes every PeerConnection that fails, closes,
// stays disconnected or never connects, and all of them on Close.
type server struct {
	cfg chanrtc.Config
	log *slog.Logger
	mux *http.ServeMux

	gatherTimeout       time.Duration
	connectTimeout      time.Duration
	disconnectedTimeout time.Duration

	ids      atomic.Uint64
	watchers sync.WaitGroup

	mu     sync.Mutex // guards peers and closed
	peers  map[*peer]struct{}
	closed bool
}

func newServer(cfg chanrtc.Config, log *slog.Logger) *server {
	s := &server{
		cfg:                 cfg,
		log:                 log,
		mux:                 http.NewServeMux(),
		gatherTimeout:       gatherTimeout,
		connectTimeout:      connectTimeout,
		disconnectedTimeout: disconnectedTimeout,
		peers:               make(map[*peer]struct{}),
	}
	s.mux.HandleFunc("/offer", s.handleOffer)
	s.mux.HandleFunc("GET /{$}", servePage)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(indexHTML)
}

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
	answer, status, err := p.answer(r.Context(), string(body), s.gatherTimeout)
	if err != nil {
		p.close("answer failed: " + err.Error())
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/sdp")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// Close closes every PeerConnection and refuses new offers.
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
	s.watchers.Wait()
}

// Peers returns how many PeerConnections are open.
func (s *server) Peers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// peer is one client's PeerConnection.
type peer struct {
	srv     *server
	pc      *chanrtc.PeerConnection
	log     *slog.Logger
	start   time.Time
	ctx     context.Context // cancelled when the peer closes
	cancel  context.CancelFunc
	states  chan chanrtc.PeerConnectionState
	closing sync.Once
}

func (s *server) newPeer(remote string) (*peer, error) {
	pc, err := chanrtc.NewPeerConnection(s.cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &peer{
		srv:    s,
		pc:     pc,
		log:    s.log.With("peer", s.ids.Add(1)),
		start:  time.Now(),
		ctx:    ctx,
		cancel: cancel,
		states: make(chan chanrtc.PeerConnectionState, 8),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = pc.Close()
		return nil, errShuttingDown
	}
	s.peers[p] = struct{}{}
	s.watchers.Go(p.watch) // under mu, so Close's Wait sees it
	s.mu.Unlock()

	p.log.Info("offer", "remote", remote)
	pc.OnICEConnectionStateChange(func(st chanrtc.ICEConnectionState) {
		p.log.Info("ice state", "state", st)
	})
	pc.OnConnectionStateChange(func(st chanrtc.PeerConnectionState) {
		p.log.Info("connection state", "state", st, "after", time.Since(p.start).Round(time.Millisecond))
		select {
		case p.states <- st:
		case <-p.ctx.Done():
		}
	})
	pc.OnDataChannel(p.echoDataChannel)
	pc.OnTrack(func(t *chanrtc.RemoteTrack, r *chanrtc.RTPReceiver) {
		s.watchers.Go(func() { p.reflect(t, r) })
	})
	return p, nil
}

// answer applies the offer and returns the complete answer, or an error
// with the HTTP status that fits it.
func (p *peer) answer(ctx context.Context, offer string, gather time.Duration) (string, int, error) {
	if err := p.pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", http.StatusBadRequest, err
	}
	p.reflectOnTransceivers()
	answer, err := p.pc.CreateAnswer()
	if err != nil {
		return "", http.StatusInternalServerError, err
	}
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", http.StatusInternalServerError, err
	}
	t := time.NewTimer(gather)
	defer t.Stop()
	select {
	case <-p.pc.GatheringComplete():
	case <-t.C:
		// A slow STUN or TURN server: the candidates so far may do.
		p.log.Warn("gathering not complete; answering with the candidates so far", "after", gather)
	case <-ctx.Done():
		return "", http.StatusServiceUnavailable, fmt.Errorf("request ended while gathering: %w", context.Cause(ctx))
	case <-p.ctx.Done():
		return "", http.StatusServiceUnavailable, errShuttingDown
	}
	d := p.pc.LocalDescription()
	if d == nil {
		return "", http.StatusInternalServerError, errors.New("no local description")
	}
	if !acceptsSection(d.SDP) {
		return "", http.StatusBadRequest, errors.New("the offer has no section this server can echo: offer a DataChannel or audio/video it supports (H.264, Opus, PCMU, PCMA)")
	}
	p.log.Info("answer", "gathered", p.pc.ICEGatheringState(), "after", time.Since(p.start).Round(time.Millisecond))
	return d.SDP, 0, nil
}

// watch closes the peer when its connection fails or closes, stays
// disconnected for too long, or does not connect within connectTimeout of
// the offer.
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

// close closes the PeerConnection once; it is safe from any goroutine,
// callbacks included.
func (p *peer) close(reason string) {
	p.closing.Do(func() {
		p.cancel()
		_ = p.pc.Close()
		p.srv.mu.Lock()
		delete(p.srv.peers, p)
		p.srv.mu.Unlock()
		args := []any{"reason", reason, "lifetime", time.Since(p.start).Round(time.Millisecond)}
		if err := p.pc.Err(); err != nil {
			args = append(args, "err", err)
		}
		p.log.Info("closed", args...)
	})
}

// echoDataChannel echoes every message dc receives back on dc, with the
// same type. Handlers run on the peer's event goroutine, one at a time.
func (p *peer) echoDataChannel(dc *chanrtc.DataChannel) {
	log := p.log.With("label", dc.Label())
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
func (p *peer) waitBuffered(dc *chanrtc.DataChannel) bool {
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
		case <-p.ctx.Done():
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
