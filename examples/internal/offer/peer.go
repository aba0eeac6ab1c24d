package offer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/chanrtc/chanrtc"
)

// Peer is one client's PeerConnection. Server.Setup sets its hooks; each
// may be nil.
type Peer struct {
	PC    *chanrtc.PeerConnection
	N     uint64       // numbers peers from 1 in the order of their offers
	ID    string       // key for Server.Lookup; N in decimal unless Setup changes it
	Log   *slog.Logger // Setup may replace it
	Start time.Time    // when the offer came
	Value any          // the example's own state for the peer, for Lookup

	// Prepare runs after the offer is applied and before the answer is
	// created: it is where tracks go on the offered transceivers. An
	// error fails the offer with 500.
	Prepare func() error
	// Check runs on the answer once it is set: an error refuses the
	// offer with 400, rather than answering with a connection on which
	// nothing this example does can flow.
	Check func(answer string) error
	// AnswerLog adds attributes to the "answer" log line.
	AnswerLog func() []any
	// Connected runs on the first connected state, on the watcher.
	Connected func()
	// Closed runs once the connection is closed and every goroutine of
	// Go has returned; if nil, the peer logs "closed".
	Closed func(reason string)

	srv     *Server
	ctx     context.Context // ends when the peer closes
	cancel  context.CancelFunc
	states  chan chanrtc.PeerConnectionState
	closing sync.Once

	mu     sync.Mutex // guards closed; Go adds to goes under it, so no Add follows Close's Wait
	closed bool
	goes   sync.WaitGroup // the goroutines of Go
}

func newPeer(s *Server, pc *chanrtc.PeerConnection, n uint64) *Peer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Peer{
		PC:     pc,
		N:      n,
		ID:     id(n),
		Log:    s.Log.With("peer", n),
		Start:  time.Now(),
		srv:    s,
		ctx:    ctx,
		cancel: cancel,
		states: make(chan chanrtc.PeerConnectionState, 8),
	}
	pc.OnConnectionStateChange(func(st chanrtc.PeerConnectionState) {
		p.Log.Info("connection state", "state", st, "after", p.Since())
		select {
		case p.states <- st:
		case <-p.ctx.Done():
		}
	})
	return p
}

// Context returns a context that ends when the peer closes.
func (p *Peer) Context() context.Context { return p.ctx }

// Since is the time since the offer, rounded for logs.
func (p *Peer) Since() time.Duration { return time.Since(p.Start).Round(time.Millisecond) }

// Go runs f on a goroutine that Close and Server.Close wait for, unless
// the peer is closed. f must end once the connection closes.
func (p *Peer) Go(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.goes.Add(1)
	p.srv.wg.Go(func() {
		defer p.goes.Done()
		f()
	})
}

// answer applies the offer and returns the complete answer, or an error
// with the HTTP status that fits it.
func (p *Peer) answer(ctx context.Context, offer string) (string, int, error) {
	if err := p.PC.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", http.StatusBadRequest, err
	}
	if p.Prepare != nil {
		if err := p.Prepare(); err != nil {
			return "", http.StatusInternalServerError, err
		}
	}
	answer, err := p.PC.CreateAnswer()
	if err != nil {
		return "", http.StatusInternalServerError, err
	}
	if err := p.PC.SetLocalDescription(answer); err != nil {
		return "", http.StatusInternalServerError, err
	}
	if p.Check != nil {
		if err := p.Check(answer.SDP); err != nil {
			return "", http.StatusBadRequest, err
		}
	}
	gather := p.srv.GatherTimeout
	t := time.NewTimer(gather)
	defer t.Stop()
	select {
	case <-p.PC.GatheringComplete():
	case <-t.C:
		// A slow STUN or TURN server: the candidates so far may do.
		p.Log.Warn("gathering not complete; answering with the candidates so far", "after", gather)
	case <-ctx.Done():
		return "", http.StatusServiceUnavailable, fmt.Errorf("request ended while gathering: %w", context.Cause(ctx))
	case <-p.ctx.Done():
		return "", http.StatusServiceUnavailable, errShuttingDown
	}
	d := p.PC.LocalDescription()
	if d == nil {
		return "", http.StatusInternalServerError, errors.New("no local description")
	}
	var args []any
	if p.AnswerLog != nil {
		args = p.AnswerLog()
	}
	p.Log.Info("answer", append(args, "after", p.Since())...)
	return d.SDP, 0, nil
}

// watch closes the peer when its connection fails or closes, stays
// disconnected for too long, or does not connect in time.
func (p *Peer) watch() {
	deadline := time.NewTimer(p.srv.ConnectTimeout)
	defer deadline.Stop()
	reason := "not connected in time"
	connected := false
	for {
		select {
		case <-p.ctx.Done():
			return
		case st := <-p.states:
			switch st {
			case chanrtc.PeerConnectionStateConnected:
				deadline.Stop()
				if !connected && p.Connected != nil {
					p.Connected()
				}
				connected = true
			case chanrtc.PeerConnectionStateDisconnected:
				deadline.Reset(p.srv.DisconnectedTimeout)
				reason = "disconnected too long"
			case chanrtc.PeerConnectionStateFailed, chanrtc.PeerConnectionStateClosed:
				p.Close("connection " + st.String())
				return
			}
		case <-deadline.C:
			p.Close(reason)
			return
		}
	}
}

// Close closes the connection once, waits for the goroutines of Go, and
// runs Closed. Every call returns after that; it is safe from any
// goroutine but those of Go.
func (p *Peer) Close(reason string) {
	p.closing.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
		_ = p.PC.Close()
		p.srv.remove(p)
		p.goes.Wait()
		if p.Closed != nil {
			p.Closed(reason)
		} else {
			p.LogClosed("closed", reason)
		}
	})
}

// LogClosed logs msg with the reason, the lifetime, extra and the
// connection's error, if any.
func (p *Peer) LogClosed(msg, reason string, extra ...any) {
	args := append([]any{"reason", reason, "lifetime", p.Since()}, extra...)
	if err := p.PC.Err(); err != nil {
		args = append(args, "err", err)
	}
	p.Log.Info(msg, args...)
}
