//go:build !chanrtc_nomedia

package chanrtc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/chanrtc/chanrtc/internal/jsep"
	"github.com/chanrtc/chanrtc/transport"
)

// This file is the peer actor's media side: transceivers, their part of
// offers and answers, and the sender and receiver actors started once
// DTLS is up.

type transceiver struct {
	t         *RTPTransceiver
	mid       string
	kind      MediaKind
	dir       Direction // preferred
	current   Direction // negotiated, from our side
	fromAdd   bool      // created by AddTrack (may be matched to a remote offer)
	hasSent   bool
	ssrc      uint32
	rtxSSRC   uint32
	cname     string
	neg       *jsep.NegotiatedMedia
	remote    *jsep.Media
	sender    *transport.Sender
	receiver  *transport.Receiver
	track     *RemoteTrack
	announced bool
}

type trResult struct {
	tr  *RTPTransceiver
	err error
}

type (
	addTrack struct {
		t     *LocalTrack
		reply chan<- trResult
	}
	addTransceiver struct {
		kind  MediaKind
		d     Direction
		reply chan<- trResult
	}
	removeTrack struct {
		s     *RTPSender
		reply chan<- error
	}
	replaceTrack struct {
		s     *RTPSender
		t     *LocalTrack
		reply chan<- error
	}
	setDirection struct {
		t     *RTPTransceiver
		d     Direction
		reply chan<- error
	}
	getTransceivers struct{ reply chan<- []*RTPTransceiver }
)

func (addTrack) peerMsg()        {}
func (addTransceiver) peerMsg()  {}
func (removeTrack) peerMsg()     {}
func (replaceTrack) peerMsg()    {}
func (setDirection) peerMsg()    {}
func (getTransceivers) peerMsg() {}

func (a *peerActor) handleMedia(ctx context.Context, m peerMsg) bool {
	switch m := m.(type) {
	case addTrack:
		m.reply <- a.addTrack(m.t)
	case addTransceiver:
		if m.kind != MediaKindAudio && m.kind != MediaKindVideo {
			m.reply <- trResult{err: fmt.Errorf("%w: media kind %q", ErrInvalidState, m.kind)}
			return true
		}
		x := a.newTransceiver(m.kind, m.d, false)
		a.pc.emitNegotiationNeeded()
		m.reply <- trResult{tr: x.t}
	case removeTrack:
		m.reply <- a.removeTrack(m.s)
	case replaceTrack:
		m.reply <- a.replaceTrack(m.s, m.t)
	case setDirection:
		if x := a.find(m.t); x != nil && x.dir != m.d {
			x.dir = m.d
			m.t.direction.Store(&m.d)
			a.pc.emitNegotiationNeeded()
		}
		m.reply <- nil
	case getTransceivers:
		out := make([]*RTPTransceiver, len(a.transceivers))
		for i, x := range a.transceivers {
			out[i] = x.t
		}
		m.reply <- out
	default:
		return false
	}
	return true
}

func (a *peerActor) find(t *RTPTransceiver) *transceiver {
	for _, x := range a.transceivers {
		if x.t == t {
			return x
		}
	}
	return nil
}

func (a *peerActor) newTransceiver(kind MediaKind, d Direction, fromAdd bool) *transceiver {
	t := &RTPTransceiver{pc: a.pc, kind: kind}
	t.direction.Store(&d)
	t.sender = &RTPSender{tr: t}
	t.receiver = &RTPReceiver{tr: t, track: newRemoteTrack(kind)}
	x := &transceiver{t: t, kind: kind, dir: d, fromAdd: fromAdd, ssrc: rand.Uint32(), rtxSSRC: rand.Uint32(), cname: a.cname, track: t.receiver.track}
	a.transceivers = append(a.transceivers, x)
	return x
}

func (a *peerActor) addTrack(t *LocalTrack) trResult {
	for _, x := range a.transceivers {
		if x.t.sender.track.Load() == t {
			return trResult{err: fmt.Errorf("%w: track already added", ErrInvalidState)}
		}
	}
	var x *transceiver
	for _, c := range a.transceivers {
		if c.kind == t.Kind() && !c.hasSent && c.t.sender.track.Load() == nil {
			x = c
			break
		}
	}
	if x == nil {
		x = a.newTransceiver(t.Kind(), DirectionSendRecv, true)
	} else {
		d := directionOf(true, x.dir.receives())
		x.dir = d
		x.t.direction.Store(&d)
	}
	x.hasSent = true
	x.t.sender.track.Store(t)
	if x.sender != nil {
		t.sender.Store(x.sender)
	}
	a.pc.emitNegotiationNeeded()
	return trResult{tr: x.t}
}

