package main

import (
	"errors"
	"time"

	"github.com/chanrtc/chanrtc"
	"github.com/pion/rtp"
)

// chanrtcConfig is what the scenarios give chanrtc: loopback candidates
// only and no mDNS, as in chanrtc's own tests; everything else default.
func chanrtcConfig() chanrtc.Config {
	return chanrtc.Config{LoopbackOnly: true, MDNS: chanrtc.MDNSDisabled}
}

const chanrtcSettings = "chanrtc.Config{LoopbackOnly: true, MDNS: MDNSDisabled}, otherwise defaults"

// errBusy is a sender refusing a packet because its queue is full.
var errBusy = errors.New("sender busy")

const gatherTimeout = 10 * time.Second

type chanrtcStack struct{}

type chanrtcPeer struct{ pc *chanrtc.PeerConnection }

func (chanrtcStack) NewPeer() (peer, error) {
	pc, err := chanrtc.NewPeerConnection(chanrtcConfig())
	if err != nil {
		return nil, err
	}
	return chanrtcPeer{pc}, nil
}

func (p chanrtcPeer) CreateDataChannel(label string, unordered bool, maxRetransmits *uint16) (channel, error) {
	var init *chanrtc.DataChannelInit
	if unordered || maxRetransmits != nil {
		ordered := !unordered
		init = &chanrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: maxRetransmits}
	}
	dc, err := p.pc.CreateDataChannel(label, init)
	if err != nil {
		return nil, err
	}
	return chanrtcChannel{dc}, nil
}

func (p chanrtcPeer) OnDataChannel(f func(channel)) {
	p.pc.OnDataChannel(func(dc *chanrtc.DataChannel) { f(chanrtcChannel{dc}) })
}

func (p chanrtcPeer) AddVideoTrack() (rtpWriter, error) {
	t, err := chanrtc.NewLocalTrack(chanrtc.CodecH264, "video", "bench")
	if err != nil {
		return nil, err
	}
	if _, err := p.pc.AddTrack(t); err != nil {
		return nil, err
	}
	return chanrtcWriter{t}, nil
}

func (p chanrtcPeer) OnTrack(f func(rtpReader)) {
	p.pc.OnTrack(func(t *chanrtc.RemoteTrack, _ *chanrtc.RTPReceiver) { f(t) })
}

func (p chanrtcPeer) CreateOffer() (string, error) {
	o, err := p.pc.CreateOffer()
	if err != nil {
		return "", err
	}
	if err := p.pc.SetLocalDescription(o); err != nil {
		return "", err
	}
	return p.gathered()
}

func (p chanrtcPeer) Answer(offer string) (string, error) {
	if err := p.pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	a, err := p.pc.CreateAnswer()
	if err != nil {
		return "", err
	}
	if err := p.pc.SetLocalDescription(a); err != nil {
		return "", err
	}
	return p.gathered()
}

func (p chanrtcPeer) gathered() (string, error) {
	select {
	case <-p.pc.GatheringComplete():
	case <-time.After(gatherTimeout):
		return "", errors.New("chanrtc: gathering did not complete")
	}
	return p.pc.LocalDescription().SDP, nil
}

func (p chanrtcPeer) SetAnswer(answer string) error {
	return p.pc.SetRemoteDescription(chanrtc.SessionDescription{Type: chanrtc.SDPTypeAnswer, SDP: answer})
}

func (p chanrtcPeer) Close() error { return p.pc.Close() }

type chanrtcChannel struct{ *chanrtc.DataChannel }

func (c chanrtcChannel) OnMessage(f func([]byte)) {
	c.DataChannel.OnMessage(func(m chanrtc.DataChannelMessage) { f(m.Data) })
}

type chanrtcWriter struct{ t *chanrtc.LocalTrack }

func (w chanrtcWriter) WriteRTP(p *rtp.Packet) error {
	err := w.t.WriteRTP(p)
	if errors.Is(err, chanrtc.ErrFrameDropped) || errors.Is(err, chanrtc.ErrTrackNotSending) {
		return errBusy
	}
	return err
}