func (a *peerActor) removeTrack(s *RTPSender) error {
	x := a.find(s.tr)
	if x == nil {
		return fmt.Errorf("%w: sender of another PeerConnection", ErrInvalidState)
	}
	if t := s.track.Swap(nil); t != nil {
		t.sender.Store(nil)
	}
	d := directionOf(false, x.dir.receives())
	x.dir = d
	x.t.direction.Store(&d)
	a.pc.emitNegotiationNeeded()
	return nil
}

func (a *peerActor) replaceTrack(s *RTPSender, t *LocalTrack) error {
	x := a.find(s.tr)
	if x == nil {
		return fmt.Errorf("%w: sender of another PeerConnection", ErrInvalidState)
	}
	if old := s.track.Swap(t); old != nil && old != t {
		old.sender.Store(nil)
	}
	if t != nil {
		x.hasSent = true
		if x.sender != nil {
			t.sender.Store(x.sender)
		}
	}
	return nil
}

// nextMID returns a mid no m-section uses yet.
func (a *peerActor) nextMID() string {
	for {
		mid := strconv.Itoa(a.midCounter)
		a.midCounter++
		if !slices.Contains(a.mlineOrder, mid) {
			return mid
		}
	}
}

// offerMedia assigns mids to new transceivers and describes them.
func (a *peerActor) offerMedia(p *jsep.Local) {
	for _, x := range a.transceivers {
		if x.mid == "" {
			x.mid = a.nextMID()
			mid := x.mid
			x.t.mid.Store(&mid)
			x.track.setIDs(mid, "", "")
			a.mlineOrder = append(a.mlineOrder, mid)
		}
		p.Media = append(p.Media, a.localMedia(x, x.dir))
	}
	if p.DataChannel {
		if a.dataMID == "" {
			a.dataMID = a.nextMID()
			a.mlineOrder = append(a.mlineOrder, a.dataMID)
		}
		p.DataMID = a.dataMID
	}
	p.Order = slices.Clone(a.mlineOrder)
}

func (a *peerActor) localMedia(x *transceiver, d Direction) jsep.LocalMedia {
	lm := jsep.LocalMedia{
		MID:        x.mid,
		Kind:       string(x.kind),
		Direction:  string(d),
		Extensions: []jsep.Extension{{ID: midExtID, URI: jsep.ExtensionMID}},
		CNAME:      x.cname,
	}
	for _, c := range a.pc.cfg.codecs(x.kind) {
		lm.Codecs = append(lm.Codecs, jsep.Codec{PayloadType: c.PayloadType, Name: c.Name, ClockRate: c.ClockRate,
			Channels: c.Channels, Fmtp: c.Fmtp, Feedback: c.Feedback, RTX: c.RTX})
	}
	if d.sends() {
		lm.SSRC = x.ssrc
		if slices.ContainsFunc(lm.Codecs, func(c jsep.Codec) bool { return c.RTX != 0 }) {
			lm.RTXSSRC = x.rtxSSRC
		}
		if t := x.t.sender.track.Load(); t != nil {
			lm.StreamID, lm.TrackID = t.StreamID(), t.ID()
		} else {
			lm.StreamID, lm.TrackID = "-", randomID(16)
		}
	}
	return lm
}

// midExtID is the id we offer for the sdes:mid header extension.
const midExtID = 4

// answerMedia matches the remote offer's media sections to transceivers
// (creating receive-only ones for new mids) and describes our answer.
func (a *peerActor) remoteMediaOffer(d *jsep.Description) {
	for i := range d.Media {
		m := &d.Media[i]
		if m.Kind != "audio" && m.Kind != "video" {
			if m.Kind == "application" && a.dataMID == "" {
				a.dataMID = m.MID
			}
			continue
		}
		x := a.byMID(m.MID)
		if x == nil {
			for _, c := range a.transceivers {
				if c.mid == "" && c.fromAdd && string(c.kind) == m.Kind {
					x = c
					break
				}
			}
			if x == nil {
				x = a.newTransceiver(MediaKind(m.Kind), DirectionRecvOnly, false)
			}
			x.mid = m.MID
			mid := m.MID
			x.t.mid.Store(&mid)
			x.track.setIDs(mid, "", "")
		}
		if !slices.Contains(a.mlineOrder, m.MID) {
			a.mlineOrder = append(a.mlineOrder, m.MID)
		}
		x.remote = m
	}
}

func (a *peerActor) byMID(mid string) *transceiver {
	for _, x := range a.transceivers {
		if x.mid == mid {
			return x
		}
	}
	return nil
}

func (a *peerActor) answerMedia(p *jsep.Local, remote *jsep.Description) {
	for _, m := range remote.Media {
		if x := a.byMID(m.MID); x != nil {
			p.Media = append(p.Media, a.localMedia(x, x.dir))
		}
	}
	p.DataMID = a.dataMID
}

// applyNegotiation records what each transceiver negotiated, from the
// offer and the answer, and announces remote tracks (OnTrack).
func (a *peerActor) applyNegotiation() {
	if a.local == nil || a.remote == nil {
		return
	}
	for _, x := range a.transceivers {
		var remote *jsep.Media
		for i := range a.remote.parsed.Media {
			if a.remote.parsed.Media[i].MID == x.mid {
				remote = &a.remote.parsed.Media[i]
			}
		}
		if remote == nil || remote.Rejected || a.local.rejects(x.mid) {
			x.neg = nil
			continue
		}
		var lm *jsep.LocalMedia
		for i := range a.local.params.Media {
			if a.local.params.Media[i].MID == x.mid {
				lm = &a.local.params.Media[i]
			}
		}
		if lm == nil {
			continue
		}
		neg, ok := jsep.NegotiateMedia(*remote, *lm)
		if !ok {
			x.neg = nil
			continue
		}
		x.neg, x.remote = &neg, remote
		cur := Direction(neg.Direction)
		x.current = cur
		x.t.current.Store(&cur)
		if cur.receives() && !x.announced {
			x.announced = true
			x.track.setIDs("", remote.TrackID, remote.StreamID)
			if len(neg.Codecs) > 0 {
				// Known now: OnTrack handlers may look at it before any
				// media flows (bind sets the same codec later).
				c := codecFrom(neg.Codecs[0], x.kind)
				x.track.codec.Store(&c)
			}
			tr, rcv := x.track, x.t.receiver
			a.pc.emitter.Emit(func() {
				if f := a.pc.onTrack.Load(); f != nil && *f != nil {
					(*f)(tr, rcv)
				}
			})
		}
	}
}

// startMedia keys SRTP and starts the senders and receivers negotiated;
// it runs once DTLS is up and again after each renegotiation.
func (a *peerActor) startMedia(ctx context.Context) error {
	if !a.dtlsUp || a.signaling != SignalingStateStable {
		return nil
	}
	if !slices.ContainsFunc(a.transceivers, func(x *transceiver) bool { return x.neg != nil }) {
		return nil
	}
	fresh := !a.mediaKeyed
	if fresh {
		keys, err := transport.SRTPKeysFromDTLS(a.dtls, a.dtlsClient)
		if err != nil {
			return err
		}
		a.keys = keys
		if err := a.routeMedia(); err != nil {
			return err
		}
	}
	for _, x := range a.transceivers {
		if x.neg == nil {
			continue
		}
		if x.current.sends() && x.sender == nil {
			if err := a.startSender(ctx, x); err != nil {
				return err
			}
		}
		if x.current.receives() && x.receiver == nil {
			if err := a.startReceiver(ctx, x); err != nil {
				return err
			}
		}
	}
	if fresh {
		// Keyed last: the receivers are registered by then, so the packets
		// held until now all find their way.
		a.mediaKeyed = true
		return a.media.Start(ctx, a.keys)
	}
	return nil
}

// routeMedia starts the media router and has the mux hand it SRTP and
// SRTCP. It runs when the DTLS handshake starts: the remote may finish its
// side first and send media before our side has been told that DTLS is up;
// the router holds those packets until startMedia keys it.
func (a *peerActor) routeMedia() error {
	if a.media != nil {
		return nil
	}
	a.media = transport.NewMedia(a.pc.cfg.Logger)
	if err := a.pc.sup.Go("media", a.media.Run); err != nil {
		a.media = nil
		return ErrClosed
	}
	a.mux.SetMedia(a.media)
	return nil
}

func extID(exts []jsep.Extension, uri string) uint8 {
	for _, e := range exts {
		if e.URI == uri && e.ID > 0 && e.ID < 15 {
			return uint8(e.ID)
		}
	}
	return 0
}

func hasFeedback(c jsep.Codec, fb string) bool {
	return slices.ContainsFunc(c.Feedback, func(v string) bool { return strings.EqualFold(v, fb) })
}

func codecFrom(c jsep.Codec, kind MediaKind) Codec {
	return Codec{Kind: kind, Name: c.Name, ClockRate: c.ClockRate, Channels: c.Channels, Fmtp: c.Fmtp,
		Feedback: c.Feedback, PayloadType: c.PayloadType, RTX: c.RTX}
}

func (a *peerActor) startSender(ctx context.Context, x *transceiver) error {
	track := x.t.sender.track.Load()
	// Send with the negotiated codec of the track's format, else the first.
	var use *jsep.Codec
	for i, c := range x.neg.Codecs {
		if track != nil && sameCodec(codecFrom(c, x.kind), track.codec) {
			use = &x.neg.Codecs[i]
			break
		}
	}
	if use == nil && len(x.neg.Codecs) > 0 {
		use = &x.neg.Codecs[0]
	}
	if use == nil {
		return nil
	}
	var pk transport.Packetizer
	if track != nil {
		pk = newPacketizer(track.codec)
	}
	if pk == nil {
		pk = newPacketizer(codecFrom(*use, x.kind))
	}
	cfg := transport.SenderConfig{
		SSRC: x.ssrc, PayloadType: use.PayloadType, ClockRate: use.ClockRate,
		MID: x.mid, MIDExtID: extID(x.neg.Extensions, jsep.ExtensionMID),
		Packetizer: pk, Conn: a.iceConn, Keys: a.keys, RTT: &a.rtt, Logger: a.pc.cfg.Logger,
	}
	if use.RTX != 0 {
		cfg.RTXSSRC, cfg.RTXType = x.rtxSSRC, use.RTX
	}
	sender := x.t.sender
	cfg.OnKeyframe = func() {
		a.pc.emitter.Emit(func() {
			if t := sender.track.Load(); t != nil {
				if f := t.onKeyframe.Load(); f != nil && *f != nil {
					(*f)()
				}
			}
		})
	}
	s := transport.NewSender(cfg)
	if err := a.pc.sup.Go("sender "+x.mid, s.Run); err != nil {
		return ErrClosed
	}
	if err := a.media.AddSender(ctx, s); err != nil {
		return err
	}
	x.sender = s
	if track != nil {
		track.sender.Store(s)
	}
	return nil
}

func (a *peerActor) startReceiver(ctx context.Context, x *transceiver) error {
	if len(x.neg.Codecs) == 0 {
		return nil
	}
	cfg := transport.ReceiverConfig{
		MID: x.mid, MIDExtID: extID(x.neg.Extensions, jsep.ExtensionMID),
		Video: x.kind == MediaKindVideo, Conn: a.iceConn, Keys: a.keys, RTT: &a.rtt, Logger: a.pc.cfg.Logger,
	}
	for _, c := range x.neg.Codecs {
		cc := codecFrom(c, x.kind)
		cfg.Codecs = append(cfg.Codecs, transport.ReceiverCodec{PayloadType: c.PayloadType, RTX: c.RTX,
			ClockRate: c.ClockRate, Assembler: newAssembler(cc), Jitter: jitterCodec(cc)})
		cfg.NACK = cfg.NACK || hasFeedback(c, "nack")
		cfg.PLI = cfg.PLI || hasFeedback(c, "nack pli")
	}
	if x.remote != nil {
		for _, s := range x.remote.SSRCs {
			cfg.SSRCs = append(cfg.SSRCs, s.SSRC)
		}
		for _, rtx := range x.remote.RTXSSRCs {
			cfg.RTXSSRCs = append(cfg.RTXSSRCs, rtx)
			cfg.SSRCs = slices.DeleteFunc(cfg.SSRCs, func(v uint32) bool { return v == rtx })
		}
	}
	r := transport.NewReceiver(cfg)
	if err := a.pc.sup.Go("receiver "+x.mid, r.Run); err != nil {
		return ErrClosed
	}
	if err := a.media.AddReceiver(ctx, r); err != nil {
		return err
	}
	x.receiver = r
	x.track.bind(r, codecFrom(x.neg.Codecs[0], x.kind))
	return nil
}

// closeTracks ends every remote track's readers.
func (a *peerActor) closeTracks() {
	for _, x := range a.transceivers {
		x.track.close()
	}
}

// rejects reports whether our own description rejected the section of mid
// (an answer may reject what NegotiateMedia alone would accept, such as a
// section outside the bundle).
func (l *localDesc) rejects(mid string) bool {
	if l.own == nil {
		return false
	}
	for _, m := range l.own.Media {
		if m.MID == mid {
			return m.Rejected
		}
	}
	return false
}
